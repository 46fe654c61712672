// The device nodes a container gets (OCI linux.devices) and the cgroup rules
// that let it use them (linux.resources.devices), derived together from the
// Spec so that nodes and rules cannot disagree. Pure.
import type { Spec } from "../spec/schema.ts";

export type DeviceNode = NonNullable<Spec["linux"]["devices"]>[number];
export type DeviceRule = NonNullable<Spec["linux"]["resources"]["devices"]>[number];

// The nodes every container gets, whatever its config says (the OCI spec's
// default devices; runc's AllowedDevices). A node of the Spec's at the same
// path replaces one of these, with its rule.
const node = (name: string, major: number, minor: number): DeviceNode => ({ path: `/dev/${name}`, type: "c", major, minor, fileMode: 0o666, uid: 0, gid: 0 });
export const DEFAULT_NODES: readonly DeviceNode[] = [node("null", 1, 3), node("zero", 1, 5), node("full", 1, 7), node("random", 1, 8), node("urandom", 1, 9), node("tty", 5, 0)];

// runc's default rules beside those nodes': mknod of any device (using one
// still needs a rule), the container's own ptys (its devpts is a new
// instance: ptmx 5:2 and /dev/pts/* 136:*), and tun, which docker always
// allowed. Not the host's console (5:1), tty0 (4:0) or kmsg (1:11).
const DEFAULT_RULES: readonly DeviceRule[] = [
  { allow: true, type: "c", major: -1, minor: -1, access: "m" },
  { allow: true, type: "b", major: -1, minor: -1, access: "m" },
  { allow: true, type: "c", major: 136, minor: -1, access: "rwm" },
  { allow: true, type: "c", major: 5, minor: 2, access: "rwm" },
  { allow: true, type: "c", major: 10, minor: 200, access: "rwm" },
];

export function containerDevices(spec: Spec): { nodes: DeviceNode[]; rules: DeviceRule[] } {
  const own = spec.linux.devices ?? [];
  const defaults = DEFAULT_NODES.filter((d) => !own.some((o) => o.path === d.path));
  return {
    nodes: [...defaults, ...own],
    // The Spec's rules first, the runtime's after them: rules apply in order,
    // so the defaults stay usable whatever the Spec denies (as runc does).
    rules: [
      ...(spec.linux.resources.devices ?? []),
      ...DEFAULT_RULES,
      ...defaults.map((d): DeviceRule => ({ allow: true, type: "c", major: d.major, minor: d.minor, access: "rwm" })),
    ],
  };
}

