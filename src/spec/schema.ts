// The Spec: a subset of the OCI runtime config (config.json), grown toward the
// whole of it. `run` flags and, later, an OCI bundle both end up as this object.
import * as v from "valibot";
import { SpecError } from "../errors.ts";
import { CAPABILITIES } from "./capabilities.ts";
import { DIGEST_RE } from "./image.ts";
import { MOUNT_TYPES, PROPAGATION_OPTIONS } from "./mounts.ts";
import { RLIMIT_NUMBER, type RlimitType } from "./rlimits.ts";
import { formatSize } from "./units.ts";
import { checkQuota, runChecks, SPEC_CHECKS, type HostFacts, type Typed } from "./validate.ts";

export const NAMESPACE_TYPES = ["pid", "network", "mount", "ipc", "uts", "cgroup", "user"] as const;
export type NamespaceType = (typeof NAMESPACE_TYPES)[number];

// The smallest memory limit allowed. Measured here: 256K still runs a static
// /bin/true and 512K a busybox shell, but the kernel charges memory in per-CPU
// batches of 256K, so limits that small fail at random; 1M leaves a shell room.
export const MIN_MEMORY = 1024 * 1024;
export const MAX_PIDS = 4194304; // PID_MAX_LIMIT on 64-bit kernels
// The smallest ext4 mkfs.ext4 makes without complaint, and room for a layer.
export const MIN_STORAGE = 4 * 1024 * 1024;
// A log file holds at least one whole entry of a 16 KiB line piece.
export const MIN_LOG_SIZE = 64 * 1024;

// RFC 1123: labels of letters, digits and inner hyphens, joined by dots; the
// kernel takes at most 64 bytes (__NEW_UTS_LEN).
const HOSTNAME_RE = /^(?=.{1,64}$)[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)*$/;

const uint = v.pipe(v.number(), v.integer(), v.minValue(0));

export const HOOK_KINDS = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"] as const;
export type HookKind = (typeof HOOK_KINDS)[number];
const Hook = v.object({
  path: v.pipe(v.string(), v.startsWith("/", "must be an absolute path")),
  args: v.optional(v.array(v.string())),
  env: v.optional(v.array(v.pipe(v.string(), v.includes("=", "must be KEY=VALUE")))),
  timeout: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1, "must be at least 1 second"))),
});

// A device number in a cgroup rule: -1, null or absent is "any" (OCI).
const deviceNumber = v.optional(v.nullable(v.pipe(v.number(), v.integer(), v.minValue(-1))));

// Device nodes live in the container's own /dev (a fresh tmpfs), never
// elsewhere in the image's tree.
const devicePath = v.pipe(
  v.string(),
  v.startsWith("/dev/", (i) => `${JSON.stringify(i.input)} is not under /dev/`),
  v.check((p) => !p.split("/").includes(".."), (i) => `${JSON.stringify(i.input)} contains ".."`),
);

// -1: no limit (OCI), or a number of at least `min`.
const limitOrNone = (min: number, below: (n: number) => string) =>
  v.pipe(
    v.number(),
    v.integer(),
    v.check((n) => n === -1 || n >= min, (i) => below(Number(i.input))),
  );

// A cpuset list, as the kernel reads cpuset.cpus and cpuset.mems: "0-3,7".
// Empty is none given (runc writes nothing then).
const CPU_LIST_RE = /^(\d+(-\d+)?(,\d+(-\d+)?)*)?$/;
const cpuList = v.pipe(v.string(), v.regex(CPU_LIST_RE, (i) => `${JSON.stringify(i.input)} is not a list such as "0-3,7"`));

// A file of the container's own cgroup directory, nothing outside it.
const cgroupFileName = v.pipe(
  v.string(),
  v.check((k) => k !== "" && k !== "." && k !== ".." && !k.includes("/") && !k.includes("\0"), (i) => `${JSON.stringify(i.input)} is not a file name of the cgroup's directory (no "/", no "..")`),
);

