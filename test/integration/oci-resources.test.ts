// linux.resources on the real kernel (these hosts: v1 controllers, cgroup2
// with hugetlb only): what create writes to the cgroup files, what the
// container then can and cannot do, and what is refused by name here.
import { afterAll, expect, test } from "bun:test";
import { chmodSync, copyFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { probe } from "../probes/build.ts";
import { Harness, isAlive, waitFor } from "./harness.ts";
import { ociBundles } from "./oci-bundles.ts";

const h = new Harness();
const { work, rootfs, bundle, create, state, cgroupDir, dispose } = ociBundles(h, "ociresources");

afterAll(() => {
  dispose();
  h.finish();
});

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
  cases.push([["create", "--bundle", bundle("hugesize", ["true"], (c) => (c.linux.resources.hugepageLimits = [{ pageSize: "3MB", limit: 0 }])), "x"], "hugetlb.3MB."]);
  for (const [args, message] of cases) {
    const r = h.run(args);
    expect({ args, code: r.code }).not.toEqual({ args, code: 0 });
    expect(r.stderr).toContain(message);
    expect(r.stderr.trim().split("\n").length).toBe(1);
    expect(h.ids()).toEqual([]);
    expect(existsSync(cgroupDir("cpuset", "x"))).toBe(false);
  }
});

// Kubernetes' kubelet gives every container a hugepage limit per page size
// of the host (0 unless the pod asks), so a runtime that cannot set them runs
// no pod. Here hugetlb is in the cgroup2 mount only (runc 1.1.5 refuses
// these limits: "cannot set hugetlb limit: container could not join or
// create cgroup"); the container joins a cgroup there for them.
test.skipIf(v1Hugetlb)("hugepageLimits on a hybrid host: a cgroup in the cgroup2 mount, whose limits the kernel holds the container to", () => {
  copyFileSync(probe("hugepage"), `${rootfs}/bin/hugepage`);
  chmodSync(`${rootfs}/bin/hugepage`, 0o755);
  // One free huge page on the host for the probe, as it was after.
  const pool = "/proc/sys/vm/nr_hugepages";
  const before = readFileSync(pool, "utf8").trim();
  if (Number(before) < 1) writeFileSync(pool, "1");
  try {
    const limits = (twoMB: number) => (c: Record<string, any>) => (c.linux.resources.hugepageLimits = [{ pageSize: "2MB", limit: twoMB }, { pageSize: "1GB", limit: 0 }]);
    const probeRun = (id: string, twoMB: number) => {
      const script = "grep '^0::' /proc/self/cgroup; cat /sys/fs/cgroup/unified/hugetlb.2MB.max /sys/fs/cgroup/unified/hugetlb.2MB.rsvd.max; hugepage";
      const dir = bundle(id, ["sh", "-c", script], (c) => {
        limits(twoMB)(c);
        c.mounts.push({ destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["ro"] });
      });
      return h.run(["run", "--bundle", dir, id]);
    };
    const refused = probeRun("hugezero", 0);
    expect(refused.stderr).toBe("");
    expect(refused.stdout).toBe("0::/contain/hugezero\n0\n0\nmmap: ENOMEM\n");
    expect(refused.code).toBe(1);
    const allowed = probeRun("hugeone", 2 << 20);
    expect(allowed.stdout).toBe(`0::/contain/hugeone\n${2 << 20}\n${2 << 20}\nmapped\n`);
    expect(allowed.code).toBe(0);
    // Its cgroup there goes with it.
    expect(existsSync("/sys/fs/cgroup/unified/contain/hugeone")).toBe(false);
    expect(h.ids()).toEqual([]);
  } finally {
    writeFileSync(pool, before);
  }
});

// The limits state.json records for a container.
const recorded = (id: string) => (h.state(id) as { spec?: { linux: { resources: Record<string, any> } } } | undefined)?.spec?.linux.resources;

