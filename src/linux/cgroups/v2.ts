// cgroup v2: one directory in the unified hierarchy, under a `contain` parent;
// the device allowlist is an eBPF program attached to it (device-filter.ts).
import { existsSync } from "node:fs";
import { dirname } from "node:path";
import { ContainError, SpecError } from "../../errors.ts";
import type { Resources } from "../../plan/cgroup.ts";
import { attachDeviceFilter, loadDeviceFilter } from "../bpf.ts";
import { close, kill } from "../process.ts";
import { deviceFilter } from "./device-filter.ts";
import type { BlockIO, Cgroup, Usage } from "./index.ts";
import { v2Freeze, v2FreezerState, v2Thaw, type FreezerState } from "./freezer.ts";
import { applyWrites, cgroupFiles, makeDir, readKeyed, readNumber, readPids, readText, removeDir, writeCgroupFile, type CgroupWrite } from "./files.ts";
import { HUGEPAGE_HINT, refuseUnusable } from "./support.ts";

// The controllers a container's cgroup gets, where the machine has them:
// every one a limit of linux.resources may need, so `update` finds them too,
// and io for the block I/O that stats shows.
const WANTED = ["cpuset", "cpu", "memory", "pids", "hugetlb", "io"];

// io.stat: "MAJ:MIN rbytes=N wbytes=N rios=N ..." a line per device.
export function parseIoStat(text: string): BlockIO {
  const io = { read: 0, write: 0 };
  for (const m of text.matchAll(/\b([rw])bytes=(\d+)/g)) io[m[1] === "r" ? "read" : "write"] += Number(m[2]);
  return io;
}

// Makes `dir` in a cgroup2 mount with the `wanted` controllers the machine
// has. Controllers reach a cgroup only when every ancestor lists them in
// cgroup.subtree_control: each directory from the mount's root down to the
// parent enables them, made first if missing (an OCI cgroupsPath may be
// deep: Kubernetes' /kubepods/burstable/pod<uid>/<id>). The root is exempt
// from the "no processes in inner cgroups" rule; the parents made hold none.
export function makeV2Dir(dir: string, wanted: readonly string[]): void {
  let root = dirname(dir);
  while (!existsSync(root) || existsSync(`${dirname(root)}/cgroup.controllers`)) {
    if (root === "/") break;
    root = dirname(root);
  }
  if (!existsSync(`${root}/cgroup.controllers`)) throw new ContainError(`${dir} is not in a cgroup2 mount`, "check the cgroup mounts (/proc/self/mountinfo)");
  // What the root has, each level has once the one above enables it.
  const available = (readText(`${root}/cgroup.controllers`) ?? "").split(/\s+/);
  const chain = [root];
  for (const part of dirname(dir).slice(root.length).split("/").filter(Boolean)) chain.push(`${chain.at(-1)}/${part}`);
  for (const d of chain) {
    makeDir(d);
    const on = (readText(`${d}/cgroup.subtree_control`) ?? "").split(/\s+/);
    const enable = wanted.filter((c) => available.includes(c) && !on.includes(c));
    if (enable.length) writeCgroupFile(d, "cgroup.subtree_control", enable.map((c) => `+${c}`).join(" "));
  }
  makeDir(dir);
}

// cgroup v1 cpu.shares (2..262144, default 1024) to v2 cpu.weight (1..10000,
// default 100), the conversion runc and crun use.
export function sharesToWeight(shares: number): number {
  return Math.floor(1 + ((shares - 2) * 9999) / 262142);
}

// OCI's -1 ("no limit") is v2's "max".
const max = (n: number) => (n === -1 ? "max" : String(n));

// The OCI resources as v2 file writes (all in the one directory).
export function v2Writes(r: Resources): CgroupWrite[] {
  const w: CgroupWrite[] = [];
  const u = (file: string, value: string | number, optional = false, hint?: string) => w.push({ controller: "unified", file, value: String(value), optional, ...(hint && { hint }) });
  const memory = r.memory?.limit;
  if (memory !== undefined) {
    u("memory.max", max(memory));
    // v2 counts swap apart from memory: OCI's swap is memory+swap.
    const swap = r.memory?.swap;
    u("memory.swap.max", swap === -1 || memory === -1 ? "max" : Math.max(0, (swap ?? memory) - memory), true);
  }
  // The soft limit: v2's memory.low, as runc maps it.
  if (r.memory?.reservation !== undefined) u("memory.low", max(r.memory.reservation));
  if (r.cpu?.quota !== undefined || r.cpu?.period !== undefined) u("cpu.max", `${r.cpu.quota === undefined ? "max" : max(r.cpu.quota)} ${r.cpu.period ?? 100_000}`);
  if (r.cpu?.shares !== undefined) u("cpu.weight", sharesToWeight(r.cpu.shares));
  const hint = "give CPUs and memory nodes the parent cgroup has (its cpuset.cpus.effective and cpuset.mems.effective)";
  if (r.cpu?.cpus) u("cpuset.cpus", r.cpu.cpus, false, hint);
  if (r.cpu?.mems) u("cpuset.mems", r.cpu.mems, false, hint);
  if (r.pids?.limit !== undefined) u("pids.max", max(r.pids.limit));
  for (const h of r.hugepageLimits ?? []) {
    u(`hugetlb.${h.pageSize}.max`, h.limit, false, HUGEPAGE_HINT);
    u(`hugetlb.${h.pageSize}.rsvd.max`, h.limit, true);
  }
  // Last, so they have the last word (runc's order); the kernel reads one
  // entry per write (io.max takes "MAJ:MIN ..." lines one by one).
  for (const [file, value] of Object.entries(r.unified ?? {}))
    for (const line of value.includes("\n") ? value.split("\n").filter(Boolean) : [value]) u(file, line);
  return w;
}

