// `contain inspect [-f TEMPLATE] CONTAINER...`: JSON in docker's names where
// contain has the data (Id, Name, State, Config, HostConfig,
// NetworkSettings, Mounts, LogPath), then contain's own: the OCI config
// (Spec), the cgroup paths, the devices, the monitor. -f prints a template
// of it once per container, as docker's does. A name no container has may
// be an image's (docker's order): then the image's JSON (image-inspect.ts).
import { defineCommand } from "citty";
import { readFileSync } from "node:fs";
import { memoryLimitOf } from "../plan/cgroup.ts";
import { containerDevices } from "../plan/devices.ts";
import { LOG, type ContainerState } from "../runtime/state.ts";
import { statusOf, type Status } from "../runtime/status.ts";
import { ContainError } from "../errors.ts";
import { findImage } from "../image/manage.ts";
import { ImageStore } from "../image/store.ts";
import { imageInspectOf } from "./image-inspect.ts";
import { commonFlags, str, toCittyArgs, type FlagDefs } from "./args.ts";
import { sweptStore } from "./containers.ts";
import { containersArg, namedContainers } from "./context.ts";
import { imageNameOf, labelsOf, liveNetwork, portBindings, portsOf, shmSizeOf } from "./docker-fields.ts";
import { exitCodeOf, print, reportError } from "./output.ts";
import { parseFormat, renderItems, TemplateError } from "./template.ts";

export const inspectFlags = {
  format: { type: "string", alias: ["f"], description: "A template of each container, docker's: '{{.State.Status}}', '{{json .Config}}', '{{index .Config.Labels \"k\"}}'", valueHint: "TEMPLATE" },
  root: commonFlags.root,
  "data-root": commonFlags["data-root"],
  debug: commonFlags.debug,
} satisfies FlagDefs;

// /proc/<pid>/mountinfo: every mount of the container as its init sees it.
function mountsOf(pid: number): { Type: string; Source: string; Destination: string; Options: string }[] {
  try {
    return readFileSync(`/proc/${pid}/mountinfo`, "utf8")
      .trim()
      .split("\n")
      .map((line) => {
        const [pre = "", post = ""] = line.split(" - ");
        const f = pre.split(" ");
        const [fstype = "", source = "", superOptions = ""] = post.split(" ");
        return { Type: fstype, Source: source, Destination: f[4] ?? "", Options: [f[5], superOptions].filter(Boolean).join(",") };
      });
  } catch {
    return [];
  }
}

function networkMode(state: ContainerState): string {
  if (state.network) return "bridge";
  return namespaceMode(state, "network", "none");
}

// docker's PidMode, IpcMode, UTSMode, NetworkMode: "host" without a namespace
// of its own, "container:ID" for one shared with another container (an OCI
// caller's: the path it gave), else `own`.
function namespaceMode(state: ContainerState, type: "pid" | "ipc" | "uts" | "network", own: string): string {
  const ns = state.spec?.linux.namespaces.find((n) => n.type === type);
  if (!state.spec) return own;
  if (!ns) return "host";
  const joined = type === "uts" ? undefined : state.spec.contain?.joined?.[type];
  return joined ? `container:${joined}` : (ns.path ?? own);
}

// docker's NetworkSettings: the address, gateway and MAC the host gave eth0
// (never read from inside, where the container may change them), the
// published ports, and the same under Networks.<mode>. Empty strings and an
// empty Ports for --net none and host, and once stopped, as docker's.
function networkSettings(state: ContainerState, status: Status) {
  const net = liveNetwork(state, status);
  const endpoint = { MacAddress: net?.mac ?? "", Gateway: net?.gateway ?? "", IPAddress: net?.address ?? "", IPPrefixLen: net?.prefixLen ?? 0 };
  const mode = networkMode(state);
  return {
    Bridge: state.network?.bridge ?? "",
    Ports: portBindings(portsOf(state, status)),
    ...endpoint,
    // An OCI container's network namespace is its caller's: no network of ours.
    Networks: new Map<string, typeof endpoint>(state.kind === "oci" ? [] : [[mode, endpoint]]),
  };
}

