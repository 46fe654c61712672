// A fifo (man 7 fifo) as a one-shot gate between two processes: runc's
// exec.fifo, at which a created container's process waits for `start`.
import { closeSync, constants, openSync, readSync } from "node:fs";

const O_CLOEXEC = 0o2000000;

// Opens the gate for the process waiting to write to it; true once its one
// byte arrived. Opened without blocking, since there may be no writer left.
// A writer counts from the moment its open began, and ours wakes it: its
// byte follows at once (EAGAIN until then), or EOF if it died. Throws
// ENOENT when the fifo is gone (another reader took it).
export function openGate(path: string): boolean {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | O_CLOEXEC);
  try {
    const byte = Buffer.alloc(1);
    for (;;) {
      try {
        return readSync(fd, byte) === 1;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EAGAIN") throw err;
        Bun.sleepSync(0.1);
      }
    }
  } finally {
    closeSync(fd);
  }
}
