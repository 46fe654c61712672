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
  if (!state.init || !isActive(statusOf(store, state)))
    throw new ContainError(`container ${label(state)} is not running`, `see 'contain ps -a'`);
  kill(state.init.pid, signal);
  thawToDeliver(state, signal);
  return found;
}
