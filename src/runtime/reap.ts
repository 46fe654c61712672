// `contain reap ROOT ID`: exec'd once by a detached container's monitor
// (ffi/monitor.c) after the init exited and the CLI that started it is done.
// It inherits the container's lock, so nobody else touches the entry until
// the resources are released and the exit is on record.
import { releaseContainer } from "./release.ts";
import { removeContainerFiles, StateStore } from "./state.ts";

export function reapContainer(root: string, id: string): void {
  const store = new StateStore(root);
  const state = store.read(id);
  // A failed start: the CLI removed it already (run -d), or put it back
  // released as it was (start).
  if (!state || state.released) return;
  const kept = releaseContainer(state, store);
  if (kept) store.write(kept);
  else removeContainerFiles(store.dir(id), state);
}
