// What the CLI prints and how it exits: loggers from flags, exit codes from
// a container's end, the usage report.
import { accessSync, constants, statSync, writeSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { SIGKILL, traceSyscalls, type ExitStatus } from "../linux/process.ts";
import { createLogger, VERBOSITIES, type Logger, type Verbosity } from "../log.ts";
import { DEFAULT_DATA_ROOT } from "../runtime/image.ts";
import type { RunResult } from "../runtime/run.ts";
import { DEFAULT_STATE_ROOT } from "../runtime/state.ts";
import { formatSize, humanSize } from "../spec/units.ts";
import { ContainError, EXIT, SpecError } from "../errors.ts";
import type { FlagValues } from "./args.ts";
import { globals, logToFile } from "./globals.ts";

// Output that must never throw: a closed stderr cannot stop the clean-up.
export function printErr(text: string): void {
  try {
    writeSync(2, text);
  } catch {}
}

// stdout: tables, IDs, JSON.
export function print(text: string): void {
  writeSync(1, text);
}

// The verbosity: --debug or -q (--no-quiet too) on the line, else
// CONTAIN_LOG, else the config file's `log:` (run --config), else info.
export function chooseVerbosity(flags: FlagValues, configured: Verbosity | undefined, env: string | undefined): Verbosity {
  if (flags.debug === true || globals.debug) return "debug";
  if (typeof flags.quiet === "boolean") return flags.quiet ? "quiet" : "info";
  if (env === undefined || env === "") return configured ?? "info";
  if (!(VERBOSITIES as readonly string[]).includes(env)) throw new SpecError("CONTAIN_LOG", `${JSON.stringify(env)} is not a log level`, `use ${VERBOSITIES.join(", ")}, or unset it`);
  return env as Verbosity;
}

export function loggerFor(flags: FlagValues, configured?: Verbosity): { log: Logger; verbosity: Verbosity } {
  const verbosity = chooseVerbosity(flags, configured, process.env.CONTAIN_LOG);
  const log = createLogger(verbosity, globals.log ? (msg) => logToFile("warning", msg) : undefined);
  if (verbosity === "debug") traceSyscalls((line) => log.debug(line));
  return { log, verbosity };
}

export function stateRoot(flags: FlagValues): string {
  return rootFlag(flags, "root", DEFAULT_STATE_ROOT);
}

// contain login's credentials, in docker's config.json format.
export const authFile = (dataRoot: string) => `${dataRoot}/auth.json`;

export function dataRoot(flags: FlagValues): string {
  const path = rootFlag(flags, "data-root", DEFAULT_DATA_ROOT);
  // The default rootfs under it is an overlay's lower layer.
  if (/[,:\\]/.test(path))
    throw new SpecError("--data-root", `${path} contains ',', ':' or '\\', which overlayfs options cannot hold`, "choose a path without them, e.g. --data-root /var/lib/contain");
  return path;
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

// The shell's convention, which docker and runc follow: the status, or 128+N
// for a process killed by signal N.
export function exitCodeOf(status: ExitStatus): number {
  return status.exited ? status.code : 128 + status.signal;
}

export function reportExit(result: RunResult, memoryLimit: number | undefined, opts: { stats: boolean }): number {
  if (result.oomKilled) {
    const limit = memoryLimit === undefined || memoryLimit < 0 ? "" : ` (limit ${formatSize(memoryLimit)})`;
    // PID 1 itself, or another process while PID 1 went on to its own end.
    const pid1 = !result.status.exited && result.status.signal === SIGKILL;
    printErr(`${pid1 ? "killed" : "a process of the container was killed"}: out of memory${limit}\n`);
  }
  const u = result.usage;
  if (opts.stats && u) {
    const parts = [
      `peak memory ${u.memoryPeak === undefined ? "n/a" : humanSize(u.memoryPeak)}`,
      `cpu time ${u.cpuUsec === undefined ? "n/a" : `${(u.cpuUsec / 1e6).toFixed(3)}s`}`,
      `max pids ${u.pidsPeak ?? "n/a"}`,
    ];
    printErr(`[contain] usage: ${parts.join(", ")}\n`);
  }
  return exitCodeOf(result.status);
}

// The one container a command acts on.
export function oneContainer(positionals: readonly string[], command: string): string {
  if (positionals.length !== 1) throw new SpecError("container", positionals.length ? `takes one container, not ${positionals.length}` : "missing", `e.g. contain ${command} web`);
  return positionals[0] ?? "";
}

export function atLeastOneContainer(positionals: readonly string[], command: string): string[] {
  if (positionals.length === 0) throw new SpecError("container", "missing", `e.g. contain ${command} web`);
  return [...positionals];
}

// docker's CLI: 125 for a bad command line (a SpecError: a flag, a value, a
// missing argument) and for `run`'s own failures; 1 when a management
// command fails (no such container, not running, ...), as runc's commands
// exit too; 126 and 127 are the container command's, whoever runs it.
export function exitCodeFor(err: unknown, runs: boolean): number {
  if (!(err instanceof ContainError)) return runs ? EXIT.runtime : EXIT.failed;
  if (err.exitCode !== EXIT.runtime || runs || err instanceof SpecError) return err.exitCode;
  return EXIT.failed;
}

// The one error line every failure prints, and the exit code it means.
// `runs`: the command makes a container (run, node create).
export function reportError(err: unknown, debug = false, runs = false): number {
  const code = exitCodeFor(err, runs);
  if (err instanceof ContainError) {
    const line = `${err.message}${err.hint ? `; ${err.hint}` : ""}`;
    printErr(`[contain] error: ${line}\n`);
    logToFile("error", line);
    return code;
  }
  const message = err instanceof Error ? (debug ? (err.stack ?? err.message) : err.message) : String(err);
  printErr(`[contain] error: ${message}\n`);
  logToFile("error", message);
  return code;
}

// Runs `act` on each container, as docker does: the name of each one done on
// stdout, one error line for each failure, and a failure if any failed.
export async function eachContainer(refs: readonly string[], act: (ref: string) => Promise<unknown>): Promise<number> {
  let code = 0;
  for (const ref of refs) {
    try {
      await act(ref);
      print(`${ref}\n`);
    } catch (err) {
      if (refs.length === 1) throw err;
      code = reportError(err);
    }
  }
  return code;
}
