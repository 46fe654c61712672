// `contain exec`: a new process in a running container. It joins every
// namespace and the cgroups of the container's init through the shim
// (contain_nsexec: setns needs a single-threaded process, and a PID
// namespace only takes the joiner's children), with the container's own
// environment and working directory unless told otherwise, and returns its
// exit status.
import { constants, openSync } from "node:fs";
import { commandError, ContainError, EXIT } from "../errors.ts";
import { cloneFlags, flagNames } from "../linux/namespaces.ts";
import { openProcsFiles } from "../linux/cgroups/files.ts";
import { joinContainer } from "../linux/helper.ts";
import { close, describeExit, isRunning, pidfdOpen, SyscallError, waitExited, tryWait, type ExitStatus } from "../linux/process.ts";
import { readFileInRoot } from "../linux/resolve.ts";
import { execAttributes } from "../plan/exec.ts";
import { processPlan, searchPathOf } from "../plan/plan.ts";
import { mergeEnv } from "../spec/env.ts";
import { resolveUser } from "../spec/users.ts";
import { openPtyIn, setWinsize } from "../linux/pty.ts";
import { sendConsole } from "../linux/console.ts";
import { withCapabilities } from "../spec/capabilities.ts";
import type { Spec } from "../spec/schema.ts";
import { seccompFilterOf } from "./seccomp-cache.ts";
import type { StateStore } from "./state.ts";
import { label, statusOf } from "./status.ts";
import { SignalForwarder, waitForExit } from "./supervise.ts";
import { proxyTerminal, type TerminalProxy } from "./terminal.ts";

const O_PATH = 0o10000000;
const O_CLOEXEC = 0o2000000;

export interface ExecOptions {
  command: string[];
  env: string[]; // KEY=VALUE, on top of the container's
  cwd?: string;
  user?: string; // uid[:gid] or a name from the container's /etc/passwd
  tty: boolean;
  interactive: boolean;
  process?: Spec["process"]; // runc's --process: the whole process, in place of the above
  capAdd?: string[]; // runc's --cap: added to the process's capability sets
  detach?: boolean; // return once it runs; it outlives this process
  pidFile?: string; // its PID, as the host sees it
  consoleSocket?: string; // where its terminal's master goes (runc's), instead of this terminal
}

// The exec'd process: its end, or with detach only its PID.
export type ExecResult = { pid: number; status?: ExitStatus };

const STEP_HINT: Record<string, string> = {
  setns: "the container may have exited meanwhile",
  "write cgroup.procs": "the container's cgroup may be full (--pids) or gone",
  chdir: "check the --workdir directory exists in the container",
  "setresuid|capset": "check the --user",
};

// On v1 the helper joins through each hierarchy's `tasks`, not cgroup.procs:
// it is one thread, and for a thread that moves itself alone ("0" to tasks)
// the kernel does not take the threadgroup lock (cgroup_procs_write_start),
// whose first taker waits for an RCU grace period, 10-30 ms on these
// machines. What the helper then forks is born in the cgroups.
function openTasksFiles(dirs: readonly string[]): number[] {
  const fds: number[] = [];
  try {
    for (const dir of dirs) fds.push(openSync(`${dir}/tasks`, constants.O_WRONLY | O_CLOEXEC));
    return fds;
  } catch (err) {
    for (const fd of fds) close(fd);
    throw new ContainError(`cannot open the container's cgroup: ${(err as Error).message}`, "the container's cgroup may be gone", undefined, { cause: err });
  }
}

