// `contain attach [--detach-keys KEYS] [--no-stdin] CONTAINER`: this
// terminal on a detached container's own (run -dit), which its monitor holds.
// Ctrl-P Ctrl-Q lets go, the container running on; its end ends attach with
// its exit code.
import { defineCommand } from "citty";
import { ContainError } from "../errors.ts";
import { inBackground, isTerminal } from "../linux/pty.ts";
import { attachTo, frames, sizeFrame } from "../runtime/attach.ts";
import { requireRoot } from "../runtime/prepare.ts";
import { label, statusOf } from "../runtime/status.ts";
import { openStore } from "../runtime/sweep.ts";
import { waitContainer } from "../runtime/wait.ts";
import { commonFlags, parseFlags, str, toCittyArgs, type FlagDefs } from "./args.ts";
import { DEFAULT_DETACH_KEYS, DetachScanner, parseDetachKeys } from "./detach-keys.ts";
import { dataRoot, exitCodeOf, loggerFor, oneContainer, stateRoot } from "./output.ts";

export const attachFlags = {
  "detach-keys": { type: "string", description: `The keys that let go of the container, which runs on (default ${DEFAULT_DETACH_KEYS})`, valueHint: "KEYS" },
  stdin: { type: "boolean", description: "Pass this terminal's input to the container (the default)", negativeDescription: "Only watch: pass no input" },
  ...commonFlags,
} satisfies FlagDefs;

export default defineCommand({
  meta: { name: "attach", description: "Connect this terminal to a detached container's terminal (run -dit)" },
  args: toCittyArgs(attachFlags, { name: "container", description: "The container (name or ID)", required: true }),
  async run({ rawArgs }) {
    const { flags, positionals } = parseFlags(attachFlags, rawArgs, "attach");
    const { log } = loggerFor(flags);
    const ref = oneContainer(positionals, "attach");
    const keys = parseDetachKeys(str(flags, "detach-keys") ?? DEFAULT_DETACH_KEYS);
    requireRoot("attach");
    const store = openStore(stateRoot(flags), dataRoot(flags), log);
    const { state } = store.find(ref);
    if (statusOf(store, state).kind !== "running") throw new ContainError(`container ${label(state)} is not running`, `see 'contain ps -a'; its output is in contain logs ${label(state)}`);
    if (!state.detached || !state.spec?.process.terminal)
      throw new ContainError(`container ${label(state)} has no terminal to attach to`, `a container run with -dit has one; its output is in contain logs -f ${label(state)}`);
    // In the background of its terminal, reading or raw mode would stop us.
    const input = flags.stdin !== false && !inBackground(0);
    const terminal = isTerminal(0) && input;
    const attached = await attachTo(store.dir(state.id), (data) => process.stdout.write(data)).catch((err: Error) => {
      throw new ContainError(`cannot attach to container ${label(state)}: ${err.message}`, "it may have stopped just now; see 'contain ps -a'");
    });
    const resize = () => {
      if (process.stdout.isTTY) attached.send(sizeFrame(process.stdout.rows, process.stdout.columns));
    };
    resize();
    process.on("SIGWINCH", resize);
    let detached = false;
    if (input) {
      if (terminal) process.stdin.setRawMode(true);
      const scanner = new DetachScanner(keys);
      process.stdin.on("data", (chunk: Buffer) => {
        const { pass, detach } = scanner.scan(chunk);
        if (pass.length) for (const f of frames("i", pass)) attached.send(f);
        if (detach) {
          detached = true;
          attached.close();
        }
      });
    }
    try {
      await attached.closed;
    } finally {
      process.off("SIGWINCH", resize);
      if (terminal) process.stdin.setRawMode(false);
      process.stdin.pause();
      process.stdin.destroy();
    }
    if (detached) return 0;
    // The terminal went with the container: its exit code is attach's, as docker's.
    return exitCodeOf(await waitContainer(store, state.id));
  },
});
