// Spec -> Plan: what the runtime and the init stage will do, as data. Pure, so
// the whole container set-up can be read and tested without root.
import { posix } from "node:path";
import { SpecError } from "../errors.ts";
import { capabilityMask } from "../spec/capabilities.ts";
import { MOUNT_OPTIONS, PROPAGATION_OPTIONS, type MountOptionFlag } from "../spec/mounts.ts";
import { DEFAULT_PATH } from "../spec/env.ts";
import { RLIMIT_NUMBER } from "../spec/rlimits.ts";
import type { NetworkRequest } from "../spec/network.ts";
import type { NamespaceType, Spec } from "../spec/schema.ts";
import type { Resources } from "./cgroup.ts";
import { containerDevices, type DeviceNode } from "./devices.ts";
import { ETC_FILES } from "./etc.ts";

export type MountFlag = MountOptionFlag | "MS_REMOUNT" | "MS_BIND" | "MS_REC" | "MS_PRIVATE" | "MS_SLAVE" | "MS_SHARED" | "MS_UNBINDABLE";

// One step of the set-up after pivot_root, run in order inside the new root,
// like bubblewrap's op list: the device nodes and links of /dev, the links
// and the seal of v1's cgroup tmpfs, then, last
// (as runc does, so that nothing mounted later uncovers them), the masked and
// read-only paths and the read-only root.
export type SetupOp =
  | { op: "mkdir"; path: string; mode: number }
  | { op: "remount-root-readonly" }
  | { op: "sysctl"; key: string; value: string } // written to /proc/sys/<key with / for .>
  // A node with exactly this mode and owner, whatever the umask.
  | { op: "mknod"; path: string; type: "c" | "b" | "p"; mode: number; major: number; minor: number; uid: number; gid: number }
  | { op: "symlink"; target: string; path: string }
  // Cover a path that leaks host data: an empty read-only tmpfs on a
  // directory, /dev/null on a file; absent paths are skipped.
  | { op: "mask"; path: string }
  // Keep a path visible but read-only (a bind onto itself, remounted).
  | { op: "readonly"; path: string }
  // Make a mount of the Plan's own read-only (and nosuid, nodev, noexec) in
  // place, once what it holds is there: v1's cgroup tmpfs.
  | { op: "seal"; path: string };

// A mount of the Spec's ordered list, made before pivot_root while host paths
// are still reachable, onto a target resolved inside the new root (openat2
// RESOLVE_IN_ROOT), so a symlink in the root filesystem can never point it at
// the host.
export interface RootMount {
  source: string | null; // null: no new mount, only the remount of the one at target
  target: string; // inside the container
  fstype: string | null; // null: a bind mount
  flags: MountFlag[];
  data?: string;
  remount?: MountFlag[]; // a bind takes its per-mount flags (ro, nosuid, ...) only on a remount
  propagation?: MountFlag[]; // set by a mount(2) of its own, once it exists
}

// An image's layers as the overlay's lower layers: the store's short names
// (l/XXXXXXXXXXXX), top first, relative to the store's directory, which the
// overlay is mounted from (docker's overlay2 trick: mount(2) copies at most a
// page of options, and 128 layers by their full paths would not fit).
export interface LayerStack {
  dir: string;
  layers: string[];
}

// The root: root.path itself, or (copy-on-write) an overlay with root.path
// (or an image's layers) as the lower layer and the container's own upper layer.
export interface RootPlan {
  path: string;
  readonly: boolean;
  // linux.rootfsPropagation, for the whole mount tree; absent: rprivate
  propagation?: MountFlag[];
  // layer: with --storage-opt size=, upper and work live on a filesystem of
  // their own in `image`, mounted at `dir` by the init (in its own mount
  // namespace, so nothing of it is mounted on the host).
  // options: mount(2)'s data for it, lowerdir= to workdir=
  overlay?: { upper: string; work: string; merged: string; lowers?: LayerStack; options: string; layer?: { image: string; dir: string; size: number } };
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
  consoleSize?: { rows: number; cols: number }; // the terminal's, when it has one
  oomScoreAdj?: number; // absent: inherited, as the kernel does
  searchPath: string; // where the command is looked up: the container's PATH
  user: { uid: number; gid: number; groups: number[]; umask: number };
  rlimits: { resource: number; soft: number; hard: number }[]; // -1: unlimited
  capabilities?: CapabilityPlan; // absent: keep all (--privileged)
  noNewPrivileges: boolean;
  init: boolean;
}

