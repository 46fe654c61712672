// `contain kill`: a signal to the container's PID 1. A paused container is
// thawed after SIGKILL or SIGTERM (pause.ts), as docker does.
import { ContainError } from "../errors.ts";
import { kill } from "../linux/process.ts";
import { thawToDeliver } from "./pause.ts";
import type { Found, StateStore } from "./state.ts";
import { isActive, label, statusOf } from "./status.ts";

export function killContainer(store: StateStore, ref: string, signal: number): Found {
  const found = store.find(ref);
  const { state } = found;
  const status = statusOf(store, state);
  // docker's: a restarting container has no process to signal; stop it.
  if (status.kind === "restarting") throw new ContainError(`container ${label(state)} is restarting`, `wait until it runs, or stop it (contain stop ${label(state)})`);
  if (!state.init || !isActive(status)) throw new ContainError(`container ${label(state)} is not running`, `see 'contain ps -a'`);
  // The restart policy does not undo the user's kill (reap.ts).
  store.markStoppedByUser(state.id);
  kill(state.init.pid, signal);
  thawToDeliver(state, signal);
  return found;
}
