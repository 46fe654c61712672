// The syscall trampoline: raw system calls through the shim, which return
// -errno, and check(), which turns a failure into a SyscallError naming the
// call, its arguments and errno; the --debug trace of both.
import { ptr, type Pointer } from "bun:ffi";
import { errnoMessage, errnoName } from "./errno.ts";
import { shim } from "./shim.ts";
import { NR, type SyscallName } from "./syscalls.ts";

export class SyscallError extends Error {
  constructor(
    readonly call: string,
    readonly args: readonly unknown[],
    readonly errno: number,
  ) {
    super(`${callText(call, args)}: ${errnoMessage(errno)} (${errnoName(errno)})`);
    this.name = "SyscallError";
  }

  // The errno's name, where node:fs puts it (ErrnoException.code): one check
  // (err.code === "ENOENT") reads a raw call's failure and a node:fs one alike.
  get code(): string {
    return errnoName(this.errno);
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

