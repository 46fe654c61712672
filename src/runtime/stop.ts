// `contain stop`: SIGTERM to PID 1, SIGKILL after the grace period (docker's
// rule; a PID 1 without a handler ignores SIGTERM). It returns once PID 1 is
// gone, as docker's does, and a detached container released: its monitor
// hands it over (handover.ts), so `rm` finds nothing left to wait for.
import { ContainError } from "../errors.ts";
import { close, isRunning, kill, parseSignal, pidfdOpen, SIGKILL } from "../linux/process.ts";
import { waitReadable } from "../linux/unix-socket.ts";
import { askForRelease } from "./handover.ts";
import { thawToDeliver } from "./pause.ts";
import { releaseEnded } from "./release.ts";
import type { ContainerState, Found, StateStore } from "./state.ts";
import { isActive, label, statusOf } from "./status.ts";

const SIGTERM = 15;

const KILL_TIMEOUT_MS = 10_000;
const GRACE_MS = 10_000; // docker's default stop timeout
const HANDOVER_TIMEOUT_MS = 10_000; // the monitor waits for the CLI that started it

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
  const status = statusOf(store, found.state);
  if (status.kind === "restarting") return stopRestart(store, found, graceMs, signal);
  const { state } = found;
  const init = state.init;
  if (!init || !isActive(status)) return;
  // A pidfd turns readable the moment PID 1 has ended: no polling. Opened
  // by pid, then checked, so it is the container's init and not a reused pid.
  let pidfd: number;
  try {
    pidfd = pidfdOpen(init.pid);
  } catch (err) {
    if (!isRunning(init.pid, init.startTime)) return; // ended meanwhile (ESRCH)
    throw err;
  }
  try {
    if (!isRunning(init.pid, init.startTime)) return;
    // Asked before the signal, so the monitor has the request by the time
    // it records the end.
    using handover = askForRelease(found.dir);
    kill(init.pid, signal);
    thawToDeliver(state, signal);
    if (!waitReadable(pidfd, graceMs)) {
      // SIGKILL to a PID namespace's init kills every process in it.
      kill(init.pid, SIGKILL);
      thawToDeliver(state, SIGKILL); // paused again meanwhile
      if (!waitReadable(pidfd, KILL_TIMEOUT_MS)) throw new ContainError(`PID 1 of the container (${init.pid}) survived SIGKILL`, "it may be stuck in the kernel (state D); see /proc/PID/stack");
    }
    const lock = handover?.take(HANDOVER_TIMEOUT_MS);
    if (!lock) return;
    try {
      releaseEnded(store, state.id);
    } finally {
      lock.release();
    }
  } finally {
    close(pidfd);
  }
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
