// `contain start ID`: runc's, for a container made by `create`.
import { defineCommand } from "citty";
import { ContainError } from "../errors.ts";
import { requireRoot } from "../runtime/prepare.ts";
import { findOci, startContainer } from "../runtime/oci.ts";
import { StateStore } from "../runtime/state.ts";
import { commonFlags, parseFlags, toCittyArgs, type FlagDefs } from "./args.ts";
import { loggerFor, oneContainer, stateRoot } from "./output.ts";

export const startFlags = { ...commonFlags } satisfies FlagDefs;

export default defineCommand({
  meta: { name: "start", description: "Start the command of a container made by create" },
  args: toCittyArgs(startFlags, { name: "id", description: "The container's ID", required: true }),
  run({ rawArgs }) {
    const { flags, positionals } = parseFlags(startFlags, rawArgs, "start");
    const { log } = loggerFor(flags);
    const id = oneContainer(positionals, "start");
    requireRoot("start");
    // runc sweeps nothing: these run at every step of a caller's container.
    const store = new StateStore(stateRoot(flags));
    if (findOci(store, id).state.kind !== "oci") throw new ContainError(`container ${id} was made by run: start works on containers made by create`, "run a new one with contain run");
    startContainer(store, id, log);
    return 0;
  },
});
