// `contain wait CONTAINER...`: prints each exit code once it has stopped.
import { defineCommand } from "citty";
import { waitContainer } from "../runtime/wait.ts";
import { commonFlags, toCittyArgs, type FlagDefs } from "./args.ts";
import { sweptStore } from "./containers.ts";
import { containersArg, namedContainers } from "./context.ts";
import { exitCodeOf, print } from "./output.ts";

export const waitFlags = { ...commonFlags } satisfies FlagDefs;

export default defineCommand({
  meta: { name: "wait", description: "Wait for containers to stop and print their exit codes" },
  args: toCittyArgs(waitFlags, containersArg),
  async run({ rawArgs }) {
    const c = namedContainers(waitFlags, rawArgs, "wait");
    const store = sweptStore(c);
    for (const ref of c.refs) print(`${exitCodeOf(await waitContainer(store, ref))}\n`);
    return 0;
  },
});
