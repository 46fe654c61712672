// linux.resources beyond memory, cpu and pids: what config.json may say
// (cpu.cpus/mems, unified, hugepageLimits, the memory controller's knobs),
// the files each becomes on v1 and v2, and what is refused where.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { refuseUnusable } from "../../src/linux/cgroups/support.ts";
import { eventLine, runcStats } from "../../src/cli/events.ts";
import { CgroupV1, v1Writes } from "../../src/linux/cgroups/v1.ts";
import { CgroupV2, v2Ignored, v2Writes } from "../../src/linux/cgroups/v2.ts";
import { describeLimits } from "../../src/plan/cgroup.ts";
import { mergeResources } from "../../src/runtime/update.ts";
import { fieldStatus, specFromConfig } from "../../src/spec/oci.ts";
import { refusal } from "./fixtures.ts";

const host = { cpus: 2 };
const sample = () => JSON.parse(readFileSync(`${import.meta.dir}/oci-samples/ctr-memory-limit.json`, "utf8"));
const withResources = (r: Record<string, unknown>) => {
  const c = sample();
  Object.assign(c.linux.resources, r);
  return c;
};
const parse = (r: Record<string, unknown>) => specFromConfig(withResources(r), "/b", host).linux.resources;
const refused = (r: Record<string, unknown>) => refusal(() => parse(r)).message;
// The writes without their hints: file, value, and where they go.
const files = (w: { controller: string; file: string; value: string }[]) => w.map((x) => `${x.controller === "unified" ? "" : `${x.controller}/`}${x.file}=${x.value}`);

describe("config.json", () => {
  test("the new fields are implemented, and read", () => {
    for (const f of ["cpu.cpus", "cpu.mems", "unified", "hugepageLimits.pageSize", "hugepageLimits.limit", "memory.reservation", "memory.swappiness", "memory.disableOOMKiller"])
      expect({ f, status: fieldStatus(`linux.resources.${f}`) }).toEqual({ f, status: "implemented" });
    expect(fieldStatus("linux.resources.cpu.idle")).toBe("not yet");
    const r = parse({
      cpu: { cpus: "0-1,3", mems: "0" },
      memory: { limit: 16 << 20, reservation: 8 << 20, swappiness: 0, disableOOMKiller: true },
      hugepageLimits: [{ pageSize: "2MB", limit: 4 << 20 }],
      unified: { "memory.high": "max", "io.max": "8:0 rbps=1024" },
    });
    expect(r.cpu).toEqual({ cpus: "0-1,3", mems: "0" });
    expect(r.memory).toEqual({ limit: 16 << 20, reservation: 8 << 20, swappiness: 0, disableOOMKiller: true });
    expect(r.unified).toEqual({ "memory.high": "max", "io.max": "8:0 rbps=1024" });
    // -1 is "no limit" (config-linux.md)
    expect(parse({ memory: { limit: -1, swap: -1 }, pids: { limit: -1 }, cpu: { quota: -1 } })).toMatchObject({ memory: { limit: -1, swap: -1 }, pids: { limit: -1 }, cpu: { quota: -1 } });
  });

  test("bad values are refused with their JSON path", () => {
    expect(refused({ cpu: { cpus: "0-a" } })).toBe('linux.resources.cpu.cpus: "0-a" is not a list such as "0-3,7"');
    expect(refused({ memory: { swappiness: 101 } })).toBe("linux.resources.memory.swappiness: must be 0 to 100");
    expect(refused({ memory: { limit: -2 } })).toBe("linux.resources.memory.limit: -2 is not a limit (-1 for none)");
    expect(refused({ hugepageLimits: [{ pageSize: "2M", limit: 1 }] })).toBe('linux.resources.hugepageLimits[0].pageSize: "2M" is not a page size such as "2MB" or "1GB"');
    // unified names files of the container's own cgroup directory, no other
    for (const name of ["../cgroup.procs", "a/b", "..", ".", ""])
      expect(refused({ unified: { [name]: "1" } })).toBe(`linux.resources.unified[${JSON.stringify(name)}]: ${JSON.stringify(name)} is not a file name of the cgroup's directory (no "/", no "..")`);
    expect(refused({ unified: { "memory.high": 1 } })).toStartWith('linux.resources.unified["memory.high"]: ');
  });
});

