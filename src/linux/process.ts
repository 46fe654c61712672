// Processes: spawning the init through the shim, waiting, signals, pipes, and
// telling a live process from a reused pid.
import { readFileSync } from "node:fs";
import { constants as osConstants } from "node:os";
import { addressOf, check, sym, sys } from "../ffi/index.ts";

const O_CLOEXEC = 0o2000000;
export const SIGKILL = 9;
const WNOHANG = 1;
const __WALL = 0x40000000;

// --debug traces every system call; the init turns it on for its own.
export { adoptShim, cloneExec, initProgramFd, monitorPathForExec, shimFd, startFailure, SyscallError, traceSyscalls } from "../ffi/index.ts";

export function pipe(): { read: number; write: number } {
  const fds = new Int32Array(2);
  check("pipe2", [sym("O_CLOEXEC")], sys("pipe2", addressOf(fds), O_CLOEXEC));
  return { read: fds[0] ?? -1, write: fds[1] ?? -1 };
}

export function close(fd: number): void {
  sys("close", fd);
}

export type ExitStatus = { exited: true; code: number } | { exited: false; signal: number; core: boolean };

// The wait status layout of wait(2): low 7 bits the signal, next byte the code.
export function decodeWaitStatus(status: number): ExitStatus {
  const signal = status & 0x7f;
  if (signal === 0) return { exited: true, code: (status >> 8) & 0xff };
  return { exited: false, signal, core: (status & 0x80) !== 0 };
}

const SIGNAL_NAMES = Object.fromEntries(Object.entries(osConstants.signals).map(([name, n]) => [n, name]));

export function signalName(signal: number): string {
  return SIGNAL_NAMES[signal] ?? `signal ${signal}`;
}

export function describeExit(status: ExitStatus): string {
  return status.exited ? `exit status ${status.code}` : `killed by signal ${status.signal} (${signalName(status.signal)})`;
}

// Non-blocking wait4: null while the child runs. __WALL also reaps a child
// whose exit signal is not SIGCHLD.
export function tryWait(pid: number): ExitStatus | null {
  const status = new Int32Array(1);
  const r = sys("wait4", pid, addressOf(status), WNOHANG | __WALL, 0);
  if (r === 0) return null;
  check("wait4", [pid, sym("WNOHANG|__WALL")], r);
  return decodeWaitStatus(status[0] ?? 0);
}

export function kill(pid: number, signal: number): boolean {
  return sys("kill", pid, signal) === 0;
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
  return (osConstants.signals as Record<string, number>)[`SIG${name}`];
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

// Blocking wait, for a child known to be exiting (its pipes closed).
export function waitExited(pid: number): ExitStatus {
  const status = new Int32Array(1);
  for (;;) {
    const r = sys("wait4", pid, addressOf(status), __WALL, 0);
    if (r === -4) continue; // EINTR
    check("wait4", [pid, sym("__WALL")], r);
    return decodeWaitStatus(status[0] ?? 0);
  }
}
