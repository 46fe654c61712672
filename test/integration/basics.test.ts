// The container as the kernel sees it: PID 1, its own namespaces, hostname,
// mounts, /proc, /dev, loopback; and the step logs.
import { afterAll, expect, test } from "bun:test";
import { readlinkSync } from "node:fs";
import { Harness } from "./harness.ts";

const h = new Harness();
afterAll(() => {
  h.finish();
});

test("the command is PID 1 and ps sees only the container", () => {
  // `; :` keeps sh from exec'ing its last command, so sh stays PID 1
  const r = h.run(["run", "-q", "--", "/bin/sh", "-c", "echo pid=$$; ps -o pid,comm; :"]);
  expect(r.code).toBe(0);
  const lines = r.stdout.trim().split("\n");
  expect(lines[0]).toBe("pid=1");
  // header, sh (PID 1) and ps itself: nothing of the host
  expect(lines.slice(1)).toHaveLength(3);
  expect(lines[2]?.trim()).toMatch(/^1 +sh$/);
});

test("every namespace differs from the host's", () => {
  const kinds = ["pid", "uts", "mnt", "ipc", "net", "cgroup"];
  const r = h.run(["run", "-q", "--", "/bin/sh", "-c", `for n in ${kinds.join(" ")}; do readlink /proc/1/ns/$n; done`]);
  expect(r.code).toBe(0);
  const inside = r.stdout.trim().split("\n");
  kinds.forEach((kind, i) => {
    expect(inside[i]).toMatch(new RegExp(`^${kind}:\\[\\d+\\]$`));
    expect(inside[i]).not.toBe(readlinkSync(`/proc/self/ns/${kind}`));
  });
});

test("the cgroup namespace makes the container's cgroup its root", () => {
  const r = h.run(["run", "-q", "--", "cat", "/proc/self/cgroup"]);
  for (const line of r.stdout.trim().split("\n")) expect(line).toMatch(/:\/$/);
});

test("hostname: the short ID by default, --hostname otherwise", () => {
  const byDefault = h.run(["run", "-q", "--", "hostname"]);
  expect(byDefault.stdout.trim()).toMatch(/^[0-9a-f]{12}$/);
  expect(h.run(["run", "-q", "--hostname", "sandbox", "--", "/bin/sh", "-c", "hostname; echo $HOSTNAME"]).stdout).toBe("sandbox\nsandbox\n");
});

test("the mount table: the new root, /proc, a fresh /dev, read-only /sys and its cgroups, its /etc files, then the masks", () => {
  const r = h.run(["run", "-q", "--", "cat", "/proc/self/mountinfo"]);
  const mounts = new Map(
    r.stdout
      .trim()
      .split("\n")
      .map((l) => {
        const [pre = "", post = ""] = l.split(" - ");
        const f = pre.split(" ");
        return [f[4] ?? "", { opts: f[5] ?? "", fstype: post.split(" ")[0] ?? "" }] as const;
      }),
  );
  const top = [...mounts.keys()].filter((m) => !/^\/(proc|sys)\/./.test(m));
  expect(top).toEqual(["/", "/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/etc/hostname", "/etc/hosts", "/etc/resolv.conf"]);
  // masked and read-only kernel paths (those this kernel has) come last
  const masks = [...mounts.keys()].slice(top.length);
  expect(masks).toContain("/proc/keys");
  expect(masks).toContain("/proc/sys");
  expect(mounts.get("/proc/sys")?.opts).toMatch(/^ro,/);
  expect(mounts.get("/proc")?.fstype).toBe("proc");
  expect(mounts.get("/sys")?.fstype).toBe("sysfs");
  expect(mounts.get("/sys")?.opts).toMatch(/^ro,/);
  expect(mounts.get("/dev")?.fstype).toBe("tmpfs");
  expect(mounts.get("/dev/pts")?.fstype).toBe("devpts");
  expect(mounts.get("/dev/mqueue")?.fstype).toBe("mqueue");
  // the host's root is gone: nothing but the container's own mounts, its
  // cgroups' view (cgroupfs.test.ts) without the host's systemd and unified ones
  expect(mounts.get("/sys/fs/cgroup")?.fstype).toBe("tmpfs");
  expect(mounts.has("/sys/fs/cgroup/memory")).toBe(true);
  expect(mounts.has("/sys/fs/cgroup/systemd")).toBe(false);
  expect(mounts.has("/sys/fs/cgroup/unified")).toBe(false);
});

