// The only importer of bun:ffi. It loads the C shim (ffi/shim.c), exposes raw
// system calls that return -errno, and turns failures into SyscallError.
import { dlopen, ptr, type Pointer } from "bun:ffi";
import { readFileSync, writeSync } from "node:fs";
import monitorPath from "../../ffi/monitor.elf" with { type: "file" };
import shimPath from "../../ffi/shim.so" with { type: "file" };
import { errnoMessage, errnoName } from "./errno.ts";
import { NR, type SyscallName } from "./syscalls.ts";

export type { SyscallName } from "./syscalls.ts";

const SHIM_SYMBOLS = {
  contain_syscall: { args: ["i64", "i64", "i64", "i64", "i64", "i64", "i64"], returns: "i64" },
  contain_clone: { args: ["u64", "ptr", "ptr", "ptr", "ptr", "i32", "ptr"], returns: "i64" },
  contain_exec: { args: ["ptr", "ptr", "ptr", "i32"], returns: "i64" },
  contain_nsexec: { args: ["ptr"], returns: "i64" },
} as const;

// In the compiled binary the shim is embedded under /$bunfs, which dlopen
// cannot read. Bun's own fallback extracts it to $TMPDIR and reuses any file of
// the same name and size without checking it, so a root-run binary must not
// use it: copy the bytes into a memfd (never on disk) and dlopen /proc/self/fd/N.
// The memfd holding the shim, -1 when it was loaded from a file (source runs).
let memfd = -1;

// The init receives the parent's memfd (see shimFd) and loads from it,
// skipping libc's dlopen, memfd_create and the copy: ~2 ms of every start.
let inherited: number | undefined;
export function adoptShim(fd: number): void {
  if (fd >= 0) inherited = fd;
}

export function shimFd(): number {
  shim();
  return memfd;
}

// An embedded file copied into a close-on-exec memfd.
function memfdOf(name: string, path: string): number {
  const libc = dlopen("libc.so.6", {
    memfd_create: { args: ["ptr", "u32"], returns: "i32" },
  });
  const MFD_CLOEXEC = 1;
  const fd = libc.symbols.memfd_create(ptr(cstr(name)), MFD_CLOEXEC);
  libc.close();
  if (fd < 0) throw new Error(`memfd_create failed: cannot load the embedded ${name}`);
  writeSync(fd, readFileSync(path));
  return fd;
}

function loadShim() {
  if (inherited !== undefined) {
    memfd = inherited;
    return dlopen(`/proc/self/fd/${inherited}`, SHIM_SYMBOLS).symbols;
  }
  if (!shimPath.startsWith("/$bunfs/")) return dlopen(shimPath, SHIM_SYMBOLS).symbols;
  memfd = memfdOf("contain-shim", shimPath);
  return dlopen(`/proc/self/fd/${memfd}`, SHIM_SYMBOLS).symbols;
}

// The monitor of detached containers (ffi/monitor.c), for the same reason in
// a memfd: the path to execve. The kernel opens it before it closes the
// close-on-exec fds, so the memfd need not stay open in the monitor.
let monitorExe: string | undefined;
export function monitorPathForExec(): string {
  monitorExe ??= monitorPath.startsWith("/$bunfs/") ? `/proc/self/fd/${memfdOf("contain-monitor", monitorPath)}` : monitorPath;
  return monitorExe;
}

// Loaded on first use, so importing a module costs nothing until a call is made.
let loaded: ReturnType<typeof loadShim> | undefined;
function shim(): ReturnType<typeof loadShim> {
  loaded ??= loadShim();
  return loaded;
}

export class SyscallError extends Error {
  constructor(
    readonly call: string,
    readonly args: readonly unknown[],
    readonly errno: number,
  ) {
    super(`${callText(call, args)}: ${errnoMessage(errno)} (${errnoName(errno)})`);
    this.name = "SyscallError";
  }
}

// A symbolic argument (MS_BIND|MS_REC, AT_FDCWD), printed as is, not quoted.
export class Symbolic {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export const sym = (text: string) => new Symbolic(text);

function formatArg(arg: unknown): string {
  if (typeof arg === "string") return JSON.stringify(arg);
  if (arg === null || arg === undefined) return "NULL";
  if (Array.isArray(arg)) return JSON.stringify(arg);
  return String(arg);
}

function callText(call: string, args: readonly unknown[]): string {
  return `${call}(${args.map(formatArg).join(", ")})`;
}

type Tracer = (line: string) => void;
let tracer: Tracer | undefined;

// --debug: every system call with its arguments and result.
export function traceSyscalls(fn: Tracer | undefined): void {
  tracer = fn;
}

// File-system calls made through node:fs (cgroup files), for the same trace.
export function traceCall(call: string, args: readonly unknown[]): void {
  tracer?.(callText(call, args));
}

// `args` are for messages and the trace only: what a person should read.
export function check(call: string, args: readonly unknown[], result: number): number {
  tracer?.(`${callText(call, args)} = ${result < 0 ? `-1 ${errnoName(-result)}` : result}`);
  if (result < 0) throw new SyscallError(call, args, -result);
  return result;
}

type Arg = number | bigint | Pointer | null;

// A raw system call: the kernel's return value, -errno on failure.
export function sys(name: SyscallName, a: Arg = 0, b: Arg = 0, c: Arg = 0, d: Arg = 0, e: Arg = 0, f: Arg = 0): number {
  return Number(shim().contain_syscall(NR[name], a ?? 0, b ?? 0, c ?? 0, d ?? 0, e ?? 0, f ?? 0));
}

// A NUL-terminated copy of `s`; pass ptr(cstr(s)) and keep the buffer alive.
export function cstr(s: string): Buffer {
  return Buffer.from(`${s}\0`);
}

export function addressOf(buf: NodeJS.TypedArray | DataView | null): Pointer | null {
  return buf === null ? null : ptr(buf);
}

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
}

