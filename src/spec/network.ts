// `--net`, `--bridge`, `--subnet`, `-p`, `--dns` and `--add-host` to a network
// request. Pure: every bad value is a SpecError naming the flag and the fix.
// (The OCI runtime config has no network section beyond the namespace: this
// request travels beside the Spec, in the Plan.)
import { SpecError } from "../errors.ts";
import { formatIPv4, formatSubnet, parseIPv4, parseSubnet, type Subnet } from "./ipv4.ts";

export const NET_MODES = ["bridge", "none", "host"] as const;
// container: another container's network namespace, joined (--net container:NAME)
export type NetMode = (typeof NET_MODES)[number] | "container";

export const DEFAULT_BRIDGE = "contain0";
export const DEFAULT_SUBNET = "10.0.42.0/24";
// The host end of a container's veth is "ctn" + the short ID: 15 bytes, the
// most a link name may have (IFNAMSIZ - 1).
export const VETH_PREFIX = "ctn";

// A published port: what the host maps, once its host port is chosen.
export interface PortMapping {
  proto: "tcp" | "udp";
  hostIp?: string; // one host address; all of them when absent
  hostPort: number;
  containerPort: number;
}

// What one -p asks for a container port: a host port (first === last), a
// range to choose a free one from, or (absent) any free one of the host's
// ephemeral range, docker's. The host chooses, at run time, under the
// bridge's lock (src/runtime/ports.ts).
export interface PortRequest {
  proto: "tcp" | "udp";
  hostIp?: string;
  hostPorts?: { first: number; last: number };
  containerPort: number;
}

export interface NetworkRequest {
  mode: NetMode;
  bridge: string;
  subnet?: string; // CIDR; absent: the bridge's current one, or DEFAULT_SUBNET
  ports: PortRequest[];
  dns: string[];
  extraHosts: { name: string; address: string }[];
  // --net container:NAME: as typed, then (containerOf) the ID of the
  // container whose network and /etc/hosts and resolv.conf it shares
  container?: string;
}

export interface NetworkFlags {
  net?: string;
  bridge?: string;
  subnet?: string;
  publish?: readonly string[];
  // -P: the ports the image exposes (its ExposedPorts' keys), each published
  // on a free host port unless -p publishes it
  publishAll?: readonly string[];
  dns?: readonly string[];
  addHost?: readonly string[];
}

const PORT_HINT = "use [IP:][HOSTPORT:]CONTAINERPORT[/tcp|/udp], e.g. -p 8080:80, or -p 80 for any free host port";

function parsePort(value: string, text: string, what: string): number {
  if (!/^\d{1,5}$/.test(text)) throw new SpecError("--publish", `${JSON.stringify(value)}: ${what} ${JSON.stringify(text)} is not a port number`, PORT_HINT);
  const port = Number(text);
  if (port < 1 || port > 65535) throw new SpecError("--publish", `${JSON.stringify(value)}: ${what} ${port} is out of range`, "ports go from 1 to 65535");
  return port;
}

// PORT or FIRST-LAST.
function parseRange(value: string, text: string, what: string): { first: number; last: number } {
  const dash = text.indexOf("-");
  if (dash < 0) {
    const port = parsePort(value, text, what);
    return { first: port, last: port };
  }
  const first = parsePort(value, text.slice(0, dash), what);
  const last = parsePort(value, text.slice(dash + 1), what);
  if (last < first) throw new SpecError("--publish", `${JSON.stringify(value)}: ${what} range ${text} ends before it starts`, `e.g. ${last}-${first}`);
  return { first, last };
}

