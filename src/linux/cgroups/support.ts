// What of linux.resources a container's cgroups cannot take, refused by name
// rather than half applied (the runtime-spec: "MUST generate an error when
// the configuration refers to a cgroup controller that is not present or
// that cannot be enabled"; runc's validator refuses `unified` on v1). Asked
// twice: before anything is made, of the machine's layout (runtime/bundle.ts),
// and at every apply, of the container's own cgroup (which `update` reaches too).
import { SpecError } from "../../errors.ts";
import type { Resources } from "../../plan/cgroup.ts";

// The controller each field needs (the v2 names; v1's hierarchies are named alike).
// v2 has no swappiness or OOM-killer switch of a cgroup's own: they are ignored there.
function needs(r: Resources, version: "v1" | "v2"): [field: string, controller: string][] {
  const m = r.memory;
  const c = r.cpu;
  const fields: [string, string][] = [];
  const v1Only = version === "v1" && (m?.swappiness !== undefined || m?.disableOOMKiller !== undefined);
  if (m?.limit !== undefined || m?.reservation !== undefined || v1Only) fields.push(["memory", "memory"]);
  if (c?.shares !== undefined || c?.quota !== undefined || c?.period !== undefined) fields.push(["cpu", "cpu"]);
  if (c?.cpus || c?.mems) fields.push([c.cpus ? "cpu.cpus" : "cpu.mems", "cpuset"]);
  if (r.pids?.limit !== undefined) fields.push(["pids", "pids"]);
  if (r.hugepageLimits?.length) fields.push(["hugepageLimits", "hugetlb"]);
  return fields;
}

// `controllers`: what the container's cgroup has (v1: the hierarchies it
// joins; v2: its cgroup.controllers, or before it exists, the root's).
// `at`: where the resources sit in what the user wrote.
export function refuseUnusable(r: Resources, version: "v1" | "v2", controllers: readonly string[], at = "linux.resources."): void {
  if (version === "v1" && r.unified && Object.keys(r.unified).length)
    throw new SpecError(
      `${at}unified`,
      "cannot be used on cgroup v1: it holds cgroup v2 files, and this container's controllers are v1 hierarchies",
      "remove it, and give the limits in the v1 fields (memory, cpu, pids)",
    );
  for (const [field, controller] of needs(r, version)) {
    if (controllers.includes(controller)) continue;
    const why =
      version === "v2"
        ? `the ${controller} controller is not available in the container's cgroup v2 (cgroup.controllers)`
        : controller === "hugetlb"
          ? "the hugetlb controller is not usable for the container's cgroups: no v1 hugetlb hierarchy is mounted, and a container joins a hybrid host's cgroup2 hugetlb only when it is created with hugepageLimits"
          : `no v1 ${controller} hierarchy is mounted for the container's cgroups`;
    throw new SpecError(`${at}${field}`, why, "remove it, or run the container on a host where that controller is usable");
  }
}

// A hugetlb file that is not there: the page size is not one of this machine's.
export const HUGEPAGE_HINT = "give a page size this machine has (ls /sys/kernel/mm/hugepages: hugepages-2048kB is 2MB)";