// clone + execve in the shim. Returns the child's pid and a pidfd for it.
export function cloneExec(req: CloneRequest): { pid: number; pidfd: number } {
  const exe = cstr(req.exe);
  const argv = stringArray(req.argv);
  const env = stringArray(req.env);
  const pidfd = new Int32Array(1);
  const keep = Int32Array.from(req.keepFds);
  const pid = Number(
    shim().contain_clone(req.flags, ptr(exe), ptr(argv.array), ptr(env.array), ptr(keep), keep.length, ptr(pidfd)),
  );
  check("clone", [sym(`${req.flagNames}|CLONE_VM|CLONE_VFORK`), req.exe, req.argv], pid);
  return { pid, pidfd: pidfd[0] ?? -1 };
}

// The container's last step (see the shim): returns only on failure, with the
// SyscallError of execve.
export function execCommand(path: string, argv: readonly string[], env: readonly string[], ttyFd: number): SyscallError {
  const p = cstr(path);
  const a = stringArray(argv);
  const e = stringArray(env);
  tracer?.(`execve(${formatArg(path)}, ${JSON.stringify(argv)}, [${env.length} vars])`);
  const r = Number(shim().contain_exec(ptr(p), ptr(a.array), ptr(e.array), ttyFd));
  return new SyscallError("execve", [path], -r);
}

// What contain_nsexec needs (ffi/shim.c, struct nsexec).
export interface NsExecRequest {
  pidfd: number;
  nsFlags: number;
  nsFlagNames: string; // for messages
  rootFd: number;
  cgroupFds: readonly number[];
  cwd: string;
  file: string;
  searchPath: string;
  argv: readonly string[];
  env: readonly string[];
  stdio: readonly [number, number, number];
  ttyFd: number;
  uid: number; // -1: unchanged
  gid: number;
}

// Where contain_nsexec failed (enum nsexec_step), with the call it names.
const NSEXEC_STEPS = ["", "dup2", "write cgroup.procs", "setns", "chroot", "clone", "setuid", "chdir", "lookup", "execve"];

export interface NsExecResult {
  joiner: number; // the intermediate process: reap it
  pid: number; // the process in the container, a child of ours; 0 if none
  error?: { step: string; errno: number };
}

// `contain exec`'s join and spawn (see the shim). Slots of the struct, 8 bytes each.
export function nsExec(req: NsExecRequest): NsExecResult {
  const keep = {
    cgroups: Int32Array.from(req.cgroupFds),
    cwd: cstr(req.cwd),
    file: cstr(req.file),
    search: cstr(req.searchPath),
    argv: stringArray(req.argv),
    env: stringArray(req.env),
  };
  const slots = new BigInt64Array(22);
  const set = (i: number, v: number | bigint) => {
    slots[i] = BigInt(v);
  };
  set(0, req.pidfd);
  set(1, req.nsFlags);
  set(2, req.rootFd);
  set(3, keep.cgroups.length ? ptr(keep.cgroups) : 0);
  set(4, keep.cgroups.length);
  set(5, ptr(keep.cwd));
  set(6, ptr(keep.file));
  set(7, ptr(keep.search));
  set(8, ptr(keep.argv.array));
  set(9, ptr(keep.env.array));
  req.stdio.forEach((fd, i) => set(10 + i, fd));
  set(13, req.ttyFd);
  set(14, req.uid);
  set(15, req.gid);
  // 16: the stack, set by the shim; 17-19: pid, err, step
  tracer?.(`setns(pidfd ${req.pidfd}, ${req.nsFlagNames}); clone; execve(${formatArg(req.file)}, ${JSON.stringify(req.argv)})`);
  const joiner = check("clone", [sym("CLONE_VM|CLONE_VFORK"), sym("<exec>")], Number(shim().contain_nsexec(ptr(slots))));
  const errno = -Number(slots[18]);
  const step = Number(slots[19]);
  return { joiner, pid: Number(slots[17]), error: step ? { step: NSEXEC_STEPS[step] ?? `step ${step}`, errno } : undefined };
}
