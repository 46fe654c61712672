// `contain ps`, docker's: the containers, their status as the kernel shows
// it, and their memory use against the limit; -q for the IDs alone, -a, -n,
// -l, --filter, --format (docker's templates, `table`, `json`) and --json
// (contain's own array). `contain ps [--format table|json] ID`: runc's, the
// processes of one container (containerd's shim calls it).
import { defineCommand } from "citty";
import { readFileSync } from "node:fs";
import { openCgroup } from "../linux/cgroups/index.ts";
import { memoryLimitOf } from "../plan/cgroup.ts";
import type { ContainerState, StateStore } from "../runtime/state.ts";
import { isLive, statusOf, type Status } from "../runtime/status.ts";
import { humanSize } from "../spec/units.ts";
import { ContainError, EXIT, SpecError } from "../errors.ts";
import { commonFlags, list as listOf, str, toCittyArgs, type FlagDefs } from "./args.ts";
import { sweptStore } from "./containers.ts";
import { commandLine, oneContainer } from "./context.ts";
import { matches, parseFilters, wantsStopped } from "./filters.ts";
import { exitCodeOf, print } from "./output.ts";
import { displayPorts, goTime, imageColumnOf, labelsOf, liveNetwork, portsOf } from "./docker-fields.ts";
import { formatTable, humanDuration, shortCommand } from "./table.ts";
import { parseFormat, renderItems, toJson } from "./template.ts";

export const psFlags = {
  all: { type: "boolean", alias: ["a"], description: "Show stopped containers too" },
  quiet: { type: "boolean", alias: ["q"], description: "Print the IDs only, one a line" },
  last: { type: "string", alias: ["n"], description: "Show the N last created containers, of every status", valueHint: "N" },
  latest: { type: "boolean", alias: ["l"], description: "Show the last created container, of any status" },
  "no-trunc": { type: "boolean", description: "Print full IDs and commands" },
  filter: { type: "string", alias: ["f"], repeat: true, description: "Only the containers that match: id=PREFIX, name=REGEX, status=STATUS, label=KEY[=VALUE], exited=CODE", valueHint: "KEY=VALUE" },
  format: { type: "string", description: "table, json (one object a line), or a template: 'table {{.ID}}\\t{{.Names}}' (with an ID, runc's: table or json)", valueHint: "FORMAT" },
  json: { type: "boolean", description: "Print contain's JSON: one array of objects" },
  root: commonFlags.root,
  "data-root": commonFlags["data-root"],
  debug: commonFlags.debug,
} satisfies FlagDefs;

export function describeStatus(status: Status, state: ContainerState, now: number): string {
  if (status.kind === "created") return "Created";
  const up = `Up ${humanDuration(now - Date.parse(state.started ?? state.created))}`;
  if (status.kind === "running") return up;
  if (status.kind === "paused") return `${up} (Paused)`;
  // docker's: the code of the exit it restarts from, and how long ago that was.
  if (status.kind === "restarting" && status.exit) return `Restarting (${exitCodeOf(status.exit.status)}) ${humanDuration(now - Date.parse(status.exit.finished))} ago`;
  if (!status.exit) return "Exited";
  return `Exited (${exitCodeOf(status.exit.status)}) ${humanDuration(now - Date.parse(status.exit.finished))} ago`;
}

export interface Row {
  state: ContainerState;
  status: Status;
  memory?: { current?: number; limit?: number };
}

// Newest first, as docker lists them.
export function rows(store: StateStore, all: boolean): Row[] {
  return store
    .list()
    .map(({ state }) => {
      const status = statusOf(store, state);
      const memory =
        isLive(status) && state.cgroup
          ? { current: openCgroup(state.cgroup.version, state.cgroup.paths).usage().memoryCurrent, limit: memoryLimitOf(state.spec?.linux.resources) }
          : undefined;
      return { state, status, memory };
    })
    .filter((r) => all || r.status.kind !== "exited")
    .sort((a, b) => Date.parse(b.state.created) - Date.parse(a.state.created));
}

function containJson(r: Row, now: number) {
  return {
    id: r.state.id,
    name: r.state.name ?? null,
    kind: r.state.kind ?? "container",
    image: r.state.spec?.contain?.image?.name ?? null,
    bundle: r.state.bundle ?? null,
    pid: !isLive(r.status) ? null : (r.state.init?.pid ?? null),
    status: r.status.kind,
    exitCode: r.status.exit ? exitCodeOf(r.status.exit.status) : null,
    statusText: describeStatus(r.status, r.state, now),
    created: r.state.created,
    started: r.state.started ?? null,
    finished: r.status.exit?.finished ?? null,
    command: r.state.command,
    memory: r.memory ? { current: r.memory.current ?? null, limit: r.memory.limit ?? null } : null,
    address: liveNetwork(r.state, r.status)?.address ?? null,
    ports: portsOf(r.state, r.status),
  };
}

