// `contain run [flags] [--] CMD [ARGS...]`, `contain run [flags] IMAGE -- [CMD [ARGS...]]`
import { defineCommand } from "citty";
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { isTerminal } from "../linux/pty.ts";
import type { Plan } from "../plan/plan.ts";
import { newContainerId } from "../runtime/prepare.ts";
import { containerFromFlags, readFlagFile, type FlagsOptions, type RunRequest } from "../runtime/flags.ts";
import { imageFor, PULL_POLICIES, type ChosenImage, type PullPolicy } from "../runtime/image-root.ts";
import { runContainer, runDetached } from "../runtime/run.ts";
import type { StateStore } from "../runtime/state.ts";
import { SpecError } from "../errors.ts";
import { parseRestartPolicy } from "../spec/restart.ts";
import type { Spec } from "../spec/schema.ts";
import { checkName, commonFlags, list, parseFlags, str, toCittyArgs, type FlagDefs, type FlagValues } from "./args.ts";
import type { Logger, Verbosity } from "../log.ts";
import { sweptStore } from "./containers.ts";
import { hostOf } from "./context.ts";
import { loggerFor, print, printErr, reportExit } from "./output.ts";
import { takeTerminal } from "./terminal.ts";

export const runFlags = {
  image: { type: "string", description: "The image to run, from the store (also: the argument right before --)", valueHint: "REF" },
  pull: { type: "string", description: "Pull the image: missing (default: when the store has none), always, or never", valueHint: "POLICY" },
  platform: { type: "string", description: "The platform of the image to pull (default: the host's, e.g. linux/amd64)", valueHint: "OS/ARCH[/VARIANT]" },
  "cert-dir": { type: "string", description: "docker's certs.d for the pull: DIR/HOST:PORT/ca.crt (default /etc/contain/certs.d)", valueHint: "DIR" },
  "insecure-registry": { type: "string", description: "Pull from this registry without verifying its certificate, or over plain HTTP", valueHint: "HOST[:PORT]", repeat: true },
  rootfs: { type: "string", description: "Root filesystem directory (default: the embedded busybox root)", valueHint: "DIR" },
  hostname: { type: "string", alias: ["h"], description: "Container hostname (default: the short container ID)", valueHint: "NAME" },
  memory: { type: "string", alias: ["m"], description: "Memory limit: bytes or K/M/G, e.g. 64M", valueHint: "SIZE" },
  cpu: {
    type: "string",
    description: "CPU limit: below 1000 a number of CPUs (0.5), from 1000 a quota in us per 100ms (50000)",
    valueHint: "N",
  },
  cpus: { type: "string", description: "CPU limit as a number of CPUs, as docker's --cpus", valueHint: "N" },
  "cpu-quota": { type: "string", description: "CFS quota in microseconds per period (-1: no quota)", valueHint: "US" },
  "cpu-period": { type: "string", description: "CFS period in microseconds (default 100000)", valueHint: "US" },
  "cpu-shares": { type: "string", alias: ["c"], description: "Relative CPU weight, 2-262144 (cpu.weight on cgroup v2)", valueHint: "N" },
  "cpuset-cpus": { type: "string", description: "The CPUs the container may run on, e.g. 0-3,7 (cpuset.cpus)", valueHint: "LIST" },
  "cpuset-mems": { type: "string", description: "The memory nodes it may allocate from, e.g. 0 (cpuset.mems)", valueHint: "LIST" },
  pids: { type: "string", description: "Maximum number of processes (default 2048; -1 for no limit)", valueHint: "N" },
  "pids-limit": { type: "string", description: "docker's name for --pids: 0 or -1 for no limit", valueHint: "N" },
  env: { type: "string", alias: ["e"], description: "Set an environment variable (a bare KEY takes the host's value)", valueHint: "KEY=VALUE", repeat: true },
  "env-file": { type: "string", description: "Read KEY=VALUE lines from a file", valueHint: "FILE", repeat: true },
  workdir: { type: "string", alias: ["w"], description: "Working directory inside the container (created if missing)", valueHint: "DIR" },
  user: { type: "string", alias: ["u"], description: "User to run as: a name from the root's /etc/passwd or UID, with :GROUP or :GID", valueHint: "USER[:GROUP]" },
  volume: { type: "string", alias: ["v"], description: "Bind mount a host path", valueHint: "HOST:CONTAINER[:ro|rw]", repeat: true },
  tmpfs: { type: "string", description: "Mount a tmpfs", valueHint: "PATH[:size=N]", repeat: true },
  "read-only": { type: "boolean", description: "Mount the container's root read-only" },
  overlay: {
    type: "boolean",
    description: "Copy-on-write root: writes go to a layer of the container's own, the rootfs stays untouched (default)",
    negativeDescription: "Write straight into the rootfs instead of a copy-on-write layer of the container's own",
  },
  "log-opt": { type: "string", description: "With --detach: max-size=SIZE (20M) and max-file=N (5) of the rotated log", valueHint: "OPT", repeat: true },
  "storage-opt": { type: "string", description: "size=SIZE: cap the container's writes to its root at SIZE, on disk (ENOSPC beyond)", valueHint: "OPT", repeat: true },
  ulimit: { type: "string", description: "Set a resource limit, e.g. nofile=1024:4096", valueHint: "NAME=SOFT[:HARD]", repeat: true },
  "cap-add": { type: "string", description: "Add a Linux capability (or ALL)", valueHint: "CAP", repeat: true },
  "cap-drop": { type: "string", description: "Drop a Linux capability (or ALL)", valueHint: "CAP", repeat: true },
  device: { type: "string", description: "Give the container a host device (or every device under a host directory)", valueHint: "HOST[:CONTAINER][:PERMS]", repeat: true },
  "device-cgroup-rule": { type: "string", description: "Allow devices by number, e.g. 'c 10:200 rwm' (* for any)", valueHint: "RULE", repeat: true },
  privileged: { type: "boolean", description: "Turn off the hardening: all capabilities and devices (the host's /dev), no seccomp, no masked paths" },
  "security-opt": { type: "string", description: "seccomp=unconfined, seccomp=PROFILE.json or no-new-privileges=false", valueHint: "OPT", repeat: true },
  init: { type: "boolean", description: "Run a tiny init as PID 1 that forwards signals and reaps zombies" },
  config: { type: "string", description: "YAML or JSON file of defaults and presets for these flags", valueHint: "FILE" },
  preset: { type: "string", description: "Take the flags of this preset from --config", valueHint: "NAME" },
  tty: { type: "boolean", alias: ["t"], description: "Give the command a terminal (default: when stdin and stdout are one, and contain is not in the background)" },
  interactive: { type: "boolean", alias: ["i"], description: "Keep stdin attached (always, in the foreground; -it needs a terminal; with -d, open for contain attach)" },
  "sig-proxy": { type: "boolean", description: "Forward the signals contain gets to the container's PID 1 (default; --sig-proxy=false keeps them from it)" },
  net: { type: "string", alias: ["network"], description: "Network: bridge (default), none (loopback only), host, or container:NAME (a running container's)", valueHint: "MODE" },
  bridge: { type: "string", description: "The bridge of --net bridge, made on first use (default contain0)", valueHint: "NAME" },
  subnet: { type: "string", description: "The subnet of a new bridge (default 10.0.42.0/24)", valueHint: "CIDR" },
  dns: { type: "string", description: "A nameserver for the container's /etc/resolv.conf (default: the host's)", valueHint: "IP", repeat: true },
  "add-host": { type: "string", description: "An extra line in the container's /etc/hosts", valueHint: "NAME:IP", repeat: true },
  publish: {
    type: "string",
    alias: ["p"],
    description: "Publish a container port on the host: [IP:][HOSTPORT:]CONTAINERPORT[/tcp|/udp]; without HOSTPORT (or with a range FIRST-LAST) the host chooses a free one, which contain port shows",
    valueHint: "PORTS",
    repeat: true,
  },
  "publish-all": { type: "boolean", alias: ["P"], description: "Publish every port the image exposes on a free host port, which contain port shows" },
  stats: { type: "boolean", description: "On exit, print peak memory, CPU time and peak pids" },
  detach: { type: "boolean", alias: ["d"], description: "Run in the background and print the container ID; output goes to contain logs" },
  name: { type: "string", description: "A unique name for the container", valueHint: "NAME" },
  rm: { type: "boolean", description: "With --detach: remove the container when it exits (in the foreground it always is)" },
  restart: {
    type: "string",
    description: "With --detach: start the container again when it exits: no (default), on-failure[:MAX] (a non-zero exit, at most MAX times), always, unless-stopped; never after stop or kill",
    valueHint: "POLICY",
  },
  // docker's everyday flags (issue 16, part A)
  mount: {
    type: "string",
    description: "docker's mount syntax: type=bind|tmpfs,source=,target=,readonly, bind-propagation=, tmpfs-size=, tmpfs-mode=",
    valueHint: "OPTS",
    repeat: true,
  },
  "shm-size": { type: "string", description: "The size of /dev/shm (default 64M)", valueHint: "SIZE" },
  sysctl: { type: "string", description: "A namespaced sysctl: net.*, kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*", valueHint: "KEY=VALUE", repeat: true },
  "group-add": { type: "string", description: "A supplementary group: a name from the root's /etc/group, or a GID", valueHint: "GROUP", repeat: true },
  entrypoint: { type: "string", description: "Run CMD with the command as its arguments (docker's entrypoint)", valueHint: "CMD" },
  domainname: { type: "string", description: "The container's NIS domain name (uts)", valueHint: "NAME" },
  "stop-signal": { type: "string", description: "The signal contain stop sends first (default TERM)", valueHint: "SIGNAL" },
  "stop-timeout": { type: "string", description: "Seconds contain stop waits before SIGKILL (default 10)", valueHint: "SECONDS" },
  cidfile: { type: "string", description: "Write the container ID to FILE (refused if it exists; removed with the container)", valueHint: "FILE" },
  // Memory beyond the limit, the OOM killer, labels, shared namespaces.
  "memory-swap": { type: "string", description: "Memory plus swap, with --memory (default: equal, no swap; -1: no swap limit)", valueHint: "SIZE" },
  "memory-reservation": { type: "string", description: "A soft memory limit, at most --memory, that the kernel reclaims down to under pressure", valueHint: "SIZE" },
  "oom-score-adj": { type: "string", description: "The command's OOM score adjustment, -1000 to 1000 (below 0 needs CAP_SYS_RESOURCE)", valueHint: "N" },
  "oom-kill-disable": { type: "boolean", description: "Turn off the OOM killer of the container's cgroup (cgroup v1; its processes wait for memory instead)" },
  label: { type: "string", alias: ["l"], description: "Set a label, shown by inspect, matched by ps --filter label=", valueHint: "KEY=VALUE", repeat: true },
  "label-file": { type: "string", description: "Read labels from a file, one KEY=VALUE a line", valueHint: "FILE", repeat: true },
  pid: { type: "string", description: "PID namespace: host, or container:NAME to share a running container's", valueHint: "MODE" },
  ipc: { type: "string", description: "IPC namespace: host, or container:NAME to share a running container's", valueHint: "MODE" },
  uts: { type: "string", description: "UTS namespace: host, for the host's hostname", valueHint: "MODE" },
  ...commonFlags,
} satisfies FlagDefs;

