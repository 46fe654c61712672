// `contain run` flags to a Spec. Pure: values arrive as the user typed them.
import { SpecError } from "../errors.ts";
import { capabilitySet } from "./capabilities.ts";
import { parseDevice, parseDeviceCgroupRule, privilegedDevices, type HostDeviceLookup } from "./devices.ts";
import { DEFAULT_PATH, mergeEnv, type HostEnv } from "./env.ts";
import { imageCommand, imageEnv, imageLabels, imageUser, imageWorkdir, type ImageUse } from "./image-config.ts";
import { containerPath, DEFAULT_MOUNTS, parseMountFlag, parseTmpfs, parseVolume, withDefaultMounts, type Mount } from "./mounts.ts";
import { checkSysctl } from "./oci.ts";
import { parseUlimit } from "./rlimits.ts";
import { MAX_PIDS, type Spec } from "./schema.ts";
import { resolveGroup, resolveUser } from "./users.ts";
import { CPU_PERIOD_US, cpusToQuota, formatSize, parseCpu, parseInteger, parseNumber, parseSize } from "./units.ts";

export interface RunFlags {
  command: readonly string[];
  rootfs: string; // with an image, the overlay's merged directory
  image?: ImageUse; // its config under these flags (image-config.ts)
  hostname?: string;
  memory?: string;
  cpu?: string;
  cpus?: string;
  cpuQuota?: string;
  cpuPeriod?: string;
  cpuShares?: string;
  cpusetCpus?: string; // docker's --cpuset-cpus: "0-3,7"
  cpusetMems?: string;
  pids?: string;
  pidsLimit?: string; // docker's --pids-limit: 0 is no limit too
  env?: readonly string[];
  envFiles?: readonly string[]; // already parsed (spec/env.ts parseEnvFile), in order
  workdir?: string;
  user?: string;
  volumes?: readonly string[];
  tmpfs?: readonly string[];
  ulimits?: readonly string[];
  capAdd?: readonly string[];
  capDrop?: readonly string[];
  devices?: readonly string[]; // --device
  storageOpts?: readonly string[]; // --storage-opt
  logOpts?: readonly string[]; // --log-opt
  deviceCgroupRules?: readonly string[];
  privileged?: boolean;
  readOnly?: boolean;
  overlay?: boolean; // default true
  init?: boolean;
  securityOpt?: readonly string[];
  tty: boolean;
  stdin?: boolean; // -d -i: the command's stdin kept open, for contain attach
  hostNetwork?: boolean; // --net host: no network namespace
  // docker's everyday flags (issue 16, part A)
  mounts?: readonly string[]; // --mount KEY=VALUE,...
  shmSize?: string;
  sysctls?: readonly string[]; // KEY=VALUE
  groupAdd?: readonly string[];
  entrypoint?: string;
  domainname?: string;
  stopSignal?: string; // checked and named by the caller (SIGUSR1): signals are the host's
  stopTimeout?: string;
  // Memory beyond the limit, the OOM killer, labels, shared namespaces
  // (docker's flags of the same names).
  memorySwap?: string; // memory+swap, or -1
  memoryReservation?: string;
  oomScoreAdj?: string;
  oomKillDisable?: boolean;
  labels?: readonly string[]; // --label-file's lines, then --label's: KEY[=VALUE]
  pid?: string; // host, or container:NAME
  ipc?: string; // host, or container:NAME
  uts?: string; // host
  netContainer?: string; // --network container:NAME: the NAME
}

// What the flags refer to, read by the caller: the host's environment and
// working directory, the root filesystem's user database (an image's, read
// from its layers), seccomp profiles.
export interface FlagContext {
  hostEnv: HostEnv;
  cwd: string;
  passwd: string;
  group: string;
  readProfile: (file: string) => unknown; // --security-opt seccomp=FILE
  defaultSeccomp: unknown;
  hostDevices: HostDeviceLookup; // --device, --privileged
  pathExists: (path: string) => boolean; // a bind mount's host path
  hostname: string; // the host's: HOSTNAME with --uts host
  canLowerOomScore: boolean; // CAP_SYS_RESOURCE, which a negative --oom-score-adj needs
  // container:NAME of --pid, --ipc, --network: the running container's ID,
  // its namespace's path (/proc/<init>/ns/...) and its hostname.
  container: (flag: string, ref: string, type: SharedNamespace) => SharedContainer;
}

