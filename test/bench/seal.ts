// What sealing the runtime's binary costs (CVE-2019-5736), mechanism by
// mechanism, in one process: the private overlayfs that contain uses, and the
// sealed memfd copy it falls back to (and runc used before 1.2). Each is made
// and dropped ROUNDS times, interleaved; memory is what the copy adds to the
// host for as long as an init runs from it (one per waiting container).
//
//   node_modules/.bin/bun test/bench/seal.ts ./contain     (as root)
//
// The binary is given: a source run's own /proc/self/exe is bun.
import { statSync } from "node:fs";
import { close } from "../../src/linux/process.ts";
import { memfdSealed, overlaySealed } from "../../src/linux/self.ts";

const ROUNDS = 20;

const exe = process.argv[2];
if (!exe) throw new Error("usage: bun test/bench/seal.ts CONTAIN_BINARY");

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1] ?? NaN;
}

function time(make: () => number): number {
  const t0 = Bun.nanoseconds();
  close(make());
  return (Bun.nanoseconds() - t0) / 1e6;
}

const size = statSync(exe).size;
const overlay: number[] = [];
const memfd: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  overlay.push(time(() => overlaySealed(exe)));
  memfd.push(time(() => memfdSealed(exe)));
}
console.log(`overlayfs seal of ${exe}: median ${median(overlay).toFixed(3)} ms (n=${ROUNDS}), no copy, no memory`);
console.log(`sealed memfd copy: median ${median(memfd).toFixed(1)} ms (n=${ROUNDS}), and ${(size / 2 ** 20).toFixed(0)} MiB of memory for as long as an init runs from it`);
