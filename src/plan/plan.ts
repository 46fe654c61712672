// Spec -> Plan: what the runtime and the init stage will do, as data. Pure, so
// the whole container set-up can be read and tested without root.
import { posix } from "node:path";
import { SpecError } from "../errors.ts";
import { capabilityMask } from "../spec/capabilities.ts";
import { MOUNT_OPTIONS } from "../spec/mounts.ts";
import { DEFAULT_PATH } from "../spec/from-flags.ts";
import { RLIMIT_NUMBER } from "../spec/rlimits.ts";
import type { NetworkRequest } from "../spec/network.ts";
import type { NamespaceType, Spec } from "../spec/schema.ts";
import type { Resources } from "./cgroup.ts";
import { containerDevices, type DeviceNode } from "./devices.ts";
import { ETC_FILES } from "./etc.ts";

export type MountFlag =
  | "MS_RDONLY"
  | "MS_NOSUID"
  | "MS_NODEV"
  | "MS_NOEXEC"
  | "MS_REMOUNT"
  | "MS_BIND"
  | "MS_REC"
  | "MS_PRIVATE"
  | "MS_SLAVE"
  | "MS_STRICTATIME"
  | "MS_RELATIME";

// One step of the root filesystem set-up, run in order inside the new root
// (after pivot_root), like bubblewrap's op list.
export type SetupOp =
  | { op: "mkdir"; path: string; mode: number }
  | { op: "mount"; source: string; target: string; fstype: string; flags: MountFlag[]; data?: string }
  // A node with exactly this mode and owner, whatever the umask.
  | { op: "mknod"; path: string; type: "c" | "b" | "p"; mode: number; major: number; minor: number; uid: number; gid: number }
  | { op: "symlink"; target: string; path: string }
  // Cover a path that leaks host data: an empty read-only tmpfs on a
  // directory, /dev/null on a file; absent paths are skipped.
  | { op: "mask"; path: string }
  // Keep a path visible but read-only (a bind onto itself, remounted).
  | { op: "readonly"; path: string };

// A mount made before pivot_root, while host paths are still reachable, onto
// a target resolved inside the new root (openat2 RESOLVE_IN_ROOT), so a
// symlink in the root filesystem can never point it at the host.
export interface RootMount {
  source: string;
  target: string; // inside the container
  fstype: string | null;
  flags: MountFlag[];
  data?: string;
  readonly: boolean; // bind mounts take MS_RDONLY only on a remount
}

// The root: root.path itself, or (copy-on-write) an overlay with root.path
// as the lower layer and the container's own upper layer.
export interface RootPlan {
  path: string;
  readonly: boolean;
  overlay?: { upper: string; work: string; merged: string };
}

// Masks as hex strings: the kernel's sets are 64-bit.
export interface CapabilityPlan {
  bounding: string;
  effective: string;
  permitted: string;
  inheritable: string;
}

export interface ProcessPlan {
  args: string[];
  env: string[];
  cwd: string;
  terminal: boolean;
  searchPath: string; // where the command is looked up: the container's PATH
  user: { uid: number; gid: number; groups: number[] };
  rlimits: { resource: number; soft: number; hard: number }[]; // -1: unlimited
  capabilities?: CapabilityPlan; // absent: keep all (--privileged)
  noNewPrivileges: boolean;
  init: boolean;
}

export interface Plan {
  id: string;
  namespaces: NamespaceType[];
  root: RootPlan;
  mounts: RootMount[];
  ops: SetupOp[];
  hostname: string;
  process: ProcessPlan;
  resources: Resources; // what the container's cgroup gets
  network: NetworkRequest;
}

// Where the runtime keeps this container's files on the host.
export interface PlanLayout {
  dir: string; // the container's state directory: generated /etc files
  overlayDir: string; // upper, work and merged, when the root is an overlay
}

// A node in the container's /dev, its directories first ("u" is OCI's name
// for an unbuffered character device, which Linux does not tell apart).
function nodeOps(d: DeviceNode): SetupOp[] {
  const dir = posix.dirname(d.path);
  return [
    ...(dir === "/dev" ? [] : [{ op: "mkdir" as const, path: dir, mode: 0o755 }]),
    { op: "mknod", path: d.path, type: d.type === "u" ? "c" : d.type, mode: d.fileMode ?? 0o666, major: d.major ?? 0, minor: d.minor ?? 0, uid: d.uid ?? 0, gid: d.gid ?? 0 },
  ];
}

export function baseSetupOps(nodes: readonly DeviceNode[]): SetupOp[] {
  const ops: SetupOp[] = [
    { op: "mkdir", path: "/proc", mode: 0o555 },
    { op: "mount", source: "proc", target: "/proc", fstype: "proc", flags: ["MS_NOSUID", "MS_NODEV", "MS_NOEXEC"] },
    // Read-only: the container must not reconfigure the host's devices.
    { op: "mkdir", path: "/sys", mode: 0o555 },
    { op: "mount", source: "sysfs", target: "/sys", fstype: "sysfs", flags: ["MS_NOSUID", "MS_NODEV", "MS_NOEXEC", "MS_RDONLY"] },
    // A fresh /dev: only the devices below exist, not the host's disks.
    { op: "mkdir", path: "/dev", mode: 0o755 },
    { op: "mount", source: "tmpfs", target: "/dev", fstype: "tmpfs", flags: ["MS_NOSUID", "MS_STRICTATIME"], data: "mode=755,size=65536k" },
  ];
  for (const d of nodes) ops.push(...nodeOps(d));
  ops.push(
    // newinstance: the container's ptys are its own, not the host's.
    { op: "mkdir", path: "/dev/pts", mode: 0o755 },
    { op: "mount", source: "devpts", target: "/dev/pts", fstype: "devpts", flags: ["MS_NOSUID", "MS_NOEXEC"], data: "newinstance,ptmxmode=0666,mode=0620,gid=5" },
    { op: "symlink", target: "pts/ptmx", path: "/dev/ptmx" },
    { op: "mkdir", path: "/dev/shm", mode: 0o1777 },
    { op: "mount", source: "shm", target: "/dev/shm", fstype: "tmpfs", flags: ["MS_NOSUID", "MS_NODEV", "MS_NOEXEC"], data: "mode=1777,size=65536k" },
    { op: "mkdir", path: "/dev/mqueue", mode: 0o755 },
    { op: "mount", source: "mqueue", target: "/dev/mqueue", fstype: "mqueue", flags: ["MS_NOSUID", "MS_NODEV", "MS_NOEXEC"] },
    { op: "symlink", target: "/proc/self/fd", path: "/dev/fd" },
    { op: "symlink", target: "/proc/self/fd/0", path: "/dev/stdin" },
    { op: "symlink", target: "/proc/self/fd/1", path: "/dev/stdout" },
    { op: "symlink", target: "/proc/self/fd/2", path: "/dev/stderr" },
  );
  return ops;
}

