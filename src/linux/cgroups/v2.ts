// cgroup v2: one directory in the unified hierarchy, under a `contain` parent;
// the device allowlist is an eBPF program attached to it (device-filter.ts).
import { existsSync } from "node:fs";
import { dirname } from "node:path";
import type { Resources } from "../../plan/cgroup.ts";
import { attachDeviceFilter, loadDeviceFilter } from "../bpf.ts";
import { close, kill } from "../process.ts";
import { deviceFilter } from "./device-filter.ts";
import type { Cgroup, Usage } from "./index.ts";
import { v2Freeze, v2FreezerState, v2Thaw, type FreezerState } from "./freezer.ts";
import { applyWrites, cgroupFiles, makeDir, readKeyed, readNumber, readPids, readText, removeDir, writeCgroupFile, type CgroupWrite } from "./files.ts";

const WANTED = ["cpu", "memory", "pids"];

// cgroup v1 cpu.shares (2..262144, default 1024) to v2 cpu.weight (1..10000,
// default 100), the conversion runc and crun use.
export function sharesToWeight(shares: number): number {
  return Math.floor(1 + ((shares - 2) * 9999) / 262142);
}

// The OCI resources as v2 file writes (all in the one directory).
export function v2Writes(r: Resources): CgroupWrite[] {
  const w: CgroupWrite[] = [];
  const u = (file: string, value: string | number, optional = false) => w.push({ controller: "unified", file, value: String(value), optional });
  const memory = r.memory?.limit;
  if (memory !== undefined) {
    u("memory.max", memory);
    // v2 counts swap apart from memory: OCI's swap is memory+swap.
    const swap = r.memory?.swap !== undefined ? Math.max(0, r.memory.swap - memory) : 0;
    u("memory.swap.max", swap, true);
  }
  if (r.cpu?.quota !== undefined || r.cpu?.period !== undefined) u("cpu.max", `${r.cpu.quota ?? "max"} ${r.cpu.period ?? 100_000}`);
  if (r.cpu?.shares !== undefined) u("cpu.weight", sharesToWeight(r.cpu.shares));
  if (r.pids?.limit !== undefined) u("pids.max", r.pids.limit);
  return w;
}

export class CgroupV2 implements Cgroup {
  readonly version = "v2";
  readonly paths: Readonly<Record<string, string>>;
  constructor(readonly dir: string) {
    this.paths = { unified: dir };
  }

  // Controllers reach a cgroup only when every ancestor lists them in
  // cgroup.subtree_control; the mount's root is exempt from the "no processes
  // in inner cgroups" rule, our `contain` parent holds none.
  private enableControllers(parent: string): void {
    const root = dirname(parent);
    const available = (readText(`${root}/cgroup.controllers`) ?? "").split(/\s+/);
    const enable = WANTED.filter((c) => available.includes(c)).map((c) => `+${c}`).join(" ");
    if (!enable) return;
    for (const dir of [root, parent]) {
      const on = (readText(`${dir}/cgroup.subtree_control`) ?? "").split(/\s+/);
      if (WANTED.every((c) => !available.includes(c) || on.includes(c))) continue;
      writeCgroupFile(dir, "cgroup.subtree_control", enable);
    }
  }

  create(): void {
    const parent = dirname(this.dir);
    makeDir(parent);
    this.enableControllers(parent);
    makeDir(this.dir);
  }

  apply(resources: Resources): void {
    applyWrites((c) => (c === "unified" ? this.dir : undefined), v2Writes(resources));
    if (!resources.devices) return;
    // The cgroup holds the program once attached: our fd can go.
    const prog = loadDeviceFilter(deviceFilter(resources.devices));
    try {
      attachDeviceFilter(this.dir, prog);
    } finally {
      close(prog);
    }
  }

  usage(): Usage {
    return {
      memoryPeak: readNumber(`${this.dir}/memory.peak`),
      memoryCurrent: readNumber(`${this.dir}/memory.current`),
      cpuUsec: readKeyed(`${this.dir}/cpu.stat`, "usage_usec"),
      pidsPeak: readNumber(`${this.dir}/pids.peak`),
      pidsCurrent: readNumber(`${this.dir}/pids.current`),
      oomKills: readKeyed(`${this.dir}/memory.events`, "oom_kill") ?? 0,
    };
  }

  pids(): number[] {
    return readPids(`${this.dir}/cgroup.procs`);
  }

  freeze(): void {
    v2Freeze(cgroupFiles(this.dir));
  }

  thaw(): void {
    v2Thaw(cgroupFiles(this.dir));
  }

  freezerState(): FreezerState {
    return v2FreezerState(cgroupFiles(this.dir));
  }

  // cgroup.kill and SIGKILL reach frozen tasks on v2.
  killAll(signal: number): void {
    // cgroup.kill (5.14+) kills every task at once, forks included.
    if (signal === 9 && existsSync(`${this.dir}/cgroup.kill`)) writeCgroupFile(this.dir, "cgroup.kill", "1");
    else for (const pid of this.pids()) kill(pid, signal);
  }

  destroy(): void {
    removeDir(this.dir, () => this.killAll(9));
  }
}
