// `contain ps [-a] [--json]`: the containers, their status as the kernel
// shows it, and their memory use against the limit. `contain ps
// [--format table|json] ID`: runc's, the processes of one container.
import { defineCommand } from "citty";
import { readFileSync } from "node:fs";
import { openCgroup } from "../linux/cgroups/index.ts";
import { memoryLimitOf } from "../plan/cgroup.ts";
import { requireRoot } from "../runtime/prepare.ts";
import type { ContainerState, StateStore } from "../runtime/state.ts";
import { statusOf, type Status } from "../runtime/status.ts";
import { openStore } from "../runtime/sweep.ts";
import { humanSize } from "../spec/units.ts";
import { SpecError } from "../errors.ts";
import { commonFlags, parseFlags, str, toCittyArgs, type FlagDefs } from "./args.ts";
import { dataRoot, exitCodeOf, loggerFor, oneContainer, print, stateRoot } from "./output.ts";
import { formatTable, humanDuration, shortCommand } from "./table.ts";

export const psFlags = {
  all: { type: "boolean", alias: ["a"], description: "Show stopped containers too" },
  json: { type: "boolean", description: "Print JSON: one array of objects" },
  format: { type: "string", alias: ["f"], description: "table or json (--format json is --json; with an ID, runc's: the PIDs)", valueHint: "FORMAT" },
  ...commonFlags,
} satisfies FlagDefs;

export function describeStatus(status: Status, state: ContainerState, now: number): string {
  if (status.kind === "created") return "Created";
  const up = `Up ${humanDuration(now - Date.parse(state.started ?? state.created))}`;
  if (status.kind === "running") return up;
  if (status.kind === "paused") return `${up} (Paused)`;
  if (!status.exit) return "Exited";
  return `Exited (${exitCodeOf(status.exit.status)}) ${humanDuration(now - Date.parse(status.exit.finished))} ago`;
}

export interface Row {
  state: ContainerState;
  status: Status;
  memory?: { current?: number; limit?: number };
}

export function rows(store: StateStore, all: boolean): Row[] {
  return store
    .list()
    .map(({ state }) => {
      const status = statusOf(store, state);
      const memory =
        status.kind !== "exited" && state.cgroup
          ? { current: openCgroup(state.cgroup.version, state.cgroup.paths).usage().memoryCurrent, limit: memoryLimitOf(state.spec?.linux.resources) }
          : undefined;
      return { state, status, memory };
    })
    .filter((r) => all || r.status.kind !== "exited")
    .sort((a, b) => Date.parse(b.state.created) - Date.parse(a.state.created));
}

function toJson(r: Row, now: number) {
  return {
    id: r.state.id,
    name: r.state.name ?? null,
    kind: r.state.kind ?? "container",
    bundle: r.state.bundle ?? null,
    pid: r.status.kind === "exited" ? null : (r.state.init?.pid ?? null),
    status: r.status.kind,
    exitCode: r.status.exit ? exitCodeOf(r.status.exit.status) : null,
    statusText: describeStatus(r.status, r.state, now),
    created: r.state.created,
    started: r.state.started ?? null,
    finished: r.status.exit?.finished ?? null,
    command: r.state.command,
    memory: r.memory ? { current: r.memory.current ?? null, limit: r.memory.limit ?? null } : null,
  };
}

// runc's ps: the PIDs in the container's cgroup as the host sees them, as
// JSON; or a table with each one's command line.
function processesOf(store: StateStore, ref: string, format: string): number {
  const { state } = store.find(ref);
  const pids = state.cgroup ? openCgroup(state.cgroup.version, state.cgroup.paths).pids().sort((a, b) => a - b) : [];
  if (format === "json") {
    print(`${JSON.stringify(pids)}\n`);
    return 0;
  }
  print(formatTable(["PID", "CMD"], pids.map((pid) => [String(pid), commandLine(pid)])));
  return 0;
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ");
  } catch {
    return "";
  }
}

const mem = (m: Row["memory"]) => (m ? `${m.current === undefined ? "-" : humanSize(m.current)}/${m.limit === undefined ? "-" : humanSize(m.limit)}` : "");

export default defineCommand({
  meta: { name: "ps", description: "List containers (alias: list)" },
  args: toCittyArgs(psFlags, { name: "id", description: "With one container: list its processes (runc's ps)" }),
  run({ rawArgs }) {
    const { flags, positionals } = parseFlags(psFlags, rawArgs, "ps");
    const { log } = loggerFor(flags);
    const format = str(flags, "format") ?? (flags.json === true ? "json" : "table");
    if (format !== "table" && format !== "json") throw new SpecError("--format", `${JSON.stringify(format)} is not a format`, "use table or json");
    requireRoot("ps");
    const store = openStore(stateRoot(flags), dataRoot(flags), log);
    if (positionals.length) return processesOf(store, oneContainer(positionals, "ps"), format);
    const now = Date.now();
    const list = rows(store, flags.all === true);
    if (format === "json") {
      print(`${JSON.stringify(list.map((r) => toJson(r, now)), null, 2)}\n`);
      return 0;
    }
    const header = ["ID", "NAME", "PID", "STATUS", "CREATED", "COMMAND", "MEM"];
    print(
      formatTable(
        header,
        list.map((r) => [
          r.state.id.slice(0, 12),
          // An OCI caller's container, made by create: its bundle.
          r.state.kind === "oci" ? `(oci) ${r.state.bundle ?? ""}` : (r.state.name ?? ""),
          r.status.kind === "exited" ? "" : String(r.state.init?.pid ?? ""),
          describeStatus(r.status, r.state, now),
          `${humanDuration(now - Date.parse(r.state.created))} ago`,
          shortCommand(r.state.command),
          mem(r.memory),
        ]),
      ),
    );
    return 0;
  },
});
