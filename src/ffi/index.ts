// The only importer of bun:ffi. It loads the C shim (ffi/shim.c), exposes raw
// system calls that return -errno, and turns failures into SyscallError.
import { dlopen, ptr, type Pointer } from "bun:ffi";
import { readFileSync, writeSync } from "node:fs";
import initPath from "../../ffi/init.elf" with { type: "file" };
import monitorPath from "../../ffi/monitor.elf" with { type: "file" };
import helperPath from "../../ffi/helper.elf" with { type: "file" };
import shimPath from "../../ffi/shim.so" with { type: "file" };
import { errnoMessage, errnoName } from "./errno.ts";
import { NR, type SyscallName } from "./syscalls.ts";

export type { SyscallName } from "./syscalls.ts";

const SHIM_SYMBOLS = {
  contain_syscall: { args: ["i64", "i64", "i64", "i64", "i64", "i64", "i64"], returns: "i64" },
  contain_clone: { args: ["u64", "ptr", "ptr", "ptr", "ptr", "i32", "ptr", "i32"], returns: "i64" },
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

export const MFD_CLOEXEC = 1;
export const MFD_ALLOW_SEALING = 2;
const F_ADD_SEALS = 1033;
// F_SEAL_SEAL|F_SEAL_SHRINK|F_SEAL_GROW|F_SEAL_WRITE: the content is fixed
// for good, whoever holds the file (runc seals its copies the same way).
const SEALS = 0xf;

// Seals a memfd made with MFD_ALLOW_SEALING.
export function seal(fd: number): void {
  check("fcntl", [fd, sym("F_ADD_SEALS"), sym("F_SEAL_SEAL|F_SEAL_SHRINK|F_SEAL_GROW|F_SEAL_WRITE")], sys("fcntl", fd, F_ADD_SEALS, SEALS));
}

// An embedded file copied into a sealed close-on-exec memfd: a container
// that reaches it (as the exe of a process in its namespaces) cannot change
// it. The shim's own comes through libc (the shim is not loaded yet); the
// programs' through the shim's raw calls, so the init need not load libc for
// --init.
function memfdOf(name: string, path: string): number {
  const flags = MFD_CLOEXEC | MFD_ALLOW_SEALING;
  if (!loaded) {
    const libc = dlopen("libc.so.6", { memfd_create: { args: ["ptr", "u32"], returns: "i32" }, fcntl: { args: ["i32", "i32", "i32"], returns: "i32" } });
    const fd = libc.symbols.memfd_create(addressOf(cstr(name)), flags);
    if (fd >= 0) writeSync(fd, readFileSync(path));
    const sealed = fd >= 0 && libc.symbols.fcntl(fd, F_ADD_SEALS, SEALS) === 0;
    libc.close();
    if (!sealed) throw new Error(`memfd_create failed: cannot load the embedded ${name}`);
    return fd;
  }
  const fd = check("memfd_create", [name, sym("MFD_CLOEXEC|MFD_ALLOW_SEALING")], sys("memfd_create", addressOf(cstr(name)), flags));
  writeSync(fd, readFileSync(path));
  seal(fd);
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

// The static programs, for the same reason in memfds: the path to execve.
// The kernel opens it before it closes the close-on-exec fds, so the memfd
// need not stay open in the program. From a source checkout (tests) they are
// copied too: exec's helper must never be a file a container could write.
const programs = new Map<string, string>();
function programPath(name: string, path: string): string {
  let exe = programs.get(name);
  if (!exe) programs.set(name, (exe = `/proc/self/fd/${memfdOf(name, path)}`));
  return exe;
}

// The monitor of detached containers (ffi/monitor.c).
export const monitorPathForExec = () => programPath("contain-monitor", monitorPath);

// The single-threaded steps of a start and of exec (ffi/helper.c).
export const helperPathForExec = () => programPath("contain-helper", helperPath);

// The tiny init (ffi/init.c) in a memfd, for --init: the init stage passes it
// to the shim, which execs it with execveat, so it needs no path in any root.
export function initProgramFd(): number {
  return memfdOf("contain-init", initPath);
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

// A call named with its arguments already (prctl(PR_SET_NO_NEW_PRIVS)) is
// printed as it is.
function callText(call: string, args: readonly unknown[]): string {
  if (!args.length && call.endsWith(")")) return call;
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

// A NUL-terminated copy of `s`, to pass as addressOf(cstr(s)).
export function cstr(s: string): Buffer {
  return Buffer.from(`${s}\0`);
}

// The buffers whose addresses went out last, held. An address is a number
// to the collector: a buffer nothing else holds (addressOf(cstr(name)) as
// an argument) can be collected before the call is made, by a collection
// that a later argument's allocation starts, and its memory given to that
// very allocation, so the kernel reads a name out of another buffer's bytes
// (an unpack's utimensat(dir, name, times) failed with ENOENT so, now and
// then, under load). No call takes more than six, so the last 16 cover
// every buffer of the call being made.
const held: unknown[] = new Array(16);
let heldNext = 0;

function hold(buf: NodeJS.TypedArray | DataView): void {
  held[heldNext] = buf;
  heldNext = (heldNext + 1) % held.length;
}

export function addressOf(buf: NodeJS.TypedArray | DataView | null): Pointer | null {
  if (buf === null) return null;
  hold(buf);
  return ptr(buf);
}

// The address of `buf` as a u64 field of a struct the kernel reads
// (union bpf_attr's insns, license, log_buf); held as addressOf's are.
export function address64(buf: NodeJS.TypedArray | DataView): bigint {
  hold(buf);
  return BigInt(ptr(buf));
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
  outlive?: boolean; // the child lives on when this thread dies (no PDEATHSIG)
}

const SIGKILL_NR = 9;

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

export interface ExecAttributes {
  uid: number;
  gid: number;
  groups: readonly number[];
  rlimits: readonly { resource: number; soft: number; hard: number }[]; // -1: unlimited
  capabilities?: { bounding: bigint; effective: bigint; permitted: bigint; inheritable: bigint }; // absent: keep all
  noNewPrivileges: boolean;
  seccomp?: Uint8Array; // struct sock_filter[]
  seccompFlags: number; // SECCOMP_FILTER_FLAG_*
  initFd: number; // >= 0: exec the tiny init from this fd, which runs the command
  ttyFd: number; // -1: none
  umask: number;
}

// The steps of contain_exec (ffi/exec.c), for messages (its *step values).
const EXEC_STEPS = ["setsid|ioctl(TIOCSCTTY)", "setrlimit", "setresuid|capset", "prctl(PR_SET_NO_NEW_PRIVS)", "seccomp(SECCOMP_SET_MODE_FILTER)", "execve"];

const RLIM_INFINITY = 0xffffffffffffffffn;

// Where a buffer a C struct points to will be: its offset in a request the
// helper relocates.
type Place = (buf: NodeJS.TypedArray) => bigint;

// struct contain_proc (ffi/exec.h): every field 64 bits wide.
function packAttributes(a: ExecAttributes, place: Place): BigUint64Array {
  const groups = Uint32Array.from(a.groups);
  const rlimits = BigUint64Array.from(a.rlimits.flatMap((r) => [r.resource, r.soft, r.hard].map((n) => (n < 0 ? RLIM_INFINITY : BigInt(n)))));
  const at = (buf: NodeJS.TypedArray) => (buf.length ? place(buf) : 0n);
  const caps = a.capabilities;
  return BigUint64Array.from([
    BigInt(a.uid),
    BigInt(a.gid),
    BigInt(groups.length),
    at(groups),
    BigInt(a.rlimits.length),
    at(rlimits),
    caps ? 1n : 0n,
    caps?.bounding ?? 0n,
    caps?.effective ?? 0n,
    caps?.permitted ?? 0n,
    caps?.inheritable ?? 0n,
    a.noNewPrivileges ? 1n : 0n,
    BigInt(a.seccomp ? a.seccomp.length / 8 : 0),
    a.seccomp ? place(a.seccomp) : 0n,
    BigInt(a.seccompFlags),
    BigInt.asUintN(64, BigInt(a.initFd)),
    BigInt.asUintN(64, BigInt(a.ttyFd)),
    BigInt(a.umask),
  ]);
}

// What the helper's join needs (ffi/helper.c, struct join).
export interface NsExecRequest {
  pidfd: number;
  nsFlags: number;
  rootFd: number;
  cgroupFds: readonly number[];
  cwd: string;
  file: string;
  searchPath: string;
  argv: readonly string[];
  env: readonly string[];
  stdio: readonly [number, number, number]; // without a tty (attrs.ttyFd < 0)
  attrs: ExecAttributes; // the container's user, capabilities, seccomp, ...
  detach?: boolean; // the process outlives the CLI (runc's exec --detach)
}

// A request whose pointers are offsets into itself, so that it can cross an
// execve: the helper reads it and relocates them (ffi/helper.c). Every part
// is 8-byte aligned; offset 0 is the header, so 0 never names a part.
class Relocatable {
  private readonly parts: Uint8Array[] = [];
  private size = 0;

  // Room for the header, filled once the offsets of the rest are known.
  reserve(size: number): DataView {
    const room = new Uint8Array(size);
    this.parts.push(room);
    this.size += size;
    return new DataView(room.buffer);
  }

  add(buf: NodeJS.TypedArray): bigint {
    const offset = this.size;
    const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    const padded = new Uint8Array(Math.ceil(bytes.length / 8) * 8 || 8);
    padded.set(bytes);
    this.parts.push(padded);
    this.size += padded.length;
    return BigInt(offset);
  }

  text(s: string): bigint {
    return this.add(cstr(s));
  }

  // A NULL-terminated char*[] of offsets.
  strings(items: readonly string[]): bigint {
    const offsets = items.map((s) => this.text(s));
    return this.add(BigUint64Array.from([...offsets, 0n]));
  }

  bytes(): Uint8Array {
    return Buffer.concat(this.parts);
  }
}

const JOIN_SLOTS = 15;

// struct join and everything it points to, for the helper's request memfd.
export function joinRequest(req: NsExecRequest): Uint8Array {
  const r = new Relocatable();
  const header = r.reserve(JOIN_SLOTS * 8);
  const slots: bigint[] = [
    BigInt(req.pidfd),
    BigInt(req.nsFlags),
    BigInt(req.rootFd),
    req.cgroupFds.length ? r.add(Int32Array.from(req.cgroupFds)) : 0n,
    BigInt(req.cgroupFds.length),
    r.text(req.cwd),
    r.text(req.file),
    r.text(req.searchPath),
    r.strings(req.argv),
    r.strings(req.env),
    ...req.stdio.map(BigInt),
    r.add(packAttributes(req.attrs, (buf) => r.add(buf))),
    req.detach ? 0n : BigInt(SIGKILL_NR),
  ];
  slots.forEach((v, i) => header.setBigInt64(i * 8, v, true));
  return r.bytes();
}

// Where the helper's join stopped (enum join_step), with the call it names.
const JOIN_STEPS = ["", "dup2", "write cgroup.procs", "setns", "chroot", "clone", "chdir", "lookup", "execve"];

export const JOIN_REPORT_SIZE = 32;

export interface JoinReport {
  pid: number; // the process in the container, a child of ours; 0 if none
  error?: { step: string; errno: number };
}

// A failure inside contain_exec names its own step (setrlimit, capset, ...).
const execStepName = (step: number) => EXEC_STEPS[step] ?? "execve";

// struct join_report: pid, -errno, step, contain_exec's step.
export function parseJoinReport(buf: Uint8Array): JoinReport {
  const v = new DataView(buf.buffer, buf.byteOffset, JOIN_REPORT_SIZE);
  const [pid = 0, err = 0, step = 0, execStep = 5] = [0, 8, 16, 24].map((o) => Number(v.getBigInt64(o, true)));
  const name = step === JOIN_STEPS.indexOf("execve") ? execStepName(execStep) : JOIN_STEPS[step];
  return { pid, error: step ? { step: name ?? `step ${step}`, errno: -err } : undefined };
}

// What the helper's start needs (ffi/helper.c, struct start): the init's
// last step, single-threaded.
export interface StartRequest {
  cgroupFds: readonly number[]; // cgroup.procs of each hierarchy
  cgroupns: boolean;
  path: string;
  argv: readonly string[];
  env: readonly string[];
  attrs: ExecAttributes;
  execFifo: number; // >= 0: wait at this fifo (O_PATH) for `start` before the execve
  hooks: readonly { path: string; args?: readonly string[]; env?: readonly string[]; timeout?: number }[]; // startContainer's
  hookState: string; // the state JSON they read on stdin
}

export function startRequest(req: StartRequest): Uint8Array {
  const r = new Relocatable();
  const header = r.reserve(11 * 8);
  const slots = [
    req.cgroupFds.length ? r.add(Int32Array.from(req.cgroupFds)) : 0n,
    BigInt(req.cgroupFds.length),
    req.cgroupns ? 1n : 0n,
    r.text(req.path),
    r.strings(req.attrs.initFd >= 0 ? ["contain-init", req.path, ...req.argv] : req.argv), // under the tiny init: contain-init PATH ARGV...
    r.strings(req.env),
    r.add(packAttributes(req.attrs, (buf) => r.add(buf))),
    BigInt(req.execFifo),
    r.text(req.hookState),
    // struct hook[]: path, argv, envp, timeout (seconds, 0: none)
    req.hooks.length ? r.add(BigUint64Array.from(req.hooks.flatMap((h) => [r.text(h.path), r.strings(h.args?.length ? h.args : [h.path]), r.strings(h.env ?? []), BigInt(h.timeout ?? 0)]))) : 0n,
    BigInt(req.hooks.length),
  ];
  slots.forEach((v, i) => header.setBigInt64(i * 8, v, true));
  return r.bytes();
}

// The start's failure, as the helper reports it on the status pipe: the call
// that failed (enum start_step, or contain_exec's step) and its errno.
export function startFailure(step: number, execStep: number): string {
  return ["", "write cgroup.procs", "unshare(CLONE_NEWCGROUP)", execStepName(execStep), "a startContainer hook"][step] ?? execStepName(execStep);
}

// execve from the calling process, which the kernel makes single-threaded on
// the way (Bun's other threads end with it). Returns only on failure, -errno.
export function execve(path: string, argv: readonly string[], env: readonly string[]): number {
  const p = cstr(path);
  const a = stringArray(argv);
  const e = stringArray(env);
  tracer?.(`execve(${formatArg(path)}, ${JSON.stringify(argv)}, [${env.length} vars])`);
  return sys("execve", ptr(p), ptr(a.array), ptr(e.array));
}
