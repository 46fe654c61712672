// `contain run`: the parent's side of the picture in shared/DESIGN.md. State
// and cgroup (recorded before they exist), the init and the set-up protocol
// with it (init-process.ts); then, in the foreground, supervision until the
// container's PID 1 exits and the release of everything; detached
// (`run -d`, `node create`), the same start with the monitor as the init's
// parent, which records the exit and has it released (reap.ts).
import { renameSync, rmSync, writeFileSync } from "node:fs";
import { sendConsole } from "../linux/console.ts";
import { mknod } from "../linux/mount.ts";
import { openCgroup, type Cgroup, type Usage } from "../linux/cgroups/index.ts";
import { sealedSelf } from "../linux/self.ts";
import { close, describeExit, processStartTime, waitExited, type ExitStatus } from "../linux/process.ts";
import type { Logger, Verbosity } from "../log.ts";
import type { Plan } from "../plan/plan.ts";
import type { RestartPolicy } from "../spec/restart.ts";
import type { Spec } from "../spec/schema.ts";
import { makeDataDir, plugNetwork, prepareHost, seccompOf } from "./host.ts";
import { keepSeccompFilter } from "./seccomp-cache.ts";
import { InitProcess } from "./init-process.ts";
import { networkState } from "./bridge.ts";
import { releaseResources } from "./release.ts";
import { runHooks } from "../linux/hooks.ts";
import { ociState, poststart, poststop } from "./oci.ts";
import { SpecError } from "../errors.ts";
import { EXEC_FIFO, type ContainerState, type Entry, type StateStore } from "./state.ts";
import { SignalForwarder, waitForExit } from "./supervise.ts";
import { proxyTerminal, type TerminalProxy } from "./terminal.ts";

export interface RunOptions {
  log: Logger;
  verbosity: Verbosity;
  store: StateStore; // swept already (openStore)
  spec: Spec;
  name?: string;
  bundle?: string; // an OCI bundle's container (create, run --bundle)
  pidFile?: string; // the init's PID goes there once it runs (runc's --pid-file)
  sigProxy?: boolean; // false: the signals contain gets are not forwarded (docker's --sig-proxy=false)
  cidfile?: string; // docker's --cidfile: the ID goes there once the entry exists
  stats?: boolean; // the result has the container's usage (--stats)
}

export interface DetachOptions extends RunOptions {
  autoRemove: boolean; // --rm
  kind?: "node";
  restartPolicy?: RestartPolicy; // --restart
}

export interface RunResult {
  status: ExitStatus;
  oomKilled: boolean;
  usage?: Usage; // with RunOptions.stats
}

// The state of a new container, with the cgroup it is about to get.
// The network's resources are named here too, before any exists.
export function newState(plan: Plan, opts: RunOptions, cgroup: { version: "v1" | "v2"; paths: Readonly<Record<string, string>> }): ContainerState {
  const network = networkState(plan.network, plan.id);
  return {
    id: plan.id,
    name: opts.name,
    ...(opts.bundle !== undefined && { kind: "oci" as const, bundle: opts.bundle }),
    created: new Date().toISOString(),
    command: plan.process.args,
    rootfs: plan.root.path,
    owner: { pid: process.pid, startTime: processStartTime(process.pid) ?? 0 },
    spec: opts.spec,
    cgroup: { version: cgroup.version, paths: { ...cgroup.paths } },
    network,
    dataDir: plan.dataDir,
    ...(opts.cidfile !== undefined && { cidfile: opts.cidfile }),
  };
}

// Recorded in the entry before it is written, so whatever removes the entry
// removes it. "wx": of two runs given one file, the second fails, as docker's.
function writeCidfile(entry: Entry): void {
  const file = entry.state.cidfile;
  if (file === undefined) return;
  try {
    writeFileSync(file, entry.state.id, { flag: "wx", mode: 0o644 });
  } catch (err) {
    // Not ours to remove: another container's, or nothing.
    entry.state.cidfile = undefined;
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new SpecError("--cidfile", `cannot write ${file}: ${code}`, code === "EEXIST" ? `another container wrote it; remove it (rm ${file}) or give another file` : "give a path in a directory that exists");
  }
}

// The namespace names of the step log, as the user's design notes print them.
const SHORT_NAMES: Record<string, string> = { network: "net", mount: "mnt" };

