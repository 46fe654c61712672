// `contain kill [-s SIGNAL] CONTAINER...`, docker's; and for a container
// made by create, runc's `kill [--all] ID [SIGNAL]` (default TERM), as
// podman and containerd's shim call it.
import { defineCommand } from "citty";
import { SpecError } from "../errors.ts";
import { parseSignal } from "../linux/process.ts";
import { killContainer } from "../runtime/kill.ts";
import { killOci } from "../runtime/oci.ts";
import { commonFlags, str, toCittyArgs, type FlagDefs } from "./args.ts";
import { eachContainer } from "./containers.ts";
import { namedContainers, unsweptStore } from "./context.ts";

export const killFlags = {
  signal: { type: "string", alias: ["s"], description: "The signal: a name (TERM, SIGTERM) or a number (default KILL)", valueHint: "SIGNAL" },
  all: { type: "boolean", alias: ["a"], description: "A container made by create: signal every process in its cgroup" },
  ...commonFlags,
} satisfies FlagDefs;

function signalOf(name: string, flag: string): number {
  const signal = parseSignal(name);
  if (signal === undefined) throw new SpecError(flag, `unknown signal ${JSON.stringify(name)}`, "use a name such as TERM, HUP, KILL or a number such as 15");
  return signal;
}

export default defineCommand({
  meta: { name: "kill", description: "Send a signal to a container's PID 1" },
  args: toCittyArgs(killFlags, { name: "container", usage: "CONTAINER [CONTAINER...]", description: "The containers (names or IDs); for one made by create, runc's form: ID [SIGNAL]", required: true }),
  run({ rawArgs }) {
    const c = namedContainers(killFlags, rawArgs, "kill");
    const { flags, refs } = c;
    const [id = "", signalArg, ...extra] = refs;
    const oci = unsweptStore(c);
    if (oci.read(id)?.kind === "oci") {
      if (extra.length) throw new SpecError("kill", `takes an ID and a signal, not ${refs.length} arguments`, `e.g. contain kill ${id} TERM`);
      killOci(oci, id, signalOf(signalArg ?? str(flags, "signal") ?? "TERM", "signal"), flags.all === true);
      return 0;
    }
    if (flags.all === true) throw new SpecError("--all", "is for containers made by create", "leave it out: contain kill signals the container's PID 1");
    const signal = signalOf(str(flags, "signal") ?? "KILL", "--signal");
    return eachContainer(c, (store, ref) => killContainer(store, ref, signal));
  },
});
