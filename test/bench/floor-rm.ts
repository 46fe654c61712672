// The least a Bun program must do to remove a stopped contain container:
// find it by name, take its lock, remove its data directory (the writable
// layer, on disk) and its state directory. No flags, no sweep, no checks.
// lifecycle.ts --floor compiles it as contain is compiled and times it beside
// `contain rm`, to show what of rm is Bun's and the file system's.
//
//   floor-rm STATE_ROOT NAME
import { dlopen, FFIType } from "bun:ffi";
import { openSync, readdirSync, readFileSync, rmSync } from "node:fs";

const [root = "", name = ""] = process.argv.slice(2);
const LOCK_EX = 2;
const libc = dlopen("libc.so.6", { flock: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 } });
for (const id of readdirSync(root)) {
  const state = JSON.parse(readFileSync(`${root}/${id}/state.json`, "utf8")) as { name?: string; dataDir?: string };
  if (state.name !== name) continue;
  if (libc.symbols.flock(openSync(`${root}/${id}/lock`, "r+"), LOCK_EX) !== 0) throw new Error(`flock of ${id} failed`);
  if (state.dataDir) rmSync(state.dataDir, { recursive: true, force: true });
  rmSync(`${root}/${id}`, { recursive: true, force: true });
  process.exit(0);
}
throw new Error(`no container named ${name}`);
