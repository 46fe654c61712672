// The cgroup code against a temporary directory standing in for /sys/fs/cgroup.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { parseCgroupLayout, parseProcCgroup } from "../../src/linux/cgroups/detect.ts";
import { v1Freeze, v1FreezerState, v1Thaw, v2Freeze, v2FreezerState, v2Thaw, type Clock, type FreezerFiles } from "../../src/linux/cgroups/freezer.ts";
import { cgroupPaths } from "../../src/linux/cgroups/index.ts";
import { CgroupV1 } from "../../src/linux/cgroups/v1.ts";
import { CgroupV2 } from "../../src/linux/cgroups/v2.ts";

const HYBRID = `30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
32 30 0:29 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
38 30 0:35 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw`;
const V2 = "35 24 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate";
const V1_COMOUNT = "31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n34 30 0:31 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory";
const SELF = "9:name=systemd:/\n8:pids:/\n4:memory:/process_api/abc\n2:cpuacct:/\n1:cpu:/\n0::/";

describe("detection", () => {
  test("hybrid, v2 and v1", () => {
    expect(parseCgroupLayout(HYBRID)).toEqual({
      mode: "hybrid",
      v2Mount: "/sys/fs/cgroup/unified",
      v1Mounts: { cpu: "/sys/fs/cgroup/cpu", cpuacct: "/sys/fs/cgroup/cpuacct", memory: "/sys/fs/cgroup/memory", pids: "/sys/fs/cgroup/pids" },
    });
    expect(parseCgroupLayout(V2)).toEqual({ mode: "v2", v2Mount: "/sys/fs/cgroup", v1Mounts: {} });
    expect(parseCgroupLayout(V1_COMOUNT).mode).toBe("v1");
  });

  test("v1 cgroups nest under the caller's own cgroup in each hierarchy", () => {
    expect(parseProcCgroup(SELF).memory).toBe("/process_api/abc");
    expect(cgroupPaths(parseCgroupLayout(HYBRID), SELF, "id1")).toEqual({
      memory: "/sys/fs/cgroup/memory/process_api/abc/contain/id1",
      cpu: "/sys/fs/cgroup/cpu/contain/id1",
      cpuacct: "/sys/fs/cgroup/cpuacct/contain/id1",
      pids: "/sys/fs/cgroup/pids/contain/id1",
    });
    // co-mounted controllers share one directory
    const co = cgroupPaths(parseCgroupLayout(V1_COMOUNT), "1:cpu,cpuacct:/\n4:memory:/", "x");
    expect(co.cpu).toBe("/sys/fs/cgroup/cpu,cpuacct/contain/x");
    expect(co.cpuacct).toBe(co.cpu);
  });

  test("a hybrid host's cgroup2 hugetlb: a cgroup there beside the v1 ones, as v2 places it, only when asked", () => {
    const layout = parseCgroupLayout(HYBRID);
    expect(cgroupPaths(layout, SELF, "id1", undefined, true).unified).toBe("/sys/fs/cgroup/unified/contain/id1");
    expect(cgroupPaths(layout, SELF, "id1", "/kubepods/pod1/id1", true)).toMatchObject({ unified: "/sys/fs/cgroup/unified/kubepods/pod1/id1", memory: "/sys/fs/cgroup/memory/kubepods/pod1/id1" });
    expect(cgroupPaths(layout, SELF, "id1").unified).toBeUndefined();
  });

  test("v2 cgroups go under <mount>/contain", () => {
    expect(cgroupPaths(parseCgroupLayout(V2), "0::/user.slice/session-1.scope", "id2")).toEqual({ unified: "/sys/fs/cgroup/contain/id2" });
  });
});

