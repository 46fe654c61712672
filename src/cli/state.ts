// `contain state ID`: runc's, the runtime-spec's state of a container as JSON.
import { defineCommand } from "citty";
import { findOci, ociState } from "../runtime/oci.ts";
import { commonFlags, parseFlags, toCittyArgs, type FlagDefs } from "./args.ts";
import { hostOf, oneContainer, unsweptStore } from "./context.ts";
import { print } from "./output.ts";

export const stateFlags = { ...commonFlags } satisfies FlagDefs;

export default defineCommand({
  meta: { name: "state", description: "Print a container's OCI state as JSON (runc's state)" },
  args: toCittyArgs(stateFlags, { name: "id", description: "The container's ID", required: true }),
  run({ rawArgs }) {
    const { flags, positionals } = parseFlags(stateFlags, rawArgs, "state");
    const id = oneContainer(positionals, "state");
    const store = unsweptStore({ command: "state", host: hostOf(flags) });
    print(`${JSON.stringify(ociState(store, findOci(store, id).state), null, 2)}\n`);
    return 0;
  },
});
