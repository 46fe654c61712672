// `contain inspect CONTAINER...`: JSON with the config, the state as the
// kernel shows it, the pid, the cgroup paths, the devices and the mounts.
import { defineCommand } from "citty";
import { readFileSync } from "node:fs";
import { containerDevices } from "../plan/devices.ts";
import { requireRoot } from "../runtime/prepare.ts";
import { LOG } from "../runtime/state.ts";
import { statusOf } from "../runtime/status.ts";
import { openStore } from "../runtime/sweep.ts";
import { commonFlags, parseFlags, toCittyArgs, type FlagDefs } from "./args.ts";
import { atLeastOneContainer, dataRoot, exitCodeOf, loggerFor, print, stateRoot } from "./output.ts";

export const inspectFlags = { ...commonFlags } satisfies FlagDefs;

// /proc/<pid>/mountinfo: the container's mounts as its init sees them.
function mountsOf(pid: number): { target: string; fstype: string; source: string; options: string }[] {
  try {
    return readFileSync(`/proc/${pid}/mountinfo`, "utf8")
      .trim()
      .split("\n")
      .map((line) => {
        const [pre = "", post = ""] = line.split(" - ");
        const f = pre.split(" ");
        const [fstype = "", source = "", superOptions = ""] = post.split(" ");
        return { target: f[4] ?? "", fstype, source, options: [f[5], superOptions].filter(Boolean).join(",") };
      });
  } catch {
    return [];
  }
}

export default defineCommand({
  meta: { name: "inspect", description: "Print a container's config and state as JSON" },
  args: toCittyArgs(inspectFlags, { name: "container", description: "The containers (names or IDs)" }),
  run({ rawArgs }) {
    const { flags, positionals } = parseFlags(inspectFlags, rawArgs, "inspect");
    const { log } = loggerFor(flags);
    const refs = atLeastOneContainer(positionals, "inspect");
    requireRoot("inspect");
    const store = openStore(stateRoot(flags), dataRoot(flags), log);
    const out = refs.map((ref) => {
      const { state } = store.find(ref);
      const status = statusOf(store, state);
      const running = status.kind !== "exited";
      return {
        id: state.id,
        name: state.name ?? null,
        created: state.created,
        config: state.spec ?? null,
        state: {
          status: status.kind,
          running,
          pid: running ? (state.init?.pid ?? null) : null,
          exitCode: status.exit ? exitCodeOf(status.exit.status) : null,
          startedAt: state.started ?? null,
          finishedAt: status.exit?.finished ?? null,
          detached: state.detached === true,
          monitorPid: running ? (state.monitor?.pid ?? null) : null,
        },
        pid: running ? (state.init?.pid ?? null) : null,
        cgroup: state.cgroup && !state.released ? state.cgroup : null,
        // The nodes its /dev got and the allowlist its cgroup holds, the
        // runtime's defaults included.
        devices: state.spec ? containerDevices(state.spec) : null,
        mounts: running && state.init ? mountsOf(state.init.pid) : [],
        logPath: state.detached && state.dataDir ? `${state.dataDir}/${LOG}` : null,
      };
    });
    print(`${JSON.stringify(out, null, 2)}\n`);
    return 0;
  },
});
