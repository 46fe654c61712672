// `contain stop`: SIGTERM to PID 1, SIGKILL after the grace period (docker's
// rule; a PID 1 without a handler ignores SIGTERM). It returns once PID 1 is
// gone, as docker's does: the release of its resources (the monitor's
// clean-up, ~40 ms) goes on in the background, and `rm` waits for it.
import { ContainError } from "../errors.ts";
import { isRunning, kill, parseSignal, SIGKILL } from "../linux/process.ts";
import { thawToDeliver } from "./pause.ts";
import type { ContainerState, Found, StateStore } from "./state.ts";
import { isActive, label, statusOf } from "./status.ts";

const SIGTERM = 15;

async function until(probe: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) return false;
    await Bun.sleep(10);
  }
  return true;
}

const KILL_TIMEOUT_MS = 10_000;
const GRACE_MS = 10_000; // docker's default stop timeout

// What a stop sends first and how long it waits when its line does not say:
// the container's --stop-signal and --stop-timeout (docker's
// Config.StopSignal and StopTimeout), else SIGTERM and 10 s.
export function stopDefaults(state: ContainerState): { signal: number; graceMs: number } {
  const own = state.spec?.contain;
  const timeout = own?.stopTimeout;
  return { signal: (own?.stopSignal && parseSignal(own.stopSignal)) || SIGTERM, graceMs: timeout === undefined ? GRACE_MS : timeout * 1000 };
}

// Kills the container: PID 1 with `signal`, SIGKILL after graceMs (both the
// container's own, stopDefaults, where not given). A stopped one is left as
// it is; a paused one is thawed once signalled, so it can end.
export async function stopFound(store: StateStore, found: Found, graceMs?: number, signal?: number): Promise<void> {
  const own = stopDefaults(found.state);
  return stopWith(store, found, graceMs ?? own.graceMs, signal ?? own.signal);
}

async function stopWith(store: StateStore, found: Found, graceMs: number, signal: number): Promise<void> {
  // Before anything: the restart policy does not undo the user's stop (reap.ts).
  store.markStoppedByUser(found.state.id);
  if (statusOf(store, found.state).kind === "restarting") return stopRestart(store, found, graceMs, signal);
  const { state } = found;
  const init = state.init;
  if (!init || !isActive(statusOf(store, state))) return;
  kill(init.pid, signal);
  thawToDeliver(state, signal);
  const gone = () => !isRunning(init.pid, init.startTime);
  if (await until(gone, graceMs)) return;
  // SIGKILL to a PID namespace's init kills every process in it.
  kill(init.pid, SIGKILL);
  thawToDeliver(state, SIGKILL); // paused again meanwhile
  if (!(await until(gone, KILL_TIMEOUT_MS))) throw new ContainError(`PID 1 of the container (${init.pid}) survived SIGKILL`, "it may be stuck in the kernel (state D); see /proc/PID/stack");
}

export async function stopContainer(store: StateStore, ref: string, graceMs: number | undefined): Promise<Found> {
  const found = store.find(ref);
  await stopFound(store, found, graceMs);
  return found;
}

// A restarting container's reap sees the stop within 10 ms and lets go of
// the lock; one that was starting it already brings up a process, which
// is stopped as any.
async function stopRestart(store: StateStore, found: Found, graceMs: number, signal: number): Promise<void> {
  const deadline = Date.now() + KILL_TIMEOUT_MS;
  for (;;) {
    const lock = store.tryLock(found.state.id);
    if (lock) return lock.release();
    const state = store.read(found.state.id);
    if (!state) return;
    if (state.init && isRunning(state.init.pid, state.init.startTime)) return stopFound(store, { ...found, state }, graceMs, signal);
    if (Date.now() > deadline) throw new ContainError(`container ${label(state)} is still restarting`, "try again in a moment");
    await Bun.sleep(10);
  }
}
