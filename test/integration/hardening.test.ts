// The default hardening, checked from inside the container: docker's
// capability set, no_new_privs, masked and read-only kernel paths, seccomp;
// and the flags that change it.
import { afterAll, expect, test } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import { Harness } from "./harness.ts";

const h = new Harness();
afterAll(() => {
  h.finish();
});

// docker's default set: CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID
// SETPCAP NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP
const DEFAULT_CAPS = "00000000a80425fb";

function status(args: string[] = []): Record<string, string> {
  const r = h.run(["run", "-q", ...args, "--", "cat", "/proc/self/status"]);
  expect(r.code).toBe(0);
  return Object.fromEntries(r.stdout.split("\n").map((l) => l.split(":\t") as [string, string]));
}

test("capabilities: docker's default set in bounding, permitted and effective; nothing inheritable", () => {
  const s = status();
  expect(s.CapBnd).toBe(DEFAULT_CAPS);
  expect(s.CapPrm).toBe(DEFAULT_CAPS);
  expect(s.CapEff).toBe(DEFAULT_CAPS);
  expect(s.CapInh).toBe("0000000000000000");
  expect(s.CapAmb).toBe("0000000000000000");
});

test("no_new_privs is set", () => {
  expect(status().NoNewPrivs).toBe("1");
});

test("mount fails with EPERM", () => {
  const r = h.run(["run", "-q", "--", "/bin/sh", "-c", "mkdir /m; mount -t tmpfs none /m"]);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain("permission denied");
});

test("masked paths cannot be read, and /proc/sys cannot be written", () => {
  const r = h.run(["run", "-q", "--", "/bin/sh", "-c", "for f in /proc/kcore /proc/keys /proc/timer_list; do head -c 1 $f 2>/dev/null | wc -c; done; ls /sys/firmware | wc -l; echo 1 > /proc/sys/kernel/domainname"]);
  expect(r.stdout).toBe("0\n0\n0\n0\n");
  expect(r.stderr).toContain("Read-only file system");
  // the host has them, so the masks are what hides them
  expect(Bun.spawnSync(["head", "-c", "1", "/proc/timer_list"]).stdout.length).toBe(1);
});

test("--cap-add and --cap-drop change the set; --cap-drop ALL empties it", () => {
  const s = status(["--cap-add", "NET_ADMIN", "--cap-drop", "chown"]);
  const bits = BigInt(`0x${s.CapEff}`);
  expect(bits & (1n << 12n)).toBe(1n << 12n); // CAP_NET_ADMIN
  expect(bits & 1n).toBe(0n); // CAP_CHOWN
  expect(status(["--cap-drop", "ALL"]).CapEff).toBe("0000000000000000");
});

test("--privileged: every capability, no masks, no no_new_privs, and mount works", () => {
  const s = status(["--privileged"]);
  expect(BigInt(`0x${s.CapEff}`)).toBeGreaterThan(BigInt(`0x${DEFAULT_CAPS}`));
  expect(s.NoNewPrivs).toBe("0");
  const r = h.run(["run", "-q", "--privileged", "--", "/bin/sh", "-c", "mkdir /m && mount -t tmpfs none /m && echo mounted; head -c 1 /proc/timer_list | wc -c"]);
  expect(r.stdout).toBe("mounted\n1\n");
});

test("--security-opt no-new-privileges=false", () => {
  expect(status(["--security-opt", "no-new-privileges=false"]).NoNewPrivs).toBe("0");
});

test("seccomp: docker's default filter is loaded", () => {
  expect(status().Seccomp).toBe("2");
  expect(status(["--security-opt", "seccomp=unconfined"]).Seccomp).toBe("0");
  expect(status(["--privileged"]).Seccomp).toBe("0");
});

test("seccomp: a call docker's profile denies gets EPERM even with the capability for it", () => {
  // swapoff needs CAP_SYS_ADMIN, which --cap-add gives; only the filter stops it
  const denied = h.run(["run", "-q", "--cap-add", "SYS_ADMIN", "--", "swapoff", "/nonexistent"]);
  expect(denied.stderr).toContain("Operation not permitted");
  const unfiltered = h.run(["run", "-q", "--cap-add", "SYS_ADMIN", "--security-opt", "seccomp=unconfined", "--", "swapoff", "/nonexistent"]);
  expect(unfiltered.stderr).toContain("No such file or directory");
});

test("seccomp: --security-opt seccomp=FILE takes a docker/OCI profile", () => {
  const file = `${h.root}.profile.json`;
  writeFileSync(file, JSON.stringify({ defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 13 }] }));
  try {
    const r = h.run(["run", "-q", "--security-opt", `seccomp=${file}`, "--", "/bin/sh", "-c", "mkdir /x; touch /y && echo touched"]);
    expect(r.stderr).toContain("Permission denied"); // EACCES, the profile's errnoRet
    expect(r.stdout).toBe("touched\n");
  } finally {
    rmSync(file);
  }
});

test("exec gets the container's hardening: its capabilities, no_new_privs, seccomp and rlimits", () => {
  const id = h.run(["run", "-d", "-q", "--cap-drop", "NET_RAW", "--ulimit", "nofile=300", "--", "sleep", "30"]).stdout.trim();
  try {
    const r = h.run(["exec", id, "--", "/bin/sh", "-c", "grep -E '^(CapEff|CapBnd|NoNewPrivs|Seccomp):' /proc/self/status; ulimit -n"]);
    const s = Object.fromEntries(r.stdout.trim().split("\n").map((l) => l.split(":\t") as [string, string]));
    const withoutNetRaw = (BigInt(`0x${DEFAULT_CAPS}`) & ~(1n << 13n)).toString(16).padStart(16, "0");
    expect(s.CapEff).toBe(withoutNetRaw);
    expect(s.CapBnd).toBe(withoutNetRaw);
    expect(s.NoNewPrivs).toBe("1");
    expect(s.Seccomp).toBe("2");
    expect(r.stdout.trim().split("\n").at(-1)).toBe("300");
    expect(h.run(["exec", "-u", "1000", id, "--", "grep", "CapEff", "/proc/self/status"]).stdout).toBe("CapEff:\t0000000000000000\n");
  } finally {
    h.run(["rm", "-f", id]);
  }
});

test("seccomp: a profile's flags reach seccomp(2)", () => {
  const file = (name: string, flags: string[]) => {
    const path = `${h.root}.${name}.json`;
    writeFileSync(path, JSON.stringify({ defaultAction: "SCMP_ACT_ALLOW", flags }));
    return path;
  };
  const logged = file("log", ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_TSYNC"]);
  // the kernel takes WAIT_KILLABLE_RECV only with a listener, which we never ask for
  const refused = file("killable", ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"]);
  try {
    expect(h.run(["run", "-q", "--security-opt", `seccomp=${logged}`, "--", "grep", "Seccomp:", "/proc/self/status"]).stdout).toBe("Seccomp:\t2\n");
    const r = h.run(["run", "-q", "--security-opt", `seccomp=${refused}`, "--", "true"]);
    expect(r.code).toBe(125);
    expect(r.stderr).toBe("[contain] error: cannot start the container's process: seccomp(SECCOMP_SET_MODE_FILTER): invalid argument (EINVAL)\n");
  } finally {
    rmSync(logged);
    rmSync(refused);
  }
});