// --config and --preset under the flags given on the command line, and the
// file's default verbosity. The config's schema loads only for --config.
async function withConfig(flags: FlagValues): Promise<{ flags: FlagValues; log?: Verbosity }> {
  const file = str(flags, "config");
  if (file === undefined) {
    if (str(flags, "preset") !== undefined) throw new SpecError("--preset", "needs --config FILE to take presets from", "e.g. --config contain.yaml --preset small");
    return { flags };
  }
  const text = readFlagFile("--config", file);
  let input: unknown;
  try {
    input = /\.json$/i.test(file) ? JSON.parse(text) : Bun.YAML.parse(text);
  } catch (err) {
    throw new SpecError("--config", `${file} is not valid ${/\.json$/i.test(file) ? "JSON" : "YAML"}: ${(err as Error).message}`, "fix the syntax");
  }
  const { configFlags, overlay, parseConfig } = await import("../spec/config.ts");
  const config = parseConfig(input, file);
  return { flags: overlay<FlagValues[string]>(configFlags(config, str(flags, "preset"), file), flags), log: config.log };
}

// The image a line names (--image, or run's argument before --) and --pull's
// policy; none for a root directory. Checked against the flags that rule it
// out, before anything is read or made.
// The image of a run, pulled as --pull says, with docker's line and the
// pull's display on stderr.
export async function pulledFor(wanted: { ref: string; policy: PullPolicy }, flags: FlagValues, data: string, log: Logger): Promise<ChosenImage> {
  // The registry client loads only for a run that names an image.
  const { remoteOf } = await import("./pull.ts");
  const remote = remoteOf(flags, data, log);
  try {
    return await imageFor(data, wanted.ref, wanted.policy, { ...remote, pulling: () => wanted.policy === "missing" && printErr(`Unable to find image '${wanted.ref}' locally\n`) });
  } finally {
    remote.progress.done();
  }
}

