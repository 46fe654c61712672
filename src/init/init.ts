// The init stage: this binary re-exec'd by the shim as PID 1 of the new
// namespaces. It reads the Plan, builds the container from the inside, waits
// until the parent has set the cgroup's limits, and becomes the helper
// (ffi/helper.c), which joins the cgroups and becomes the command. Nothing of
// Bun stays: execve replaces it.
import { openSync, writeFileSync } from "node:fs";
import { commandError, ContainError, EXIT } from "../errors.ts";
import { Channel } from "../linux/channel.ts";
import { joinByPath } from "../linux/namespaces.ts";
import { errnoCodeOf, errnoOf } from "../linux/file-error.ts";
import { linux, type Kernel } from "../linux/kernel.ts";
import { addAddress, addDefaultRoute, getLink, LOOPBACK_INDEX, setLinkUp } from "../linux/link.ts";
import { Netlink } from "../linux/netlink.ts";
import { startInContainer } from "../linux/helper.ts";
import { openProcsFiles } from "../linux/cgroups/files.ts";
import { adoptShim, initProgramFd, lookupCommand, setCloseOnExec, SyscallError, traceSyscalls } from "../linux/process.ts";
import { runHooks } from "../linux/hooks.ts";
import { bindConsole, openPty, setWinsize } from "../linux/pty.ts";
import { enterRoot, mountInRoot, prepareRoot, runSetupOps } from "../linux/rootfs.ts";
import { createLogger, type Logger } from "../log.ts";
import { execAttributes } from "../plan/exec.ts";
import type { Plan } from "../plan/plan.ts";
import type { Eth0Config, FromInit, ToInit } from "../plan/protocol.ts";

// The command as execvp finds it (ffi/lookup.c, which exec's helper uses
// too), looked up before execve so that a failure can name the PATH searched.
function resolveCommand(cmd: string, path: string): string {
  const found = lookupCommand(cmd, path);
  if (found.errno) throw commandError(cmd, path, found.errno, found.path);
  return found.path;
}

// docker creates a missing working directory (owned by root).
export function enterWorkdir(k: Kernel, cwd: string): void {
  const hint = "use a directory of the container, e.g. --workdir /src";
  try {
    k.mkdirAll(cwd);
    k.chdir(cwd);
  } catch (err) {
    const errno = errnoOf(err);
    if (errno === EEXIST || errno === ENOTDIR) throw new ContainError(`--workdir ${cwd}: not a directory in the container`, hint);
    if (errno === ENAMETOOLONG) throw new ContainError(`--workdir: ${cwd.length} characters is a path too long for the kernel`, hint);
    throw new ContainError(`--workdir ${cwd}: ${err instanceof Error ? err.message : String(err)}`, hint);
  }
}

// lo, and on a bridge network eth0: the parent made it in our netns (at the
// bridge's MTU); its address, up, and the default route via the bridge.
function setUpNetwork(eth0: Eth0Config | undefined): void {
  using nl = new Netlink();
  setLinkUp(nl, LOOPBACK_INDEX);
  if (!eth0) return;
  const link = getLink(nl, "eth0");
  if (!link) throw new ContainError("eth0 is missing from the container's network namespace", "run again with --debug to see each step");
  addAddress(nl, link.index, eth0.address, eth0.prefixLen);
  setLinkUp(nl, link.index);
  addDefaultRoute(nl, eth0.gateway, link.index);
}

const EEXIST = 17;
const ENOTDIR = 20;
const ENAMETOOLONG = 36;
const O_PATH = 0o10000000;
const O_CLOEXEC = 0o2000000;

// Namespaces an OCI caller made (a CNI network namespace, a pod's), joined
// first: the mqueue mount belongs to the IPC namespace it is made in.
// setns(2) from this, the thread that execs the command. A PID namespace
// cannot be joined by its own process: the init was cloned into it.
function joinNamespaces(joins: Plan["joins"]): void {
  for (const j of joins) if (j.type !== "pid") joinByPath(j.type, j.path);
}

// The kernel asks CAP_SYS_RESOURCE to lower it, which some hosts withhold.
function setOomScoreAdj(value: number): void {
  try {
    writeFileSync("/proc/self/oom_score_adj", String(value));
  } catch (err) {
    const hint = "this host does not let root lower it (no CAP_SYS_RESOURCE); containerd: set restrict_oom_score_adj = true";
    throw new ContainError(`write /proc/self/oom_score_adj ${value}: ${errnoCodeOf(err) ?? String(err)}`, hint);
  }
}

// The container's file system and names, from the Plan: the part of the
// set-up that is mounts and files, which a test runs against a recorder.
// `createContainer` runs between the mounts and pivot_root.
export function setUpRoot(k: Kernel, plan: Plan, log: Logger, createContainer: () => void): void {
  if (plan.root.overlay) {
    // The container by its short ID, as ps shows it; the 64-hex paths at --debug.
    const lowers = plan.root.overlay.lowers;
    const lower = lowers ? `the image's ${lowers.layers.length} layers in ${lowers.dir}` : plan.root.path;
    log.info(`mounting overlay: ${lower} (read-only lower) + the writable layer of container ${plan.id.slice(0, 12)}`);
    log.debug(`overlay upper ${plan.root.overlay.upper}, work ${plan.root.overlay.work}`);
  }
  const root = prepareRoot(k, plan.root);
  if (plan.mounts.length) log.info(`mounting ${plan.mounts.map((m) => m.target).join(" ")}`);
  mountInRoot(k, root, plan.mounts);
  createContainer();
  log.info("pivoting root");
  if (enterRoot(k, root) === "chroot") log.warn("pivot_root is impossible on this root (an initramfs): moved the root over / and used chroot");
  log.info("making /dev's nodes and links; masking paths");
  runSetupOps(k, plan.ops);
  if (plan.hostname !== undefined) {
    log.info(`setting hostname: ${plan.hostname}`);
    k.sethostname(plan.hostname);
  }
  if (plan.domainname !== undefined) {
    log.info(`setting domainname: ${plan.domainname}`);
    k.setdomainname(plan.domainname);
  }
}

