// Every command starts by releasing what killed runtimes left behind: state
// entries whose owner no longer holds their lock and that still hold
// resources.
import type { Logger } from "../log.ts";
import { releaseResources } from "./release.ts";
import { StateStore, type ContainerState } from "./state.ts";

// A container that never ran goes entirely. A detached one that ran keeps its
// record, as `ps -a` shows it: its monitor was killed, and the init with it
// (PR_SET_PDEATHSIG), unless the monitor had recorded the exit first.
function releaseLeftovers(state: ContainerState, store: StateStore): ContainerState | undefined {
  releaseResources(state);
  if (!state.detached || !state.started || state.autoRemove) return undefined;
  const exit = store.exitRecord(state.id) ?? { status: { exited: false, signal: 9, core: false }, finished: new Date().toISOString() };
  return { ...state, exit, released: true };
}

export function openStore(root: string, log: Logger): StateStore {
  const store = new StateStore(root);
  for (const id of store.sweep(releaseLeftovers)) log.info(`removed the leftovers of container ${id.slice(0, 12)}`);
  return store;
}