test("/dev holds the standard devices and links, and they work", () => {
  const r = h.run(["run", "-q", "--", "/bin/sh", "-c", "ls /dev; head -c 4 /dev/urandom | wc -c; echo x > /dev/null && echo null-ok; ls -l /dev/stdin"]);
  const names = r.stdout.split("\n");
  for (const dev of ["null", "zero", "full", "random", "urandom", "tty", "ptmx", "pts", "shm", "mqueue", "fd", "stdin", "stdout", "stderr"]) expect(names).toContain(dev);
  expect(names).not.toContain("sda");
  expect(r.stdout).toContain("4\nnull-ok\n");
  expect(r.stdout).toContain("/dev/stdin -> /proc/self/fd/0");
});

test("--net none: a network namespace with only loopback, and it is up", () => {
  const r = h.run(["run", "-q", "--net", "none", "--", "/bin/sh", "-c", "ls /sys/class/net; ip -o link show lo; ping -c1 -W1 127.0.0.1 >/dev/null && echo ping-ok"]);
  expect(r.stdout.split("\n")[0]).toBe("lo");
  expect(r.stdout).toContain("UP");
  expect(r.stdout).toContain("ping-ok");
});

test("the step logs, on stderr only; --quiet silences them", () => {
  const r = h.run(["run", "--memory", "64M", "--pids", "64", "--", "echo", "hi"]);
  expect(r.stdout).toBe("hi\n");
  const lines = r.stderr.trim().split("\n");
  expect(lines).toContain("[contain] creating namespaces: pid uts mnt ipc net cgroup");
  expect(lines).toContain("[contain] pivoting root");
  expect(lines).toContain("[contain] applying cgroup limits: memory=64M pids=64");
  expect(lines).toContain("[contain] container exited: exit status 0");
  const order = ["creating namespaces", "pivoting root", "applying cgroup limits", "container exited"].map((s) => lines.findIndex((l) => l.includes(s)));
  expect([...order].sort((a, b) => a - b)).toEqual(order);
  const quiet = h.run(["run", "-q", "--", "echo", "hi"]);
  expect(quiet.stderr).toBe("");
});

test("--debug shows every system call with its arguments", () => {
  const r = h.run(["run", "--debug", "--", "true"]);
  expect(r.stderr).toContain('pivot_root(".", ".") = 0');
  // the container's /proc, on its target resolved in the new root before pivot_root
  expect(r.stderr).toMatch(/mount\("proc", "\/proc\/self\/fd\/\d+", "proc", MS_NOSUID\|MS_NODEV\|MS_NOEXEC, NULL\) = 0/);
  // the init opens the cgroups' tasks (v1) or cgroup.procs (v2), and execs the helper that joins them
  expect(r.stderr).toMatch(/open\("\/sys\/fs\/cgroup\/[^"]+\/(tasks|cgroup.procs)", "O_WRONLY\|O_CLOEXEC"\)/);
  expect(r.stderr).toMatch(/execve\("\/proc\/self\/fd\/\d+", \["contain-helper","start","\d+","\d+"\], \[0 vars\]\)/);
  expect(r.stderr).toMatch(/sethostname\("[0-9a-f]{12}", 12\) = 0/);
  // the init is exec'd from the binary sealed on a detached overlayfs
  expect(r.stderr).toMatch(/fsmount\(FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY\|MOUNT_ATTR_NOSUID\|MOUNT_ATTR_NODEV\) = \d+/);
  expect(r.stderr).toMatch(/clone\(CLONE_NEWPID\|CLONE_NEWUTS\|CLONE_NEWNS\|CLONE_NEWIPC\|CLONE_NEWNET\|CLONE_VM\|CLONE_VFORK, "\/proc\/self\/fd\/\d+", \["contain","init",/);
  expect(r.code).toBe(0);
});

test("--stats reports peak memory, CPU time and max pids from the cgroup", () => {
  const r = h.run(["run", "-q", "--stats", "--", "/bin/sh", "-c", "sleep 0.2 & sleep 0.2 & wait"]);
  expect(r.code).toBe(0);
  const m = /\[contain\] usage: peak memory ([\d.]+[KMG]?B?), cpu time ([\d.]+)s, max pids (\d+)/.exec(r.stderr);
  expect(m).not.toBeNull();
  expect(Number(m?.[3])).toBeGreaterThanOrEqual(3);
});
