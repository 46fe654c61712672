// cgroup v1: one directory per controller hierarchy.
import { existsSync } from "node:fs";
import { dirname } from "node:path";
import type { Resources } from "../../plan/cgroup.ts";
import { ContainError } from "../../errors.ts";
import { kill, SIGKILL } from "../process.ts";
import type { BlockIO, Cgroup, Usage } from "./index.ts";
import { v1Freeze, v1FreezerState, v1Thaw, type FreezerState } from "./freezer.ts";
import { applyWrites, cgroupFiles, makeDir, readKeyed, readNumber, readPids, readText, removeDir, writeCgroupFile, type CgroupWrite } from "./files.ts";
import { HUGEPAGE_HINT, refuseUnusable } from "./support.ts";
import { makeV2Dir, v2Writes } from "./v2.ts";

// The controllers a container joins: limits (memory, cpu, cpuset, pids,
// hugetlb), CPU accounting (cpuacct, its own hierarchy on some machines), the
// device allowlist (devices), pause (freezer) and block I/O accounting
// (blkio, for stats; joining it costs a start nothing measurable). A process joins every one
// that is mounted (the helper, exec), so none escapes a pause, and `update`
// finds each limit's directory there. On a hybrid host whose hugetlb is in
// its cgroup2 mount, a container with hugepage limits also joins a cgroup
// there: paths.unified.
export const V1_CONTROLLERS = ["memory", "cpu", "cpuacct", "cpuset", "pids", "hugetlb", "devices", "freezer", "blkio"] as const;

type DeviceRule = NonNullable<Resources["devices"]>[number];

// devices.allow / devices.deny take "TYPE MAJOR:MINOR ACCESS"; "a" alone is
// every device (and the kernel ignores any numbers after it).
function deviceLine(r: DeviceRule): string {
  const type = r.type ?? "a";
  if (type === "a") return "a";
  const num = (n: number | null | undefined) => (n === undefined || n === null || n < 0 ? "*" : String(n));
  return `${type} ${num(r.major)}:${num(r.minor)} ${r.access ?? "rwm"}`;
}

// What the cgroup holds now, where the order of the writes depends on it.
export interface V1Now {
  memoryLimit?: number; // memory.limit_in_bytes
}

const CPUSET_HINT = "give CPUs and memory nodes the parent cgroup has (its cpuset.effective_cpus and cpuset.effective_mems)";

// The OCI resources as v1 file writes, in the order the kernel needs.
// -1 is "no limit" (OCI): v1's memory files take it as it is, pids.max as "max".
export function v1Writes(r: Resources, now: V1Now = {}): CgroupWrite[] {
  const w: CgroupWrite[] = [];
  const mem = r.memory;
  if (mem?.limit !== undefined) {
    const limit: CgroupWrite = { controller: "memory", file: "memory.limit_in_bytes", value: String(mem.limit), hint: "the kernel refuses (EBUSY) a limit below what the container uses and cannot reclaim (memory.usage_in_bytes)" };
    // memory+swap, absent when the kernel runs without swap accounting. The
    // kernel keeps it at or above the limit at every write: when it rises
    // past the current limit it goes first (runc's setMemoryAndSwap).
    const swap = mem.swap ?? mem.limit;
    const memsw: CgroupWrite = { controller: "memory", file: "memory.memsw.limit_in_bytes", value: String(swap), optional: true };
    const raised = swap === -1 || (now.memoryLimit !== undefined && now.memoryLimit < swap);
    w.push(...(raised ? [memsw, limit] : [limit, memsw]));
  }
  if (mem?.reservation !== undefined) w.push({ controller: "memory", file: "memory.soft_limit_in_bytes", value: String(mem.reservation) });
  if (mem?.swappiness !== undefined) w.push({ controller: "memory", file: "memory.swappiness", value: String(mem.swappiness) });
  if (mem?.disableOOMKiller !== undefined)
    w.push({ controller: "memory", file: "memory.oom_control", value: mem.disableOOMKiller ? "1" : "0", readBack: (t) => /^oom_kill_disable (\d)$/m.exec(t)?.[1] });
  // Period first: the kernel checks the quota against the current period.
  const period = r.cpu?.period ?? (r.cpu?.quota !== undefined ? 100_000 : undefined);
  if (period !== undefined) w.push({ controller: "cpu", file: "cpu.cfs_period_us", value: String(period) });
  if (r.cpu?.quota !== undefined) w.push({ controller: "cpu", file: "cpu.cfs_quota_us", value: String(r.cpu.quota) });
  if (r.cpu?.shares !== undefined) w.push({ controller: "cpu", file: "cpu.shares", value: String(r.cpu.shares) });
  // Empty: none given (a cpuset cgroup must keep some CPUs and nodes).
  if (r.cpu?.cpus) w.push({ controller: "cpuset", file: "cpuset.cpus", value: r.cpu.cpus, hint: CPUSET_HINT });
  if (r.cpu?.mems) w.push({ controller: "cpuset", file: "cpuset.mems", value: r.cpu.mems, hint: CPUSET_HINT });
  if (r.pids?.limit !== undefined) w.push({ controller: "pids", file: "pids.max", value: r.pids.limit === -1 ? "max" : String(r.pids.limit) });
  // The reservation limit too where the kernel has one (5.7+), as runc does:
  // it holds at mmap time, the fault limit only when a page is touched.
  for (const h of r.hugepageLimits ?? [])
    w.push(
      { controller: "hugetlb", file: `hugetlb.${h.pageSize}.limit_in_bytes`, value: String(h.limit), hint: HUGEPAGE_HINT },
      { controller: "hugetlb", file: `hugetlb.${h.pageSize}.rsvd.limit_in_bytes`, value: String(h.limit), optional: true },
    );
  if (r.devices) {
    // Deny everything first (which also clears what the cgroup inherited),
    // then each rule in order, as the OCI spec asks.
    w.push({ controller: "devices", file: "devices.deny", value: "a" });
    for (const rule of r.devices) w.push({ controller: "devices", file: rule.allow ? "devices.allow" : "devices.deny", value: deviceLine(rule) });
  }
  return w;
}

