// Unit tests import modules that embed the shim, the tiny init and the rootfs archive
// (`with { type: "file" }`): make sure they exist, so `bun test` works on a
// fresh clone without a full build.
import { existsSync, statSync } from "node:fs";
import { buildNative, buildRootfsArchive, NATIVE, ROOTFS } from "../build.ts";

const stale = (built: string, source: string) => !existsSync(built) || statSync(built).mtimeMs < statSync(new URL(`../${source}`, import.meta.url).pathname).mtimeMs;
if (NATIVE.some((n) => [...n.sources, ...n.headers].some((s) => stale(n.out, s)))) buildNative();
if (!existsSync(ROOTFS)) buildRootfsArchive();