export type SharedNamespace = "pid" | "ipc" | "network";
export interface SharedContainer {
  id: string;
  path: string;
  hostname?: string;
}

// runc's and docker's lists: kernel interfaces that leak host data or let a
// container reconfigure the host. Masked paths are covered (an empty read-only
// tmpfs, or /dev/null for files); read-only ones stay visible.
export const MASKED_PATHS = [
  "/proc/asound",
  "/proc/acpi",
  "/proc/interrupts",
  "/proc/kcore",
  "/proc/keys",
  "/proc/latency_stats",
  "/proc/timer_list",
  "/proc/timer_stats",
  "/proc/sched_debug",
  "/proc/scsi",
  "/sys/firmware",
  "/sys/devices/virtual/powercap",
];
export const READONLY_PATHS = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

// The namespaces every container gets: CMD is PID 1, with its own mounts,
// hostname, IPC, network (loopback only for now) and cgroup view.
export const DEFAULT_NAMESPACES = ["pid", "uts", "mount", "ipc", "network", "cgroup"] as const;

// podman's default: a fork bomb stops at 2048 processes, not at the host's
// pid_max, while a build with make -j or a JVM's threads still has room.
export const DEFAULT_PIDS_LIMIT = 2048;

// -1 is docker's "no limit" (no pids.max written); so is 0 under docker's own
// name, --pids-limit. Under --pids, 0 stays what it says: no process at all.
function pidsFromFlags(flags: RunFlags): Spec["linux"]["resources"]["pids"] {
  if (flags.pids !== undefined && flags.pidsLimit !== undefined)
    throw new SpecError("--pids and --pids-limit", "both set the process limit", "use one of them, e.g. --pids 64");
  const [name, value] = flags.pidsLimit === undefined ? ["--pids", flags.pids] : ["--pids-limit", flags.pidsLimit];
  if (value === undefined) return { limit: DEFAULT_PIDS_LIMIT };
  const limit = parseInteger(name, value, `use 1 to ${MAX_PIDS}, or -1 for no limit, e.g. ${name} 64`);
  return limit === -1 || (limit === 0 && name === "--pids-limit") ? undefined : { limit };
}

// The flag the user typed for a Spec field that more than one flag sets, so
// that validateSpec's errors name it (--cpus, not --cpu).
export function typedFlags(flags: RunFlags): Record<string, string> {
  const names: Record<string, string> = {};
  if (flags.cpus !== undefined) names["linux.resources.cpu.quota"] = "--cpus";
  if (flags.cpuQuota !== undefined) names["linux.resources.cpu.quota"] = "--cpu-quota";
  if (flags.pidsLimit !== undefined) names["linux.resources.pids.limit"] = "--pids-limit";
  return names;
}