// What cgroup v2 has no file for, ignored as runc ignores it.
export function v2Ignored(r: Resources): string[] {
  const ignored: string[] = [];
  if (r.memory?.swappiness !== undefined) ignored.push("linux.resources.memory.swappiness: ignored, cgroup v2 has no swappiness of a cgroup's own");
  if (r.memory?.disableOOMKiller) ignored.push("linux.resources.memory.disableOOMKiller: ignored, cgroup v2 cannot turn off the OOM killer of a cgroup");
  return ignored;
}

export class CgroupV2 implements Cgroup {
  readonly version = "v2";
  readonly paths: Readonly<Record<string, string>>;
  constructor(readonly dir: string) {
    this.paths = { unified: dir };
  }

  create(): void {
    makeV2Dir(this.dir, WANTED);
  }

  apply(resources: Resources, note?: (line: string) => void): void {
    const controllers = (readText(`${this.dir}/cgroup.controllers`) ?? "").split(/\s+/).filter(Boolean);
    refuseUnusable(resources, "v2", controllers);
    // A file the cgroup lacks is named as the user wrote it (open would say EACCES).
    for (const file of Object.keys(resources.unified ?? {})) {
      if (existsSync(`${this.dir}/${file}`)) continue;
      const controller = file.split(".")[0] ?? "";
      const why = controller !== "cgroup" && !controllers.includes(controller) ? `the ${controller} controller is not available in the container's cgroup` : `${this.dir} has no such file`;
      throw new SpecError(`linux.resources.unified[${JSON.stringify(file)}]`, why, "give a file of the cgroup v2 interface (Documentation/admin-guide/cgroup-v2.rst) whose controller this machine has");
    }
    for (const line of v2Ignored(resources)) note?.(line);
    applyWrites((c) => (c === "unified" ? this.dir : undefined), v2Writes(resources));
    if (!resources.devices) return;
    // The cgroup holds the program once attached: our fd can go.
    const prog = loadDeviceFilter(deviceFilter(resources.devices));
    try {
      attachDeviceFilter(this.dir, prog);
    } finally {
      close(prog);
    }
  }

  usage(): Usage {
    const stat = (key: string) => readKeyed(`${this.dir}/cpu.stat`, key);
    const us = (key: string) => {
      const n = stat(key);
      return n === undefined ? undefined : n * 1000;
    };
    const usec = stat("usage_usec");
    const io = readText(`${this.dir}/io.stat`);
    return {
      memoryPeak: readNumber(`${this.dir}/memory.peak`),
      memoryCurrent: readNumber(`${this.dir}/memory.current`),
      memoryLimit: readNumber(`${this.dir}/memory.max`),
      memoryFailcnt: readKeyed(`${this.dir}/memory.events`, "max"),
      cpuUsec: usec,
      cpu:
        usec === undefined
          ? undefined
          : { totalNs: usec * 1000, userNs: us("user_usec"), kernelNs: us("system_usec"), periods: stat("nr_periods"), throttledPeriods: stat("nr_throttled"), throttledNs: us("throttled_usec") },
      pidsPeak: readNumber(`${this.dir}/pids.peak`),
      pidsCurrent: readNumber(`${this.dir}/pids.current`),
      pidsLimit: readNumber(`${this.dir}/pids.max`),
      oomKills: this.oomKills(),
      blockIO: io === undefined ? undefined : parseIoStat(io),
    };
  }

  oomKills(): number {
    return readKeyed(`${this.dir}/memory.events`, "oom_kill") ?? 0;
  }

  pids(): number[] {
    return readPids(`${this.dir}/cgroup.procs`);
  }

  freeze(): void {
    v2Freeze(cgroupFiles(this.dir));
  }

  thaw(): void {
    v2Thaw(cgroupFiles(this.dir));
  }

  freezerState(): FreezerState {
    return v2FreezerState(cgroupFiles(this.dir));
  }

  // cgroup.kill and SIGKILL reach frozen tasks on v2.
  killAll(signal: number): void {
    // cgroup.kill (5.14+) kills every task at once, forks included.
    if (signal === 9 && existsSync(`${this.dir}/cgroup.kill`)) writeCgroupFile(this.dir, "cgroup.kill", "1");
    else for (const pid of this.pids()) kill(pid, signal);
  }

  destroy(): void {
    removeDir(this.dir, () => this.killAll(9));
  }
}
