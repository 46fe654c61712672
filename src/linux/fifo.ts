// A fifo (man 7 fifo) as a one-shot gate between two processes: runc's
// exec.fifo, at which a created container's process waits for `start`.
import { closeSync, constants, openSync, readSync } from "node:fs";
import { errnoOf } from "./file-error.ts";

const O_CLOEXEC = 0o2000000;
const EAGAIN = 11;

// Opens the gate for the process waiting to write to it; true once its one
// byte arrived. Opened without blocking, since there may be no writer left.
// A writer counts from the moment its open began, and ours wakes it: its
// byte follows at once (EAGAIN until then), or EOF if it died. Then read to
// EOF: the writer holds its end until it has gone on (the helper: until
// its exec). Throws ENOENT when the fifo is gone (another reader took it).
export function openGate(path: string): boolean {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | O_CLOEXEC);
  const read = (): number | undefined => {
    try {
      return readSync(fd, Buffer.alloc(1));
    } catch (err) {
      if (errnoOf(err) !== EAGAIN) throw err;
      Bun.sleepSync(0.1);
      return undefined;
    }
  };
  try {
    let got: number | undefined;
    while ((got = read()) === undefined);
    if (got !== 1) return false;
    while (read() !== 0);
    return true;
  } finally {
    closeSync(fd);
  }
}
