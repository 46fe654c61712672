// The container's resources (OCI linux.resources) as the step log names them.
// Pure: the per-version mapping to cgroup files lives in linux/cgroups/v1.ts
// and v2.ts.
import type { Spec } from "../spec/schema.ts";
import { formatSize } from "../spec/units.ts";

export type Resources = Spec["linux"]["resources"];

// The memory limit, if there is one (-1 is none).
export function memoryLimitOf(r: Resources | undefined): number | undefined {
  const limit = r?.memory?.limit;
  return limit === undefined || limit < 0 ? undefined : limit;
}

// For the step log: "memory=64M cpu=0.5 pids=64" (-1, no limit: "none").
export function describeLimits(r: Resources): string {
  const size = (n: number) => (n < 0 ? "none" : formatSize(n));
  const parts: string[] = [];
  const m = r.memory;
  if (m?.limit !== undefined) parts.push(`memory=${size(m.limit)}`);
  if (m?.reservation !== undefined) parts.push(`memory-reservation=${size(m.reservation)}`);
  if (m?.swappiness !== undefined) parts.push(`swappiness=${m.swappiness}`);
  if (m?.disableOOMKiller) parts.push("oom-kill-disable");
  if (r.cpu?.quota !== undefined) parts.push(`cpu=${r.cpu.quota < 0 ? "none" : Number((r.cpu.quota / (r.cpu.period ?? 100_000)).toFixed(3))}`);
  if (r.cpu?.shares !== undefined) parts.push(`cpu-shares=${r.cpu.shares}`);
  if (r.cpu?.cpus) parts.push(`cpuset-cpus=${r.cpu.cpus}`);
  if (r.cpu?.mems) parts.push(`cpuset-mems=${r.cpu.mems}`);
  if (r.pids?.limit !== undefined) parts.push(`pids=${r.pids.limit < 0 ? "none" : r.pids.limit}`);
  for (const h of r.hugepageLimits ?? []) parts.push(`hugetlb-${h.pageSize}=${formatSize(h.limit)}`);
  for (const file of Object.keys(r.unified ?? {})) parts.push(`${file}=${JSON.stringify(r.unified?.[file])}`);
  return parts.join(" ") || "none";
}
