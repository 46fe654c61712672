// `contain stop [-t SECONDS] CONTAINER...`
import { defineCommand } from "citty";
import { SpecError } from "../errors.ts";
import { requireRoot } from "../runtime/prepare.ts";
import { stopContainer } from "../runtime/stop.ts";
import { openStore } from "../runtime/sweep.ts";
import { parseNumber } from "../spec/units.ts";
import { commonFlags, parseFlags, str, toCittyArgs, type FlagDefs } from "./args.ts";
import { atLeastOneContainer, dataRoot, eachContainer, loggerFor, stateRoot } from "./output.ts";

export const stopFlags = {
  time: { type: "string", alias: ["t", "timeout"], description: "Seconds to wait after the stop signal before SIGKILL (default: the container's --stop-timeout, or 10)", valueHint: "SECONDS" },
  ...commonFlags,
} satisfies FlagDefs;

export default defineCommand({
  meta: { name: "stop", description: "Stop containers: the stop signal, then SIGKILL after a timeout" },
  args: toCittyArgs(stopFlags, { name: "container", usage: "CONTAINER [CONTAINER...]", description: "The containers (names or IDs)", required: true }),
  run({ rawArgs }) {
    const { flags, positionals } = parseFlags(stopFlags, rawArgs, "stop");
    const { log } = loggerFor(flags);
    const refs = atLeastOneContainer(positionals, "stop");
    const time = str(flags, "time");
    const seconds = time === undefined ? undefined : parseNumber("--time", time, "seconds, e.g. --time 5");
    if (seconds !== undefined && seconds < 0) throw new SpecError("--time", `${seconds} is not a number of seconds`, "use 0 or more, e.g. --time 5");
    requireRoot("stop");
    const store = openStore(stateRoot(flags), dataRoot(flags), log);
    return eachContainer(refs, (ref) => stopContainer(store, ref, seconds === undefined ? undefined : seconds * 1000));
  },
});
