// Unit tests import modules that embed the shim, the tiny init and the rootfs archive
// (`with { type: "file" }`): make sure they exist, so `bun test` works on a
// fresh clone without a full build.
import { existsSync, statSync } from "node:fs";
import { buildNative, buildRootfsArchive, HELPER, INIT, MONITOR, ROOTFS, SHIM } from "../build.ts";

const stale = (built: string, source: string) => !existsSync(built) || statSync(built).mtimeMs < statSync(new URL(`../${source}`, import.meta.url).pathname).mtimeMs;
const EXEC = ["ffi/exec.c", "ffi/exec.h", "ffi/signals.h"];
const native: [string, string[]][] = [
  [SHIM, ["ffi/shim.c"]],
  [HELPER, ["ffi/helper.c", ...EXEC]],
  [MONITOR, ["ffi/monitor.c", "ffi/signals.h"]],
  [INIT, ["ffi/init.c"]],
];
if (native.some(([out, sources]) => sources.some((s) => stale(out, s)))) buildNative();
if (!existsSync(ROOTFS)) buildRootfsArchive();
