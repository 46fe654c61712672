// OCI `mounts` entries: the defaults every container gets, and -v/--volume
// and --tmpfs, docker's syntax.
import { posix } from "node:path";
import { SpecError } from "../errors.ts";
import { parseSize } from "./units.ts";

export const MOUNT_TYPES = ["bind", "tmpfs", "proc", "sysfs", "devpts", "mqueue", "cgroup"] as const;

export interface Mount {
  destination: string;
  type: (typeof MOUNT_TYPES)[number];
  source: string;
  options: string[];
}

// The mounts of runc's and podman's config.json, in their order: the
// container's own /proc, a fresh /dev (only the nodes the runtime makes,
// plan/devices.ts, not the host's disks) with its own ptys, shared memory and
// message queues, a read-only /sys (the container must not reconfigure
// the host's devices) and, read-only in it, the container's own cgroups, where
// the JVM, Go, Node and nproc read the limits they size themselves by
// (plan.ts cgroupMounts).
export const DEFAULT_MOUNTS: readonly Mount[] = [
  { destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"] },
  { destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"] },
  // newinstance: the container's ptys are its own, not the host's.
  { destination: "/dev/pts", type: "devpts", source: "devpts", options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"] },
  { destination: "/dev/shm", type: "tmpfs", source: "shm", options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"] },
  { destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"] },
  { destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"] },
  { destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["nosuid", "noexec", "nodev", "relatime", "ro"] },
];

// The defaults, then the user's mounts in their order. A user mount at a
// default's destination takes the default's place (`--tmpfs /dev/shm:size=1M`
// is the one /dev/shm, mounted before anything under it), rather than
// stacking on it or hiding what is mounted below it.
export function withDefaultMounts(user: readonly Mount[]): Mount[] {
  const at = new Map(user.map((m) => [m.destination, m]));
  const defaults = DEFAULT_MOUNTS.map((d) => at.get(d.destination) ?? d);
  return [...defaults, ...user.filter((m) => !DEFAULT_MOUNTS.some((d) => d.destination === m.destination))];
}

// An absolute path inside the container, with no ".." that could climb out of
// the root before the mount target is resolved in it.
export function containerPath(flag: string, path: string, example: string): string {
  if (!path.startsWith("/")) throw new SpecError(flag, `container path ${JSON.stringify(path)} is not absolute`, `start it with /, e.g. ${example}`);
  if (path.split("/").includes("..")) throw new SpecError(flag, `container path ${JSON.stringify(path)} contains ".."`, `give the plain path, e.g. ${example}`);
  return posix.normalize(path).replace(/(.)\/$/, "$1");
}

// HOST:CONTAINER[:ro|rw]. A relative HOST is taken from `cwd`.
export function parseVolume(spec: string, cwd: string): Mount {
  const parts = spec.split(":");
  const example = "-v /srv/data:/data:ro";
  if (parts.length < 2 || parts.length > 3 || !parts[0] || !parts[1])
    throw new SpecError("--volume", `${JSON.stringify(spec)} is not HOST:CONTAINER[:ro|rw]`, `e.g. ${example}`);
  const [host = "", target = "", mode = "rw"] = parts;
  if (mode !== "ro" && mode !== "rw") throw new SpecError("--volume", `${JSON.stringify(spec)}: unknown mode ${JSON.stringify(mode)}`, `use ro or rw, e.g. ${example}`);
  return {
    destination: containerPath("--volume", target, example),
    type: "bind",
    source: posix.resolve(cwd, host),
    options: ["rbind", mode],
  };
}

// The mount options of OCI `mounts` and of docker's flags, as the mount flag
// each sets or clears. Applied in order, so a later option wins (`ro,rw` is
// read-write, `nosuid,suid` allows setuid), as in mount(8) and docker.
export const MOUNT_OPTIONS: Record<string, { set?: MountOptionFlag; clear?: MountOptionFlag; rec?: boolean }> = {
  defaults: {},
  bind: {},
  rbind: { rec: true },
  ro: { set: "MS_RDONLY" },
  rw: { clear: "MS_RDONLY" },
  nosuid: { set: "MS_NOSUID" },
  suid: { clear: "MS_NOSUID" },
  nodev: { set: "MS_NODEV" },
  dev: { clear: "MS_NODEV" },
  noexec: { set: "MS_NOEXEC" },
  exec: { clear: "MS_NOEXEC" },
  sync: { set: "MS_SYNCHRONOUS" },
  async: { clear: "MS_SYNCHRONOUS" },
  dirsync: { set: "MS_DIRSYNC" },
  noatime: { set: "MS_NOATIME" },
  atime: { clear: "MS_NOATIME" },
  nodiratime: { set: "MS_NODIRATIME" },
  diratime: { clear: "MS_NODIRATIME" },
  relatime: { set: "MS_RELATIME" },
  norelatime: { clear: "MS_RELATIME" },
  strictatime: { set: "MS_STRICTATIME" },
  nostrictatime: { clear: "MS_STRICTATIME" },
};
export type MountOptionFlag =
  | "MS_RDONLY"
  | "MS_NOSUID"
  | "MS_NODEV"
  | "MS_NOEXEC"
  | "MS_SYNCHRONOUS"
  | "MS_DIRSYNC"
  | "MS_NOATIME"
  | "MS_NODIRATIME"
  | "MS_RELATIME"
  | "MS_STRICTATIME";

// Propagation, set by a mount(2) of its own once the mount exists.
export const PROPAGATION_OPTIONS: Record<string, { flag: "MS_PRIVATE" | "MS_SLAVE" | "MS_SHARED" | "MS_UNBINDABLE"; rec: boolean }> = {
  private: { flag: "MS_PRIVATE", rec: false },
  rprivate: { flag: "MS_PRIVATE", rec: true },
  slave: { flag: "MS_SLAVE", rec: false },
  rslave: { flag: "MS_SLAVE", rec: true },
  shared: { flag: "MS_SHARED", rec: false },
  rshared: { flag: "MS_SHARED", rec: true },
  unbindable: { flag: "MS_UNBINDABLE", rec: false },
  runbindable: { flag: "MS_UNBINDABLE", rec: true },
};

// PATH[:size=N,mode=OCTAL,ro,noexec,...], as docker's --tmpfs.
export function parseTmpfs(spec: string): Mount {
  const colon = spec.indexOf(":");
  const path = colon < 0 ? spec : spec.slice(0, colon);
  const example = "--tmpfs /scratch:size=64M";
  const options = ["nosuid", "nodev"];
  for (const opt of colon < 0 ? [] : spec.slice(colon + 1).split(",")) {
    const [key = "", value] = opt.split("=");
    if (key === "size" && value !== undefined) options.push(`size=${parseSize("--tmpfs", value)}`);
    else if (key === "mode" && value !== undefined && /^[0-7]{3,4}$/.test(value)) options.push(`mode=${value}`);
    else if (value === undefined && MOUNT_OPTIONS[key] && !key.endsWith("bind")) options.push(key);
    else throw new SpecError("--tmpfs", `${JSON.stringify(spec)}: unknown option ${JSON.stringify(opt)}`, `use size=N, mode=OCTAL, ro or noexec, e.g. ${example}`);
  }
  return { destination: containerPath("--tmpfs", path, example), type: "tmpfs", source: "tmpfs", options };
}

// docker's --mount: comma-separated KEY=VALUE, type=bind|tmpfs, the target
// required. A bind is recursive, as docker's --mount makes it; a relative
// source is taken from `cwd`. Keys of another type (tmpfs-size on a bind) are
// refused, as docker refuses them.
export function parseMountFlag(spec: string, cwd: string): Mount {
  const example = "--mount type=bind,source=/srv/data,target=/data,readonly";
  const fields = new Map<string, string | undefined>();
  for (const field of spec.split(",")) {
    const eq = field.indexOf("=");
    const key = (eq < 0 ? field : field.slice(0, eq)).trim().toLowerCase();
    fields.set({ src: "source", destination: "target", dst: "target", ro: "readonly" }[key] ?? key, eq < 0 ? undefined : field.slice(eq + 1));
  }
  const bad = (what: string, fix = `e.g. ${example}`) => new SpecError("--mount", `${JSON.stringify(spec)}: ${what}`, fix);
  const type = fields.get("type") ?? "volume";
  if (type !== "bind" && type !== "tmpfs") throw bad(`type ${JSON.stringify(type)} is not supported`, "use type=bind or type=tmpfs (contain has no volumes yet: bind a host directory)");
  const keys = type === "bind" ? ["type", "source", "target", "readonly", "bind-propagation"] : ["type", "target", "readonly", "tmpfs-size", "tmpfs-mode"];
  for (const key of fields.keys()) if (!keys.includes(key)) throw bad(`unknown key ${JSON.stringify(key)} for type=${type}`, `use ${keys.join(", ")}`);
  const target = fields.get("target");
  if (!target) throw bad("no target", `give the container path, e.g. ${example}`);
  const options = type === "bind" ? ["rbind"] : ["nosuid", "nodev"];
  if (fields.has("readonly")) {
    const ro = fields.get("readonly") ?? "true";
    if (!["true", "1", "false", "0"].includes(ro)) throw bad(`readonly=${ro} is not true or false`, "use readonly or readonly=false");
    options.push(ro === "true" || ro === "1" ? "ro" : "rw");
  }
  const propagation = fields.get("bind-propagation");
  if (propagation !== undefined) {
    if (!PROPAGATION_OPTIONS[propagation] || propagation.endsWith("unbindable")) throw bad(`unknown bind-propagation ${JSON.stringify(propagation)}`, "use private, rprivate, slave, rslave, shared or rshared");
    options.push(propagation);
  }
  const size = fields.get("tmpfs-size");
  if (size !== undefined) options.push(`size=${parseSize("--mount tmpfs-size", size)}`);
  const mode = fields.get("tmpfs-mode");
  if (mode !== undefined) {
    if (!/^[0-7]{3,4}$/.test(mode)) throw bad(`tmpfs-mode=${mode} is not an octal mode`, "e.g. tmpfs-mode=1777");
    options.push(`mode=${mode}`);
  }
  const destination = containerPath("--mount", target, example);
  if (type === "tmpfs") return { destination, type, source: "tmpfs", options };
  const source = fields.get("source");
  if (!source) throw bad("a bind mount needs a source", `give the host path, e.g. ${example}`);
  return { destination, type, source: posix.resolve(cwd, source), options };
}
