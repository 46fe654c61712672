// A stop (or rm -f) that is running anyway releases the container itself
// once its PID 1 has ended, rather than waiting for the monitor's reap, a
// second Bun started just for that. Before it signals PID 1 it asks the
// monitor for the container (an 'r' frame on attach.sock); the monitor
// records the exit as always, and then, instead of exec'ing the reap, sends
// it the state lock (ffi/monitor.c, step 6). One process holds the lock at
// every moment (the open file is the lock, wherever its descriptor goes),
// and a stop that dies holding it frees it, so the next command sweeps.
// The monitor's reap stays the release of a container that ends by itself,
// and the only one that restarts it (--restart): a stop is never undone.
import { closeSync, constants, openSync } from "node:fs";
import { close } from "../linux/process.ts";
import { connectUnix, receiveFd, sendBytes, waitReadable } from "../linux/unix-socket.ts";
import { ATTACH_SOCKET } from "./attach.ts";

const O_PATH = 0o10000000;
const O_CLOEXEC = 0o2000000;

export interface Handover extends Disposable {
  // The lock, once the monitor has recorded the exit and let go; undefined
  // if it did not hand it over within `timeoutMs` (its reap releases it).
  take(timeoutMs: number): { fd: number; release(): void } | undefined;
}

// undefined when no monitor serves the container: one run in the
// foreground, one made by create, one that ended already.
export function askForRelease(dir: string): Handover | undefined {
  let dirFd: number;
  let sock: number;
  try {
    // sun_path holds 108 bytes and a state root may be longer.
    dirFd = openSync(dir, O_PATH | constants.O_DIRECTORY | O_CLOEXEC);
  } catch {
    return undefined;
  }
  try {
    sock = connectUnix(`/proc/self/fd/${dirFd}/${ATTACH_SOCKET}`);
  } catch {
    return undefined;
  } finally {
    closeSync(dirFd);
  }
  try {
    sendBytes(sock, Buffer.from([0x72, 0, 0])); // 'r', no payload
  } catch {
    close(sock);
    return undefined;
  }
  return {
    take(timeoutMs) {
      if (!waitReadable(sock, timeoutMs)) return undefined;
      const fd = receiveFd(sock);
      return fd === undefined ? undefined : { fd, release: () => close(fd) };
    },
    [Symbol.dispose]() {
      close(sock);
    },
  };
}
