// rtnetlink (man 7 rtnetlink, man 7 netlink) over a raw AF_NETLINK socket:
// requests encoded with DataView, every request acknowledged, errors carrying
// errno and the kernel's extended-ack text. Links are configured here, never
// by running `ip`. The link, address and route requests built on this live in
// link.ts.
import { errnoMessage, errnoName } from "../ffi/errno.ts";
import { addressOf, check, SyscallError, sym, sys } from "../ffi/index.ts";

const AF_NETLINK = 16;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
export const NETLINK_ROUTE = 0;
export const NETLINK_NETFILTER = 12;
const SOL_NETLINK = 270;
const NETLINK_CAP_ACK = 10;
const NETLINK_EXT_ACK = 11;

export const NLM_F_REQUEST = 0x1;
const NLM_F_ACK = 0x4;
export const NLM_F_DUMP = 0x300;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;
const NLM_F_CAPPED = 0x100; // in an NLMSG_ERROR: the request's payload is left out
const NLM_F_ACK_TLVS = 0x200; // in an NLMSG_ERROR: extended-ack attributes follow
const NLMSG_ERROR = 0x2;
const NLMSG_DONE = 0x3;
const NLMSG_HDRLEN = 16;
const NLMSGERR_ATTR_MSG = 1;

const align4 = (n: number) => (n + 3) & ~3;

// One netlink attribute (struct nlattr): length, type, payload, padding.
export function attr(type: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(align4(4 + payload.length));
  const view = new DataView(out.buffer);
  view.setUint16(0, 4 + payload.length, true);
  view.setUint16(2, type, true);
  out.set(payload, 4);
  return out;
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

export const attrU32 = (type: number, value: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, value, true);
  return attr(type, b);
};
export const attrString = (type: number, s: string) => attr(type, new TextEncoder().encode(`${s}\0`));
export const attrNested = (type: number, ...children: Uint8Array[]) => attr(type, concat(children));

// The attributes from `start` to the end of `msg`, by type (the last wins).
export function parseAttrs(msg: Uint8Array, start: number): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  const view = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
  for (let off = start; off + 4 <= msg.length; ) {
    const len = view.getUint16(off, true);
    if (len < 4) break;
    out.set(view.getUint16(off + 2, true) & 0x3fff, msg.subarray(off + 4, off + len));
    off += align4(len);
  }
  return out;
}

export const attrText = (a: Uint8Array | undefined) => (a ? new TextDecoder().decode(a).replace(/\0.*$/s, "") : undefined);
export const attrU32Value = (a: Uint8Array | undefined) => (a && a.length >= 4 ? new DataView(a.buffer, a.byteOffset, 4).getUint32(0, true) : undefined);

// A failed request: errno, what was asked, and the kernel's own explanation
// when it gave one (extended ack).
export class NetlinkError extends SyscallError {
  constructor(
    what: string,
    errno: number,
    readonly detail?: string,
  ) {
    super(`netlink ${what}`, [], errno);
    this.message = `netlink: ${what}: ${errnoMessage(errno)} (${errnoName(errno)})${detail ? `: ${detail}` : ""}`;
    this.name = "NetlinkError";
  }
}

export class Netlink implements Disposable {
  private readonly fd: number;
  private seq = 0;

  constructor(protocol = NETLINK_ROUTE) {
    const name = protocol === NETLINK_ROUTE ? "NETLINK_ROUTE" : protocol === NETLINK_NETFILTER ? "NETLINK_NETFILTER" : String(protocol);
    this.fd = check("socket", [sym("AF_NETLINK"), sym("SOCK_RAW|SOCK_CLOEXEC"), sym(name)], sys("socket", AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol));
    // Extended acks carry a sentence on what was wrong; capped acks leave out
    // the echo of our request. Both are best effort (kernels since 4.12/4.3).
    const one = new Int32Array([1]);
    sys("setsockopt", this.fd, SOL_NETLINK, NETLINK_EXT_ACK, addressOf(one), 4);
    sys("setsockopt", this.fd, SOL_NETLINK, NETLINK_CAP_ACK, addressOf(one), 4);
  }

  private send(what: string, type: number, flags: number, payload: Uint8Array): number {
    const seq = ++this.seq;
    const msg = new Uint8Array(NLMSG_HDRLEN + payload.length);
    const view = new DataView(msg.buffer);
    view.setUint32(0, msg.length, true);
    view.setUint16(4, type, true);
    view.setUint16(6, flags | NLM_F_REQUEST | NLM_F_ACK, true);
    view.setUint32(8, seq, true);
    msg.set(payload, NLMSG_HDRLEN);
    check("sendto", [this.fd, sym(`<${what}>`)], sys("sendto", this.fd, addressOf(msg), msg.length, 0, 0, 0));
    return seq;
  }

  // Sends one request and collects its answers up to the acknowledgement (or
  // the end of a dump): each answer's payload, after its netlink header.
  query(what: string, type: number, flags: number, payload: Uint8Array): Uint8Array[] {
    const seq = this.send(what, type, flags, payload);
    const answers: Uint8Array[] = [];
    const buf = new Uint8Array(65536);
    for (;;) {
      const n = check("recvfrom", [this.fd, sym(`<${what}>`)], sys("recvfrom", this.fd, addressOf(buf), buf.length, 0, 0, 0));
      const view = new DataView(buf.buffer, 0, n);
      for (let off = 0; off + NLMSG_HDRLEN <= n; ) {
        const len = view.getUint32(off, true);
        if (len < NLMSG_HDRLEN) break;
        const msgType = view.getUint16(off + 4, true);
        if (view.getUint32(off + 8, true) === seq) {
          if (msgType === NLMSG_DONE) return answers;
          if (msgType === NLMSG_ERROR) {
            const errno = -view.getInt32(off + NLMSG_HDRLEN, true);
            if (errno === 0) return answers;
            throw new NetlinkError(what, errno, this.extAckMessage(buf.slice(off, off + len)));
          }
          answers.push(buf.slice(off + NLMSG_HDRLEN, off + len));
        }
        off += align4(len);
      }
    }
  }

  // Sends one request and waits for its acknowledgement.
  request(what: string, type: number, flags: number, payload: Uint8Array): void {
    this.query(what, type, flags, payload);
  }

  // struct nlmsgerr: errno, then the request (its header only when capped),
  // then the attributes.
  private extAckMessage(msg: Uint8Array): string | undefined {
    const view = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
    const flags = view.getUint16(6, true);
    if (!(flags & NLM_F_ACK_TLVS)) return undefined;
    const echoed = flags & NLM_F_CAPPED ? NLMSG_HDRLEN : align4(view.getUint32(NLMSG_HDRLEN + 4, true));
    return attrText(parseAttrs(msg, NLMSG_HDRLEN + 4 + echoed).get(NLMSGERR_ATTR_MSG));
  }

  [Symbol.dispose](): void {
    sys("close", this.fd);
  }
}
