// Releasing what a container holds, from what its state records. One path for
// a normal exit and for the leftovers of a runtime that was killed.
import { openCgroup } from "../linux/cgroups/index.ts";
import { isSameProcess, kill, SIGKILL } from "../linux/process.ts";
import { releaseNetwork } from "./bridge.ts";
import { removeContainerFiles, type ContainerState, type StateStore } from "./state.ts";
import { withOomKilled } from "./status.ts";

// Released, then what is left of the entry: a detached container that ran
// keeps its record, as `ps -a` shows it, with its exit (or, had its monitor
// died before recording one, a SIGKILL: the init died with the monitor,
// PR_SET_PDEATHSIG); anything else goes entirely (undefined).
export function releaseContainer(state: ContainerState, store: StateStore): ContainerState | undefined {
  const kept = state.detached && state.started && !state.autoRemove;
  if (!kept) {
    releaseResources(state);
    return undefined;
  }
  // state.exit: a release cut short after it was written.
  const recorded = state.exit ?? store.exitRecord(state.id) ?? { status: { exited: false, signal: SIGKILL, core: false }, finished: new Date().toISOString() };
  // An OOM kill on record before the cgroup that tells it goes, so that no
  // reader in between (inspect, ps) sees the exit without it. Without one
  // the exit file says all there is (a missing cgroup counts none), for a
  // reader as for the sweep of a release cut short: one write, not two.
  const exit = withOomKilled(recorded, state);
  if (exit.oomKilled) store.write({ ...state, exit });
  releaseResources(state);
  return { ...state, exit, released: true };
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

// For the holder of the lock of a container whose init has ended (the
// monitor's reap, or the stop it handed it to, handover.ts): its resources
// released, and what is left of its entry, the record that `ps -a` shows,
// or none.
export function releaseEnded(store: StateStore, id: string): ContainerState | undefined {
  const state = store.read(id);
  // A failed start: the CLI removed it already (run -d), or put it back
  // released as it was (start).
  if (!state || state.released) return undefined;
  const kept = releaseContainer(state, store);
  if (!kept) {
    removeContainerFiles(store.dir(id), state);
    return undefined;
  }
  store.write(kept);
  return kept;
}