export function imageRequest(flags: FlagValues, ref: string | undefined): { ref: string; policy: PullPolicy } | undefined {
  const pull = str(flags, "pull");
  if (pull !== undefined && !(PULL_POLICIES as readonly string[]).includes(pull)) throw new SpecError("--pull", `unknown policy ${JSON.stringify(pull)}`, `use ${PULL_POLICIES.join(", ")}, e.g. --pull never`);
  if (ref === undefined) {
    if (pull !== undefined) throw new SpecError("--pull", "pulls an image, and none is given", "name one before --, e.g. contain run alpine -- sh, or leave out --pull");
    return undefined;
  }
  if (ref === "") throw new SpecError("--image", "the reference is empty", "name an image, e.g. --image alpine (is a variable unset?)");
  if (str(flags, "rootfs") !== undefined) throw new SpecError("--rootfs", `and the image ${ref} both give the container's root`, "leave out one of them");
  if (flags.overlay === false)
    throw new SpecError("--no-overlay", `would write into the layers of image ${ref}, which its other containers share`, "leave out --no-overlay: the container's writes go to a layer of its own");
  return { ref, policy: (pull ?? "missing") as PullPolicy };
}

// A new container's Spec and Plan from `run`'s flags (also what `node create`
// maps to) and the image chosen (imageFor), if any: the flags as typed, for
// the flags front end (runtime/flags.ts), which reads what they name and
// checks them all before anything is made.
export function containerOf(
  flags: FlagValues,
  positionals: string[],
  id: string,
  tty: boolean,
  dataRoot: string,
  store: StateStore,
  chosen?: ChosenImage,
  opts: FlagsOptions = {},
): { spec: Spec; plan: Plan } {
  const request: RunRequest = {
    command: positionals,
    rootfs: str(flags, "rootfs"),
    hostname: str(flags, "hostname"),
    memory: str(flags, "memory"),
    cpu: str(flags, "cpu"),
    cpus: str(flags, "cpus"),
    cpuQuota: str(flags, "cpu-quota"),
    cpuPeriod: str(flags, "cpu-period"),
    cpuShares: str(flags, "cpu-shares"),
    cpusetCpus: str(flags, "cpuset-cpus"),
    cpusetMems: str(flags, "cpuset-mems"),
    pids: str(flags, "pids"),
    pidsLimit: str(flags, "pids-limit"),
    env: list(flags, "env"),
    envFiles: list(flags, "env-file"),
    workdir: str(flags, "workdir"),
    user: str(flags, "user"),
    volumes: list(flags, "volume"),
    tmpfs: list(flags, "tmpfs"),
    ulimits: list(flags, "ulimit"),
    capAdd: list(flags, "cap-add"),
    capDrop: list(flags, "cap-drop"),
    devices: list(flags, "device"),
    storageOpts: list(flags, "storage-opt"),
    logOpts: list(flags, "log-opt"),
    deviceCgroupRules: list(flags, "device-cgroup-rule"),
    privileged: flags.privileged === true,
    readOnly: flags["read-only"] === true,
    overlay: flags.overlay !== false,
    init: flags.init === true,
    securityOpt: list(flags, "security-opt"),
    tty,
    stdin: flags.detach === true && flags.interactive === true,
    mounts: list(flags, "mount"),
    shmSize: str(flags, "shm-size"),
    sysctls: list(flags, "sysctl"),
    groupAdd: list(flags, "group-add"),
    entrypoint: str(flags, "entrypoint"),
    domainname: str(flags, "domainname"),
    stopSignal: str(flags, "stop-signal"),
    stopTimeout: str(flags, "stop-timeout"),
    memorySwap: str(flags, "memory-swap"),
    memoryReservation: str(flags, "memory-reservation"),
    oomScoreAdj: str(flags, "oom-score-adj"),
    oomKillDisable: flags["oom-kill-disable"] === true,
    labelFiles: list(flags, "label-file"),
    labels: list(flags, "label"),
    pid: str(flags, "pid"),
    ipc: str(flags, "ipc"),
    uts: str(flags, "uts"),
    network: {
      net: str(flags, "net"),
      bridge: str(flags, "bridge"),
      subnet: str(flags, "subnet"),
      publish: list(flags, "publish"),
      publishAll: flags["publish-all"] === true,
      dns: list(flags, "dns"),
      addHost: list(flags, "add-host"),
    },
    name: str(flags, "name"),
  };
  return containerFromFlags(request, id, dataRoot, store, chosen, opts);
}