function cpuFromFlags(flags: RunFlags): NonNullable<Spec["linux"]["resources"]["cpu"]> | undefined {
  const given = (["cpu", "cpus", "cpuQuota"] as const).filter((k) => flags[k] !== undefined);
  if (given.length > 1) {
    const names = given.map((k) => `--${k.replace("Q", "-q")}`).join(" and ");
    throw new SpecError(names, "both set the CPU quota", "use one of them, e.g. --cpu 0.5");
  }
  const cpu: NonNullable<Spec["linux"]["resources"]["cpu"]> = {};
  if (flags.cpu !== undefined) Object.assign(cpu, parseCpu("--cpu", flags.cpu));
  if (flags.cpus !== undefined) Object.assign(cpu, cpusToQuota("--cpus", parseNumber("--cpus", flags.cpus, "e.g. --cpus 0.5")));
  if (flags.cpuQuota !== undefined) {
    const quota = parseInteger("--cpu-quota", flags.cpuQuota, "microseconds per period, e.g. --cpu-quota 50000, or -1 for no quota");
    // -1: docker's "no quota"
    if (quota !== -1) {
      cpu.quota = quota;
      cpu.period = CPU_PERIOD_US;
    }
  }
  if (flags.cpuPeriod !== undefined) {
    const period = parseInteger("--cpu-period", flags.cpuPeriod, "microseconds, e.g. --cpu-period 100000");
    // docker: the quota is absolute, so a new period changes the share. For
    // --cpu 0.5 / --cpus the fraction is what the user meant: keep it.
    if (cpu.quota !== undefined && flags.cpuQuota === undefined) cpu.quota = Math.round((cpu.quota / CPU_PERIOD_US) * period);
    cpu.period = period;
  }
  if (flags.cpuShares !== undefined) cpu.shares = parseInteger("--cpu-shares", flags.cpuShares, "e.g. --cpu-shares 512");
  // Checked by the Spec's schema; the kernel holds them to the CPUs and nodes there are.
  if (flags.cpusetCpus !== undefined) cpu.cpus = flags.cpusetCpus;
  if (flags.cpusetMems !== undefined) cpu.mems = flags.cpusetMems;
  return Object.keys(cpu).length ? cpu : undefined;
}

// The device nodes and the allowlist: docker's default (nothing beyond the
// runtime's own set, plan/devices.ts) plus --device and
// --device-cgroup-rule; --privileged allows every device and brings the
// host's nodes, as docker does.
function devicesFromFlags(flags: RunFlags, ctx: FlagContext): Pick<Spec["linux"], "devices"> & { rules: NonNullable<Spec["linux"]["resources"]["devices"]> } {
  const given = (flags.devices ?? []).map((d) => parseDevice(d, ctx.hostDevices));
  const cgroupRules = (flags.deviceCgroupRules ?? []).map(parseDeviceCgroupRule);
  const nodes = [...(flags.privileged ? privilegedDevices(ctx.hostDevices) : []), ...given.flatMap((g) => g.nodes)];
  // One node per path: a later one (--device over the host's set) wins.
  const byPath = new Map(nodes.map((n) => [n.path, n]));
  const rules = flags.privileged ? [{ allow: true, access: "rwm" }] : [{ allow: false, access: "rwm" }, ...cgroupRules, ...given.flatMap((g) => g.rules)];
  return { devices: [...byPath.values()], rules };
}

// --storage-opt size=SIZE, docker's only storage option that means anything
// without its storage drivers.
function storageFromFlags(flags: RunFlags): { storageSize?: number } {
  let size: number | undefined;
  for (const opt of flags.storageOpts ?? []) {
    const [key, value] = opt.split(/=(.*)/s);
    if (key !== "size" || !value) throw new SpecError("--storage-opt", `unknown option ${JSON.stringify(opt)}`, "use size=SIZE, e.g. --storage-opt size=1G");
    size = parseSize("--storage-opt size", value);
  }
  if (size !== undefined && flags.overlay === false)
    throw new SpecError("--storage-opt", "caps the copy-on-write layer, and --no-overlay has none", "leave out one of them");
  return size === undefined ? {} : { storageSize: size };
}

// --log-opt max-size=SIZE, max-file=N: docker's local driver's options.
function logFromFlags(flags: RunFlags): { log?: { maxSize?: number; maxFile?: number } } {
  const log: { maxSize?: number; maxFile?: number } = {};
  for (const opt of flags.logOpts ?? []) {
    const [key, value] = opt.split(/=(.*)/s);
    if (key === "max-size" && value) log.maxSize = parseSize("--log-opt max-size", value);
    else if (key === "max-file" && value) log.maxFile = parseInteger("--log-opt max-file", value, "a number of files, e.g. --log-opt max-file=3");
    else throw new SpecError("--log-opt", `unknown option ${JSON.stringify(opt)}`, "use max-size=SIZE or max-file=N, e.g. --log-opt max-size=10M");
  }
  return Object.keys(log).length ? { log } : {};
}