function rootMount(m: NonNullable<Spec["mounts"]>[number]): RootMount {
  const flags = new Set<MountFlag>(m.type === "bind" ? ["MS_BIND"] : []);
  const data: string[] = [];
  for (const o of m.options) {
    const named = MOUNT_OPTIONS[o];
    if (named) {
      if (named.rec) flags.add("MS_REC");
      if (named.set) flags.add(named.set);
      if (named.clear) flags.delete(named.clear);
    } else if (m.type === "tmpfs" && /^(size|mode|nr_inodes)=/.test(o)) data.push(o);
    else throw new SpecError(`mounts ${m.destination}`, `unknown option ${JSON.stringify(o)}`, "use ro, rw, rbind, nosuid, nodev, noexec, size= or mode=");
  }
  // A bind mount takes MS_RDONLY only on a remount (mountInRoot does it).
  const readonly = m.type === "bind" && flags.delete("MS_RDONLY");
  return {
    source: m.source,
    target: m.destination,
    fstype: m.type === "tmpfs" ? "tmpfs" : null,
    flags: [...flags],
    ...(data.length ? { data: data.join(",") } : {}),
    readonly,
  };
}

// The runtime writes them (runtime/etc.ts) once the container's address is known.
function etcMounts(dir: string): RootMount[] {
  return ETC_FILES.map((name) => ({ source: posix.join(dir, "etc", name), target: `/etc/${name}`, fstype: null, flags: ["MS_BIND"], readonly: false }));
}

// Overlay options are comma-separated and take ':' between lower layers.
function overlayRoot(spec: Spec, overlayDir: string): RootPlan {
  if (/[,:\\]/.test(spec.root.path))
    throw new SpecError("--rootfs", `${spec.root.path} contains ',', ':' or '\\', which overlayfs options cannot hold`, "move or link the root filesystem to a plain path, or use --no-overlay");
  const at = (name: string) => posix.join(overlayDir, name);
  return { path: spec.root.path, readonly: spec.root.readonly, overlay: { upper: at("upper"), work: at("work"), merged: at("merged") } };
}

function capabilityPlan(caps: Spec["process"]["capabilities"]): CapabilityPlan | undefined {
  if (!caps) return undefined;
  return {
    bounding: capabilityMask(caps.bounding),
    effective: capabilityMask(caps.effective),
    permitted: capabilityMask(caps.permitted),
    inheritable: capabilityMask(caps.inheritable ?? []),
  };
}

// Where a command is looked up: the environment's PATH.
export const searchPathOf = (env: readonly string[]) => env.find((e) => e.startsWith("PATH="))?.slice(5) ?? DEFAULT_PATH;

// The container's process: also what `contain exec` starts a process with.
export function processPlan(spec: Spec): ProcessPlan {
  const user = spec.process.user;
  return {
    args: spec.process.args,
    env: spec.process.env,
    cwd: spec.process.cwd,
    terminal: spec.process.terminal,
    searchPath: searchPathOf(spec.process.env),
    user: { uid: user.uid, gid: user.gid, groups: user.additionalGids ?? [] },
    rlimits: (spec.process.rlimits ?? []).map((r) => ({ resource: RLIMIT_NUMBER[r.type], soft: r.soft, hard: r.hard })),
    ...(spec.process.capabilities ? { capabilities: capabilityPlan(spec.process.capabilities) } : {}),
    noNewPrivileges: spec.process.noNewPrivileges ?? false,
    init: spec.contain?.init ?? false,
  };
}

export function planFromSpec(spec: Spec, id: string, layout: PlanLayout, network: NetworkRequest): Plan {
  const devices = containerDevices(spec);
  const ops = baseSetupOps(devices.nodes);
  for (const path of spec.linux.maskedPaths ?? []) ops.push({ op: "mask", path });
  for (const path of spec.linux.readonlyPaths ?? []) ops.push({ op: "readonly", path });
  if (spec.root.readonly) ops.push({ op: "mount", source: "", target: "/", fstype: "", flags: ["MS_BIND", "MS_REMOUNT", "MS_RDONLY"] });
  return {
    id,
    namespaces: spec.linux.namespaces.map((n) => n.type),
    root: spec.contain?.overlay ? overlayRoot(spec, layout.overlayDir) : { path: spec.root.path, readonly: spec.root.readonly },
    mounts: [...etcMounts(layout.dir), ...(spec.mounts ?? []).map(rootMount)],
    ops,
    hostname: spec.hostname,
    process: processPlan(spec),
    resources: { ...spec.linux.resources, devices: devices.rules },
    network,
  };
}