// linux.resources (config-linux.md): what `create` applies and `update` changes.
export const ResourcesSchema = v.object({
  memory: v.optional(
    v.object({
      limit: v.optional(limitOrNone(MIN_MEMORY, (n) => (n < 0 ? `${n} is not a limit (-1 for none)` : `${formatSize(n)} is below the smallest limit that works (${formatSize(MIN_MEMORY)})`))),
      // memory+swap; -1: no limit on swap
      swap: v.optional(v.pipe(v.number(), v.integer(), v.minValue(-1, (i) => `${i.input} is not a limit (-1 for none)`))),
      // the soft limit (v1 memory.soft_limit_in_bytes, v2 memory.low)
      reservation: v.optional(limitOrNone(0, (n) => `${n} is not a limit (-1 for none)`)),
      swappiness: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0, "must be 0 to 100"), v.maxValue(100, "must be 0 to 100"))),
      disableOOMKiller: v.optional(v.boolean()),
    }),
  ),
  cpu: v.optional(
    v.object({
      shares: v.optional(v.pipe(v.number(), v.integer(), v.minValue(2, "must be at least 2"), v.maxValue(262144, "must be at most 262144"))),
      quota: v.optional(limitOrNone(1000, (n) => (n < 0 ? `${n} is not a quota (-1 for none)` : `quota ${n}us is below the kernel's minimum of 1000us`))),
      period: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1000, "must be at least 1000us"), v.maxValue(1_000_000, "must be at most 1000000us (1s)"))),
      cpus: v.optional(cpuList),
      mems: v.optional(cpuList),
    }),
  ),
  pids: v.optional(
    v.object({
      limit: v.pipe(
        v.number(),
        v.integer(),
        v.check((n) => n !== 0, "0 allows no process at all"),
        v.check((n) => n >= -1, (i) => `${i.input} is not a number of processes`),
        v.maxValue(MAX_PIDS, (i) => `${i.input} is above the kernel's limit of ${MAX_PIDS} processes`),
      ),
    }),
  ),
  // hugetlb.<pageSize>.limit_in_bytes (v1), hugetlb.<pageSize>.max (v2)
  hugepageLimits: v.optional(
    v.array(
      v.object({
        pageSize: v.pipe(v.string(), v.regex(/^\d+[KMGT]?B$/, (i) => `${JSON.stringify(i.input)} is not a page size such as "2MB" or "1GB"`)),
        limit: uint,
      }),
    ),
  ),
  // cgroup v2 files of the container's cgroup, written as they are
  unified: v.optional(v.record(cgroupFileName, v.string())),
  // The device allowlist, applied in order after an implicit deny of
  // everything (devices.deny "a" on v1; no match is a denial on v2).
  devices: v.optional(
    v.array(
      v.object({
        allow: v.boolean(),
        type: v.optional(v.picklist(["a", "b", "c"], (i) => `${JSON.stringify(i.input)} is not a, b or c`)),
        major: deviceNumber,
        minor: deviceNumber,
        access: v.optional(v.pipe(v.string(), v.regex(/^[rwm]+$/, (i) => `${JSON.stringify(i.input)} is not r, w and m (one at least)`))),
      }),
    ),
  ),
});

export type Resources = v.InferOutput<typeof ResourcesSchema>;