test("update: a running container's new limits are in its cgroup files and its state; a process cannot exceed the new pids limit", async () => {
  const dir = bundle("upd", ["sleep", "1000"], (c) => (c.linux.resources.pids = { limit: 64 }));
  expect(create("upd", dir).code).toBe(0);
  expect(h.run(["start", "upd"]).code).toBe(0);
  const r = h.run(["update", "--memory", "64M", "--pids-limit", "3", "--cpuset-cpus", "1", "--cpu-quota", "50000", "--cpu-period", "100000", "upd"]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  expect(cgroupFile("memory", "upd", "memory.limit_in_bytes")).toBe(String(64 << 20));
  expect(cgroupFile("memory", "upd", "memory.memsw.limit_in_bytes")).toBe(String(64 << 20));
  expect(cgroupFile("pids", "upd", "pids.max")).toBe("3");
  expect(cgroupFile("cpuset", "upd", "cpuset.cpus")).toBe("1");
  expect(cgroupFile("cpu", "upd", "cpu.cfs_quota_us")).toBe("50000");
  expect(procStatus(state("upd").pid, "Cpus_allowed_list")).toBe("1");
  // The init, the shell: one more process fits, the next fork fails.
  const forks = h.run(["exec", "upd", "sh", "-c", "sleep 5 & sleep 5 & wait"]);
  expect(forks.stderr).toContain("can't fork");
  expect(recorded("upd")).toMatchObject({ memory: { limit: 64 << 20 }, pids: { limit: 3 }, cpu: { cpus: "1", quota: 50000, period: 100000, shares: 1024 } });
  expect(JSON.parse(h.run(["inspect", "upd"]).stdout)[0].Spec.linux.resources.pids).toEqual({ limit: 3 });
  // containerd's shim: linux.resources on stdin, no limit lifted
  const fromStdin = h.run(["update", "--resources", "-", "upd"], { stdin: JSON.stringify({ memory: { limit: 32 << 20 }, pids: { limit: -1 }, cpu: { cpus: "0-1" } }) });
  expect(fromStdin.stderr).toBe("");
  expect(fromStdin.code).toBe(0);
  expect(cgroupFile("memory", "upd", "memory.limit_in_bytes")).toBe(String(32 << 20));
  expect(cgroupFile("pids", "upd", "pids.max")).toBe("max");
  expect(cgroupFile("cpuset", "upd", "cpuset.cpus")).toBe("0-1");
  expect(h.run(["exec", "upd", "sh", "-c", "sleep 0.1 & sleep 0.1 & sleep 0.1 & wait && echo ok"]).stdout).toBe("ok\n");
  expect(h.run(["delete", "--force", "upd"]).code).toBe(0);
  expect(h.ids()).toEqual([]);
});

test("update of contain's own container, by name, with docker's --cpus; stats shows the new memory limit", () => {
  const run = h.run(["run", "-d", "-q", "--net", "none", "--name", "own", "--memory", "16M", "--", "sleep", "1000"]);
  expect(run.code).toBe(0);
  const id = run.stdout.trim();
  expect(h.run(["update", "--cpus", "0.5", "-m", "48M", "own"]).code).toBe(0);
  expect(cgroupFile("cpu", id, "cpu.cfs_quota_us")).toBe("50000");
  expect(cgroupFile("cpu", id, "cpu.cfs_period_us")).toBe("100000");
  expect(cgroupFile("memory", id, "memory.limit_in_bytes")).toBe(String(48 << 20));
  // swap stays held to the limit, as run set it
  expect(cgroupFile("memory", id, "memory.memsw.limit_in_bytes")).toBe(String(48 << 20));
  expect(h.run(["stats", "--no-stream", "own"]).stdout).toContain("/ 48M");
  expect(h.run(["rm", "-f", "own"]).code).toBe(0);
  expect(h.ids()).toEqual([]);
});

test("update: a stopped container gets runc's error; bad input one line each, non-zero, and nothing changed", async () => {
  expect(create("stopped", bundle("stopped", ["true"])).code).toBe(0);
  expect(h.run(["start", "stopped"]).code).toBe(0);
  await waitFor("it to stop", () => state("stopped").status === "stopped");
  const gone = h.run(["update", "--memory", "64M", "stopped"]);
  expect(gone.code).not.toBe(0);
  expect(gone.stderr).toContain("container not running");
  expect(h.run(["delete", "stopped"]).code).toBe(0);

  expect(create("kept", bundle("kept", ["sleep", "1000"])).code).toBe(0);
  const files = () => ["memory.limit_in_bytes", "memory.memsw.limit_in_bytes"].map((f) => cgroupFile("memory", "kept", f)).concat(cgroupFile("cpuset", "kept", "cpuset.cpus"));
  const before = files();
  const record = recorded("kept");
  const json = (name: string, text: string) => {
    writeFileSync(`${work}/${name}.json`, text);
    return `${work}/${name}.json`;
  };
  const cases: [string[], string, string?][] = [
    [["update", "--memory", "1K", "kept"], "--memory: 1K is below the smallest limit that works (1M)"],
    [["update", "--pids-limit", "x", "kept"], '--pids-limit: "x" is not a whole number'],
    [["update", "--cpus", "0.5", "--cpu-quota", "1000", "kept"], "--cpus and --cpu-quota: both set the CPU quota"],
    [["update", "--cpuset-cpus", "0;1", "kept"], '--cpuset-cpus: "0;1" is not a list'],
    [["update", "kept"], "update: no limit given"],
    [["update", "--resources", "-", "--memory", "64M", "kept"], "--resources and --memory: both give limits"],
    [["update", "--resources", `${work}/none.json`, "kept"], `--resources: cannot read ${work}/none.json: ENOENT`],
    [["update", "--resources", json("bad", "{"), "kept"], `--resources: ${work}/bad.json is not valid JSON`],
    [["update", "--resources", json("typo", '{"memroy": {}}'), "kept"], "linux.resources.memroy: is not a field of the OCI runtime spec"],
    [["update", "--resources", json("blkio", '{"blockIO": {"weight": 10}}'), "kept"], "linux.resources.blockIO: contain does not support this field yet"],
    [["update", "--resources", json("small", '{"memory": {"limit": 1000}}'), "kept"], "linux.resources.memory.limit: 1000 is below the smallest limit"],
    [["update", "--resources", json("unified", '{"unified": {"memory.high": "max"}}'), "kept"], "linux.resources.unified: cannot be used on cgroup v1"],
    // the kernel refuses the CPU after taking the memory limit: both stay as they were
    [["update", "--memory", "64M", "--cpuset-cpus", "64", "kept"], "/cpuset.cpus: "],
    [["update", "--memory", "64M", "nosuch"], "no such container: nosuch"],
  ];
  if (!v1Hugetlb) cases.push([["update", "--resources", json("huge", '{"hugepageLimits": [{"pageSize": "2MB", "limit": 2097152}]}'), "kept"], "linux.resources.hugepageLimits: the hugetlb controller is not usable"]);
  for (const [args, message] of cases) {
    const r = h.run(args, { stdin: "{}" });
    expect({ args, code: r.code }).not.toEqual({ args, code: 0 });
    expect(r.stderr).toContain(message);
    expect(r.stderr.trim().split("\n").length).toBe(1);
    expect(files()).toEqual(before);
    expect(recorded("kept")).toEqual(record);
  }
  expect(h.run(["delete", "kept"]).code).toBe(0);
  expect(h.ids()).toEqual([]);
});

const readEvents = (text: string) => text.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));

