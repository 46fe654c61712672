// Processes: spawning the init through the shim, waiting, signals, pipes, and
// telling a live process from a reused pid.
import { readdirSync, readFileSync } from "node:fs";
import { addressOf, check, sym, sys } from "../ffi/index.ts";

const O_CLOEXEC = 0o2000000;
export const SIGKILL = 9;
const WNOHANG = 1;
const __WALL = 0x40000000;
const PTRACE_DETACH = 17;
const ESRCH = 3;
const EINTR = 4;

// --debug traces every system call; the init turns it on for its own.
export { adoptShim, cloneExec, initProgramFd, lookupCommand, monitorPathForExec, shimFd, startFailure, SyscallError, traceSyscalls } from "../ffi/index.ts";

export function pipe(): { read: number; write: number } {
  const fds = new Int32Array(2);
  check("pipe2", [sym("O_CLOEXEC")], sys("pipe2", addressOf(fds), O_CLOEXEC));
  return { read: fds[0] ?? -1, write: fds[1] ?? -1 };
}

export function close(fd: number): void {
  sys("close", fd);
}

export type ExitStatus = { exited: true; code: number } | { exited: false; signal: number; core: boolean };

// What wait(2) reports, read as <sys/wait.h>'s macros read it: an end
// (WIFEXITED, WIFSIGNALED), or a stop (WIFSTOPPED) or a resumption
// (WIFCONTINUED), which are not. The one decoding of a status in TypeScript;
// the C parents use the macros (ffi/wait-status.h).
export type WaitStatus = { kind: "ended"; exit: ExitStatus } | { kind: "stopped"; signal: number } | { kind: "continued" };

// The layout: 0xffff continued; low byte 0x7f stopped, by the signal in the
// next byte; else the low 7 bits the killing signal (0: exited, with the
// code in the next byte) and bit 7 the core dump.
export function decodeWaitStatus(status: number): WaitStatus {
  if (status === 0xffff) return { kind: "continued" };
  if ((status & 0xff) === 0x7f) return { kind: "stopped", signal: (status >> 8) & 0xff };
  const signal = status & 0x7f;
  if (signal === 0) return { kind: "ended", exit: { exited: true, code: (status >> 8) & 0xff } };
  return { kind: "ended", exit: { exited: false, signal, core: (status & 0x80) !== 0 } };
}

// node:os's table, required on first use: its import costs 0.1-0.3 ms of
// every start (the init's too), and only messages and --signal need names.
const signals = () => (require("node:os") as typeof import("node:os")).constants.signals as Record<string, number>;

export function signalName(signal: number): string {
  return Object.entries(signals()).find(([, n]) => n === signal)?.[0] ?? `signal ${signal}`;
}

export function describeExit(status: ExitStatus): string {
  return status.exited ? `exit status ${status.code}` : `killed by signal ${status.signal} (${signalName(status.signal)})`;
}

// Without WUNTRACED, wait reports a stop only of a tracee (waitpid(2)), and a
// child of ours is one only if it asked (PTRACE_TRACEME makes its parent its
// tracer): it then stops at every signal until restarted (ptrace(2),
// signal-delivery-stop). It is detached with the signal, not PTRACE_CONT'd:
// it runs on untraced, as under any parent that is no debugger; its signals
// stop it no more; a real debugger can attach later (a tracee has one
// tracer); and a stopping signal ends in a plain group-stop, where
// PTRACE_CONT at the group-stop reported next would resume it (the confusion
// ptrace(2) warns of). The C parents do the same (ffi/wait-status.h).
function endOf(tid: number, status: number): ExitStatus | undefined {
  const w = decodeWaitStatus(status);
  if (w.kind === "stopped") {
    const r = sys("ptrace", PTRACE_DETACH, tid, 0, w.signal);
    // ESRCH: killed meanwhile (SIGKILL ends a ptrace-stop); its end comes next.
    if (r !== -ESRCH) check("ptrace", [sym("PTRACE_DETACH"), tid, 0, signalName(w.signal)], r);
  }
  return w.kind === "ended" ? w.exit : undefined;
}

// ptrace is per thread: a thread of the child that asked to be traced answers
// only a wait for its own tid, stays stopped until detached, and once ended
// holds up its process's end (and its PID namespace's, whose init waits for
// every task in it) until we reap it. An untraced thread answers ECHILD.
function tendTracedThreads(pid: number): void {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return; // reaped already
  }
  const status = new Int32Array(1);
  for (const tid of tids.map(Number)) {
    if (tid !== pid && sys("wait4", tid, addressOf(status), WNOHANG | __WALL, 0) > 0) endOf(tid, status[0] ?? 0);
  }
}

