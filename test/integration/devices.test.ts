// The device allowlist, shown by the kernel: inside a default container a
// node made with mknod for one of the host's sensitive devices cannot be
// opened (EPERM from the devices cgroup), while the runtime's own set works;
// --device, --device-cgroup-rule and --privileged open what they allow.
// Nodes are opened read-only: never write to the host's console or kernel log.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { Harness } from "./harness.ts";

const h = new Harness();
const hostDir = mkdtempSync("/tmp/contain-test-devices-");
afterAll(() => {
  rmSync(hostDir, { recursive: true, force: true });
  h.finish();
});

// The host's console, first VT, kernel log, loop control, kvm and fuse.
const SENSITIVE = [
  ["console", 5, 1],
  ["tty0", 4, 0],
  ["kmsg", 1, 11],
  ["loop-control", 10, 237],
  ["kvm", 10, 232],
  ["fuse", 10, 229],
] as const;

// A shell line per node: mknod it, then open it read-only and say how it went.
const tryOpen = (name: string, major: number, minor: number) => `mknod /dev/t-${name} c ${major} ${minor} && if (: < /dev/t-${name}) 2>/tmp/err; then echo "${name} open"; else echo "${name} $(cat /tmp/err)"; fi`;
const script = SENSITIVE.map(([n, ma, mi]) => tryOpen(n, ma, mi)).join("; ");

// CAP_SYSLOG, which reading kmsg needs beside the cgroup's permission, so
// that the cgroup is the only wall left.
const SYSLOG = ["--cap-add", "SYSLOG"];

test("mknod is allowed, but the host's console, tty0, kmsg, loop-control, kvm and fuse cannot be opened", () => {
  const r = h.run(["run", "-q", "--net", "none", ...SYSLOG, "--", "/bin/sh", "-c", script]);
  expect(r.code).toBe(0);
  const lines = r.stdout.trim().split("\n");
  expect(lines).toHaveLength(SENSITIVE.length);
  for (const line of lines) expect(line).toMatch(/^\S+ .*Operation not permitted$/);
});

test("the runtime's own devices work: null, zero, full, random, urandom, tty, ptmx and a pty", () => {
  const r = h.run([
    "run",
    "-q",
    "--net",
    "none",
    "--",
    "/bin/sh",
    "-c",
    [
      "echo x > /dev/null && echo null",
      "head -c 3 /dev/zero | wc -c",
      "(echo x > /dev/full) 2>&1 | grep -q 'No space left' && echo full",
      "head -c 2 /dev/random | wc -c",
      "head -c 2 /dev/urandom | wc -c",
      // no controlling terminal without -t: ENXIO from the tty driver, not EPERM from the cgroup
      "(: < /dev/tty) 2>&1 | grep -v 'not permitted' | grep -q 'No such device' && echo tty",
      "exec 3<>/dev/ptmx && ls /dev/pts | grep -qx 0 && echo ptmx",
    ].join("; "),
  ]);
  expect(r.stdout).toBe("null\n3\nfull\n2\n2\ntty\nptmx\n");
  // and a real pty, through the container's devpts
  expect(h.run(["run", "-q", "--net", "none", "-t", "--", "/bin/sh", "-c", "tty"]).stdout).toMatch(/^\/dev\/pts\/\d+/);
});

test("exec joins the allowlist too", () => {
  const id = h.run(["run", "-d", "-q", "--net", "none", "--", "sleep", "3170"]).stdout.trim();
  try {
    const r = h.run(["exec", id, "--", "/bin/sh", "-c", tryOpen("fuse", 10, 229)]);
    expect(r.stdout).toBe("fuse /bin/sh: can't open /dev/t-fuse: Operation not permitted\n");
  } finally {
    h.run(["rm", "-f", id]);
  }
});