// A detached container's log: <dir>/log and its rotated files, CRI's format
// (written by the monitor, ffi/monitor.c).
export interface LogPlan {
  dir: string;
  maxSize: number; // bytes a file may reach before it is rotated
  maxFile: number; // files kept, the current one included
  stdin: boolean; // the monitor holds the command's stdin, for attach (-d -i)
}

// docker's local log driver's defaults.
export const LOG_DEFAULTS = { maxSize: 20 * 1024 * 1024, maxFile: 5 };

// Where the container's cgroups are (controller -> directory; "unified" on v2).
export interface CgroupPlan {
  version: "v1" | "v2";
  paths: Record<string, string>;
}

export interface Plan {
  id: string;
  dataDir: string; // PlanLayout.dir
  log: LogPlan;
  namespaces: NamespaceType[]; // made new
  joins: { type: NamespaceType; path: string }[]; // joined by path (setns)
  root: RootPlan;
  mounts: RootMount[];
  ops: SetupOp[];
  hostname?: string; // absent: the UTS namespace keeps its name
  domainname?: string; // likewise
  process: ProcessPlan;
  execFifo?: string; // PlanLayout.execFifo
  // config.md's hooks that run inside the container: createContainer by the
  // init before pivot_root, startContainer by the helper before the command.
  hooks?: Pick<NonNullable<Spec["hooks"]>, "createContainer" | "startContainer">;
  cgroup: CgroupPlan;
  resources: Resources; // what the container's cgroup gets
  network: NetworkRequest;
}

