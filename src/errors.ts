// The runtime's error hierarchy. Every error a user can meet carries the exit
// code the CLI will use (docker's and runc's conventions) and a hint that says
// how to fix it. src/cli/main.ts is the one place that turns them into exits.

export const EXIT = {
  failed: 1, // a management command failed on its input (docker's CLI: a bad --format or --filter)
  runtime: 125, // the runtime failed, or the request was bad
  cannotExecute: 126, // the command exists but cannot be executed
  notFound: 127, // the command was not found
} as const;

// A command that is not there, in the words runc uses, which its callers
// match (podman exits 127 on "executable file not found in" and on "no such
// file or directory", 126 on "permission denied").
export const notFoundInPath = (cmd: string, path: string) => `${cmd}: executable file not found in $PATH (searched PATH=${path})`;
export const noSuchFile = (cmd: string) => `${cmd}: no such file or directory in the container's root filesystem`;

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
