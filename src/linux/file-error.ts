// One convention for a failed call, raw or through node:fs: its errno, as a
// SyscallError holds it (errnoOf reads node's ErrnoException.code too, and
// fsCall turns a node:fs failure into a SyscallError); and a failure as crun
// words it: what was being done, the path, and the kernel's reason with its
// errno name. Node's own message names no path for a write ("ENOSPC: no
// space left on device, write").
import { ContainError, EXIT } from "../errors.ts";
import { errnoMessage, errnoName } from "../ffi/errno.ts";
import { SyscallError } from "../ffi/index.ts";

// node:os's names, required on a failure's path only: its import costs
// 0.1-0.3 ms of every start.
const errnos = () => (require("node:os") as typeof import("node:os")).constants.errno as Record<string, number>;

// The errno of a failed call, a SyscallError's or node:fs's (its code).
export function errnoOf(err: unknown): number | undefined {
  if (err instanceof SyscallError) return err.errno;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === undefined ? undefined : errnos()[code];
}

// An errno's name, also for one that errno.ts does not list (ERANGE).
export function errnoCode(errno: number): string {
  const name = errnoName(errno);
  if (!name.startsWith("errno ")) return name;
  return Object.entries(errnos()).find(([, n]) => n === errno)?.[0] ?? name;
}

// The errno's name of a failed call ("EINVAL"), for a message; undefined
// for an error that has none.
export function errnoCodeOf(err: unknown): string | undefined {
  const errno = errnoOf(err);
  return errno === undefined ? undefined : errnoCode(errno);
}

// A node:fs call whose failure is a SyscallError, like a raw call's.
export function fsCall<T>(call: string, args: readonly unknown[], fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    const errno = errnoOf(err);
    if (errno === undefined || err instanceof SyscallError) throw err;
    throw Object.assign(new SyscallError(call, args, errno), { cause: err });
  }
}

export function fileError(err: unknown, action: string, path: string, hint?: string): ContainError {
  const errno = errnoOf(err);
  const reason = errno === undefined ? String(err instanceof Error ? err.message : err) : `${errnoMessage(errno)} (${errnoCode(errno)})`;
  return new ContainError(`cannot ${action} ${path}: ${reason}`, hint, EXIT.runtime, { cause: err });
}

// An errno as a message reads it: "read-only file system (EROFS)", and its name.
export function errnoReason(errno: number): { name: string; text: string } {
  return { name: errnoName(errno), text: `${errnoMessage(errno)} (${errnoName(errno)})` };
}
