// The parent's handle on the container's init: cloned by the shim into the
// new namespaces, then driven through the set-up protocol (src/plan/protocol.ts)
// up to the command's execve, and reaped.
import { ContainError, EXIT } from "../errors.ts";
import type { Cgroup } from "../linux/cgroups/index.ts";
import { Channel } from "../linux/channel.ts";
import { cloneFlags, flagNames, inPidNamespace, noInit, openNamespace } from "../linux/namespaces.ts";
import { constants, openSync, readSync } from "node:fs";
import {
  close,
  cloneExec,
  isRunning,
  kill,
  monitorPathForExec,
  SIGKILL,
  pidfdGetfd,
  pidfdOpen,
  pipe,
  processStartTime,
  shimFd,
  startFailure,
  SyscallError,
  tryWait,
  waitExited,
  type ExitStatus,
} from "../linux/process.ts";
import { sealedSelf } from "../linux/self.ts";
import { sendFds, socketPair } from "../linux/unix-socket.ts";
import type { Logger, Verbosity } from "../log.ts";
import { describeLimits } from "../plan/cgroup.ts";
import type { LogPlan, Plan } from "../plan/plan.ts";
import type { Eth0Config, FromInit, SeccompFilter, ToInit } from "../plan/protocol.ts";
import type { NamespaceType } from "../spec/schema.ts";
import type { ProcessRef, StateStore } from "./state.ts";

const O_PATH = 0o10000000;
const O_CLOEXEC = 0o2000000;

// How the init's end is learnt: as its parent (wait4), or from its monitor.
interface Waiter {
  wait(): ExitStatus; // blocking, for an init known to be exiting
  poll(): ExitStatus | undefined;
}

interface AheadMonitor {
  pid: number;
  flags: bigint;
  sock: number; // where the rest of its arguments go
  sync: number;
  status: number;
  rep: number; // its report: the init's pid
}

// A monitor's report: the init's pid, or -errno.
function readReport(fd: number): number {
  const report = Buffer.alloc(4);
  return readSync(fd, report) === 4 ? report.readInt32LE() : -1;
}

// Closing its socket ends an ahead monitor and its init; it is waited for,
// so nothing of it outlives the command.
function discardMonitor(ahead: AheadMonitor): void {
  for (const fd of [ahead.sock, ahead.sync, ahead.status, ahead.rep]) if (fd >= 0) close(fd);
  try {
    waitExited(ahead.pid);
  } catch {}
}

const ENOENT = 2;
const ENOMEM = 12;

// The helper's failure (ffi/helper.c, start) as the error line: the command
// not found or not executable (127, 126), or the call that failed.
function startError(msg: Extract<FromInit, { type: "failed" }>, path: string): ContainError {
  const call = startFailure(msg.step, msg.execStep);
  if (call === "a startContainer hook") return new ContainError("a startContainer hook failed (its line is above)", "fix the hook, or remove it from config.json");
  const err = new SyscallError(call, call === "execve" ? [path] : [], msg.errno);
  if (call !== "execve") return new ContainError(`cannot start the container's process: ${err.message}`, call === "write cgroup.procs" ? "the container's cgroup may be full (--pids) or gone" : undefined);
  const notFound = msg.errno === ENOENT; // the file, its interpreter or a library is missing
  return new ContainError(
    `cannot execute ${path}: ${err.message.replace(/^execve\([^)]*\): /, "")}`,
    notFound ? "its interpreter or a shared library may be missing from the root filesystem" : "check that it is a binary or script for this machine",
    notFound ? EXIT.notFound : EXIT.cannotExecute,
  );
}

export class InitProcess {
  private readonly channel: Channel<FromInit, ToInit>;
  private open = true;
  private exit?: ExitStatus; // once reaped: the pid may then belong to another process

  private constructor(
    readonly pid: number,
    readonly startTime: number,
    private readonly pidfd: number,
    statusRead: number,
    syncWrite: number,
    private readonly waiter: Waiter,
  ) {
    this.channel = new Channel(statusRead, syncWrite);
  }

  private static argv(sync: number, status: number): string[] {
    return ["contain", "init", String(sync), String(status), String(shimFd())];
  }

  // An init cloned before this process knows its container (cloneAhead).
  private static ahead?: { init: InitProcess; flags: bigint };