export const SpecSchema = v.object({
  ociVersion: v.string(),
  process: v.object({
    terminal: v.optional(v.boolean(), false),
    // the terminal's rows and columns, when it is given one
    consoleSize: v.optional(v.object({ height: uint, width: uint })),
    oomScoreAdj: v.optional(v.pipe(v.number(), v.integer(), v.minValue(-1000), v.maxValue(1000))),
    // refused where the host enforces that LSM, ignored where it has none (runtime/host-checks.ts)
    apparmorProfile: v.optional(v.string()),
    selinuxLabel: v.optional(v.string()),
    args: v.pipe(v.array(v.string()), v.minLength(1, "no command given")),
    env: v.array(v.pipe(v.string(), v.includes("=", "must be KEY=VALUE"))),
    cwd: v.pipe(v.string(), v.startsWith("/", "must be an absolute path")),
    // umask: absent means 0022, as runc and docker give, whatever the caller's.
    user: v.object({ uid: uint, gid: uint, umask: v.optional(v.pipe(uint, v.maxValue(0o777))), additionalGids: v.optional(v.array(uint)) }),
    rlimits: v.optional(
      v.array(
        v.object({
          type: v.picklist(Object.keys(RLIMIT_NUMBER) as RlimitType[]),
          soft: v.pipe(v.number(), v.integer(), v.minValue(-1)), // -1: unlimited
          hard: v.pipe(v.number(), v.integer(), v.minValue(-1)),
        }),
      ),
    ),
    capabilities: v.optional(
      v.object({
        bounding: v.array(v.picklist(CAPABILITIES)),
        effective: v.array(v.picklist(CAPABILITIES)),
        permitted: v.array(v.picklist(CAPABILITIES)),
        inheritable: v.optional(v.array(v.picklist(CAPABILITIES))),
      }),
    ),
    noNewPrivileges: v.optional(v.boolean()),
  }),
  root: v.object({ path: v.pipe(v.string(), v.minLength(1)), readonly: v.boolean() }),
  mounts: v.optional(
    v.array(
      v.pipe(
        v.object({
          destination: v.pipe(v.string(), v.startsWith("/", "must be an absolute path")),
          type: v.picklist(MOUNT_TYPES, (i) => `${JSON.stringify(i.input)} is not a mount type contain supports (${MOUNT_TYPES.join(", ")})`),
          // config.md: both optional; a filesystem's source is then its type's name
          source: v.optional(v.string()),
          options: v.optional(v.array(v.string()), []),
        }),
        v.check((m) => m.type !== "bind" || m.source !== undefined, "a bind mount needs a source"),
        v.transform((m) => ({ ...m, source: m.source ?? m.type })),
      ),
    ),
  ),
  // absent: the UTS namespace keeps the name it was made with (OCI)
  hostname: v.optional(v.pipe(
    v.string(),
    v.maxLength(64, (i) => `${JSON.stringify(i.input)} is longer than 64 characters`),
    v.regex(HOSTNAME_RE, (i) => `${JSON.stringify(i.input)} has invalid characters (letters, digits, '-' and '.' only)`),
  )),
  // the UTS namespace's NIS domain name (setdomainname(2)), as docker's --domainname
  domainname: v.optional(v.pipe(
    v.string(),
    v.maxLength(64, (i) => `${JSON.stringify(i.input)} is longer than 64 characters`),
    v.regex(HOSTNAME_RE, (i) => `${JSON.stringify(i.input)} has invalid characters (letters, digits, '-' and '.' only)`),
  )),
  annotations: v.optional(v.record(v.string(), v.string())),
  // config.md's hooks: programs the runtime runs at points of the lifecycle
  // (runtime/hooks.ts), with the container's state on stdin.
  hooks: v.optional(v.partial(v.object(Object.fromEntries(HOOK_KINDS.map((k) => [k, v.array(Hook)])) as Record<HookKind, v.ArraySchema<typeof Hook, undefined>>))),
  linux: v.object({
    // path: join that namespace (network, ipc, uts) instead of making one
    namespaces: v.array(v.object({ type: v.picklist(NAMESPACE_TYPES), path: v.optional(v.pipe(v.string(), v.startsWith("/", "must be an absolute path"))) })),
    // where the container's cgroup goes, as runc reads it (linux/cgroups/index.ts)
    cgroupsPath: v.optional(v.pipe(v.string(), v.check((p) => !p.split("/").includes(".."), (i) => `${JSON.stringify(i.input)} contains ".."`))),
    sysctl: v.optional(v.record(v.string(), v.string())),
    mountLabel: v.optional(v.string()),
    // the propagation of the container's mount tree (runc's default: rslave)
    rootfsPropagation: v.optional(v.picklist(Object.keys(PROPAGATION_OPTIONS), (i) => `${JSON.stringify(i.input)} is not a propagation (${Object.keys(PROPAGATION_OPTIONS).join(", ")})`)),
    // The device nodes the container gets beside the runtime's defaults
    // (plan/devices.ts); whether it may use them is linux.resources.devices.
    devices: v.optional(
      v.array(
        v.object({
          path: devicePath,
          type: v.picklist(["c", "b", "u", "p"], (i) => `${JSON.stringify(i.input)} is not a device type (c, b, u or p)`),
          major: v.optional(uint),
          minor: v.optional(uint),
          fileMode: v.optional(v.pipe(uint, v.maxValue(0o7777))),
          uid: v.optional(uint),
          gid: v.optional(uint),
        }),
      ),
    ),
    maskedPaths: v.optional(v.array(v.pipe(v.string(), v.startsWith("/", "must be an absolute path")))),
    readonlyPaths: v.optional(v.array(v.pipe(v.string(), v.startsWith("/", "must be an absolute path")))),
    seccomp: v.optional(v.unknown()), // checked by plan/seccomp against its own schema
    resources: ResourcesSchema,
  }),
  // contain's own settings, beyond the OCI config.
  contain: v.optional(
    v.object({
      init: v.boolean(), // --init: a tiny PID 1 runs the command
      overlay: v.boolean(), // the root is a copy-on-write overlay on root.path
      // -d -i: the command's stdin is a pipe its monitor holds, which
      // contain attach writes to
      stdin: v.optional(v.boolean()),
      // --storage-opt size=: the writable layer on a filesystem of this many
      // bytes of its own, so the container's writes meet ENOSPC there
      storageSize: v.optional(v.pipe(v.number(), v.integer(), v.minValue(MIN_STORAGE, `must be at least ${formatSize(MIN_STORAGE)}`))),
      // --pid, --ipc, --network container:NAME: the ID of the container whose
      // namespace linux.namespaces names by path (inspect shows it; a start
      // finds its namespaces again, runtime/start.ts)
      joined: v.optional(v.partial(v.object({ pid: v.string(), ipc: v.string(), network: v.string() }))),
      // --log-opt: a detached container's log files (plan.ts LOG_DEFAULTS)
      log: v.optional(
        v.object({
          maxSize: v.optional(v.pipe(v.number(), v.integer(), v.minValue(MIN_LOG_SIZE, `max-size must be at least ${formatSize(MIN_LOG_SIZE)}`))),
          maxFile: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1, "max-file must be at least 1"), v.maxValue(100, "max-file must be at most 100"))),
        }),
      ),
      // --stop-signal (a name, SIGUSR1) and --stop-timeout (seconds): what
      // `stop` and `restart` use when their line gives none
      stopSignal: v.optional(v.pipe(v.string(), v.regex(/^(SIG[A-Z0-9+]+|\d+)$/, (i) => `${JSON.stringify(i.input)} is not a signal name such as SIGTERM`))),
      stopTimeout: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0, (i) => `${i.input} is not a number of seconds`))),
      // as typed, for inspect's HostConfig.GroupAdd (the gids are the user's additionalGids)
      groupAdd: v.optional(v.array(v.string())),
      // --entrypoint or the image's, for inspect's Config.Entrypoint (process.args begins with it)
      entrypoint: v.optional(v.array(v.string())),
      // The image the root is made of (docker's Config.Image and Image): its
      // name as given, its ID, its layers' diff IDs bottom first. root.path
      // is then the overlay's merged directory, as in docker's config.json.
      image: v.optional(
        v.object({
          name: v.pipe(v.string(), v.minLength(1)),
          id: v.pipe(v.string(), v.regex(DIGEST_RE, (i) => `${JSON.stringify(i.input)} is not an image ID (sha256:<64 hex>)`)),
          layers: v.array(v.pipe(v.string(), v.regex(DIGEST_RE, (i) => `${JSON.stringify(i.input)} is not a layer's diff ID (sha256:<64 hex>)`))),
        }),
      ),
    }),
  ),
});

