// docker's device flags to OCI linux.devices (nodes) and
// linux.resources.devices (rules). Pure: the host's nodes are looked up by
// the caller (FlagContext.hostDevices).
import { SpecError } from "../errors.ts";
import type { Spec } from "./schema.ts";

type DeviceNode = NonNullable<Spec["linux"]["devices"]>[number];
type DeviceRule = NonNullable<Spec["linux"]["resources"]["devices"]>[number];

// A character or block device node on the host.
export interface HostDevice {
  path: string;
  type: "c" | "b";
  major: number;
  minor: number;
  mode: number; // permission bits
  uid: number;
  gid: number;
}

// The host's nodes at a path: the node itself, or every node under a
// directory; undefined when nothing is there.
export type HostDeviceLookup = (path: string) => HostDevice[] | undefined;

// r, w and m, each at most once, in any order (docker takes "mrw" too).
const ACCESS_RE = /^(?!.*(.).*\1)[rwm]{1,3}$/;

// --device HOST[:CONTAINER][:PERMS]: the host's node (or every node under a
// host directory) made inside with the same type and numbers, and allowed.
export function parseDevice(text: string, lookup: HostDeviceLookup): { nodes: DeviceNode[]; rules: DeviceRule[] } {
  const example = "--device /dev/fuse or --device /dev/sdc:/dev/xvdc:r";
  const parts = text.split(":");
  if (parts.length > 3 || !parts[0]) throw new SpecError("--device", `${JSON.stringify(text)} is not HOST[:CONTAINER][:PERMS]`, `e.g. ${example}`);
  const host = parts[0];
  const permsGiven = parts.length === 3 || (parts.length === 2 && /^[rwm]+$/.test(parts[1] ?? ""));
  const access = permsGiven ? (parts.at(-1) ?? "") : "rwm";
  const target = (parts.length === 3 || !permsGiven ? parts[1] : undefined) || host;
  if (!ACCESS_RE.test(access)) throw new SpecError("--device", `${JSON.stringify(access)} is not a set of permissions`, `use r, w and m, each at most once, e.g. ${example}`);
  if (!target.startsWith("/dev/")) throw new SpecError("--device", `container path ${JSON.stringify(target)} is not under /dev/`, `e.g. ${example}`);
  const found = lookup(host);
  if (found === undefined) throw new SpecError("--device", `${host} does not exist on the host`, "check the path, e.g. ls -l /dev");
  if (found.length === 0) throw new SpecError("--device", `${host} is not a character or block device`, `name a device node, e.g. ${example}`);
  const nodes = found.map((d): DeviceNode => ({ path: target + d.path.slice(host.length), type: d.type, major: d.major, minor: d.minor, fileMode: d.mode, uid: d.uid, gid: d.gid }));
  return { nodes, rules: found.map((d) => ({ allow: true, type: d.type, major: d.major, minor: d.minor, access })) };
}

// --device-cgroup-rule 'c 10:200 rwm' (docker's syntax; `*` is any number).
export function parseDeviceCgroupRule(text: string): DeviceRule {
  const m = /^([abc]) (\*|\d+):(\*|\d+) ([rwm]+)$/.exec(text.trim());
  const num = (s: string) => (s === "*" ? -1 : Number(s));
  if (!m || !ACCESS_RE.test(m[4] ?? ""))
    throw new SpecError("--device-cgroup-rule", `${JSON.stringify(text)} is not "TYPE MAJOR:MINOR PERMS"`, "e.g. --device-cgroup-rule 'c 10:200 rwm' (type a, b or c; * for any number; permissions r, w, m)");
  return { allow: true, type: m[1] as "a" | "b" | "c", major: num(m[2] ?? ""), minor: num(m[3] ?? ""), access: m[4] };
}

// --privileged gives the container the host's device nodes, as docker does:
// all of /dev but the host's own ptys, shared memory and message queues
// (the container has its own) and its console.
export function privilegedDevices(lookup: HostDeviceLookup): DeviceNode[] {
  const own = (p: string) => /^\/dev\/(pts|shm|mqueue)\//.test(p) || p === "/dev/ptmx" || p === "/dev/console";
  return (lookup("/dev") ?? []).filter((d) => !own(d.path)).map((d) => ({ path: d.path, type: d.type, major: d.major, minor: d.minor, fileMode: d.mode, uid: d.uid, gid: d.gid }));
}
