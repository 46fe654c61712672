// Which ports the host's own processes listen on, from /proc/net/{tcp,udp}{,6}
// (man 5 proc), and whether a port can be bound: a port mapping over one in
// use would steal its traffic.
import { readFileSync } from "node:fs";
import { addressOf, check, sym, sys } from "../ffi/index.ts";

export interface Listener {
  address: string; // "*" for any address (0.0.0.0 or ::)
  port: number;
}

const TCP_LISTEN = "0A";
const UDP_UNCONNECTED = "07"; // TCP_CLOSE: a bound socket with no peer

// One /proc/net/<proto> table. Addresses are hex in the kernel's byte order:
// 0100007F:1F90 is 127.0.0.1:8080.
export function parseSocketTable(text: string, proto: "tcp" | "udp"): Listener[] {
  const state = proto === "tcp" ? TCP_LISTEN : UDP_UNCONNECTED;
  return text
    .split("\n")
    .slice(1)
    .flatMap((line) => {
      const f = line.trim().split(/\s+/);
      const [addr = "", port = ""] = (f[1] ?? "").split(":");
      if (f[3] !== state || !port) return [];
      const any = /^0+$/.test(addr);
      const v4 = addr.length === 8 ? (addr.match(/../g) ?? []).reverse().map((h) => parseInt(h, 16)).join(".") : undefined;
      if (!any && !v4) return []; // a specific IPv6 address: no IPv4 mapping meets it
      return [{ address: any ? "*" : (v4 ?? "*"), port: parseInt(port, 16) }];
    });
}

export function hostListeners(proto: "tcp" | "udp"): Listener[] {
  return [proto, `${proto}6`].flatMap((file) => {
    try {
      return parseSocketTable(readFileSync(`/proc/net/${file}`, "utf8"), proto);
    } catch {
      return []; // no IPv6 in this kernel
    }
  });
}

const AF_INET = 2;
const SOCK_STREAM = 1;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const EADDRINUSE = 98;

// Whether a socket of `proto` can bind `address`:`port` in this network
// namespace, tried with a socket that is closed at once: false when the
// port is taken (EADDRINUSE: a listener, a bound or connected socket, a
// TIME_WAIT), as the kernel itself judges it; without SO_REUSEADDR, so a
// doubtful port counts as taken. Any other failure (EADDRNOTAVAIL: not an
// address of the host) is thrown. `address`: a dotted quad, checked by the caller.
export function canBind(proto: "tcp" | "udp", address: string, port: number): boolean {
  const type = proto === "tcp" ? SOCK_STREAM : SOCK_DGRAM;
  const fd = check("socket", [sym("AF_INET"), sym(proto === "tcp" ? "SOCK_STREAM|SOCK_CLOEXEC" : "SOCK_DGRAM|SOCK_CLOEXEC"), 0], sys("socket", AF_INET, type | SOCK_CLOEXEC, 0));
  try {
    // struct sockaddr_in: family (host order), port and address (network order), 8 bytes of zero.
    const sa = new Uint8Array(16);
    const view = new DataView(sa.buffer);
    view.setUint16(0, AF_INET, true);
    view.setUint16(2, port, false);
    view.setUint32(4, address.split(".").reduce((n, b) => n * 256 + Number(b), 0), false);
    const r = sys("bind", fd, addressOf(sa), sa.length);
    if (r === -EADDRINUSE) return false;
    check("bind", [fd, `${address}:${port}`], r);
    return true;
  } finally {
    sys("close", fd);
  }
}

// docker's default when the kernel's range cannot be read.
const FALLBACK_RANGE = { first: 49153, last: 65535 };

// The kernel's ephemeral ports (man 7 ip, ip_local_port_range), docker's
// range for a host port it chooses.
export function ephemeralRange(): { first: number; last: number } {
  try {
    const [first, last] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
    if (first && last && first <= last) return { first, last };
  } catch {
    // no /proc/sys: the fallback
  }
  return FALLBACK_RANGE;
}