export type Spec = v.InferOutput<typeof SpecSchema>;

// Where a Spec field came from on the command line, so an error names the flag.
const FLAG_OF: Record<string, string> = {
  "process.args": "command",
  "process.env": "--env",
  "process.cwd": "--workdir",
  "process.user.uid": "--user",
  "process.user.gid": "--user",
  "process.rlimits": "--ulimit",
  "process.capabilities": "--cap-add",
  mounts: "--volume",
  "root.path": "--rootfs",
  hostname: "--hostname",
  domainname: "--domainname",
  "contain.stopTimeout": "--stop-timeout",
  "linux.resources.memory.limit": "--memory",
  "linux.resources.memory.swap": "--memory-swap",
  "linux.resources.memory.reservation": "--memory-reservation",
  "process.oomScoreAdj": "--oom-score-adj",
  "linux.resources.cpu.cpus": "--cpuset-cpus",
  "linux.resources.cpu.mems": "--cpuset-mems",
  "linux.resources.cpu.shares": "--cpu-shares",
  "linux.resources.cpu.quota": "--cpu",
  "linux.resources.cpu.period": "--cpu-period",
  "linux.resources.pids.limit": "--pids",
  "linux.devices": "--device",
  "linux.resources.devices": "--device-cgroup-rule",
  "contain.storageSize": "--storage-opt",
  "contain.log": "--log-opt",
};

