// The checks of a Spec that ask this host, after the pure ones
// (spec/validate.ts, run with the schema): one named function per rule, run
// in this list's order by the same runner, before anything is made. Both
// front ends run them: `run`'s flags (flags.ts) and an OCI bundle
// (bundle.ts). A rule for one front end only says so, by the Spec: an OCI
// config.json cannot hold contain's own settings (spec/oci.ts), so a Spec
// without `contain` is an OCI bundle's.
import { existsSync, readFileSync, statSync } from "node:fs";
import { SpecError } from "../errors.ts";
import type { CgroupLayout } from "../linux/cgroups/detect.ts";
import { hostControllers, refuseUnusable } from "../linux/cgroups/index.ts";
import { deviceFilter } from "../linux/cgroups/device-filter.ts";
import type { Logger } from "../log.ts";
import { containerDevices } from "../plan/devices.ts";
import type { NetworkRequest } from "../spec/network.ts";
import type { Spec } from "../spec/schema.ts";
import { runChecks, type Check } from "../spec/validate.ts";
import { checkBridge } from "./bridge.ts";

export interface HostTarget {
  spec: Spec;
  network: NetworkRequest;
  cgroups?: CgroupLayout; // the host context's (detected here without one)
  log?: Logger; // hears what is ignored (a label this host has no LSM for)
}

const isOci = (spec: Spec) => spec.contain === undefined;

// contain's own root is checked as its flag names it (prepare.ts
// resolveRootfs), or is an image's overlay, made at the start.
const rootDirectory: Check<HostTarget> = {
  name: "root directory",
  check: ({ spec }) => {
    if (!isOci(spec)) return;
    let isDir = false;
    try {
      isDir = statSync(spec.root.path).isDirectory();
    } catch {}
    if (!isDir) throw new SpecError("root.path", `${spec.root.path}: no such directory`, "unpack the root filesystem there, or fix root.path (relative to the bundle)");
  },
};

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

// A profile or label contain cannot apply is refused where the host would
// enforce one; on a host without that LSM there is nothing to apply (runc
// does the same).
const securityLabels: Check<HostTarget> = {
  name: "security labels",
  check: ({ spec, log }) => {
    const p = spec.process;
    if (p.apparmorProfile) {
      if (readOptional("/sys/module/apparmor/parameters/enabled")?.trim() === "Y")
        throw new SpecError("process.apparmorProfile", "contain cannot apply AppArmor profiles yet, and this host enforces AppArmor", "remove it, or use runc for this container");
      log?.debug(`process.apparmorProfile ${p.apparmorProfile}: ignored, this host has no AppArmor`);
    }
    for (const [field, label] of [["process.selinuxLabel", p.selinuxLabel], ["linux.mountLabel", spec.linux.mountLabel]] as const) {
      if (!label) continue;
      if (existsSync("/sys/fs/selinux/enforce")) throw new SpecError(field, "contain cannot apply SELinux labels yet, and this host has SELinux", "remove it, or use runc for this container");
      log?.debug(`${field} ${label}: ignored, this host has no SELinux`);
    }
  },
};

// What this machine's cgroups cannot take. contain's own Spec meets the
// same refusal when its cgroup applies the resources (linux/cgroups).
const cgroupSupport: Check<HostTarget> = {
  name: "cgroup support",
  check: ({ spec, cgroups }) => {
    if (!isOci(spec)) return;
    const { version, controllers } = hostControllers(cgroups);
    refuseUnusable(spec.linux.resources, version, controllers);
  },
};

// Compiled whatever the cgroup version, so that a list of rules the device
// filter refuses is refused before anything is made (~0.1 ms). An OCI
// caller's rules are compiled where its cgroup needs them (v2).
const deviceRules: Check<HostTarget> = {
  name: "device rules",
  check: ({ spec }) => {
    if (!isOci(spec)) deviceFilter(containerDevices(spec).rules);
  },
};

// The refusals of --net bridge that need no lock: a name taken, a subnet
// that overlaps or differs.
const bridgeNetwork: Check<HostTarget> = {
  name: "bridge network",
  check: ({ network }) => {
    if (network.mode === "bridge") checkBridge(network);
  },
};

export const HOST_CHECKS: readonly Check<HostTarget>[] = [rootDirectory, securityLabels, cgroupSupport, deviceRules, bridgeNetwork];

export const checkHost = (target: HostTarget) => runChecks(HOST_CHECKS, target);
