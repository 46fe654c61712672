// `contain attach [--detach-keys KEYS] [--no-stdin] CONTAINER`: a detached
// container's output on this terminal, as it comes; with its own terminal
// (run -dit), which its monitor holds, this terminal on it: raw mode, the
// window's size, input, Ctrl-P Ctrl-Q to let go while it runs on. Its end
// ends attach with its exit code.
import { defineCommand } from "citty";
import { ContainError } from "../errors.ts";
import { inBackground, isTerminal } from "../linux/pty.ts";
import { attachTo, frames, sizeFrame } from "../runtime/attach.ts";
import { label, statusOf } from "../runtime/status.ts";
import { waitContainer } from "../runtime/wait.ts";
import { commonFlags, str, toCittyArgs, type FlagDefs } from "./args.ts";
import { sweptStore } from "./containers.ts";
import { containerArg, namedContainer } from "./context.ts";
import { DEFAULT_DETACH_KEYS, DetachScanner, parseDetachKeys } from "./detach-keys.ts";
import { exitCodeOf } from "./output.ts";

export const attachFlags = {
  "detach-keys": { type: "string", description: `With a terminal: the keys that let go of the container, which runs on (default ${DEFAULT_DETACH_KEYS})`, valueHint: "KEYS" },
  stdin: { type: "boolean", description: "Pass this input to the container's terminal, or its stdin if run with -d -i (the default)", negativeDescription: "Only watch: pass no input" },
  ...commonFlags,
} satisfies FlagDefs;

export default defineCommand({
  meta: { name: "attach", description: "Show a detached container's output, or connect this terminal to its own (run -dit)" },
  args: toCittyArgs(attachFlags, containerArg),
  async run({ rawArgs }) {
    const c = namedContainer(attachFlags, rawArgs, "attach");
    const { flags } = c;
    const keys = parseDetachKeys(str(flags, "detach-keys") ?? DEFAULT_DETACH_KEYS);
    const store = sweptStore(c);
    const { state } = store.find(c.ref);
    if (!state.detached) throw new ContainError(`container ${label(state)} runs in the foreground of another terminal`, "attach reaches containers run with -d");
    if (statusOf(store, state).kind !== "running") throw new ContainError(`container ${label(state)} is not running`, `see 'contain ps -a'; its output is in contain logs ${label(state)}`);
    const tty = state.spec?.process.terminal === true;
    // Input goes to the container's terminal, or its stdin kept open (-d -i);
    // in the background of our own terminal, reading or raw mode would stop us.
    const input = (tty || state.spec?.contain?.stdin === true) && flags.stdin !== false && !inBackground(0);
    const raw = input && isTerminal(0);
    const attached = await attachTo(store.dir(state.id), (stream, data) => (stream === "stderr" ? process.stderr : process.stdout).write(data)).catch((err: Error) => {
      throw new ContainError(`cannot attach to container ${label(state)}: ${err.message}`, "it may have stopped just now; see 'contain ps -a'");
    });
    const resize = () => {
      if (process.stdout.isTTY) attached.send(sizeFrame(process.stdout.rows, process.stdout.columns));
    };
    if (tty) {
      resize();
      process.on("SIGWINCH", resize);
    }
    let detached = false;
    if (input) {
      if (raw) process.stdin.setRawMode(true);
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
      if (raw) process.stdin.setRawMode(false);
      if (input) process.stdin.destroy();
    }
    if (detached) return 0;
    // The monitor let go when the container ended: its exit code is attach's, as docker's.
    return exitCodeOf(await waitContainer(store, state.id));
  },
});
