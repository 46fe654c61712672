// The flags front end, beside the bundle's (bundle.ts): `run`'s flags (also
// what `node create` maps to), as the CLI parsed them, to a new container's
// Spec and Plan. Here is what the flags refer to on this host: the files they
// name, the root's user database, the host's devices and capabilities, the
// containers they share namespaces with. Every check runs here, before
// anything is created but the default rootfs, unpacked under `dataRoot` on
// first use.
import { existsSync, readFileSync } from "node:fs";
import { availableParallelism, hostname } from "node:os";
import { SpecError } from "../errors.ts";
import type { CgroupLayout } from "../linux/cgroups/detect.ts";
import { cgroupPlace } from "../linux/cgroups/index.ts";
import { hostDevices } from "../linux/devices.ts";
import { readInLayers } from "../linux/layers.ts";
import { hasCapability, parseSignal, signalName } from "../linux/process.ts";
import { readInRoot } from "../linux/resolve.ts";
import type { Logger } from "../log.ts";
import { planFromSpec, type Plan } from "../plan/plan.ts";
import { DEFAULT_SECCOMP } from "../plan/seccomp/default.ts";
import { parseEnvFile } from "../spec/env.ts";
import { parseLabelFile, specFromFlags, typedFlags, type FlagContext, type RunFlags } from "../spec/from-flags.ts";
import { exposedPorts, imageStopSignal, type ImageUse } from "../spec/image-config.ts";
import { networkFromFlags, type NetworkFlags } from "../spec/network.ts";
import { validateSpec, type Spec } from "../spec/schema.ts";
import { checkHost } from "./host-checks.ts";
import type { ChosenImage } from "./image-root.ts";
import { resolveRootfs } from "./prepare.ts";
import { containerDataDir, containerOverlayDir, type ContainerState, type StateStore } from "./state.ts";
import { statusOf } from "./status.ts";

// The flags as typed: the files they name not read yet, the root not found.
export interface RunRequest extends Omit<RunFlags, "rootfs" | "image" | "envFiles" | "labels" | "stopSignal" | "hostNetwork" | "netContainer"> {
  rootfs?: string; // --rootfs; absent: the default root (or the image's)
  envFiles: readonly string[]; // --env-file
  labelFiles: readonly string[]; // --label-file
  labels: readonly string[]; // --label
  stopSignal?: string; // --stop-signal
  network: Omit<NetworkFlags, "publishAll"> & { publishAll: boolean }; // -P: the image's exposed ports
  name?: string; // --name
}

export interface FlagsOptions {
  // Its writable layer goes with it (PlanLayout.disposable).
  disposable?: boolean;
  // The parser of --security-opt seccomp=FILE's profile, which refuses a
  // bad one before anything is made; without it, the runtime refuses it
  // when it compiles the filter.
  checkProfile?: (profile: unknown, file: string) => void;
  log?: Logger;
  cgroups?: CgroupLayout; // the host context's (detected without one)
}