  // `run` in the foreground clones its init before it has loaded its own
  // modules and read its flags (cli/ahead.ts): the init's Bun boot (~9 ms)
  // then overlaps the CLI's (~12 ms) instead of following it. Until clone()
  // takes it, it holds nothing and waits for its plan; it dies with this
  // process (PR_SET_PDEATHSIG), and a clone that needs other namespaces, a
  // pod's PID namespace or an init that outlives this process discards it.
  // Best effort: a failure (not root) is left to the real clone to report.
  static cloneAhead(namespaces: readonly NamespaceType[]): void {
    try {
      InitProcess.ahead = { init: InitProcess.spawn(namespaces, {}), flags: cloneFlags(namespaces.filter((n) => n !== "cgroup")) };
    } catch {}
  }

  // The cgroup namespace is left out: the init creates it itself once it is
  // inside the container's cgroup, so that cgroup becomes its root. The init
  // is this binary, exec'd from its sealed copy (linux/self.ts).
  // outlive: the init lives on when this process exits (`create`: its
  // caller, a subreaper, inherits and reaps it). pidns: the path of a PID
  // namespace to start in (a pod's), instead of a new one.
  static clone(namespaces: readonly NamespaceType[], opts: { outlive?: boolean; pidns?: string } = {}): InitProcess {
    const ahead = InitProcess.ahead;
    InitProcess.ahead = undefined;
    if (ahead) {
      const fits = !opts.outlive && opts.pidns === undefined && ahead.flags === cloneFlags(namespaces.filter((n) => n !== "cgroup"));
      if (fits && ahead.init.tryReap() === undefined) return ahead.init;
      ahead.init.discard();
    }
    return InitProcess.spawn(namespaces, opts);
  }

  private static spawn(namespaces: readonly NamespaceType[], opts: { outlive?: boolean; pidns?: string }): InitProcess {
    const sync = pipe();
    const status = pipe();
    const flags = cloneFlags(namespaces.filter((n) => n !== "cgroup"));
    const argv = InitProcess.argv(sync.read, status.write);
    try {
      const exe = `/proc/self/fd/${sealedSelf().fd}`;
      const { pid, pidfd } = inPidNamespace(opts.pidns, () =>
        cloneExec({
          flags,
          flagNames: flagNames(Number(flags)),
          exe,
          argv,
          env: [], // a clean environment: Bun obeys BUN_OPTIONS and friends
          keepFds: [sync.read, status.write, shimFd()].filter((fd) => fd >= 0),
          outlive: opts.outlive,
        }),
      );
      const waiter = { wait: () => waitExited(pid), poll: () => tryWait(pid) ?? undefined };
      return new InitProcess(pid, processStartTime(pid) ?? 0, pidfd, status.read, sync.write, waiter);
    } catch (err) {
      close(sync.write);
      close(status.read);
      throw err;
    } finally {
      close(sync.read);
      close(status.write);
    }
  }

  // A detached container's init: cloned by its monitor (ffi/monitor.c), which
  // outlives this process and writes the container's output to `log.dir`.
  // The monitor keeps the state lock (lockFd) and waits, before it cleans up,
  // until `ctl` (returned: close it when done with the container) is closed
  // by this process, or by its death.
  // pidns: the path of a PID namespace to start in, which the monitor joins
  // for the clone (as clone's caller does).
  static viaMonitor(namespaces: readonly NamespaceType[], store: StateStore, id: string, lockFd: number, log: LogPlan, pidns?: string): { init: InitProcess; monitor: ProcessRef; ctl: number } {
    const flags = cloneFlags(namespaces.filter((n) => n !== "cgroup"));
    const ahead = InitProcess.aheadMonitor;
    InitProcess.aheadMonitor = undefined;
    if (ahead) {
      if (pidns === undefined && !log.stdin && ahead.flags === flags) return InitProcess.lateMonitor(ahead, store, id, lockFd, log);
      discardMonitor(ahead);
    }
    const dir = store.dir(id);
    const sync = pipe();
    const status = pipe();
    const ctl = pipe();
    const rep = pipe();
    // The monitor execs the init from the sealed binary (closing it at once),
    // and at the end `contain reap`, on the host, from this binary's file.
    const exe = openSync("/proc/self/exe", O_PATH | O_CLOEXEC);
    const initExe = sealedSelf().fd;
    const dirFd = openSync(dir, O_PATH | O_CLOEXEC | constants.O_DIRECTORY);
    const logDir = openSync(log.dir, O_PATH | O_CLOEXEC | constants.O_DIRECTORY);
    const pidnsFd = pidns === undefined ? -1 : openNamespace("pid", pidns);
    const theirs = [exe, initExe, dirFd, sync.read, status.write, shimFd(), logDir, ctl.read, rep.write, lockFd];
    const argv = ["contain-monitor", ...theirs.map(String), String(flags), String(log.maxSize), String(log.maxFile), store.root, id, log.stdin ? "1" : "0", String(pidnsFd)];
    let monitorPid: number | undefined;
    try {
      const { pid, pidfd } = cloneExec({ flags: 0n, flagNames: "0", exe: monitorPathForExec(), argv, env: [], keepFds: [...theirs, pidnsFd].filter((fd) => fd >= 0) });
      close(pidfd);
      if (pidnsFd >= 0) close(pidnsFd);
      monitorPid = pid;
      const monitor = { pid, startTime: processStartTime(pid) ?? 0 };
      // Our copies of its ends go first: a monitor that dies unblocks the read.
      for (const fd of [exe, dirFd, sync.read, status.write, logDir, ctl.read, rep.write]) close(fd);
      const initPid = readReport(rep.read);
      if (initPid === -ENOMEM && pidns !== undefined) throw noInit(pidns);
      return InitProcess.monitored(store, id, monitor, initPid, status.read, sync.write, ctl.write);
    } catch (err) {
      if (monitorPid === undefined) for (const fd of [exe, dirFd, sync.read, status.write, logDir, ctl.read, rep.write, pidnsFd]) if (fd >= 0) close(fd);
      close(sync.write);
      close(status.read);
      close(ctl.write);
      throw err;
    } finally {
      close(rep.read);
    }
  }

