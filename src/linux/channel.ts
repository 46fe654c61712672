// Newline-delimited JSON over a pair of pipe ends (see src/plan/protocol.ts).
// Blocking reads: the messages arrive during set-up, in strict turns.
import { readSync, writeSync } from "node:fs";
import { errnoOf } from "./file-error.ts";

const EAGAIN = 11;

export class Channel<In, Out> {
  private buffered = "";
  constructor(
    readonly readFd: number,
    readonly writeFd: number,
  ) {}

  send(msg: Out): void {
    writeSync(this.writeFd, `${JSON.stringify(msg)}\n`);
  }

  // The next message, or null at EOF.
  receive(): In | null {
    const chunk = Buffer.alloc(65536);
    for (;;) {
      const nl = this.buffered.indexOf("\n");
      if (nl >= 0) {
        const line = this.buffered.slice(0, nl);
        this.buffered = this.buffered.slice(nl + 1);
        return JSON.parse(line) as In;
      }
      let n: number;
      try {
        n = readSync(this.readFd, chunk, 0, chunk.length, null);
      } catch (err) {
        if (errnoOf(err) === EAGAIN) continue;
        throw err;
      }
      if (n === 0) return null;
      this.buffered += chunk.toString("utf8", 0, n);
    }
  }
}
