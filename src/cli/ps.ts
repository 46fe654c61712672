// `contain ps [-a] [--json]` (alias `contain list`): the containers, their
// status as the kernel shows it, and their memory use against the limit.
import { defineCommand } from "citty";
import { openCgroup } from "../linux/cgroups/index.ts";
import { requireRoot } from "../runtime/prepare.ts";
import type { ContainerState, StateStore } from "../runtime/state.ts";
import { statusOf, type Status } from "../runtime/status.ts";
import { openStore } from "../runtime/sweep.ts";
import { humanSize } from "../spec/units.ts";
import { commonFlags, parseFlags, toCittyArgs, type FlagDefs } from "./args.ts";
import { dataRoot, exitCodeOf, loggerFor, print, stateRoot } from "./output.ts";
import { formatTable, humanDuration, shortCommand } from "./table.ts";

export const psFlags = {
  all: { type: "boolean", alias: ["a"], description: "Show stopped containers too" },
  json: { type: "boolean", description: "Print JSON: one array of objects" },
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
          ? { current: openCgroup(state.cgroup.version, state.cgroup.paths).usage().memoryCurrent, limit: state.spec?.linux.resources.memory?.limit }
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

const mem = (m: Row["memory"]) => (m ? `${m.current === undefined ? "-" : humanSize(m.current)}/${m.limit === undefined ? "-" : humanSize(m.limit)}` : "");

export default defineCommand({
  meta: { name: "ps", description: "List containers (alias: list)" },
  args: toCittyArgs(psFlags),
  run({ rawArgs }) {
    const { flags } = parseFlags(psFlags, rawArgs, "ps");
    const { log } = loggerFor(flags);
    requireRoot("ps");
    const store = openStore(stateRoot(flags), dataRoot(flags), log);
    const now = Date.now();
    const list = rows(store, flags.all === true);
    if (flags.json === true) {
      print(`${JSON.stringify(list.map((r) => toJson(r, now)), null, 2)}\n`);
      return 0;
    }
    const header = ["ID", "NAME", "PID", "STATUS", "CREATED", "COMMAND", "MEM"];
    print(
      formatTable(
        header,
        list.map((r) => [
          r.state.id.slice(0, 12),
          r.state.name ?? "",
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