  // A detached run's monitor, cloned before this process knows its container
  // (cli/ahead.ts), as cloneAhead does for a foreground run's init: the
  // monitor clones the init at once, so that the init's Bun boot (~9 ms)
  // overlaps the CLI's instead of following its state entry. What it needs
  // of the container (its state directory and lock, the log's directory
  // and sizes, ctl) comes later over a socket (ffi/monitor.c); closing that
  // socket instead ends the monitor and its init. Best effort, as cloneAhead.
  private static aheadMonitor?: AheadMonitor;

  static monitorAhead(namespaces: readonly NamespaceType[]): void {
    try {
      const flags = cloneFlags(namespaces.filter((n) => n !== "cgroup"));
      const sync = pipe();
      const status = pipe();
      const rep = pipe();
      const [sock, theirSock] = socketPair();
      const theirs = [-1, sealedSelf().fd, -1, sync.read, status.write, shimFd(), -1, -1, rep.write, theirSock];
      const argv = ["contain-monitor", ...theirs.map(String), String(flags), "0", "0", "", "", "0", "-1"];
      try {
        const { pid, pidfd } = cloneExec({ flags: 0n, flagNames: "0", exe: monitorPathForExec(), argv, env: [], keepFds: theirs.filter((fd) => fd >= 0) });
        close(pidfd);
        const ahead: AheadMonitor = { pid, flags, sock, sync: sync.write, status: status.read, rep: rep.read };
        InitProcess.aheadMonitor = ahead;
        // A run that fails before its start leaves nothing behind it.
        process.once("exit", () => {
          if (InitProcess.aheadMonitor !== ahead) return;
          InitProcess.aheadMonitor = undefined;
          discardMonitor(ahead);
        });
      } catch {
        for (const fd of [sock, sync.write, status.read, rep.read]) close(fd);
      } finally {
        for (const fd of [theirSock, sync.read, status.write, rep.write]) close(fd);
      }
    } catch {}
  }

  private static lateMonitor(ahead: AheadMonitor, store: StateStore, id: string, lockFd: number, log: LogPlan): { init: InitProcess; monitor: ProcessRef; ctl: number } {
    const ctl = pipe();
    try {
      const monitor = { pid: ahead.pid, startTime: processStartTime(ahead.pid) ?? 0 };
      const initPid = readReport(ahead.rep);
      if (initPid <= 0) throw new ContainError(`the container's monitor could not start the init${initPid < -1 ? ` (errno ${-initPid})` : ""}`, "run again with --debug");
      const exe = openSync("/proc/self/exe", O_PATH | O_CLOEXEC);
      const files = [exe];
      try {
        files.push(openSync(store.dir(id), O_PATH | O_CLOEXEC | constants.O_DIRECTORY));
        files.push(openSync(log.dir, O_PATH | O_CLOEXEC | constants.O_DIRECTORY));
        sendFds(ahead.sock, `${log.maxSize} ${log.maxFile}\0${store.root}\0${id}\0`, [...files, ctl.read, lockFd]);
      } finally {
        for (const fd of files) close(fd);
        close(ctl.read);
      }
      // Its answer: attach.sock listens (EOF: it could not).
      if (readSync(ahead.sock, Buffer.alloc(1)) !== 1) throw new ContainError("the container's monitor could not take its container", "run again with --debug");
      close(ahead.sock);
      close(ahead.rep);
      ahead.sock = ahead.rep = -1;
      return InitProcess.monitored(store, id, monitor, initPid, ahead.status, ahead.sync, ctl.write);
    } catch (err) {
      close(ctl.write);
      discardMonitor(ahead);
      throw err;
    }
  }

