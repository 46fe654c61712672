// The command table and the one place that turns results and errors into
// exit codes and output.
import { defineCommand, type CommandDef } from "citty";
import { writeSync } from "node:fs";
import pkg from "../../package.json" with { type: "json" };
import { ContainError, EXIT } from "../errors.ts";
import { DEFAULT_STATE_ROOT } from "../runtime/host-context.ts";
import { HelpWanted, toCittyArgs, type FlagDefs } from "./args.ts";
import { takeGlobals } from "./globals.ts";
import { reportError } from "./output.ts";
import { closest } from "./suggest.ts";

// Loaded when named: a start evaluates only its own command's modules (run's
// alone pull in the spec, plan, seccomp and network code).
type Load = () => Promise<CommandDef>;
const lazy = (load: () => Promise<{ default: CommandDef }>): Load => () => load().then((m) => m.default);
const subCommands: Record<string, Load> = {
  run: lazy(() => import("./run.ts")),
  ps: lazy(() => import("./ps.ts")),
  exec: lazy(() => import("./exec.ts")),
  logs: lazy(() => import("./logs.ts")),
  attach: lazy(() => import("./attach.ts")),
  stats: lazy(() => import("./stats.ts")),
  inspect: lazy(() => import("./inspect.ts")),
  port: lazy(() => import("./port.ts")),
  cp: lazy(() => import("./cp.ts")),
  kill: lazy(() => import("./kill.ts")),
  stop: lazy(() => import("./stop.ts")),
  restart: lazy(() => import("./restart.ts")),
  pause: lazy(() => import("./pause.ts")),
  unpause: () => import("./pause.ts").then((m) => m.unpause),
  resume: () => import("./pause.ts").then((m) => m.unpause), // runc's name
  rm: lazy(() => import("./rm.ts")),
  wait: lazy(() => import("./wait.ts")),
  prune: lazy(() => import("./prune.ts")),
  node: lazy(() => import("./node.ts")),
  images: lazy(() => import("./images.ts")),
  pull: lazy(() => import("./pull.ts")),
  import: lazy(() => import("./import.ts")),
  save: lazy(() => import("./save.ts")),
  login: lazy(() => import("./login.ts")),
  logout: lazy(() => import("./logout.ts")),
  rmi: lazy(() => import("./rmi.ts")),
  tag: lazy(() => import("./tag.ts")),
  image: lazy(() => import("./image.ts")),
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
  completion: lazy(() => import("./completion.ts")),
};

// The top-level help's own lines: runc's global flags, which OCI callers put
// before the command (src/cli/globals.ts takes them), and the version.
const mainFlags = {
  help: { type: "boolean", alias: ["h"], description: "Print this help; contain COMMAND --help prints a command's" },
  version: { type: "boolean", description: "Print the versions of contain and of the OCI runtime spec it follows" },
  root: { type: "string", description: `The state directory of every command (default ${DEFAULT_STATE_ROOT})`, valueHint: "DIR" },
  log: { type: "string", description: "Also append each error line to FILE, as runc does for its callers", valueHint: "FILE" },
  "log-format": { type: "string", description: "The format of the --log lines: text (default) or json", valueHint: "FORMAT" },
  debug: { type: "boolean", description: "Log every step and every system call with its arguments" },
} satisfies FlagDefs;

export const main = defineCommand({
  meta: { name: "contain", version: pkg.version, description: "Run commands in Linux containers" },
  args: toCittyArgs(mainFlags),
  subCommands,
});

// The top-level help's sections; a unit test checks that they hold every command.
export const commandGroups = [
  ["Commands", ["run", "exec", "attach", "ps", "logs", "stats", "inspect", "port", "cp", "kill", "stop", "start", "restart", "pause", "unpause", "rm", "wait", "prune", "node", "completion"]],
  ["Image commands", ["pull", "images", "import", "save", "tag", "rmi", "image", "login", "logout"]],
  ["Runtime commands for OCI callers (runc's)", ["create", "state", "delete", "list", "update", "events", "resume", "features", "spec"]],
] as const;

