// `contain exec [-i] [-t] [-d] [-e K=V] [-w DIR] [-u USER] CONTAINER [--] CMD...`,
// docker's; with runc's flags too, as OCI callers use them:
// `exec --process FILE --detach --pid-file F [--console-socket S] ID`.
import { defineCommand } from "citty";
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { ContainError, SpecError } from "../errors.ts";
import { isTerminal } from "../linux/pty.ts";
import { execInContainer } from "../runtime/exec.ts";
import type { Spec } from "../spec/schema.ts";
import { commonFlags, list, parseFlags, str, toCittyArgs, type FlagDefs } from "./args.ts";
import { sweptStore } from "./containers.ts";
import { containerArg, hostOf } from "./context.ts";
import { exitCodeOf, loggerFor } from "./output.ts";
import { takeTerminal } from "./terminal.ts";

export const execFlags = {
  interactive: { type: "boolean", alias: ["i"], description: "Keep stdin attached (default: /dev/null; always for a container made by create)" },
  tty: { type: "boolean", alias: ["t"], description: "Give the command a terminal, a pty of the container's own devpts" },
  detach: { type: "boolean", alias: ["d"], description: "Run it in the background: print nothing, wait for nothing" },
  env: { type: "string", alias: ["e"], description: "Set an environment variable", valueHint: "KEY=VALUE", repeat: true },
  workdir: { type: "string", alias: ["w", "cwd"], description: "Working directory inside the container", valueHint: "DIR" },
  user: { type: "string", alias: ["u"], description: "User: uid[:gid], or a name from the container's /etc/passwd", valueHint: "USER" },
  process: { type: "string", alias: ["p"], description: "runc's: the whole process from a JSON file (config.json's process), instead of the command and flags", valueHint: "FILE" },
  "pid-file": { type: "string", description: "Write the process's PID, as the host sees it, to this file", valueHint: "FILE" },
  "console-socket": { type: "string", description: "runc's: send the terminal's master to this unix socket", valueHint: "SOCKET" },
  cap: { type: "string", alias: ["c"], description: "runc's: add a capability to the process (e.g. CAP_NET_ADMIN)", valueHint: "CAP", repeat: true },
  ...commonFlags,
} satisfies FlagDefs;

async function readProcess(file: string, spec: Spec): Promise<Spec["process"]> {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new SpecError("--process", `cannot read ${file}: ${code ?? (err as Error).message}`, "give a JSON file holding the process, as config.json's process");
  }
  // The OCI config's parser (its schema) loads only for --process.
  const { processFromConfig } = await import("../spec/oci.ts");
  return processFromConfig(json, spec, { cpus: availableParallelism() });
}

export default defineCommand({
  meta: { name: "exec", description: "Run a command in a running container" },
  args: toCittyArgs(
    execFlags,
    containerArg,
    { name: "command", usage: "COMMAND [ARG...]", description: "The command and its arguments, taken as written (after the container, or after --)", required: true },
  ),
  async run({ rawArgs }) {
    const { flags, positionals } = parseFlags(execFlags, rawArgs, "exec", true);
    const { log } = loggerFor(flags);
    const [ref, ...rest] = positionals;
    const command = rest[0] === "--" ? rest.slice(1) : rest;
    const processFile = str(flags, "process");
    if (ref === undefined || ref === "--") throw new SpecError("container", "missing", "e.g. contain exec -it web -- sh");
    if (command.length === 0 && !processFile) throw new SpecError("command", "no command given", `e.g. contain exec ${ref} -- sh`);
    if (command.length > 0 && processFile) throw new SpecError("--process", "replaces the command: give one or the other", `e.g. contain exec --process process.json ${ref}`);
    const detach = flags.detach === true;
    const workdir = str(flags, "workdir");
    if (workdir !== undefined && !workdir.startsWith("/")) throw new SpecError("--workdir", `${JSON.stringify(workdir)} is not an absolute path`, "e.g. --workdir /tmp");
    const host = hostOf(flags);
    host.requireRoot("exec");
    if (!detach) takeTerminal(flags.interactive === true, flags.tty === true);
    const store = sweptStore({ command: "exec", host, log });
    const { state } = store.find(ref);
    if (!state.spec) throw new ContainError(`container ${ref} has no recorded configuration`, "it was made by an older contain: run a new one");
    const given = processFile ? await readProcess(processFile, state.spec) : undefined;
    const tty = given?.terminal ?? flags.tty === true;
    const socket = str(flags, "console-socket");
    if (tty && detach && !socket) throw new SpecError("--tty", "a detached process's terminal needs a --console-socket to go to", "give --console-socket, or leave out -t");
    if (socket && !tty) throw new SpecError("--console-socket", "needs a terminal to send (-t, or terminal in --process)", "leave it out, or add -t");
    const oci = state.kind === "oci";
    const result = await execInContainer(store, ref, {
      command,
      env: list(flags, "env"),
      cwd: workdir,
      user: str(flags, "user"),
      tty,
      // An OCI caller's stdin is the process's, as with runc.
      interactive: oci || detach || flags.interactive === true || (tty && isTerminal(0)),
      process: given,
      capAdd: list(flags, "cap"),
      detach,
      pidFile: str(flags, "pid-file"),
      consoleSocket: socket,
    });
    return result.status ? exitCodeOf(result.status) : 0;
  },
});
