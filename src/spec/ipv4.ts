// IPv4 addresses and subnets as 32-bit numbers. Pure.

export function parseIPv4(text: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return null;
  return parts.reduce((n, p) => n * 256 + p, 0);
}

export function formatIPv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

export interface Subnet {
  network: number; // the first address
  prefixLen: number;
}

export const subnetSize = (s: Subnet) => 2 ** (32 - s.prefixLen);
export const formatSubnet = (s: Subnet) => `${formatIPv4(s.network)}/${s.prefixLen}`;
export const broadcastOf = (s: Subnet) => s.network + subnetSize(s) - 1;
// The bridge's own address: the first host address, as docker's docker0.
export const gatewayOf = (s: Subnet) => s.network + 1;

export function contains(s: Subnet, address: number): boolean {
  return address >= s.network && address <= broadcastOf(s);
}

export function overlaps(a: Subnet, b: Subnet): boolean {
  return a.network <= broadcastOf(b) && b.network <= broadcastOf(a);
}

// The subnet that holds `address` with this prefix (host bits cleared).
export function subnetOf(address: number, prefixLen: number): Subnet {
  const size = 2 ** (32 - prefixLen);
  return { network: address - (address % size), prefixLen };
}

export type SubnetParse = { subnet: Subnet } | { error: string; hint: string };

// The smallest subnet that works: a gateway and one container (/30).
export const MAX_PREFIX = 30;
export const MIN_PREFIX = 8;

// "10.0.42.0/24" -> a subnet a bridge can use, or why not.
export function parseSubnet(text: string): SubnetParse {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(text);
  const address = m ? parseIPv4(m[1] ?? "") : null;
  const prefixLen = Number(m?.[2]);
  if (!m || address === null || prefixLen > 32)
    return { error: `${JSON.stringify(text)} is not an IPv4 subnet`, hint: "write it as ADDRESS/PREFIX, e.g. 10.0.42.0/24" };
  if (prefixLen > MAX_PREFIX || prefixLen < MIN_PREFIX)
    return { error: `/${prefixLen} cannot hold a bridge network`, hint: `use a prefix from /${MIN_PREFIX} to /${MAX_PREFIX}, e.g. 10.0.42.0/24` };
  const subnet = subnetOf(address, prefixLen);
  if (subnet.network !== address)
    return { error: `${text} has host bits set`, hint: `did you mean ${formatSubnet(subnet)}?` };
  const first = Math.floor(address / 2 ** 24);
  if (first === 0 || first === 127 || first >= 224)
    return { error: `${text} is not a usable unicast range (0/8, 127/8 and 224/3 are reserved)`, hint: "use a private range, e.g. 10.0.42.0/24" };
  return { subnet };
}

// The lowest address for a container: after the gateway, before the
// broadcast, not in `taken`. null when the subnet is full.
export function firstFree(s: Subnet, taken: ReadonlySet<number>): number | null {
  for (let a = gatewayOf(s) + 1; a < broadcastOf(s); a++) if (!taken.has(a)) return a;
  return null;
}

// How many containers the subnet holds.
export const capacity = (s: Subnet) => subnetSize(s) - 3;

// docker's MAC for a container's address: 02:42 (locally administered,
// unicast) and the address's four bytes, unique wherever the address is.
export function macOf(address: number): string {
  return ["02", "42", ...formatIPv4(address).split(".").map((b) => Number(b).toString(16).padStart(2, "0"))].join(":");
}