test("events --stats: one stats event in runc's shape, its numbers those of the cgroup files", () => {
  const dir = bundle("ev", ["sh", "-c", "sleep 1000 & wait"], (c) => (c.linux.resources.pids = { limit: 64 }));
  expect(create("ev", dir).code).toBe(0);
  expect(h.run(["start", "ev"]).code).toBe(0);
  const r = h.run(["events", "--stats", "ev"]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  const events = readEvents(r.stdout);
  expect(events.length).toBe(1);
  const [e] = events;
  expect(e).toMatchObject({ type: "stats", id: "ev" });
  const file = (c: string, f: string) => Number(cgroupFile(c, "ev", f));
  expect(e.data.memory.usage.limit).toBe(file("memory", "memory.limit_in_bytes"));
  expect(e.data.memory.usage.limit).toBe(16 << 20);
  expect(e.data.memory.usage.failcnt).toBe(file("memory", "memory.failcnt"));
  expect(e.data.memory.usage.max).toBeLessThanOrEqual(file("memory", "memory.max_usage_in_bytes"));
  expect(Math.abs(e.data.memory.usage.usage - file("memory", "memory.usage_in_bytes"))).toBeLessThan(1 << 20);
  expect(e.data.pids).toEqual({ current: file("pids", "pids.current"), limit: 64 });
  expect(e.data.pids.current).toBe(2);
  const total = file("cpuacct", "cpuacct.usage");
  expect(e.data.cpu.usage.total).toBeGreaterThan(0);
  expect(e.data.cpu.usage.total).toBeLessThanOrEqual(total);
  expect(e.data.cpu.usage.percpu.length).toBe(cgroupFile("cpuacct", "ev", "cpuacct.usage_percpu").split(/\s+/).length);
  expect(e.data.cpu.usage.user + e.data.cpu.usage.kernel).toBeGreaterThanOrEqual(0);
  // An unlimited limit is printed as the kernel holds it, digit for digit.
  expect(h.run(["update", "--memory", "-1", "ev"]).code).toBe(0);
  expect(h.run(["events", "--stats", "ev"]).stdout).toContain(`"limit":${cgroupFile("memory", "ev", "memory.limit_in_bytes")}`);
  expect(h.run(["delete", "--force", "ev"]).code).toBe(0);
});

test("events: a stats event every interval, an oom event when a hog in the container is OOM-killed, exit 0 once it stops", async () => {
  const dir = bundle("hog", ["sh", "-c", "sleep 1; tail /dev/zero; sleep 1"]);
  expect(create("hog", dir).code).toBe(0);
  expect(h.run(["start", "hog"]).code).toBe(0);
  const events = Bun.spawn([h.bin, "events", ...h.rootFlags, "--interval", "300ms", "hog"], { stdout: "pipe", stderr: "pipe" });
  const [code, out, err] = await Promise.all([events.exited, new Response(events.stdout).text(), new Response(events.stderr).text()]);
  expect(err).toBe("");
  expect(code).toBe(0);
  const seen = readEvents(out);
  expect(seen.filter((e) => e.type === "oom")).toEqual([{ type: "oom", id: "hog" }]);
  expect(seen.filter((e) => e.type === "stats").length).toBeGreaterThanOrEqual(3);
  expect(seen.every((e) => e.id === "hog")).toBe(true);
  expect(state("hog").status).toBe("stopped");
  expect(readFileSync(`${cgroupDir("memory", "hog")}/memory.oom_control`, "utf8")).toContain("oom_kill 1");
  expect(h.run(["delete", "hog"]).code).toBe(0);
  expect(h.ids()).toEqual([]);
}, 30_000);

test("events: a stopped container gets runc's error; a bad interval one line; nothing left", async () => {
  expect(create("done", bundle("done", ["true"])).code).toBe(0);
  expect(h.run(["start", "done"]).code).toBe(0);
  await waitFor("it to stop", () => state("done").status === "stopped");
  const cases: [string[], string][] = [
    [["events", "done"], "container with id done is not running"],
    [["events", "--stats", "done"], "container with id done is not running"],
    [["events", "--interval", "0s", "done"], "--interval: duration interval must be greater than 0"],
    [["events", "--interval", "5", "done"], '--interval: invalid duration "5"'],
    [["events", "nosuch"], "no such container: nosuch"],
  ];
  for (const [args, message] of cases) {
    const r = h.run(args);
    expect({ args, code: r.code }).not.toEqual({ args, code: 0 });
    expect(r.stderr).toContain(message);
    expect(r.stderr.trim().split("\n").length).toBe(1);
  }
  expect(h.run(["delete", "done"]).code).toBe(0);
  expect(h.ids()).toEqual([]);
});