// A pod's PID namespace (or --pid container:'s), which the init must be
// cloned into: the others it joins from inside (init.ts).
const pidJoin = (plan: Plan) => plan.joins.find((j) => j.type === "pid")?.path;

// The start that run and run -d share: the init (spawned by `spawn`: our
// child, or the monitor's), the host's side (cgroups, lease, files), its
// veth, the plan and the go, each recorded in the entry as it happens. An
// init whose start fails is discarded here.
async function startInit(plan: Plan, opts: RunOptions, entry: Entry, cgroup: Cgroup, verbosity: Verbosity, spawn: () => InitProcess): Promise<{ init: InitProcess; master?: number }> {
  if (opts.spec.contain) makeDataDir(plan, entry.dir);
  opts.log.info(`creating namespaces: ${plan.namespaces.map((n) => SHORT_NAMES[n] ?? n).join(" ")}`);
  // First: the init's boot (a Bun start) overlaps the host's side, which it
  // needs only once it has its plan. Until then it holds nothing; it dies
  // with this process (PR_SET_PDEATHSIG), and a failure below discards it.
  const init = spawn();
  const self = sealedSelf();
  if (self.why) opts.log.debug(`the init runs from a sealed memfd copy of this binary: ${self.why}`);
  try {
    entry.state.init = { pid: init.pid, startTime: init.startTime };
    entry.save();
    cgroup.create();
    // An OCI caller brings its own network and /etc files.
    const bridge = opts.spec.contain ? prepareHost(plan, entry, opts.log) : undefined;
    const eth0 = plugNetwork(entry, bridge, init.pid);
    // An OCI bundle's hooks get its state: those of the runtime's namespaces
    // now, with the namespaces made and pivot_root to come.
    const hookState = opts.bundle === undefined ? undefined : ociState(opts.store, entry.state);
    if (hookState) for (const kind of ["prestart", "createRuntime"] as const) runHooks(opts.spec.hooks?.[kind], kind, hookState, opts.log);
    // Compiled while the init sets up, and kept for exec (seccomp-cache.ts).
    const compile = async () => {
      const seccomp = await seccompOf(opts.spec);
      if (seccomp) keepSeccompFilter(entry.dir, seccomp);
      return seccomp;
    };
    const { master } = await init.start(plan, cgroup, opts.log, verbosity, { eth0, hookState }, compile);
    // With an exec fifo the command waits for `start`, which records it.
    if (!plan.execFifo) entry.state.started = new Date().toISOString();
    entry.save();
    return { init, master };
  } catch (err) {
    init.discard();
    throw err;
  }
}

export async function runContainer(plan: Plan, opts: RunOptions): Promise<RunResult> {
  const { log } = opts;
  using signals = new SignalForwarder(opts.sigProxy !== false);
  const cgroup = openCgroup(plan.cgroup.version, plan.cgroup.paths);
  using entry = opts.store.create(newState(plan, opts, cgroup));
  let terminal: TerminalProxy | undefined;
  let init: InitProcess | undefined;
  try {
    writeCidfile(entry);
    const started = await startInit(plan, opts, entry, cgroup, opts.verbosity, () => InitProcess.clone(plan.namespaces, { pidns: pidJoin(plan) }));
    init = started.init;
    if (opts.pidFile) writePidFile(opts.pidFile, init.pid);
    poststart(opts.store, entry.state, log);
    if (started.master !== undefined) terminal = await proxyTerminal(started.master);
    signals.attach(init.pid, terminal);
    const status = await waitForExit(() => init?.tryReap());
    await terminal?.drained();
    log.info(`container exited: ${describeExit(status)}`);
    // docker's rule (status.ts withOomKilled): any process of the container.
    return { status, oomKilled: cgroup.oomKills() > 0, ...(opts.stats && { usage: cgroup.usage() }) };
  } catch (err) {
    init?.discard();
    throw err;
  } finally {
    terminal?.restore();
    log.info(entry.state.network ? "cleaning up cgroups and network" : "cleaning up cgroups");
    releaseResources(entry.state);
    entry.remove();
    poststop(entry.state, log);
  }
}

