// Integration tests run the compiled binary as root against the real kernel.
// Each test file gets its own state root, and checks that what it started
// left nothing behind: no cgroup, mount, state or process.
import { expect } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { resolve } from "node:path";

export const BIN = resolve(import.meta.dir, "../../contain");

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export class Harness {
  readonly root = mkdtempSync("/tmp/contain-test-state-");
  private readonly cgroupsBefore = containerCgroups();
  private readonly mountsBefore = mountPoints();

  run(args: string[], opts: { timeout?: number; stdin?: string } = {}): Result {
    const r = Bun.spawnSync([BIN, ...withRoot(args, this.root)], {
      stdin: opts.stdin === undefined ? "ignore" : Buffer.from(opts.stdin),
      timeout: opts.timeout ?? 30_000,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
    });
    return { code: r.exitCode ?? 128 + (r.signalCode ? 9 : 0), stdout: r.stdout.toString(), stderr: r.stderr.toString() };
  }

  spawn(args: string[]) {
    return Bun.spawn([BIN, ...withRoot(args, this.root)], { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
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

  // Nothing of ours is left: state entries, cgroups, mounts, monitors.
  expectClean(): void {
    expect(existsSync(this.root) ? readdirSync(this.root) : []).toEqual([]);
    expect(this.monitors()).toEqual([]);
    // Empty ones only: a container that some other user of this machine runs
    // right now has processes; what a runtime leaks has none left.
    // Another runtime's container being set up (other people test on this
    // machine too) has an empty cgroup for a while, longer under load: what
    // is still there, and empty, 3 s later is a leak.
    let suspects = [...containerCgroups()].filter((d) => !this.cgroupsBefore.has(d) && isEmptyCgroup(d));
    for (let waited = 0; suspects.length && waited < 3000; waited += 100) {
      Bun.sleepSync(100);
      suspects = suspects.filter(isEmptyCgroup);
    }
    expect(suspects).toEqual([]);
    expect(mountPoints().filter((m) => !this.mountsBefore.includes(m))).toEqual([]);
  }

  // The pids of the detached containers' monitors of this state root.
  monitors(): number[] {
    const out = Bun.spawnSync(["pgrep", "-f", `^contain-monitor .* ${this.root} [0-9a-f]{64}$`]).stdout.toString();
    return out.split("\n").filter(Boolean).map(Number);
  }

  // After a failed test something may be left: a command sweeps it (the
  // state root must not go first, or its cgroups would have no record).
  dispose(): void {
    if (this.ids().length) this.run(["rm", "-f", ...this.ids()]);
    if (this.ids().length) this.run(["run", "-q", "--", "true"]);
    rmSync(this.root, { recursive: true, force: true });
  }
}

// `--root` goes after the subcommand (`node create` is one), before the
// container's name and command.
function withRoot(args: string[], root: string): string[] {
  const words = args[0] === "node" && args[1] !== undefined ? 2 : 1;
  if (args.length < words || args[0]?.startsWith("-")) return args;
  return [...args.slice(0, words), "--root", root, ...args.slice(words)];
}

// Every container cgroup directory on the machine: <...>/contain/<64 hex>.
export function containerCgroups(): Set<string> {
  const found = new Set<string>();
  const walk = (dir: string, depth: number) => {
    let entries: string[];
    try {
      entries = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    } catch {
      return;
    }
    for (const name of entries) {
      const path = `${dir}/${name}`;
      if (/^[0-9a-f]{64}$/.test(name) && dir.endsWith("/contain")) found.add(path);
      else if (depth > 0) walk(path, depth - 1);
    }
  };
  walk("/sys/fs/cgroup", 4);
  return found;
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

export async function waitFor<T>(what: string, probe: () => T | undefined | null | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
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
