// `contain pause CONTAINER...` and `contain unpause CONTAINER...`
import { defineCommand } from "citty";
import { pauseContainer, unpauseContainer } from "../runtime/pause.ts";
import { requireRoot } from "../runtime/prepare.ts";
import { openStore } from "../runtime/sweep.ts";
import { commonFlags, parseFlags, toCittyArgs, type FlagDefs } from "./args.ts";
import { atLeastOneContainer, dataRoot, eachContainer, loggerFor, stateRoot } from "./output.ts";

export const pauseFlags = { ...commonFlags } satisfies FlagDefs;

const containers = { name: "container", usage: "CONTAINER [CONTAINER...]", description: "The containers (names or IDs)", required: true };

function freezerCommand(name: "pause" | "unpause", description: string, act: typeof pauseContainer) {
  return defineCommand({
    meta: { name, description },
    args: toCittyArgs(pauseFlags, containers),
    run({ rawArgs }) {
      const { flags, positionals } = parseFlags(pauseFlags, rawArgs, name);
      const { log } = loggerFor(flags);
      const refs = atLeastOneContainer(positionals, name);
      requireRoot(name);
      const store = openStore(stateRoot(flags), dataRoot(flags), log);
      return eachContainer(refs, async (ref) => act(store, ref));
    },
  });
}

export default freezerCommand("pause", "Pause all processes of containers (the cgroup freezer)", pauseContainer);

export const unpause = freezerCommand("unpause", "Unpause all processes of paused containers", unpauseContainer);