// Where the runtime keeps this container's files on the host: under the data
// root, on disk (docker's <data-root>/containers/<id>), not in the state; and
// where its cgroups go on this machine.
export interface PlanLayout {
  dir: string; // the container's data directory: generated /etc files, the log
  overlayDir: string; // upper, work and merged, when the root is an overlay
  lowers?: LayerStack; // the layers of the Spec's contain.image, in the store
  cgroup: CgroupPlan;
  execFifo?: string; // `create`: the command waits at this fifo until `start`
  // The writable layer goes with the container (a foreground run, run -d
  // --rm): nothing of it needs to reach the disk, so its overlay is mounted
  // volatile. Otherwise the unmount at the container's exit syncs the whole
  // upper filesystem (overlayfs' sync_fs), with everyone's dirty data on it:
  // 2-20 ms here before the exit is reported, against ~1.5 ms without.
  disposable?: boolean;
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

// /dev's contents, once /dev is mounted: the nodes, then the links every
// container has (runc's set).
export function devOps(nodes: readonly DeviceNode[]): SetupOp[] {
  return [
    ...nodes.flatMap(nodeOps),
    { op: "symlink", target: "pts/ptmx", path: "/dev/ptmx" },
    { op: "symlink", target: "/proc/self/fd", path: "/dev/fd" },
    { op: "symlink", target: "/proc/self/fd/0", path: "/dev/stdin" },
    { op: "symlink", target: "/proc/self/fd/1", path: "/dev/stdout" },
    { op: "symlink", target: "/proc/self/fd/2", path: "/dev/stderr" },
  ];
}

// The per-mount flags a bind mount gets only from a remount.
const BIND_REMOUNT_FLAGS = new Set<MountFlag>(["MS_RDONLY", "MS_NOSUID", "MS_NODEV", "MS_NOEXEC", "MS_NOATIME", "MS_NODIRATIME", "MS_RELATIME", "MS_STRICTATIME"]);

// An OCI mount entry as mount(2) calls: flags by name, propagation apart, and
// for a filesystem every other option as its data (mode=, size=,
// newinstance, gid=, ...); a bind mount has no data (an option unknown to it
// is refused with the Spec, spec/validate.ts).
function rootMount(m: NonNullable<Spec["mounts"]>[number]): RootMount {
  const bind = m.type === "bind";
  const flags = new Set<MountFlag>(bind ? ["MS_BIND"] : []);
  const data: string[] = [];
  let propagation: MountFlag[] | undefined;
  for (const o of m.options) {
    const named = MOUNT_OPTIONS[o];
    const prop = PROPAGATION_OPTIONS[o];
    if (named) {
      if (named.rec) flags.add("MS_REC");
      if (named.set) flags.add(named.set);
      if (named.clear) flags.delete(named.clear);
    } else if (prop) propagation = [prop.flag, ...(prop.rec ? (["MS_REC"] as const) : [])];
    else if (!bind) data.push(o);
  }
  const remount = bind ? [...flags].filter((f) => BIND_REMOUNT_FLAGS.has(f)) : [];
  return {
    source: m.source,
    target: m.destination,
    fstype: bind ? null : m.type,
    flags: bind ? [...flags].filter((f) => !BIND_REMOUNT_FLAGS.has(f)) : [...flags],
    ...(data.length ? { data: data.join(",") } : {}),
    ...(remount.length ? { remount } : {}),
    ...(propagation ? { propagation } : {}),
  };
}

// An OCI `cgroup` mount: the container's own cgroups, as read-only as the
// options say. They are bound before pivot_root, while the host's hierarchy
// is reachable (the container joins them, and takes its cgroup namespace,
// only at its last step, so a cgroup filesystem mounted now would show the
// host's whole tree). v2: its one directory; v1: a tmpfs holding a directory
// per hierarchy, each a bind of the container's cgroup there, co-mounted
// controllers as one (cpu,cpuacct) with a link per controller, as docker
// shows them. The tmpfs is sealed read-only after pivot_root (ops), once
// those links are made in it.
function cgroupMounts(m: NonNullable<Spec["mounts"]>[number], cgroup: CgroupPlan): { mounts: RootMount[]; ops: SetupOp[] } {
  const options = m.options.filter((o) => o !== "bind" && o !== "rbind");
  const bind = (source: string, target: string) => rootMount({ destination: target, type: "bind", source, options: ["rbind", ...options] });
  if (cgroup.version === "v2") return { mounts: [bind(cgroup.paths.unified ?? "", m.destination)], ops: [] };
  const tmpfs = rootMount({ destination: m.destination, type: "tmpfs", source: "cgroup", options: [...options.filter((o) => o !== "ro" && !PROPAGATION_OPTIONS[o]), "mode=755"] });
  const hierarchies = new Map<string, string[]>();
  for (const [controller, dir] of Object.entries(cgroup.paths)) hierarchies.set(dir, [...(hierarchies.get(dir) ?? []), controller]);
  const binds: RootMount[] = [];
  const ops: SetupOp[] = [];
  for (const [dir, controllers] of hierarchies) {
    const name = controllers.join(",");
    binds.push(bind(dir, posix.join(m.destination, name)));
    if (controllers.length > 1) for (const c of controllers) ops.push({ op: "symlink", target: name, path: posix.join(m.destination, c) });
  }
  if (options.includes("ro")) ops.push({ op: "seal", path: m.destination });
  return { mounts: [tmpfs, ...binds], ops };
}

// The runtime writes them (runtime/host.ts) once the container's address is
// known. Last, over whatever holds /etc; a file the Spec mounts itself (an
// OCI caller's own /etc/hosts) is left to it.
function etcMounts(dir: string, spec: Spec): RootMount[] {
  const taken = new Set((spec.mounts ?? []).map((m) => m.destination));
  return ETC_FILES.filter((name) => !taken.has(`/etc/${name}`)).map((name) => ({ source: posix.join(dir, "etc", name), target: `/etc/${name}`, fstype: null, flags: ["MS_BIND"] }));
}

// What mount(2) copies of a mount's options: a page, its NUL included.
export const MOUNT_DATA_MAX = 4096 - 1;

type Overlay = NonNullable<RootPlan["overlay"]>;

// overlayfs' option (Linux 5.10) to skip every sync of the upper layer. Its
// mount leaves work/incompat/volatile behind, and overlayfs refuses that
// work directory from then on: only for a layer that is never mounted again.
const OVERLAY_VOLATILE = ",volatile";

// The overlay's options: its lower layers (the root, or the image's, relative
// to its store's directory) and the container's own upper; `readonly`, the
// upper as the top lower layer instead, so that nothing can be written at
// all (cp of a stopped container).
export function overlayOptions(path: string, overlay: Omit<Overlay, "options">, readonly = false): string {
  const { upper, work, lowers } = overlay;
  const lower = lowers ? lowers.layers.join(":") : path;
  return readonly ? `lowerdir=${upper}:${lower}` : `lowerdir=${lower},upperdir=${upper},workdir=${work}`;
}

// Also where `cp` finds a stopped container's layers. With an image its
// layers are the lower ones (`lowers`, from its store); without, a root
// path overlayfs options cannot hold is refused with the Spec
// (spec/validate.ts). `disposable`: see PlanLayout.
export function overlayRoot(spec: Spec, overlayDir: string, lowers?: LayerStack, disposable = false): RootPlan & { overlay: Overlay } {
  const image = spec.contain?.image;
  if (image && lowers?.layers.length !== image.layers.length)
    throw new SpecError(`image ${image.name}`, `its ${image.layers.length} layers are not all in the image store`, "pull or import the image again");
  const at = (name: string) => posix.join(overlayDir, name);
  const size = spec.contain?.storageSize;
  const home = size === undefined ? overlayDir : at("layer");
  const layer = size === undefined ? {} : { layer: { image: at("layer.img"), dir: home, size } };
  const overlay = { upper: posix.join(home, "upper"), work: posix.join(home, "work"), merged: at("merged"), ...(image && { lowers }), ...layer };
  const options = `${overlayOptions(spec.root.path, overlay)}${disposable ? OVERLAY_VOLATILE : ""}`;
  if (image && options.length > MOUNT_DATA_MAX)
    throw new SpecError(`image ${image.name}`, `its ${image.layers.length} layers take ${options.length} bytes of overlay options, more than the ${MOUNT_DATA_MAX} mount(2) reads`, "use an image of fewer layers (squash it), or a shorter --data-root");
  return { path: spec.root.path, readonly: spec.root.readonly, overlay: { ...overlay, options } };
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
    ...(spec.process.consoleSize && { consoleSize: { rows: spec.process.consoleSize.height, cols: spec.process.consoleSize.width } }),
    ...(spec.process.oomScoreAdj !== undefined && { oomScoreAdj: spec.process.oomScoreAdj }),
    searchPath: searchPathOf(spec.process.env),
    // runc's and docker's 0022 where the Spec names none, whatever the caller's.
    user: { uid: user.uid, gid: user.gid, groups: user.additionalGids ?? [], umask: user.umask ?? 0o022 },
    rlimits: (spec.process.rlimits ?? []).map((r) => ({ resource: RLIMIT_NUMBER[r.type], soft: r.soft, hard: r.hard })),
    ...(spec.process.capabilities ? { capabilities: capabilityPlan(spec.process.capabilities) } : {}),
    noNewPrivileges: spec.process.noNewPrivileges ?? false,
    init: spec.contain?.init ?? false,
  };
}

