// `contain spec`: a starter config.json for a bundle, as `runc spec` writes
// one, made of contain's own defaults, the ones `contain run` gives a
// container: its mounts, masked and read-only paths, namespaces, docker's
// capabilities, the device allowlist and the pids limit. specFromConfig
// reads it back (a unit test holds it to that), and runc runs it.
//
// Not in it, as in runc's: a seccomp profile (`run` applies docker's; a
// bundle states its own, in full) and rlimits (the runtime's own pass on).
import { capabilitySet } from "./capabilities.ts";
import { DEFAULT_PATH } from "./env.ts";
import { DEFAULT_NAMESPACES, DEFAULT_PIDS_LIMIT, MASKED_PATHS, READONLY_PATHS } from "./from-flags.ts";
import { DEFAULT_MOUNTS } from "./mounts.ts";
import { OCI_VERSION_MAX } from "./version.ts";

export function defaultConfig() {
  const caps = capabilitySet([], []);
  return {
    ociVersion: OCI_VERSION_MAX,
    process: {
      // A shell on a terminal: the starter is to be edited, as runc's says.
      terminal: true,
      user: { uid: 0, gid: 0 },
      args: ["sh"],
      env: [`PATH=${DEFAULT_PATH}`, "TERM=xterm"],
      cwd: "/",
      // No inheritable or ambient set (CVE-2022-24769; runc's spec has none either).
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      noNewPrivileges: true,
    },
    // The bundle's own directory, not a copy-on-write layer as `run` gives:
    // read-only, as runc's starter has it, so the container cannot change it.
    root: { path: "rootfs", readonly: true },
    hostname: "contain",
    mounts: DEFAULT_MOUNTS.map((m) => ({ ...m, options: [...m.options] })),
    linux: {
      namespaces: DEFAULT_NAMESPACES.map((type) => ({ type })),
      // Every device denied but the runtime's own default nodes.
      resources: { devices: [{ allow: false, access: "rwm" }], pids: { limit: DEFAULT_PIDS_LIMIT } },
      maskedPaths: [...MASKED_PATHS],
      readonlyPaths: [...READONLY_PATHS],
    },
  };
}
