// Capabilities by their kernel names (linux/capability.h; the index is the bit).
import { SpecError } from "../errors.ts";

export const CAPABILITIES = [
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_DAC_READ_SEARCH",
  "CAP_FOWNER",
  "CAP_FSETID",
  "CAP_KILL",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETPCAP",
  "CAP_LINUX_IMMUTABLE",
  "CAP_NET_BIND_SERVICE",
  "CAP_NET_BROADCAST",
  "CAP_NET_ADMIN",
  "CAP_NET_RAW",
  "CAP_IPC_LOCK",
  "CAP_IPC_OWNER",
  "CAP_SYS_MODULE",
  "CAP_SYS_RAWIO",
  "CAP_SYS_CHROOT",
  "CAP_SYS_PTRACE",
  "CAP_SYS_PACCT",
  "CAP_SYS_ADMIN",
  "CAP_SYS_BOOT",
  "CAP_SYS_NICE",
  "CAP_SYS_RESOURCE",
  "CAP_SYS_TIME",
  "CAP_SYS_TTY_CONFIG",
  "CAP_MKNOD",
  "CAP_LEASE",
  "CAP_AUDIT_WRITE",
  "CAP_AUDIT_CONTROL",
  "CAP_SETFCAP",
  "CAP_MAC_OVERRIDE",
  "CAP_MAC_ADMIN",
  "CAP_SYSLOG",
  "CAP_WAKE_ALARM",
  "CAP_BLOCK_SUSPEND",
  "CAP_AUDIT_READ",
  "CAP_PERFMON",
  "CAP_BPF",
  "CAP_CHECKPOINT_RESTORE",
] as const;

export type Capability = (typeof CAPABILITIES)[number];

// docker's default set (moby oci/caps/defaults.go): what a root process in a
// container keeps; everything else (CAP_SYS_ADMIN, CAP_NET_ADMIN, CAP_SYS_MODULE,
// CAP_SYS_RAWIO, ...) is dropped from every set, bounding included.
export const DEFAULT_CAPABILITIES: readonly Capability[] = [
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_FSETID",
  "CAP_FOWNER",
  "CAP_MKNOD",
  "CAP_NET_RAW",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETFCAP",
  "CAP_SETPCAP",
  "CAP_NET_BIND_SERVICE",
  "CAP_SYS_CHROOT",
  "CAP_KILL",
  "CAP_AUDIT_WRITE",
];

// "net_admin", "NET_ADMIN" and "CAP_NET_ADMIN" all name CAP_NET_ADMIN, as in docker.
export function parseCapability(flag: string, name: string): Capability | "ALL" {
  const upper = name.trim().toUpperCase();
  if (upper === "ALL") return "ALL";
  const full = upper.startsWith("CAP_") ? upper : `CAP_${upper}`;
  if (!(CAPABILITIES as readonly string[]).includes(full))
    throw new SpecError(flag, `unknown capability ${JSON.stringify(name)}`, "use a name from capabilities(7), e.g. NET_ADMIN, or ALL");
  return full as Capability;
}

// docker's rule (moby oci/caps.TweakCapabilities): ALL added starts from every
// capability, ALL dropped from none, otherwise from the default set; then the
// named drops are removed and the named adds added.
export function capabilitySet(add: readonly string[], drop: readonly string[]): Capability[] {
  const adds = add.map((n) => parseCapability("--cap-add", n));
  const drops = drop.map((n) => parseCapability("--cap-drop", n));
  const base: readonly Capability[] = adds.includes("ALL") ? CAPABILITIES : drops.includes("ALL") ? [] : DEFAULT_CAPABILITIES;
  const set = new Set(base.filter((c) => !drops.includes(c)));
  for (const c of adds) if (c !== "ALL") set.add(c);
  return CAPABILITIES.filter((c) => set.has(c));
}

// runc's `exec --cap`: capabilities added to every set of a process that has
// sets (one without keeps all: --privileged).
export function withCapabilities<P extends { capabilities?: { bounding: string[]; effective: string[]; permitted: string[]; inheritable?: string[] } }>(process: P, names: readonly string[]): P {
  const caps = process.capabilities;
  if (!names.length || !caps) return process;
  const added = names.map((n) => parseCapability("--cap", n)).flatMap((c) => (c === "ALL" ? [...CAPABILITIES] : [c]));
  const plus = (set: readonly string[]) => CAPABILITIES.filter((c) => set.includes(c) || added.includes(c));
  return { ...process, capabilities: { ...caps, bounding: plus(caps.bounding), effective: plus(caps.effective), permitted: plus(caps.permitted) } };
}

// A set as the kernel's 64-bit mask, in hex (JSON has no 64-bit integers).
export function capabilityMask(caps: readonly string[]): string {
  let mask = 0n;
  for (const c of caps) {
    const bit = (CAPABILITIES as readonly string[]).indexOf(c);
    if (bit >= 0) mask |= 1n << BigInt(bit);
  }
  return `0x${mask.toString(16)}`;
}
