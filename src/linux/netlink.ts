// rtnetlink (man 7 rtnetlink) over a raw AF_NETLINK socket: requests encoded
// with DataView, every request acknowledged, errors carrying errno. Links are
// configured here, never by running `ip`.
import { addressOf, check, SyscallError, sym, sys } from "../ffi/index.ts";

const AF_NETLINK = 16;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
const NETLINK_ROUTE = 0;
const NLM_F_REQUEST = 0x1;
const NLM_F_ACK = 0x4;
const NLMSG_ERROR = 0x2;
const NLMSG_HDRLEN = 16;

export const RTM_NEWLINK = 16;
export const IFF_UP = 0x1;

export class Netlink implements Disposable {
  private readonly fd: number;
  private seq = 0;

  constructor() {
    this.fd = check("socket", [sym("AF_NETLINK"), sym("SOCK_RAW|SOCK_CLOEXEC"), sym("NETLINK_ROUTE")], sys("socket", AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  }

  // Sends one request and waits for its acknowledgement.
  request(what: string, type: number, flags: number, payload: Uint8Array): void {
    const seq = ++this.seq;
    const msg = new Uint8Array(NLMSG_HDRLEN + payload.length);
    const view = new DataView(msg.buffer);
    view.setUint32(0, msg.length, true);
    view.setUint16(4, type, true);
    view.setUint16(6, flags | NLM_F_REQUEST | NLM_F_ACK, true);
    view.setUint32(8, seq, true);
    msg.set(payload, NLMSG_HDRLEN);
    check("sendto", [this.fd, sym(`<${what}>`)], sys("sendto", this.fd, addressOf(msg), msg.length, 0, 0, 0));
    const buf = new Uint8Array(8192);
    for (;;) {
      const n = check("recvfrom", [this.fd, sym(`<${what}>`)], sys("recvfrom", this.fd, addressOf(buf), buf.length, 0, 0, 0));
      const reply = new DataView(buf.buffer, 0, n);
      for (let off = 0; off + NLMSG_HDRLEN <= n; ) {
        const len = reply.getUint32(off, true);
        if (reply.getUint16(off + 4, true) === NLMSG_ERROR && reply.getUint32(off + 8, true) === seq) {
          const errno = -reply.getInt32(off + NLMSG_HDRLEN, true);
          if (errno !== 0) throw new SyscallError(`netlink ${what}`, [], errno);
          return;
        }
        off += (len + 3) & ~3;
      }
    }
  }

  // RTM_NEWLINK on an existing link: set or clear IFF_UP.
  setLinkUp(index: number, up = true): void {
    const ifinfo = new Uint8Array(16);
    const view = new DataView(ifinfo.buffer);
    view.setInt32(4, index, true);
    view.setUint32(8, up ? IFF_UP : 0, true);
    view.setUint32(12, IFF_UP, true);
    this.request(`set link ${index} ${up ? "up" : "down"}`, RTM_NEWLINK, 0, ifinfo);
  }

  [Symbol.dispose](): void {
    sys("close", this.fd);
  }
}

// The loopback device is always index 1 in a new network namespace.
export const LOOPBACK_INDEX = 1;