describe("the files", () => {
  test("v1: cpuset, the memory controller's knobs, hugetlb with its reservation file, -1", () => {
    const w = v1Writes({
      memory: { limit: 32 << 20, reservation: 16 << 20, swappiness: 10, disableOOMKiller: true },
      cpu: { cpus: "0", mems: "0" },
      pids: { limit: -1 },
      hugepageLimits: [{ pageSize: "2MB", limit: 2 << 20 }],
    });
    expect(files(w)).toEqual([
      "memory/memory.limit_in_bytes=33554432",
      "memory/memory.memsw.limit_in_bytes=33554432",
      "memory/memory.soft_limit_in_bytes=16777216",
      "memory/memory.swappiness=10",
      "memory/memory.oom_control=1",
      "cpuset/cpuset.cpus=0",
      "cpuset/cpuset.mems=0",
      "pids/pids.max=max",
      "hugetlb/hugetlb.2MB.limit_in_bytes=2097152",
      "hugetlb/hugetlb.2MB.rsvd.limit_in_bytes=2097152",
    ]);
    expect(w.find((x) => x.file.endsWith(".rsvd.limit_in_bytes"))?.optional).toBe(true);
    // no cpus given: nothing written (a cpuset cgroup must keep some)
    expect(v1Writes({ cpu: { cpus: "", shares: 2 } }).map((x) => x.file)).toEqual(["cpu.shares"]);
  });

  test("v1: memsw stays at or above the limit at every write: it goes first when it rises past the current limit", () => {
    const order = (memory: { limit: number; swap?: number }, memoryLimit?: number) => v1Writes({ memory }, { memoryLimit }).map((x) => x.file.split(".")[1]);
    expect(order({ limit: 64 << 20 }, 9223372036854771712)).toEqual(["limit_in_bytes", "memsw"]); // a new cgroup: unlimited
    expect(order({ limit: 128 << 20 }, 64 << 20)).toEqual(["memsw", "limit_in_bytes"]); // raised
    expect(order({ limit: 32 << 20 }, 64 << 20)).toEqual(["limit_in_bytes", "memsw"]); // lowered
    expect(order({ limit: 64 << 20, swap: -1 }, 64 << 20)).toEqual(["memsw", "limit_in_bytes"]);
    expect(order({ limit: -1 }, 64 << 20)).toEqual(["memsw", "limit_in_bytes"]);
    expect(files(v1Writes({ memory: { limit: -1 } }))).toEqual(["memory/memory.memsw.limit_in_bytes=-1", "memory/memory.limit_in_bytes=-1"]);
  });

  test("v2: reservation is memory.low, cpuset, hugetlb, -1 is max; unified last, one write per line", () => {
    const w = v2Writes({
      memory: { limit: 32 << 20, swap: -1, reservation: 16 << 20, swappiness: 10, disableOOMKiller: true },
      cpu: { cpus: "0-1", mems: "0", quota: -1, period: 50000 },
      pids: { limit: -1 },
      hugepageLimits: [{ pageSize: "1GB", limit: 1 << 30 }],
      unified: { "memory.high": "max", "io.max": "8:0 rbps=1024\n8:16 wiops=120\n" },
    });
    expect(files(w)).toEqual([
      "memory.max=33554432",
      "memory.swap.max=max",
      "memory.low=16777216",
      "cpu.max=max 50000",
      "cpuset.cpus=0-1",
      "cpuset.mems=0",
      "pids.max=max",
      "hugetlb.1GB.max=1073741824",
      "hugetlb.1GB.rsvd.max=1073741824",
      "memory.high=max",
      "io.max=8:0 rbps=1024",
      "io.max=8:16 wiops=120",
    ]);
    expect(files(v2Writes({ memory: { limit: -1 } }))).toEqual(["memory.max=max", "memory.swap.max=max"]);
    // What v2 has no file for is ignored, with a line saying so.
    expect(v2Ignored({ memory: { swappiness: 10, disableOOMKiller: true } })).toEqual([
      "linux.resources.memory.swappiness: ignored, cgroup v2 has no swappiness of a cgroup's own",
      "linux.resources.memory.disableOOMKiller: ignored, cgroup v2 cannot turn off the OOM killer of a cgroup",
    ]);
    expect(v2Ignored({ memory: { disableOOMKiller: false } })).toEqual([]);
  });

  test("the step log names them", () => {
    expect(describeLimits({ memory: { limit: -1, reservation: 1 << 20 }, cpu: { cpus: "0" }, pids: { limit: -1 }, hugepageLimits: [{ pageSize: "2MB", limit: 4 << 20 }], unified: { "memory.high": "max" } })).toBe(
      'memory=none memory-reservation=1M cpuset-cpus=0 pids=none hugetlb-2MB=4M memory.high="max"',
    );
  });
});

