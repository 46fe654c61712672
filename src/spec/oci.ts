// An OCI bundle's config.json to the Spec, the same object `run`'s flags make,
// so one executor runs both. Pure: the file is read by the caller.
//
// Fields are checked against the runtime-spec's names: one that contain does
// not implement yet is refused by name (never silently dropped), one that is
// not in the spec at all is refused as unknown. The values are then
// validated by the Spec's own schema (validateSpec), whose errors name the
// JSON path.
import { posix } from "node:path";
import { SpecError } from "../errors.ts";
import { HOOK_KINDS, validateResources, validateSpec, type Resources, type Spec } from "./schema.ts";
import type { HostFacts } from "./validate.ts";
import { OCI_VERSION_MAX, OCI_VERSION_MIN } from "./version.ts";

// What contain reads of config.json, as a tree of the fields it knows:
// `true` for a value it implements, a nested object for an object, an array
// of one element for a list of such, `"any"` for an object whose keys are the
// user's (annotations, sysctl). Anything else in the spec is refused with
// NOT_YET; anything outside it, as unknown.
type Known = true | "any" | { [key: string]: Known } | [Known];
const KNOWN: Known = {
  ociVersion: true,
  hostname: true,
  domainname: true,
  annotations: "any",
  hooks: Object.fromEntries(HOOK_KINDS.map((k) => [k, [{ path: true, args: true, env: true, timeout: true }]])),
  root: { path: true, readonly: true },
  mounts: [{ destination: true, type: true, source: true, options: true }],
  process: {
    terminal: true,
    consoleSize: { height: true, width: true },
    user: { uid: true, gid: true, umask: true, additionalGids: true },
    args: true,
    env: true,
    cwd: true,
    capabilities: { bounding: true, effective: true, permitted: true, inheritable: true, ambient: true },
    rlimits: [{ type: true, soft: true, hard: true }],
    noNewPrivileges: true,
    oomScoreAdj: true,
    apparmorProfile: true,
    selinuxLabel: true,
  },
  linux: {
    namespaces: [{ type: true, path: true }],
    devices: [{ path: true, type: true, major: true, minor: true, fileMode: true, uid: true, gid: true }],
    resources: {
      memory: { limit: true, swap: true, reservation: true, swappiness: true, disableOOMKiller: true },
      cpu: { shares: true, quota: true, period: true, cpus: true, mems: true },
      pids: { limit: true },
      hugepageLimits: [{ pageSize: true, limit: true }],
      unified: "any",
      devices: [{ allow: true, type: true, major: true, minor: true, access: true }],
    },
    cgroupsPath: true,
    sysctl: "any",
    seccomp: true,
    maskedPaths: true,
    readonlyPaths: true,
    mountLabel: true,
    rootfsPropagation: true,
  },
};

// The runtime-spec's fields contain does not implement yet (config.md,
// config-linux.md): refused by name.
const SPEC_FIELDS = new Set([
  "process.user.username",
  "process.commandLine",
  "process.ioPriority",
  "process.scheduler",
  "process.execCPUAffinity",
  "linux.uidMappings",
  "linux.gidMappings",
  "linux.timeOffsets",
  "linux.intelRdt",
  "linux.personality",
  "linux.memoryPolicy",
  "linux.netDevices",
  "linux.resources.memory.kernel",
  "linux.resources.memory.kernelTCP",
  "linux.resources.memory.useHierarchy",
  "linux.resources.memory.checkBeforeUpdate",
  "linux.resources.cpu.burst",
  "linux.resources.cpu.realtimeRuntime",
  "linux.resources.cpu.realtimePeriod",
  "linux.resources.cpu.idle",
  "linux.resources.blockIO",
  "linux.resources.network",
  "linux.resources.rdma",
  // idmapped mounts (1.1)
  "mounts.uidMappings",
  "mounts.gidMappings",
]);

