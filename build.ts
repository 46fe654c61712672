// Builds ./contain, one executable: compiles the C shim and the tiny init (gcc), builds the
// default rootfs (rootfs/build.ts), and compiles src/main.ts with both
// embedded. Run with `bun build.ts` (npm run build).
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { archiveHash, buildRootfs } from "./rootfs/build.ts";
import { seccompFilter } from "./src/plan/seccomp/filter.ts";
import { precompile } from "./src/plan/seccomp/precompiled.ts";

const root = import.meta.dir;
export const SHIM = join(root, "ffi/shim.so");
export const INIT = join(root, "ffi/init.elf");
export const MONITOR = join(root, "ffi/monitor.elf");
export const HELPER = join(root, "ffi/helper.elf");
export const ROOTFS = join(root, "rootfs/rootfs.tar.gz");
export const BINARY = join(root, "contain");

function run(cmd: string[]): void {
  const r = Bun.spawnSync(cmd, { cwd: root, stdout: "inherit", stderr: "inherit" });
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")} failed with exit ${r.exitCode}`);
}

// Debian packages, installed when missing (through sudo when not root).
export function ensurePackages(packages: string[]): void {
  const installed = (pkg: string) => Bun.spawnSync(["dpkg-query", "-W", "-f=${Status}", pkg]).stdout.toString().includes("install ok installed");
  const missing = packages.filter((p) => !installed(p));
  if (missing.length === 0) return;
  console.error(`[build] installing ${missing.join(" ")}`);
  const sudo = process.geteuid?.() === 0 ? [] : ["sudo"];
  // --no-install-recommends: qemu's recommends pull in a desktop.
  const install = [...sudo, "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-q", "--no-install-recommends", ...missing];
  const attempt = () => Bun.spawnSync(install, { stdout: "inherit", stderr: "inherit" }).exitCode === 0;
  if (attempt()) return;
  // A fresh machine may have no package lists yet.
  run([...sudo, "apt-get", "update", "-q"]);
  if (!attempt()) throw new Error(`apt-get install ${missing.join(" ")} failed`);
}

export function buildRootfsArchive(): void {
  ensurePackages(["busybox-static"]);
  buildRootfs(ROOTFS);
}

// The native pieces: the shim, and three static, stripped programs (libc.a
// from libc6-dev): the monitor stays resident beside every detached container
// and needs no loader at run time (~0.7 MB RSS); the --init PID 1 runs inside
// root filesystems that may have no C library at all; the helper takes a
// container's start and exec's entry single-threaded, and so that the contain
// binary never runs in a container (exec.c is the container's last step).
// clone.c is the one clone, of the shim, the monitor and the helper.
// `sources` are compiled, `headers` only included: test/preload.ts rebuilds
// when any is newer than the output.
const STATIC = ["-Os", "-static", "-s"];
export const NATIVE = [
  { out: SHIM, flags: ["-O2", "-shared", "-fPIC"], sources: ["ffi/shim.c", "ffi/clone.c", "ffi/lookup.c"], headers: ["ffi/clone.h", "ffi/lookup.h"] },
  { out: MONITOR, flags: STATIC, sources: ["ffi/monitor.c", "ffi/clone.c"], headers: ["ffi/clone.h", "ffi/signals.h", "ffi/wait-status.h"] },
  { out: INIT, flags: STATIC, sources: ["ffi/init.c"], headers: ["ffi/wait-status.h"] },
  {
    out: HELPER,
    flags: STATIC,
    sources: ["ffi/helper.c", "ffi/exec.c", "ffi/clone.c", "ffi/lookup.c"],
    headers: ["ffi/helper.h", "ffi/exec.h", "ffi/clone.h", "ffi/lookup.h", "ffi/signals.h"],
  },
];

export function buildNative(): void {
  ensurePackages(["gcc", "libc6-dev"]);
  for (const n of NATIVE) run(["gcc", ...n.flags, "-Wall", "-Wextra", "-Werror", "-o", n.out, ...n.sources]);
}

export function buildBinary(): void {
  // Not for the build: the default network (--net bridge) needs nft at run
  // time, so the README's first command works on a fresh machine.
  ensurePackages(["nftables"]);
  buildNative();
  buildRootfsArchive();
  const rootfsHash = archiveHash(readFileSync(ROOTFS));
  run([
    process.execPath,
    "build",
    "src/main.ts",
    "--compile",
    "--bytecode",
    // Each command's and the init's modules in chunks of their own, loaded
    // when imported: one bundle is loaded whole at every start (~12 ms here
    // before the first line runs, against ~4.6 ms split), in the CLI and
    // again in the init.
    "--splitting",
    "--format=esm",
    "--minify-syntax",
    `--define=ROOTFS_HASH="${rootfsHash}"`,
    // docker's profile, compiled once here rather than at every start.
    `--define=DEFAULT_SECCOMP_FILTER=${JSON.stringify(JSON.stringify(precompile(seccompFilter, process.arch)))}`,
    // A root-run binary must not run code from the directory it is started
    // in: bunfig.toml can preload scripts, .env can set BUN_OPTIONS.
    "--no-compile-autoload-bunfig",
    "--no-compile-autoload-dotenv",
    "--outfile",
    BINARY,
  ]);
}

if (import.meta.main) buildBinary();
