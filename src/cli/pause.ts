// `contain pause CONTAINER...` and `contain unpause CONTAINER...`
import { defineCommand } from "citty";
import { pauseContainer, unpauseContainer } from "../runtime/pause.ts";
import { commonFlags, toCittyArgs, type FlagDefs } from "./args.ts";
import { eachContainer } from "./containers.ts";
import { containersArg, namedContainers } from "./context.ts";

export const pauseFlags = { ...commonFlags } satisfies FlagDefs;

function freezerCommand(name: "pause" | "unpause", description: string, act: typeof pauseContainer) {
  return defineCommand({
    meta: { name, description },
    args: toCittyArgs(pauseFlags, containersArg),
    run({ rawArgs }) {
      return eachContainer(namedContainers(pauseFlags, rawArgs, name), act);
    },
  });
}

export default freezerCommand("pause", "Pause all processes of containers (the cgroup freezer)", pauseContainer);

export const unpause = freezerCommand("unpause", "Unpause all processes of paused containers", unpauseContainer);
