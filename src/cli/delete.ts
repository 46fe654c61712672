// `contain delete [--force] ID`: runc's, the one way an OCI container's
// cgroups and state go (rm and the sweeps leave them to their caller).
import { defineCommand } from "citty";
import { requireRoot } from "../runtime/prepare.ts";
import { deleteOci } from "../runtime/oci.ts";
import { StateStore } from "../runtime/state.ts";
import { commonFlags, parseFlags, toCittyArgs, type FlagDefs } from "./args.ts";
import { loggerFor, oneContainer, stateRoot } from "./output.ts";

export const deleteFlags = {
  force: { type: "boolean", alias: ["f"], description: "Kill a running container first" },
  ...commonFlags,
} satisfies FlagDefs;

export default defineCommand({
  meta: { name: "delete", description: "Delete a stopped container made by create (--force: a running one too)" },
  args: toCittyArgs(deleteFlags, { name: "id", description: "The container's ID", required: true }),
  async run({ rawArgs }) {
    const { flags, positionals } = parseFlags(deleteFlags, rawArgs, "delete");
    const { log } = loggerFor(flags);
    const id = oneContainer(positionals, "delete");
    requireRoot("delete");
    // runc sweeps nothing: these run at every step of a caller's container.
    const store = new StateStore(stateRoot(flags));
    await deleteOci(store, id, flags.force === true, log);
    return 0;
  },
});
