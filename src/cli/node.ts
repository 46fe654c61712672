// `contain node create|ls|rm`: the named nodes of the "nexus" design. A node
// is a detached container made through `run -d`'s own path: memory in MiB,
// CPU in shares (cpu.weight on cgroup v2), a payload that sleeps forever
// unless one is given (or, with --image, the image's own command). `create`
// prints the node's host PID.
import { defineCommand } from "citty";
import { ContainError, EXIT, SpecError } from "../errors.ts";
import { newContainerId } from "../runtime/prepare.ts";
import { removeContainer } from "../runtime/remove.ts";
import { humanSize, parseInteger } from "../spec/units.ts";
import { checkName, commonFlags, HelpWanted, str, toCittyArgs, type FlagDefs } from "./args.ts";
import { eachContainer, sweptStore } from "./containers.ts";
import { commandLine, namedContainers } from "./context.ts";
import { print } from "./output.ts";
import { describeStatus, rows } from "./ps.ts";
import { closest } from "./suggest.ts";
import { formatTable } from "./table.ts";

export const nodeCreateFlags = {
  mem: { type: "string", description: "Memory limit in MiB (required), e.g. 256", valueHint: "MB" },
  cpu: { type: "string", description: "CPU shares, 2-262144 (cpu.weight on cgroup v2), e.g. 512", valueHint: "SHARES" },
  rootfs: { type: "string", description: "Root filesystem directory (default: the embedded busybox root)", valueHint: "DIR" },
  image: { type: "string", description: "The image to run, from the store (its own command is the default payload)", valueHint: "REF" },
  net: { type: "string", alias: ["network"], description: "Network: bridge (default), none (loopback only) or host", valueHint: "MODE" },
  ...commonFlags,
} satisfies FlagDefs;

export const nodeLsFlags = {
  json: { type: "boolean", description: "Print JSON" },
  ...commonFlags,
} satisfies FlagDefs;

export const nodeRmFlags = { ...commonFlags } satisfies FlagDefs;

const DEFAULT_PAYLOAD = ["sleep", "infinity"];

export const create = defineCommand({
  meta: { name: "create", description: "Create a node: a detached container; prints its host PID" },
  args: toCittyArgs(nodeCreateFlags, { name: "name", description: "The node's name", required: true }, { name: "command", usage: "-- COMMAND [ARG...]", description: "The payload, after -- (default: sleep infinity)" }),
  async run({ rawArgs }) {
    // Flags may follow the name (`node create node-1 --mem 256`): the payload
    // is what follows `--`.
    const c = commandLine(nodeCreateFlags, rawArgs, "node create");
    const { flags, log, verbosity, positionals: [nameArg, ...command] } = c;
    if (nameArg === undefined) throw new SpecError("name", "missing", "e.g. contain node create node-1 --mem 256 --cpu 512");
    const name = checkName(nameArg) as string;
    const memText = str(flags, "mem");
    if (memText === undefined) throw new SpecError("--mem", "is required", `give the node's memory in MiB, e.g. contain node create ${name} --mem 256`);
    const mem = parseInteger("--mem", memText, "memory in MiB, e.g. --mem 256");
    if (mem <= 0) throw new SpecError("--mem", `${mem} MiB leaves the node no memory`, "give at least 1 (MiB), e.g. --mem 256");
    const cpuText = str(flags, "cpu");
    const cpu = cpuText === undefined ? undefined : parseInteger("--cpu", cpuText, "CPU shares, e.g. --cpu 512");
    // The range of run's --cpu-shares, named as this command's --cpu.
    if (cpu !== undefined && (cpu < 2 || cpu > 262144))
      throw new SpecError("--cpu", cpu < 2 ? "must be at least 2" : "must be at most 262144", "give CPU shares from 2 to 262144, e.g. --cpu 512");
    c.host.requireRoot("node create");
    // run's modules, loaded only by the subcommand that makes a container
    const [{ containerOf, imageRequest, pulledFor }, { runDetached }] = await Promise.all([import("./run.ts"), import("../runtime/run.ts")]);
    const data = c.host.dataRoot;
    const store = sweptStore(c);
    const id = newContainerId();
    const runFlags = { rootfs: str(flags, "rootfs"), net: str(flags, "net"), memory: `${mem}M`, ...(cpu === undefined ? {} : { "cpu-shares": String(cpu) }) };
    const wanted = imageRequest(runFlags, str(flags, "image"));
    const image = wanted && (await pulledFor(wanted, runFlags, data, log));
    const made = containerOf(runFlags, command.length || image ? command : DEFAULT_PAYLOAD, id, false, data, store, image, { cgroups: c.host.cgroups });
    const pid = await runDetached(made.plan, { log, verbosity, store, spec: made.spec, name, autoRemove: false, kind: "node" });
    print(`${pid}\n`);
    return 0;
  },
});

