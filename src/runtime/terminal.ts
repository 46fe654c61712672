// The caller's terminal <-> the container's pty. The caller's terminal goes
// raw, so keys such as Ctrl-C reach the container's line discipline and
// signal its foreground job, as with `docker run -it`.
import { writeSync } from "node:fs";
import { close } from "../linux/process.ts";
import { getWinsize, setWinsize } from "../linux/pty.ts";

export interface TerminalProxy {
  resize(): void;
  // The caller's terminal is gone: hang up the container's too.
  hangup(): void;
  // Resolves once the container side has closed and its output is flushed.
  drained(): Promise<void>;
  restore(): void;
}

// node:tty is imported here, on use: loading it costs ~20 ms at start-up.
export async function proxyTerminal(master: number): Promise<TerminalProxy> {
  const { ReadStream } = await import("node:tty");
  const stdin = process.stdin;
  const interactive = stdin.isTTY;
  const resize = () => {
    const size = getWinsize(1) ?? getWinsize(0);
    if (size) setWinsize(master, size);
  };
  resize();
  if (interactive) stdin.setRawMode(true);
  const onInput = (data: Buffer) => {
    try {
      writeSync(master, data);
    } catch {
      // The container is gone; its exit is reported elsewhere.
    }
  };
  stdin.on("data", onInput);
  const output = new ReadStream(master);
  // The stream's destroy() leaves the fd open: close it ourselves, once.
  let masterOpen = true;
  const closeMaster = () => {
    if (masterOpen) close(master);
    masterOpen = false;
  };
  let closed = false;
  let onClosed = () => {};
  const finish = () => {
    closed = true;
    onClosed();
  };
  output.on("data", (data: Buffer) => {
    try {
      writeSync(1, data);
    } catch {
      // stdout is gone; keep draining so the container is not blocked.
    }
  });
  // EIO once the last slave fd closes: everything written has been read.
  output.on("error", finish);
  output.on("end", finish);
  output.on("close", finish);
  return {
    resize,
    drained: () =>
      closed
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            onClosed = resolve;
            setTimeout(resolve, 200).unref();
          }),
    // Closing the master hangs up the container's terminal: its shell reads
    // EIO and exits, even as a PID 1 that ignores the forwarded SIGHUP.
    hangup() {
      output.destroy();
      closeMaster();
    },
    // Never throws: after a hangup the caller's terminal refuses (EIO), and
    // nothing may stop the clean-up that follows.
    restore() {
      stdin.off("data", onInput);
      try {
        if (interactive) stdin.setRawMode(false);
      } catch {}
      stdin.pause();
      output.destroy();
      closeMaster();
    },
  };
}
