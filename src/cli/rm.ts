// `contain rm [-f] CONTAINER...`
import { defineCommand } from "citty";
import { requireRoot } from "../runtime/prepare.ts";
import { removeContainer } from "../runtime/remove.ts";
import { openStore } from "../runtime/sweep.ts";
import { commonFlags, parseFlags, toCittyArgs, type FlagDefs } from "./args.ts";
import { atLeastOneContainer, dataRoot, eachContainer, loggerFor, stateRoot } from "./output.ts";

export const rmFlags = {
  force: { type: "boolean", alias: ["f"], description: "Kill a running container first" },
  ...commonFlags,
} satisfies FlagDefs;

export default defineCommand({
  meta: { name: "rm", description: "Remove containers" },
  args: toCittyArgs(rmFlags, { name: "container", usage: "CONTAINER [CONTAINER...]", description: "The containers (names or IDs)", required: true }),
  run({ rawArgs }) {
    const { flags, positionals } = parseFlags(rmFlags, rawArgs, "rm");
    const { log } = loggerFor(flags);
    const refs = atLeastOneContainer(positionals, "rm");
    requireRoot("rm");
    const store = openStore(stateRoot(flags), dataRoot(flags), log);
    return eachContainer(refs, (ref) => removeContainer(store, ref, flags.force === true));
  },
});
