// A fifo (man 7 fifo) as a one-shot gate between two processes: runc's
// exec.fifo, at which a created container's process waits for `start`.
import { closeSync, constants, openSync, readSync } from "node:fs";
import { sys } from "../ffi/index.ts";

const O_CLOEXEC = 0o2000000;
const F_GETFL = 3;
const F_SETFL = 4;

// Opens the gate for the process waiting to write to it; true once its one
// byte arrived. Opened without blocking, since there may be no writer left,
// then read blocking: a writer counts from the moment its open began, so
// the read ends with its byte, or at EOF if it died. Throws ENOENT when
// the fifo is gone (another reader took it).
export function openGate(path: string): boolean {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | O_CLOEXEC);
  try {
    sys("fcntl", fd, F_SETFL, sys("fcntl", fd, F_GETFL) & ~constants.O_NONBLOCK);
    return readSync(fd, Buffer.alloc(1)) === 1;
  } finally {
    closeSync(fd);
  }
}
