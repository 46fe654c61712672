// `contain prune`: removes every stopped container, after the sweep every
// command does (which releases what killed runtimes left).
import { defineCommand } from "citty";
import { pruneContainers } from "../runtime/remove.ts";
import { commonFlags, toCittyArgs, type FlagDefs } from "./args.ts";
import { sweptStore } from "./containers.ts";
import { commandLine } from "./context.ts";
import { print } from "./output.ts";

export const pruneFlags = { ...commonFlags } satisfies FlagDefs;

export default defineCommand({
  meta: { name: "prune", description: "Remove all stopped containers and whatever crashed runs left" },
  args: toCittyArgs(pruneFlags),
  async run({ rawArgs }) {
    const store = sweptStore(commandLine(pruneFlags, rawArgs, "prune"));
    for (const { state } of await pruneContainers(store)) print(`${state.id}\n`);
    return 0;
  },
});
