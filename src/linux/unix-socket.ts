// What node:net cannot do on a unix socket: pass descriptors with a message
// (SCM_RIGHTS): the container's lock from its monitor, an ahead monitor's
// files from the CLI (a socketpair), a pty master to runc's console socket;
// and a wait on any descriptor with a timeout (ppoll), such as a pidfd,
// which turns readable when its process ends.
import { address64, addressOf, check, cstr, sym, sys } from "../ffi/index.ts";
import { close } from "./process.ts";

const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_SEQPACKET = 5;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;
const MSG_DONTWAIT = 0x40;
const MSG_NOSIGNAL = 0x4000;
const MSG_CMSG_CLOEXEC = 0x40000000;
const SUN_PATH_MAX = 108;
const POLLIN = 1;
const EINTR = 4;

// A connected stream socket, or the error (ENOENT: nobody serves `path`).
export function connectUnix(path: string): number {
  if (Buffer.byteLength(path) >= SUN_PATH_MAX) throw new Error(`${path}: longer than a unix socket's ${SUN_PATH_MAX - 1} bytes`);
  const fd = check("socket", [sym("AF_UNIX"), sym("SOCK_STREAM|SOCK_CLOEXEC")], sys("socket", AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  try {
    // struct sockaddr_un: sun_family, then sun_path.
    const addr = Buffer.alloc(2 + SUN_PATH_MAX);
    addr.writeUInt16LE(AF_UNIX, 0);
    cstr(path).copy(addr, 2);
    check("connect", [path], sys("connect", fd, addressOf(addr), addr.length));
    return fd;
  } catch (err) {
    close(fd);
    throw err;
  }
}

export function socketPair(): [number, number] {
  const fds = new Int32Array(2);
  check("socketpair", [sym("AF_UNIX"), sym("SOCK_SEQPACKET|SOCK_CLOEXEC")], sys("socketpair", AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, addressOf(fds)));
  return [fds[0] ?? -1, fds[1] ?? -1];
}

// One message: `text`, with `fds` as SCM_RIGHTS.
export function sendFds(sock: number, text: string, fds: readonly number[]): void {
  const data = Buffer.from(text);
  // struct iovec { base, len }
  const iov = new BigUint64Array([address64(data), BigInt(data.length)]);
  // struct cmsghdr { size_t len; int level; int type; } + the ints, padded to 8
  const len = 16 + 4 * fds.length;
  const control = Buffer.alloc((len + 7) & ~7);
  control.writeBigUInt64LE(BigInt(len), 0);
  control.writeInt32LE(SOL_SOCKET, 8);
  control.writeInt32LE(SCM_RIGHTS, 12);
  fds.forEach((fd, i) => control.writeInt32LE(fd, 16 + 4 * i));
  // struct msghdr { name, namelen, iov, iovlen, control, controllen, flags }
  const msg = new BigUint64Array([0n, 0n, address64(iov), 1n, address64(control), BigInt(control.length), 0n]);
  check("sendmsg", [sock, sym("SCM_RIGHTS")], sys("sendmsg", sock, addressOf(msg), MSG_NOSIGNAL));
}

export function sendBytes(fd: number, bytes: Buffer): void {
  check("sendto", [fd, bytes.length, sym("MSG_NOSIGNAL")], sys("sendto", fd, addressOf(bytes), bytes.length, MSG_NOSIGNAL, 0, 0));
}

// Whether `fd` turned readable (or hung up) within `timeoutMs`.
export function waitReadable(fd: number, timeoutMs: number): boolean {
  const deadline = Date.now() + timeoutMs;
  // struct pollfd { int fd; short events, revents; }
  const pollfd = Buffer.alloc(8);
  pollfd.writeInt32LE(fd, 0);
  pollfd.writeInt16LE(POLLIN, 4);
  for (;;) {
    const left = Math.max(0, deadline - Date.now());
    // struct timespec { tv_sec, tv_nsec }
    const timeout = new BigInt64Array([BigInt(Math.floor(left / 1000)), BigInt((left % 1000) * 1_000_000)]);
    const n = sys("ppoll", addressOf(pollfd), 1, addressOf(timeout), null, 0);
    if (n === -EINTR) continue;
    return check("ppoll", [fd, `${timeoutMs} ms`], n) > 0;
  }
}

// The descriptor that came with the next message on `fd` (close-on-exec),
// or undefined at end of file or for a message without one. It does not wait.
export function receiveFd(fd: number): number | undefined {
  const data = Buffer.alloc(1);
  // struct iovec { base, len }
  const iov = new BigUint64Array([address64(data), 1n]);
  // struct cmsghdr { size_t len; int level; int type; } + one int: CMSG_SPACE(4) = 24
  const control = Buffer.alloc(24);
  // struct msghdr { name, namelen, iov, iovlen, control, controllen, flags }
  const msg = new BigUint64Array([0n, 0n, address64(iov), 1n, address64(control), 24n, 0n]);
  const n = check("recvmsg", [fd, sym("MSG_CMSG_CLOEXEC|MSG_DONTWAIT")], sys("recvmsg", fd, addressOf(msg), MSG_CMSG_CLOEXEC | MSG_DONTWAIT));
  if (n === 0 || (msg[5] ?? 0n) < 20n) return undefined;
  if (control.readInt32LE(8) !== SOL_SOCKET || control.readInt32LE(12) !== SCM_RIGHTS) return undefined;
  return control.readInt32LE(16);
}
