// linux.resources on the real kernel (these hosts: v1 controllers, cgroup2
// with hugetlb only): what create writes to the cgroup files, what the
// container then can and cannot do, and what is refused by name here.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { busyboxTree, Harness, isAlive, waitFor } from "./harness.ts";

const h = new Harness();
const work = mkdtempSync("/tmp/contain-test-ociresources-");
let rootfs: string;

beforeAll(() => {
  rootfs = busyboxTree();
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(rootfs, { recursive: true, force: true });
  h.finish();
});

// A bundle as ctr makes one (test/unit/oci-samples: 16M of memory), with our
// rootfs, the given command, and the caller's changes (as oci.test.ts).
function bundle(name: string, args: string[], change: (c: Record<string, any>) => void = () => {}): string {
  const dir = `${work}/${name}`;
  mkdirSync(dir, { recursive: true });
  const config = JSON.parse(readFileSync(`${import.meta.dir}/../unit/oci-samples/ctr-memory-limit.json`, "utf8"));
  config.root = { path: rootfs, readonly: true };
  config.process.args = args;
  delete config.linux.cgroupsPath;
  change(config);
  writeFileSync(`${dir}/config.json`, JSON.stringify(config));
  return dir;
}

// `create` as conmon runs it, the container's stdout and stderr in files.
function create(id: string, dir: string) {
  const [out, err] = [`${work}/${id}.out`, `${work}/${id}.err`];
  const r = Bun.spawnSync([h.bin, "create", ...h.rootFlags, "--bundle", dir, id], { stdout: Bun.file(out), stderr: Bun.file(err), stdin: "ignore", timeout: 30_000 });
  const read = (f: string) => (existsSync(f) ? readFileSync(f, "utf8") : "");
  return { code: r.exitCode, stderr: read(err), out: () => read(out) };
}

const state = (id: string) => JSON.parse(h.run(["state", id]).stdout);
// A container's cgroup of a v1 controller: under ours, as runc nests them.
const cgroupDir = (controller: string, id: string) =>
  `/sys/fs/cgroup/${controller}${readFileSync("/proc/self/cgroup", "utf8").match(new RegExp(`:${controller}:(.*)`))?.[1]?.replace(/\/$/, "") ?? ""}/contain/${id}`;
const cgroupFile = (controller: string, id: string, file: string) => readFileSync(`${cgroupDir(controller, id)}/${file}`, "utf8").trim();
const procStatus = (pid: number, key: string) => readFileSync(`/proc/${pid}/status`, "utf8").match(new RegExp(`^${key}:\\s*(.*)$`, "m"))?.[1];
// hugetlb is a v1 hierarchy on some hosts; here it lives in cgroup2 only.
const v1Hugetlb = existsSync("/sys/fs/cgroup/hugetlb/cgroup.procs");

test("create writes cpu.cpus and cpu.mems to the cpuset cgroup and the memory knobs to theirs; the command runs on CPU 0 only", async () => {
  const dir = bundle("knobs", ["sleep", "1000"], (c) => {
    c.linux.resources.cpu = { shares: 512, cpus: "0", mems: "0" };
    c.linux.resources.memory = { limit: 32 << 20, reservation: 16 << 20, swappiness: 10, disableOOMKiller: true };
  });
  const c = create("knobs", dir);
  expect(c.stderr).toBe("");
  expect(c.code).toBe(0);
  expect(cgroupFile("cpuset", "knobs", "cpuset.cpus")).toBe("0");
  expect(cgroupFile("cpuset", "knobs", "cpuset.mems")).toBe("0");
  expect(cgroupFile("memory", "knobs", "memory.limit_in_bytes")).toBe(String(32 << 20));
  expect(cgroupFile("memory", "knobs", "memory.soft_limit_in_bytes")).toBe(String(16 << 20));
  expect(cgroupFile("memory", "knobs", "memory.swappiness")).toBe("10");
  expect(cgroupFile("memory", "knobs", "memory.oom_control")).toContain("oom_kill_disable 1");
  expect(cgroupFile("cpu", "knobs", "cpu.shares")).toBe("512");
  // The process waits in every hierarchy, the cpuset one too.
  const pid = state("knobs").pid;
  expect(readFileSync(`/proc/${pid}/cgroup`, "utf8")).toMatch(/:cpuset:.*\/contain\/knobs$/m);
  expect(h.run(["start", "knobs"]).code).toBe(0);
  await waitFor("the command to run", () => readFileSync(`/proc/${pid}/cmdline`, "utf8").startsWith("sleep"));
  expect(procStatus(pid, "Cpus_allowed_list")).toBe("0");
  expect(h.run(["delete", "--force", "knobs"]).code).toBe(0);
  await waitFor("the init to die", () => !isAlive(pid));
  expect(existsSync(cgroupDir("cpuset", "knobs"))).toBe(false);
  expect(h.ids()).toEqual([]);
});

