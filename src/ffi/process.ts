// Starting programs: the command lookup and clone + execve in the shim
// (contain_lookup, contain_clone), and execve from the calling process.
import { ptr } from "bun:ffi";
import { shim } from "./shim.ts";
import { check, cstr, sym, sys, traceCall } from "./syscall.ts";

// A NULL-terminated char*[]; `keep` holds the strings until the call returns.
function stringArray(items: readonly string[]): { array: BigUint64Array; keep: Buffer[] } {
  const keep = items.map(cstr);
  const array = new BigUint64Array(items.length + 1);
  keep.forEach((b, i) => {
    array[i] = BigInt(ptr(b));
  });
  return { array, keep };
}

export interface CloneRequest {
  flags: bigint;
  flagNames: string; // for messages: CLONE_NEWPID|CLONE_NEWNS|...
  exe: string;
  argv: readonly string[];
  env: readonly string[];
  keepFds: readonly number[];
  outlive?: boolean; // the child lives on when this thread dies (no PDEATHSIG)
}

export const SIGKILL_NR = 9;

// clone + execve in the shim. Returns the child's pid and a pidfd for it.
export function cloneExec(req: CloneRequest): { pid: number; pidfd: number } {
  const exe = cstr(req.exe);
  const argv = stringArray(req.argv);
  const env = stringArray(req.env);
  const pidfd = new Int32Array(1);
  const keep = Int32Array.from(req.keepFds);
  const pid = Number(
    shim().contain_clone(req.flags, ptr(exe), ptr(argv.array), ptr(env.array), ptr(keep), keep.length, ptr(pidfd), req.outlive ? 0 : SIGKILL_NR),
  );
  check("clone", [sym(`${req.flagNames}|CLONE_VM|CLONE_VFORK`), req.exe, req.argv], pid);
  return { pid, pidfd: pidfd[0] ?? -1 };
}

// execvp's search of `file` in `search` (a PATH), as the helper makes it for
// exec (ffi/lookup.c). errno 0: found, at `path`; EACCES: `path` is the first
// file found that may not be executed; EISDIR, ENOENT, ENAMETOOLONG.
export function lookupCommand(file: string, search: string): { errno: number; path: string } {
  const out = Buffer.alloc(4096);
  const f = cstr(file);
  const s = cstr(search);
  const r = shim().contain_lookup(ptr(f), ptr(s), ptr(out), out.length);
  traceCall("lookup", [file, search]);
  const end = out.indexOf(0);
  return { errno: r < 0 ? -r : 0, path: out.toString("utf8", 0, end < 0 ? out.length : end) };
}

// execve from the calling process, which the kernel makes single-threaded on
// the way (Bun's other threads end with it). Returns only on failure, -errno.
export function execve(path: string, argv: readonly string[], env: readonly string[]): number {
  const p = cstr(path);
  const a = stringArray(argv);
  const e = stringArray(env);
  traceCall("execve", [path, argv, sym(`[${env.length} vars]`)]);
  return sys("execve", ptr(p), ptr(a.array), ptr(e.array));
}
