// The logger: consola's core (its default entry costs ~24 ms at every start)
// with a reporter of ours that writes one line per step to stderr. stdout
// belongs to the container and to --json output.
import { createConsola, LogLevels, type ConsolaInstance, type LogObject } from "consola/core";
import { writeSync } from "node:fs";

function format(arg: unknown): string {
  return arg instanceof Error ? arg.message : String(arg);
}

// With --debug every line also says which process wrote it (the CLI, or the
// init, which is pid 1 in its namespace) and when, in ms since that process
// started: where a container's start-up time goes, step by step.
// `warned` hears every warning, even when stderr shows errors only: runc's
// --log file (cli/globals.ts), where a caller such as containerd reads what a
// hook's failure said.
const reporter = (timed: boolean, shown: number, warned?: (msg: string) => void) => ({
  log(obj: LogObject) {
    if (obj.type === "warn") warned?.(obj.args.map(format).join(" "));
    if (obj.level > shown) return;
    const prefix = obj.type === "error" || obj.type === "fatal" ? "error: " : obj.type === "warn" ? "warning: " : "";
    const when = timed ? `pid ${process.pid} +${performance.now().toFixed(1)}ms ` : "";
    const text = `${obj.tag ? `[${obj.tag}] ` : ""}${when}${prefix}${obj.args.map(format).join(" ")}\n`;
    // Synchronous: the process may exec or exit right after a log line. A
    // closed stderr (`contain run ... 2>&1 | head -1`) must never stop the
    // runtime from cleaning up, so a failed write is dropped.
    try {
      writeSync(2, text);
    } catch {}
  },
});

export type Logger = ConsolaInstance;

export const VERBOSITIES = ["quiet", "info", "debug"] as const;
export type Verbosity = (typeof VERBOSITIES)[number];

// The consola instance is made at the first use of the logger: making it
// (createConsola, withTag) is ~1 ms of a start, and most runs of most
// commands never log a line.
export function createLogger(verbosity: Verbosity = "info", warned?: (msg: string) => void): Logger {
  const shown = verbosity === "quiet" ? LogLevels.error : verbosity === "debug" ? LogLevels.debug : LogLevels.info;
  const level = warned ? Math.max(shown, LogLevels.warn) : shown;
  let made: Logger | undefined;
  // Made at its first use, with the tag as a default: withTag() makes a
  // second instance, and each costs ~0.2 ms at every start.
  const logger = () => (made ??= createConsola({ level, reporters: [reporter(verbosity === "debug", shown, warned)], defaults: { tag: "contain" } }));
  return new Proxy({} as Logger, {
    get(_, key) {
      const value: unknown = Reflect.get(logger(), key);
      return typeof value === "function" ? value.bind(logger()) : value;
    },
    set: (_, key, value) => Reflect.set(logger(), key, value),
  });
}
