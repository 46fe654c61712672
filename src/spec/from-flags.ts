// `contain run` flags to a Spec. Pure: values arrive as the user typed them.
import { SpecError } from "../errors.ts";
import type { Spec } from "./schema.ts";
import { CPU_PERIOD_US, cpusToQuota, parseCpu, parseInteger, parseNumber, parseSize } from "./units.ts";

export interface RunFlags {
  command: readonly string[];
  rootfs: string;
  hostname?: string;
  memory?: string;
  cpu?: string;
  cpus?: string;
  cpuQuota?: string;
  cpuPeriod?: string;
  cpuShares?: string;
  pids?: string;
  env?: readonly string[];
  tty: boolean;
  hostNetwork?: boolean; // --net host: no network namespace
}

export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// The namespaces every container gets: CMD is PID 1, with its own mounts,
// hostname, IPC, network (loopback only for now) and cgroup view.
export const DEFAULT_NAMESPACES = ["pid", "uts", "mount", "ipc", "network", "cgroup"] as const;

function cpuFromFlags(flags: RunFlags): NonNullable<Spec["linux"]["resources"]["cpu"]> | undefined {
  const given = (["cpu", "cpus", "cpuQuota"] as const).filter((k) => flags[k] !== undefined);
  if (given.length > 1) {
    const names = given.map((k) => `--${k.replace("Q", "-q")}`).join(" and ");
    throw new SpecError(names, "both set the CPU quota", "use one of them, e.g. --cpu 0.5");
  }
  const cpu: NonNullable<Spec["linux"]["resources"]["cpu"]> = {};
  if (flags.cpu !== undefined) Object.assign(cpu, parseCpu("--cpu", flags.cpu));
  if (flags.cpus !== undefined) Object.assign(cpu, cpusToQuota("--cpus", parseNumber("--cpus", flags.cpus, "e.g. --cpus 0.5")));
  if (flags.cpuQuota !== undefined) {
    cpu.quota = parseInteger("--cpu-quota", flags.cpuQuota, "microseconds per period, e.g. --cpu-quota 50000");
    cpu.period = CPU_PERIOD_US;
  }
  if (flags.cpuPeriod !== undefined) {
    const period = parseInteger("--cpu-period", flags.cpuPeriod, "microseconds, e.g. --cpu-period 100000");
    // docker: the quota is absolute, so a new period changes the share. For
    // --cpu 0.5 / --cpus the fraction is what the user meant: keep it.
    if (cpu.quota !== undefined && flags.cpuQuota === undefined) cpu.quota = Math.round((cpu.quota / CPU_PERIOD_US) * period);
    cpu.period = period;
  }
  if (flags.cpuShares !== undefined) cpu.shares = parseInteger("--cpu-shares", flags.cpuShares, "e.g. --cpu-shares 512");
  return Object.keys(cpu).length ? cpu : undefined;
}

export function specFromFlags(flags: RunFlags, id: string): unknown {
  const hostname = flags.hostname ?? id.slice(0, 12);
  const env = new Map<string, string>([
    ["PATH", DEFAULT_PATH],
    ["HOSTNAME", hostname],
    ["HOME", "/root"],
  ]);
  if (flags.tty) env.set("TERM", "xterm");
  for (const kv of flags.env ?? []) {
    const eq = kv.indexOf("=");
    if (eq <= 0) throw new SpecError("--env", `${JSON.stringify(kv)} is not KEY=VALUE`, "e.g. --env MODE=test");
    env.set(kv.slice(0, eq), kv.slice(eq + 1));
  }
  const resources: Spec["linux"]["resources"] = {};
  if (flags.memory !== undefined) {
    const limit = parseSize("--memory", flags.memory);
    // swap = limit: no swap on top of the limit, so the limit is real.
    resources.memory = { limit, swap: limit };
  }
  const cpu = cpuFromFlags(flags);
  if (cpu) resources.cpu = cpu;
  if (flags.pids !== undefined) resources.pids = { limit: parseInteger("--pids", flags.pids, "e.g. --pids 64") };
  return {
    ociVersion: "1.2.0",
    process: {
      terminal: flags.tty,
      args: [...flags.command],
      env: [...env].map(([k, v]) => `${k}=${v}`),
      cwd: "/",
      user: { uid: 0, gid: 0 },
    },
    root: { path: flags.rootfs, readonly: false },
    hostname,
    linux: {
      namespaces: DEFAULT_NAMESPACES.filter((t) => !(flags.hostNetwork && t === "network")).map((type) => ({ type })),
      resources,
    },
  };
}