// `contain` and the words of a command (`node create`): the command, or an
// error naming the closest one.
async function commandAt(words: readonly string[]): Promise<CommandDef> {
  let cmd: CommandDef = main;
  const seen = ["contain"];
  for (const word of words) {
    const subs = (await cmd.subCommands) as Record<string, CommandDef | Load> | undefined;
    const next = subs?.[word];
    if (!next) throw unknownCommand(word, Object.keys(subs ?? {}), seen.join(" "));
    seen.push(word);
    cmd = typeof next === "function" ? await next() : next;
  }
  return cmd;
}

function unknownCommand(word: string, known: readonly string[], parent: string): ContainError {
  const near = closest(word, known);
  return new ContainError(`unknown command ${JSON.stringify(word)}${parent === "contain" ? "" : ` for ${parent}`}`, `${near ? `did you mean ${JSON.stringify(near)}? ` : ""}see '${parent} --help'`, EXIT.failed);
}

async function printHelp(words: readonly string[]): Promise<number> {
  const [cmd, { renderHelp }] = await Promise.all([commandAt(words), import("./help.ts")]);
  // The terminal's width, or 80 for a pipe or a file.
  const width = process.stdout.isTTY ? Math.max(40, process.stdout.columns || 80) : 80;
  writeSync(1, await renderHelp(cmd, ["contain", ...words], width, words.length === 0 ? commandGroups : undefined));
  return 0;
}

export async function cli(line: string[]): Promise<number> {
  let args: string[];
  try {
    args = takeGlobals(line);
  } catch (err) {
    return reportError(err);
  }
  const name = args[0] ?? "";
  try {
    if (args.length === 0 || name === "--help" || name === "-h") return await printHelp([]);
    if (name === "help") return await printHelp(args.slice(1));
  } catch (err) {
    return reportError(err);
  }
  if (name === "--version" || name === "version") {
    // runc's second line, the newest runtime-spec a config.json may follow
    // (podman shows the runtime's version output as it is).
    const { OCI_VERSION_MAX } = await import("../spec/version.ts");
    writeSync(1, `contain ${pkg.version}\nspec: ${OCI_VERSION_MAX}\n`);
    return 0;
  }
  // Internal: exec'd by a detached container's monitor (ffi/monitor.c) to
  // release the container once its init has exited.
  if (name === "reap" && args.length === 4) {
    const { reapContainer } = await import("../runtime/reap.ts");
    try {
      await reapContainer(args[1] ?? "", args[2] ?? "", Number(args[3]));
      return 0;
    } catch (err) {
      return reportError(err, false);
    }
  }
  // Internal: run by `contain cp` to copy a stopped container's layer in a
  // mount namespace of its own.
  if (name === "cp-mounted" && args.length >= 2) {
    const { runMounted } = await import("./cp.ts");
    return runMounted(args.slice(1));
  }
  const load = subCommands[name];
  if (!load) return reportError(unknownCommand(name, Object.keys(subCommands), "contain"));
  // run and node create make a container: their own failures exit 125.
  const runs = name === "run" || (name === "node" && args[1] === "create");
  try {
    const cmd = await load();
    // Our own strict parser reads rawArgs (src/cli/args.ts), and asks for
    // the help where the command's flags are (HelpWanted); citty's
    // runCommand would parse them again with node:util, whose import alone
    // costs ~6 ms at every start.
    const result = await cmd.run?.({ rawArgs: args.slice(1), args: { _: [] } as never, cmd });
    return typeof result === "number" ? result : 0;
  } catch (err) {
    try {
      if (err instanceof HelpWanted) return await printHelp(err.command.split(" "));
    } catch (helpErr) {
      return reportError(helpErr);
    }
    return reportError(err, args.includes("--debug") || line.includes("--debug"), runs);
  }
}
