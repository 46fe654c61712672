// `contain stop [-t SECONDS] CONTAINER...`
import { defineCommand } from "citty";
import { SpecError } from "../errors.ts";
import { stopContainer } from "../runtime/stop.ts";
import { parseNumber } from "../spec/units.ts";
import { commonFlags, str, toCittyArgs, type FlagDef, type FlagDefs, type FlagValues } from "./args.ts";
import { eachContainer } from "./containers.ts";
import { containersArg, namedContainers } from "./context.ts";

// stop's and restart's
export const timeFlag: FlagDef = { type: "string", alias: ["t", "timeout"], description: "Seconds to wait after the stop signal before SIGKILL (default: the container's --stop-timeout, or 10)", valueHint: "SECONDS" };

// --time in ms, or undefined for the container's own.
export function timeoutOf(flags: FlagValues): number | undefined {
  const time = str(flags, "time");
  const seconds = time === undefined ? undefined : parseNumber("--time", time, "seconds, e.g. --time 5");
  if (seconds !== undefined && seconds < 0) throw new SpecError("--time", `${seconds} is not a number of seconds`, "use 0 or more, e.g. --time 5");
  return seconds === undefined ? undefined : seconds * 1000;
}

export const stopFlags = {
  time: timeFlag,
  ...commonFlags,
} satisfies FlagDefs;

export default defineCommand({
  meta: { name: "stop", description: "Stop containers: the stop signal, then SIGKILL after a timeout" },
  args: toCittyArgs(stopFlags, containersArg),
  run({ rawArgs }) {
    const c = namedContainers(stopFlags, rawArgs, "stop");
    const timeout = timeoutOf(c.flags);
    return eachContainer(c, (store, ref) => stopContainer(store, ref, timeout));
  },
});