// docker's forms: 80 (any free host port), 8080:80, 8080:80/udp,
// 127.0.0.1:8080:80, 127.0.0.1::80 (any free port on that address), 0:80
// (any), 8000-8010:80 (a free one of these), 80-81 and 8080-8081:80-81 (one
// mapping per container port).
export function parsePublish(value: string): PortRequest[] {
  const slash = value.lastIndexOf("/");
  const proto = slash < 0 ? "tcp" : value.slice(slash + 1);
  if (proto !== "tcp" && proto !== "udp") throw new SpecError("--publish", `${JSON.stringify(value)}: unknown protocol ${JSON.stringify(proto)}`, "use /tcp or /udp");
  const parts = (slash < 0 ? value : value.slice(0, slash)).split(":");
  if (parts.length > 3) throw new SpecError("--publish", `${JSON.stringify(value)} is not a port mapping`, PORT_HINT);
  const containerText = parts[parts.length - 1] ?? "";
  const hostText = parts.length >= 2 ? (parts[parts.length - 2] ?? "") : "";
  const hostIpText = parts.length === 3 ? (parts[0] ?? "") : "";
  const container = parseRange(value, containerText, "container port");
  // "" and docker's 0: any free host port.
  const host = hostText === "" || hostText === "0" ? undefined : parseRange(value, hostText, "host port");
  const count = container.last - container.first + 1;
  if (host && count > 1 && host.last - host.first + 1 !== count)
    throw new SpecError("--publish", `${JSON.stringify(value)}: ${count} container ports cannot map to host ports ${hostText}`, "give as many host ports as container ports, or none (any free ones)");
  let hostIp: string | undefined;
  if (hostIpText !== "" && hostIpText !== "0.0.0.0") {
    const ip = parseIPv4(hostIpText);
    if (ip === null) throw new SpecError("--publish", `${JSON.stringify(value)}: ${JSON.stringify(hostIpText)} is not an IPv4 address`, PORT_HINT);
    hostIp = formatIPv4(ip);
  }
  return Array.from({ length: count }, (_, i) => {
    const containerPort = container.first + i;
    // A container range maps one to one; one container port takes a free
    // one of the host range.
    const hostPorts = host && count > 1 ? { first: host.first + i, last: host.first + i } : host;
    return { proto, ...(hostIp && { hostIp }), ...(hostPorts && { hostPorts }), containerPort };
  });
}

// docker's -P: every port the image exposes ("80/tcp", "53/udp", "8080",
// "8000-8001/tcp") on a free host port of its own, but those -p publishes.
function exposedRequests(exposed: readonly string[], given: readonly PortRequest[]): PortRequest[] {
  return exposed.flatMap((key) => {
    const m = /^(\d{1,5})(?:-(\d{1,5}))?(?:\/([a-z]+))?$/.exec(key);
    const first = Number(m?.[1]);
    const last = m?.[2] === undefined ? first : Number(m[2]);
    const proto = m?.[3] ?? "tcp";
    if (!m || first < 1 || last > 65535 || last < first)
      throw new SpecError("--publish-all", `the image exposes ${JSON.stringify(key)}, which is not PORT[/tcp|/udp]`, "leave out -P, and publish its ports with -p");
    if (proto !== "tcp" && proto !== "udp")
      throw new SpecError("--publish-all", `the image exposes ${key}, and contain publishes tcp and udp ports only`, "leave out -P, and publish the others with -p");
    return Array.from({ length: last - first + 1 }, (_, i) => ({ proto, containerPort: first + i }) as PortRequest).filter((r) => !given.some((g) => g.proto === r.proto && g.containerPort === r.containerPort));
  });
}

// The mapping a request names outright (one host port), if it does.
export function fixedPort(r: PortRequest): PortMapping | undefined {
  if (!r.hostPorts || r.hostPorts.first !== r.hostPorts.last) return undefined;
  return { proto: r.proto, ...(r.hostIp && { hostIp: r.hostIp }), hostPort: r.hostPorts.first, containerPort: r.containerPort };
}

export const describePort = (p: PortMapping) => `${p.hostIp ? `${p.hostIp}:` : ""}${p.hostPort}:${p.containerPort}/${p.proto}`;

// Two mappings compete when they share a protocol and host port, and their
// host addresses meet (an absent address means all of them).
export function portsClash(a: PortMapping, b: PortMapping): boolean {
  return a.proto === b.proto && a.hostPort === b.hostPort && (!a.hostIp || !b.hostIp || a.hostIp === b.hostIp);
}

