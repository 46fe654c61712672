// The store of the commands that act on containers (kill, rm, stop,
// inspect, logs, ...), swept first, and docker's way of acting on each one:
// apart from context.ts, so that runc's lifecycle commands, which sweep
// nothing, do not load the sweep.
import type { Logger } from "../log.ts";
import type { StateStore } from "../runtime/state.ts";
import { openStore } from "../runtime/sweep.ts";
import type { NamedContainers, Opener } from "./context.ts";
import { print, reportError } from "./output.ts";

// The store, swept first of what killed runtimes left behind, once the user
// is known to be root: the preamble's last step.
export function sweptStore(c: Opener & { log: Logger }): StateStore {
  c.host.requireRoot(c.command);
  return openStore(c.host.stateRoot, c.host.dataRoot, c.log);
}

// Runs `act` on each container, as docker does: the name of each one done on
// stdout, one error line for each failure, and a failure if any failed.
export async function eachContainer(c: NamedContainers, act: (store: StateStore, ref: string) => unknown): Promise<number> {
  const store = sweptStore(c);
  let code = 0;
  for (const ref of c.refs) {
    try {
      await act(store, ref);
      print(`${ref}\n`);
    } catch (err) {
      if (c.refs.length === 1) throw err;
      code = reportError(err);
    }
  }
  return code;
}