export function readFlagFile(flag: string, file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    throw new SpecError(flag, `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, "check the path");
  }
}

function parseJsonFile(flag: string, file: string): unknown {
  const text = readFlagFile(flag, file);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new SpecError(flag, `${file} is not valid JSON: ${(err as Error).message}`, "fix the file, e.g. check it with jq");
  }
}

// --stop-signal as docker records it (Config.StopSignal): SIGUSR1, or the
// number of a signal without a name. Without it, the image's.
function stopSignalOf(text: string | undefined, image: ImageUse | undefined): string | undefined {
  const own = image && imageStopSignal(image);
  const given = text ?? own;
  if (given === undefined) return undefined;
  const n = parseSignal(given);
  if (n === undefined && text !== undefined) throw new SpecError("--stop-signal", `unknown signal ${JSON.stringify(text)}`, "use a name such as TERM, QUIT, USR1 or a number such as 15");
  if (n === undefined) throw new SpecError(`image ${image?.name}`, `its config's StopSignal ${JSON.stringify(own)} is not a signal`, "give one with --stop-signal, e.g. --stop-signal TERM");
  const name = signalName(n);
  return name.startsWith("SIG") ? name : String(n);
}

const CAP_SYS_RESOURCE = 24;

// container:NAME of --pid, --ipc, --network: a running container's
// namespace, by its init's /proc entry (read by the init when it joins).
function sharedContainer(store: StateStore, name: string | undefined): FlagContext["container"] {
  return (flag, ref, type) => {
    if (ref === name) throw new SpecError(flag, `container:${ref} is the container being made`, "name another container, one that runs");
    let state: ContainerState;
    try {
      state = store.find(ref).state;
    } catch (err) {
      throw new SpecError(flag, (err as Error).message, "see 'contain ps' for the running containers");
    }
    const status = statusOf(store, state);
    if (status.kind !== "running" || !state.init) throw new SpecError(flag, `container ${ref} is not running (${status.kind})`, `start it first: contain start ${ref}`);
    return { id: state.id, path: `/proc/${state.init.pid}/ns/${type === "network" ? "net" : type}`, hostname: state.spec?.hostname };
  };
}

// A new container's Spec and Plan from its flags and the image chosen
// (imageFor), if any.
export function containerFromFlags(req: RunRequest, id: string, dataRoot: string, store: StateStore, chosen?: ChosenImage, opts: FlagsOptions = {}): { spec: Spec; plan: Plan } {
  const image = chosen?.use;
  const { publishAll, ...net } = req.network;
  const network = networkFromFlags({ ...net, ...(publishAll && { publishAll: image ? exposedPorts(image) : [] }) });
  const dir = containerDataDir(dataRoot, id);
  // An image's root is the overlay of its layers, at merged (docker's config.json has it so).
  const rootfs = chosen ? `${containerOverlayDir(dir)}/merged` : resolveRootfs(req.rootfs, dataRoot);
  const readRoot = (path: string) => (chosen ? readInLayers(chosen.layerDirs, path) : readInRoot(rootfs, path));
  const { envFiles, labelFiles, labels, stopSignal, network: _, name, ...typed } = req;
  const given: RunFlags = {
    ...typed,
    rootfs,
    ...(image && { image }),
    envFiles: envFiles.flatMap((f) => parseEnvFile(readFlagFile("--env-file", f), f, process.env)),
    stopSignal: stopSignalOf(stopSignal, image),
    labels: [...labelFiles.flatMap((f) => parseLabelFile(readFlagFile("--label-file", f))), ...labels],
    hostNetwork: network.mode === "host",
    netContainer: network.container,
  };
  const readsUsers = req.user !== undefined || !!image?.config.User;
  const readsGroups = readsUsers || (req.groupAdd ?? []).length > 0;
  const spec = validateSpec(
    specFromFlags(given, id, {
      hostEnv: process.env,
      cwd: process.cwd(),
      passwd: readsUsers ? readRoot("/etc/passwd") : "",
      group: readsGroups ? readRoot("/etc/group") : "",
      readProfile: (file) => {
        const profile = parseJsonFile("--security-opt seccomp", file);
        opts.checkProfile?.(profile, file); // refused here, naming the file, before anything is made
        return profile;
      },
      defaultSeccomp: DEFAULT_SECCOMP,
      hostDevices,
      pathExists: existsSync,
      hostname: hostname(),
      canLowerOomScore: hasCapability(CAP_SYS_RESOURCE),
      container: sharedContainer(store, name),
    }),
    { cpus: availableParallelism() },
    typedFlags(given),
  );
  // The network of --net container:NAME is that container's, by its ID.
  const joinedNet = spec.contain?.joined?.network;
  const plan = planFromSpec(spec, id, { dir, overlayDir: containerOverlayDir(dir), ...(chosen && { lowers: chosen.lowers }), disposable: opts.disposable === true, cgroup: cgroupPlace(id, spec.linux.cgroupsPath, !!spec.linux.resources?.hugepageLimits?.length, opts.cgroups) }, joinedNet ? { ...network, container: joinedNet } : network);
  checkHost({ spec, network: plan.network, cgroups: opts.cgroups, ...(opts.log && { log: opts.log }) });
  return { spec, plan };
}