// wait4 until the child's end (__WALL also takes a child whose exit signal is
// not SIGCHLD), or with WNOHANG null while it runs.
function waitEnd(pid: number, options: number): ExitStatus | null {
  const status = new Int32Array(1);
  for (;;) {
    const r = sys("wait4", pid, addressOf(status), options | __WALL, 0);
    if (r === 0) return null;
    if (r === -EINTR) continue;
    check("wait4", [pid, sym(options === WNOHANG ? "WNOHANG|__WALL" : "__WALL")], r);
    const exit = endOf(pid, status[0] ?? 0);
    if (exit) return exit;
  }
}

// Non-blocking, for a child that runs a command (the container's, exec's):
// null while it runs.
export function tryWait(pid: number): ExitStatus | null {
  tendTracedThreads(pid);
  return waitEnd(pid, WNOHANG);
}

export function kill(pid: number, signal: number): boolean {
  return sys("kill", pid, signal) === 0;
}

// A signal to one process for good: by a pidfd opened and then checked
// against the start time, so a reused pid is never signalled. False when
// that process is gone (a zombie still takes signals, harmlessly).
export function signalProcess(ref: { pid: number; startTime: number }, signal: number): boolean {
  const pidfd = sys("pidfd_open", ref.pid, 0);
  if (pidfd < 0) return false;
  try {
    return isSameProcess(ref.pid, ref.startTime) && sys("pidfd_send_signal", pidfd, signal, 0, 0) === 0;
  } finally {
    close(pidfd);
  }
}

export function pidfdGetfd(pidfd: number, targetFd: number): number {
  return check("pidfd_getfd", [pidfd, targetFd, 0], sys("pidfd_getfd", pidfd, targetFd, 0));
}

// Field 22 of /proc/<pid>/stat, in clock ticks since boot: with the pid it
// names one process for good, since a pid can be reused but not its start time.
// /proc/<pid>/stat's state (field 3) and start time (field 22), after the
// command name, which may hold spaces and parentheses.
function procStat(pid: number): { state: string; startTime: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { state: fields[0] ?? "", startTime: Number(fields[19]) };
  } catch {
    return null;
  }
}

export function processStartTime(pid: number): number | null {
  return procStat(pid)?.startTime ?? null;
}

export function isSameProcess(pid: number, startTime: number): boolean {
  return pid > 0 && processStartTime(pid) === startTime;
}

// The same process, and not yet a zombie (state Z: exited, not yet reaped).
export function isRunning(pid: number, startTime: number): boolean {
  const stat = pid > 0 ? procStat(pid) : null;
  return stat !== null && stat.startTime === startTime && stat.state !== "Z";
}

export function pidfdOpen(pid: number): number {
  return check("pidfd_open", [pid, 0], sys("pidfd_open", pid, 0));
}

// "TERM", "SIGTERM", "sigterm" or "15": a signal number, or undefined.
export function parseSignal(text: string): number | undefined {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    return n >= 1 && n <= 64 ? n : undefined;
  }
  const name = text.toUpperCase().replace(/^SIG/, "");
  return signals()[`SIG${name}`];
}

export function geteuid(): number {
  return sys("geteuid");
}

const F_SETFD = 2;
const FD_CLOEXEC = 1;

export function setCloseOnExec(fd: number): void {
  check("fcntl", [fd, sym("F_SETFD"), sym("FD_CLOEXEC")], sys("fcntl", fd, F_SETFD, FD_CLOEXEC));
}

// An fd the next program must keep across execve.
export function clearCloseOnExec(fd: number): void {
  check("fcntl", [fd, sym("F_SETFD"), 0], sys("fcntl", fd, F_SETFD, 0));
}

// Blocking, for a child known to be exiting (its pipes closed).
export function waitExited(pid: number): ExitStatus {
  return waitEnd(pid, 0) as ExitStatus; // without WNOHANG, wait4 never returns 0
}

// Whether this process holds a capability in its effective set
// (/proc/self/status CapEff; bit numbers as in linux/capability.h).
export function hasCapability(bit: number): boolean {
  const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync("/proc/self/status", "utf8"))?.[1];
  return hex !== undefined && ((BigInt(`0x${hex}`) >> BigInt(bit)) & 1n) === 1n;
}