const HINT_OF: Record<string, string> = {
  "process.args": "give the command after --, e.g. contain run -- /bin/sh",
  hostname: "use at most 64 letters, digits, '-' and '.'",
  domainname: "use at most 64 letters, digits, '-' and '.', e.g. --domainname example.com",
  "contain.stopTimeout": "use 0 or more seconds, e.g. --stop-timeout 30",
  "linux.resources.memory.limit": `use at least ${formatSize(MIN_MEMORY)}, e.g. --memory 64M`,
  "linux.resources.pids.limit": `use 1 to ${MAX_PIDS}, or -1 for no limit, e.g. --pids 64`,
  "linux.resources.cpu.quota": "use at least 0.01 CPUs or 1000us, e.g. --cpu 0.5",
  "linux.resources.cpu.cpus": "give CPU numbers and ranges, e.g. --cpuset-cpus 0-1,3 (nproc counts them from 0)",
  "linux.resources.cpu.mems": "give memory node numbers and ranges, e.g. --cpuset-mems 0",
};

// An issue's place as JSON names it: mounts[2].destination, and a key that
// is no identifier quoted (unified["memory.high"]).
function jsonPath(issue: v.BaseIssue<unknown>, under: string): string | undefined {
  if (!issue.path?.length) return undefined;
  const parts = issue.path.map((p) => {
    const key = p.key;
    if (typeof key === "number") return `[${key}]`;
    return /^[A-Za-z_$][\w$]*$/.test(String(key)) ? `.${String(key)}` : `[${JSON.stringify(key)}]`;
  });
  const path = `${under}${parts.join("")}`;
  return path.startsWith(".") ? path.slice(1) : path;
}

// The SpecError of a schema issue: as a flag where one exists (`typed` names
// the one the user gave where several set a field), or, for JSON ("json"),
// as its JSON path (linux.resources.memory.limit, mounts[2].destination).
// `under` is where the validated object sits in the Spec.
function issueError(issue: v.BaseIssue<unknown>, typed: Typed, under = ""): SpecError {
  const dotted = v.getDotPath(issue);
  const path = dotted === null ? (under ? under.slice(0, -1) : "spec") : `${under}${dotted}`;
  if (typed === "json") return new SpecError(jsonPath(issue, under.slice(0, -1)) ?? path, issue.message);
  // The flag of the nearest named field: process.rlimits.0.soft is --ulimit.
  const segments = path.split(".").filter((s) => !/^\d+$/.test(s));
  const key = segments.map((_, i) => segments.slice(0, segments.length - i).join(".")).find((k) => k in FLAG_OF) ?? path;
  return new SpecError(typed[key] ?? FLAG_OF[key] ?? key, issue.message, HINT_OF[key]);
}

// Validates a Spec against the schema, then the checks of its content
// (validate.ts). Throws a SpecError that names the field (issueError).
export function validateSpec(input: unknown, host: HostFacts, typed: Typed = {}): Spec {
  const result = v.safeParse(SpecSchema, input);
  if (!result.success) throw issueError(result.issues[0], typed);
  runChecks(SPEC_CHECKS, { spec: result.output, host, typed });
  return result.output;
}

// linux.resources alone, as `update` takes them: from a file, its errors name
// the field as config.json would (linux.resources.memory.limit); from flags,
// the flag.
export function validateResources(input: unknown, host: HostFacts, typed: Typed = {}): Resources {
  const result = v.safeParse(ResourcesSchema, input);
  if (!result.success) throw issueError(result.issues[0], typed, "linux.resources.");
  checkQuota(result.output.cpu, host, typed);
  return result.output;
}
