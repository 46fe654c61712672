// cgroup v1: one directory per controller hierarchy.
import type { Resources } from "../../plan/cgroup.ts";
import { ContainError } from "../../errors.ts";
import { kill, SIGKILL } from "../process.ts";
import type { Cgroup, Usage } from "./index.ts";
import { v1Freeze, v1FreezerState, v1Thaw, type FreezerState } from "./freezer.ts";
import { applyWrites, cgroupFiles, makeDir, readKeyed, readNumber, readPids, removeDir, type CgroupWrite } from "./files.ts";

// The controllers a container joins: limits (memory, cpu, pids), CPU
// accounting (cpuacct, its own hierarchy on some machines), the device
// allowlist (devices) and pause (freezer). A process joins every one
// (the helper, exec), so none escapes a pause.
export const V1_CONTROLLERS = ["memory", "cpu", "cpuacct", "pids", "devices", "freezer"] as const;

type DeviceRule = NonNullable<Resources["devices"]>[number];

// devices.allow / devices.deny take "TYPE MAJOR:MINOR ACCESS"; "a" alone is
// every device (and the kernel ignores any numbers after it).
function deviceLine(r: DeviceRule): string {
  const type = r.type ?? "a";
  if (type === "a") return "a";
  const num = (n: number | null | undefined) => (n === undefined || n === null || n < 0 ? "*" : String(n));
  return `${type} ${num(r.major)}:${num(r.minor)} ${r.access ?? "rwm"}`;
}

// The OCI resources as v1 file writes, in the order the kernel needs.
export function v1Writes(r: Resources): CgroupWrite[] {
  const w: CgroupWrite[] = [];
  const memory = r.memory?.limit;
  if (memory !== undefined) {
    w.push({ controller: "memory", file: "memory.limit_in_bytes", value: String(memory) });
    // memsw must be >= the limit, so it is written after it; absent when the
    // kernel runs without swap accounting.
    w.push({ controller: "memory", file: "memory.memsw.limit_in_bytes", value: String(r.memory?.swap ?? memory), optional: true });
  }
  // Period first: the kernel checks the quota against the current period.
  const period = r.cpu?.period ?? (r.cpu?.quota !== undefined ? 100_000 : undefined);
  if (period !== undefined) w.push({ controller: "cpu", file: "cpu.cfs_period_us", value: String(period) });
  if (r.cpu?.quota !== undefined) w.push({ controller: "cpu", file: "cpu.cfs_quota_us", value: String(r.cpu.quota) });
  if (r.cpu?.shares !== undefined) w.push({ controller: "cpu", file: "cpu.shares", value: String(r.cpu.shares) });
  if (r.pids?.limit !== undefined) w.push({ controller: "pids", file: "pids.max", value: String(r.pids.limit) });
  if (r.devices) {
    // Deny everything first (which also clears what the cgroup inherited),
    // then each rule in order, as the OCI spec asks.
    w.push({ controller: "devices", file: "devices.deny", value: "a" });
    for (const rule of r.devices) w.push({ controller: "devices", file: rule.allow ? "devices.allow" : "devices.deny", value: deviceLine(rule) });
  }
  return w;
}

export class CgroupV1 implements Cgroup {
  readonly version = "v1";
  constructor(readonly paths: Readonly<Record<string, string>>) {}

  private dirs(): string[] {
    return [...new Set(Object.values(this.paths))];
  }

  create(): void {
    for (const dir of this.dirs()) makeDir(dir);
  }

  apply(resources: Resources): void {
    applyWrites((c) => this.paths[c], v1Writes(resources));
  }

  usage(): Usage {
    const mem = this.paths.memory;
    const acct = this.paths.cpuacct ?? this.paths.cpu;
    const pids = this.paths.pids;
    const ns = acct ? readNumber(`${acct}/cpuacct.usage`) : undefined;
    return {
      memoryPeak: mem ? readNumber(`${mem}/memory.max_usage_in_bytes`) : undefined,
      memoryCurrent: mem ? readNumber(`${mem}/memory.usage_in_bytes`) : undefined,
      cpuUsec: ns === undefined ? undefined : Math.round(ns / 1000),
      pidsPeak: pids ? readNumber(`${pids}/pids.peak`) : undefined,
      pidsCurrent: pids ? readNumber(`${pids}/pids.current`) : undefined,
      oomKills: (mem ? readKeyed(`${mem}/memory.oom_control`, "oom_kill") : undefined) ?? 0,
    };
  }

  pids(): number[] {
    return [...new Set(this.dirs().flatMap((d) => readPids(`${d}/cgroup.procs`)))];
  }

  freeze(): void {
    const dir = this.paths.freezer;
    if (!dir)
      throw new ContainError(
        "the container has no freezer cgroup",
        "the freezer hierarchy is not mounted on this machine (/sys/fs/cgroup/freezer), or the container was started by a contain that did not join it: restart it",
      );
    v1Freeze(cgroupFiles(dir));
  }

  thaw(): void {
    if (this.paths.freezer) v1Thaw(cgroupFiles(this.paths.freezer));
  }

  freezerState(): FreezerState {
    return this.paths.freezer ? v1FreezerState(cgroupFiles(this.paths.freezer)) : "thawed";
  }

  killAll(signal: number): void {
    for (const pid of this.pids()) kill(pid, signal);
    // A frozen task dies only once thawed: sent first, so nothing runs on.
    if (signal === SIGKILL) this.thaw();
  }

  destroy(): void {
    for (const dir of this.dirs()) removeDir(dir, () => this.killAll(9));
  }
}
