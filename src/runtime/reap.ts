// `contain reap ROOT ID`: exec'd once by a detached container's monitor
// (ffi/monitor.c) after the init exited and the CLI that started it is done.
// It inherits the container's lock, so nobody else touches the entry until
// the resources are released and the exit is on record.
import { rmSync } from "node:fs";
import { releaseResources } from "./release.ts";
import { StateStore } from "./state.ts";

export function reapContainer(root: string, id: string): void {
  const store = new StateStore(root);
  const state = store.read(id);
  if (!state) return; // a failed start: the CLI removed it already
  releaseResources(state);
  if (!state.started || state.autoRemove) {
    rmSync(store.dir(id), { recursive: true, force: true });
    return;
  }
  const exit = store.exitRecord(id) ?? { status: { exited: false, signal: 9, core: false }, finished: new Date().toISOString() };
  store.write({ ...state, exit, released: true });
}
