// The bundle front end, beside the flags' (flags.ts): an OCI bundle
// (runtime.md), its config.json as the Spec, checked against this host
// before anything is made, and the Plan of `create` and `run --bundle`.
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { ContainError, SpecError } from "../errors.ts";
import type { CgroupLayout } from "../linux/cgroups/detect.ts";
import { cgroupPlace } from "../linux/cgroups/index.ts";
import type { Logger } from "../log.ts";
import { planFromSpec, type Plan } from "../plan/plan.ts";
import { networkFromFlags, type NetworkRequest } from "../spec/network.ts";
import { specFromConfig } from "../spec/oci.ts";
import type { Spec } from "../spec/schema.ts";
import { checkHost } from "./host-checks.ts";
import { EXEC_FIFO, type StateStore } from "./state.ts";

// runc's rule for container IDs.
const ID_RE = /^[\w+.-]+$/;

export function checkOciId(id: string | undefined): string {
  if (!id) throw new SpecError("container id", "cannot be empty", "give the container's ID, e.g. contain create --bundle DIR mycontainer");
  if (!ID_RE.test(id) || id === "." || id === "..") throw new SpecError("container id", `${JSON.stringify(id)}: invalid container ID format`, "use letters, digits and _ + - .");
  return id;
}

// An OCI caller brings its network namespace (or takes the host's): contain
// makes no bridge for it.
const ociNetwork = (spec: Spec): NetworkRequest => networkFromFlags({ net: spec.linux.namespaces.some((n) => n.type === "network") ? "none" : "host" });

// config.json as the Spec, its schema and content checked (specFromConfig),
// then against this host (host-checks.ts).
function readBundle(dir: string, log: Logger, cgroups?: CgroupLayout): { bundle: string; spec: Spec; network: NetworkRequest } {
  const bundle = resolve(dir);
  const file = `${bundle}/config.json`;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ContainError(`open ${file}: ${code === "ENOENT" ? "no such file or directory" : code}`, "give the bundle's directory with --bundle (it holds config.json; contain spec makes one)");
  }
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (err) {
    throw new SpecError("config.json", `is not valid JSON: ${(err as Error).message}`, `fix ${file}`);
  }
  const spec = specFromConfig(config, bundle, { cpus: availableParallelism() });
  const network = ociNetwork(spec);
  checkHost({ spec, network, log, cgroups });
  return { bundle, spec, network };
}

export interface BundleOptions {
  dir: string; // --bundle
  preserveFds?: string; // --preserve-fds
  consoleSocket?: string; // --console-socket
  wait: boolean; // create: the command waits at the exec fifo for start
  cgroups?: CgroupLayout; // the host context's (detected without one)
}

// An OCI container's Spec and Plan: what create and run --bundle share.
// Checked before anything is made.
export function containerFromBundle(opts: BundleOptions, id: string, store: StateStore, log: Logger): { bundle: string; spec: Spec; plan: Plan } {
  if (opts.preserveFds !== undefined && opts.preserveFds !== "0") throw new SpecError("--preserve-fds", "passing extra file descriptors is not supported yet", "leave it out, or give 0");
  if (store.read(id)) throw new ContainError(`container with id exists: ${id}`, `delete it first (contain delete --force ${id}), or choose another ID`);
  const { bundle, spec, network } = readBundle(opts.dir, log, opts.cgroups);
  const socket = opts.consoleSocket;
  if (spec.process.terminal && !socket && opts.wait) throw new SpecError("--console-socket", "process.terminal asks for a terminal, which needs a --console-socket to go to", "give --console-socket, or set process.terminal to false");
  if (socket && !spec.process.terminal) throw new SpecError("--console-socket", "needs a terminal to send: process.terminal is false", "leave it out, or set process.terminal to true");
  const layout = {
    dir: store.dir(id),
    overlayDir: "",
    cgroup: cgroupPlace(id, spec.linux.cgroupsPath, !!spec.linux.resources?.hugepageLimits?.length, opts.cgroups),
    ...(opts.wait && { execFifo: `${store.dir(id)}/${EXEC_FIFO}` }),
  };
  return { bundle, spec, plan: planFromSpec(spec, id, layout, network) };
}
