// Releasing what a container holds, from what its state records. One path for
// a normal exit and for the leftovers of a runtime that was killed.
import { openCgroup } from "../linux/cgroups/index.ts";
import { isSameProcess, kill, SIGKILL } from "../linux/process.ts";
import { releaseNetwork } from "./network.ts";
import type { ContainerState } from "./state.ts";

export function releaseResources(state: ContainerState): void {
  // The start time guards against killing an unrelated process that reused the pid.
  if (state.init && isSameProcess(state.init.pid, state.init.startTime)) kill(state.init.pid, SIGKILL);
  try {
    if (state.cgroup) openCgroup(state.cgroup.version, state.cgroup.paths).destroy();
  } finally {
    if (state.network) releaseNetwork(state.network, state.id);
  }
}
