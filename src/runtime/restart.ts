// `contain restart`: the stop path (SIGTERM, SIGKILL after the grace period),
// then the start path, docker's.
import { ContainError } from "../errors.ts";
import { startContainer, type StartOptions } from "./start.ts";
import type { StateStore } from "./state.ts";
import { label } from "./status.ts";
import { stopFound } from "./stop.ts";

export async function restartContainer(store: StateStore, ref: string, graceMs: number | undefined, opts: StartOptions): Promise<void> {
  const found = store.find(ref);
  if (found.state.kind === "oci") throw new ContainError(`container ${label(found.state)} was made by create, for the program that made it`, "restart it through that program (podman, containerd)");
  await stopFound(store, found, graceMs);
  await startContainer(store, found.state.id, opts);
}
