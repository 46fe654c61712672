// Releasing what a container holds, from what its state records. One path for
// a normal exit and for the leftovers of a runtime that was killed.
import { openCgroup } from "../linux/cgroups/index.ts";
import { isSameProcess, kill, SIGKILL } from "../linux/process.ts";
import { releaseNetwork } from "./network.ts";
import type { ContainerState, StateStore } from "./state.ts";

// Released, then what is left of the entry: a detached container that ran
// keeps its record, as `ps -a` shows it, with its exit (or, had its monitor
// died before recording one, a SIGKILL: the init died with the monitor,
// PR_SET_PDEATHSIG); anything else goes entirely (undefined).
export function releaseContainer(state: ContainerState, store: StateStore): ContainerState | undefined {
  const kept = state.detached && state.started && !state.autoRemove;
  // Read before the cgroup goes: docker's OOMKilled, for inspect.
  const ooms = kept && state.cgroup ? openCgroup(state.cgroup.version, state.cgroup.paths).usage().oomKills : 0;
  releaseResources(state);
  if (!kept) return undefined;
  const exit = store.exitRecord(state.id) ?? { status: { exited: false, signal: SIGKILL, core: false }, finished: new Date().toISOString() };
  const oomKilled = !exit.status.exited && exit.status.signal === SIGKILL && ooms > 0;
  return { ...state, exit: oomKilled ? { ...exit, oomKilled } : exit, released: true };
}

export function releaseResources(state: ContainerState): void {
  // The start time guards against killing an unrelated process that reused the pid.
  if (state.init && isSameProcess(state.init.pid, state.init.startTime)) kill(state.init.pid, SIGKILL);
  try {
    if (state.cgroup) openCgroup(state.cgroup.version, state.cgroup.paths).destroy();
  } finally {
    if (state.network) releaseNetwork(state.network, state.id);
  }
}