// A row as docker's templates see it (its formatter.ContainerContext):
// every field a string.
function dockerRow(r: Row, now: number, noTrunc: boolean) {
  const labels = labelsOf(r.state);
  return {
    ID: noTrunc ? r.state.id : r.state.id.slice(0, 12),
    Names: r.state.name ?? "",
    Image: imageColumnOf(r.state),
    Command: noTrunc ? JSON.stringify(r.state.command.join(" ")) : shortCommand(r.state.command, 20),
    CreatedAt: goTime(new Date(r.state.created)),
    RunningFor: `${humanDuration(now - Date.parse(r.state.created))} ago`,
    Ports: displayPorts(portsOf(r.state, r.status)),
    State: r.status.kind,
    Status: describeStatus(r.status, r.state, now),
    Labels: Object.entries(labels)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}=${v}`)
      .join(","),
  };
}

// docker's column names, for `table` templates.
const HEADERS: Record<keyof ReturnType<typeof dockerRow>, string> = {
  ID: "CONTAINER ID",
  Names: "NAMES",
  Image: "IMAGE",
  Command: "COMMAND",
  CreatedAt: "CREATED AT",
  RunningFor: "CREATED",
  Ports: "PORTS",
  State: "STATE",
  Status: "STATUS",
  Labels: "LABELS",
};

// runc's ps: the PIDs in the container's cgroup as the host sees them, as
// JSON; or a table with each one's command line.
function processesOf(store: StateStore, ref: string, format: string | undefined): number {
  if (format !== undefined && format !== "table" && format !== "json")
    throw new SpecError("--format", `${JSON.stringify(format)} is not a format for one container's processes`, "use table or json");
  const { state } = store.find(ref);
  const pids = state.cgroup ? openCgroup(state.cgroup.version, state.cgroup.paths).pids().sort((a, b) => a - b) : [];
  if (format === "json") {
    print(`${JSON.stringify(pids)}\n`);
    return 0;
  }
  print(formatTable(["PID", "CMD"], pids.map((pid) => [String(pid), cmdlineOf(pid)])));
  return 0;
}

function cmdlineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ");
  } catch {
    return "";
  }
}

const mem = (m: Row["memory"]) => (m ? `${m.current === undefined ? "-" : humanSize(m.current)}/${m.limit === undefined ? "-" : humanSize(m.limit)}` : "");

function defaultTable(list: readonly Row[], now: number, noTrunc: boolean): string {
  // PORTS last, as it grows with each port, docker's text.
  const header = ["ID", "NAME", "PID", "STATUS", "CREATED", "COMMAND", "MEM", "PORTS"];
  return formatTable(
    header,
    list.map((r) => [
      noTrunc ? r.state.id : r.state.id.slice(0, 12),
      // An OCI caller's container, made by create: its bundle.
      r.state.kind === "oci" ? `(oci) ${r.state.bundle ?? ""}` : (r.state.name ?? ""),
      !isLive(r.status) ? "" : String(r.state.init?.pid ?? ""),
      describeStatus(r.status, r.state, now),
      `${humanDuration(now - Date.parse(r.state.created))} ago`,
      noTrunc ? JSON.stringify(r.state.command.join(" ")) : shortCommand(r.state.command),
      mem(r.memory),
      displayPorts(portsOf(r.state, r.status)),
    ]),
  );
}

// -n N: a whole number; -1 (docker's default) is every container.
function lastOf(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value) || Number(value) < -1) throw new ContainError(`--last: ${JSON.stringify(value)} is not a number of containers`, "e.g. -n 3", EXIT.failed);
  return Number(value);
}

export default defineCommand({
  meta: { name: "ps", description: "List containers (alias: list)" },
  args: toCittyArgs(psFlags, { name: "id", description: "With one container: list its processes (runc's ps)" }),
  run({ rawArgs }) {
    const c = commandLine(psFlags, rawArgs, "ps");
    const { flags, positionals } = c;
    const formatFlag = str(flags, "format");
    if (positionals.length) {
      return processesOf(sweptStore(c), oneContainer(positionals, "ps"), flags.json === true ? "json" : formatFlag);
    }
    // Everything the line asks is checked before the state is read.
    if (flags.json === true && formatFlag !== undefined) throw new ContainError("--json and --format: give one of them", "--json is contain's array; --format json is docker's, one object a line", EXIT.failed);
    const format = parseFormat(formatFlag);
    const filters = parseFilters(listOf(flags, "filter"));
    const last = flags.latest === true ? 1 : lastOf(str(flags, "last"));
    const noTrunc = flags["no-trunc"] === true;
    const store = sweptStore(c);
    const now = Date.now();
    // docker's -n: the last N created, of any status; -1 is every one.
    const all = flags.all === true || wantsStopped(filters) || (last !== undefined && last >= 0);
    let list = rows(store, all).filter((r) =>
      matches(filters, {
        id: r.state.id,
        name: r.state.name,
        status: r.status.kind,
        exitCode: r.status.exit ? exitCodeOf(r.status.exit.status) : undefined,
        labels: labelsOf(r.state),
      }),
    );
    if (last !== undefined && last >= 0) list = list.slice(0, last);
    if (flags.quiet === true) print(list.map((r) => `${noTrunc ? r.state.id : r.state.id.slice(0, 12)}\n`).join(""));
    else if (flags.json === true) print(`${JSON.stringify(list.map((r) => containJson(r, now)), null, 2)}\n`);
    else if (format.kind === "json") print(list.map((r) => `${toJson(dockerRow(r, now, noTrunc))}\n`).join(""));
    else if (format.kind === "template") print(renderItems(format, list.map((r) => dockerRow(r, now, noTrunc)), HEADERS));
    else print(defaultTable(list, now, noTrunc));
    return 0;
  },
});
