// `contain start [-a] CONTAINER...`, docker's: stopped detached containers
// run again. For a container made by create, runc's `start ID`, as podman
// and containerd call it.
import { defineCommand } from "citty";
import { SpecError } from "../errors.ts";
import { formatLogTime, showLogs } from "../runtime/logs.ts";
import { findOci, startContainer as startOci } from "../runtime/oci.ts";
import { startContainer } from "../runtime/start.ts";
import { waitContainer } from "../runtime/wait.ts";
import { commonFlags, toCittyArgs, type FlagDefs } from "./args.ts";
import { eachContainer, sweptStore } from "./containers.ts";
import { namedContainers, unsweptStore } from "./context.ts";
import { exitCodeOf } from "./output.ts";

export const startFlags = {
  attach: { type: "boolean", alias: ["a"], description: "Print the container's output until it stops, and exit with its code" },
  ...commonFlags,
} satisfies FlagDefs;

export default defineCommand({
  meta: { name: "start", description: "Start stopped containers again (runc's: one made by create)" },
  args: toCittyArgs(startFlags, { name: "container", usage: "CONTAINER [CONTAINER...]", description: "The containers (names or IDs); one made by create, by its ID", required: true }),
  async run({ rawArgs }) {
    const c = namedContainers(startFlags, rawArgs, "start");
    const { flags, refs, log, verbosity } = c;
    const oci = unsweptStore(c);
    const [first = ""] = refs;
    if (refs.length === 1 && oci.read(first)?.kind === "oci") {
      if (flags.attach === true) throw new SpecError("--attach", "is for containers made by run -d", `start a container made by create with contain start ${first}`);
      startOci(oci, findOci(oci, first).state.id, log);
      return 0;
    }
    if (flags.attach !== true) return eachContainer(c, (store, ref) => startContainer(store, ref, { log, verbosity, cgroups: c.host.cgroups }));
    const store = sweptStore(c);
    if (refs.length > 1) throw new SpecError("--attach", `attaches to one container, not ${refs.length}`, `e.g. contain start -a ${first}`);
    // From the log, from just before the start on: nothing the container
    // prints at once is missed, as a socket attached after the start could.
    const since = formatLogTime(BigInt(Date.now()) * 1_000_000n);
    await startContainer(store, first, { log, verbosity, cgroups: c.host.cgroups });
    await showLogs(store, first, { follow: true, timestamps: false, since, stdout: 1, stderr: 2 });
    return exitCodeOf(await waitContainer(store, first));
  },
});
