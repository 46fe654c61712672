// Builds ./contain, one executable: compiles the C shim (gcc), builds the
// default rootfs (rootfs/build.ts), and compiles src/main.ts with both
// embedded. Run with `bun build.ts` (npm run build).
import { join } from "node:path";
import { buildRootfs } from "./rootfs/build.ts";

const root = import.meta.dir;
export const SHIM = join(root, "ffi/shim.so");
export const ROOTFS = join(root, "rootfs/rootfs.tar.gz");
export const BINARY = join(root, "contain");

function run(cmd: string[]): void {
  const r = Bun.spawnSync(cmd, { cwd: root, stdout: "inherit", stderr: "inherit" });
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")} failed with exit ${r.exitCode}`);
}

export function buildShim(): void {
  run(["gcc", "-O2", "-Wall", "-Wextra", "-Werror", "-shared", "-fPIC", "-o", SHIM, "ffi/shim.c"]);
}

export function buildBinary(): void {
  buildShim();
  buildRootfs(ROOTFS);
  run([
    process.execPath,
    "build",
    "src/main.ts",
    "--compile",
    "--bytecode",
    "--format=esm",
    "--minify-syntax",
    // A root-run binary must not run code from the directory it is started
    // in: bunfig.toml can preload scripts, .env can set BUN_OPTIONS.
    "--no-compile-autoload-bunfig",
    "--no-compile-autoload-dotenv",
    "--outfile",
    BINARY,
  ]);
}

if (import.meta.main) buildBinary();
