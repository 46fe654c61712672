// `contain run` in the foreground: the parent's side of the picture in
// shared/DESIGN.md. State and cgroup first (recorded before they exist), then
// the clone, the set-up protocol with the init (src/plan/protocol.ts), and
// supervision until the container's PID 1 exits; then everything is released.
import { constants as os } from "node:os";
import { ContainError } from "../errors.ts";
import { newCgroup, type Cgroup, type Usage } from "../linux/cgroups/index.ts";
import { Channel } from "../linux/channel.ts";
import { cloneFlags, flagNames } from "../linux/namespaces.ts";
import { close, cloneExec, describeExit, kill, shimFd, pidfdGetfd, pipe, processStartTime, tryWait, waitExited, type ExitStatus } from "../linux/process.ts";
import type { Logger, Verbosity } from "../log.ts";
import { cgroupWrites, describeLimits } from "../plan/cgroup.ts";
import type { Plan } from "../plan/plan.ts";
import type { FromInit, ToInit } from "../plan/protocol.ts";
import { releaseResources } from "./release.ts";
import { StateStore, type Entry } from "./state.ts";
import { proxyTerminal, type TerminalProxy } from "./terminal.ts";

// Forwarded to the container's PID 1 (docker's sig-proxy set).
const FORWARDED = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGWINCH"] as const;

export interface RunOptions {
  log: Logger;
  verbosity: Verbosity;
  stateRoot: string;
}

export interface RunResult {
  status: ExitStatus;
  oomKilled: boolean;
  usage: Usage;
}

// The namespace names of the step log, as the user's design notes print them.
const SHORT_NAMES: Record<string, string> = { network: "net", mount: "mnt" };

function initFailed(pid: number, what: string): ContainError {
  const st = waitExited(pid);
  const how = st.exited ? `exit status ${st.code}` : `signal ${st.signal}`;
  return new ContainError(`the container's init ${what} (${how})`, "run again with --debug to see each step");
}

// Clones the init and runs the set-up protocol up to the command's execve.
function start(plan: Plan, opts: RunOptions, entry: Entry, cgroup: Cgroup): { pid: number; master?: number } {
  const { log } = opts;
  const sync = pipe();
  const status = pipe();
  // The cgroup namespace is created by the init itself, once it is inside the
  // container's cgroup (see protocol.ts), so that cgroup becomes its root.
  const flags = cloneFlags(plan.namespaces.filter((n) => n !== "cgroup"));
  log.info(`creating namespaces: ${plan.namespaces.map((n) => SHORT_NAMES[n] ?? n).join(" ")}`);
  let child: { pid: number; pidfd: number };
  try {
    child = cloneExec({
      flags,
      flagNames: flagNames(Number(flags)),
      cgroupFd: -1,
      exe: "/proc/self/exe",
      argv: ["contain", "init", String(sync.read), String(status.write), String(shimFd())],
      env: [], // a clean environment: Bun obeys BUN_OPTIONS and friends
      keepFds: [sync.read, status.write, shimFd()].filter((fd) => fd >= 0),
    });
  } finally {
    close(sync.read);
    close(status.write);
  }
  const { pid, pidfd } = child;
  entry.state.init = { pid, startTime: processStartTime(pid) ?? 0 };
  entry.save();
  const channel = new Channel<FromInit, ToInit>(status.read, sync.write);
  try {
    try {
      channel.send({ type: "plan", plan, verbosity: opts.verbosity });
    } catch {
      throw initFailed(pid, "exited before reading its plan");
    }
    const ready = channel.receive();
    if (!ready) throw initFailed(pid, "exited during set-up");
    if (ready.type === "error") {
      waitExited(pid);
      throw new ContainError(ready.message, ready.hint, ready.exitCode);
    }
    // The latest safe moment: from here on the init's charges (and the
    // command's) are the container's; Bun's start-up stays with the caller.
    log.info(`applying cgroup limits: ${describeLimits(plan.limits)}`);
    cgroup.apply(cgroupWrites(cgroup.version, plan.limits));
    cgroup.addProcess(pid);
    const master = ready.ptyMaster === undefined ? undefined : pidfdGetfd(pidfd, ready.ptyMaster);
    channel.send({ type: "go" });
    const after = channel.receive();
    if (after?.type === "error") {
      waitExited(pid);
      throw new ContainError(after.message, after.hint, after.exitCode);
    }
    return { pid, master };
  } finally {
    close(status.read);
    close(sync.write);
    close(pidfd);
  }
}

// Takes the forwarded signals from the start, so one that arrives while the
// container is being set up is held and delivered once it runs, instead of
// killing the runtime (the default action) and stranding the container.
class SignalForwarder implements Disposable {
  private target?: { pid: number; terminal?: TerminalProxy };
  private readonly held: (typeof FORWARDED)[number][] = [];
  private readonly handlers = FORWARDED.map((name) => {
    const handler = () => (this.target ? this.forward(name) : this.held.push(name));
    process.on(name, handler);
    return [name, handler] as const;
  });

  private forward(name: (typeof FORWARDED)[number]): void {
    if (!this.target) return;
    if (name === "SIGWINCH") this.target.terminal?.resize();
    kill(this.target.pid, os.signals[name]);
  }

  attach(pid: number, terminal: TerminalProxy | undefined): void {
    this.target = { pid, terminal };
    for (const name of this.held.splice(0)) this.forward(name);
  }

  [Symbol.dispose](): void {
    for (const [name, handler] of this.handlers) process.off(name, handler);
  }
}

// Reaps with SIGCHLD plus a non-blocking waitpid, since a blocking wait would
// keep Bun's signal handlers from running.
function waitForExit(pid: number): Promise<ExitStatus> {
  return new Promise((resolve) => {
    let timer: ReturnType<typeof setInterval> | undefined;
    const reap = () => {
      const status = tryWait(pid);
      if (!status) return;
      clearInterval(timer);
      process.off("SIGCHLD", reap);
      resolve(status);
    };
    process.on("SIGCHLD", reap);
    // Keeps the event loop alive, and a safety net should a SIGCHLD be missed.
    timer = setInterval(reap, 250);
    reap();
  });
}

export async function runContainer(plan: Plan, opts: RunOptions): Promise<RunResult> {
  const { log } = opts;
  using signals = new SignalForwarder();
  const store = new StateStore(opts.stateRoot);
  const cgroup = newCgroup(plan.id);
  using entry = store.create({
    id: plan.id,
    created: new Date().toISOString(),
    command: plan.process.args,
    rootfs: plan.rootfs,
    owner: { pid: process.pid, startTime: processStartTime(process.pid) ?? 0 },
    cgroup: { version: cgroup.version, paths: { ...cgroup.paths } },
  });
  let terminal: TerminalProxy | undefined;
  try {
    cgroup.create();
    log.info(`setting up rootfs: ${plan.rootfs}`);
    const { pid, master } = start(plan, opts, entry, cgroup);
    if (master !== undefined) terminal = await proxyTerminal(master);
    signals.attach(pid, terminal);
    const status = await waitForExit(pid);
    await terminal?.drained();
    log.info(`container exited: ${describeExit(status)}`);
    const usage = cgroup.usage();
    const oomKilled = !status.exited && status.signal === os.signals.SIGKILL && usage.oomKills > 0;
    return { status, oomKilled, usage };
  } finally {
    terminal?.restore();
    log.info("cleaning up cgroups");
    releaseResources(entry.state);
    entry.remove();
  }
}
