// `contain logs`: a detached container's stdout and stderr, from the log file
// its init writes to (the monitor opens it, see ffi/monitor.c).
import { closeSync, openSync, readSync, statSync, writeSync } from "node:fs";
import { ContainError } from "../errors.ts";
import { LOG, type StateStore } from "./state.ts";
import { isActive, label, statusOf } from "./status.ts";

// The last `n` lines of `text` (a final newline ends the last line).
export function tailLines(text: Buffer, n: number): Buffer {
  if (n <= 0) return Buffer.alloc(0);
  let end = text.length;
  if (end > 0 && text[end - 1] === 0x0a) end--;
  let start = end;
  for (let seen = 0; start > 0; start--) if (text[start - 1] === 0x0a && ++seen === n) break;
  return text.subarray(start);
}

export interface LogOptions {
  follow: boolean;
  tail?: number;
  out: number; // the fd to write to
}

export async function showLogs(store: StateStore, ref: string, opts: LogOptions): Promise<void> {
  const { state, dir } = store.find(ref);
  if (!state.detached) throw new ContainError(`container ${label(state)} runs in the foreground: its output goes to its terminal`, "run it with -d to keep a log");
  let fd: number;
  try {
    fd = openSync(`${dir}/${LOG}`, "r");
  } catch {
    throw new ContainError(`container ${label(state)} has no log`, "it was removed meanwhile");
  }
  try {
    const chunk = Buffer.alloc(65536);
    let pos = 0;
    const drain = () => {
      for (;;) {
        const n = readSync(fd, chunk, 0, chunk.length, pos);
        if (n === 0) return;
        pos += n;
        writeSync(opts.out, chunk.subarray(0, n));
      }
    };
    if (opts.tail !== undefined) {
      const size = statSync(`${dir}/${LOG}`).size;
      const all = Buffer.alloc(size);
      const n = readSync(fd, all, 0, size, 0);
      writeSync(opts.out, tailLines(all.subarray(0, n), opts.tail));
      pos = n;
    }
    drain();
    if (!opts.follow) return;
    // Until the container stops (or goes), then what it wrote last.
    for (;;) {
      const current = store.read(state.id);
      if (!current || !isActive(statusOf(store, current))) break;
      await Bun.sleep(100);
      drain();
    }
    drain();
  } finally {
    closeSync(fd);
  }
}