// One container as docker's inspect shows it. A Map is a Go map to the
// templates: a missing label is "<no value>", not an error.
export function inspectOf(state: ContainerState, status: Status) {
  const running = status.kind === "running" || status.kind === "paused";
  const spec = state.spec;
  const r = spec?.linux.resources;
  const user = spec?.process.user;
  const quota = r?.cpu?.quota;
  const own = spec?.contain;
  const entrypoint = own?.entrypoint;
  return {
    Id: state.id,
    Created: state.created,
    Path: state.command[0] ?? "",
    Args: state.command.slice(1),
    State: {
      Status: status.kind,
      Running: running,
      Restarting: status.kind === "restarting",
      Paused: status.kind === "paused",
      // Recorded when the container was released (release.ts).
      OOMKilled: status.exit?.oomKilled === true,
      Pid: running ? (state.init?.pid ?? 0) : 0,
      ExitCode: status.exit ? exitCodeOf(status.exit.status) : 0,
      StartedAt: state.started ?? "",
      FinishedAt: status.exit?.finished ?? "",
    },
    // docker's: the image's ID (Config.Image has its name); else the root's path
    Image: own?.image?.id ?? state.rootfs,
    Name: state.name ? `/${state.name}` : "",
    LogPath: state.detached && state.dataDir ? `${state.dataDir}/${LOG}` : "",
    Config: {
      Hostname: spec?.hostname ?? "",
      Domainname: spec?.domainname ?? "",
      User: user && (user.uid !== 0 || user.gid !== 0) ? `${user.uid}:${user.gid}` : "",
      Tty: spec?.process.terminal === true,
      Env: spec?.process.env ?? [],
      Cmd: entrypoint ? state.command.slice(entrypoint.length) : state.command,
      Entrypoint: entrypoint ?? null,
      Image: imageNameOf(state),
      WorkingDir: spec?.process.cwd ?? "",
      Labels: new Map(Object.entries(labelsOf(state))),
      // docker leaves them out when not set
      ...(own?.stopSignal !== undefined && { StopSignal: own.stopSignal }),
      ...(own?.stopTimeout !== undefined && { StopTimeout: own.stopTimeout }),
    },
    RestartCount: state.restartCount ?? 0,
    HostConfig: {
      NetworkMode: networkMode(state),
      RestartPolicy: state.restartPolicy ?? { Name: "no", MaximumRetryCount: 0 },
      AutoRemove: state.autoRemove === true,
      ReadonlyRootfs: spec?.root.readonly === true,
      Memory: memoryLimitOf(r) ?? 0,
      NanoCpus: quota !== undefined && quota > 0 ? Math.round((quota / (r?.cpu?.period ?? 100_000)) * 1e9) : 0,
      CpuShares: r?.cpu?.shares ?? 0,
      CpuQuota: quota !== undefined && quota > 0 ? quota : 0,
      CpuPeriod: r?.cpu?.period ?? 0,
      CpusetCpus: r?.cpu?.cpus ?? "",
      CpusetMems: r?.cpu?.mems ?? "",
      PidsLimit: r?.pids?.limit ?? 0,
      ShmSize: spec ? shmSizeOf(spec) : 0,
      GroupAdd: own?.groupAdd ?? null,
      Sysctls: new Map(Object.entries(spec?.linux.sysctl ?? {})),
      MemorySwap: r?.memory?.swap ?? 0,
      MemoryReservation: r?.memory?.reservation ?? 0,
      OomKillDisable: r?.memory?.disableOOMKiller === true,
      OomScoreAdj: spec?.process.oomScoreAdj ?? 0,
      PidMode: namespaceMode(state, "pid", ""),
      IpcMode: namespaceMode(state, "ipc", "private"),
      UTSMode: namespaceMode(state, "uts", ""),
    },
    NetworkSettings: networkSettings(state, status),
    Mounts: running && state.init ? mountsOf(state.init.pid) : [],
    // contain's own
    Spec: spec ?? null,
    Detached: state.detached === true,
    MonitorPid: running ? (state.monitor?.pid ?? 0) : 0,
    Cgroup: state.cgroup && !state.released ? state.cgroup : null,
    // The nodes its /dev got and the allowlist its cgroup holds, the
    // runtime's defaults included.
    Devices: spec ? containerDevices(spec) : null,
  };
}

export default defineCommand({
  meta: { name: "inspect", description: "Print containers' config and state (or images') as JSON, or through a template" },
  args: toCittyArgs(inspectFlags, containersArg),
  run({ rawArgs }) {
    const c = namedContainers(inspectFlags, rawArgs, "inspect");
    const { flags, refs } = c;
    const format = str(flags, "format") === undefined ? undefined : parseFormat(str(flags, "format"), "--format");
    const store = sweptStore(c);
    // docker's order: a container, else an image of that name or ID.
    const describe = (ref: string): unknown => {
      let found;
      try {
        found = store.find(ref);
      } catch (err) {
        const images = ImageStore.existing(c.host.dataRoot);
        const image = images && findImage(images, ref);
        if (!images || !image) throw err instanceof ContainError && err.message.startsWith("no such container") ? new ContainError(`no such object: ${ref}`, "see contain ps -a and contain images") : err;
        return imageInspectOf(images, image);
      }
      return inspectOf(found.state, statusOf(store, found.state));
    };
    if (format?.kind !== "template") {
      const out = refs.map(describe);
      print(`${JSON.stringify(out, (_, x) => (x instanceof Map ? Object.fromEntries(x) : x), 2)}\n`);
      return 0;
    }
    // docker's: a line for each container found, an error line for each
    // that is not, then the failure. A template that fails, fails at once.
    let code = 0;
    for (const ref of refs) {
      try {
        print(renderItems(format, [describe(ref)]));
      } catch (err) {
        if (refs.length === 1 || err instanceof TemplateError) throw err;
        code = reportError(err);
      }
    }
    return code;
  },
});
