// Where the real clients run: one temporary directory holds every file they
// write, and a private mount and network namespace holds what they would
// otherwise leave on the host.
//
// Why the namespaces: some state cannot be moved by any flag. With rootful
// podman 4.3 and CNI, libcni caches results in /var/lib/cni, host-local
// leases addresses in /var/lib/cni/networks, c/image keeps a blob cache in
// /var/lib/containers/cache, conmon leaves the runtime its default root
// (/run/runc, /run/contain), and the bridge and portmap plugins add iptables
// chains and set sysctls (ip_forward, route_localnet) that they never take
// back. containerd 1.6 puts every shim's socket in /run/containerd/s and the
// shim gives runc /run/containerd/runc as its root, whatever the config says.
// Here /run, /var/lib, /var/tmp and /dev/shm are tmpfs mounts of the
// namespace's own, and the network is one with only a loopback: all of that
// is gone with the namespace, and the checks below still see it while it
// lives, so a runtime that leaks is caught.
//
// cgroupfs is the one thing shared with the host: the clients name their
// cgroups after `tag`, and finish() removes what they made and reports any
// container's cgroup that was left.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { basename, resolve } from "node:path";
import type { FileSink, Subprocess } from "bun";
import { findCgroups, type Result, waitFor } from "../integration/harness.ts";

// The OCI runtime under test: CONTAIN_OCI_RUNTIME (e.g. /usr/sbin/runc), or
// the repository's ./contain.
export const RUNTIME = resolve(process.env.CONTAIN_OCI_RUNTIME || resolve(import.meta.dir, "../../contain"));

export function requireRuntime(): void {
  if (!existsSync(RUNTIME)) throw new Error(`no OCI runtime at ${RUNTIME}: build ./contain (node_modules/.bin/bun build.ts) or set CONTAIN_OCI_RUNTIME=/usr/sbin/runc`);
}

export type { Result } from "../integration/harness.ts";
export { waitFor } from "../integration/harness.ts";

