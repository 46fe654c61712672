// What the CLI prints and how it exits: loggers from flags, exit codes from
// a container's end, the usage report.
import { writeSync } from "node:fs";
import { SIGKILL, traceSyscalls, type ExitStatus } from "../linux/process.ts";
import { createLogger, VERBOSITIES, type Logger, type Verbosity } from "../log.ts";
import type { RunResult } from "../runtime/run.ts";
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
