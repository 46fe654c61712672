// Which ports the host's own processes listen on, from /proc/net/{tcp,udp}{,6}
// (man 5 proc). A port mapping over one of them would steal its traffic.
import { readFileSync } from "node:fs";

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
