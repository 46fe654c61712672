// The container's resources (OCI linux.resources) as the step log names them.
// Pure: the per-version mapping to cgroup files lives in linux/cgroups/v1.ts
// and v2.ts.
import type { Spec } from "../spec/schema.ts";
import { formatSize } from "../spec/units.ts";

export type Resources = Spec["linux"]["resources"];

// For the step log: "memory=64M cpu=0.5 pids=64".
export function describeLimits(r: Resources): string {
  const parts: string[] = [];
  if (r.memory?.limit !== undefined) parts.push(`memory=${formatSize(r.memory.limit)}`);
  if (r.cpu?.quota !== undefined) parts.push(`cpu=${Number((r.cpu.quota / (r.cpu.period ?? 100_000)).toFixed(3))}`);
  if (r.cpu?.shares !== undefined) parts.push(`cpu-shares=${r.cpu.shares}`);
  if (r.pids?.limit !== undefined) parts.push(`pids=${r.pids.limit}`);
  return parts.join(" ") || "none";
}
