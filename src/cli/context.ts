// The CLI's side of the host context (runtime/host-context.ts): the roots
// from --root (or runc's global --root) and --data-root; and the preamble
// every command starts with: its flags, logger and host, the containers it
// names, the state store (swept: containers.ts).
import { accessSync, constants, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { SpecError } from "../errors.ts";
import type { Logger, Verbosity } from "../log.ts";
import { DEFAULT_DATA_ROOT, DEFAULT_STATE_ROOT, hostContext, type HostContext } from "../runtime/host-context.ts";
import { StateStore } from "../runtime/state.ts";
import { parseFlags, type FlagDefs, type FlagValues, type Positional } from "./args.ts";
import { globals } from "./globals.ts";
import { loggerFor } from "./output.ts";

// One rule for every command, runc's: --root moves the state and nothing
// else; --data-root moves the persistent data.
export function hostOf(flags: FlagValues): HostContext {
  return hostContext({
    // Node's own call, without the shim; none (not POSIX) is never root.
    euid: process.geteuid?.() ?? -1,
    stateRoot: () => rootFlag(flags, "root", DEFAULT_STATE_ROOT),
    dataRoot: () => {
      const path = rootFlag(flags, "data-root", DEFAULT_DATA_ROOT);
      // The default rootfs under it is an overlay's lower layer.
      if (/[,:\\]/.test(path))
        throw new SpecError("--data-root", `${path} contains ',', ':' or '\\', which overlayfs options cannot hold`, `choose a path without them, e.g. --data-root ${DEFAULT_DATA_ROOT}`);
      return path;
    },
  });
}

// --root and --data-root, made absolute: what the state records of them (a
// lease's owner, a container's rootfs, the monitor's root) is read by
// commands run from other directories. Checked before anything is made: the
// path, or else the nearest of its parents that exists, is a directory, in
// which a missing path can then be made.
function rootFlag(flags: FlagValues, name: "root" | "data-root", fallback: string): string {
  const given = flags[name] ?? (name === "root" ? globals.root : undefined);
  if (typeof given !== "string") return fallback;
  const flag = `--${name}`;
  const fix = `give a directory, or a path where one can be made, e.g. ${flag} ${fallback}`;
  // resolve("") is the current directory: `--root "$ROOT"` with ROOT unset.
  if (given === "") throw new SpecError(flag, "the path is empty", `give a directory (is a variable unset?), or leave ${flag} out for ${fallback}`);
  const path = resolve(given);
  const code = (err: unknown) => (err as NodeJS.ErrnoException).code ?? String(err);
  for (let at = path; ; at = dirname(at)) {
    let isDir: boolean;
    try {
      isDir = statSync(at).isDirectory();
    } catch (err) {
      // ENOTDIR: a parent is a file, which the next round names.
      if ((code(err) === "ENOENT" || code(err) === "ENOTDIR") && at !== "/") continue;
      throw new SpecError(flag, `cannot use ${path}: ${code(err)}`, fix);
    }
    if (!isDir) throw new SpecError(flag, at === path ? `${path} is not a directory` : `${path} cannot be made: ${at} is not a directory`, fix);
    if (at !== path) {
      try {
        accessSync(at, constants.W_OK | constants.X_OK);
      } catch (err) {
        throw new SpecError(flag, `${path} cannot be made in ${at}: ${code(err)}`, fix);
      }
    }
    return path;
  }
}

export interface CommandLine {
  command: string;
  flags: FlagValues;
  positionals: string[];
  log: Logger;
  verbosity: Verbosity;
  host: HostContext;
}

// Every command's first step: its flags, its logger, its host.
export function commandLine(defs: FlagDefs, rawArgs: readonly string[], command: string): CommandLine {
  const { flags, positionals } = parseFlags(defs, rawArgs, command);
  return { command, flags, positionals, ...loggerFor(flags), host: hostOf(flags) };
}

export interface Opener {
  command: string;
  host: HostContext;
}

// runc's lifecycle commands sweep nothing: they run at every step of a
// caller's container.
export function unsweptStore(c: Opener): StateStore {
  c.host.requireRoot(c.command);
  return new StateStore(c.host.stateRoot);
}

// The positional argument of the commands on containers, in their help.
export const containersArg: Positional = { name: "container", usage: "CONTAINER [CONTAINER...]", description: "The containers (names or IDs)", required: true };
export const containerArg: Positional = { name: "container", description: "The container (name or ID)", required: true };

// The one container a command acts on.
export function oneContainer(positionals: readonly string[], command: string): string {
  if (positionals.length !== 1) throw new SpecError("container", positionals.length ? `takes one container, not ${positionals.length}` : "missing", `e.g. contain ${command} web`);
  return positionals[0] ?? "";
}

export function atLeastOneContainer(positionals: readonly string[], command: string): string[] {
  if (positionals.length === 0) throw new SpecError("container", "missing", `e.g. contain ${command} web`);
  return [...positionals];
}

export type NamedContainers = CommandLine & { refs: string[] };

export function namedContainers(defs: FlagDefs, rawArgs: readonly string[], command: string): NamedContainers {
  const c = commandLine(defs, rawArgs, command);
  return { ...c, refs: atLeastOneContainer(c.positionals, command) };
}

export function namedContainer(defs: FlagDefs, rawArgs: readonly string[], command: string): CommandLine & { ref: string } {
  const c = commandLine(defs, rawArgs, command);
  return { ...c, ref: oneContainer(c.positionals, command) };
}