// A client's command, to its end: its exit code (128+9 when the timeout
// killed it) and its output.
export function runClient(argv: string[], opts: { stdin?: string; timeout?: number } = {}): Result {
  const r = Bun.spawnSync(argv, {
    stdin: opts.stdin === undefined ? "ignore" : Buffer.from(opts.stdin),
    stdout: "pipe",
    stderr: "pipe",
    timeout: opts.timeout ?? 30_000,
    killSignal: "SIGKILL",
  });
  return { code: r.exitCode ?? 128 + 9, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

// A word for sh -c, tmux's command line and the wrapper scripts.
export const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

const HOLDER = [
  "set -e",
  "mount -t tmpfs -o mode=0755 tmpfs /run",
  "mount -t tmpfs -o mode=0755 tmpfs /var/lib",
  "mount -t tmpfs -o mode=1777 tmpfs /var/tmp",
  "mount -t tmpfs -o mode=1777 tmpfs /dev/shm",
  "ip link set lo up",
  "echo ready",
  // Lives as long as its stdin: the test's end, or the test runner's death.
  "exec cat >/dev/null",
].join("\n");

export class Sandbox {
  readonly dir: string;
  // Names the cgroups the clients make (podman's --cgroup-parent, containerd's
  // namespace): clients-<client>-<pid>.
  readonly tag: string;
  readonly pid: number;
  // The holder is known by pid, start time and namespace: pids are reused
  // within seconds on a busy machine (pid_max 32768), and a reused one must
  // never be entered, read or killed as ours.
  private readonly start: string;
  private readonly ns: string;
  // Held, so the pipe (the holder's life) is never closed by a collector.
  private readonly stdin: FileSink;
  private readonly baseline: string[];

  private constructor(
    readonly name: string,
    private readonly holder: Subprocess<"pipe", "pipe", "pipe">,
    dir: string,
  ) {
    this.dir = dir;
    this.tag = `clients-${name}-${process.pid}`;
    this.pid = holder.pid;
    this.stdin = holder.stdin;
    this.start = startTime(this.pid) ?? "";
    this.ns = readlinkSync(`/proc/${this.pid}/ns/mnt`);
    this.baseline = this.mounts();
  }

  static async create(name: string): Promise<Sandbox> {
    const dir = mkdtempSync(`/tmp/contain-clients-${name}-`);
    const holder = Bun.spawn(["unshare", "--mount", "--propagation", "private", "--net", "--", "sh", "-c", HOLDER], {
      cwd: dir,
      stdin: "pipe",
      stdout: "pipe",
      stderr: "pipe",
    });
    const reader = holder.stdout.getReader();
    const first = await Promise.race([reader.read(), Bun.sleep(10_000).then(() => undefined)]);
    reader.releaseLock();
    if (!first?.value || !new TextDecoder().decode(first.value).includes("ready")) {
      holder.kill("SIGKILL");
      const err = await new Response(holder.stderr).text();
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`the namespace holder did not start: ${err.trim()}`);
    }
    return new Sandbox(name, holder, dir);
  }

  private alive(): boolean {
    try {
      return startTime(this.pid) === this.start && readlinkSync(`/proc/${this.pid}/ns/mnt`) === this.ns;
    } catch {
      return false;
    }
  }

  private check(): void {
    if (!this.alive()) throw new Error(`the sandbox's namespace holder (pid ${this.pid}) is gone: something killed it`);
  }

  // argv that runs `cmd` in the sandbox's namespaces.
  enter(cmd: string[]): string[] {
    this.check();
    return ["nsenter", "-t", String(this.pid), "-m", "-n", "--", ...cmd];
  }

  // A script at <dir>/bin/<name> that runs `argv` and its own arguments in the
  // sandbox with `env`: what the tests run, under tmux too, and what a person
  // debugging a failure can run by hand.
  tool(name: string, argv: string[], env: Record<string, string>): string {
    const path = `${this.dir}/bin/${name}`;
    mkdirSync(`${this.dir}/bin`, { recursive: true });
    const vars = Object.entries(env).map(([k, v]) => `${k}=${v}`);
    const script = [
      "#!/bin/sh",
      `[ "$(readlink /proc/${this.pid}/ns/mnt)" = ${quote(this.ns)} ] || { echo "the sandbox's namespace holder (pid ${this.pid}) is gone" >&2; exit 125; }`,
      `exec ${this.enter(["env", ...vars, ...argv]).map(quote).join(" ")} "$@"`,
    ];
    writeFileSync(path, `${script.join("\n")}\n`, { mode: 0o755 });
    return path;
  }

  // Every process in the namespace but its holder: the clients' daemons and
  // monitors (containerd, shims, conmon). The containers have mount
  // namespaces of their own, and are found by their cgroups.
  processes(): string[] {
    this.check();
    const found: string[] = [];
    for (const pid of readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
      if (Number(pid) === this.pid) continue;
      try {
        if (readlinkSync(`/proc/${pid}/ns/mnt`) !== this.ns) continue;
        found.push(`${pid} ${readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim()}`);
      } catch {
        // gone meanwhile
      }
    }
    return found;
  }

  // The mount points of the namespace.
  mounts(): string[] {
    this.check();
    return readFileSync(`/proc/${this.pid}/mountinfo`, "utf8")
      .split("\n")
      .map((l) => l.split(" ")[4] ?? "")
      .filter(Boolean);
  }

  // The network devices of the namespace.
  links(): string[] {
    const r = Bun.spawnSync(this.enter(["ip", "-o", "link", "show"]));
    return r.stdout
      .toString()
      .split("\n")
      .map((l) => l.split(": ")[1]?.split("@")[0] ?? "")
      .filter(Boolean);
  }

  // What is left when the clients are done: processes in the namespace,
  // mounts beyond its own, network namespaces, devices but loopback, cgroups
  // of `ids` or under the tag but `keep` (a client's own, such as podman's
  // conmon), processes anywhere still naming the directory. Left processes
  // are killed by pid (they are ours: in our namespace, or naming our
  // directory), our cgroups removed, the namespace and the directory
  // removed; the list is returned for the test to assert empty.
  async finish(ids: string[], keep: string[] = []): Promise<string[]> {
    const left: string[] = [];
    if (this.alive()) {
      try {
        left.push(...(await this.namespaceLeftovers()));
      } finally {
        this.stdin.end();
        const exited = await Promise.race([this.holder.exited, Bun.sleep(5_000).then(() => undefined)]);
        if (exited === undefined && this.alive()) killPid(this.pid);
      }
    } else {
      left.push(`the namespace holder (pid ${this.pid}) died before the end`);
    }
    left.push(...removeCgroups(this.tag, ids, keep));
    for (const line of readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
      const point = line.split(" ")[4];
      if (point?.startsWith(this.dir)) left.push(`host mount ${point}`);
    }
    for (const pid of readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
      let cmd = "";
      try {
        cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
      } catch {
        continue;
      }
      if (Number(pid) !== process.pid && cmd.includes(this.dir)) {
        left.push(`process ${pid} ${cmd.trim()}`);
        killPid(Number(pid));
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
    return left;
  }

  private async namespaceLeftovers(): Promise<string[]> {
    const left: string[] = [];
    // podman's exit command (`podman container cleanup`) may still run.
    const procs = await waitFor("the namespace to empty", () => this.processes().length === 0, 10_000).then(
      () => [],
      () => this.processes(),
    );
    for (const p of procs) {
      left.push(`process ${p}`);
      killPid(Number(p.split(" ")[0]));
    }
    // /run/netns is podman's shared mount of its own; what is in it is a netns.
    const own = new Set([...this.baseline, "/run/netns"]);
    for (const m of this.mounts()) if (!own.has(m)) left.push(`mount ${m}`);
    const netns = `/proc/${this.pid}/root/run/netns`;
    if (existsSync(netns)) for (const n of readdirSync(netns)) left.push(`netns /run/netns/${n}`);
    for (const l of this.links()) if (l !== "lo") left.push(`link ${l}`);
    return left;
  }
}

// Field 22 of /proc/<pid>/stat, in clock ticks since boot.
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

function killPid(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // gone
  }
}

// Every cgroup directory named `tag` or one of `ids`, in every hierarchy, at
// any depth (a runtime may nest its cgroups under the caller's). Under a `tag`
// directory, the `keep` names are the client's own and are removed quietly;
// anything else is a container's cgroup left behind. All of them are removed
// when empty; one that is not is reported.
function removeCgroups(tag: string, ids: string[], keep: string[]): string[] {
  const left: string[] = [];
  const ours = (name: string) => name === tag || ids.some((id) => name.includes(id));
  for (const dir of findCgroups(ours, 5)) {
    const under = (d: string): string[] =>
      readdirSync(d, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .flatMap((e) => [...under(`${d}/${e.name}`), `${d}/${e.name}`]);
    const children = basename(dir) === tag ? under(dir) : [];
    for (const child of children) {
      if (!keep.includes(child.slice(dir.length + 1))) left.push(`cgroup ${child}`);
    }
    if (basename(dir) !== tag) left.push(`cgroup ${dir}`);
    for (const d of [...children, dir]) {
      for (const pid of readFileSync(`${d}/cgroup.procs`, "utf8").split("\n").filter(Boolean)) {
        left.push(`process ${pid} in ${d}`);
        killPid(Number(pid));
      }
    }
    for (const d of [...children, dir]) {
      // A killed process leaves its cgroup a moment later.
      const removed = () => {
        try {
          rmdirSync(d);
          return true;
        } catch (e) {
          return (e as NodeJS.ErrnoException).code === "ENOENT";
        }
      };
      for (let i = 0; i < 40 && !removed(); i++) Bun.sleepSync(25);
      if (existsSync(d)) left.push(`cgroup ${d} could not be removed`);
    }
  }
  return left;
}
