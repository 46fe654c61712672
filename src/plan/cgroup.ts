// Resource limits and the cgroup files that carry them, for v1 and v2. Pure:
// the cgroup module writes what these functions return.
import type { Spec } from "../spec/schema.ts";
import { formatSize, sharesToWeight } from "../spec/units.ts";

export interface Limits {
  memory?: number; // bytes
  memorySwap?: number; // bytes of memory+swap (OCI's linux.resources.memory.swap)
  cpuQuota?: number; // microseconds per period
  cpuPeriod?: number; // microseconds
  cpuShares?: number; // v1 shares, 2..262144
  pids?: number;
}

export function limitsFromSpec(spec: Spec): Limits {
  const r = spec.linux.resources;
  const limits: Limits = {};
  if (r.memory?.limit !== undefined) limits.memory = r.memory.limit;
  if (r.memory?.swap !== undefined) limits.memorySwap = r.memory.swap;
  if (r.cpu?.quota !== undefined) {
    limits.cpuQuota = r.cpu.quota;
    limits.cpuPeriod = r.cpu.period ?? 100_000;
  } else if (r.cpu?.period !== undefined) limits.cpuPeriod = r.cpu.period;
  if (r.cpu?.shares !== undefined) limits.cpuShares = r.cpu.shares;
  if (r.pids?.limit !== undefined) limits.pids = r.pids.limit;
  return limits;
}

// For the step log: "memory=64M cpu=0.5 pids=64".
export function describeLimits(limits: Limits): string {
  const parts: string[] = [];
  if (limits.memory !== undefined) parts.push(`memory=${formatSize(limits.memory)}`);
  if (limits.cpuQuota !== undefined) parts.push(`cpu=${Number((limits.cpuQuota / (limits.cpuPeriod ?? 100_000)).toFixed(3))}`);
  if (limits.cpuShares !== undefined) parts.push(`cpu-shares=${limits.cpuShares}`);
  if (limits.pids !== undefined) parts.push(`pids=${limits.pids}`);
  return parts.join(" ") || "none";
}

// A file write in a controller's directory. v2 has one directory: "unified".
export interface CgroupWrite {
  controller: string;
  file: string;
  value: string;
  optional?: boolean; // skip when the kernel lacks the file (memsw without swap accounting)
}

export function cgroupWrites(version: "v1" | "v2", limits: Limits): CgroupWrite[] {
  return version === "v2" ? v2Writes(limits) : v1Writes(limits);
}

export function v2Writes(limits: Limits): CgroupWrite[] {
  const w: CgroupWrite[] = [];
  const u = (file: string, value: string | number, optional = false) => w.push({ controller: "unified", file, value: String(value), optional });
  if (limits.memory !== undefined) {
    u("memory.max", limits.memory);
    // v2 counts swap apart from memory: OCI's swap is memory+swap.
    const swap = limits.memorySwap !== undefined ? Math.max(0, limits.memorySwap - limits.memory) : 0;
    u("memory.swap.max", swap, true);
  }
  if (limits.cpuQuota !== undefined || limits.cpuPeriod !== undefined)
    u("cpu.max", `${limits.cpuQuota ?? "max"} ${limits.cpuPeriod ?? 100_000}`);
  if (limits.cpuShares !== undefined) u("cpu.weight", sharesToWeight(limits.cpuShares));
  if (limits.pids !== undefined) u("pids.max", limits.pids);
  return w;
}

export function v1Writes(limits: Limits): CgroupWrite[] {
  const w: CgroupWrite[] = [];
  if (limits.memory !== undefined) {
    w.push({ controller: "memory", file: "memory.limit_in_bytes", value: String(limits.memory) });
    // memsw must be >= the limit, so it is written after it; absent when the
    // kernel runs without swap accounting.
    w.push({ controller: "memory", file: "memory.memsw.limit_in_bytes", value: String(limits.memorySwap ?? limits.memory), optional: true });
  }
  // Period first: the kernel checks the quota against the current period.
  if (limits.cpuPeriod !== undefined) w.push({ controller: "cpu", file: "cpu.cfs_period_us", value: String(limits.cpuPeriod) });
  if (limits.cpuQuota !== undefined) w.push({ controller: "cpu", file: "cpu.cfs_quota_us", value: String(limits.cpuQuota) });
  if (limits.cpuShares !== undefined) w.push({ controller: "cpu", file: "cpu.shares", value: String(limits.cpuShares) });
  if (limits.pids !== undefined) w.push({ controller: "pids", file: "pids.max", value: String(limits.pids) });
  return w;
}
