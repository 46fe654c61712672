// Unit tests import modules that embed the shim, the tiny init and the rootfs archive
// (`with { type: "file" }`): make sure they exist, so `bun test` works on a
// fresh clone without a full build.
import { existsSync, statSync } from "node:fs";
import { buildNative, buildRootfsArchive, INIT, MONITOR, ROOTFS, SHIM } from "../build.ts";

const stale = (built: string, source: string) => !existsSync(built) || statSync(built).mtimeMs < statSync(new URL(`../${source}`, import.meta.url).pathname).mtimeMs;
if (["ffi/shim.c", "ffi/signals.h"].some((s) => stale(SHIM, s)) || stale(MONITOR, "ffi/monitor.c") || stale(INIT, "ffi/init.c")) buildNative();
if (!existsSync(ROOTFS)) buildRootfsArchive();
