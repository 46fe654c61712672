// Unit tests import modules that embed the shim and the rootfs archive
// (`with { type: "file" }`): make sure both exist, so `bun test` works on a
// fresh clone without a full build.
import { existsSync, statSync } from "node:fs";
import { buildRootfsArchive, buildShim, ROOTFS, SHIM } from "../build.ts";

const source = new URL("../ffi/shim.c", import.meta.url).pathname;
if (!existsSync(SHIM) || statSync(SHIM).mtimeMs < statSync(source).mtimeMs) buildShim();
if (!existsSync(ROOTFS)) buildRootfsArchive();