describe("what a container's cgroups cannot take is refused by name", () => {
  const v1 = ["memory", "cpu", "cpuacct", "cpuset", "pids", "devices", "freezer"];
  test("unified on v1, as runc refuses it", () => {
    expect(refusal(() => refuseUnusable({ unified: { "memory.high": "1" } }, "v1", v1)).message).toBe(
      "linux.resources.unified: cannot be used on cgroup v1: it holds cgroup v2 files, and this container's controllers are v1 hierarchies",
    );
    expect(() => refuseUnusable({ unified: {} }, "v1", v1)).not.toThrow();
    expect(() => refuseUnusable({ unified: { "memory.high": "1" } }, "v2", ["memory"])).not.toThrow();
  });

  test("hugepageLimits without a hugetlb controller of the container's: a hybrid host's lives in cgroup2, apart", () => {
    const r = { hugepageLimits: [{ pageSize: "2MB", limit: 2 << 20 }] };
    expect(refusal(() => refuseUnusable(r, "v1", v1)).message).toStartWith("linux.resources.hugepageLimits: the hugetlb controller is not usable for the container's cgroups: no v1 hugetlb hierarchy is mounted");
    expect(() => refuseUnusable(r, "v1", [...v1, "hugetlb"])).not.toThrow();
    expect(refusal(() => refuseUnusable(r, "v2", ["cpu", "memory", "pids"])).message).toBe(
      "linux.resources.hugepageLimits: the hugetlb controller is not available in the container's cgroup v2 (cgroup.controllers)",
    );
    expect(() => refuseUnusable(r, "v2", ["memory", "hugetlb"])).not.toThrow();
    // `update` names the field as its file has it
    expect(refusal(() => refuseUnusable({ cpu: { cpus: "0" } }, "v2", ["cpu"], "")).field).toBe("cpu.cpus");
  });

  test("v2 ignores swappiness and the OOM killer switch, so needs no memory controller for them", () => {
    expect(() => refuseUnusable({ memory: { swappiness: 1 } }, "v2", [])).not.toThrow();
    expect(refusal(() => refuseUnusable({ memory: { swappiness: 1 } }, "v1", ["cpu"])).field).toBe("linux.resources.memory");
  });
});

describe("update", () => {
  test("a change replaces what it gives, keeps the rest: quota or period alone, page sizes and unified files one by one", () => {
    const now = {
      memory: { limit: 64 << 20, swap: 128 << 20, reservation: 1 << 20 },
      cpu: { quota: 50000, period: 100000, shares: 512 },
      pids: { limit: 10 },
      hugepageLimits: [{ pageSize: "2MB", limit: 1 }, { pageSize: "1GB", limit: 2 }],
      unified: { "memory.high": "max", "io.weight": "100" },
      devices: [{ allow: false, access: "rwm" }],
    };
    expect(mergeResources(now, { cpu: { quota: 20000 }, hugepageLimits: [{ pageSize: "1GB", limit: 3 }], unified: { "memory.high": "1" } })).toEqual({
      ...now,
      cpu: { quota: 20000, period: 100000, shares: 512 },
      hugepageLimits: [{ pageSize: "2MB", limit: 1 }, { pageSize: "1GB", limit: 3 }],
      unified: { "memory.high": "1", "io.weight": "100" },
    });
    expect(mergeResources(now, { memory: { limit: 32 << 20 }, pids: { limit: -1 } })).toEqual({ ...now, memory: { limit: 32 << 20, swap: 128 << 20, reservation: 1 << 20 }, pids: { limit: -1 } });
  });

  test('a memory limit alone keeps "no swap": swap follows the limit where it equalled it', () => {
    expect(mergeResources({ memory: { limit: 16 << 20, swap: 16 << 20 } }, { memory: { limit: 64 << 20 } }).memory).toEqual({ limit: 64 << 20, swap: 64 << 20 });
    expect(mergeResources({ memory: { limit: 16 << 20, swap: 16 << 20 } }, { memory: { limit: 64 << 20, swap: -1 } }).memory).toEqual({ limit: 64 << 20, swap: -1 });
    expect(mergeResources({}, { memory: { limit: 64 << 20 } }).memory).toEqual({ limit: 64 << 20 });
  });
});

