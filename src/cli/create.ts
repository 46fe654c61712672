// runc's `create --bundle DIR [--pid-file F] [--console-socket S] ID`: what
// podman's conmon and containerd's shim call first. The container is made
// and waits before its command; `start` runs it.
import { defineCommand } from "citty";
import { ContainError, SpecError } from "../errors.ts";
import { cgroupPlace } from "../linux/cgroups/index.ts";
import type { Logger } from "../log.ts";
import { planFromSpec, type Plan } from "../plan/plan.ts";
import { checkOciId, readBundle } from "../runtime/bundle.ts";
import { startContainer } from "../runtime/oci.ts";
import { createContainer, runContainer } from "../runtime/run.ts";
import { EXEC_FIFO, type StateStore } from "../runtime/state.ts";
import { networkFromFlags } from "../spec/network.ts";
import type { Spec } from "../spec/schema.ts";
import { commonFlags, parseFlags, str, toCittyArgs, type FlagDefs, type FlagValues } from "./args.ts";
import { sweptStore } from "./containers.ts";
import { hostOf } from "./context.ts";
import { loggerFor, reportExit } from "./output.ts";

export const bundleFlags = {
  bundle: { type: "string", alias: ["b"], description: "The bundle: the directory of config.json (default: the current one)", valueHint: "DIR" },
  "pid-file": { type: "string", description: "Write the container's PID 1, as the host sees it, to this file", valueHint: "FILE" },
  "console-socket": { type: "string", description: "Send the terminal's master to this unix socket (with process.terminal)", valueHint: "SOCKET" },
  "no-pivot": { type: "boolean", description: "Accepted for runc's callers: contain pivots where it can and falls back to chroot by itself" },
  "no-new-keyring": { type: "boolean", description: "Accepted for runc's callers: contain makes no session keyring" },
  "preserve-fds": { type: "string", description: "Pass this many file descriptors after stdio to the container (not supported yet: 0 only)", valueHint: "N" },
  ...commonFlags,
} satisfies FlagDefs;

// An OCI container's Spec and Plan: what create and run --bundle share.
// Checked before anything is made.
export function ociContainer(flags: FlagValues, id: string, store: StateStore, log: Logger, wait: boolean): { bundle: string; spec: Spec; plan: Plan } {
  const preserve = str(flags, "preserve-fds");
  if (preserve !== undefined && preserve !== "0") throw new SpecError("--preserve-fds", "passing extra file descriptors is not supported yet", "leave it out, or give 0");
  if (store.read(id)) throw new ContainError(`container with id exists: ${id}`, `delete it first (contain delete --force ${id}), or choose another ID`);
  const { bundle, spec } = readBundle(str(flags, "bundle") ?? ".", log);
  const socket = str(flags, "console-socket");
  if (spec.process.terminal && !socket && wait) throw new SpecError("--console-socket", "process.terminal asks for a terminal, which needs a --console-socket to go to", "give --console-socket, or set process.terminal to false");
  if (socket && !spec.process.terminal) throw new SpecError("--console-socket", "needs a terminal to send: process.terminal is false", "leave it out, or set process.terminal to true");
  const layout = {
    dir: store.dir(id),
    overlayDir: "",
    cgroup: cgroupPlace(id, spec.linux.cgroupsPath, !!spec.linux.resources?.hugepageLimits?.length),
    ...(wait && { execFifo: `${store.dir(id)}/${EXEC_FIFO}` }),
  };
  const ownNetwork = spec.linux.namespaces.some((n) => n.type === "network");
  return { bundle, spec, plan: planFromSpec(spec, id, layout, networkFromFlags({ net: ownNetwork ? "none" : "host" })) };
}

export default defineCommand({
  meta: { name: "create", description: "Create an OCI container from a bundle, waiting before its command (runc's create; then start)" },
  args: toCittyArgs(bundleFlags, { name: "id", description: "The new container's ID", required: true }),
  async run({ rawArgs }) {
    const { flags, positionals } = parseFlags(bundleFlags, rawArgs, "create");
    if (positionals.length > 1) throw new SpecError("container id", `takes one ID, not ${positionals.length}`, "e.g. contain create --bundle DIR mycontainer");
    const id = checkOciId(positionals[0]);
    // runc prints nothing when it succeeds: the init's steps only with --debug.
    const { log, verbosity } = loggerFor({ ...flags, quiet: flags.debug !== true });
    const store = sweptStore({ command: "create", host: hostOf(flags), log });
    const { bundle, spec, plan } = ociContainer(flags, id, store, log, true);
    await createContainer(plan, { log, verbosity, store, spec, bundle, pidFile: str(flags, "pid-file"), consoleSocket: str(flags, "console-socket") });
    return 0;
  },
});

export const runBundleFlags = {
  ...bundleFlags,
  detach: { type: "boolean", alias: ["d"], description: "Return once the command runs (create, then start)" },
} satisfies FlagDefs;

// runc's `run --bundle DIR [-d] ID`: in the foreground, the container's
// parent until it exits, then deleted; with -d, create and start.
export async function runBundle(raw: readonly string[]): Promise<number> {
  const { flags, positionals } = parseFlags(runBundleFlags, raw, "run");
  if (positionals.length > 1) throw new SpecError("container id", `takes one ID, not ${positionals.length}`, "e.g. contain run --bundle DIR mycontainer");
  const id = checkOciId(positionals[0]);
  const detach = flags.detach === true;
  if (!detach && str(flags, "console-socket")) throw new SpecError("--console-socket", "is for a detached run: in the foreground the terminal is this one", "add --detach, or leave it out");
  const { log, verbosity } = loggerFor({ ...flags, quiet: flags.debug !== true });
  const store = sweptStore({ command: "run", host: hostOf(flags), log });
  const { bundle, spec, plan } = ociContainer(flags, id, store, log, detach);
  const pidFile = str(flags, "pid-file");
  if (!detach) return reportExit(await runContainer(plan, { log, verbosity, store, spec, bundle, pidFile }), plan.resources.memory?.limit, { stats: false });
  await createContainer(plan, { log, verbosity, store, spec, bundle, pidFile, consoleSocket: str(flags, "console-socket") });
  startContainer(store, id, log);
  return 0;
}
