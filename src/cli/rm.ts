// `contain rm [-f] CONTAINER...`
import { defineCommand } from "citty";
import { removeContainer } from "../runtime/remove.ts";
import { commonFlags, toCittyArgs, type FlagDefs } from "./args.ts";
import { eachContainer } from "./containers.ts";
import { containersArg, namedContainers } from "./context.ts";

export const rmFlags = {
  force: { type: "boolean", alias: ["f"], description: "Kill a running container first" },
  ...commonFlags,
} satisfies FlagDefs;

export default defineCommand({
  meta: { name: "rm", description: "Remove containers" },
  args: toCittyArgs(rmFlags, containersArg),
  run({ rawArgs }) {
    const c = namedContainers(rmFlags, rawArgs, "rm");
    return eachContainer(c, (store, ref) => removeContainer(store, ref, c.flags.force === true));
  },
});
