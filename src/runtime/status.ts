// A container's status, derived from the kernel each time: the state file
// says which process is the init, /proc says whether it still runs, its
// cgroup's freezer whether it is paused (no file of ours records a pause, so
// none can go stale).
import { openCgroup } from "../linux/cgroups/index.ts";
import { isRunning } from "../linux/process.ts";
import type { FileLock } from "../linux/lock.ts";
import type { ContainerState, ExitRecord, StateStore } from "./state.ts";

export type StatusKind = "created" | "running" | "paused" | "restarting" | "exited";

export interface Status {
  kind: StatusKind;
  exit?: ExitRecord; // once exited, when known
}

// docker's OOMKilled: the kernel's OOM killer took a process of the
// container's cgroup, any one, not only PID 1, which may have lived on and
// exited with its own code. Read while the cgroup is there: its count goes
// with it.
export function withOomKilled(exit: ExitRecord, state: ContainerState): ExitRecord {
  if (exit.oomKilled !== undefined || !state.cgroup || state.released) return exit;
  return openCgroup(state.cgroup.version, state.cgroup.paths).oomKills() > 0 ? { ...exit, oomKilled: true } : exit;
}

export function statusOf(store: StateStore, state: ContainerState): Status {
  // Its reap (the monitor's pid, exec'd) waits out the back-off: a reap
  // that died left only the flag, and the container is exited.
  if (state.restarting && state.exit && state.monitor && isRunning(state.monitor.pid, state.monitor.startTime)) return { kind: "restarting", exit: state.exit };
  // Between the monitor's record and the release (reap.ts), the OOM kills
  // are still the cgroup's to tell.
  const recorded = state.exit ?? store.exitRecord(state.id);
  if (recorded) return { kind: "exited", exit: state.exit ? recorded : withOomKilled(recorded, state) };
  if (state.init && isRunning(state.init.pid, state.init.startTime)) {
    // A freeze under way counts as a pause: its tasks are stopping.
    if (state.cgroup && openCgroup(state.cgroup.version, state.cgroup.paths).freezerState() !== "thawed") return { kind: "paused" };
    return { kind: state.started ? "running" : "created" };
  }
  return { kind: state.init ? "exited" : "created" };
}

export const isActive = (s: Status) => s.kind !== "exited";

// Its processes and resources are there (a restarting one's are released).
export const isLive = (s: Status) => s.kind !== "exited" && s.kind !== "restarting";

// Waits until the container's owner has let go of it (the init is gone and
// its resources are released) and returns its lock, now the caller's; or
// "gone" when the entry went meanwhile; or null on timeout.
export async function untilReleased(store: StateStore, id: string, timeoutMs: number): Promise<FileLock | "gone" | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!store.read(id, false)) return "gone";
    const lock = store.tryLock(id);
    if (lock) return lock;
    if (Date.now() > deadline) return null;
    await Bun.sleep(10);
  }
}

export function label(state: ContainerState): string {
  return state.name ?? state.id.slice(0, 12);
}
