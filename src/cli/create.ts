// runc's `create --bundle DIR [--pid-file F] [--console-socket S] ID`: what
// podman's conmon and containerd's shim call first. The container is made
// and waits before its command; `start` runs it.
import { defineCommand } from "citty";
import { SpecError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { Plan } from "../plan/plan.ts";
import { checkOciId, containerFromBundle } from "../runtime/bundle.ts";
import { startContainer } from "../runtime/oci.ts";
import { createContainer, runContainer } from "../runtime/run.ts";
import type { HostContext } from "../runtime/host-context.ts";
import type { StateStore } from "../runtime/state.ts";
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

// An OCI container's Spec and Plan, what create and run --bundle share:
// the bundle front end (runtime/bundle.ts), given the flags.
function ociContainer(flags: FlagValues, id: string, host: HostContext, store: StateStore, log: Logger, wait: boolean): { bundle: string; spec: Spec; plan: Plan } {
  return containerFromBundle({ dir: str(flags, "bundle") ?? ".", preserveFds: str(flags, "preserve-fds"), consoleSocket: str(flags, "console-socket"), wait, cgroups: host.cgroups }, id, store, log);
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
    const host = hostOf(flags);
    const store = sweptStore({ command: "create", host, log });
    const { bundle, spec, plan } = ociContainer(flags, id, host, store, log, true);
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
  const host = hostOf(flags);
  const store = sweptStore({ command: "run", host, log });
  const { bundle, spec, plan } = ociContainer(flags, id, host, store, log, detach);
  const pidFile = str(flags, "pid-file");
  if (!detach) return reportExit(await runContainer(plan, { log, verbosity, store, spec, bundle, pidFile }), plan.resources.memory?.limit, { stats: false });
  await createContainer(plan, { log, verbosity, store, spec, bundle, pidFile, consoleSocket: str(flags, "console-socket") });
  startContainer(store, id, log);
  return 0;
}
