// Integration tests run the compiled binary as root against the real kernel.
// Each test file gets its own state root and data root, and checks that what
// it started left nothing behind: no cgroup, mount, state, data or process.
import { expect } from "bun:test";
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { resolve } from "node:path";
import { probe } from "../probes/build.ts";
import { extractTar } from "../../src/runtime/image.ts";

export const BIN = resolve(import.meta.dir, "../../contain");
const ARCHIVE = resolve(import.meta.dir, "../../rootfs/rootfs.tar.gz");

// A private copy of the default busybox root, for tests that change or check it.
export function busyboxTree(): string {
  const dir = mkdtempSync("/tmp/contain-test-busybox-");
  extractTar(Bun.gunzipSync(readFileSync(ARCHIVE)), dir);
  return dir;
}

// A private busybox root with static probes (test/probes/) in its /bin.
export function probeTree(...probes: string[]): string {
  const dir = busyboxTree();
  for (const name of probes) {
    copyFileSync(probe(name), `${dir}/bin/${name}`);
    chmodSync(`${dir}/bin/${name}`, 0o755);
  }
  return dir;
}

// Every entry of a tree with its type, mode, owner and content (or link
// target): equal digests mean an unchanged tree.
export function treeDigest(dir: string): string {
  const hash = new Bun.CryptoHasher("sha256");
  const walk = (rel: string) => {
    const path = `${dir}${rel}`;
    const st = lstatSync(path);
    hash.update(`${rel} ${st.mode} ${st.uid}:${st.gid} ${st.mtimeMs}\n`);
    if (st.isSymbolicLink()) hash.update(readlinkSync(path));
    else if (st.isFile()) hash.update(readFileSync(path));
    else if (st.isDirectory()) for (const name of readdirSync(path).sort()) walk(`${rel}/${name}`);
  };
  walk("");
  return hash.digest("hex");
}

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export class Harness {
  readonly root = mkdtempSync("/tmp/contain-test-state-");
  // The default rootfs is unpacked here, once per file. The leases are not
  // here, and must not be: the test files share the bridge contain0, and a
  // bridge's leases are one file for the host (src/runtime/ipam.ts), so
  // files running in parallel never lease one address twice.
  readonly dataRoot = mkdtempSync("/tmp/contain-test-data-");
  private readonly cgroupsBefore = containerCgroups();
  private readonly mountsBefore = mountPoints();
  // The binary every command runs: another than BIN for tests that may
  // damage it (a copy a hostile container could overwrite).
  readonly bin: string;

  constructor(opts: { bin?: string } = {}) {
    this.bin = opts.bin ?? BIN;
  }

  // For commands a test starts itself: after the subcommand.
  get rootFlags(): string[] {
    return ["--root", this.root, "--data-root", this.dataRoot];
  }

  run(args: string[], opts: { timeout?: number; stdin?: string; env?: Record<string, string> } = {}): Result {
    const r = Bun.spawnSync([this.bin, ...withRoots(args, this.rootFlags)], {
      stdin: opts.stdin === undefined ? "ignore" : Buffer.from(opts.stdin),
      timeout: opts.timeout ?? 30_000,
      // Not SIGTERM: run and exec pass it on to the container, so a hung one
      // would outlive its timeout.
      killSignal: "SIGKILL",
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...opts.env },
    });
    return { code: r.exitCode ?? 128 + (r.signalCode ? 9 : 0), stdout: r.stdout.toString(), stderr: r.stderr.toString() };
  }

  spawn(args: string[]) {
    return Bun.spawn([this.bin, ...withRoots(args, this.rootFlags)], { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  }

  // IDs of the containers in this harness's state root.
  ids(): string[] {
    return existsSync(this.root) ? readdirSync(this.root).filter((n) => !n.startsWith(".")) : [];
  }

  state(id: string): { init?: { pid: number } } | undefined {
    try {
      return JSON.parse(readFileSync(`${this.root}/${id}/state.json`, "utf8"));
    } catch {
      return undefined;
    }
  }

  // Nothing of ours is left: state entries, data, cgroups, mounts, monitors.
  expectClean(): void {
    expect(existsSync(this.root) ? readdirSync(this.root) : []).toEqual([]);
    expect(dataLeftovers(this.dataRoot)).toEqual([]);
    expect(this.monitors()).toEqual([]);
    // Empty ones only: a container that some other user of this machine runs
    // right now has processes; what a runtime leaks has none left.
    const empty = () => [...containerCgroups()].filter((d) => !this.cgroupsBefore.has(d) && isEmptyCgroup(d));
    let leaked = empty();
    // Another runtime on the machine (a parallel test run) may have made an
    // empty one a moment ago: a leak is one still there, still empty, later.
    if (leaked.length) {
      Bun.sleepSync(3000);
      const now = new Set(empty());
      leaked = leaked.filter((d) => now.has(d));
    }
    expect(leaked).toEqual([]);
    expect(mountPoints().filter((m) => !this.mountsBefore.includes(m))).toEqual([]);
  }

  // The pids of the detached containers' monitors of this state root.
  monitors(): number[] {
    const out = Bun.spawnSync(["pgrep", "-f", `^contain-monitor .* ${this.root} [0-9a-f]{64}$`]).stdout.toString();
    return out.split("\n").filter(Boolean).map(Number);
  }

  // For afterAll: the check, and the clean-up even when the check fails.
  finish(): void {
    try {
      this.expectClean();
    } finally {
      this.dispose();
    }
  }

  // After a failed test something may be left: a command sweeps it (the
  // state root must not go first, or its cgroups would have no record).
  dispose(): void {
    if (this.ids().length) this.run(["rm", "-f", ...this.ids()]);
    if (this.ids().length) this.run(["run", "-q", "--", "true"]);
    rmSync(this.root, { recursive: true, force: true });
    rmSync(this.dataRoot, { recursive: true, force: true });
  }
}

// The roots go after the subcommand (`node create` is one), before the
// container's name and command.
function withRoots(args: string[], roots: string[]): string[] {
  const words = args[0] === "node" && args[1] !== undefined ? 2 : 1;
  if (args.length < words || args[0]?.startsWith("-")) return args;
  return [...args.slice(0, words), ...roots, ...args.slice(words)];
}

// What a data root holds but the unpacked default rootfs and the parents
// of the per-container directories, which may stay.
export function dataLeftovers(dataRoot: string): string[] {
  if (!existsSync(dataRoot)) return [];
  const under = (dir: string, keep: (name: string) => boolean) => readdirSync(`${dataRoot}/${dir}`).filter((n) => !keep(n)).map((n) => `${dir}/${n}`);
  return readdirSync(dataRoot).flatMap((name) =>
    name === "rootfs" ? under("rootfs", (r) => /^default-[0-9a-f]+$/.test(r)) : name === "containers" ? under("containers", () => false) : [name],
  );
}

// The cgroup directories `ours` picks, in every hierarchy, down to `depth`
// levels (runtimes nest theirs under the caller's cgroup); not below one picked.
export function findCgroups(ours: (name: string, parent: string) => boolean, depth = 4): string[] {
  const found: string[] = [];
  const walk = (dir: string, left: number) => {
    let entries: string[];
    try {
      entries = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    } catch {
      return;
    }
    for (const name of entries) {
      if (ours(name, dir)) found.push(`${dir}/${name}`);
      else if (left > 0) walk(`${dir}/${name}`, left - 1);
    }
  };
  walk("/sys/fs/cgroup", depth);
  return found;
}

// Every container cgroup directory on the machine: <...>/contain/<64 hex>.
export function containerCgroups(): Set<string> {
  return new Set(findCgroups((name, parent) => /^[0-9a-f]{64}$/.test(name) && parent.endsWith("/contain")));
}

function isEmptyCgroup(dir: string): boolean {
  try {
    return readFileSync(`${dir}/cgroup.procs`, "utf8").trim() === "";
  } catch {
    return false; // removed meanwhile
  }
}

export function mountPoints(): string[] {
  return readFileSync("/proc/self/mountinfo", "utf8").split("\n").map((l) => l.split(" ")[4] ?? "").filter(Boolean);
}

// The cgroup directories of the one running container whose ID starts with `prefix`.
export function cgroupOf(prefix: string): string[] {
  return [...containerCgroups()].filter((d) => d.split("/").pop()?.startsWith(prefix));
}

// `probe` may be async: a gRPC client's answer.
export async function waitFor<T>(what: string, probe: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(20);
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z ");
  } catch {
    return false;
  }
}
