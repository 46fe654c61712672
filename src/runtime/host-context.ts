// The host a command runs on, resolved once by the CLI (cli/context.ts) and
// passed to what it calls: who runs, the state root, the data root and the
// cgroup layout. What rootless mode will change is here, in one place.
import { readFileSync } from "node:fs";
import { ContainError } from "../errors.ts";
import { parseCgroupLayout, type CgroupLayout } from "../linux/cgroups/detect.ts";

// The containers' state: tmpfs, gone after a reboot, as runc's /run/runc.
// `--root` moves it, and only it, as runc's --root does.
export const DEFAULT_STATE_ROOT = "/run/contain";
// The persistent data: images, the containers' layers and logs, the
// unpacked default rootfs, the leases. `--data-root` moves it.
export const DEFAULT_DATA_ROOT = "/var/lib/contain";

export interface HostContext {
  readonly euid: number;
  readonly stateRoot: string;
  readonly dataRoot: string;
  readonly authFile: string;
  readonly cgroups: CgroupLayout;
  // Throws, naming the command, unless contain runs as root.
  requireRoot(command: string): void;
}

export interface HostInputs {
  euid: number;
  stateRoot: () => string;
  dataRoot: () => string;
  mountinfo?: () => string; // /proc/self/mountinfo, for tests
}

// Each part is resolved at its first use and kept: a command that never
// reads the data root (state, delete) is not failed by its flag, and only a
// command that places cgroups reads the mount table.
export function hostContext(inputs: HostInputs): HostContext {
  const stateRoot = once(inputs.stateRoot);
  const dataRoot = once(inputs.dataRoot);
  const cgroups = once(() => parseCgroupLayout((inputs.mountinfo ?? (() => readFileSync("/proc/self/mountinfo", "utf8")))()));
  return {
    euid: inputs.euid,
    get stateRoot() {
      return stateRoot();
    },
    get dataRoot() {
      return dataRoot();
    },
    get authFile() {
      return authFileIn(dataRoot());
    },
    get cgroups() {
      return cgroups();
    },
    requireRoot(command: string) {
      if (inputs.euid !== 0) throw new ContainError(`contain ${command} must run as root (rootless mode does not exist yet)`, `run it with sudo: sudo contain ${command} ...`);
    },
  };
}

// contain login's credentials, in docker's config.json format.
export const authFileIn = (dataRoot: string) => `${dataRoot}/auth.json`;

function once<T>(resolve: () => T): () => T {
  let done: { value: T } | undefined;
  return () => (done ??= { value: resolve() }).value;
}
