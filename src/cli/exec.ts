// `contain exec [-i] [-t] [-e K=V] [-w DIR] [-u USER] CONTAINER [--] CMD...`
import { defineCommand } from "citty";
import { SpecError } from "../errors.ts";
import { isTerminal } from "../linux/pty.ts";
import { execInContainer } from "../runtime/exec.ts";
import { requireRoot } from "../runtime/prepare.ts";
import { openStore } from "../runtime/sweep.ts";
import { commonFlags, list, parseFlags, str, toCittyArgs, type FlagDefs } from "./args.ts";
import { dataRoot, exitCodeOf, loggerFor, stateRoot } from "./output.ts";

export const execFlags = {
  interactive: { type: "boolean", alias: ["i"], description: "Keep stdin attached (default: /dev/null)" },
  tty: { type: "boolean", alias: ["t"], description: "Give the command a terminal of the container's" },
  env: { type: "string", alias: ["e"], description: "Set an environment variable", valueHint: "KEY=VALUE", repeat: true },
  workdir: { type: "string", alias: ["w"], description: "Working directory inside the container", valueHint: "DIR" },
  user: { type: "string", alias: ["u"], description: "User: uid[:gid], or a name from the container's /etc/passwd", valueHint: "USER" },
  ...commonFlags,
} satisfies FlagDefs;

export default defineCommand({
  meta: { name: "exec", description: "Run a command in a running container" },
  args: toCittyArgs(execFlags, { name: "container", description: "The container (name or ID), then the command, after -- or the last flag" }),
  async run({ rawArgs }) {
    const { flags, positionals } = parseFlags(execFlags, rawArgs, "exec", true);
    const { log } = loggerFor(flags);
    const [ref, ...rest] = positionals;
    const command = rest[0] === "--" ? rest.slice(1) : rest;
    if (ref === undefined || ref === "--") throw new SpecError("container", "missing", "e.g. contain exec -it web -- sh");
    if (command.length === 0) throw new SpecError("command", "no command given", `e.g. contain exec ${ref} -- sh`);
    const workdir = str(flags, "workdir");
    if (workdir !== undefined && !workdir.startsWith("/")) throw new SpecError("--workdir", `${JSON.stringify(workdir)} is not an absolute path`, "e.g. --workdir /tmp");
    requireRoot("exec");
    const store = openStore(stateRoot(flags), dataRoot(flags), log);
    const status = await execInContainer(store, ref, {
      command,
      env: list(flags, "env"),
      cwd: workdir,
      user: str(flags, "user"),
      tty: flags.tty === true,
      interactive: flags.interactive === true || (flags.tty === true && isTerminal(0)),
    });
    return exitCodeOf(status);
  },
});
