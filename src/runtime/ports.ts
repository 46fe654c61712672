// The host ports of a container's -p requests, chosen by the host at run
// time, never read back from the container: a port named outright is checked,
// and one left to choose (-p 80, -p 8000-8010:80) is the first free one from a
// random point of its range, as docker's allocator takes them from the
// ephemeral range. Free means: no lease of any bridge holds it (a lease's
// ports are its nft map elements, which would take the traffic), no host
// process listens on it, and the kernel lets a socket bind it there. And
// the removal of their nft elements, once the container is released.
import { ContainError } from "../errors.ts";
import { nft } from "../linux/nft.ts";
import { canBind, ephemeralRange, hostListeners, type Listener } from "../linux/sockets.ts";
import { deletePortScript } from "../plan/nft.ts";
import { describePort, fixedPort, portsClash, type PortMapping, type PortRequest } from "../spec/network.ts";

// A port some container's lease holds.
export interface HeldPort {
  id: string;
  port: PortMapping;
}

// The host as the choice sees it (src/linux/sockets.ts; a fake in tests).
export interface PortHost {
  ephemeral(): { first: number; last: number };
  listeners(proto: "tcp" | "udp"): Listener[];
  canBind(proto: "tcp" | "udp", address: string, port: number): boolean;
}

export const THIS_HOST: PortHost = { ephemeral: ephemeralRange, listeners: hostListeners, canBind };

function heldBy(held: readonly HeldPort[], p: PortMapping): HeldPort | undefined {
  return held.find((h) => portsClash(p, h.port));
}

function listenerOn(host: PortHost, p: PortMapping): Listener | undefined {
  return host.listeners(p.proto).find((l) => l.port === p.hostPort && (!p.hostIp || l.address === "*" || l.address === p.hostIp));
}

// A port named outright: refused when taken, with who holds it.
function checkFixed(host: PortHost, held: readonly HeldPort[], p: PortMapping): void {
  const lease = heldBy(held, p);
  if (lease)
    throw new ContainError(`host port ${p.hostPort}/${p.proto} is already mapped to container ${lease.id.slice(0, 12)} (${describePort(lease.port)})`, "choose another host port, or remove that container");
  const listener = listenerOn(host, p);
  if (listener)
    throw new ContainError(`host port ${p.hostPort}/${p.proto} is in use: a process on the host listens on ${listener.address === "*" ? "all addresses" : listener.address}`, "choose another host port");
}

function bindable(host: PortHost, p: PortMapping): boolean {
  try {
    return host.canBind(p.proto, p.hostIp ?? "0.0.0.0", p.hostPort);
  } catch (err) {
    throw new ContainError(`cannot publish on ${p.hostIp ?? "0.0.0.0"}: ${err instanceof Error ? err.message : String(err)}`, "give an address of this host, or none (all of them)", undefined, { cause: err });
  }
}

// The first free port of the request's range, from `start` (0 <= start < 1).
function choose(host: PortHost, held: readonly HeldPort[], r: PortRequest, start: number): PortMapping {
  const range = r.hostPorts ?? host.ephemeral();
  const size = range.last - range.first + 1;
  const offset = Math.floor(start * size);
  for (let i = 0; i < size; i++) {
    const p: PortMapping = { proto: r.proto, ...(r.hostIp && { hostIp: r.hostIp }), hostPort: range.first + ((offset + i) % size), containerPort: r.containerPort };
    if (!heldBy(held, p) && bindable(host, p)) return p;
  }
  const where = r.hostPorts ? `${range.first}-${range.last}` : `the ephemeral range ${range.first}-${range.last}`;
  throw new ContainError(`no free host port for ${r.containerPort}/${r.proto} in ${where}${r.hostIp ? ` on ${r.hostIp}` : ""}`, "free one, or publish on another range");
}

// The mappings, in the requests' order. The ports named outright go first,
// so a chosen one never takes a port the container itself asked for.
// `random`: a number in [0, 1) for each choice.
export function choosePorts(requests: readonly PortRequest[], held: readonly HeldPort[], host: PortHost, random: () => number = Math.random): PortMapping[] {
  const taken = [...held];
  const out: (PortMapping | undefined)[] = requests.map((r) => {
    const p = fixedPort(r);
    if (p) {
      checkFixed(host, taken, p);
      taken.push({ id: "", port: p });
    }
    return p;
  });
  return requests.map((r, i) => {
    const fixed = out[i];
    if (fixed) return fixed;
    const p = choose(host, taken, r, random());
    taken.push({ id: "", port: p });
    return p;
  });
}

// The nft elements of a lease's ports, which its bridge's start added
// (bridge.ts). Safe to repeat.
export function removePortRules(bridge: string, ports: readonly PortMapping[]): void {
  if (!ports.length) return;
  try {
    nft(ports.map((p) => deletePortScript(bridge, p)).join(""));
  } catch {
    // One transaction fails whole: one by one, the ones still there.
    for (const p of ports) {
      try {
        nft(deletePortScript(bridge, p));
      } catch {
        // Already gone (a flushed table, a start that failed before it).
      }
    }
  }
}
