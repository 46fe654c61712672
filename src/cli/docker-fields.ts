// What docker's output calls a container's labels, ports and times, read
// from contain's state. Pure.
import type { ContainerState } from "../runtime/state.ts";
import type { Status } from "../runtime/status.ts";
import { familiar, parseReference } from "../spec/reference.ts";
import type { PortMapping } from "../spec/network.ts";
import type { Spec } from "../spec/schema.ts";
import { parseSize } from "../spec/units.ts";

// contain has no --label yet: a container's labels are its OCI annotations
// (what an OCI bundle's config.json, or podman and containerd, give it).
export function labelsOf(state: ContainerState): Record<string, string> {
  return state.spec?.annotations ?? {};
}

// docker's Config.Image: the image's name as `run` was given it; without an
// image, the root filesystem the container was made from.
export const imageNameOf = (state: ContainerState): string => state.spec?.contain?.image?.name ?? state.rootfs;

// docker ps's IMAGE: that name in its familiar form (alpine:3 for
// docker.io/library/alpine:3).
export const imageColumnOf = (state: ContainerState): string => {
  const name = state.spec?.contain?.image?.name;
  if (name === undefined) return state.rootfs;
  try {
    return familiar(parseReference(name));
  } catch {
    return name; // an ID or ID prefix, as given
  }
};

// docker's HostConfig.ShmSize: the size= of the container's /dev/shm tmpfs
// (--shm-size, or the default 64M); 0 where it has none, or a size tmpfs
// reads another way (50%).
export function shmSizeOf(spec: Spec): number {
  const shm = spec.mounts?.find((m) => m.destination === "/dev/shm" && m.type === "tmpfs");
  const size = shm?.options.findLast((o) => o.startsWith("size="))?.slice(5);
  return size !== undefined && /^\d+[kmg]?$/i.test(size) ? parseSize("size", size) : 0;
}

// A container's network as docker shows it: only while it runs (docker
// empties NetworkSettings at the stop; the lease and the ports are released,
// and a restarting container's too).
export function liveNetwork(state: ContainerState, status: Status): ContainerState["network"] {
  return status.kind === "exited" || status.kind === "restarting" ? undefined : state.network;
}

export function portsOf(state: ContainerState, status: Status): PortMapping[] {
  return liveNetwork(state, status)?.ports ?? [];
}

// docker's NetworkSettings.Ports: "80/tcp" -> its host bindings, in the
// order they were published; the keys sorted, as Go's JSON writes a map.
export function portBindings(ports: readonly PortMapping[]): Map<string, { HostIp: string; HostPort: string }[]> {
  const map = new Map<string, { HostIp: string; HostPort: string }[]>();
  for (const p of ports) {
    const key = `${p.containerPort}/${p.proto}`;
    map.set(key, [...(map.get(key) ?? []), { HostIp: p.hostIp ?? "0.0.0.0", HostPort: String(p.hostPort) }]);
  }
  return new Map([...map].sort(([a], [b]) => cmp(a, b)));
}

// docker ps's PORTS (its DisplayablePorts): sorted by container port,
// address, host port and protocol; ports published on the same number run
// together into ranges (0.0.0.0:8080-8081->8080-8081/tcp), the others
// follow one by one (0.0.0.0:49153->80/tcp), all joined by ", ".
export function displayPorts(ports: readonly PortMapping[]): string {
  const sorted = ports
    .map((p) => ({ ...p, ip: p.hostIp ?? "0.0.0.0" }))
    .sort((a, b) => a.containerPort - b.containerPort || cmp(a.ip, b.ip) || a.hostPort - b.hostPort || cmp(a.proto, b.proto));
  const ranges: string[] = [];
  const mapped: string[] = [];
  const open = new Map<string, { first: number; last: number }>(); // by address and protocol, in first-seen order
  const range = (key: string, g: { first: number; last: number }) => {
    const [ip, proto] = key.split("/");
    const span = g.first === g.last ? `${g.first}` : `${g.first}-${g.last}`;
    return `${ip}:${span}->${span}/${proto}`;
  };
  for (const p of sorted) {
    if (p.hostPort !== p.containerPort) {
      mapped.push(`${p.ip}:${p.hostPort}->${p.containerPort}/${p.proto}`);
      continue;
    }
    const key = `${p.ip}/${p.proto}`;
    const g = open.get(key);
    if (g && p.containerPort === g.last + 1) g.last = p.containerPort;
    else {
      if (g) ranges.push(range(key, g));
      // docker's map keeps a key's first place when its group is restarted
      open.set(key, { first: p.containerPort, last: p.containerPort });
    }
  }
  for (const [key, g] of open) ranges.push(range(key, g));
  return [...ranges, ...mapped].join(", ");
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

// Go's time.Time.String(), which docker's CreatedAt prints:
// "2024-05-01 12:34:56 +0000 UTC", in the local time zone.
export function goTime(d: Date): string {
  const pad = (n: number, w = 2) => String(Math.abs(n)).padStart(w, "0");
  const off = -d.getTimezoneOffset();
  const zone = new Intl.DateTimeFormat("en-US", { timeZoneName: "short" }).formatToParts(d).find((p) => p.type === "timeZoneName")?.value ?? "";
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${off < 0 ? "-" : "+"}${pad(Math.floor(Math.abs(off) / 60))}${pad(Math.abs(off) % 60)} ${zone}`;
}