// The seccomp profile's parser (~0.5 ms to load), for a line that names a
// profile file.
async function profileChecker(flags: FlagValues): Promise<((profile: unknown, file: string) => void) | undefined> {
  if (!list(flags, "security-opt").some((o) => o.startsWith("seccomp=") && o !== "seccomp=unconfined")) return undefined;
  const { parseSeccompProfile } = await import("../plan/seccomp/profile.ts");
  return (profile, file) => void parseSeccompProfile(profile, file);
}

// Whether a `run` line is runc's: it names a bundle among the flags before
// the first positional (the command, or runc's ID).
const RUNC_VALUED = new Set(["--pid-file", "--console-socket", "--preserve-fds"]);
function namesBundle(raw: readonly string[]): boolean {
  const defs: Record<string, { type: string }> = runFlags;
  for (let i = 0; i < raw.length; i++) {
    const arg = raw[i] ?? "";
    if (arg === "--" || !arg.startsWith("-")) return false;
    if (arg === "-b" || arg === "--bundle" || arg.startsWith("--bundle=")) return true;
    if (arg.includes("=")) continue;
    const name = arg.replace(/^--?/, "");
    const def = defs[name] ?? Object.values(runFlags).find((d) => "alias" in d && (d.alias as string[]).includes(name));
    if (def?.type === "string" || RUNC_VALUED.has(arg)) i++;
  }
  return false;
}

