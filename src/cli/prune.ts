// `contain prune`: removes every stopped container, after the sweep every
// command does (which releases what killed runtimes left).
import { defineCommand } from "citty";
import { requireRoot } from "../runtime/prepare.ts";
import { pruneContainers } from "../runtime/remove.ts";
import { openStore } from "../runtime/sweep.ts";
import { commonFlags, parseFlags, toCittyArgs, type FlagDefs } from "./args.ts";
import { dataRoot, loggerFor, print, stateRoot } from "./output.ts";

export const pruneFlags = { ...commonFlags } satisfies FlagDefs;

export default defineCommand({
  meta: { name: "prune", description: "Remove all stopped containers and whatever crashed runs left" },
  args: toCittyArgs(pruneFlags),
  async run({ rawArgs }) {
    const { flags } = parseFlags(pruneFlags, rawArgs, "prune");
    const { log } = loggerFor(flags);
    requireRoot("prune");
    const store = openStore(stateRoot(flags), dataRoot(flags), log);
    for (const { state } of await pruneContainers(store)) print(`${state.id}\n`);
    return 0;
  },
});
