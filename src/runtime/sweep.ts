// Every command starts by releasing what killed runtimes left behind: state
// entries whose owner no longer holds their lock.
import type { Logger } from "../log.ts";
import { releaseResources } from "./release.ts";
import { StateStore } from "./state.ts";

export function openStore(root: string, log: Logger): StateStore {
  const store = new StateStore(root);
  for (const id of store.sweep(releaseResources)) log.info(`removed the leftovers of container ${id.slice(0, 12)}`);
  return store;
}