export default defineCommand({
  meta: { name: "run", description: "Run a command in a new container" },
  args: toCittyArgs(runFlags, {
    name: "command",
    usage: "[IMAGE] [--] COMMAND [ARG...]",
    description: "The command and its arguments, taken as written: contain's flags end at the first argument or at --; an argument right before -- names an image (with nothing after --, the image's own command runs)",
    required: true,
  }),
  async run({ rawArgs }) {
    if (namesBundle(rawArgs)) return (await import("./create.ts")).runBundle(rawArgs);
    const { flags: given, positionals, dashDash } = parseFlags(runFlags, rawArgs, "run", true);
    // An argument right before `--` names an image (`run alpine -- sh`);
    // without `--` the first argument is the command (`run ls -h /`).
    const named = !dashDash && positionals[1] === "--" ? positionals[0] : undefined;
    const command = named === undefined ? positionals : positionals.slice(2);
    if (named !== undefined && str(given, "image") !== undefined)
      throw new SpecError("--image", `and ${JSON.stringify(named)} before -- both name an image`, "give one of them");
    const { flags, log: configured } = await withConfig(given);
    const wanted = imageRequest(flags, named ?? str(flags, "image"));
    const { log, verbosity } = loggerFor(given, configured);
    const host = hostOf(flags);
    host.requireRoot("run");
    const name = checkName(str(flags, "name"));
    const detach = flags.detach === true;
    const restartText = str(flags, "restart");
    const restartPolicy = restartText === undefined ? undefined : parseRestartPolicy(restartText);
    // A restart is its monitor's (reap.ts): a foreground run has none, and
    // --rm removes what a restart would start (docker's conflict).
    if (restartPolicy && restartPolicy.Name !== "no" && !detach) throw new SpecError("--restart", `${restartText} needs --detach`, "run it with -d, or leave --restart out");
    if (restartPolicy && restartPolicy.Name !== "no" && flags.rm === true) throw new SpecError("--restart", "conflicts with --rm: the container would be removed at its exit", "leave one of them out");
    if (detach && flags.stats === true) throw new SpecError("--stats", "is printed when a foreground run ends", "use contain stats NAME for a detached container");
    // docker's --cidfile: an existing file (another container's, or one left
    // behind) is refused before anything starts. Absolute: rm may run elsewhere.
    const cidfileText = str(flags, "cidfile");
    const cidfile = cidfileText === undefined ? undefined : resolve(cidfileText);
    if (cidfile !== undefined && existsSync(cidfile)) throw new SpecError("--cidfile", `${cidfile} exists`, `make sure no container uses it, then remove it (rm ${cidfile}), or give another file`);
    if (cidfile !== undefined && !existsSync(dirname(cidfile))) throw new SpecError("--cidfile", `the directory ${dirname(cidfile)} does not exist`, `create it first (mkdir -p ${dirname(cidfile)}) or give another path`);
    if (!detach) takeTerminal(flags.interactive === true, flags.tty === true);
    const data = host.dataRoot;
    const store = sweptStore({ command: "run", host, log });
    const image = wanted && (await pulledFor(wanted, flags, data, log));
    const id = newContainerId();
    // Detached, only -t gives a terminal: its monitor holds it for contain attach.
    const tty = detach ? flags.tty === true : typeof flags.tty === "boolean" ? flags.tty : isTerminal(0) && isTerminal(1);
    // A foreground run's layer, and run -d --rm's, are never mounted again.
    const { spec, plan } = containerOf(flags, command, id, tty, data, store, image, { disposable: !detach || flags.rm === true, checkProfile: await profileChecker(flags), cgroups: host.cgroups });
    if (detach) {
      await runDetached(plan, { log, verbosity, store, spec, name, autoRemove: flags.rm === true, restartPolicy, cidfile });
      print(`${id}\n`);
      return 0;
    }
    const result = await runContainer(plan, { log, verbosity, store, spec, name, sigProxy: flags["sig-proxy"] !== false, cidfile, stats: flags.stats === true });
    return reportExit(result, plan.resources.memory?.limit, { stats: flags.stats === true });
  },
});
