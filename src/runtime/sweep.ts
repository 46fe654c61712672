// Every command starts by releasing what killed runtimes left behind: state
// entries whose owner no longer holds their lock and that still hold
// resources.
import { resolve } from "node:path";
import { SpecError } from "../errors.ts";
import { isRunning, isSameProcess, kill, SIGKILL } from "../linux/process.ts";
import type { Logger } from "../log.ts";
import { releaseContainer } from "./release.ts";
import { DEFAULT_STATE_ROOT, StateStore } from "./state.ts";

// A detached start whose CLI died before it finished: the monitor holds the
// lock, and the init may even run the command already, but nobody was told.
// Killed, so its monitor releases it as a start that failed.
function killUnfinishedStarts(store: StateStore): void {
  for (const { state } of store.list()) {
    const { init, owner } = state;
    if (!state.detached || state.started || !init || isSameProcess(owner.pid, owner.startTime)) continue;
    // Read again now that the owner is known dead: it may have finished the
    // start and exited since the first read.
    if (store.read(state.id)?.started === undefined && isRunning(init.pid, init.startTime)) kill(init.pid, SIGKILL);
  }
}

// `root` is --root's value, made absolute: a container's directory is
// recorded where other runs read it from their own working directories (the
// lease of --net bridge names it, for the peers' /etc/hosts).
export function openStore(root: string, log: Logger): StateStore {
  if (root === "") throw new SpecError("--root", "the path is empty", `give the state directory (is a variable unset?), or leave --root out for ${DEFAULT_STATE_ROOT}`);
  const store = new StateStore(resolve(root));
  killUnfinishedStarts(store);
  for (const id of store.sweep(releaseContainer)) log.info(`removed the leftovers of container ${id.slice(0, 12)}`);
  return store;
}
