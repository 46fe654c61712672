// The container's own cgroups at /sys/fs/cgroup, read-only, as docker mounts
// them (these machines: v1 through the hybrid layout, a tmpfs with each
// hierarchy's directory of the container bound beneath it; pure v2 is
// test/vm). Nothing of the host's other cgroups shows, nothing is writable,
// no cgroup filesystem can be mounted.
import { afterAll, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { V1_CONTROLLERS } from "../../src/linux/cgroups/v1.ts";
import { Harness, waitFor } from "./harness.ts";

const h = new Harness();
afterAll(() => {
  h.finish();
});

// The v1 hierarchies this machine has that a container joins.
const hierarchies = V1_CONTROLLERS.filter((c) => existsSync(`/sys/fs/cgroup/${c}/cgroup.procs`));

// mountinfo's lines under /sys/fs/cgroup: mount point -> per-mount options, fstype, root.
function cgroupMountinfo(text: string): Map<string, { opts: string[]; fstype: string; root: string }> {
  const found = new Map<string, { opts: string[]; fstype: string; root: string }>();
  for (const line of text.trim().split("\n")) {
    const [pre = "", post = ""] = line.split(" - ");
    const f = pre.split(" ");
    const point = f[4] ?? "";
    if (point === "/sys/fs/cgroup" || point.startsWith("/sys/fs/cgroup/")) found.set(point, { opts: (f[5] ?? "").split(","), fstype: post.split(" ")[0] ?? "", root: f[3] ?? "" });
  }
  return found;
}

test("the limits of -m, --pids and --cpus read where the JVM, Go and Node look for them", () => {
  const r = h.run([
    "run", "-q", "--net", "none", "-m", "64M", "--pids", "64", "--cpus", "0.5", "--",
    "sh", "-c", "ls /sys/fs/cgroup; cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us",
  ]);
  expect(r.stderr).toBe("");
  const lines = r.stdout.trim().split("\n");
  expect(lines.slice(0, -4).sort()).toEqual([...hierarchies].sort());
  expect(lines.slice(-4)).toEqual([String(64 << 20), "64", "50000", "100000"]);
});

test("mountinfo: read-only, nosuid, nodev, noexec binds of the container's own cgroups, its cgroup namespace's root", () => {
  const r = h.run(["run", "-q", "--net", "none", "--", "cat", "/proc/self/mountinfo"]);
  const mounts = cgroupMountinfo(r.stdout);
  expect([...mounts.keys()].sort()).toEqual(["/sys/fs/cgroup", ...hierarchies.map((c) => `/sys/fs/cgroup/${c}`)].sort());
  for (const [point, m] of mounts) {
    for (const opt of ["ro", "nosuid", "nodev", "noexec"]) expect({ point, has: m.opts.includes(opt) }).toEqual({ point, has: true });
    expect(m.fstype).toBe(point === "/sys/fs/cgroup" ? "tmpfs" : "cgroup");
    // The kernel shows a cgroup mount's root from the reader's cgroup
    // namespace: the container's own cgroup is its "/", as /proc/self/cgroup says.
    expect(m.root).toBe("/");
  }
});

test("nothing of the host's cgroups: no sibling container's directory, no host process in cgroup.procs", async () => {
  const sibling = h.run(["run", "-d", "-q", "--net", "none", "--name", "sibling", "--", "sleep", "60"]).stdout.trim();
  expect(sibling).toMatch(/^[0-9a-f]{64}$/);
  const script = [
    // every directory: the tmpfs, the hierarchies' roots, none beneath
    "find /sys/fs/cgroup -mindepth 1 -type d",
    "echo --",
    // every pid of every cgroup.procs, and the container's own processes
    "cat /sys/fs/cgroup/*/cgroup.procs /sys/fs/cgroup/*/tasks | sort -un",
    "echo --",
    "ls /proc | grep '^[0-9]*$' | sort -n",
    "echo --",
    // .. of a bind's root is the tmpfs, not the parent cgroup
    "ls /sys/fs/cgroup/memory/..",
  ].join("; ");
  const r = h.run(["run", "-q", "--net", "none", "--", "sh", "-c", script]);
  const [dirs = "", procs = "", pids = "", up = ""] = r.stdout.split("--\n");
  expect(dirs.trim().split("\n").sort()).toEqual(hierarchies.map((c) => `/sys/fs/cgroup/${c}`).sort());
  const listed = procs.trim().split("\n").map(Number);
  expect(listed[0]).toBe(1);
  // Only the container's processes (PID 1, cat and the like: small pids of
  // its fresh PID namespace): no host pid, and no 0, as a process outside
  // that namespace would read.
  expect(listed.every((p) => p > 0 && p < 100)).toBe(true);
  const inside = new Set(pids.trim().split("\n").map(Number));
  expect(inside.has(1)).toBe(true);
  expect(up.trim().split("\n").sort()).toEqual([...hierarchies].sort());
  expect(h.run(["rm", "-f", "sibling"]).code).toBe(0);
});

test("nothing is writable: the limits, release_agent, notify_on_release; no cgroup filesystem can be mounted", () => {
  const attempts = [
    "echo 1 > /sys/fs/cgroup/memory/memory.limit_in_bytes",
    "echo /x > /sys/fs/cgroup/release_agent",
    "echo /x > /sys/fs/cgroup/memory/release_agent",
    "echo 1 > /sys/fs/cgroup/memory/notify_on_release",
    "echo 0 > /sys/fs/cgroup/pids/cgroup.procs",
    "mkdir /sys/fs/cgroup/memory/child",
    "mkdir /sys/fs/cgroup/new",
  ];
  const mounts = ["mount -t cgroup -o memory none /x", "mount -t cgroup2 none /x", "mount -t tmpfs none /sys/fs/cgroup", "mount -o remount,rw /sys/fs/cgroup/memory"];
  const script = [...attempts, ...mounts].map((c) => `${c} 2>/dev/null && echo "WROTE ${c}" || echo "refused ${c}"`).join("; ");
  const r = h.run(["run", "-q", "-m", "64M", "--net", "none", "--", "sh", "-c", `mkdir /x; ${script}; cat /sys/fs/cgroup/memory/memory.limit_in_bytes`]);
  expect(r.stdout).toBe([...attempts, ...mounts].map((c) => `refused ${c}\n`).join("") + `${64 << 20}\n`);
  // The kernel's reasons: a read-only mount, and mount(2) without CAP_SYS_ADMIN.
  const why = h.run(["run", "-q", "--net", "none", "--", "sh", "-c", "echo 1 > /sys/fs/cgroup/memory/notify_on_release; echo x > /sys/fs/cgroup/memory/release_agent; mkdir /x; mount -t cgroup -o memory none /x"]);
  expect(why.stderr).toContain("can't create /sys/fs/cgroup/memory/notify_on_release: Read-only file system");
  expect(why.stderr).toContain("can't create /sys/fs/cgroup/memory/release_agent: Read-only file system");
  expect(why.stderr).toMatch(/mount: permission denied|Operation not permitted/);
});

test("--privileged: writable, as docker mounts it for a privileged container", () => {
  const r = h.run(["run", "-q", "--privileged", "-m", "64M", "--net", "none", "--", "sh", "-c", "echo 33554432 > /sys/fs/cgroup/memory/memory.soft_limit_in_bytes && cat /sys/fs/cgroup/memory/memory.soft_limit_in_bytes; cat /proc/self/mountinfo"]);
  expect(r.stdout.split("\n")[0]).toBe(String(32 << 20));
  const mounts = cgroupMountinfo(r.stdout);
  expect(mounts.get("/sys/fs/cgroup/memory")?.opts).toContain("rw");
  expect(mounts.get("/sys/fs/cgroup")?.opts).toContain("rw");
});

test("run -d, exec and node containers see theirs too; update shows inside at once", async () => {
  h.run(["run", "-d", "-q", "--net", "none", "--name", "box", "-m", "32M", "--", "sleep", "60"]);
  const read = () => h.run(["exec", "box", "cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes"]).stdout.trim();
  expect(read()).toBe(String(32 << 20));
  expect(h.run(["update", "-m", "48M", "box"]).code).toBe(0);
  expect(read()).toBe(String(48 << 20));
  expect(h.run(["rm", "-f", "box"]).code).toBe(0);

  expect(h.run(["node", "create", "n1", "--mem", "24", "--net", "none", "--", "sh", "-c", "cat /sys/fs/cgroup/memory/memory.limit_in_bytes; sleep 60"]).code).toBe(0);
  await waitFor("the node's output", () => h.run(["logs", "n1"]).stdout.trim() === String(24 << 20));
  expect(h.run(["node", "rm", "n1"]).code).toBe(0);
});
