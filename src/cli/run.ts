// `contain run [flags] [--] CMD [ARGS...]`
import { defineCommand } from "citty";
import { availableParallelism } from "node:os";
import { isTerminal } from "../linux/pty.ts";
import { planFromSpec } from "../plan/plan.ts";
import { resolveRootfs, newContainerId, requireRoot } from "../runtime/prepare.ts";
import { runContainer } from "../runtime/run.ts";
import { openStore } from "../runtime/sweep.ts";
import { specFromFlags } from "../spec/from-flags.ts";
import { networkFromFlags } from "../spec/network.ts";
import { validateSpec } from "../spec/schema.ts";
import { commonFlags, list, parseFlags, str, toCittyArgs, type FlagDefs } from "./args.ts";
import { loggerFor, reportExit, stateRoot } from "./output.ts";

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
  net: { type: "string", alias: ["network"], description: "Network: bridge (default), none (loopback only) or host", valueHint: "MODE" },
  bridge: { type: "string", description: "The bridge of --net bridge, made on first use (default contain0)", valueHint: "NAME" },
  subnet: { type: "string", description: "The subnet of a new bridge (default 10.0.42.0/24)", valueHint: "CIDR" },
  publish: {
    type: "string",
    alias: ["p"],
    description: "Publish a container port on the host: [IP:]HOSTPORT:CONTAINERPORT[/tcp|/udp]",
    valueHint: "PORTS",
    repeat: true,
  },
  stats: { type: "boolean", description: "On exit, print peak memory, CPU time and peak pids" },
  ...commonFlags,
} satisfies FlagDefs;

export default defineCommand({
  meta: { name: "run", description: "Run a command in a new container" },
  args: toCittyArgs(runFlags, { name: "command", description: "The command and its arguments, after -- or the last flag" }),
  async run({ rawArgs }) {
    const { flags, positionals } = parseFlags(runFlags, rawArgs, "run", true);
    const { log, verbosity } = loggerFor(flags);
    requireRoot("run");
    const store = openStore(stateRoot(flags), log);
    const id = newContainerId();
    const network = networkFromFlags({ net: str(flags, "net"), bridge: str(flags, "bridge"), subnet: str(flags, "subnet"), publish: list(flags, "publish") });
    const tty = typeof flags.tty === "boolean" ? flags.tty : isTerminal(0) && isTerminal(1);
    const spec = validateSpec(
      specFromFlags(
        {
          command: positionals,
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
          hostNetwork: network.mode === "host",
        },
        id,
      ),
      { cpus: availableParallelism() },
    );
    const plan = planFromSpec(spec, id, network);
    const result = await runContainer(plan, { log, verbosity, store });
    return reportExit(result, plan.limits, { stats: flags.stats === true });
  },
});
