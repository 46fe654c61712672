// The cgroup v2 device filter on the real kernel: load it, attach it to a
// fresh cgroup of the v2 hierarchy, and let a shell in that cgroup open device
// nodes it makes. On a hybrid machine the v2 hierarchy holds no controllers,
// yet a BPF_CGROUP_DEVICE program attached there still decides for its tasks
// (devcgroup_check_permission runs the cgroup's programs before v1's lists).
// Opens are read-only, but for a copy of /dev/null: nothing reaches the
// host's console or kernel log.
import { expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmdirSync, rmSync } from "node:fs";
import { attachDeviceFilter, loadDeviceFilter } from "../../src/linux/bpf.ts";
import { deviceFilter, type DeviceRule } from "../../src/linux/cgroups/device-filter.ts";
import { detectLayout } from "../../src/linux/cgroups/index.ts";
import { close } from "../../src/linux/process.ts";
import { RUNC_DEFAULT_DEVICES } from "../device-rules.ts";

const v2 = detectLayout().v2Mount;
if (!v2) throw new Error("no cgroup2 mount on this machine");
const CGROUP = `${v2}/contain-test-${process.pid}`;

// The nodes the shell makes: name, type, major, minor.
const NODES = [
  ["null", "c", 1, 3],
  ["kmsg", "c", 1, 11],
  ["console", "c", 5, 1],
  ["sda", "b", 8, 0],
] as const;

// What became of each open under the rules: "opened" or the error's text.
// `rw` opens the null node for reading and writing as well.
function opens(rules: readonly DeviceRule[], names: readonly string[], rw = false): Record<string, string> {
  mkdirSync(CGROUP);
  try {
    const fd = loadDeviceFilter(deviceFilter(rules));
    try {
      attachDeviceFilter(CGROUP, fd);
    } finally {
      close(fd);
    }
    return run(names, rw);
  } finally {
    // The shell has exited and been reaped: the cgroup is empty.
    rmdirSync(CGROUP);
  }
}

// The shell: joins the cgroup, makes the nodes in a temp dir, opens them.
function run(names: readonly string[], rw: boolean): Record<string, string> {
  const dir = mkdtempSync("/tmp/contain-test-devices-");
  try {
    const script = [
      `echo $$ > ${CGROUP}/cgroup.procs || exit 1`,
      `grep -qx '0::/${CGROUP.slice(`${v2}/`.length)}' /proc/self/cgroup || exit 2`,
      `cd ${dir} || exit 1`,
      ...NODES.map(([name, type, major, minor]) => `mknod ${name} ${type} ${major} ${minor} || exit 3`),
      ...names.map((n) => `head -c0 ${n} 2>err && echo "${n}: opened" || echo "${n}: $(sed 's/.*: //' err)"`),
      ...(rw ? [`(exec 3<>null) 2>err && echo "null rw: opened" || echo "null rw: $(sed 's/.*: //' err)"`] : []),
    ].join("\n");
    const r = Bun.spawnSync(["/bin/sh", "-c", script], { env: { PATH: "/usr/bin:/bin", LC_ALL: "C" } });
    expect(r.stderr.toString()).toBe("");
    expect(r.exitCode).toBe(0);
    return Object.fromEntries(
      r.stdout
        .toString()
        .trim()
        .split("\n")
        .map((l) => l.split(": ") as [string, string]),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("runc's default rules: 1:3 opens; kmsg, console and a disk were made but do not open", () => {
  expect(opens(RUNC_DEFAULT_DEVICES, ["null", "kmsg", "console", "sda"])).toEqual({
    null: "opened",
    kmsg: "Operation not permitted",
    console: "Operation not permitted",
    sda: "Operation not permitted",
  });
});

test("allow all, as --privileged has: the same open of kmsg succeeds", () => {
  expect(opens([{ allow: true, access: "rwm" }], ["null", "kmsg"])).toEqual({ null: "opened", kmsg: "opened" });
});

test("allow all but writes to 1:3: it opens for reading, not for reading and writing", () => {
  expect(opens([{ allow: true }, { allow: false, type: "c", major: 1, minor: 3, access: "w" }], ["null"], true)).toEqual({
    null: "opened",
    "null rw": "Operation not permitted",
  });
});

test("the verifier's refusal names the call and carries its log", () => {
  // exit with R0 never set
  const program = new Uint8Array([0x95, 0, 0, 0, 0, 0, 0, 0]);
  expect(() => loadDeviceFilter(program)).toThrow(/^bpf\(BPF_PROG_LOAD, .*\): permission denied \(EACCES\); the verifier said:\n(.|\n)*R0 !read_ok/);
});

test("attaching to a directory that is no cgroup fails with the call", () => {
  const fd = loadDeviceFilter(deviceFilter(RUNC_DEFAULT_DEVICES));
  try {
    expect(() => attachDeviceFilter("/tmp", fd)).toThrow(/^bpf\(BPF_PROG_ATTACH, \{target_fd=<\/tmp>, .*attach_type=BPF_CGROUP_DEVICE, attach_flags=BPF_F_ALLOW_MULTI\}\): /);
  } finally {
    close(fd);
  }
});
