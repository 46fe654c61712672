// Pseudo-terminals (man 7 pty, man 2 ioctl_tty): the container's terminal is a
// pty of its own devpts instance, so `tty` inside names /dev/pts/N.
import { constants, openSync } from "node:fs";
import { ContainError } from "../errors.ts";
import { addressOf, check, sym, sys } from "../ffi/index.ts";
import type { Kernel } from "./kernel.ts";
import { MS } from "./mount.ts";
import { fdPath, openFileInRoot } from "./resolve.ts";

const TCGETS = 0x5401;
const TIOCGPGRP = 0x540f;
const TIOCGWINSZ = 0x5413;
const TIOCSWINSZ = 0x5414;
const TIOCGPTN = 0x80045430;
const TIOCSPTLCK = 0x40045431;
const TIOCGPTPEER = 0x5441;
const O_RDWR = 2;
const O_NOCTTY = 0o400;
const O_CLOEXEC = 0o2000000;
const O_CREAT = 0o100;
const O_EXCL = 0o200;
const O_NOFOLLOW = 0o400000;
const O_PATH = 0o10000000;
const AT_FDCWD = -100;
const EEXIST = 17;

function ioctl(fd: number, name: string, request: number, arg: NodeJS.TypedArray): void {
  check("ioctl", [fd, sym(name)], sys("ioctl", fd, request, addressOf(arg)));
}

// Opens a new pty in the devpts mounted at /dev/pts: { master, slave, path }.
export function openPty(): { master: number; slave: number; path: string } {
  const flags = constants.O_RDWR | constants.O_NOCTTY | O_CLOEXEC;
  const master = openSync("/dev/ptmx", flags);
  ioctl(master, "TIOCSPTLCK", TIOCSPTLCK, new Int32Array([0]));
  const n = new Int32Array(1);
  ioctl(master, "TIOCGPTN", TIOCGPTN, n);
  const path = `/dev/pts/${n[0]}`;
  return { master, slave: openSync(path, flags), path };
}

// isatty(3): TCGETS succeeds only on a terminal. (process.stdin.isTTY would
// build Node's stdin stream, ~5 ms at start-up.)
export function isTerminal(fd: number): boolean {
  return sys("ioctl", fd, TCGETS, addressOf(new Uint8Array(64))) === 0;
}

// Whether this process is in the background of the terminal on `fd`: the
// terminal's foreground process group (tcgetpgrp) is another, as for
// `contain run ... &`. Such a process is stopped (SIGTTIN, SIGTTOU) when it
// reads the terminal or changes its modes. A terminal that is not our
// controlling one (ENOTTY) stops nobody.
export function inBackground(fd: number): boolean {
  const pgrp = new Int32Array(1);
  if (sys("ioctl", fd, TIOCGPGRP, addressOf(pgrp)) < 0) return false;
  return pgrp[0] !== sys("getpgid", 0);
}

// fd 0 becomes /dev/null: what the container reads then, instead of the
// terminal a contain in the background must leave to the shell.
export function releaseStdin(): void {
  const devnull = openSync("/dev/null", constants.O_RDONLY | O_CLOEXEC);
  check("dup3", [devnull, 0, 0], sys("dup3", devnull, 0, 0));
  check("close", [devnull], sys("close", devnull));
}

export interface WinSize {
  rows: number;
  cols: number;
}

export function getWinsize(fd: number): WinSize | null {
  const ws = new Uint16Array(4);
  if (sys("ioctl", fd, TIOCGWINSZ, addressOf(ws)) < 0) return null;
  return { rows: ws[0] ?? 0, cols: ws[1] ?? 0 };
}

export function setWinsize(fd: number, size: WinSize): void {
  ioctl(fd, "TIOCSWINSZ", TIOCSWINSZ, new Uint16Array([size.rows, size.cols, 0, 0]));
}

// A new pty in the devpts of another root (a running container's, through
// /proc/<pid>/root): its /dev/pts/ptmx opened with openat2(RESOLVE_IN_ROOT), so
// no link inside that root can lead outside it, and the slave taken with
// TIOCGPTPEER, never by path. The slave's name inside is /dev/pts/N.
export function openPtyIn(rootFd: number): { master: number; slave: number } {
  const master = openFileInRoot(rootFd, "dev/pts/ptmx", O_RDWR | O_NOCTTY);
  ioctl(master, "TIOCSPTLCK", TIOCSPTLCK, new Int32Array([0]));
  const slave = check("ioctl", [master, sym("TIOCGPTPEER")], sys("ioctl", master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
  return { master, slave };
}

// /dev/console is the terminal's slave, bound onto a file made in the
// container's fresh /dev. Opened O_NOFOLLOW and mounted through its fd, so a
// link planted there cannot point the bind at a file elsewhere (CVE-2025-52565).
export function bindConsole(k: Kernel, slave: number): void {
  const made = k.openat(AT_FDCWD, "/dev/console", O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600);
  if (made >= 0) k.close(made);
  else if (made !== -EEXIST) check("openat", [sym("AT_FDCWD"), "/dev/console", sym("O_CREAT|O_EXCL|O_NOFOLLOW")], made);
  const fd = check("openat", [sym("AT_FDCWD"), "/dev/console", sym("O_PATH|O_NOFOLLOW")], k.openat(AT_FDCWD, "/dev/console", O_PATH | O_NOFOLLOW | O_CLOEXEC));
  try {
    const type = k.stat(fdPath(fd));
    if (type !== "file" && type !== "char") throw new ContainError("/dev/console in the container is neither a file nor a device", "let /dev be the container's own tmpfs");
    k.mount(fdPath(slave), fdPath(fd), null, MS.MS_BIND);
  } finally {
    k.close(fd);
  }
}
