// The command table and the one place that turns results and errors into
// exit codes and output.
import { defineCommand, renderUsage, type CommandDef } from "citty";
import { writeSync } from "node:fs";
import pkg from "../../package.json" with { type: "json" };
import { ContainError } from "../errors.ts";
import { takeGlobals } from "./globals.ts";
import { reportError } from "./output.ts";

// Loaded when named: a start evaluates only its own command's modules (run's
// alone pull in the spec, plan, seccomp and network code).
type Load = () => Promise<CommandDef>;
const lazy = (load: () => Promise<{ default: CommandDef }>): Load => () => load().then((m) => m.default);
const subCommands: Record<string, Load> = {
  run: lazy(() => import("./run.ts")),
  ps: lazy(() => import("./ps.ts")),
  exec: lazy(() => import("./exec.ts")),
  logs: lazy(() => import("./logs.ts")),
  stats: lazy(() => import("./stats.ts")),
  inspect: lazy(() => import("./inspect.ts")),
  kill: lazy(() => import("./kill.ts")),
  stop: lazy(() => import("./stop.ts")),
  pause: lazy(() => import("./pause.ts")),
  unpause: () => import("./pause.ts").then((m) => m.unpause),
  resume: () => import("./pause.ts").then((m) => m.unpause), // runc's name
  rm: lazy(() => import("./rm.ts")),
  wait: lazy(() => import("./wait.ts")),
  prune: lazy(() => import("./prune.ts")),
  node: lazy(() => import("./node.ts")),
  // runc's lifecycle, for OCI callers (podman, containerd)
  create: lazy(() => import("./create.ts")),
  start: lazy(() => import("./start.ts")),
  state: lazy(() => import("./state.ts")),
  delete: lazy(() => import("./delete.ts")),
  list: lazy(() => import("./list.ts")),
  update: lazy(() => import("./update.ts")),
  events: lazy(() => import("./events.ts")),
  // what the runtime implements, for its callers
  features: lazy(() => import("./features.ts")),
  spec: lazy(() => import("./spec.ts")),
};

export const main = defineCommand({
  meta: { name: "contain", version: pkg.version, description: "Run commands in Linux containers" },
  subCommands,
});

// Help is asked for only before `--`: after it, --help belongs to the command.
function wantsHelp(args: readonly string[]): boolean {
  const end = args.indexOf("--");
  return (end < 0 ? args : args.slice(0, end)).some((a) => a === "--help" || a === "-h");
}

// The command a line names, with its parent: `node create` is create's.
async function commandOf(args: readonly string[]): Promise<{ cmd: CommandDef; parent?: CommandDef }> {
  let cmd: CommandDef = main;
  let parent: CommandDef | undefined;
  for (const word of args.filter((a) => !a.startsWith("-"))) {
    const subs = (await cmd.subCommands) as Record<string, CommandDef | Load> | undefined;
    const next = subs?.[word];
    if (!next) break;
    parent = cmd;
    cmd = typeof next === "function" ? await next() : next;
  }
  return { cmd, parent };
}

async function printHelp(args: readonly string[]): Promise<void> {
  const { cmd, parent } = await commandOf(args);
  const usage = await renderUsage(cmd, parent);
  // citty colours by environment only; a pipe or file gets plain text.
  writeSync(1, `${process.stdout.isTTY ? usage : Bun.stripANSI(usage)}\n`);
}


export async function cli(line: string[]): Promise<number> {
  let args: string[];
  try {
    args = takeGlobals(line);
  } catch (err) {
    return reportError(err);
  }
  if (args.length === 0 || args[0] === "help" || wantsHelp(args)) {
    await printHelp(args[0] === "help" ? args.slice(1) : args);
    return 0;
  }
  if (args[0] === "--version" || args[0] === "version") {
    // runc's second line, the newest runtime-spec a config.json may follow
    // (podman shows the runtime's version output as it is).
    const { OCI_VERSION_MAX } = await import("../spec/version.ts");
    writeSync(1, `contain ${pkg.version}\nspec: ${OCI_VERSION_MAX}\n`);
    return 0;
  }
  const name = args[0] ?? "";
  // Internal: exec'd by a detached container's monitor (ffi/monitor.c) to
  // release the container once its init has exited.
  if (name === "reap" && args.length === 3) {
    const { reapContainer } = await import("../runtime/reap.ts");
    try {
      reapContainer(args[1] ?? "", args[2] ?? "");
      return 0;
    } catch (err) {
      return reportError(err, false);
    }
  }
  const load = subCommands[name];
  if (!load) return reportError(new ContainError(`unknown command ${JSON.stringify(name)}`, "see 'contain --help'"), false);
  try {
    const cmd = await load();
    // Our own strict parser reads rawArgs (src/cli/args.ts); citty's
    // runCommand would parse them again with node:util, whose import alone
    // costs ~6 ms at every start.
    const result = await cmd.run?.({ rawArgs: args.slice(1), args: { _: [] } as never, cmd });
    return typeof result === "number" ? result : 0;
  } catch (err) {
    return reportError(err, args.includes("--debug") || line.includes("--debug"));
  }
}
