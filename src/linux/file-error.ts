// A node:fs call that failed, as crun words it: what was being done, the path,
// and the kernel's reason with its errno name. Node's own message names no
// path for a write ("ENOSPC: no space left on device, write").
import { constants as osConstants } from "node:os";
import { ContainError, EXIT } from "../errors.ts";
import { errnoMessage, errnoName } from "../ffi/errno.ts";

export function fileError(err: unknown, action: string, path: string, hint?: string): ContainError {
  const code = (err as NodeJS.ErrnoException).code;
  const errno = code === undefined ? undefined : (osConstants.errno as Record<string, number>)[code];
  const reason = errno === undefined ? String(err instanceof Error ? err.message : err) : `${errnoMessage(errno)} (${code})`;
  return new ContainError(`cannot ${action} ${path}: ${reason}`, hint, EXIT.runtime, { cause: err });
}

// An errno as a message reads it: "read-only file system (EROFS)", and its name.
export function errnoReason(errno: number): { name: string; text: string } {
  return { name: errnoName(errno), text: `${errnoMessage(errno)} (${errnoName(errno)})` };
}
