// Spec -> Plan: what the runtime and the init stage will do, as data. Pure, so
// the whole container set-up can be read and tested without root.
import { DEFAULT_PATH } from "../spec/from-flags.ts";
import type { NetworkRequest } from "../spec/network.ts";
import type { NamespaceType, Spec } from "../spec/schema.ts";
import { limitsFromSpec, type Limits } from "./cgroup.ts";

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
  | { op: "mknod"; path: string; mode: number; major: number; minor: number }
  | { op: "symlink"; target: string; path: string };

export interface ProcessPlan {
  args: string[];
  env: string[];
  cwd: string;
  terminal: boolean;
  searchPath: string; // where the command is looked up: the container's PATH
}

export interface Plan {
  id: string;
  namespaces: NamespaceType[];
  rootfs: string;
  ops: SetupOp[];
  hostname: string;
  process: ProcessPlan;
  limits: Limits;
  network: NetworkRequest;
}

// The character devices every container gets (runc's default set).
const DEVICES = [
  { name: "null", major: 1, minor: 3 },
  { name: "zero", major: 1, minor: 5 },
  { name: "full", major: 1, minor: 7 },
  { name: "random", major: 1, minor: 8 },
  { name: "urandom", major: 1, minor: 9 },
  { name: "tty", major: 5, minor: 0 },
];

const S_IFCHR = 0o020000;

export function baseSetupOps(): SetupOp[] {
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
  for (const d of DEVICES) ops.push({ op: "mknod", path: `/dev/${d.name}`, mode: S_IFCHR | 0o666, major: d.major, minor: d.minor });
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

export function planFromSpec(spec: Spec, id: string, network: NetworkRequest): Plan {
  return {
    id,
    namespaces: spec.linux.namespaces.map((n) => n.type),
    rootfs: spec.root.path,
    ops: baseSetupOps(),
    hostname: spec.hostname,
    process: {
      args: spec.process.args,
      env: spec.process.env,
      cwd: spec.process.cwd,
      terminal: spec.process.terminal,
      searchPath: spec.process.env.find((e) => e.startsWith("PATH="))?.slice(5) ?? DEFAULT_PATH,
    },
    limits: limitsFromSpec(spec),
    network,
  };
}