// Starts the container and returns once its command runs; the monitor then
// supervises it. Returns the init's host PID.
export async function runDetached(plan: Plan, opts: DetachOptions): Promise<number> {
  const cgroup = openCgroup(plan.cgroup.version, plan.cgroup.paths);
  const state: ContainerState = {
    ...newState(plan, opts, cgroup),
    detached: true,
    autoRemove: opts.autoRemove,
    kind: opts.kind,
    // What a start plans from again (start.ts).
    networkRequest: plan.network,
    ...(opts.restartPolicy && { restartPolicy: opts.restartPolicy, restartCount: 0 }),
  };
  using entry = opts.store.create(state);
  try {
    writeCidfile(entry);
  } catch (err) {
    entry.remove();
    throw err;
  }
  return startViaMonitor(plan, opts, entry, cgroup, () => entry.remove());
}

// The start that run -d and start (start.ts) share: the init as the
// monitor's child, the monitor holding the entry's lock from here on. A start
// that fails is released here, and `undo` puts the entry back as it was.
export async function startViaMonitor(plan: Plan, opts: RunOptions, entry: Entry, cgroup: Cgroup, undo: () => void): Promise<number> {
  let viaMonitor: ReturnType<typeof InitProcess.viaMonitor> | undefined;
  let pid: number;
  try {
    // The init's stderr is the container's log: only --debug's steps go there.
    const verbosity = opts.verbosity === "debug" ? "debug" : "quiet";
    const { init, master } = await startInit(plan, opts, entry, cgroup, verbosity, () => {
      viaMonitor = InitProcess.viaMonitor(plan.namespaces, opts.store, plan.id, entry.lockFd, plan.log, pidJoin(plan));
      entry.state.monitor = viaMonitor.monitor;
      return viaMonitor.init;
    });
    pid = init.pid;
    // The terminal is the monitor's to hold (contain attach), not ours.
    // attach.ts loads node:net (~1.6 ms at every start): only for -t.
    if (master !== undefined) {
      try {
        const { handOverTerminal } = await import("./attach.ts");
        handOverTerminal(entry.dir, master);
      } finally {
        close(master);
      }
    }
  } catch (err) {
    // Released here, before the monitor may clean up (it waits for ctl), so
    // a failed start leaves nothing once the command returns.
    releaseResources(entry.state);
    undo();
    // The monitor (our child until we exit) finds nothing left to release:
    // waited for, so nothing of this start outlives the command.
    if (viaMonitor) {
      close(viaMonitor.ctl);
      waitExited(viaMonitor.monitor.pid);
    }
    throw err;
  }
  // Done with the start: the monitor may release the container once it exits.
  if (viaMonitor) close(viaMonitor.ctl);
  return pid;
}

export interface CreateOptions extends RunOptions {
  consoleSocket?: string;
}

const S_IFIFO = 0o010000;

// A pid file as runc writes it: the bare number, renamed into place whole.
export function writePidFile(path: string, pid: number): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, String(pid));
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

// runc's `create`: the container is set up to its last step, its process in
// its cgroups and waiting at the exec fifo, then the caller owns it: the
// init outlives this process (the caller, a subreaper, reaps it), and only
// `delete` releases it. Returns the init's PID.
// The plan's execFifo is the entry's EXEC_FIFO.
export async function createContainer(plan: Plan, opts: CreateOptions): Promise<number> {
  const cgroup = openCgroup(plan.cgroup.version, plan.cgroup.paths);
  using entry = opts.store.create(newState(plan, opts, cgroup));
  let master: number | undefined;
  try {
    // Writable by root only: whoever opens it for reading starts the container.
    mknod(`${entry.dir}/${EXEC_FIFO}`, S_IFIFO | 0o600, 0, 0);
    const started = await startInit(plan, opts, entry, cgroup, opts.verbosity, () => InitProcess.clone(plan.namespaces, { outlive: true, pidns: pidJoin(plan) }));
    master = started.master;
    if (master !== undefined && opts.consoleSocket) sendConsole(opts.consoleSocket, master);
    if (opts.pidFile) writePidFile(opts.pidFile, started.init.pid);
    entry.state.handedOver = true;
    entry.save();
    return started.init.pid;
  } catch (err) {
    releaseResources(entry.state);
    entry.remove();
    throw err;
  } finally {
    if (master !== undefined) close(master);
  }
}