// -m, --memory-swap, --memory-reservation, --oom-kill-disable, docker's
// rules: swap counts memory plus swap and needs -m (0: not given, -1: no
// swap limit); the reservation is a soft limit, at most the hard one.
function memoryFromFlags(flags: RunFlags): Spec["linux"]["resources"]["memory"] {
  const memory: NonNullable<Spec["linux"]["resources"]["memory"]> = {};
  const limit = flags.memory === undefined ? undefined : parseSize("--memory", flags.memory);
  // swap = limit: no swap on top of the limit, so the limit is real.
  if (limit !== undefined) Object.assign(memory, { limit, swap: limit });
  if (flags.memorySwap !== undefined && flags.memorySwap !== "0") {
    if (limit === undefined) throw new SpecError("--memory-swap", "limits memory plus swap, and needs --memory", "give both, e.g. --memory 64M --memory-swap 128M");
    const swap = flags.memorySwap === "-1" ? -1 : parseSize("--memory-swap", flags.memorySwap);
    if (swap !== -1 && swap < limit)
      throw new SpecError("--memory-swap", `${formatSize(swap)} is below --memory ${formatSize(limit)}: it counts memory plus swap`, `use at least --memory-swap ${formatSize(limit)} (no swap), or -1 for no swap limit`);
    memory.swap = swap;
  }
  if (flags.memoryReservation !== undefined) {
    const reservation = parseSize("--memory-reservation", flags.memoryReservation);
    if (limit !== undefined && reservation > limit)
      throw new SpecError("--memory-reservation", `${formatSize(reservation)} is above --memory ${formatSize(limit)}`, "a soft limit lies below the hard one: lower it, or raise --memory");
    memory.reservation = reservation;
  }
  if (flags.oomKillDisable) memory.disableOOMKiller = true;
  return Object.keys(memory).length ? memory : undefined;
}

// The kernel lets a process lower its OOM score (below the score it
// inherited) only with CAP_SYS_RESOURCE: refused here, by the flag, rather
// than by the init's write.
function oomScoreAdjFromFlags(flags: RunFlags, ctx: FlagContext): number | undefined {
  if (flags.oomScoreAdj === undefined) return undefined;
  const hint = "use -1000 to 1000: the higher, the sooner the OOM killer picks it";
  const n = parseInteger("--oom-score-adj", flags.oomScoreAdj, hint);
  if (n < -1000 || n > 1000) throw new SpecError("--oom-score-adj", `${n} is out of range`, hint);
  if (n < 0 && !ctx.canLowerOomScore)
    throw new SpecError("--oom-score-adj", `${n} lowers the OOM score, which the kernel allows only with CAP_SYS_RESOURCE, and contain runs without it here`, "use 0 to 1000, or run contain with CAP_SYS_RESOURCE");
  return n;
}

// --label-file: a label a line, blank lines and # comments skipped (docker's).
export function parseLabelFile(text: string): string[] {
  return text
    .split("\n")
    .map((l) => l.replace(/\r$/, "").trim())
    .filter((l) => l && !l.startsWith("#"));
}

// KEY=VALUE, or a bare KEY with an empty value (docker's); a later one wins.
// They are the Spec's annotations, which inspect and ps --filter label= read.
function labelsFromFlags(flags: RunFlags): Record<string, string> | undefined {
  const labels: Record<string, string> = flags.image ? imageLabels(flags.image) : {};
  for (const l of flags.labels ?? []) {
    const eq = l.indexOf("=");
    const key = eq < 0 ? l : l.slice(0, eq);
    if (!key.trim()) throw new SpecError("--label", `${JSON.stringify(l)} has no key`, "use KEY=VALUE, e.g. --label tier=front");
    labels[key] = eq < 0 ? "" : l.slice(eq + 1);
  }
  return Object.keys(labels).length ? labels : undefined;
}

interface Namespaces {
  namespaces: { type: (typeof DEFAULT_NAMESPACES)[number]; path?: string }[];
  joined: Partial<Record<SharedNamespace, string>>; // the IDs of the containers joined
  hostname?: string; // --network container:'s: the other container's
}

