// `contain events [--stats] [--interval 5s] ID`: runc's. With --stats one
// stats event and done; without, a stats event every interval and an oom
// event whenever the container's memory cgroup counts another OOM kill,
// until the container stops. One JSON object a line, in runc's shape
// (runc's types/events.go), from what Cgroup.usage() reads.
import { defineCommand } from "citty";
import { ContainError, SpecError } from "../errors.ts";
import { openCgroup, type Usage } from "../linux/cgroups/index.ts";
import type { ContainerState, StateStore } from "../runtime/state.ts";
import { statusOf } from "../runtime/status.ts";
import { parseDuration } from "../spec/units.ts";
import { commonFlags, str, toCittyArgs, type FlagDefs } from "./args.ts";
import { sweptStore } from "./containers.ts";
import { namedContainer } from "./context.ts";
import { print } from "./output.ts";

export const eventsFlags = {
  stats: { type: "boolean", description: "Print the container's stats once, then exit" },
  interval: { type: "string", description: "How often a stats event comes (default 5s)", valueHint: "DURATION" },
  ...commonFlags,
} satisfies FlagDefs;

// How often the OOM kill count is read between stats events.
const OOM_POLL_MS = 100;
// cgroup v2's "max" as runc reports a limit: math.MaxUint64.
const MAX_UINT64 = 18446744073709551615n;

// Go's omitempty: the fields that are 0 or absent go.
function omitZero(fields: Record<string, number | undefined>): Record<string, number> {
  return Object.fromEntries(Object.entries(fields).filter((e): e is [string, number] => e[1] !== undefined && e[1] !== 0));
}

// runc's types.Stats, the parts the cgroups give: cpu (nanoseconds), memory
// (bytes) and pids.
export function runcStats(u: Usage): Record<string, unknown> {
  const cpu = u.cpu;
  const throttling = cpu ? omitZero({ periods: cpu.periods, throttledPeriods: cpu.throttledPeriods, throttledTime: cpu.throttledNs }) : {};
  return {
    cpu: cpu
      ? {
          usage: { ...omitZero({ total: cpu.totalNs }), ...(cpu.percpuNs?.length && { percpu: cpu.percpuNs }), kernel: cpu.kernelNs ?? 0, user: cpu.userNs ?? 0 },
          ...(Object.keys(throttling).length && { throttling }),
        }
      : {},
    memory:
      u.memoryCurrent === undefined
        ? {}
        : { usage: { limit: u.memoryLimit ?? MAX_UINT64, ...omitZero({ usage: u.memoryCurrent, max: u.memoryPeak }), failcnt: u.memoryFailcnt ?? 0 } },
    pids: omitZero({ current: u.pidsCurrent, limit: u.pidsLimit }),
  };
}

// One event a line. Integers past 2^53 (an unlimited v1 memory limit reads
// 9223372036854771712) and bigints are written digit for digit, as Go does.
export function eventLine(event: { type: string; id: string; data?: unknown }): string {
  const exact = (_: string, v: unknown) => (typeof v === "bigint" || (typeof v === "number" && Number.isInteger(v) && !Number.isSafeInteger(v)) ? `\u0000${BigInt(v)}` : v);
  return `${JSON.stringify(event, exact).replace(/"\\u0000(\d+)"/g, "$1")}\n`;
}

const stopped = (store: StateStore, state: ContainerState) => state.released === true || statusOf(store, state).kind === "exited";

export default defineCommand({
  meta: { name: "events", description: "Print a container's stats and OOM events as JSON lines until it stops (runc's events)" },
  args: toCittyArgs(eventsFlags, { name: "id", usage: "CONTAINER", description: "The container (an ID, or a name)", required: true }),
  async run({ rawArgs }) {
    const c = namedContainer(eventsFlags, rawArgs, "events");
    const { flags, ref } = c;
    const intervalMs = parseDuration("--interval", str(flags, "interval") ?? "5s");
    if (!(intervalMs > 0)) throw new SpecError("--interval", "duration interval must be greater than 0", "e.g. --interval 5s");
    const store = sweptStore(c);
    const state = store.read(ref) ?? store.find(ref).state;
    const { id } = state;
    if (!state.cgroup || stopped(store, state)) throw new ContainError(`container with id ${id} is not running`);
    const cgroup = openCgroup(state.cgroup.version, state.cgroup.paths);
    if (flags.stats === true) {
      print(eventLine({ type: "stats", id, data: runcStats(cgroup.usage()) }));
      return 0;
    }
    let ooms = cgroup.usage().oomKills;
    // An OOM kill the container's end follows is still told: the count is
    // read once more after it stops (its cgroup may be gone by then: 0).
    const oomsRose = () => {
      const now = cgroup.usage().oomKills;
      const rose = now > ooms;
      ooms = Math.max(ooms, now);
      return rose;
    };
    for (let next = performance.now() + intervalMs; ; ) {
      await Bun.sleep(Math.max(0, Math.min(OOM_POLL_MS, next - performance.now())));
      const done = stopped(store, state);
      if (oomsRose()) print(eventLine({ type: "oom", id }));
      if (done) return 0;
      if (performance.now() >= next) {
        print(eventLine({ type: "stats", id, data: runcStats(cgroup.usage()) }));
        next += intervalMs;
      }
    }
  },
});
