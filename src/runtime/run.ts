// `contain run`: the parent's side of the picture in shared/DESIGN.md. State
// and cgroup (recorded before they exist), the init and the set-up protocol
// with it (init-process.ts); then, in the foreground, supervision until the
// container's PID 1 exits and the release of everything; detached
// (`run -d`, `node create`), the same start with the monitor as the init's
// parent, which records the exit and has it released (reap.ts).
import { constants as os } from "node:os";
import { newCgroup, type Usage } from "../linux/cgroups/index.ts";
import { close, describeExit, processStartTime, waitExited, type ExitStatus } from "../linux/process.ts";
import type { Logger, Verbosity } from "../log.ts";
import type { Plan } from "../plan/plan.ts";
import type { Spec } from "../spec/schema.ts";
import { DEFAULT_DATA_ROOT } from "./image.ts";
import { plugNetwork, prepareHost, seccompOf } from "./host.ts";
import { InitProcess } from "./init-process.ts";
import { checkBridge, networkState } from "./network.ts";
import { releaseResources } from "./release.ts";
import type { ContainerState, StateStore } from "./state.ts";
import { SignalForwarder, waitForExit } from "./supervise.ts";
import { proxyTerminal, type TerminalProxy } from "./terminal.ts";

export interface RunOptions {
  log: Logger;
  verbosity: Verbosity;
  store: StateStore; // swept already (openStore)
  spec: Spec;
  name?: string;
}

export interface DetachOptions extends RunOptions {
  autoRemove: boolean; // --rm
  kind?: "node";
}

export interface RunResult {
  status: ExitStatus;
  oomKilled: boolean;
  usage: Usage;
}

// The state of a new container, with the cgroup it is about to get.
// The network's resources are named here too, before any exists.
function newState(plan: Plan, opts: RunOptions, cgroup: { version: "v1" | "v2"; paths: Readonly<Record<string, string>> }): ContainerState {
  const network = networkState(plan.network, plan.id, DEFAULT_DATA_ROOT);
  if (network) checkBridge(plan.network);
  return {
    id: plan.id,
    name: opts.name,
    created: new Date().toISOString(),
    command: plan.process.args,
    rootfs: plan.root.path,
    owner: { pid: process.pid, startTime: processStartTime(process.pid) ?? 0 },
    spec: opts.spec,
    cgroup: { version: cgroup.version, paths: { ...cgroup.paths } },
    network,
  };
}

// The namespace names of the step log, as the user's design notes print them.
const SHORT_NAMES: Record<string, string> = { network: "net", mount: "mnt" };

export async function runContainer(plan: Plan, opts: RunOptions): Promise<RunResult> {
  const { log } = opts;
  using signals = new SignalForwarder();
  const cgroup = newCgroup(plan.id);
  using entry = opts.store.create(newState(plan, opts, cgroup));
  let terminal: TerminalProxy | undefined;
  let init: InitProcess | undefined;
  try {
    cgroup.create();
    const bridge = prepareHost(plan, entry, log);
    log.info(`creating namespaces: ${plan.namespaces.map((n) => SHORT_NAMES[n] ?? n).join(" ")}`);
    init = InitProcess.clone(plan.namespaces);
    entry.state.init = { pid: init.pid, startTime: init.startTime };
    entry.save();
    const eth0 = plugNetwork(entry, bridge, init.pid);
    const { master } = init.start(plan, cgroup, log, opts.verbosity, { eth0, seccomp: await seccompOf(opts.spec) });
    entry.state.started = new Date().toISOString();
    entry.save();
    if (master !== undefined) terminal = await proxyTerminal(master);
    signals.attach(init.pid, terminal);
    const status = await waitForExit(() => init?.tryReap());
    await terminal?.drained();
    log.info(`container exited: ${describeExit(status)}`);
    const usage = cgroup.usage();
    const oomKilled = !status.exited && status.signal === os.signals.SIGKILL && usage.oomKills > 0;
    return { status, oomKilled, usage };
  } catch (err) {
    init?.discard();
    throw err;
  } finally {
    terminal?.restore();
    log.info(entry.state.network ? "cleaning up cgroups and network" : "cleaning up cgroups");
    releaseResources(entry.state);
    entry.remove();
  }
}

// Starts the container and returns once its command runs; the monitor then
// supervises it. Returns the init's host PID.
export async function runDetached(plan: Plan, opts: DetachOptions): Promise<number> {
  const { log } = opts;
  const cgroup = newCgroup(plan.id);
  using entry = opts.store.create({ ...newState(plan, opts, cgroup), detached: true, autoRemove: opts.autoRemove, kind: opts.kind });
  let ctl: number | undefined;
  let init: InitProcess | undefined;
  let monitor: number | undefined;
  try {
    cgroup.create();
    const bridge = prepareHost(plan, entry, log);
    log.info(`creating namespaces: ${plan.namespaces.map((n) => SHORT_NAMES[n] ?? n).join(" ")}`);
    const started = InitProcess.viaMonitor(plan.namespaces, opts.store, plan.id, entry.lockFd);
    ({ init, ctl } = started);
    monitor = started.monitor.pid;
    entry.state.init = { pid: init.pid, startTime: init.startTime };
    entry.state.monitor = started.monitor;
    entry.save();
    // The init's stderr is the container's log: only --debug's steps go there.
    const eth0 = plugNetwork(entry, bridge, init.pid);
    init.start(plan, cgroup, log, opts.verbosity === "debug" ? "debug" : "quiet", { eth0, seccomp: await seccompOf(opts.spec) });
    entry.state.started = new Date().toISOString();
    entry.save();
    return init.pid;
  } catch (err) {
    // Released here, before the monitor may clean up (it waits for ctl), so
    // a failed start leaves nothing once the command returns.
    init?.discard();
    releaseResources(entry.state);
    entry.remove();
    // The monitor (our child until we exit) finds nothing left to release:
    // waited for, so nothing of this start outlives the command.
    if (ctl !== undefined) close(ctl);
    ctl = undefined;
    if (monitor !== undefined) waitExited(monitor);
    throw err;
  } finally {
    if (ctl !== undefined) close(ctl);
  }
}