// --pid, --ipc (host or container:NAME), --uts host and --net host or
// container:NAME: a namespace of the host's kept (none made), or a running
// container's joined by path.
function namespacesFromFlags(flags: RunFlags, ctx: FlagContext): Namespaces {
  const joined: Namespaces["joined"] = {};
  const paths: Partial<Record<SharedNamespace, string>> = {};
  const host = new Set<string>(flags.hostNetwork ? ["network"] : []);
  let hostname: string | undefined;
  const share = (flag: string, type: SharedNamespace, ref: string) => {
    if (!ref) throw new SpecError(flag, "container: needs a NAME", `e.g. ${flag} container:web`);
    const c = ctx.container(flag, ref, type);
    joined[type] = c.id;
    paths[type] = c.path;
    if (type === "network") hostname = c.hostname ?? c.id.slice(0, 12);
  };
  for (const [flag, type, mode] of [["--pid", "pid", flags.pid], ["--ipc", "ipc", flags.ipc]] as const) {
    if (mode === undefined) continue;
    if (mode === "host") host.add(type);
    else if (mode.startsWith("container:")) share(flag, type, mode.slice("container:".length));
    else throw new SpecError(flag, `unknown mode ${JSON.stringify(mode)}`, `use host or container:NAME, e.g. ${flag} container:web`);
  }
  if (flags.uts === "host") host.add("uts");
  else if (flags.uts !== undefined) throw new SpecError("--uts", `unknown mode ${JSON.stringify(flags.uts)}`, "use host: docker's only other mode is the default, a UTS namespace of its own");
  if (flags.netContainer !== undefined) share("--network", "network", flags.netContainer);
  // docker's conflicts: the name is the host's, or the other container's.
  if (flags.hostname !== undefined && host.has("uts")) throw new SpecError("--hostname", "conflicts with --uts host: it would rename the host", "leave one of them out");
  if (flags.domainname !== undefined && host.has("uts")) throw new SpecError("--domainname", "conflicts with --uts host: it would rename the host's domain", "leave one of them out");
  if (flags.hostname !== undefined && flags.netContainer !== undefined)
    throw new SpecError("--hostname", "conflicts with --network container: the container takes the other's name", "leave one of them out");
  const namespaces = DEFAULT_NAMESPACES.filter((t) => !host.has(t)).map((type) => (type === "pid" || type === "ipc" || type === "network") && paths[type] ? { type, path: paths[type] } : { type });
  return { namespaces, joined, ...(hostname !== undefined && { hostname }) };
}

interface Security {
  seccomp?: unknown;
  noNewPrivileges: boolean;
}

// --security-opt, docker's keys: seccomp=unconfined|FILE, no-new-privileges[=BOOL].
function securityFromFlags(flags: RunFlags, ctx: FlagContext): Security {
  const security: Security = { seccomp: flags.privileged ? undefined : ctx.defaultSeccomp, noNewPrivileges: !flags.privileged };
  for (const opt of flags.securityOpt ?? []) {
    const [key = "", value] = opt.split(/[=:](.*)/s);
    if (key === "seccomp" && value) security.seccomp = value === "unconfined" ? undefined : ctx.readProfile(value);
    else if (key === "no-new-privileges" && (value === undefined || value === "true" || value === "false")) security.noNewPrivileges = value !== "false";
    else
      throw new SpecError("--security-opt", `unknown option ${JSON.stringify(opt)}`, "use seccomp=unconfined, seccomp=PROFILE.json or no-new-privileges[=false]");
  }
  return security;
}

// -v, --tmpfs and --mount, a parent before what is mounted under it whatever
// the order of the flags (docker sorts them the same way): --tmpfs /run must
// not hide -v DIR:/run/sub. A bind's host path must exist: docker's --mount
// refuses a missing one, and -v here never makes one on the host.
function mountsFromFlags(flags: RunFlags, ctx: FlagContext): Mount[] {
  const given = [
    ...(flags.volumes ?? []).map((v) => ({ flag: "--volume", mount: parseVolume(v, ctx.cwd) })),
    ...(flags.tmpfs ?? []).map((t) => ({ flag: "--tmpfs", mount: parseTmpfs(t) })),
    ...(flags.mounts ?? []).map((m) => ({ flag: "--mount", mount: parseMountFlag(m, ctx.cwd) })),
  ];
  const seen = new Set<string>();
  for (const { flag, mount: m } of given) {
    if (seen.has(m.destination)) throw new SpecError(flag, `${m.destination} is mounted twice`, "give each container path once");
    seen.add(m.destination);
    if (m.type === "bind" && !ctx.pathExists(m.source)) throw new SpecError(flag, `host path ${m.source} does not exist`, `create it first (mkdir -p ${m.source}) or fix the path`);
  }
  if (flags.shmSize !== undefined && seen.has("/dev/shm")) throw new SpecError("--shm-size", "and a mount at /dev/shm both set /dev/shm", "leave out one of them, or give the mount's size");
  const depth = (m: Mount) => m.destination.split("/").filter(Boolean).length;
  return given.map((g) => g.mount).sort((a, b) => depth(a) - depth(b));
}

