// `contain reap ROOT ID LOCK_FD`: exec'd once by a detached container's
// monitor (ffi/monitor.c) after the init exited and the CLI that started it
// is done, unless a stop asked for the container (handover.ts), which then
// releases it itself. It inherits the container's lock (LOCK_FD), so nobody
// else touches the entry until the resources are released and the exit is
// on record.
//
// A restart by the policy (--restart) is driven from here: with the lock
// still held, the reap waits out the back-off (the state says restarting),
// looking every 10 ms for a stop by the user, then starts the container
// again through start's own path (start.ts), whose new monitor inherits the
// lock; this process then lets go of its copy and exits. So at every moment
// one process holds the lock: monitor, reap, the next monitor.
import { closeSync } from "node:fs";
import { createLogger } from "../log.ts";
import { nextBackoff, shouldRestart } from "../spec/restart.ts";
import { releaseEnded } from "./release.ts";
import { startStopped } from "./start.ts";
import { StateStore, type ContainerState } from "./state.ts";

export async function reapContainer(root: string, id: string, lockFd: number): Promise<void> {
  const store = new StateStore(root);
  const kept = releaseEnded(store, id);
  if (kept) await restartByPolicy(store, kept, lockFd);
}

const POLL_MS = 10;

async function restartByPolicy(store: StateStore, state: ContainerState, lockFd: number): Promise<void> {
  const { exit, started } = state;
  if (!exit || !started) return;
  const code = exit.status.exited ? exit.status.code : 128 + exit.status.signal;
  const count = state.restartCount ?? 0;
  if (!shouldRestart(state.restartPolicy, code, count, store.stoppedByUser(state.id))) return;
  const waitMs = nextBackoff(state.restartBackoffMs, Date.parse(exit.finished) - Date.parse(started));
  store.write({ ...state, restarting: true });
  const until = Date.now() + waitMs;
  for (;;) {
    // Once more after the wait: a stop that came during it is not undone.
    if (store.stoppedByUser(state.id)) return store.write(state);
    const left = until - Date.now();
    if (left <= 0) break;
    await Bun.sleep(Math.min(POLL_MS, left));
  }
  // The reap's stderr is /dev/null: a failed restart leaves the container
  // exited, as it was (start.ts).
  await startStopped(store, state, { fd: lockFd, release: () => closeSync(lockFd) }, { log: createLogger("quiet"), verbosity: "quiet", restartCount: count + 1, restartBackoffMs: waitMs, keepUserStop: true });
}

