// What the benchmarks share: running tools, the peers (runc, crun), crun's
// hybrid-cgroup workaround, and one busybox root and OCI bundle for all.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensurePackages } from "../../build.ts";
import { buildRootfs } from "../../rootfs/build.ts";
import { DEFAULT_DATA_ROOT } from "../../src/runtime/host-context.ts";

export const PEERS = ["runc", "crun"] as const;
export type Peer = (typeof PEERS)[number];
export type Runtime = "contain" | Peer;
export const CONTROLLERS_FILE = "/sys/fs/cgroup/unified/cgroup.controllers";

export function note(msg: string): void {
  console.error(`[bench] ${msg}`);
}

export interface Exit {
  code: number | null; // null when a signal ended it
  how: string; // "exit 1", "SIGINT"
  stdout: string;
  stderr: string;
}

export function spawn(argv: string[], opts: { cwd?: string; passOutput?: boolean } = {}): Exit {
  // Passed-through output goes to our stderr: stdout holds only the report.
  const out = opts.passOutput ? 2 : "pipe";
  const r = Bun.spawnSync(argv, { cwd: opts.cwd, stdin: "ignore", stdout: out, stderr: out });
  const how = r.signalCode ? String(r.signalCode) : `exit ${r.exitCode}`;
  return { code: r.exitCode, how, stdout: r.stdout?.toString() ?? "", stderr: r.stderr?.toString() ?? "" };
}

export function mustRun(argv: string[], opts: { cwd?: string; passOutput?: boolean } = {}): string {
  const r = spawn(argv, opts);
  if (r.code !== 0) throw new Error(`${argv.join(" ")} failed (${r.how})${r.stderr ? `: ${r.stderr.trim()}` : ""}`);
  return r.stdout;
}

// Peers are optional: one apt-get cannot install is skipped with a note.
export function installPeer(peer: Peer): boolean {
  try {
    ensurePackages([peer]);
    return true;
  } catch (err) {
    note(`${peer} is not installed and apt-get could not install it (${(err as Error).message}): skipped`);
    return false;
  }
}

// crun 1.8.1 refuses a host whose cgroup2 mount lists any controller ("cgroups
// in hybrid mode not supported"); here hugetlb is listed. An empty file bound
// over that list, in a private mount namespace, satisfies it without touching
// the host.
export function crunRefusesHost(): boolean {
  return existsSync(CONTROLLERS_FILE) && readFileSync(CONTROLLERS_FILE, "utf8").trim() !== "";
}

// The prefix that runs a command in such a namespace ([] when crun needs none).
export function hybridWorkaround(emptyFile: string): string[] {
  if (!crunRefusesHost()) return [];
  const script = `mount --bind "$1" ${CONTROLLERS_FILE} && shift && exec "$@"`;
  return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", emptyFile];
}

// The same tree as contain's embedded default: rootfs/build.ts's recipe.
export function makeRootfs(work: string): string {
  const archive = join(work, "rootfs.tar.gz");
  const dir = join(work, "rootfs");
  buildRootfs(archive);
  mkdirSync(dir);
  mustRun(["tar", "-xzf", archive, "-C", dir]);
  return dir;
}

// The runtime's own default spec, changed only where the benchmark needs it.
export function makeBundle(runtime: Runtime, dir: string, rootfs: string, cgroupsPath: string, args: string[] = ["/bin/true"]): void {
  mkdirSync(dir);
  mustRun([runtime, "spec"], { cwd: dir });
  const path = join(dir, "config.json");
  const config = JSON.parse(readFileSync(path, "utf8")) as {
    process: { terminal: boolean; args: string[] };
    root: { path: string };
    linux: { cgroupsPath?: string };
  };
  config.process.terminal = false;
  config.process.args = args;
  config.root.path = rootfs;
  config.linux.cgroupsPath = cgroupsPath;
  writeFileSync(path, JSON.stringify(config, null, 2));
}

// A bridge and subnet of the benchmarks' own, so they never touch contain0.
export const BENCH_BRIDGE = ["--bridge", "ctbench", "--subnet", "10.199.1.0/24"];

// The benchmark's bridge, its nft table and its lease file, if this run made them.
export function snapshotBridge(): () => void {
  const existed = existsSync("/sys/class/net/ctbench");
  return () => {
    if (existed) return;
    spawn(["ip", "link", "del", "ctbench"]);
    spawn(["nft", "delete", "table", "ip", "contain-ctbench"]);
    for (const ext of ["json", "lock"]) rmSync(join(DEFAULT_DATA_ROOT, `network/ctbench.${ext}`), { force: true });
  };
}