function rootPropagation(spec: Spec): Pick<RootPlan, "propagation"> {
  const p = spec.linux.rootfsPropagation;
  const o = p === undefined ? undefined : PROPAGATION_OPTIONS[p];
  return o ? { propagation: [o.flag, ...(o.rec ? ["MS_REC" as const] : [])] } : {};
}

export function planFromSpec(spec: Spec, id: string, layout: PlanLayout, network: NetworkRequest): Plan {
  const devices = containerDevices(spec);
  const mounts: RootMount[] = [];
  const cgroupOps: SetupOp[] = [];
  for (const m of spec.mounts ?? []) {
    if (m.type !== "cgroup") mounts.push(rootMount(m));
    else {
      const view = cgroupMounts(m, layout.cgroup);
      mounts.push(...view.mounts);
      cgroupOps.push(...view.ops);
    }
  }
  // contain's own /etc files are for its own front end: an OCI caller
  // (podman, containerd) mounts its own.
  if (spec.contain) mounts.push(...etcMounts(layout.dir, spec));
  const ops = [...devOps(devices.nodes), ...cgroupOps];
  // Before /proc/sys is made read-only, in the container's own namespaces.
  for (const [key, value] of Object.entries(spec.linux.sysctl ?? {})) ops.push({ op: "sysctl", key, value });
  for (const path of spec.linux.maskedPaths ?? []) ops.push({ op: "mask", path });
  for (const path of spec.linux.readonlyPaths ?? []) ops.push({ op: "readonly", path });
  if (spec.root.readonly) ops.push({ op: "remount-root-readonly" });
  return {
    id,
    dataDir: layout.dir,
    log: { dir: layout.dir, ...LOG_DEFAULTS, ...spec.contain?.log, stdin: spec.contain?.stdin === true },
    namespaces: spec.linux.namespaces.filter((n) => n.path === undefined).map((n) => n.type),
    joins: spec.linux.namespaces.flatMap((n) => (n.path === undefined ? [] : [{ type: n.type, path: n.path }])),
    // An image's root is always an overlay: its layers are shared.
    root: spec.contain?.overlay || spec.contain?.image ? overlayRoot(spec, layout.overlayDir, layout.lowers, layout.disposable) : { path: spec.root.path, readonly: spec.root.readonly, ...rootPropagation(spec) },
    mounts,
    ops,
    ...(spec.hostname === undefined ? {} : { hostname: spec.hostname }),
    ...(spec.domainname !== undefined && { domainname: spec.domainname }),
    process: processPlan(spec),
    ...(layout.execFifo && { execFifo: layout.execFifo }),
    ...((spec.hooks?.createContainer?.length || spec.hooks?.startContainer?.length) && { hooks: { createContainer: spec.hooks.createContainer, startContainer: spec.hooks.startContainer } }),
    cgroup: layout.cgroup,
    resources: { ...spec.linux.resources, devices: devices.rules },
    network,
  };
}
