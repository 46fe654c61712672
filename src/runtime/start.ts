// `contain start`, docker's: a stopped detached container runs again, with
// its spec, name, ID and writable layer; what it held while it ran (cgroups,
// the address lease and its host ports, the monitor) is new. One path for
// the user's start and for a restart by the policy (reap.ts): the caller
// holds the container's lock, which the new monitor takes over.
import { ContainError } from "../errors.ts";
import type { CgroupLayout } from "../linux/cgroups/detect.ts";
import { cgroupPlace, openCgroup } from "../linux/cgroups/index.ts";
import { processStartTime } from "../linux/process.ts";
import type { Logger, Verbosity } from "../log.ts";
import { planFromSpec, type Plan } from "../plan/plan.ts";
import type { Spec } from "../spec/schema.ts";
import { imageLowers } from "./image-root.ts";
import { networkState } from "./bridge.ts";
import { releaseContainer } from "./release.ts";
import { startViaMonitor } from "./run.ts";
import { NOT_EXIST } from "./oci.ts";
import { containerOverlayDir, removeContainerFiles, type ContainerState, type Found, type StateStore } from "./state.ts";
import { isActive, label, statusOf, untilReleased } from "./status.ts";

export interface StartOptions {
  log: Logger;
  verbosity: Verbosity;
  cgroups?: CgroupLayout; // the host context's (detected without one)
  // A restart by the policy counts; the user's start begins the count anew.
  restartCount?: number;
  restartBackoffMs?: number;
  // The policy's start: a stop by the user that came meanwhile stays on
  // record (stop.ts waits for this start and stops it).
  keepUserStop?: boolean;
}

// The held lock: its fd goes to the new monitor; `release` lets go of this
// process's copy once the start is done, or failed.
export interface HeldLock {
  fd: number;
  release(): void;
}

// Starts the stopped container `state` (read under `lock`). Returns the
// init's host PID.
export async function startStopped(store: StateStore, state: ContainerState, lock: HeldLock, opts: StartOptions): Promise<number> {
  const { dataDir, networkRequest } = state;
  if (!state.detached || !state.spec || !dataDir || !networkRequest) {
    lock.release();
    throw new ContainError(`container ${label(state)} was run in the foreground or by an older contain: it cannot be started again`, "run a new one with contain run -d");
  }
  let plan: Plan;
  let spec: Spec;
  try {
    spec = rejoin(store, state.spec);
    plan = planFromSpec(spec, state.id, { dir: dataDir, overlayDir: containerOverlayDir(dataDir), lowers: imageLowers(spec, dataDir), cgroup: cgroupPlace(state.id, spec.linux.cgroupsPath, !!spec.linux.resources?.hugepageLimits?.length, opts.cgroups) }, networkRequest);
  } catch (err) {
    lock.release();
    throw err;
  }
  const cgroup = openCgroup(plan.cgroup.version, plan.cgroup.paths);
  const fresh: ContainerState = {
    ...state,
    spec,
    owner: { pid: process.pid, startTime: processStartTime(process.pid) ?? 0 },
    cgroup: { version: cgroup.version, paths: { ...cgroup.paths } },
    network: networkState(networkRequest, state.id),
    init: undefined,
    monitor: undefined,
    started: undefined,
    exit: undefined,
    released: undefined,
    restarting: undefined,
    restartCount: opts.restartCount ?? 0,
    restartBackoffMs: opts.restartBackoffMs,
  };
  using entry = store.reopen(fresh, lock, opts.keepUserStop === true);
  // A start that fails leaves the container as it was: exited, released.
  return startViaMonitor(plan, { log: opts.log, verbosity: opts.verbosity, store, spec, name: state.name }, entry, cgroup, () => store.write({ ...state, restarting: undefined }));
}

// --pid, --ipc, --net container:NAME: the namespaces of those containers as
// they run now (their inits, and so the /proc paths, are new at each start).
function rejoin(store: StateStore, spec: Spec): Spec {
  const joined = spec.contain?.joined;
  if (!joined) return spec;
  const paths = new Map<string, string>();
  for (const [type, id] of Object.entries(joined)) {
    const other = store.read(id);
    if (!other?.init || statusOf(store, other).kind !== "running")
      throw new ContainError(`container ${other ? label(other) : id.slice(0, 12)}, whose ${type} namespace this one shares, is not running`, other ? `start it first: contain start ${label(other)}` : "it was removed: run a new container");
    paths.set(type, `/proc/${other.init.pid}/ns/${type === "network" ? "net" : type}`);
  }
  return { ...spec, linux: { ...spec.linux, namespaces: spec.linux.namespaces.map((n) => (paths.has(n.type) ? { ...n, path: paths.get(n.type) } : n)) } };
}

// runc's words for an unknown container, which its callers (podman,
// containerd) match, since `start` is their command too.
function findToStart(store: StateStore, ref: string): Found {
  try {
    return store.find(ref);
  } catch (err) {
    if (err instanceof ContainError && err.message.startsWith("no such container")) throw new ContainError(`${NOT_EXIST}: ${ref}`, err.hint);
    throw err;
  }
}

// The user's start: a running (or restarting) container is left as it is,
// as docker's; a stopped one waits for its lock (a release under way, a cp
// of its layer) and starts.
export async function startContainer(store: StateStore, ref: string, opts: StartOptions): Promise<void> {
  const { state } = findToStart(store, ref);
  if (state.kind === "oci") throw new ContainError(`container ${label(state)} was made by create: start it with its ID, as runc's start`, `contain start ${state.id}`);
  if (isActive(statusOf(store, state))) return;
  const lock = await untilReleased(store, state.id, 10_000);
  if (lock === "gone") throw new ContainError(`no such container: ${ref}`, "it was removed just now");
  if (!lock) throw new ContainError(`container ${label(state)} is still being released`, "try again in a moment");
  // Read again under the lock: another start may have won the race for it.
  const current = store.read(state.id);
  if (!current || isActive(statusOf(store, current))) return lock.release();
  let stopped: ContainerState | undefined;
  try {
    // Released already, unless its monitor died unswept.
    stopped = current.released ? current : releaseContainer(current, store);
  } catch (err) {
    lock.release();
    throw err;
  }
  if (!stopped) {
    // A --rm container whose monitor died: what the sweep would do.
    removeContainerFiles(store.dir(current.id), current);
    lock.release();
    throw new ContainError(`no such container: ${ref}`, "it was run with --rm and has ended");
  }
  await startStopped(store, stopped, lock, opts);
}
