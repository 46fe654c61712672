// File access shared by the v1 and v2 cgroup code: errors that name the path,
// and the retry an rmdir needs while the last tasks of a cgroup exit.
import { constants, existsSync, mkdirSync, openSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { ContainError } from "../../errors.ts";
import { traceCall } from "../../ffi/index.ts";
import { errnoCodeOf as codeOf, errnoOf } from "../file-error.ts";
import type { FreezerFiles } from "./freezer.ts";

const ENOENT = 2;
const EBUSY = 16;

// A file write in a controller's directory. v2 has one directory: "unified".
export interface CgroupWrite {
  controller: string;
  file: string;
  value: string;
  optional?: boolean; // skip when the kernel lacks the file (memsw without swap accounting)
  hint?: string; // what to do when the kernel refuses the value
  // The value to write back from what the file reads, where the two differ
  // (v1 memory.oom_control reads "oom_kill_disable 1 ...", takes "1").
  readBack?: (text: string) => string | undefined;
}

export function writeCgroupFile(dir: string, file: string, value: string, hint = "check that the value suits this kernel's cgroup controller"): void {
  const path = `${dir}/${file}`;
  traceCall("write", [path, value]);
  try {
    writeFileSync(path, value);
  } catch (err) {
    throw new ContainError(`cannot write ${value} to ${path}: ${codeOf(err) ?? "error"}`, hint, undefined, { cause: err });
  }
}

// The file of each directory that its caller moves itself into by writing
// "0" (ffi/helper.c, which is one thread), open for writing. On v1 that is
// `tasks`: "0" there moves only the writing thread, and the kernel then takes
// no threadgroup lock (cgroup_procs_write_start: threadgroup_locked = pid ||
// threadgroup), whereas "0" in cgroup.procs takes cgroup_threadgroup_rwsem
// for writing, and its first writer in a while waits for an RCU grace period
// (~10 ms here, on every start's critical path). For one thread the two
// move the same thing. v2 has no `tasks` (its cgroup.threads is for threaded
// subtrees only): cgroup.procs there.
export function openProcsFiles(dirs: readonly string[]): number[] {
  return [...new Set(dirs)].map((dir) => {
    let path = `${dir}/tasks`;
    const open = () => {
      traceCall("open", [path, "O_WRONLY|O_CLOEXEC"]);
      return openSync(path, constants.O_WRONLY);
    };
    try {
      try {
        return open();
      } catch (err) {
        if (errnoOf(err) !== ENOENT) throw err;
        path = `${dir}/cgroup.procs`;
        return open();
      }
    } catch (err) {
      throw new ContainError(`cannot open ${path}: ${codeOf(err) ?? err}`, "the container's cgroup may be gone", undefined, { cause: err });
    }
  });
}

// The writes in order. One the kernel refuses leaves the cgroup as it was:
// what it took before goes back, last first (runc sets the old values back
// when an update fails), so a limit is never half changed.
export function applyWrites(dirOf: (controller: string) => string | undefined, writes: readonly CgroupWrite[]): void {
  const undo: { path: string; old: string }[] = [];
  try {
    for (const w of writes) {
      const dir = dirOf(w.controller);
      if (!dir) {
        if (w.optional) continue;
        throw new ContainError(`the ${w.controller} cgroup controller is not available on this machine`, `drop the limit that needs it`);
      }
      const path = `${dir}/${w.file}`;
      if (w.optional && !existsSync(path)) continue;
      const text = readText(path); // undefined for a write-only file (devices.allow)
      const old = text === undefined ? undefined : w.readBack ? w.readBack(text) : text.trim();
      writeCgroupFile(dir, w.file, w.value, w.hint);
      if (old !== undefined && !undo.some((u) => u.path === path)) undo.push({ path, old });
    }
  } catch (err) {
    // Best effort: the error to report is the first one. A file of lines
    // (io.max) is written back a line at a time, as the kernel reads it.
    for (const { path, old } of undo.reverse())
      for (const line of old.split("\n"))
        try {
          writeFileSync(path, line);
        } catch {}
    throw err;
  }
}

export function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

// A cgroup directory's files, for the freezer's loops (freezer.ts).
export function cgroupFiles(dir: string): FreezerFiles {
  return { dir, read: (file) => readText(`${dir}/${file}`), write: (file, value) => writeCgroupFile(dir, file, value) };
}

export function readNumber(path: string): number | undefined {
  const text = readText(path)?.trim();
  return text === undefined || text === "" || text === "max" ? undefined : Number(text);
}

// "key value" lines (memory.events, cpu.stat, memory.oom_control).
export function readKeyed(path: string, key: string): number | undefined {
  const m = new RegExp(`^${key} (\\d+)$`, "m").exec(readText(path) ?? "");
  return m ? Number(m[1]) : undefined;
}

export function readPids(path: string): number[] {
  return (readText(path) ?? "").split("\n").filter(Boolean).map(Number);
}

export function makeDir(path: string): void {
  traceCall("mkdir", [path]);
  mkdirSync(path, { recursive: true });
}

// rmdir answers EBUSY until the cgroup's last task is gone; the task may be a
// zombie being released right now. `onBusy` kills what is left.
export function removeDir(path: string, onBusy: () => void): void {
  for (let attempt = 0; ; attempt++) {
    try {
      rmdirSync(path);
      return;
    } catch (err) {
      const errno = errnoOf(err);
      if (errno === ENOENT) return;
      if (errno !== EBUSY || attempt >= 100) throw new ContainError(`cannot remove cgroup ${path}: ${codeOf(err)}`, undefined, undefined, { cause: err });
      onBusy();
      Bun.sleepSync(10);
    }
  }
}
