// Cgroups behind one interface (youki's CgroupManager): create, apply limits,
// read usage, freeze and thaw, kill all, destroy. A process joins by itself (the helper writes
// "0" to each tasks or cgroup.procs: files.ts openProcsFiles). v2 is the primary path; v1 is
// what hybrid machines give us for memory, cpu and pids.
import { readFileSync } from "node:fs";
import type { Resources } from "../../plan/cgroup.ts";
import type { FreezerState } from "./freezer.ts";
import { parseCgroupLayout, parseProcCgroup, type CgroupLayout } from "./detect.ts";
import { CgroupV1, V1_CONTROLLERS } from "./v1.ts";
import { readText } from "./files.ts";
import { CgroupV2 } from "./v2.ts";

export { refuseUnusable } from "./support.ts";

export interface Usage {
  memoryPeak?: number; // bytes
  memoryCurrent?: number;
  memoryLimit?: number; // absent: none ("max" on v2)
  memoryFailcnt?: number; // times the limit was hit (v2: memory.events max)
  cpuUsec?: number; // CPU time, microseconds
  cpu?: CpuTimes;
  pidsPeak?: number;
  pidsCurrent?: number;
  pidsLimit?: number; // absent: none
  oomKills: number;
  blockIO?: BlockIO; // absent: no io (v2) or blkio (v1) controller here
}

// Bytes read from and written to block devices, every device summed.
export interface BlockIO {
  read: number;
  write: number;
}

// CPU time in nanoseconds, as runc's events report it.
export interface CpuTimes {
  totalNs: number;
  userNs?: number;
  kernelNs?: number;
  percpuNs?: number[]; // v1's cpuacct.usage_percpu; v2 has no such file
  periods?: number; // CFS periods, and those in which the quota ran out
  throttledPeriods?: number;
  throttledNs?: number;
}

export interface Cgroup {
  readonly version: "v1" | "v2";
  // controller -> directory ("unified" for v2): what the state records.
  readonly paths: Readonly<Record<string, string>>;
  create(): void;
  // OCI linux.resources, mapped per version; `note` hears what is ignored
  // (what cgroup v2 has no file for). Throws a SpecError naming the field
  // the container's cgroups cannot take (support.ts).
  apply(resources: Resources, note?: (line: string) => void): void;
  usage(): Usage;
  // usage().oomKills alone: one file, where usage() reads fifteen.
  oomKills(): number;
  pids(): number[];
  // The freezer (docker's pause, freezer.ts): freeze returns once every task
  // is frozen, or throws, thawed again, naming the file that never settled.
  // A cgroup that is gone, or has no freezer, reads and thaws as thawed.
  freeze(): void;
  thaw(): void;
  freezerState(): FreezerState;
  killAll(signal: number): void; // SIGKILL reaches a frozen cgroup's tasks too
  destroy(): void;
}

export type { CgroupLayout } from "./detect.ts";
export type { FreezerState } from "./freezer.ts";

export function detectLayout(): CgroupLayout {
  return parseCgroupLayout(readFileSync("/proc/self/mountinfo", "utf8"));
}

// Where a container's cgroup goes. v2: <mount>/contain/<id> (a fresh subtree,
// since the caller's own cgroup may hold processes and v2 forbids controllers
// there). v1: each controller's hierarchy, nested under the caller's cgroup
// (as runc does), so the machine's own accounting stays whole. An OCI
// bundle's cgroupsPath, as runc reads it: an absolute one from each
// hierarchy's root, a relative one in place of contain/<id>.
// unifiedHugetlb: a hybrid host's hugetlb is in its cgroup2 mount, and the
// container's hugepage limits go there ("unified", beside the v1 paths).
export function cgroupPaths(layout: CgroupLayout, procSelfCgroup: string, id: string, cgroupsPath?: string, unifiedHugetlb = false): Record<string, string> {
  const leaf = cgroupsPath && !cgroupsPath.startsWith("/") ? cgroupsPath : `contain/${id}`;
  const v2Path = cgroupsPath?.startsWith("/") ? `${layout.v2Mount}${cgroupsPath}` : `${layout.v2Mount}/${leaf}`;
  if (layout.mode === "v2") return { unified: v2Path };
  const own = parseProcCgroup(procSelfCgroup);
  const paths: Record<string, string> = unifiedHugetlb && layout.v2Mount ? { unified: v2Path } : {};
  for (const c of V1_CONTROLLERS) {
    const mnt = layout.v1Mounts[c];
    if (!mnt) continue;
    const base = (own[c] ?? "/").replace(/\/$/, "");
    paths[c] = cgroupsPath?.startsWith("/") ? `${mnt}${cgroupsPath}` : `${mnt}${base}/${leaf}`;
  }
  return paths;
}

export interface CgroupPlace {
  version: "v1" | "v2";
  paths: Record<string, string>;
}

const v2Controllers = (layout: CgroupLayout) => (layout.v2Mount ? (readText(`${layout.v2Mount}/cgroup.controllers`) ?? "").split(/\s+/).filter(Boolean) : []);

// A hybrid host whose hugetlb controller is bound to its cgroup2 mount, not
// to a v1 hierarchy (as these machines' is).
const hugetlbInV2 = (layout: CgroupLayout) => layout.mode === "hybrid" && !layout.v1Mounts.hugetlb && v2Controllers(layout).includes("hugetlb");

// Where a new container's cgroups go, on this machine. hugepages: the
// container has hugepage limits (Kubernetes' kubelet gives every container
// one of 0 per page size); only then, on a hybrid host with hugetlb in
// cgroup2, does it get a cgroup there too: every cgroup joined costs a start.
export function cgroupPlace(id: string, cgroupsPath?: string, hugepages = false, layout: CgroupLayout = detectLayout()): CgroupPlace {
  const unifiedHugetlb = hugepages && hugetlbInV2(layout);
  return { version: layout.mode === "v2" ? "v2" : "v1", paths: cgroupPaths(layout, readFileSync("/proc/self/cgroup", "utf8"), id, cgroupsPath, unifiedHugetlb) };
}

// The version and the controllers a new container's cgroups get here: the v1
// hierarchies it joins (and a hybrid host's cgroup2 hugetlb), or what the v2
// root has to enable (support.ts).
export function hostControllers(layout: CgroupLayout = detectLayout()): { version: "v1" | "v2"; controllers: string[] } {
  if (layout.mode === "v2") return { version: "v2", controllers: v2Controllers(layout) };
  return { version: "v1", controllers: [...V1_CONTROLLERS.filter((c) => layout.v1Mounts[c]), ...(hugetlbInV2(layout) ? ["hugetlb"] : [])] };
}

export function openCgroup(version: "v1" | "v2", paths: Record<string, string>): Cgroup {
  return version === "v2" ? new CgroupV2(paths.unified ?? "") : new CgroupV1(paths);
}


