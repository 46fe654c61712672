// `contain run [flags] [--] CMD [ARGS...]`
import { defineCommand } from "citty";
import { availableParallelism } from "node:os";
import { isTerminal } from "../linux/pty.ts";
import { planFromSpec } from "../plan/plan.ts";
import { resolveRootfs, newContainerId, requireRoot } from "../runtime/prepare.ts";
import { runContainer, runDetached } from "../runtime/run.ts";
import { NAME_RE } from "../runtime/state.ts";
import { openStore } from "../runtime/sweep.ts";
import { specFromFlags } from "../spec/from-flags.ts";
import { SpecError } from "../errors.ts";
import { validateSpec, type Spec } from "../spec/schema.ts";
import { commonFlags, list, parseFlags, str, toCittyArgs, type FlagDefs, type FlagValues } from "./args.ts";
import { loggerFor, print, reportExit, stateRoot } from "./output.ts";

export const runFlags = {
  rootfs: { type: "string", description: "Root filesystem directory (default: the embedded busybox root)", valueHint: "DIR" },
  hostname: { type: "string", description: "Container hostname (default: the short container ID)", valueHint: "NAME" },
  memory: { type: "string", alias: ["m"], description: "Memory limit: bytes or K/M/G, e.g. 64M", valueHint: "SIZE" },
  cpu: {
    type: "string",
    description: "CPU limit: below 1000 a number of CPUs (0.5), from 1000 a quota in us per 100ms (50000)",
    valueHint: "N",
  },
  cpus: { type: "string", description: "CPU limit as a number of CPUs, as docker's --cpus", valueHint: "N" },
  "cpu-quota": { type: "string", description: "CFS quota in microseconds per period", valueHint: "US" },
  "cpu-period": { type: "string", description: "CFS period in microseconds (default 100000)", valueHint: "US" },
  "cpu-shares": { type: "string", alias: ["c"], description: "Relative CPU weight, 2-262144 (cpu.weight on cgroup v2)", valueHint: "N" },
  pids: { type: "string", alias: ["pids-limit"], description: "Maximum number of processes", valueHint: "N" },
  env: { type: "string", alias: ["e"], description: "Set an environment variable", valueHint: "KEY=VALUE", repeat: true },
  tty: { type: "boolean", alias: ["t"], description: "Give the command a terminal (default: when stdin is one)" },
  interactive: { type: "boolean", alias: ["i"], description: "Keep stdin attached (always, in the foreground)" },
  stats: { type: "boolean", description: "On exit, print peak memory, CPU time and peak pids" },
  detach: { type: "boolean", alias: ["d"], description: "Run in the background and print the container ID; output goes to contain logs" },
  name: { type: "string", description: "A unique name for the container", valueHint: "NAME" },
  rm: { type: "boolean", description: "With --detach: remove the container when it exits (in the foreground it always is)" },
  ...commonFlags,
} satisfies FlagDefs;

export function checkName(name: string | undefined): string | undefined {
  if (name !== undefined && !NAME_RE.test(name))
    throw new SpecError("--name", `${JSON.stringify(name)} is not a valid name`, "use letters, digits and _ . - (starting with a letter or digit)");
  return name;
}

// The Spec of a new container from `run`'s flags (also what `node create` maps to).
export function specOf(flags: FlagValues, command: string[], id: string, tty: boolean): Spec {
  return validateSpec(
    specFromFlags(
      {
        command,
        rootfs: resolveRootfs(str(flags, "rootfs")),
        hostname: str(flags, "hostname"),
        memory: str(flags, "memory"),
        cpu: str(flags, "cpu"),
        cpus: str(flags, "cpus"),
        cpuQuota: str(flags, "cpu-quota"),
        cpuPeriod: str(flags, "cpu-period"),
        cpuShares: str(flags, "cpu-shares"),
        pids: str(flags, "pids"),
        env: list(flags, "env"),
        tty,
      },
      id,
    ),
    { cpus: availableParallelism() },
  );
}

export default defineCommand({
  meta: { name: "run", description: "Run a command in a new container" },
  args: toCittyArgs(runFlags, { name: "command", description: "The command and its arguments, after -- or the last flag" }),
  async run({ rawArgs }) {
    const { flags, positionals } = parseFlags(runFlags, rawArgs, "run", true);
    const { log, verbosity } = loggerFor(flags);
    requireRoot("run");
    const name = checkName(str(flags, "name"));
    const detach = flags.detach === true;
    if (detach && flags.tty === true) throw new SpecError("--tty", "a detached container has no terminal to attach to", "leave out -t, and use contain exec -it NAME sh to get a shell in it");
    if (detach && flags.stats === true) throw new SpecError("--stats", "is printed when a foreground run ends", "use contain stats NAME for a detached container");
    const store = openStore(stateRoot(flags), log);
    const id = newContainerId();
    const tty = detach ? false : typeof flags.tty === "boolean" ? flags.tty : isTerminal(0) && isTerminal(1);
    const spec = specOf(flags, positionals, id, tty);
    const plan = planFromSpec(spec, id);
    if (detach) {
      runDetached(plan, { log, verbosity, store, spec, name, autoRemove: flags.rm === true });
      print(`${id}\n`);
      return 0;
    }
    const result = await runContainer(plan, { log, verbosity, store, spec, name });
    return reportExit(result, plan.limits, { stats: flags.stats === true });
  },
});
