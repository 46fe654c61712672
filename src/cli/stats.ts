// `contain stats [--no-stream] [--format F] [CONTAINER...]`: CPU %, memory,
// network and block I/O, and pids of each container, from its cgroup and its
// veth, refreshed every second as `docker stats` does.
import { defineCommand } from "citty";
import { readFileSync } from "node:fs";
import { openCgroup, type BlockIO } from "../linux/cgroups/index.ts";
import { isTerminal } from "../linux/pty.ts";
import { memoryLimitOf } from "../plan/cgroup.ts";
import type { ContainerState, StateStore } from "../runtime/state.ts";
import { statusOf } from "../runtime/status.ts";
import { humanSize } from "../spec/units.ts";
import { commonFlags, str, toCittyArgs, type FlagDefs } from "./args.ts";
import { sweptStore } from "./containers.ts";
import { commandLine } from "./context.ts";
import { print } from "./output.ts";
import { formatTable, siSize } from "./table.ts";
import { parseFormat, renderItems, toJson } from "./template.ts";

export const statsFlags = {
  stream: { type: "boolean", description: "Refresh every second (the default)", negativeDescription: "Print one sample and exit" },
  format: { type: "string", description: "table, json (one object a line), or a template: 'table {{.Name}}\\t{{.CPUPerc}}'", valueHint: "FORMAT" },
  root: commonFlags.root,
  "data-root": commonFlags["data-root"],
  debug: commonFlags.debug,
} satisfies FlagDefs;

const INTERVAL_MS = 1000;
// --no-stream still needs two samples for a CPU rate.
const ONE_SHOT_MS = 500;

interface Sample {
  at: number; // ms
  cpuUsec?: number;
  memory?: number;
  pids?: number;
  net?: { rx: number; tx: number }; // as the container sees it
  block?: BlockIO;
}

// The host end of the container's veth: what it receives, the container
// sent. --net none and host have no such counters of their own.
export function netOf(state: ContainerState, read = (path: string) => readFileSync(path, "utf8")): Sample["net"] {
  if (!state.network) return undefined;
  try {
    const stat = (name: string) => Number(read(`/sys/class/net/${state.network?.veth}/statistics/${name}`).trim());
    return { rx: stat("tx_bytes"), tx: stat("rx_bytes") };
  } catch {
    return undefined; // gone with a container that just stopped
  }
}

function sample(state: ContainerState): Sample {
  const u = state.cgroup ? openCgroup(state.cgroup.version, state.cgroup.paths).usage() : undefined;
  return { at: performance.now(), cpuUsec: u?.cpuUsec, memory: u?.memoryCurrent, pids: u?.pidsCurrent, net: netOf(state), block: u?.blockIO };
}

function running(store: StateStore, refs: readonly string[]): ContainerState[] {
  const chosen = refs.length ? refs.map((r) => store.find(r).state) : store.list().map((c) => c.state);
  // A paused one too, as docker shows it (at 0% CPU).
  return chosen.filter((s) => ["running", "paused"].includes(statusOf(store, s).kind));
}

// A row as docker's templates see it (formatter.StatsEntry): strings.
function entry(s: ContainerState, a: Sample | undefined, b: Sample | undefined) {
  const cpu = a?.cpuUsec !== undefined && b?.cpuUsec !== undefined && b.at > a.at ? `${(((b.cpuUsec - a.cpuUsec) / 1000 / (b.at - a.at)) * 100).toFixed(2)}%` : "-";
  const limit = memoryLimitOf(s.spec?.linux.resources);
  const used = b?.memory;
  const pair = (x: { read: number; write: number } | undefined) => (x ? `${siSize(x.read)} / ${siSize(x.write)}` : "-");
  return {
    ID: s.id.slice(0, 12),
    Name: s.name ?? "",
    CPUPerc: cpu,
    MemUsage: `${used === undefined ? "-" : humanSize(used)} / ${limit === undefined ? "-" : humanSize(limit)}`,
    MemPerc: used !== undefined && limit ? `${((used / limit) * 100).toFixed(2)}%` : "-",
    NetIO: pair(b?.net && { read: b.net.rx, write: b.net.tx }),
    BlockIO: pair(b?.block),
    PIDs: String(b?.pids ?? "-"),
  };
}

type Entry = ReturnType<typeof entry>;

// docker's column names, for `table` templates.
const HEADERS: Record<keyof Entry, string> = {
  ID: "CONTAINER ID",
  Name: "NAME",
  CPUPerc: "CPU %",
  MemUsage: "MEM USAGE / LIMIT",
  MemPerc: "MEM %",
  NetIO: "NET I/O",
  BlockIO: "BLOCK I/O",
  PIDs: "PIDS",
};

export default defineCommand({
  meta: { name: "stats", description: "Show live CPU, memory, network and block I/O, and pids of running containers" },
  args: toCittyArgs(statsFlags, { name: "container", usage: "CONTAINER...", description: "The containers (names or IDs; default: all running)" }),
  async run({ rawArgs }) {
    const c = commandLine(statsFlags, rawArgs, "stats");
    const { flags, positionals } = c;
    const format = parseFormat(str(flags, "format"));
    const store = sweptStore(c);
    const stream = flags.stream !== false;
    const render = (entries: Entry[]) => {
      if (format.kind === "json") return entries.map((e) => `${toJson(e)}\n`).join("");
      if (format.kind === "template") return renderItems(format, entries, HEADERS);
      return formatTable(
        ["ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "NET I/O", "BLOCK I/O", "PIDS"],
        entries.map((e) => [e.ID, e.Name, e.CPUPerc, e.MemUsage, e.MemPerc, e.NetIO, e.BlockIO, e.PIDs]),
      );
    };
    const clear = stream && isTerminal(1) ? "\x1b[2J\x1b[H" : "";
    let states = running(store, positionals);
    let before = new Map(states.map((s) => [s.id, sample(s)]));
    for (;;) {
      await Bun.sleep(stream ? INTERVAL_MS : ONE_SHOT_MS);
      const after = new Map(states.map((s) => [s.id, sample(s)]));
      print(clear + render(states.map((s) => entry(s, before.get(s.id), after.get(s.id)))));
      if (!stream) return 0;
      // Containers come and go between refreshes.
      states = running(store, positionals);
      before = new Map(states.map((s) => [s.id, after.get(s.id) ?? sample(s)]));
    }
  },
});
