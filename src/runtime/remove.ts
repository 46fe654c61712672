// `contain rm`: the entry of a stopped container goes; with force, a running
// one is killed first. `prune`: every stopped one goes. Neither touches an
// OCI caller's container (made by create): only `delete` does.
import { ContainError } from "../errors.ts";
import { releaseResources } from "./release.ts";
import { removeContainerFiles, type Found, type StateStore } from "./state.ts";
import { isActive, label, statusOf, untilReleased } from "./status.ts";
import { stopFound } from "./stop.ts";

export async function removeFound(store: StateStore, found: Found, force: boolean): Promise<void> {
  const { state } = found;
  const status = statusOf(store, state);
  if (isActive(status)) {
    if (!force && status.kind === "paused")
      throw new ContainError(`container ${label(state)} is paused`, `unpause and stop it first (contain unpause ${label(state)}; contain stop ${label(state)}), or use contain rm -f`);
    if (!force && status.kind === "restarting") throw new ContainError(`container ${label(state)} is restarting`, `stop it first (contain stop ${label(state)}), or use contain rm -f`);
    if (!force) throw new ContainError(`container ${label(state)} is running`, `stop it first (contain stop ${label(state)}), or use contain rm -f`);
    // Its stop signal is in its spec, read for it.
    await stopFound(store, { ...found, state: store.read(state.id) ?? state }, 0);
  }
  // The monitor's clean-up, if it is still under way; then the lock is ours.
  const lock = await untilReleased(store, state.id, 10_000);
  if (lock === "gone") return; // its owner removed it (--rm, or a foreground run)
  if (!lock) throw new ContainError(`container ${label(state)} is still being cleaned up`, "try again in a moment");
  try {
    // Released already, unless its monitor died: releasing twice is harmless.
    const current = store.read(state.id, false);
    if (current && !current.released) releaseResources(current);
    removeContainerFiles(found.dir, current ?? state);
  } finally {
    lock.release();
  }
}

export async function removeContainer(store: StateStore, ref: string, force: boolean): Promise<Found> {
  // Without its spec, which only a stop reads (removeFound).
  const found = store.find(ref, false);
  // Its caller (podman, containerd) tracks it, and deletes it itself.
  if (found.state.kind === "oci") throw new ContainError(`container ${found.state.id} was made by create, for the program that made it`, `leave it to that program, or remove it with contain delete --force ${found.state.id}`);
  await removeFound(store, found, force);
  return found;
}

export async function pruneContainers(store: StateStore): Promise<Found[]> {
  const stopped = store.list().filter((c) => c.state.kind !== "oci" && !isActive(statusOf(store, c.state)));
  for (const c of stopped) await removeFound(store, c, false);
  return stopped;
}