// IFNAMSIZ: 15 bytes; no '/', ':' or whitespace (dev_valid_name), and the
// veth prefix stays ours.
export function validateBridgeName(name: string): void {
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(name) || name === "." || name === "..")
    throw new SpecError("--bridge", `${JSON.stringify(name)} is not a link name`, "use 1 to 15 letters, digits, '-', '_' or '.'");
  if (name.startsWith(VETH_PREFIX)) throw new SpecError("--bridge", `${JSON.stringify(name)} starts with ${VETH_PREFIX}, which names containers' veths`, "choose another name");
}

export function parseSubnetFlag(text: string): Subnet {
  const r = parseSubnet(text);
  if ("error" in r) throw new SpecError("--subnet", r.error, r.hint);
  return r.subnet;
}

const HOSTNAME_RE = /^(?=.{1,253}$)[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)*$/;
// Loose on purpose: resolv.conf and the hosts file take IPv6 too.
const IPV6_RE = /^[0-9a-fA-F:]+(%[\w.-]+)?$/;

function isAddress(text: string): boolean {
  return parseIPv4(text) !== null || (text.includes(":") && IPV6_RE.test(text));
}

function parseAddHost(value: string): { name: string; address: string } {
  // docker takes NAME:IP and NAME=IP; an IPv6 address holds ':' itself.
  const sep = value.includes("=") ? value.indexOf("=") : value.indexOf(":");
  const name = value.slice(0, sep);
  const address = value.slice(sep + 1).replace(/^\[(.*)\]$/, "$1");
  if (sep <= 0 || !HOSTNAME_RE.test(name) || !isAddress(address))
    throw new SpecError("--add-host", `${JSON.stringify(value)} is not NAME:ADDRESS`, "e.g. --add-host db:10.0.42.7");
  return { name, address };
}

export function networkFromFlags(flags: NetworkFlags): NetworkRequest {
  const container = flags.net?.startsWith("container:") ? flags.net.slice("container:".length) : undefined;
  const mode = container === undefined ? (flags.net ?? "bridge") : "container";
  if (mode !== "container" && !(NET_MODES as readonly string[]).includes(mode))
    throw new SpecError("--net", `unknown network mode ${JSON.stringify(mode)}`, `use one of ${NET_MODES.join(", ")} or container:NAME`);
  const given = (flags.publish ?? []).flatMap(parsePublish);
  const ports = [...given, ...exposedRequests(flags.publishAll ?? [], given)];
  if (mode !== "bridge") {
    const bridgeOnly = [flags.bridge && "--bridge", flags.subnet && "--subnet", given.length && "--publish", flags.publishAll && "--publish-all"].filter(Boolean);
    if (bridgeOnly.length) throw new SpecError(String(bridgeOnly[0]), `needs --net bridge, not --net ${flags.net}`, "leave it out, or use --net bridge");
  }
  // docker's conflicts: the other container's network, and its files, are as they are.
  const fileOnly = [flags.dns?.length && "--dns", flags.addHost?.length && "--add-host"].filter(Boolean);
  if (mode === "container" && fileOnly.length)
    throw new SpecError(String(fileOnly[0]), `conflicts with --net ${flags.net}: the container shares the other's /etc/hosts and resolv.conf`, "leave it out, or set it on the other container");
  const fixed = ports.flatMap((r) => fixedPort(r) ?? []);
  fixed.forEach((p, i) => {
    const other = fixed.slice(0, i).find((q) => portsClash(p, q));
    if (other) throw new SpecError("--publish", `host port ${p.hostPort}/${p.proto} is mapped twice (${describePort(other)} and ${describePort(p)})`, "map each host port once");
  });
  const bridge = flags.bridge ?? DEFAULT_BRIDGE;
  validateBridgeName(bridge);
  const dns = [...(flags.dns ?? [])];
  for (const d of dns) if (!isAddress(d)) throw new SpecError("--dns", `${JSON.stringify(d)} is not an IP address`, "e.g. --dns 10.0.0.53");
  return {
    mode: mode as NetMode,
    bridge,
    subnet: flags.subnet === undefined ? undefined : formatSubnet(parseSubnetFlag(flags.subnet)),
    ports,
    dns,
    extraHosts: (flags.addHost ?? []).map(parseAddHost),
    ...(container !== undefined && { container }),
  };
}
