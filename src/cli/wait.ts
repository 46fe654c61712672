// `contain wait CONTAINER...`: prints each exit code once it has stopped.
import { defineCommand } from "citty";
import { requireRoot } from "../runtime/prepare.ts";
import { openStore } from "../runtime/sweep.ts";
import { waitContainer } from "../runtime/wait.ts";
import { commonFlags, parseFlags, toCittyArgs, type FlagDefs } from "./args.ts";
import { atLeastOneContainer, dataRoot, exitCodeOf, loggerFor, print, stateRoot } from "./output.ts";

export const waitFlags = { ...commonFlags } satisfies FlagDefs;

export default defineCommand({
  meta: { name: "wait", description: "Wait for containers to stop and print their exit codes" },
  args: toCittyArgs(waitFlags, { name: "container", usage: "CONTAINER [CONTAINER...]", description: "The containers (names or IDs)", required: true }),
  async run({ rawArgs }) {
    const { flags, positionals } = parseFlags(waitFlags, rawArgs, "wait");
    const { log } = loggerFor(flags);
    const refs = atLeastOneContainer(positionals, "wait");
    requireRoot("wait");
    const store = openStore(stateRoot(flags), dataRoot(flags), log);
    for (const ref of refs) print(`${exitCodeOf(await waitContainer(store, ref))}\n`);
    return 0;
  },
});
