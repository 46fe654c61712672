// The runtime's error hierarchy. Every error a user can meet carries the exit
// code the CLI will use (docker's and runc's conventions) and a hint that says
// how to fix it. src/cli/output.ts's exitCodeFor is the one place that turns
// them into exits.

export const EXIT = {
  failed: 1, // a management command failed (docker's CLI and runc exit 1)
  runtime: 125, // the runtime failed, or the request was bad
  cannotExecute: 126, // the command exists but cannot be executed
  notFound: 127, // the command was not found
} as const;

// A command that is not there, in the words runc uses, which its callers
// match (podman exits 127 on "executable file not found in" and on "no such
// file or directory", 126 on "permission denied").
export const notFoundInPath = (cmd: string, path: string) => `${cmd}: executable file not found in $PATH (searched PATH=${path})`;
export const noSuchFile = (cmd: string) => `${cmd}: no such file or directory in the container's root filesystem`;

const ENOENT = 2;
const EACCES = 13;
const EISDIR = 21;

// A failed command lookup (ffi/lookup.c: the init's for run and create, the
// helper's for exec), in the same words for both. `path`: the file that may
// not be executed (EACCES).
export function commandError(cmd: string, searchPath: string, errno: number, path = cmd): ContainError {
  if (errno === ENOENT && cmd.includes("/")) return new ContainError(noSuchFile(cmd), "check the path, or pass --rootfs with a root that has it", EXIT.notFound);
  if (errno === ENOENT) return new ContainError(notFoundInPath(cmd, searchPath), "check the name, or give the full path", EXIT.notFound);
  // docker's 126, in words podman's match takes for 126 too ("permission denied").
  if (errno === EISDIR) return new ContainError(`${cmd}: is a directory, not a command (permission denied)`, `give a program to run, e.g. contain run -- ls ${cmd}`, EXIT.cannotExecute);
  if (errno === EACCES) return new ContainError(`${path}: permission denied (not executable)`, "chmod +x it in the root filesystem", EXIT.cannotExecute);
  return new ContainError(`${cmd}: cannot execute (errno ${errno})`, "check that it is a binary or script for this machine", EXIT.cannotExecute);
}

export class ContainError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    readonly exitCode: number = EXIT.runtime,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "ContainError";
  }
}

// A bad flag, config field or value: `field` names what the user wrote.
export class SpecError extends ContainError {
  constructor(
    readonly field: string,
    message: string,
    hint?: string,
  ) {
    super(`${field}: ${message}`, hint);
    this.name = "SpecError";
  }
}