test("--device gives a host node, with its numbers and mode, usable inside", () => {
  // a node of the test's own on the host: the loop-control device
  expect(Bun.spawnSync(["mknod", "-m", "600", `${hostDir}/lc`, "c", "10", "237"]).exitCode).toBe(0);
  const r = h.run(["run", "-q", "--net", "none", "--device", `${hostDir}/lc:/dev/loop-control`, "--", "/bin/sh", "-c", "ls -l /dev/loop-control; (: < /dev/loop-control) && echo opened"]);
  expect(r.stdout).toMatch(/^crw------- .* 10, +237 .*\/dev\/loop-control\nopened\n$/);
  // r only: writing is refused
  const ro = h.run(["run", "-q", "--net", "none", "--device", `${hostDir}/lc:/dev/lc:r`, "--", "/bin/sh", "-c", "(: < /dev/lc) && echo read; (: > /dev/lc) 2>&1"]);
  expect(ro.stdout).toBe("read\n/bin/sh: can't create /dev/lc: Operation not permitted\n");
  // a symlink to a node names the node, as docker takes /dev/disk/by-id/...
  symlinkSync(`${hostDir}/lc`, `${hostDir}/lc-link`);
  const linked = h.run(["run", "-q", "--net", "none", "--device", `${hostDir}/lc-link:/dev/lc`, "--", "/bin/sh", "-c", "ls -l /dev/lc"]);
  expect(linked.stdout).toMatch(/^crw------- .* 10, +237 /);
});

test("--device-cgroup-rule allows by number", () => {
  const r = h.run(["run", "-q", "--net", "none", ...SYSLOG, "--device-cgroup-rule", "c 1:11 r", "--", "/bin/sh", "-c", tryOpen("kmsg", 1, 11)]);
  expect(r.stdout).toBe("kmsg open\n");
});

test("--privileged: the host's nodes are in /dev and open", () => {
  const r = h.run(["run", "-q", "--net", "none", "--privileged", "--", "/bin/sh", "-c", `${script}; ls /dev/console /dev/pts/ptmx`]);
  const lines = r.stdout.trim().split("\n");
  expect(lines.slice(0, SENSITIVE.length)).toEqual(SENSITIVE.map(([n]) => `${n} open`));
  // the host's own nodes, not only what mknod made
  expect(h.run(["run", "-q", "--net", "none", "--privileged", "--", "/bin/sh", "-c", "(: < /dev/kmsg) && echo kmsg"]).stdout).toBe("kmsg\n");
});

test("inspect shows the nodes and the rules", () => {
  const id = h.run(["run", "-d", "-q", "--net", "none", "--device-cgroup-rule", "c 1:11 r", "--", "sleep", "3171"]).stdout.trim();
  try {
    const [info] = JSON.parse(h.run(["inspect", id]).stdout);
    expect(info.Devices.nodes.map((n: { path: string }) => n.path)).toContain("/dev/null");
    expect(info.Devices.rules[0]).toEqual({ allow: false, access: "rwm" });
    expect(info.Devices.rules).toContainEqual({ allow: true, type: "c", major: 1, minor: 11, access: "r" });
  } finally {
    h.run(["rm", "-f", id]);
  }
});

test("bad input: one line, exit 125, nothing left", () => {
  const cases = [
    [["--device", "/dev/nothere-contain"], "[contain] error: --device: /dev/nothere-contain does not exist on the host; check the path, e.g. ls -l /dev\n"],
    [["--device-cgroup-rule", "c 1:3"], `[contain] error: --device-cgroup-rule: "c 1:3" is not "TYPE MAJOR:MINOR PERMS"; e.g. --device-cgroup-rule 'c 10:200 rwm' (type a, b or c; * for any number; permissions r, w, m)\n`],
  ] as const;
  for (const [flags, line] of cases) {
    const r = h.run(["run", "-q", ...flags, "--", "true"]);
    expect(r.code).toBe(125);
    expect(r.stderr).toBe(line);
  }
  h.expectClean();
});
