// `contain kill [-s SIGNAL] CONTAINER...`
import { defineCommand } from "citty";
import { SpecError } from "../errors.ts";
import { parseSignal } from "../linux/process.ts";
import { killContainer } from "../runtime/kill.ts";
import { requireRoot } from "../runtime/prepare.ts";
import { openStore } from "../runtime/sweep.ts";
import { commonFlags, parseFlags, str, toCittyArgs, type FlagDefs } from "./args.ts";
import { atLeastOneContainer, dataRoot, eachContainer, loggerFor, stateRoot } from "./output.ts";

export const killFlags = {
  signal: { type: "string", alias: ["s"], description: "The signal: a name (TERM, SIGTERM) or a number (default KILL)", valueHint: "SIGNAL" },
  ...commonFlags,
} satisfies FlagDefs;

export default defineCommand({
  meta: { name: "kill", description: "Send a signal to a container's PID 1" },
  args: toCittyArgs(killFlags, { name: "container", description: "The containers (names or IDs)" }),
  run({ rawArgs }) {
    const { flags, positionals } = parseFlags(killFlags, rawArgs, "kill");
    const { log } = loggerFor(flags);
    const refs = atLeastOneContainer(positionals, "kill");
    const name = str(flags, "signal") ?? "KILL";
    const signal = parseSignal(name);
    if (signal === undefined) throw new SpecError("--signal", `unknown signal ${JSON.stringify(name)}`, "use a name such as TERM, HUP, KILL or a number such as 15");
    requireRoot("kill");
    const store = openStore(stateRoot(flags), dataRoot(flags), log);
    return eachContainer(refs, async (ref) => killContainer(store, ref, signal));
  },
});
