// The container's /etc/resolv.conf and /etc/hosts, as text. Pure: the runtime
// reads the host's files and writes what these return.

export interface ResolvConfInput {
  host: string; // the host's /etc/resolv.conf
  // systemd-resolved's list of its upstream servers
  // (/run/systemd/resolve/resolv.conf), when the host has one.
  upstream?: string;
  dns: readonly string[]; // --dns
  hostNetwork: boolean; // --net host: the host's loopback is the container's
}

// docker's fallback when no usable server is left (libnetwork's resolvconf).
export const FALLBACK_NAMESERVERS = ["8.8.8.8", "8.8.4.4"];

const nameservers = (text: string) => [...text.matchAll(/^\s*nameserver\s+(\S+)/gm)].map((m) => m[1] ?? "");
const isLoopback = (address: string) => /^127\./.test(address) || address === "::1";

// Everything but the nameserver lines (search, domain, options), as written.
const otherLines = (text: string) => text.split("\n").filter((l) => /^\s*(search|domain|options)\s/.test(l));

export function resolvConf(input: ResolvConfInput): { text: string; note?: string } {
  let servers = input.dns.length ? [...input.dns] : nameservers(input.host);
  let note: string | undefined;
  if (!input.dns.length && !input.hostNetwork && servers.some(isLoopback)) {
    // A resolver on the host's loopback (systemd-resolved's 127.0.0.53,
    // dnsmasq's 127.0.0.1) cannot be reached from another network namespace:
    // ask the servers it forwards to.
    const upstream = nameservers(input.upstream ?? "").filter((s) => !isLoopback(s));
    servers = [...servers.filter((s) => !isLoopback(s)), ...upstream];
    if (!servers.length) {
      servers = FALLBACK_NAMESERVERS;
      note = `the host's resolver is on its loopback and its upstream servers are unknown: using ${FALLBACK_NAMESERVERS.join(", ")}`;
    }
  }
  const lines = [...servers.map((s) => `nameserver ${s}`), ...otherLines(input.host)];
  return { text: `${lines.join("\n")}\n`, note };
}

export interface HostsInput {
  names: readonly string[]; // the hostname, then the container's name if it has one
  address?: string; // eth0's address on the bridge
  extraHosts: readonly { name: string; address: string }[]; // --add-host
}

// Other containers on the same bridge, by name, in each other's /etc/hosts:
// a line per container, marked with its short ID.
export const peerLine = (address: string, names: readonly string[], id: string) => `${address}\t${[...new Set(names)].join(" ")}\t# contain ${id.slice(0, 12)}\n`;

export function hostsFile(input: HostsInput): string {
  const lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback"];
  const names = [...new Set(input.names)];
  if (names.length) lines.push(`${input.address ?? "127.0.1.1"}\t${names.join(" ")}`);
  for (const h of input.extraHosts) lines.push(`${h.address}\t${h.name}`);
  return `${lines.join("\n")}\n`;
}