// --shm-size: the default /dev/shm with another size (docker's is 64M).
function shmMount(flags: RunFlags): Mount[] {
  if (flags.shmSize === undefined) return [];
  const size = parseSize("--shm-size", flags.shmSize);
  // tmpfs takes size=0 as no limit at all
  if (size === 0) throw new SpecError("--shm-size", "0 would be no limit: tmpfs takes size=0 as unlimited", "give a size, e.g. --shm-size 256M");
  const shm = DEFAULT_MOUNTS.find((m) => m.destination === "/dev/shm");
  return shm ? [{ ...shm, options: [...shm.options.filter((o) => !o.startsWith("size=")), `size=${size}`] }] : [];
}

// --sysctl KEY=VALUE into linux.sysctl, each key held to the namespaces the
// container has of its own, by the rule config.json's keys follow.
function sysctlsFromFlags(flags: RunFlags, namespaces: ReadonlySet<string>): Record<string, string> | undefined {
  if (!flags.sysctls?.length) return undefined;
  const sysctl: Record<string, string> = {};
  for (const kv of flags.sysctls) {
    const eq = kv.indexOf("=");
    if (eq <= 0) throw new SpecError("--sysctl", `${JSON.stringify(kv)} is not KEY=VALUE`, "e.g. --sysctl net.ipv4.ip_unprivileged_port_start=0");
    const key = kv.slice(0, eq);
    checkSysctl(key, namespaces, `--sysctl ${key}`, (ns) => `leave out --${ns === "network" ? "net" : ns} host, or this sysctl`);
    sysctl[key] = kv.slice(eq + 1);
  }
  return sysctl;
}

// docker's Config.StopSignal and StopTimeout: what `stop` sends and waits
// when its own line does not say.
function stopFromFlags(flags: RunFlags): { stopSignal?: string; stopTimeout?: number } {
  const stop: { stopSignal?: string; stopTimeout?: number } = {};
  if (flags.stopSignal !== undefined) stop.stopSignal = flags.stopSignal;
  if (flags.stopTimeout !== undefined) stop.stopTimeout = parseInteger("--stop-timeout", flags.stopTimeout, "seconds, e.g. --stop-timeout 30");
  return stop;
}

// docker's rule: a privileged container's cgroups are writable (with every
// capability it could mount a cgroup filesystem anyway).
const writable = (m: Mount): Mount => ({ ...m, options: m.options.map((o) => (o === "ro" ? "rw" : o)) });

