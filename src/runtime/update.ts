// `contain update`: runc's (and docker's) new limits for a container that
// runs, written to its cgroups through the same Cgroup.apply as at its start,
// then recorded in its state, so inspect and stats show them.
import { ContainError } from "../errors.ts";
import { openCgroup } from "../linux/cgroups/index.ts";
import { FileLock } from "../linux/lock.ts";
import type { Logger } from "../log.ts";
import type { Resources } from "../plan/cgroup.ts";
import type { Found, StateStore } from "./state.ts";
import { statusOf } from "./status.ts";

// The change over what the container has: each field given replaces its
// own, hugepageLimits by page size and unified by file. Quota and period
// apart keep the other one, as runc keeps them. A memory limit given alone
// keeps "no swap" (swap equal to the limit, what contain run sets) true.
export function mergeResources(now: Resources, change: Resources): Resources {
  const merged: Resources = { ...now };
  if (change.memory) {
    const memory = { ...now.memory, ...change.memory };
    const noSwap = now.memory?.swap !== undefined && now.memory.swap === now.memory.limit;
    if (change.memory.limit !== undefined && change.memory.swap === undefined && noSwap) memory.swap = change.memory.limit;
    merged.memory = memory;
  }
  if (change.cpu) merged.cpu = { ...now.cpu, ...change.cpu };
  if (change.pids) merged.pids = change.pids;
  if (change.hugepageLimits) {
    const bySize = new Map((now.hugepageLimits ?? []).map((h) => [h.pageSize, h]));
    for (const h of change.hugepageLimits) bySize.set(h.pageSize, h);
    merged.hugepageLimits = [...bySize.values()];
  }
  if (change.unified) merged.unified = { ...now.unified, ...change.unified };
  return merged;
}

// Looks the container up as runc's callers name it (the full ID) or as
// contain's do (a name, an ID prefix).
function findAny(store: StateStore, ref: string): Found {
  const state = store.read(ref);
  return state ? { dir: store.dir(ref), state } : store.find(ref);
}

export function updateContainer(store: StateStore, ref: string, change: Resources, log: Logger): void {
  const { dir, state } = findAny(store, ref);
  // One update at a time: the state directory itself is the lock (the
  // container's owner holds its `lock` file for as long as it lives).
  let lock: FileLock | null;
  try {
    lock = FileLock.acquire(dir, true, true);
  } catch {
    throw new ContainError(`container does not exist: ${ref}`);
  }
  try {
    if (!state.cgroup || state.released || statusOf(store, state).kind === "exited") throw new ContainError("container not running: cannot update a stopped container", "see 'contain ps -a'");
    // runc's update leaves the device rules alone: a rule the container
    // works by could be gone for the moment of the rewrite.
    if (change.devices) log.debug("linux.resources.devices: left as they are, update does not change the device rules (as runc)");
    const now = store.read(state.id)?.spec?.linux.resources ?? state.spec?.linux.resources ?? {};
    const merged = mergeResources(now, { ...change, devices: undefined });
    // A write the kernel refuses leaves the cgroup as it was (applyWrites).
    const { devices: _, ...applied } = merged;
    openCgroup(state.cgroup.version, state.cgroup.paths).apply(applied, (line) => log.debug(line));
    const fresh = store.read(state.id);
    if (fresh?.spec) {
      fresh.spec.linux.resources = merged;
      store.write(fresh);
    }
  } finally {
    lock?.release();
  }
}