export const ls = defineCommand({
  meta: { name: "ls", description: "List nodes" },
  args: toCittyArgs(nodeLsFlags),
  run({ rawArgs }) {
    const c = commandLine(nodeLsFlags, rawArgs, "node ls");
    const store = sweptStore(c);
    const now = Date.now();
    const nodes = rows(store, true).filter((r) => r.state.kind === "node");
    if (c.flags.json === true) {
      const out = nodes.map((r) => ({
        name: r.state.name ?? null,
        id: r.state.id,
        pid: r.status.kind === "exited" ? null : (r.state.init?.pid ?? null),
        status: r.status.kind,
        memoryLimit: r.memory?.limit ?? null,
        cpuShares: r.state.spec?.linux.resources.cpu?.shares ?? null,
      }));
      print(`${JSON.stringify(out, null, 2)}\n`);
      return 0;
    }
    const table = nodes.map((r) => [
      r.state.name ?? "",
      r.state.id.slice(0, 12),
      r.status.kind === "exited" ? "" : String(r.state.init?.pid ?? ""),
      describeStatus(r.status, r.state, now),
      r.memory ? `${r.memory.current === undefined ? "-" : humanSize(r.memory.current)}/${r.memory.limit === undefined ? "-" : humanSize(r.memory.limit)}` : "",
      String(r.state.spec?.linux.resources.cpu?.shares ?? ""),
    ]);
    print(formatTable(["NAME", "ID", "PID", "STATUS", "MEM", "CPU SHARES"], table));
    return 0;
  },
});

export const rm = defineCommand({
  meta: { name: "rm", description: "Remove nodes, stopping them first" },
  args: toCittyArgs(nodeRmFlags, { name: "name", usage: "NAME [NAME...]", description: "The nodes (names or IDs)", required: true }),
  run({ rawArgs }) {
    return eachContainer(namedContainers(nodeRmFlags, rawArgs, "node rm"), (store, ref) => {
      if (store.find(ref).state.kind !== "node") throw new ContainError(`${ref} is a container, not a node`, `remove it with contain rm -f ${ref}`);
      return removeContainer(store, ref, true);
    });
  },
});

export const nodeCommands = { create, ls, rm };

export default defineCommand({
  meta: { name: "node", description: "Manage nodes: named detached containers (create, ls, rm)" },
  subCommands: nodeCommands,
  run({ rawArgs }) {
    const [sub, ...rest] = rawArgs;
    if (sub === undefined || sub === "--help" || sub === "-h") throw new HelpWanted("node");
    const cmd = nodeCommands[sub as keyof typeof nodeCommands];
    if (!cmd) {
      const near = closest(sub, Object.keys(nodeCommands));
      throw new ContainError(`unknown command ${JSON.stringify(sub)} for contain node`, `${near ? `did you mean ${JSON.stringify(near)}? ` : ""}use contain node create, ls or rm`, EXIT.failed);
    }
    return cmd.run?.({ rawArgs: rest, args: { _: [] } as never, cmd });
  },
});
