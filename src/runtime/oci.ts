// runc's lifecycle of an OCI container after `create` (run.ts): start,
// state, kill, delete. The container is its caller's (podman, containerd):
// no contain process stays with it, so everything here is derived from the
// kernel (the init's pid and start time, the cgroup) and the state file.
import { rmSync } from "node:fs";
import { ContainError } from "../errors.ts";
import { openCgroup } from "../linux/cgroups/index.ts";
import { openGate } from "../linux/fifo.ts";
import { runHooks } from "../linux/hooks.ts";
import type { Logger } from "../log.ts";
import { OCI_VERSION_MAX } from "../spec/version.ts";
import { isRunning, SIGKILL, signalProcess } from "../linux/process.ts";
import { thawToDeliver } from "./pause.ts";
import { releaseResources } from "./release.ts";
import { EXEC_FIFO, removeContainerFiles, type ContainerState, type Found, type StateStore } from "./state.ts";
import { statusOf } from "./status.ts";

export type OciStatus = "creating" | "created" | "running" | "paused" | "stopped";

// runtime.md's state of a container.
export interface OciState {
  ociVersion: string;
  id: string;
  pid: number;
  status: OciStatus;
  bundle: string;
  rootfs: string;
  created: string;
  owner: string;
  annotations?: Record<string, string>;
}

// runc's messages, which callers match (containerd's shim, podman).
export const NOT_EXIST = "container does not exist";

export function ociStatus(store: StateStore, state: ContainerState): OciStatus {
  if (state.kind === "oci" && !state.handedOver) return "creating";
  const kind = statusOf(store, state).kind;
  // A restarting container (run -d's, not the OCI caller's) is stopped now.
  return kind === "exited" || kind === "restarting" ? "stopped" : kind;
}

export function ociState(store: StateStore, state: ContainerState): OciState {
  const status = ociStatus(store, state);
  return { ...stateOf(state), status, pid: status === "stopped" || !state.init ? 0 : state.init.pid };
}

function stateOf(state: ContainerState): Omit<OciState, "status" | "pid"> {
  return {
    ociVersion: OCI_VERSION_MAX,
    id: state.id,
    bundle: state.bundle ?? "",
    rootfs: state.rootfs,
    created: state.created,
    owner: "",
    ...(state.spec?.annotations && { annotations: state.spec.annotations }),
  };
}

// An OCI caller names its containers by their full ID.
export function findOci(store: StateStore, id: string): Found {
  const state = store.read(id);
  if (!state) throw new ContainError(`${NOT_EXIST}: ${id}`);
  return { dir: store.dir(id), state };
}

// Releases the process waiting at the exec fifo, which then execs.
export function startContainer(store: StateStore, id: string, log: Logger): void {
  const { dir, state } = findOci(store, id);
  const status = ociStatus(store, state);
  if (status === "stopped") throw new ContainError("cannot start a container that has stopped");
  if (status !== "created") throw new ContainError(status === "running" ? "cannot start an already running container" : `cannot start a container in the ${status} state`);
  let opened: boolean;
  try {
    opened = openGate(`${dir}/${EXEC_FIFO}`);
  } catch {
    throw new ContainError("cannot start an already running container");
  }
  if (!opened) throw new ContainError("cannot start a container that has stopped");
  rmSync(`${dir}/${EXEC_FIFO}`, { force: true });
  state.started = new Date().toISOString();
  store.write(state);
  poststart(store, state, log);
}

// The hooks after the command started, and after the container is gone:
// their failures are warnings (config.md). No-ops for contain's own containers.
export function poststart(store: StateStore, state: ContainerState, log: Logger): void {
  if (state.kind === "oci") runHooks(state.spec?.hooks?.poststart, "poststart", ociState(store, state), log);
}

export function poststop(state: ContainerState, log: Logger): void {
  if (state.kind === "oci") runHooks(state.spec?.hooks?.poststop, "poststop", { ...stateOf(state), pid: 0, status: "stopped" }, log);
}

// runc's kill: the init, or with `all` every process of the container's
// cgroup (which still reaches what is left once the init is gone).
export function killOci(store: StateStore, id: string, signal: number, all: boolean): void {
  const { state } = findOci(store, id);
  const running = state.init !== undefined && ociStatus(store, state) !== "stopped";
  if (all && state.cgroup) openCgroup(state.cgroup.version, state.cgroup.paths).killAll(signal);
  else if (!running || !state.init || !signalProcess(state.init, signal)) throw new ContainError("container not running: cannot kill a stopped container");
  thawToDeliver(state, signal);
}

// runc's delete: a stopped (or only created) container's cgroups and state
// go; a running one only with force, killed first. The container's mounts
// went with its mount namespace when its last process died.
export async function deleteOci(store: StateStore, id: string, force: boolean, log: Logger): Promise<void> {
  const state = store.read(id);
  if (!state) {
    // runc: with --force, a container that is not there is deleted already.
    if (force) return;
    throw new ContainError(`${NOT_EXIST}: ${id}`);
  }
  const lock = store.tryLock(id);
  if (!lock) throw new ContainError(`container ${id} is being created or deleted by another process`, "try again in a moment");
  try {
    const status = ociStatus(store, state);
    if ((status === "running" || status === "paused") && !force) throw new ContainError(`cannot delete container ${id} that is not stopped: ${status}`, "stop it first, or use delete --force");
    await stopEverything(state);
    releaseResources(state);
    removeContainerFiles(store.dir(id), state);
  } finally {
    lock.release();
  }
  poststop(state, log);
}

// Every process of the container killed, and the init seen gone (a zombie
// its parent has yet to reap counts as gone: its cgroup can be removed).
async function stopEverything(state: ContainerState): Promise<void> {
  if (state.cgroup) openCgroup(state.cgroup.version, state.cgroup.paths).killAll(SIGKILL);
  const init = state.init;
  if (!init) return;
  signalProcess(init, SIGKILL);
  for (let i = 0; i < 1000 && isRunning(init.pid, init.startTime); i++) await Bun.sleep(2);
}
