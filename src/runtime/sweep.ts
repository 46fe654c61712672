// Every command starts by releasing what killed runtimes left behind: state
// entries whose owner no longer holds their lock and that still hold
// resources, and in the data root the unpacks they did not finish. Only its
// own roots: another --root's entries and another --data-root's files are
// theirs to sweep.
import { rmSync } from "node:fs";
import { isRunning, isSameProcess, kill, SIGKILL } from "../linux/process.ts";
import type { Logger } from "../log.ts";
import { unpacksIn } from "./image.ts";
import { releaseContainer } from "./release.ts";
import { StateStore, sweepDataDirs, type Found } from "./state.ts";

// A detached start whose CLI died before it finished: the monitor holds the
// lock, and the init may even run the command already, but nobody was told.
// Killed, so its monitor releases it as a start that failed.
function killUnfinishedStarts(store: StateStore, listed: readonly Found[]): void {
  for (const { state: listedState } of listed) {
    const { owner } = listedState;
    if (!listedState.detached || listedState.started || isSameProcess(owner.pid, owner.startTime)) continue;
    // Read again, whole, now that the owner is known dead: it may have
    // finished the start and exited since the first read.
    const state = store.read(listedState.id);
    const init = state?.init;
    if (state && state.started === undefined && init && isRunning(init.pid, init.startTime)) kill(init.pid, SIGKILL);
  }
}

export function openStore(root: string, dataRoot: string, log: Logger): StateStore {
  const store = new StateStore(root);
  // Each entry read once, for both (and for the first find's names),
  // without its spec, which neither needs.
  const listed = store.listWithoutSpecs();
  killUnfinishedStarts(store, listed);
  const failed = (id: string, err: unknown) => log.warn(`cannot release the leftovers of container ${id.slice(0, 12)} now: ${err instanceof Error ? err.message : String(err)}`);
  for (const id of store.sweep(releaseContainer, failed, listed)) log.info(`removed the leftovers of container ${id.slice(0, 12)}`);
  for (const unpack of unpacksIn(dataRoot)) {
    if (isSameProcess(unpack.pid, unpack.startTime)) continue;
    rmSync(unpack.path, { recursive: true, force: true });
    log.info(`removed an unfinished unpack of the default rootfs: ${unpack.path}`);
  }
  const inUse = new Set(listed.flatMap((c) => (c.state.dataDir === undefined ? [] : [c.state.dataDir])));
  for (const dir of sweepDataDirs(dataRoot, inUse)) log.info(`removed the files of a container that is gone: ${dir}`);
  return store;
}