// cpuset.cpus and cpuset.mems of a new v1 cpuset cgroup are empty, and no
// task may join it so (ENOSPC): each directory made on the way down from the
// hierarchy's root takes its parent's, as runc's cpusetEnsureParent does.
// The root is the highest directory whose parent holds no cpuset.cpus.
function makeCpusetDir(dir: string): void {
  const chain: string[] = [];
  for (let d = dir; ; d = dirname(d)) {
    if (d === "/" || d === ".") throw new ContainError(`${dir} is not in a cpuset cgroup hierarchy`, "check the cgroup mounts (/proc/self/mountinfo)");
    if (existsSync(`${d}/cpuset.cpus`) && !existsSync(`${dirname(d)}/cpuset.cpus`)) break;
    chain.unshift(d);
  }
  for (const d of chain) {
    makeDir(d);
    for (const file of ["cpuset.cpus", "cpuset.mems"])
      if (!readText(`${d}/${file}`)?.trim()) writeCgroupFile(d, file, readText(`${dirname(d)}/${file}`)?.trim() ?? "");
  }
}

// blkio.throttle.io_service_bytes: "MAJ:MIN Read N" ... lines per device,
// then "Total N". Counted where the I/O reaches the device: v1 charges a
// buffered write to whoever flushes it (the kernel's writeback), not to the
// writer, so only reads and O_DIRECT writes land here. Since Linux 6.6 the
// kernel counts only on disks where blk-throttle is active (a throttle rule
// was set on the disk since boot, docker's --device-read-bps for one): no
// device line at all is no count, not zero bytes.
export function parseBlkioBytes(text: string): BlockIO | undefined {
  const io = { read: 0, write: 0 };
  let counted = false;
  for (const m of text.matchAll(/^\S+ (Read|Write) (\d+)$/gm)) {
    io[m[1] === "Read" ? "read" : "write"] += Number(m[2]);
    counted = true;
  }
  return counted ? io : undefined;
}

export class CgroupV1 implements Cgroup {
  readonly version = "v1";
  constructor(readonly paths: Readonly<Record<string, string>>) {}

  private dirs(): string[] {
    return [...new Set(Object.values(this.paths))];
  }

  create(): void {
    const cpuset = this.paths.cpuset;
    // co-mounted controllers share one directory: made once
    for (const dir of this.dirs()) {
      if (dir === cpuset) makeCpusetDir(dir);
      else if (dir === this.paths.unified) makeV2Dir(dir, ["hugetlb"]);
      else makeDir(dir);
    }
  }