// What contain does with a field of config.json, by its path without list
// indices (`linux.resources.rdma`, `mounts.options`): "implemented", "not
// yet" (refused by name) or "unknown" (not a field of the spec). What
// `contain features` reports is read from here.
export function fieldStatus(path: string): "implemented" | "not yet" | "unknown" {
  let known: Known = KNOWN;
  const parts = path.split(".");
  for (const [i, key] of parts.entries()) {
    if (SPEC_FIELDS.has(parts.slice(0, i + 1).join("."))) return "not yet";
    while (Array.isArray(known)) known = known[0];
    if (known === true || known === "any") return "implemented";
    const sub: Known | undefined = known[key];
    if (sub === undefined) return "unknown";
    known = sub;
  }
  return "implemented";
}


// SemVer 2.0.0: MAJOR.MINOR.PATCH, an optional -pre-release and +build.
const SEMVER_RE = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

function checkOciVersion(version: unknown): void {
  const range = `${OCI_VERSION_MIN} to ${OCI_VERSION_MAX}`;
  const fix = `write a config.json of the runtime-spec ${range}, e.g. with contain spec`;
  if (version === undefined) throw new SpecError("ociVersion", "missing", `give the runtime-spec version the config follows, e.g. "ociVersion": "${OCI_VERSION_MAX}"`);
  const m = typeof version === "string" ? SEMVER_RE.exec(version) : null;
  if (!m) throw new SpecError("ociVersion", `${JSON.stringify(version)} is not a SemVer version`, `e.g. "ociVersion": "${OCI_VERSION_MAX}"`);
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const [minMajor = 0, minMinor = 0, minPatch = 0] = OCI_VERSION_MIN.split(".").map(Number);
  const [maxMajor = 0, maxMinor = 0] = OCI_VERSION_MAX.split(".").map(Number);
  // A pre-release sorts below its release (SemVer): 1.0.0-rc5 is older than 1.0.0.
  const fromMin = major - minMajor || minor - minMinor || patch - minPatch || (m[4] === undefined ? 0 : -1);
  if (fromMin < 0) throw new SpecError("ociVersion", `${version} is older than the runtime-spec contain implements (${range})`, fix);
  // Any release of the newest minor version, as config.md counts compatibility:
  // a field a later patch release adds is refused as unknown, never misread.
  if ((major - maxMajor || minor - maxMinor) > 0) throw new SpecError("ociVersion", `${version} is newer than the runtime-spec contain implements (${range})`, fix);
}

function checkFields(value: unknown, known: Known, path: string): void {
  if (known === true || known === "any" || value === null || typeof value !== "object") return;
  if (Array.isArray(known)) {
    if (Array.isArray(value)) value.forEach((v, i) => checkFields(v, known[0], `${path}[${i}]`));
    return;
  }
  for (const [key, v] of Object.entries(value)) {
    const at = path ? `${path}.${key}` : key;
    const sub = known[key];
    if (sub !== undefined) {
      checkFields(v, sub, at);
      continue;
    }
    // An empty list or null where the spec allows one means nothing asked.
    if (v === null || (Array.isArray(v) && v.length === 0)) continue;
    const generic = at.replace(/\[\d+\]/g, "");
    if (SPEC_FIELDS.has(generic)) throw new SpecError(at, "contain does not support this field yet", "remove it from config.json, or use runc for this container");
    throw new SpecError(at, "is not a field of the OCI runtime spec", "check its spelling against the runtime-spec's config.md");
  }
}

// The namespaces contain can join by path: setns(2) into them from the init
// (a PID namespace from the parent, which clones the init into it); a mount
// or user namespace needs a single-threaded process, which the init is not.
const JOINABLE = new Set(["network", "ipc", "uts", "pid"]);

// A sysctl is set only in a namespace of the container's own (runc's
// rule): ipc's and net's keys, the host name's; any other would change the
// host. `at` and `nsFix` name the field and the fix as the front end has
// them (config.json's, or run's --sysctl).
export function checkSysctl(key: string, namespaces: ReadonlySet<string>, at = `linux.sysctl.${key}`, nsFix = (ns: string) => `add {"type": "${ns}"} to linux.namespaces`): void {
  if (!/^[A-Za-z0-9_-]+([./][A-Za-z0-9_-]+)+$/.test(key)) throw new SpecError(at, "is not a sysctl name", 'e.g. "net.ipv4.ip_forward"');
  const dotted = key.replaceAll("/", ".");
  const ns = dotted.startsWith("net.") ? "network" : /^(kernel\.(msg|shm)|kernel\.sem$|fs\.mqueue\.)/.test(dotted) ? "ipc" : /^kernel\.(hostname|domainname)$/.test(dotted) ? "uts" : undefined;
  if (!ns) throw new SpecError(at, "is not namespaced: setting it would change the host's", "remove it; only net.*, kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.* and kernel.hostname can be set for a container");
  if (!namespaces.has(ns)) throw new SpecError(at, `needs the container's own ${ns} namespace: without one it would change the host's`, nsFix(ns));
}

