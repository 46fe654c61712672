// `contain stop`: SIGTERM to PID 1, SIGKILL after the grace period (docker's
// rule; a PID 1 without a handler ignores SIGTERM), then wait until the
// container's resources are released.
import { ContainError } from "../errors.ts";
import { isRunning, kill, SIGKILL } from "../linux/process.ts";
import type { Found, StateStore } from "./state.ts";
import { isActive, label, statusOf, untilReleased } from "./status.ts";

const SIGTERM = 15;
const RELEASE_TIMEOUT_MS = 10_000;

async function until(probe: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) return false;
    await Bun.sleep(10);
  }
  return true;
}

// Kills the container (PID 1 with `signal`, SIGKILL after graceMs) and waits
// for the release. A stopped one is left as it is.
export async function stopFound(store: StateStore, { state }: Found, graceMs: number, signal = SIGTERM): Promise<void> {
  const init = state.init;
  if (init && isActive(statusOf(store, state))) {
    kill(init.pid, signal);
    const gone = () => !isRunning(init.pid, init.startTime);
    // SIGKILL to a PID namespace's init kills every process in it.
    if (!(await until(gone, graceMs))) kill(init.pid, SIGKILL);
  }
  if (!(await untilReleased(store, state.id, RELEASE_TIMEOUT_MS)))
    throw new ContainError(`container ${label(state)} stopped, but its clean-up has not finished after ${RELEASE_TIMEOUT_MS / 1000}s`, "run 'contain prune' to release what is left");
}

export async function stopContainer(store: StateStore, ref: string, graceMs: number): Promise<Found> {
  const found = store.find(ref);
  await stopFound(store, found, graceMs);
  return found;
}
