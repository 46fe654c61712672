// `contain wait`: blocks until the container has stopped; its exit status.
import { ContainError } from "../errors.ts";
import type { ExitStatus } from "../linux/process.ts";
import type { StateStore } from "./state.ts";
import { label, statusOf } from "./status.ts";

export async function waitContainer(store: StateStore, ref: string): Promise<ExitStatus> {
  const { state } = store.find(ref);
  for (;;) {
    const exit = store.exitRecord(state.id);
    if (exit) return exit.status;
    const current = store.read(state.id);
    if (!current) throw new ContainError(`container ${label(state)} was removed before its exit status could be read`, "a container run with --rm or in the foreground keeps no record");
    const status = statusOf(store, current);
    if (status.kind === "exited") {
      if (status.exit) return status.exit.status;
      if (current.released) throw new ContainError(`the exit status of container ${label(state)} is unknown`, "its monitor was killed");
    }
    await Bun.sleep(20);
  }
}