describe("events", () => {
  test("stats in runc's shape: nanoseconds, bytes; Go's omitempty where runc has it", () => {
    const data = runcStats({
      cpu: { totalNs: 5000, userNs: 3000, kernelNs: 2000, percpuNs: [4000, 1000], periods: 10, throttledPeriods: 0, throttledNs: 0 },
      memoryCurrent: 4096,
      memoryPeak: 8192,
      memoryLimit: 1 << 20,
      memoryFailcnt: 0,
      pidsCurrent: 2,
      pidsLimit: undefined,
      oomKills: 0,
    });
    expect(data).toEqual({
      cpu: { usage: { total: 5000, percpu: [4000, 1000], kernel: 2000, user: 3000 }, throttling: { periods: 10 } },
      memory: { usage: { limit: 1 << 20, usage: 4096, max: 8192, failcnt: 0 } },
      pids: { current: 2 },
    });
    // no memory controller, no cpu accounting: empty, as runc's zero values
    expect(runcStats({ oomKills: 0 })).toEqual({ cpu: {}, memory: {}, pids: {} });
  });

  test("a line each; integers past 2^53 digit for digit: v1's unlimited limit, and v2's max as Go's MaxUint64", () => {
    const v1 = eventLine({ type: "stats", id: "x", data: runcStats({ memoryCurrent: 1, memoryLimit: 9223372036854771712, oomKills: 0 }) });
    expect(v1).toBe('{"type":"stats","id":"x","data":{"cpu":{},"memory":{"usage":{"limit":9223372036854771712,"usage":1,"failcnt":0}},"pids":{}}}\n');
    expect(eventLine({ type: "stats", id: "x", data: runcStats({ memoryCurrent: 1, oomKills: 0 }) })).toContain('"limit":18446744073709551615');
    expect(eventLine({ type: "oom", id: "x" })).toBe('{"type":"oom","id":"x"}\n');
  });
});

