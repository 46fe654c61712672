// Unit tests import modules that embed the shim, the tiny init and the rootfs archive
// (`with { type: "file" }`): make sure they exist, so `bun test` works on a
// fresh clone without a full build.
import { existsSync, statSync } from "node:fs";
import { buildInit, buildRootfsArchive, buildShim, INIT, ROOTFS, SHIM } from "../build.ts";

const stale = (out: string, source: string) => !existsSync(out) || statSync(out).mtimeMs < statSync(new URL(source, import.meta.url).pathname).mtimeMs;
if (stale(SHIM, "../ffi/shim.c")) buildShim();
if (stale(INIT, "../ffi/init.c")) buildInit();
if (!existsSync(ROOTFS)) buildRootfsArchive();
