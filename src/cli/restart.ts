// `contain restart [-t SECONDS] CONTAINER...`
import { defineCommand } from "citty";
import { restartContainer } from "../runtime/restart.ts";
import { commonFlags, toCittyArgs, type FlagDefs } from "./args.ts";
import { eachContainer } from "./containers.ts";
import { containersArg, namedContainers } from "./context.ts";
import { timeFlag, timeoutOf } from "./stop.ts";

export const restartFlags = {
  time: timeFlag,
  ...commonFlags,
} satisfies FlagDefs;

export default defineCommand({
  meta: { name: "restart", description: "Stop containers (as stop does) and start them again" },
  args: toCittyArgs(restartFlags, containersArg),
  run({ rawArgs }) {
    const c = namedContainers(restartFlags, rawArgs, "restart");
    const timeout = timeoutOf(c.flags);
    return eachContainer(c, (store, ref) => restartContainer(store, ref, timeout, { log: c.log, verbosity: c.verbosity, cgroups: c.host.cgroups }));
  },
});
