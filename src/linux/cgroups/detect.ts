// Which cgroup layout the machine has: pure v2, hybrid (v1 controllers plus a
// cgroup2 mount that holds few or none), or pure v1. Parsed from
// /proc/self/mountinfo and /proc/self/cgroup; pure, so tests can feed text.

export type CgroupMode = "v2" | "hybrid" | "v1";

export interface CgroupLayout {
  mode: CgroupMode;
  v2Mount?: string; // where cgroup2 is mounted
  v1Mounts: Record<string, string>; // controller -> mount point
}

// The v1 controllers (Documentation/admin-guide/cgroup-v1); a v1 mount's
// options also carry flags such as xattr and name=systemd.
const V1_CONTROLLER_NAMES = new Set(["cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "net_cls", "blkio", "perf_event", "net_prio", "hugetlb", "pids", "rdma", "misc"]);

export function parseCgroupLayout(mountinfo: string): CgroupLayout {
  const v1Mounts: Record<string, string> = {};
  let v2Mount: string | undefined;
  for (const line of mountinfo.split("\n")) {
    const sep = line.indexOf(" - ");
    if (sep < 0) continue;
    const mountPoint = line.slice(0, sep).split(" ")[4] ?? "";
    const [fstype, , superOptions = ""] = line.slice(sep + 3).split(" ");
    if (fstype === "cgroup2") v2Mount ??= mountPoint;
    else if (fstype === "cgroup")
      for (const opt of superOptions.split(",")) if (V1_CONTROLLER_NAMES.has(opt)) v1Mounts[opt] ??= mountPoint;
  }
  const hasV1 = Object.keys(v1Mounts).length > 0;
  const mode: CgroupMode = !hasV1 ? "v2" : v2Mount ? "hybrid" : "v1";
  return { mode, v2Mount, v1Mounts };
}

// /proc/self/cgroup: "4:memory:/process_api/abc" -> { memory: "/process_api/abc" },
// and the v2 line "0::/x" -> { "": "/x" }.
export function parseProcCgroup(text: string): Record<string, string> {
  const paths: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    for (const c of (m[1] ?? "").split(",")) paths[c] = m[2] ?? "/";
  }
  return paths;
}
