// `contain delete [--force] ID`: runc's, the one way an OCI container's
// cgroups and state go (rm and the sweeps leave them to their caller).
import { defineCommand } from "citty";
import { deleteOci } from "../runtime/oci.ts";
import { commonFlags, toCittyArgs, type FlagDefs } from "./args.ts";
import { namedContainer, unsweptStore } from "./context.ts";

export const deleteFlags = {
  force: { type: "boolean", alias: ["f"], description: "Kill a running container first" },
  ...commonFlags,
} satisfies FlagDefs;

export default defineCommand({
  meta: { name: "delete", description: "Delete a stopped container made by create (--force: a running one too)" },
  args: toCittyArgs(deleteFlags, { name: "id", description: "The container's ID", required: true }),
  async run({ rawArgs }) {
    const c = namedContainer(deleteFlags, rawArgs, "delete");
    await deleteOci(unsweptStore(c), c.ref, c.flags.force === true, c.log);
    return 0;
  },
});