test("a container without cpus joins the cpuset cgroup with its parent's CPUs; run --cpuset-cpus confines it", () => {
  const all = h.run(["run", "--bundle", bundle("nocpus", ["sh", "-c", "grep Cpus_allowed_list /proc/self/status"]), "nocpus"]);
  expect(all.code).toBe(0);
  expect(all.stdout).toBe(`Cpus_allowed_list:\t${readFileSync("/sys/fs/cgroup/cpuset/cpuset.effective_cpus", "utf8").trim()}\n`);
  const one = h.run(["run", "-q", "--net", "none", "--cpuset-cpus", "1", "--cpuset-mems", "0", "--", "grep", "Cpus_allowed_list", "/proc/self/status"]);
  expect(one.stderr).toBe("");
  expect(one.stdout).toBe("Cpus_allowed_list:\t1\n");
  expect(h.ids()).toEqual([]);
});

test("what this host's cgroups cannot take, and bad values: one line each, non-zero, nothing made", () => {
  const cases: [string[], string][] = [
    // runc: "cannot use unified on cgroup v1"
    [["create", "--bundle", bundle("unified", ["true"], (c) => (c.linux.resources.unified = { "memory.high": "max" })), "x"], "linux.resources.unified: cannot be used on cgroup v1"],
    [["create", "--bundle", bundle("cpus", ["true"], (c) => (c.linux.resources.cpu = { cpus: "0-a" })), "x"], 'linux.resources.cpu.cpus: "0-a" is not a list such as "0-3,7"'],
    [["create", "--bundle", bundle("swappiness", ["true"], (c) => (c.linux.resources.memory = { swappiness: 200 })), "x"], "linux.resources.memory.swappiness: must be 0 to 100"],
    [["create", "--bundle", bundle("unifiedpath", ["true"], (c) => (c.linux.resources.unified = { "../cgroup.procs": "1" })), "x"], 'linux.resources.unified["../cgroup.procs"]: '],
    // a CPU this machine lacks: the kernel's refusal, after the cgroup is made, and undone
    [["create", "--bundle", bundle("nocpu", ["true"], (c) => (c.linux.resources.cpu = { cpus: "64" })), "x"], "/cpuset.cpus: "],
    [["run", "-q", "--net", "none", "--cpuset-cpus", "0;1", "--", "true"], '--cpuset-cpus: "0;1" is not a list'],
  ];
  if (!v1Hugetlb)
    cases.push([
      ["create", "--bundle", bundle("hugetlb", ["true"], (c) => (c.linux.resources.hugepageLimits = [{ pageSize: "2MB", limit: 2 << 20 }])), "x"],
      "linux.resources.hugepageLimits: the hugetlb controller is not usable for the container's cgroups: no v1 hugetlb hierarchy is mounted",
    ]);
  for (const [args, message] of cases) {
    const r = h.run(args);
    expect({ args, code: r.code }).not.toEqual({ args, code: 0 });
    expect(r.stderr).toContain(message);
    expect(r.stderr.trim().split("\n").length).toBe(1);
    expect(h.ids()).toEqual([]);
    expect(existsSync(cgroupDir("cpuset", "x"))).toBe(false);
  }
});