let root: string;
beforeEach(() => {
  root = mkdtempSync("/tmp/contain-restest-");
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe("against a directory standing in for /sys/fs/cgroup", () => {
  test("v1: a cpuset directory and its new parents take their parent's cpus and mems, top down; one that has its own keeps them", () => {
    mkdirSync(`${root}/cpuset`);
    writeFileSync(`${root}/cpuset/cpuset.cpus`, "0-1\n");
    writeFileSync(`${root}/cpuset/cpuset.mems`, "0\n");
    // A fresh v1 cpuset cgroup's files are empty: the kernel makes them so.
    const paths = { cpuset: `${root}/cpuset/contain/c1`, memory: `${root}/memory/contain/c1` };
    const cg = new CgroupV1(paths);
    cg.create();
    for (const dir of [`${root}/cpuset/contain`, paths.cpuset]) {
      expect(readFileSync(`${dir}/cpuset.cpus`, "utf8")).toBe("0-1");
      expect(readFileSync(`${dir}/cpuset.mems`, "utf8")).toBe("0");
    }
    expect(existsSync(paths.memory)).toBe(true);
    writeFileSync(`${root}/cpuset/contain/cpuset.cpus`, "1");
    const second = new CgroupV1({ cpuset: `${root}/cpuset/contain/c2` });
    second.create();
    expect(readFileSync(`${root}/cpuset/contain/c2/cpuset.cpus`, "utf8")).toBe("1");
    cg.apply({ cpu: { cpus: "0" } });
    expect(readFileSync(`${paths.cpuset}/cpuset.cpus`, "utf8")).toBe("0");
  });

  test("v1: the limit's current value orders the memory writes; the new usage fields read", () => {
    const paths = { memory: `${root}/memory/c`, cpu: `${root}/cpu/c`, cpuacct: `${root}/cpuacct/c`, pids: `${root}/pids/c` };
    const cg = new CgroupV1(paths);
    cg.create();
    writeFileSync(`${paths.memory}/memory.limit_in_bytes`, String(64 << 20));
    writeFileSync(`${paths.memory}/memory.memsw.limit_in_bytes`, String(64 << 20));
    cg.apply({ memory: { limit: 128 << 20 } });
    expect(readFileSync(`${paths.memory}/memory.limit_in_bytes`, "utf8")).toBe(String(128 << 20));
    writeFileSync(`${paths.memory}/memory.usage_in_bytes`, "4096\n");
    writeFileSync(`${paths.memory}/memory.failcnt`, "3\n");
    writeFileSync(`${paths.cpuacct}/cpuacct.usage`, "5000\n");
    writeFileSync(`${paths.cpuacct}/cpuacct.usage_user`, "3000\n");
    writeFileSync(`${paths.cpuacct}/cpuacct.usage_sys`, "2000\n");
    writeFileSync(`${paths.cpuacct}/cpuacct.usage_percpu`, "4000 1000 \n");
    writeFileSync(`${paths.cpu}/cpu.stat`, "nr_periods 10\nnr_throttled 2\nthrottled_time 700\n");
    writeFileSync(`${paths.pids}/pids.max`, "max\n");
    writeFileSync(`${paths.pids}/pids.current`, "1\n");
    expect(cg.usage()).toMatchObject({
      memoryCurrent: 4096,
      memoryLimit: 128 << 20,
      memoryFailcnt: 3,
      cpu: { totalNs: 5000, userNs: 3000, kernelNs: 2000, percpuNs: [4000, 1000], periods: 10, throttledPeriods: 2, throttledNs: 700 },
      pidsCurrent: 1,
      pidsLimit: undefined,
    });
  });

  test("v2: a unified file the cgroup lacks is named as written, with its controller when that is missing", () => {
    writeFileSync(`${root}/cgroup.controllers`, "cpu memory pids");
    const cg = new CgroupV2(`${root}/contain/c1`);
    cg.create();
    writeFileSync(`${root}/contain/c1/cgroup.controllers`, "cpu memory pids");
    writeFileSync(`${root}/contain/c1/memory.high`, "max");
    const notes: string[] = [];
    cg.apply({ unified: { "memory.high": "33554432" }, memory: { swappiness: 5 } }, (line) => notes.push(line));
    expect(readFileSync(`${root}/contain/c1/memory.high`, "utf8")).toBe("33554432");
    expect(notes).toEqual(["linux.resources.memory.swappiness: ignored, cgroup v2 has no swappiness of a cgroup's own"]);
    expect(refusal(() => cg.apply({ unified: { "io.max": "8:0 rbps=1" } })).message).toBe(`linux.resources.unified["io.max"]: the io controller is not available in the container's cgroup`);
    expect(refusal(() => cg.apply({ unified: { "memory.nothere": "1" } })).message).toBe(`linux.resources.unified["memory.nothere"]: ${root}/contain/c1 has no such file`);
    expect(existsSync(`${root}/contain/c1/memory.nothere`)).toBe(false);
  });

  test("a write the kernel refuses leaves the cgroup as it was: what it took goes back, last first", () => {
    const paths = { memory: `${root}/memory/c`, cpuset: `${root}/cpuset/c` };
    mkdirSync(paths.memory, { recursive: true });
    writeFileSync(`${paths.memory}/memory.limit_in_bytes`, `${64 << 20}\n`);
    writeFileSync(`${paths.memory}/memory.oom_control`, "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n");
    // cpuset.cpus a directory: the write fails as the kernel's EINVAL would
    mkdirSync(`${paths.cpuset}/cpuset.cpus`, { recursive: true });
    const cg = new CgroupV1(paths);
    expect(() => cg.apply({ memory: { limit: 128 << 20, disableOOMKiller: true }, cpu: { cpus: "0" } })).toThrow(/cannot write 0 to .*cpuset\.cpus: EISDIR/);
    expect(readFileSync(`${paths.memory}/memory.limit_in_bytes`, "utf8")).toBe(String(64 << 20));
    expect(readFileSync(`${paths.memory}/memory.oom_control`, "utf8")).toBe("0");
  });

  test("v2: the new usage fields read; max is no limit", () => {
    const cg = new CgroupV2(`${root}/c`);
    mkdirSync(`${root}/c`);
    writeFileSync(`${root}/c/memory.current`, "8192\n");
    writeFileSync(`${root}/c/memory.max`, "max\n");
    writeFileSync(`${root}/c/memory.events`, "low 0\nhigh 0\nmax 7\noom 1\noom_kill 1\n");
    writeFileSync(`${root}/c/cpu.stat`, "usage_usec 30\nuser_usec 20\nsystem_usec 10\nnr_periods 4\nnr_throttled 1\nthrottled_usec 5\n");
    writeFileSync(`${root}/c/pids.max`, "16\n");
    expect(cg.usage()).toMatchObject({
      memoryCurrent: 8192,
      memoryLimit: undefined,
      memoryFailcnt: 7,
      cpu: { totalNs: 30000, userNs: 20000, kernelNs: 10000, periods: 4, throttledPeriods: 1, throttledNs: 5000 },
      pidsLimit: 16,
      oomKills: 1,
    });
  });
});
