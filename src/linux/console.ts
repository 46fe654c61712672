// runc's --console-socket: the container's pty master, handed to the caller
// (conmon, containerd's shim) over a unix socket as SCM_RIGHTS, the way runc
// sends it, with the terminal's name as the message.
import { address64, addressOf, check, sym, sys } from "../ffi/index.ts";
import { close } from "./process.ts";

const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;
const SUN_PATH_MAX = 108;

export function sendConsole(socketPath: string, master: number): void {
  const path = Buffer.from(socketPath);
  if (path.length >= SUN_PATH_MAX) throw new Error(`--console-socket ${socketPath}: longer than a unix socket's ${SUN_PATH_MAX - 1} bytes`);
  const fd = check("socket", [sym("AF_UNIX"), sym("SOCK_STREAM|SOCK_CLOEXEC")], sys("socket", AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  try {
    // struct sockaddr_un: sun_family, then sun_path.
    const addr = Buffer.alloc(2 + SUN_PATH_MAX);
    addr.writeUInt16LE(AF_UNIX, 0);
    path.copy(addr, 2);
    check("connect", [socketPath], sys("connect", fd, addressOf(addr), 2 + path.length + 1));
    const name = Buffer.from("/dev/ptmx");
    // struct iovec { base, len }
    const iov = new BigUint64Array([address64(name), BigInt(name.length)]);
    // struct cmsghdr { size_t len; int level; int type; } + one int, CMSG_SPACE(4) = 24
    const control = Buffer.alloc(24);
    control.writeBigUInt64LE(20n, 0); // CMSG_LEN(sizeof(int))
    control.writeInt32LE(SOL_SOCKET, 8);
    control.writeInt32LE(SCM_RIGHTS, 12);
    control.writeInt32LE(master, 16);
    // struct msghdr { name, namelen, iov, iovlen, control, controllen, flags }
    const msg = new BigUint64Array([0n, 0n, address64(iov), 1n, address64(control), 24n, 0n]);
    check("sendmsg", [socketPath, sym("SCM_RIGHTS")], sys("sendmsg", fd, addressOf(msg), 0));
  } finally {
    close(fd);
  }
}
