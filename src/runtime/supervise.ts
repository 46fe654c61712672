// Supervising a process of ours in a container from the CLI, for `run` in
// the foreground and for `exec`: signals forwarded, the exit awaited.
import { constants as os } from "node:os";
import { kill, type ExitStatus } from "../linux/process.ts";
import type { TerminalProxy } from "./terminal.ts";

// Forwarded to the container's PID 1 (docker's sig-proxy set).
const FORWARDED = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGWINCH"] as const;

const HANGUP_GRACE_MS = 2000;

// Takes the forwarded signals from the start, so one that arrives while the
// container is being set up is held and delivered once it runs, instead of
// killing the runtime (the default action) and stranding the container.
// With `proxy` false (docker's --sig-proxy=false) they are still taken, so
// they do not kill the runtime, but not passed on: the container is not told.
// The caller's terminal is still followed (its size, its hangup).
export class SignalForwarder implements Disposable {
  private target?: { pid: number; terminal?: TerminalProxy };
  private readonly held: (typeof FORWARDED)[number][] = [];
  private readonly handlers = FORWARDED.map((name) => {
    const handler = () => (this.target ? this.forward(name) : this.held.push(name));
    process.on(name, handler);
    return [name, handler] as const;
  });

  constructor(private readonly proxy = true) {}

  private forward(name: (typeof FORWARDED)[number]): void {
    if (!this.target) return;
    if (name === "SIGWINCH") this.target.terminal?.resize();
    if (name === "SIGHUP" && this.target.terminal) this.hangup(this.target.pid, this.target.terminal);
    if (this.proxy) kill(this.target.pid, os.signals[name]);
  }

  // With a terminal, SIGHUP means the caller's terminal is gone (a closed
  // window). The container's pty is hung up too; a PID 1 that ignores it (a
  // PID 1 without a handler ignores SIGHUP, and ash then sleeps on the dead
  // tty) is killed after a grace period, so nothing is left running.
  private hangup(pid: number, terminal: TerminalProxy): void {
    terminal.hangup();
    setTimeout(() => kill(pid, os.signals.SIGKILL), HANGUP_GRACE_MS).unref();
  }

  attach(pid: number, terminal: TerminalProxy | undefined): void {
    this.target = { pid, terminal };
    for (const name of this.held.splice(0)) this.forward(name);
  }

  [Symbol.dispose](): void {
    for (const [name, handler] of this.handlers) process.off(name, handler);
  }
}

// Reaps with SIGCHLD plus a non-blocking waitpid, since a blocking wait would
// keep Bun's signal handlers from running.
export function waitForExit(tryReap: () => ExitStatus | undefined | null): Promise<ExitStatus> {
  return new Promise((resolve) => {
    let timer: ReturnType<typeof setInterval> | undefined;
    const reap = () => {
      const status = tryReap();
      if (!status) return;
      clearInterval(timer);
      process.off("SIGCHLD", reap);
      resolve(status);
    };
    process.on("SIGCHLD", reap);
    // Keeps the event loop alive, and a safety net should a SIGCHLD be missed.
    timer = setInterval(reap, 250);
    reap();
  });
}
