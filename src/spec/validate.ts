// The checks of a Spec's content beyond its schema, as runc's
// libcontainer/configs/validate has them: one named function per rule, run in
// a list, the first that fails reported. These are pure; the ones that ask
// the host (a directory exists, the kernel takes it) are the runtime's
// (runtime/host-checks.ts), run by the same runner. Every front end's Spec
// passes through both: `run`'s flags and `node create` (runtime/flags.ts), an
// OCI bundle (runtime/bundle.ts).
import { SpecError } from "../errors.ts";
import { MOUNT_OPTIONS, PROPAGATION_OPTIONS } from "./mounts.ts";
import type { Resources, Spec } from "./schema.ts";

export interface Check<T> {
  name: string;
  check: (target: T) => void;
}

// In the list's order: the order in which a Spec's errors are reported.
export function runChecks<T>(checks: readonly Check<T>[], target: T): void {
  for (const c of checks) c.check(target);
}

export interface HostFacts {
  cpus: number; // online CPUs
}

// The flag the user typed for a field that several flags set (from-flags.ts
// typedFlags), or "json": the Spec came from a config.json.
export type Typed = Readonly<Record<string, string>> | "json";

export interface SpecTarget {
  spec: Spec;
  host: HostFacts;
  typed: Typed;
}

// A quota above the machine's CPUs is legal for an OCI caller, as for runc;
// a flag asking for it is a mistake.
export function checkQuota(cpu: Resources["cpu"], host: HostFacts, typed: Typed): void {
  if (cpu?.quota === undefined || cpu.quota < 0 || typed === "json") return;
  const period = cpu.period ?? 100_000;
  const cpus = cpu.quota / period;
  const flag = typed["linux.resources.cpu.quota"] ?? "--cpu";
  if (cpus > host.cpus)
    throw new SpecError(flag, `${Number(cpus.toFixed(3))} CPUs is more than this machine has (${host.cpus})`, `use at most ${flag} ${flag === "--cpu-quota" ? host.cpus * period : host.cpus}`);
}

const cpuQuota: Check<SpecTarget> = { name: "cpu quota within the machine", check: ({ spec, host, typed }) => checkQuota(spec.linux.resources.cpu, host, typed) };

// mknod(2) needs both numbers; a fifo has none.
const deviceNumbers: Check<SpecTarget> = {
  name: "device numbers",
  check: ({ spec, typed }) => {
    for (const [i, d] of (spec.linux.devices ?? []).entries())
      if (d.type !== "p" && (d.major === undefined || d.minor === undefined))
        throw new SpecError(typed === "json" ? `linux.devices[${i}]` : "--device", `${d.path}: a ${d.type} device needs its major and minor numbers`, "give both, as a host device node has them");
  },
};

// A bind mount has no data for mount(2) to pass on (plan.ts rootMount): an
// option that is no flag or propagation is an error, not a silent no-op. A
// cgroup mount is bound from the host's hierarchies (plan.ts cgroupMounts).
const bindOptions: Check<SpecTarget> = {
  name: "bind mount options",
  check: ({ spec }) => {
    for (const m of spec.mounts ?? []) {
      if (m.type !== "bind" && m.type !== "cgroup") continue;
      const unknown = m.options.find((o) => !MOUNT_OPTIONS[o] && !PROPAGATION_OPTIONS[o]);
      if (unknown !== undefined)
        throw new SpecError(`mounts ${m.destination}`, `unknown option ${JSON.stringify(unknown)} for a bind mount`, "use ro, rw, rbind, nosuid, nodev, noexec, an atime option or a propagation (rprivate, rslave, ...)");
    }
  },
};

// The root as the overlay's lower layer: overlayfs options are
// comma-separated and take ':' between lower layers (an image's layers are
// the store's short names instead).
const overlayRootPath: Check<SpecTarget> = {
  name: "overlay root path",
  check: ({ spec }) => {
    if (spec.contain?.overlay && !spec.contain.image && /[,:\\]/.test(spec.root.path))
      throw new SpecError("--rootfs", `${spec.root.path} contains ',', ':' or '\\', which overlayfs options cannot hold`, "move or link the root filesystem to a plain path, or use --no-overlay");
  },
};

export const SPEC_CHECKS: readonly Check<SpecTarget>[] = [cpuQuota, deviceNumbers, bindOptions, overlayRootPath];