  // The init that a monitor (our child until we exit) reported.
  private static monitored(store: StateStore, id: string, monitor: ProcessRef, initPid: number, statusRead: number, syncWrite: number, ctl: number): { init: InitProcess; monitor: ProcessRef; ctl: number } {
    if (initPid <= 0) throw new ContainError(`the container's monitor could not start the init${initPid < -1 ? ` (errno ${-initPid})` : ""}`, "run again with --debug");
    const waiter: Waiter = {
      poll: () => store.exitRecord(id)?.status ?? (isRunning(monitor.pid, monitor.startTime) ? undefined : { exited: false, signal: SIGKILL, core: false }),
      wait: () => {
        for (;;) {
          const st = waiter.poll();
          if (st) return st;
          Bun.sleepSync(5);
        }
      },
    };
    const init = new InitProcess(initPid, processStartTime(initPid) ?? 0, pidfdOpen(initPid), statusRead, syncWrite, waiter);
    return { init, monitor, ctl };
  }

  // Blocking: for an init known to be exiting (its pipes closed, or killed).
  private reap(): ExitStatus {
    this.exit ??= this.waiter.wait();
    return this.exit;
  }

  // Non-blocking; undefined while it runs.
  tryReap(): ExitStatus | undefined {
    this.exit ??= this.waiter.poll();
    return this.exit;
  }

  private failed(what: string): ContainError {
    const st = this.reap();
    const how = st.exited ? `exit status ${st.code}` : `signal ${st.signal}`;
    return new ContainError(`the container's init ${what} (${how})`, "run again with --debug to see each step");
  }

  private expectNoError(msg: FromInit | null, path = ""): void {
    if (msg?.type === "error") {
      this.reap();
      throw new ContainError(msg.message, msg.hint, msg.exitCode);
    }
    if (msg?.type === "failed") {
      this.reap();
      throw startError(msg, path);
    }
  }

  // Runs the protocol: the plan, the init's set-up, the limits, and the go
  // after which the helper joins the cgroups at the latest safe moment and
  // execs. Returns the container's pty master. `sent`: what travels beside
  // the plan (eth0); `seccomp` compiles the filter that goes with the go,
  // while the init sets up.
  async start(plan: Plan, cgroup: Cgroup, log: Logger, verbosity: Verbosity, sent: { eth0?: Eth0Config; hookState?: object }, seccomp: () => Promise<SeccompFilter | undefined>): Promise<{ master?: number }> {
    try {
      try {
        this.channel.send({ type: "plan", plan, verbosity, ...sent, cgroups: [...new Set(Object.values(cgroup.paths))] });
      } catch {
        throw this.failed("exited before reading its plan");
      }
      const filter = await seccomp();
      const ready = this.channel.receive();
      if (!ready) throw this.failed("exited during set-up");
      this.expectNoError(ready);
      // Bun's start-up stays with the caller: the helper that the init
      // becomes after the go is what joins the cgroups.
      log.info(`applying cgroup limits: ${describeLimits(plan.resources)}`);
      cgroup.apply(plan.resources, (line) => log.debug(line));
      const master = ready.type === "ready" && ready.ptyMaster !== undefined ? pidfdGetfd(this.pidfd, ready.ptyMaster) : undefined;
      this.channel.send({ type: "go", ...(filter && { seccomp: filter }) });
      const last = this.channel.receive();
      if (last?.type !== "created") this.expectNoError(last, ready.type === "ready" ? ready.path : "");
      return { master };
    } finally {
      this.close();
    }
  }

  // An init (or container) that must not go on: killed and reaped, so
  // nothing is left.
  discard(): void {
    this.close();
    if (this.exit) return;
    kill(this.pid, SIGKILL);
    this.reap();
  }

  private close(): void {
    if (!this.open) return;
    this.open = false;
    close(this.channel.readFd);
    close(this.channel.writeFd);
    close(this.pidfd);
  }
}
