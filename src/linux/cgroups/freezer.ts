// The cgroup freezer, docker's `pause`: every task of the cgroup stops where
// it is, unaware (no SIGSTOP it could see or catch), until thawed. One state
// for both versions; the kernel's races are handled here, as runc handles them
// (libcontainer/cgroups fs/freezer.go and fs2/freezer.go):
//
// v1 (Documentation/admin-guide/cgroup-v1/freezer-subsystem.rst): FROZEN
//   written to freezer.state; it reads FREEZING until the last task is in the
//   refrigerator. Tasks that keep appearing (a fork, an exec joining
//   cgroup.procs) can hold it in FREEZING for good: the write is repeated,
//   with a thaw now and then to let them finish. A freeze that never settles
//   is thawed back: FREEZING holds some tasks and not others. FROZEN may also
//   come from an ancestor; the container's own pause is freezer.self_freezing.
//   A frozen task takes even SIGKILL only once thawed.
// v2 (Documentation/admin-guide/cgroup-v2.rst, cgroup.freeze): 1 written to
//   cgroup.freeze asks; "frozen 1" in cgroup.events says every task has
//   stopped. Fatal signals still go through.
//
// The loops see the cgroup through FreezerFiles and time through a Clock, so
// the unit tests can play a slow or stuck kernel.
import { ContainError } from "../../errors.ts";

export type FreezerState = "thawed" | "freezing" | "frozen";

// One cgroup directory's files. `read` gives undefined for a file that is
// missing (the cgroup is gone, or the kernel has no such file).
export interface FreezerFiles {
  readonly dir: string;
  read(file: string): string | undefined;
  write(file: string, value: string): void;
}

export interface Clock {
  now(): number; // ms
  sleep(ms: number): void;
}

export const CLOCK: Clock = { now: () => performance.now(), sleep: (ms) => Bun.sleepSync(ms) };

// How long a freeze may take to settle. A freeze is quick (a few ms for a
// small container); one that lasts seconds has a task that will not stop.
export const FREEZE_TIMEOUT_MS = 5000;

const STUCK_HINT = "a task of the container may be stuck in the kernel (state D in /proc/PID/status) or keep forking; the container was thawed again, try once more";

// Writes, then undoes the write if `settle` throws.
function orUndo(f: FreezerFiles, file: string, undo: string, settle: () => void): void {
  try {
    settle();
  } catch (err) {
    try {
      f.write(file, undo);
    } catch {}
    throw err;
  }
}

// A thaw of a cgroup that is gone (its container ended meanwhile, and was
// released) has nothing left to do.
function thawWrite(f: FreezerFiles, file: string, value: string): void {
  if (f.read(file) === undefined) return;
  try {
    f.write(file, value);
  } catch (err) {
    if (f.read(file) !== undefined) throw err;
  }
}

const V1_STATE = "freezer.state";

export function v1FreezerState(f: FreezerFiles): FreezerState {
  const state = f.read(V1_STATE)?.trim();
  if (state === undefined || state === "THAWED") return "thawed";
  // Frozen by an ancestor only: not the container's pause (a kernel without
  // the file is taken at its word).
  if (f.read("freezer.self_freezing")?.trim() === "0") return "thawed";
  return state === "FROZEN" ? "frozen" : "freezing";
}

export function v1Freeze(f: FreezerFiles, clock: Clock = CLOCK, timeoutMs = FREEZE_TIMEOUT_MS): void {
  const deadline = clock.now() + timeoutMs;
  f.write(V1_STATE, "FROZEN");
  orUndo(f, V1_STATE, "THAWED", () => {
    for (let attempt = 1; ; attempt++) {
      const state = f.read(V1_STATE)?.trim();
      if (state === "FROZEN") return;
      if (state !== "FREEZING") throw new ContainError(`${f.dir}/${V1_STATE} reads ${JSON.stringify(state ?? "")} while freezing`, "the container's freezer cgroup may be gone");
      if (clock.now() >= deadline) throw new ContainError(`${f.dir}/${V1_STATE} still reads FREEZING after ${timeoutMs} ms`, STUCK_HINT);
      // runc's numbers: every 50th round a thaw and 10 ms for new tasks to
      // settle; a short sleep in between helps a slow machine.
      if (attempt % 50 === 0) {
        f.write(V1_STATE, "THAWED");
        clock.sleep(10);
      } else clock.sleep(1);
      f.write(V1_STATE, "FROZEN");
    }
  });
}

export function v1Thaw(f: FreezerFiles): void {
  thawWrite(f, V1_STATE, "THAWED");
}

const V2_FREEZE = "cgroup.freeze";
const V2_EVENTS = "cgroup.events";

const v2Frozen = (f: FreezerFiles) => /^frozen 1$/m.test(f.read(V2_EVENTS) ?? "");

export function v2FreezerState(f: FreezerFiles): FreezerState {
  if (f.read(V2_FREEZE)?.trim() !== "1") return "thawed";
  return v2Frozen(f) ? "frozen" : "freezing";
}

export function v2Freeze(f: FreezerFiles, clock: Clock = CLOCK, timeoutMs = FREEZE_TIMEOUT_MS): void {
  if (f.read(V2_FREEZE) === undefined)
    throw new ContainError(`${f.dir}/${V2_FREEZE} is missing`, "the cgroup v2 freezer needs Linux 5.2 or later, and the container's cgroup must still exist");
  const deadline = clock.now() + timeoutMs;
  f.write(V2_FREEZE, "1");
  // Each task stops when it next returns to user space: poll, 1 ms first,
  // then up to 10 ms apart (runc polls every 10 ms).
  orUndo(f, V2_FREEZE, "0", () => {
    for (let wait = 1; !v2Frozen(f); wait = Math.min(wait * 2, 10)) {
      if (clock.now() >= deadline) throw new ContainError(`${f.dir}/${V2_EVENTS} does not read "frozen 1" ${timeoutMs} ms after 1 was written to ${V2_FREEZE}`, STUCK_HINT);
      clock.sleep(wait);
    }
  });
}

export function v2Thaw(f: FreezerFiles): void {
  thawWrite(f, V2_FREEZE, "0");
}