  apply(resources: Resources): void {
    const v2Hugetlb = !this.paths.hugetlb && this.paths.unified !== undefined;
    refuseUnusable(resources, "v1", [...Object.keys(this.paths), ...(v2Hugetlb ? ["hugetlb"] : [])]);
    const mem = this.paths.memory;
    const now = { memoryLimit: mem ? readNumber(`${mem}/memory.limit_in_bytes`) : undefined };
    // cgroup2's hugetlb files are named as v2 names them (hugetlb.2MB.max).
    const writes = v2Hugetlb ? [...v1Writes({ ...resources, hugepageLimits: undefined }, now), ...v2Writes({ hugepageLimits: resources.hugepageLimits })] : v1Writes(resources, now);
    applyWrites((c) => this.paths[c], writes);
  }

  usage(): Usage {
    const mem = this.paths.memory;
    const acct = this.paths.cpuacct ?? this.paths.cpu;
    const cpu = this.paths.cpu;
    const pids = this.paths.pids;
    const blkio = this.paths.blkio ? readText(`${this.paths.blkio}/blkio.throttle.io_service_bytes`) : undefined;
    const ns = acct ? readNumber(`${acct}/cpuacct.usage`) : undefined;
    const percpu = acct ? readText(`${acct}/cpuacct.usage_percpu`)?.trim().split(/\s+/).filter(Boolean).map(Number) : undefined;
    const stat = (key: string) => (cpu ? readKeyed(`${cpu}/cpu.stat`, key) : undefined);
    // An unlimited memory.limit_in_bytes holds 9223372036854771712: reported as it is, as runc does.
    return {
      memoryPeak: mem ? readNumber(`${mem}/memory.max_usage_in_bytes`) : undefined,
      memoryCurrent: mem ? readNumber(`${mem}/memory.usage_in_bytes`) : undefined,
      memoryLimit: mem ? readNumber(`${mem}/memory.limit_in_bytes`) : undefined,
      memoryFailcnt: mem ? readNumber(`${mem}/memory.failcnt`) : undefined,
      cpuUsec: ns === undefined ? undefined : Math.round(ns / 1000),
      cpu:
        ns === undefined
          ? undefined
          : {
              totalNs: ns,
              userNs: acct ? readNumber(`${acct}/cpuacct.usage_user`) : undefined,
              kernelNs: acct ? readNumber(`${acct}/cpuacct.usage_sys`) : undefined,
              percpuNs: percpu?.length ? percpu : undefined,
              periods: stat("nr_periods"),
              throttledPeriods: stat("nr_throttled"),
              throttledNs: stat("throttled_time"),
            },
      pidsPeak: pids ? readNumber(`${pids}/pids.peak`) : undefined,
      pidsCurrent: pids ? readNumber(`${pids}/pids.current`) : undefined,
      pidsLimit: pids ? readNumber(`${pids}/pids.max`) : undefined,
      oomKills: this.oomKills(),
      blockIO: blkio === undefined ? undefined : parseBlkioBytes(blkio),
    };
  }

  oomKills(): number {
    const mem = this.paths.memory;
    return (mem ? readKeyed(`${mem}/memory.oom_control`, "oom_kill") : undefined) ?? 0;
  }

  pids(): number[] {
    return [...new Set(this.dirs().flatMap((d) => readPids(`${d}/cgroup.procs`)))];
  }

  freeze(): void {
    const dir = this.paths.freezer;
    if (!dir)
      throw new ContainError(
        "the container has no freezer cgroup",
        "the freezer hierarchy is not mounted on this machine (/sys/fs/cgroup/freezer), or the container was started by a contain that did not join it: restart it",
      );
    v1Freeze(cgroupFiles(dir));
  }

  thaw(): void {
    if (this.paths.freezer) v1Thaw(cgroupFiles(this.paths.freezer));
  }

  freezerState(): FreezerState {
    return this.paths.freezer ? v1FreezerState(cgroupFiles(this.paths.freezer)) : "thawed";
  }

  killAll(signal: number): void {
    for (const pid of this.pids()) kill(pid, signal);
    // A frozen task dies only once thawed: sent first, so nothing runs on.
    if (signal === SIGKILL) this.thaw();
  }

  destroy(): void {
    for (const dir of this.dirs()) removeDir(dir, () => this.killAll(9));
  }
}