export async function execInContainer(store: StateStore, ref: string, opts: ExecOptions): Promise<ExecResult> {
  const { state } = store.find(ref);
  const status = statusOf(store, state);
  const init = state.init;
  const spec = state.spec;
  // Its process would join the frozen cgroup and stop before its first step.
  if (status.kind === "paused") throw new ContainError(`container ${label(state)} is paused, unpause the container before exec`, `resume it with contain unpause ${label(state)}`);
  if (status.kind !== "running" || !init || !spec)
    throw new ContainError(`container ${label(state)} is not running`, `start a new one with contain run, see 'contain ps -a'`);
  const owned: number[] = [];
  const own = (fd: number) => (owned.push(fd), fd);
  using signals = new SignalForwarder();
  let terminal: TerminalProxy | undefined;
  try {
    const pidfd = own(pidfdOpen(init.pid));
    // Opened by pid, then checked: the pidfd is the container's init, not a reused pid.
    if (!isRunning(init.pid, init.startTime)) throw new ContainError(`container ${label(state)} is not running`, "it exited just now");
    const rootFd = own(openSync(`/proc/${init.pid}/root`, O_PATH | O_CLOEXEC | constants.O_DIRECTORY));
    const cgroupDirs = [...new Set(Object.values(state.cgroup?.paths ?? {}))];
    const cgroupFds = (state.cgroup?.version === "v1" ? openTasksFiles(cgroupDirs) : openProcsFiles(cgroupDirs)).map(own);
    const given = opts.process;
    const tty = given?.terminal ?? opts.tty;
    const env = given?.env ?? mergeEnv([...spec.process.env, ...(tty ? ["TERM=xterm"] : [])], opts.env, process.env);
    // The container's own process settings (user, capabilities, no_new_privs,
    // seccomp, rlimits), with -u resolved in the container's /etc files; or
    // the --process file's.
    const base = processPlan({ ...spec, process: withCapabilities(given ?? spec.process, opts.capAdd ?? []) });
    const user = opts.user === undefined || given ? undefined : resolveUser(opts.user, readFileInRoot(rootFd, "etc/passwd"), readFileInRoot(rootFd, "etc/group"));
    const processSettings = user ? { ...base, user: { ...base.user, uid: user.uid, gid: user.gid, groups: user.additionalGids } } : base;
    const seccomp = await seccompFilterOf(store.dir(state.id), spec);
    const pty = tty ? openPtyIn(rootFd) : undefined;
    if (pty) {
      own(pty.slave);
      if (base.consoleSize) setWinsize(pty.master, base.consoleSize);
    }
    const devnull = opts.interactive ? 0 : own(openSync("/dev/null", "r"));
    const command = given?.args ?? opts.command;
    const flags = Number(cloneFlags(spec.linux.namespaces.map((n) => n.type)));
    const searchPath = searchPathOf(env);
    const r = joinContainer(
      {
        pidfd,
        nsFlags: flags,
        rootFd,
        cgroupFds,
        cwd: given?.cwd ?? opts.cwd ?? spec.process.cwd,
        file: command[0] ?? "",
        searchPath,
        argv: command,
        env,
        stdio: [devnull, 1, 2],
        attrs: execAttributes(processSettings, seccomp, pty?.slave ?? -1, -1),
        detach: opts.detach,
      },
      flagNames(flags),
    );
    const joiner = waitExited(r.joiner);
    if (r.error) {
      if (r.pid > 0) waitExited(r.pid);
      if (pty) close(pty.master);
      const cmd = command[0] ?? "";
      if (r.error.step === "lookup") throw commandError(cmd, searchPath, r.error.errno);
      if (r.error.step === "execve")
        throw new ContainError(`${cmd}: cannot execute (errno ${r.error.errno})`, "check that it is a binary or script for this machine", EXIT.cannotExecute);
      if (!r.error.errno) throw new ContainError(`the exec helper ended without a report (${describeExit(joiner)})`, "run again with --debug");
      throw new ContainError(new SyscallError(r.error.step, [], r.error.errno).message, STEP_HINT[r.error.step]);
    }
    for (const fd of owned.splice(0)) close(fd);
    // Loaded only for it: run.ts brings the whole of run's path.
    if (opts.pidFile) (await import("./run.ts")).writePidFile(opts.pidFile, r.pid);
    if (pty && opts.consoleSocket) {
      own(pty.master);
      sendConsole(opts.consoleSocket, pty.master);
    } else if (pty) terminal = await proxyTerminal(pty.master);
    if (opts.detach) return { pid: r.pid };
    signals.attach(r.pid, terminal);
    const exit = await waitForExit(() => tryWait(r.pid));
    await terminal?.drained();
    return { pid: r.pid, status: exit };
  } finally {
    terminal?.restore();
    for (const fd of owned) close(fd);
  }
}