export function specFromFlags(flags: RunFlags, id: string, ctx: FlagContext): unknown {
  const shared = namespacesFromFlags(flags, ctx);
  // With --uts host the name is the host's: none is set.
  const ownUts = shared.namespaces.some((n) => n.type === "uts");
  const hostname = flags.hostname ?? shared.hostname ?? (ownUts ? id.slice(0, 12) : ctx.hostname);
  const oomScoreAdj = oomScoreAdjFromFlags(flags, ctx);
  const labels = labelsFromFlags(flags);
  const user =
    flags.user !== undefined ? resolveUser(flags.user, ctx.passwd, ctx.group) : flags.image ? imageUser(flags.image, ctx.passwd, ctx.group) : { uid: 0, gid: 0, additionalGids: [] as number[] };
  const groupAdd = (flags.groupAdd ?? []).map((g) => resolveGroup(g, ctx.group));
  const additionalGids = [...new Set([...user.additionalGids, ...groupAdd])];
  // A sysctl is set only in a namespace of the container's own.
  const sysctl = sysctlsFromFlags(flags, new Set(shared.namespaces.filter((n) => n.path === undefined).map((n) => n.type)));
  // Without an image, --entrypoint is the command's first word, the command
  // its arguments (docker's ENTRYPOINT + CMD); "" resets it, as docker's.
  const command = flags.image
    ? imageCommand(flags.image, flags.command, flags.entrypoint)
    : { entrypoint: flags.entrypoint ? [flags.entrypoint] : [], args: [...(flags.entrypoint ? [flags.entrypoint] : []), ...flags.command] };
  const { entrypoint } = command;
  const defaults = [`PATH=${DEFAULT_PATH}`, `HOSTNAME=${hostname}`, `HOME=${user.home ?? (user.uid === 0 ? "/root" : "/")}`, ...(flags.tty ? ["TERM=xterm"] : [])];
  const env = mergeEnv([...defaults, ...(flags.image ? imageEnv(flags.image) : []), ...(flags.envFiles ?? [])], flags.env ?? [], ctx.hostEnv);
  const imageDir = flags.image && imageWorkdir(flags.image);
  const caps = flags.privileged ? capabilitySet(["ALL"], []) : capabilitySet(flags.capAdd ?? [], flags.capDrop ?? []);
  const security = securityFromFlags(flags, ctx);
  const resources: Spec["linux"]["resources"] = {};
  const memory = memoryFromFlags(flags);
  if (memory) resources.memory = memory;
  const cpu = cpuFromFlags(flags);
  if (cpu) resources.cpu = cpu;
  const pids = pidsFromFlags(flags);
  if (pids) resources.pids = pids;
  const devices = devicesFromFlags(flags, ctx);
  resources.devices = devices.rules;
  return {
    ociVersion: "1.2.0",
    process: {
      terminal: flags.tty,
      ...(oomScoreAdj !== undefined && { oomScoreAdj }),
      args: command.args,
      env,
      cwd: flags.workdir === undefined ? (imageDir ?? "/") : containerPath("--workdir", flags.workdir, "--workdir /src"),
      user: { uid: user.uid, gid: user.gid, umask: 0o022, additionalGids },
      rlimits: (flags.ulimits ?? []).map(parseUlimit),
      // The inheritable set stays empty, as runc and moby do since
      // CVE-2022-24769: with it, a non-root exec of a file with inheritable
      // file capabilities would gain them.
      capabilities: { bounding: caps, effective: caps, permitted: caps, inheritable: [] },
      noNewPrivileges: security.noNewPrivileges,
    },
    root: { path: flags.rootfs, readonly: flags.readOnly === true },
    mounts: withDefaultMounts([...shmMount(flags), ...mountsFromFlags(flags, ctx)]).map((m) => (flags.privileged && m.type === "cgroup" ? writable(m) : m)),
    ...(ownUts && { hostname }),
    ...(flags.domainname !== undefined && { domainname: flags.domainname }),
    ...(labels && { annotations: labels }),
    linux: {
      namespaces: shared.namespaces,
      ...(sysctl && { sysctl }),
      devices: devices.devices,
      resources,
      maskedPaths: flags.privileged ? [] : MASKED_PATHS,
      readonlyPaths: flags.privileged ? [] : READONLY_PATHS,
      ...(security.seccomp === undefined ? {} : { seccomp: security.seccomp }),
    },
    contain: {
      init: flags.init === true,
      overlay: flags.overlay !== false,
      ...(flags.stdin && { stdin: true }),
      ...storageFromFlags(flags),
      ...logFromFlags(flags),
      ...stopFromFlags(flags),
      ...(flags.groupAdd?.length && { groupAdd: [...flags.groupAdd] }),
      ...(entrypoint.length && { entrypoint }),
      ...(flags.image && { image: { name: flags.image.name, id: flags.image.id, layers: [...flags.image.layers] } }),
      ...(Object.keys(shared.joined).length && { joined: shared.joined }),
    },
  };
}