type PlanMessage = Extract<ToInit, { type: "plan" }>;
type GoMessage = Extract<ToInit, { type: "go" }>;

// What the set-up leaves for the exec: the command as found, the pty, and
// the fds the helper takes.
export interface Prepared {
  path: string;
  ptyMaster?: number;
  tty: number;
  initFd: number;
  cgroupFds: number[];
  fifoFd: number;
}

function setUp(start: PlanMessage, log: Logger): Prepared {
  const { plan } = start;
  joinNamespaces(plan.joins);
  if (plan.process.oomScoreAdj !== undefined) setOomScoreAdj(plan.process.oomScoreAdj);
  // Read from the binary while its file is still reachable, before pivot_root.
  const initFd = plan.process.init ? initProgramFd() : -1;
  // `create`'s exec.fifo, in the state directory, which pivot_root takes away.
  const fifoFd = plan.execFifo ? openSync(plan.execFifo, O_PATH | O_CLOEXEC) : -1;
  // The files the helper moves itself into the cgroups with, opened while the
  // host's /sys/fs/cgroup is still reachable.
  const cgroupFds = openProcsFiles(start.cgroups);
  // In the container's mount namespace, with the host's paths still in reach.
  setUpRoot(linux, plan, log, () => runHooks(plan.hooks?.createContainer, "createContainer", { ...start.hookState, status: "creating" }, log));
  // --net host: the host's links are not ours to change.
  if (plan.namespaces.includes("network")) setUpNetwork(start.eth0);
  enterWorkdir(linux, plan.process.cwd);
  // After the chdir: a relative PATH entry is the working directory's, as
  // for execve.
  const path = resolveCommand(plan.process.args[0] ?? "", plan.process.searchPath);
  const pty = plan.process.terminal ? openPty() : undefined;
  if (pty) {
    if (plan.process.consoleSize) setWinsize(pty.master, plan.process.consoleSize);
    bindConsole(linux, pty.slave);
  }
  return { path, ptyMaster: pty?.master, tty: pty?.slave ?? -1, initFd, cgroupFds, fifoFd };
}

// The helper moves itself into the cgroups, single-threaded, takes a cgroup
// namespace of its own there (that cgroup is the container's "/") and
// becomes the command; its failures reach the parent directly. Returns
// only by throwing.
function exec(start: PlanMessage, prepared: Prepared, go: GoMessage, log: Logger, statusFd: number): void {
  const { plan } = start;
  const { path, tty, initFd, cgroupFds, fifoFd } = prepared;
  log.info(`running: ${plan.process.args.join(" ")}`);
  const attrs = execAttributes(plan.process, go.seccomp, tty, initFd);
  const err = startInContainer({ cgroupFds, cgroupns: plan.namespaces.includes("cgroup"), path, argv: plan.process.args, env: plan.process.env, attrs, execFifo: fifoFd, hooks: plan.hooks?.startContainer ?? [], hookState: JSON.stringify({ ...start.hookState, status: "created" }) }, statusFd);
  throw new SyscallError("execve", ["contain-helper"], -err);
}

// The init's turns of the protocol (plan/protocol.ts): the plan, the
// set-up, ready, the go, the exec. A failure goes to the parent as an error
// message. Returns the code to exit with: EXIT.runtime when the parent is
// gone (EOF before the plan or the go), the failure's, or 0 should `exec`
// return (a test's: the real one returns only by throwing).
export function takeTurns(channel: Channel<ToInit, FromInit>, setUp: (start: PlanMessage, log: Logger) => Prepared, exec: (start: PlanMessage, prepared: Prepared, go: GoMessage, log: Logger) => void): number {
  const first = channel.receive();
  if (first?.type !== "plan") return EXIT.runtime; // the parent is gone
  const log = createLogger(first.verbosity);
  if (first.verbosity === "debug") traceSyscalls((line) => log.debug(line));
  try {
    const prepared = setUp(first, log);
    channel.send({ type: "ready", ptyMaster: prepared.ptyMaster, path: prepared.path });
    const go = channel.receive();
    if (go?.type !== "go") return EXIT.runtime;
    exec(first, prepared, go, log);
    return 0;
  } catch (err) {
    const e = err instanceof ContainError ? err : new ContainError(err instanceof Error ? err.message : String(err));
    channel.send({ type: "error", message: e.message, hint: e.hint, exitCode: e.exitCode });
    return e.exitCode;
  }
}

export function runInit(syncFd: number, statusFd: number, shimFd: number): never {
  adoptShim(shimFd);
  // Neither pipe may leak into the container; the status pipe closing at
  // execve is what tells the parent the command is running.
  setCloseOnExec(syncFd);
  setCloseOnExec(statusFd);
  if (shimFd >= 0) setCloseOnExec(shimFd);
  const channel = new Channel<ToInit, FromInit>(syncFd, statusFd);
  process.exit(takeTurns(channel, setUp, (start, prepared, go, log) => exec(start, prepared, go, log, statusFd)));
}
