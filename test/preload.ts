// Unit tests import modules that embed the shim and the rootfs archive
// (`with { type: "file" }`): make sure both exist, so `bun test` works on a
// fresh clone without a full build.
import { existsSync, statSync } from "node:fs";
import { buildRootfsArchive, buildShim, MONITOR, ROOTFS, SHIM } from "../build.ts";

const stale = (built: string, source: string) => !existsSync(built) || statSync(built).mtimeMs < statSync(new URL(`../${source}`, import.meta.url).pathname).mtimeMs;
if (stale(SHIM, "ffi/shim.c") || stale(MONITOR, "ffi/monitor.c")) buildShim();
if (!existsSync(ROOTFS)) buildRootfsArchive();
