// `contain pause` and `unpause`: docker's, through the cgroup freezer
// (linux/cgroups/freezer.ts). Whether a container is paused is read from its
// cgroup each time (status.ts), never recorded: a record could outlive the
// pause (someone thaws the cgroup by hand, the container ends).
import { ContainError } from "../errors.ts";
import { openCgroup, type Cgroup } from "../linux/cgroups/index.ts";
import { SIGKILL } from "../linux/process.ts";
import type { ContainerState, Found, StateStore } from "./state.ts";
import { label, statusOf } from "./status.ts";

const SIGTERM = 15;
// docker's exit code for a pause or unpause the container's state refuses.
const REFUSED = 1;

function cgroupOf(state: ContainerState): Cgroup | undefined {
  return state.cgroup && !state.released ? openCgroup(state.cgroup.version, state.cgroup.paths) : undefined;
}

export interface PauseOptions {
  // runc pauses a created container (its init waits for `start`) too;
  // docker pauses only a running one.
  created?: boolean;
}

export function pauseFound(store: StateStore, { state }: Found, opts: PauseOptions = {}): void {
  const kind = statusOf(store, state).kind;
  const cgroup = cgroupOf(state);
  // A freeze left half done (a pause killed in its loop) is finished, not refused.
  if (kind === "paused" && cgroup?.freezerState() === "frozen") throw new ContainError(`Container ${label(state)} is already paused`, `unpause it with contain unpause ${label(state)}`, REFUSED);
  if (!cgroup || !(kind === "running" || kind === "paused" || (kind === "created" && opts.created)))
    throw new ContainError(`Container ${label(state)} is not running`, "see 'contain ps -a'", REFUSED);
  try {
    cgroup.freeze();
  } catch (err) {
    // Ended meanwhile: its cgroup went with it.
    if (statusOf(store, state).kind === "exited") throw new ContainError(`Container ${label(state)} is not running`, "it exited just now", REFUSED, { cause: err });
    throw err;
  }
}

export function unpauseFound(store: StateStore, { state }: Found): void {
  const cgroup = cgroupOf(state);
  if (statusOf(store, state).kind !== "paused" || !cgroup) throw new ContainError(`Container ${label(state)} is not paused`, "see 'contain ps'", REFUSED);
  cgroup.thaw();
}

export function pauseContainer(store: StateStore, ref: string): Found {
  const found = store.find(ref);
  pauseFound(store, found, { created: found.state.kind === "oci" });
  return found;
}

export function unpauseContainer(store: StateStore, ref: string): Found {
  const found = store.find(ref);
  unpauseFound(store, found);
  return found;
}

// A signal to a frozen container waits for the thaw (on v1 even SIGKILL), so
// one meant to end it is followed by a thaw: docker's rule (moby's
// daemon/kill.go: the stop signal or SIGKILL, then resume). Any other signal
// stays pending until `unpause`.
export function thawToDeliver(state: ContainerState, signal: number): void {
  if (signal !== SIGKILL && signal !== SIGTERM) return;
  const cgroup = cgroupOf(state);
  if (cgroup && cgroup.freezerState() !== "thawed") cgroup.thaw();
}