interface OciConfig {
  root?: { path?: unknown };
  process?: { capabilities?: { ambient?: unknown[] } };
  linux?: { namespaces?: { type?: unknown; path?: unknown }[]; sysctl?: Record<string, unknown> };
}

// runc's `exec --process FILE`: a process object as config.json's `process`
// is read, in place of the container's own.
export function processFromConfig(json: unknown, spec: Spec, host: HostFacts): Spec["process"] {
  if (json === null || typeof json !== "object" || Array.isArray(json)) throw new SpecError("process", "is not a JSON object", "give a process.json as config.json's process holds it");
  const known = (KNOWN as { process: Known }).process;
  checkFields({ process: json }, { process: known }, "");
  if ((json as { capabilities?: { ambient?: unknown[] } }).capabilities?.ambient?.length)
    throw new SpecError("process.capabilities.ambient", "contain does not support ambient capabilities yet", "leave the list empty");
  return validateSpec({ ...spec, process: json }, host, "json").process;
}

// config.json's value (parsed JSON) and the bundle's directory to the Spec;
// root.path is relative to the bundle.
export function specFromConfig(config: unknown, bundle: string, host: HostFacts): Spec {
  if (config === null || typeof config !== "object" || Array.isArray(config)) throw new SpecError("config.json", "is not a JSON object", "give the bundle's config.json, e.g. from runc spec");
  // Before the fields: a newer spec's field is then not taken for a typo.
  checkOciVersion((config as { ociVersion?: unknown }).ociVersion);
  checkFields(config, KNOWN, "");
  const c = config as OciConfig;
  const ambient = c.process?.capabilities?.ambient;
  if (ambient?.length) throw new SpecError("process.capabilities.ambient", "contain does not support ambient capabilities yet", "leave the list empty");
  for (const [i, ns] of (c.linux?.namespaces ?? []).entries())
    if (ns.path !== undefined && !JOINABLE.has(String(ns.type)))
      throw new SpecError(`linux.namespaces[${i}].path`, `joining an existing ${String(ns.type)} namespace is not supported yet`, "give a path only for the pid, network, ipc or uts namespace");
  const made = new Set((c.linux?.namespaces ?? []).map((n) => String(n.type)));
  for (const [key, value] of Object.entries(c.linux?.sysctl ?? {})) {
    if (typeof value !== "string") throw new SpecError(`linux.sysctl.${key}`, "must be a string", 'e.g. "net.ipv4.ip_forward": "1"');
    checkSysctl(key, made);
  }
  const root = typeof c.root?.path === "string" ? c.root.path : "";
  if (!root) throw new SpecError("root.path", "missing", 'give the rootfs directory, e.g. "root": {"path": "rootfs"}');
  return validateSpec({ ...config, root: { readonly: false, ...(config as { root: object }).root, path: posix.resolve(bundle, root) } }, host, "json");
}

// runc's `update --resources FILE`: a linux.resources object as config.json
// holds it, its fields checked by the same tables, its errors naming each
// field as in config.json (linux.resources.memory.limit).
export function resourcesFromJson(json: unknown, host: HostFacts): Resources {
  if (json === null || typeof json !== "object" || Array.isArray(json)) throw new SpecError("linux.resources", "is not a JSON object", 'give it as config.json holds it, e.g. {"memory": {"limit": 67108864}}');
  checkFields(json, (KNOWN as { linux: { resources: Known } }).linux.resources, "linux.resources");
  return validateResources(json, host, "json");
}
