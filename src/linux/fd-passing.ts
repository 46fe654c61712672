// A pair of connected unix sockets, and a message with descriptors
// (SCM_RIGHTS) over one: how an ahead monitor (runtime/init-process.ts) gets
// the container's files once the CLI has made them.
import { address64, addressOf, check, sym, sys } from "../ffi/index.ts";

const AF_UNIX = 1;
const SOCK_SEQPACKET = 5;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;
const MSG_NOSIGNAL = 0x4000;

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
