// `contain stats [--no-stream] [CONTAINER...]`: memory, CPU % and pids from
// each container's cgroup, refreshed every second as `docker stats` does.
import { defineCommand } from "citty";
import { openCgroup } from "../linux/cgroups/index.ts";
import { isTerminal } from "../linux/pty.ts";
import { memoryLimitOf } from "../plan/cgroup.ts";
import { requireRoot } from "../runtime/prepare.ts";
import type { ContainerState, StateStore } from "../runtime/state.ts";
import { statusOf } from "../runtime/status.ts";
import { openStore } from "../runtime/sweep.ts";
import { humanSize } from "../spec/units.ts";
import { commonFlags, parseFlags, toCittyArgs, type FlagDefs } from "./args.ts";
import { dataRoot, loggerFor, print, stateRoot } from "./output.ts";
import { formatTable } from "./table.ts";

export const statsFlags = {
  stream: { type: "boolean", description: "Refresh every second (default; --no-stream prints once)" },
  ...commonFlags,
} satisfies FlagDefs;

const INTERVAL_MS = 1000;
// --no-stream still needs two samples for a CPU rate.
const ONE_SHOT_MS = 500;

interface Sample {
  at: number; // ms
  cpuUsec?: number;
  memory?: number;
  pids?: number;
}

function sample(state: ContainerState): Sample {
  const u = state.cgroup ? openCgroup(state.cgroup.version, state.cgroup.paths).usage() : undefined;
  return { at: performance.now(), cpuUsec: u?.cpuUsec, memory: u?.memoryCurrent, pids: u?.pidsCurrent };
}

function running(store: StateStore, refs: readonly string[]): ContainerState[] {
  const chosen = refs.length ? refs.map((r) => store.find(r).state) : store.list().map((c) => c.state);
  // A paused one too, as docker shows it (at 0% CPU).
  return chosen.filter((s) => ["running", "paused"].includes(statusOf(store, s).kind));
}

function render(states: readonly ContainerState[], before: Map<string, Sample>, after: Map<string, Sample>): string {
  const rows = states.map((s) => {
    const a = before.get(s.id);
    const b = after.get(s.id);
    const cpu =
      a?.cpuUsec !== undefined && b?.cpuUsec !== undefined && b.at > a.at ? `${(((b.cpuUsec - a.cpuUsec) / 1000 / (b.at - a.at)) * 100).toFixed(2)}%` : "-";
    const limit = memoryLimitOf(s.spec?.linux.resources);
    const used = b?.memory;
    const memPct = used !== undefined && limit ? `${((used / limit) * 100).toFixed(2)}%` : "-";
    return [s.id.slice(0, 12), s.name ?? "", cpu, `${used === undefined ? "-" : humanSize(used)} / ${limit === undefined ? "-" : humanSize(limit)}`, memPct, String(b?.pids ?? "-")];
  });
  return formatTable(["ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "PIDS"], rows);
}

export default defineCommand({
  meta: { name: "stats", description: "Show live CPU, memory and pids of running containers" },
  args: toCittyArgs(statsFlags, { name: "container", description: "The containers (names or IDs; default: all running)" }),
  async run({ rawArgs }) {
    const { flags, positionals } = parseFlags(statsFlags, rawArgs, "stats");
    const { log } = loggerFor(flags);
    requireRoot("stats");
    const store = openStore(stateRoot(flags), dataRoot(flags), log);
    const stream = flags.stream !== false;
    const clear = stream && isTerminal(1) ? "\x1b[2J\x1b[H" : "";
    let states = running(store, positionals);
    let before = new Map(states.map((s) => [s.id, sample(s)]));
    for (;;) {
      await Bun.sleep(stream ? INTERVAL_MS : ONE_SHOT_MS);
      const after = new Map(states.map((s) => [s.id, sample(s)]));
      print(clear + render(states, before, after));
      if (!stream) return 0;
      // Containers come and go between refreshes.
      states = running(store, positionals);
      before = new Map(states.map((s) => [s.id, after.get(s.id) ?? sample(s)]));
    }
  },
});
