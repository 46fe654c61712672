import { expect, test } from "bun:test";
import { v1Writes } from "../../src/linux/cgroups/v1.ts";
import { v2Writes } from "../../src/linux/cgroups/v2.ts";
import { describeLimits } from "../../src/plan/cgroup.ts";
import { planFromSpec, type PlanLayout } from "../../src/plan/plan.ts";
import { specFromFlags } from "../../src/spec/from-flags.ts";
import { networkFromFlags } from "../../src/spec/network.ts";
import { validateSpec } from "../../src/spec/schema.ts";
import { CONTEXT } from "./fixtures.ts";

const ID = "f".repeat(64);
const LAYOUT: PlanLayout = { dir: `/run/contain/${ID}`, overlayDir: `/run/contain/${ID}/rootfs` };
const spec = validateSpec(
  specFromFlags({ command: ["sh", "-c", "true"], rootfs: "/r", tty: false, memory: "64M", pids: "64", cpu: "0.5", cpuShares: "512" }, ID, CONTEXT),
  { cpus: 2 },
);

test("the plan mounts /proc, a read-only /sys and a fresh /dev, in order", () => {
  const plan = planFromSpec(spec, ID, LAYOUT, networkFromFlags({ net: "none" }));
  const mounts = plan.ops.flatMap((o) => (o.op === "mount" ? [`${o.target}:${o.fstype}:${o.flags.join("|")}`] : []));
  expect(mounts).toEqual([
    "/proc:proc:MS_NOSUID|MS_NODEV|MS_NOEXEC",
    "/sys:sysfs:MS_NOSUID|MS_NODEV|MS_NOEXEC|MS_RDONLY",
    "/dev:tmpfs:MS_NOSUID|MS_STRICTATIME",
    "/dev/pts:devpts:MS_NOSUID|MS_NOEXEC",
    "/dev/shm:tmpfs:MS_NOSUID|MS_NODEV|MS_NOEXEC",
    "/dev/mqueue:mqueue:MS_NOSUID|MS_NODEV|MS_NOEXEC",
  ]);
  const devpts = plan.ops.find((o) => o.op === "mount" && o.fstype === "devpts");
  expect(devpts?.op === "mount" && devpts.data).toContain("newinstance");
  const nodes = plan.ops.flatMap((o) => (o.op === "mknod" ? [`${o.path}=${o.major}:${o.minor}`] : []));
  expect(nodes).toEqual(["/dev/null=1:3", "/dev/zero=1:5", "/dev/full=1:7", "/dev/random=1:8", "/dev/urandom=1:9", "/dev/tty=5:0"]);
  const links = plan.ops.flatMap((o) => (o.op === "symlink" ? [`${o.path}->${o.target}`] : []));
  expect(links).toEqual(["/dev/ptmx->pts/ptmx", "/dev/fd->/proc/self/fd", "/dev/stdin->/proc/self/fd/0", "/dev/stdout->/proc/self/fd/1", "/dev/stderr->/proc/self/fd/2"]);
  // every mount point is created before it is mounted on
  plan.ops.forEach((o, i) => {
    if (o.op === "mount") expect(plan.ops.slice(0, i).some((p) => p.op === "mkdir" && p.path === o.target)).toBe(true);
  });
  expect(plan.process.searchPath).toBe("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
});

test("limits become v2 files", () => {
  expect(v2Writes(spec.linux.resources)).toEqual([
    { controller: "unified", file: "memory.max", value: "67108864", optional: false },
    { controller: "unified", file: "memory.swap.max", value: "0", optional: true },
    { controller: "unified", file: "cpu.max", value: "50000 100000", optional: false },
    { controller: "unified", file: "cpu.weight", value: "20", optional: false },
    { controller: "unified", file: "pids.max", value: "64", optional: false },
  ]);
});

test("limits become v1 files, period before quota and memsw after the limit", () => {
  expect(v1Writes(spec.linux.resources).filter((w) => w.controller !== "devices")).toEqual([
    { controller: "memory", file: "memory.limit_in_bytes", value: "67108864" },
    { controller: "memory", file: "memory.memsw.limit_in_bytes", value: "67108864", optional: true },
    { controller: "cpu", file: "cpu.cfs_period_us", value: "100000" },
    { controller: "cpu", file: "cpu.cfs_quota_us", value: "50000" },
    { controller: "cpu", file: "cpu.shares", value: "512" },
    { controller: "pids", file: "pids.max", value: "64" },
  ]);
});

test("no limits, no writes", () => {
  expect(v1Writes({})).toEqual([]);
  expect(v2Writes({})).toEqual([]);
  expect(describeLimits({})).toBe("none");
});

test("the step log names the limits as the user wrote them", () => {
  expect(describeLimits(spec.linux.resources)).toBe("memory=64M cpu=0.5 cpu-shares=512 pids=64");
});

test("mounts: a later option wins, as in mount(8); a read-only bind is a remount", () => {
  const s = validateSpec(
    specFromFlags({ command: ["sh"], rootfs: "/r", tty: false, tmpfs: ["/t:suid,dev,ro,rw", "/u:ro,noexec"], volumes: ["/h:/v:ro"] }, ID, CONTEXT),
    { cpus: 2 },
  );
  const mounts = planFromSpec(s, ID, LAYOUT, networkFromFlags({ net: "none" })).mounts.filter((m) => !m.target.startsWith("/etc/"));
  expect(mounts.map((m) => [m.target, m.flags.join("|"), m.readonly])).toEqual([
    ["/v", "MS_BIND|MS_REC", true],
    ["/t", "", false],
    ["/u", "MS_NOSUID|MS_NODEV|MS_RDONLY|MS_NOEXEC", false],
  ]);
});