let root: string;
beforeEach(() => {
  root = mkdtempSync("/tmp/contain-cgtest-");
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const read = (p: string) => readFileSync(`${root}/${p}`, "utf8");

describe("v2", () => {
  test("enables controllers, writes limits, adds the process, reads usage", () => {
    writeFileSync(`${root}/cgroup.controllers`, "cpuset cpu io memory hugetlb pids");
    writeFileSync(`${root}/cgroup.subtree_control`, "");
    const cg = new CgroupV2(`${root}/contain/c1`);
    cg.create();
    expect(read("cgroup.subtree_control")).toBe("+cpuset +cpu +memory +pids +hugetlb +io");
    expect(read("contain/cgroup.subtree_control")).toBe("+cpuset +cpu +memory +pids +hugetlb +io");
    // What the kernel shows in the new cgroup once its parent enables them.
    writeFileSync(`${root}/contain/c1/cgroup.controllers`, "cpuset cpu memory hugetlb pids");
    writeFileSync(`${root}/contain/c1/memory.swap.max`, "max");
    cg.apply({ memory: { limit: 64 << 20, swap: 64 << 20 }, cpu: { quota: 50000, period: 100000, shares: 1024 }, pids: { limit: 10 } });
    expect(read("contain/c1/memory.max")).toBe("67108864");
    expect(read("contain/c1/memory.swap.max")).toBe("0");
    expect(read("contain/c1/cpu.max")).toBe("50000 100000");
    expect(read("contain/c1/cpu.weight")).toBe("39");
    expect(read("contain/c1/pids.max")).toBe("10");
    writeFileSync(`${root}/contain/c1/memory.peak`, "1048576\n");
    writeFileSync(`${root}/contain/c1/cpu.stat`, "usage_usec 2500\nuser_usec 2000\n");
    writeFileSync(`${root}/contain/c1/pids.peak`, "3\n");
    writeFileSync(`${root}/contain/c1/memory.events`, "low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\n");
    writeFileSync(`${root}/contain/c1/io.stat`, "254:0 rbytes=8192 wbytes=4096 rios=2 wios=1 dbytes=0 dios=0\n");
    expect(cg.usage()).toMatchObject({ memoryPeak: 1048576, cpuUsec: 2500, pidsPeak: 3, oomKills: 1, blockIO: { read: 8192, write: 4096 } });
  });

  test("memory.swap.max is skipped where the kernel has no swap accounting", () => {
    writeFileSync(`${root}/cgroup.controllers`, "memory");
    const cg = new CgroupV2(`${root}/contain/c2`);
    cg.create();
    writeFileSync(`${root}/contain/c2/cgroup.controllers`, "memory");
    cg.apply({ memory: { limit: 8 << 20 } });
    expect(existsSync(`${root}/contain/c2/memory.swap.max`)).toBe(false);
    expect(read("contain/c2/memory.max")).toBe("8388608");
  });
});

describe("v1", () => {
  test("one directory per hierarchy, limits in each controller's files", () => {
    const paths = { memory: `${root}/memory/p/contain/c1`, cpu: `${root}/cpu/contain/c1`, cpuacct: `${root}/cpuacct/contain/c1`, pids: `${root}/pids/contain/c1` };
    const cg = new CgroupV1(paths);
    cg.create();
    for (const dir of Object.values(paths)) expect(existsSync(dir)).toBe(true);
    writeFileSync(`${paths.memory}/memory.memsw.limit_in_bytes`, "");
    cg.apply({ memory: { limit: 16 << 20 }, cpu: { quota: 50000, period: 100000, shares: 512 }, pids: { limit: 64 } });
    expect(readFileSync(`${paths.memory}/memory.limit_in_bytes`, "utf8")).toBe("16777216");
    expect(readFileSync(`${paths.memory}/memory.memsw.limit_in_bytes`, "utf8")).toBe("16777216");
    expect(readFileSync(`${paths.cpu}/cpu.cfs_quota_us`, "utf8")).toBe("50000");
    expect(readFileSync(`${paths.cpu}/cpu.cfs_period_us`, "utf8")).toBe("100000");
    expect(readFileSync(`${paths.cpu}/cpu.shares`, "utf8")).toBe("512");
    expect(readFileSync(`${paths.pids}/pids.max`, "utf8")).toBe("64");
    writeFileSync(`${paths.memory}/memory.max_usage_in_bytes`, "2097152\n");
    writeFileSync(`${paths.memory}/memory.oom_control`, "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
    writeFileSync(`${paths.cpuacct}/cpuacct.usage`, "3000000\n");
    writeFileSync(`${paths.pids}/pids.peak`, "5\n");
    expect(cg.usage()).toMatchObject({ memoryPeak: 2097152, cpuUsec: 3000, pidsPeak: 5, oomKills: 2 });
  });

  test("a limit whose controller is missing is a clear error", () => {
    const cg = new CgroupV1({ memory: `${root}/memory/contain/c2` });
    cg.create();
    expect(() => cg.apply({ pids: { limit: 5 } })).toThrow("linux.resources.pids: no v1 pids hierarchy is mounted for the container's cgroups");
  });

  test("destroy removes every directory and tolerates ones already gone", () => {
    mkdirSync(`${root}/a/contain/c3`, { recursive: true });
    const cg = new CgroupV1({ memory: `${root}/a/contain/c3`, pids: `${root}/b/contain/c3` });
    cg.destroy();
    expect(existsSync(`${root}/a/contain/c3`)).toBe(false);
  });
});

// A freezer that plays the kernel: `settleAfter` reads of FREEZING (v1) or
// "frozen 0" (v2) after each freeze request, then frozen; Infinity: stuck.
class FakeFreezer implements FreezerFiles {
  readonly dir = "/sys/fs/cgroup/freezer/contain/c1";
  readonly files = new Map<string, string>();
  readonly writes: string[] = [];
  private pending: number;
  constructor(
    readonly version: "v1" | "v2",
    private readonly settleAfter: number,
  ) {
    this.pending = settleAfter;
    if (version === "v1") this.files.set("freezer.state", "THAWED\n").set("freezer.self_freezing", "0\n");
    else this.files.set("cgroup.freeze", "0\n").set("cgroup.events", "populated 1\nfrozen 0\n");
  }
  read(file: string): string | undefined {
    if (this.version === "v1" && file === "freezer.state" && this.files.get(file) === "FREEZING\n" && this.pending-- <= 0) this.files.set(file, "FROZEN\n");
    if (this.version === "v2" && file === "cgroup.events" && this.files.get("cgroup.freeze") === "1\n" && this.pending-- <= 0) this.files.set(file, "populated 1\nfrozen 1\n");
    return this.files.get(file);
  }
  write(file: string, value: string): void {
    if (!this.files.has(file)) throw new Error(`ENOENT ${file}`);
    this.writes.push(`${file}=${value}`);
    if (file === "freezer.state") {
      this.files.set("freezer.self_freezing", value === "THAWED" ? "0\n" : "1\n");
      if (value === "THAWED") this.files.set(file, "THAWED\n");
      else if (this.files.get(file) === "THAWED\n") {
        this.files.set(file, "FREEZING\n");
        this.pending = this.settleAfter;
      }
    }
    if (file === "cgroup.freeze") {
      this.files.set(file, `${value}\n`);
      this.files.set("cgroup.events", "populated 1\nfrozen 0\n");
      this.pending = this.settleAfter;
    }
  }
}

// Time passes only when slept.
function fakeClock(): Clock & { slept: number } {
  const clock = { slept: 0, now: () => clock.slept, sleep: (ms: number) => void (clock.slept += ms) };
  return clock;
}

describe("freezer", () => {
  test("v1: FROZEN once the kernel stops reading FREEZING; the state reads back", () => {
    const f = new FakeFreezer("v1", 3);
    expect(v1FreezerState(f)).toBe("thawed");
    v1Freeze(f, fakeClock());
    expect(v1FreezerState(f)).toBe("frozen");
    v1Thaw(f);
    expect(v1FreezerState(f)).toBe("thawed");
  });

  test("v1: FREEZING is the container's pause under way; FROZEN by an ancestor only is not its pause", () => {
    const f = new FakeFreezer("v1", Infinity);
    f.files.set("freezer.state", "FREEZING\n").set("freezer.self_freezing", "1\n");
    expect(v1FreezerState(f)).toBe("freezing");
    f.files.set("freezer.state", "FROZEN\n").set("freezer.self_freezing", "0\n");
    expect(v1FreezerState(f)).toBe("thawed");
    f.files.delete("freezer.self_freezing"); // an old kernel: taken at its word
    expect(v1FreezerState(f)).toBe("frozen");
  });

  test("v1: a freeze that stays FREEZING thaws now and then, and at its deadline is thawed back with an error naming the file", () => {
    const f = new FakeFreezer("v1", Infinity);
    const clock = fakeClock();
    expect(() => v1Freeze(f, clock, 500)).toThrow("/sys/fs/cgroup/freezer/contain/c1/freezer.state still reads FREEZING after 500 ms");
    expect(clock.slept).toBeGreaterThanOrEqual(500);
    expect(clock.slept).toBeLessThan(600);
    expect(f.writes.filter((w) => w === "freezer.state=THAWED").length).toBeGreaterThan(1); // the thaws between rounds
    expect(f.writes.at(-1)).toBe("freezer.state=THAWED");
    expect(v1FreezerState(f)).toBe("thawed");
  });

  test("v2: cgroup.freeze 1, then frozen 1 in cgroup.events", () => {
    const f = new FakeFreezer("v2", 4);
    const clock = fakeClock();
    v2Freeze(f, clock);
    expect(f.writes).toEqual(["cgroup.freeze=1"]);
    expect(v2FreezerState(f)).toBe("frozen");
    expect(clock.slept).toBe(1 + 2 + 4 + 8);
    v2Thaw(f);
    expect(v2FreezerState(f)).toBe("thawed");
  });

  test("v2: asked but not yet frozen reads freezing; never frozen is thawed back with an error naming cgroup.events", () => {
    const f = new FakeFreezer("v2", Infinity);
    f.files.set("cgroup.freeze", "1\n");
    expect(v2FreezerState(f)).toBe("freezing");
    f.files.set("cgroup.freeze", "0\n");
    expect(() => v2Freeze(f, fakeClock(), 200)).toThrow('/sys/fs/cgroup/freezer/contain/c1/cgroup.events does not read "frozen 1" 200 ms after 1 was written to cgroup.freeze');
    expect(f.writes).toEqual(["cgroup.freeze=1", "cgroup.freeze=0"]);
  });

  test("v2: a kernel without cgroup.freeze says so; a cgroup that is gone thaws as a no-op", () => {
    const f = new FakeFreezer("v2", 0);
    f.files.clear();
    expect(() => v2Freeze(f, fakeClock())).toThrow(/cgroup\.freeze is missing/);
    expect(v2FreezerState(f)).toBe("thawed");
    v2Thaw(f);
    v1Thaw(f);
    expect(f.writes).toEqual([]);
  });

  test("against a directory: v1 without a freezer cannot pause, but thaws and reads thawed", () => {
    const cg = new CgroupV1({ memory: `${root}/memory/contain/c4` });
    cg.create();
    expect(cg.freezerState()).toBe("thawed");
    cg.thaw();
    expect(() => cg.freeze()).toThrow(/the container has no freezer cgroup/);
  });

  test("against a directory: v1 and v2 write the kernel's words", () => {
    const v1 = new CgroupV1({ freezer: `${root}/freezer/contain/c5` });
    v1.create();
    writeFileSync(`${root}/freezer/contain/c5/freezer.state`, "THAWED\n");
    v1.freeze();
    expect(readFileSync(`${root}/freezer/contain/c5/freezer.state`, "utf8")).toBe("FROZEN");
    expect(v1.freezerState()).toBe("frozen");
    v1.thaw();
    expect(readFileSync(`${root}/freezer/contain/c5/freezer.state`, "utf8")).toBe("THAWED");
    const v2 = new CgroupV2(`${root}/contain/c6`);
    mkdirSync(`${root}/contain/c6`, { recursive: true });
    writeFileSync(`${root}/contain/c6/cgroup.freeze`, "0\n");
    writeFileSync(`${root}/contain/c6/cgroup.events`, "populated 1\nfrozen 1\n");
    v2.freeze();
    expect(readFileSync(`${root}/contain/c6/cgroup.freeze`, "utf8")).toBe("1");
    expect(v2.freezerState()).toBe("frozen");
    v2.thaw();
    expect(v2.freezerState()).toBe("thawed");
  });
});
