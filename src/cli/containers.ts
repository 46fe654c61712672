// The preamble of the commands that act on containers (kill, rm, stop,
// inspect, logs, ...): the containers the line names, then, once the user is
// known to be root, the state store.
import { SpecError } from "../errors.ts";
import type { HostContext } from "../runtime/host-context.ts";
import { StateStore } from "../runtime/state.ts";
import { openStore } from "../runtime/sweep.ts";
import type { Logger } from "../log.ts";
import type { FlagDefs, Positional } from "./args.ts";
import { commandLine, type CommandLine } from "./context.ts";
import { print, reportError } from "./output.ts";

interface Opener {
  command: string;
  host: HostContext;
}

// The store, swept first of what killed runtimes left behind.
export function sweptStore(c: Opener & { log: Logger }): StateStore {
  c.host.requireRoot(c.command);
  return openStore(c.host.stateRoot, c.host.dataRoot, c.log);
}

// runc's lifecycle commands sweep nothing: they run at every step of a
// caller's container.
export function unsweptStore(c: Opener): StateStore {
  c.host.requireRoot(c.command);
  return new StateStore(c.host.stateRoot);
}

// The positional argument of their help.
export const containersArg: Positional = { name: "container", usage: "CONTAINER [CONTAINER...]", description: "The containers (names or IDs)", required: true };
export const containerArg: Positional = { name: "container", description: "The container (name or ID)", required: true };

// The one container a command acts on.
export function oneContainer(positionals: readonly string[], command: string): string {
  if (positionals.length !== 1) throw new SpecError("container", positionals.length ? `takes one container, not ${positionals.length}` : "missing", `e.g. contain ${command} web`);
  return positionals[0] ?? "";
}

export function atLeastOneContainer(positionals: readonly string[], command: string): string[] {
  if (positionals.length === 0) throw new SpecError("container", "missing", `e.g. contain ${command} web`);
  return [...positionals];
}

export type NamedContainers = CommandLine & { refs: string[] };

export function namedContainers(defs: FlagDefs, rawArgs: readonly string[], command: string): NamedContainers {
  const c = commandLine(defs, rawArgs, command);
  return { ...c, refs: atLeastOneContainer(c.positionals, command) };
}

export function namedContainer(defs: FlagDefs, rawArgs: readonly string[], command: string): CommandLine & { ref: string } {
  const c = commandLine(defs, rawArgs, command);
  return { ...c, ref: oneContainer(c.positionals, command) };
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
