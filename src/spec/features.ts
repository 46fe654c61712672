// `contain features`: the runtime-spec's Features structure (features.md,
// features-linux.md), what a caller may put in a config.json for this
// runtime. Every list is read from the tables that parse and apply it, so it
// cannot drift from them; the spec asks for what the runtime implements, not
// for what this host has ("determined on the compilation time").
//
// Only the properties of ociVersionMax's release (1.2.1) appear, as
// features.md requires: netDevices, memoryPolicy and intelRdt's schemata and
// monitoring came with 1.3.
import { CAPABILITIES } from "./capabilities.ts";
import { MOUNT_OPTIONS, PROPAGATION_OPTIONS } from "./mounts.ts";
import { fieldStatus } from "./oci.ts";
import { OCI_VERSION_MAX, OCI_VERSION_MIN } from "./version.ts";
import { HOOK_KINDS, NAMESPACE_TYPES } from "./schema.ts";

export interface Features {
  ociVersionMin: string;
  ociVersionMax: string;
  hooks: string[];
  mountOptions: string[];
  potentiallyUnsafeConfigAnnotations: string[];
  linux: {
    namespaces: string[];
    capabilities: string[];
    cgroup: { v1: boolean; v2: boolean; systemd: boolean; systemdUser: boolean; rdma: boolean };
    seccomp: { enabled: boolean; actions: string[]; operators: string[]; archs: string[]; knownFlags: string[]; supportedFlags: string[] };
    apparmor: { enabled: boolean };
    selinux: { enabled: boolean };
    intelRdt: { enabled: boolean };
    mountExtensions: { idmap: { enabled: boolean } };
  };
}

// The seccomp compiler's own tables (plan/seccomp/profile.ts), passed in:
// this layer may not import the plan's.
export interface SeccompTables {
  actions: readonly string[];
  operators: readonly string[];
  archs: readonly string[];
  flags: readonly string[];
}

// The kernel takes SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV only with
// SECCOMP_FILTER_FLAG_NEW_LISTENER (EINVAL otherwise), that is with a seccomp
// agent, which contain does not support (no SCMP_ACT_NOTIFY).
const NEEDS_LISTENER = new Set(["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"]);

const implemented = (path: string) => fieldStatus(path) === "implemented";
const sorted = (names: Iterable<string>) => [...names].sort();

export function features(seccomp: SeccompTables): Features {
  return {
    ociVersionMin: OCI_VERSION_MIN,
    ociVersionMax: OCI_VERSION_MAX,
    hooks: HOOK_KINDS.filter((h) => implemented(`hooks.${h}`)),
    // The names that set a mount flag or a propagation (plan.ts rootMount);
    // any other option of a filesystem mount is its data (mode=, size=), which
    // features.md leaves out.
    mountOptions: sorted([...Object.keys(MOUNT_OPTIONS), ...Object.keys(PROPAGATION_OPTIONS)]),
    // contain acts on no annotation: config.json's are kept, never read.
    potentiallyUnsafeConfigAnnotations: [],
    linux: {
      namespaces: sorted(NAMESPACE_TYPES),
      capabilities: [...CAPABILITIES],
      // Both versions behind one interface (linux/cgroups/); cgroupsPath is
      // read as a cgroupfs path, never as systemd's slice:prefix:name.
      cgroup: { v1: true, v2: true, systemd: false, systemdUser: false, rdma: implemented("linux.resources.rdma") },
      seccomp: {
        enabled: implemented("linux.seccomp"),
        actions: sorted(seccomp.actions),
        operators: sorted(seccomp.operators),
        // Recognized in a profile; the filter compiled from it serves the
        // native architecture and kills a call of any other (compile.ts).
        archs: sorted(seccomp.archs),
        knownFlags: [...seccomp.flags],
        supportedFlags: seccomp.flags.filter((f) => !NEEDS_LISTENER.has(f)),
      },
      // process.apparmorProfile, selinuxLabel and linux.mountLabel are read
      // but not applied: contain loads no LSM profile or label yet.
      apparmor: { enabled: false },
      selinux: { enabled: false },
      intelRdt: { enabled: implemented("linux.intelRdt") },
      mountExtensions: { idmap: { enabled: implemented("mounts.uidMappings") } },
    },
  };
}
