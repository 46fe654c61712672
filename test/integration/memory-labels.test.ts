// --memory-swap, --memory-reservation, --oom-kill-disable and --oom-score-adj
// in the kernel's files (v1 memory controller, /proc/self/oom_score_adj), and
// --label, --label-file in inspect and ps.
import { afterAll, expect, test } from "bun:test";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { cgroupOf, Harness, waitFor } from "./harness.ts";

const h = new Harness();
const labelFile = `${h.root}.labels`;
writeFileSync(labelFile, "# the team's\ntier=back\n\nowner=ops\n");
afterAll(() => {
  rmSync(labelFile, { force: true });
  h.finish();
});

const memoryDir = (id: string) => cgroupOf(id).find((d) => d.includes("/memory/")) ?? "";
const read = (dir: string, file: string) => readFileSync(`${dir}/${file}`, "utf8").trim();

test("swap, soft limit, OOM killer off and OOM score: in the cgroup's files and the process's, and in inspect", () => {
  const flags = ["-m", "64M", "--memory-swap", "128M", "--memory-reservation", "32M", "--oom-kill-disable", "--oom-score-adj", "500"];
  const id = h.run(["run", "-q", "-d", ...flags, "--", "sleep", "60"]).stdout.trim();
  try {
    const dir = memoryDir(id);
    expect(read(dir, "memory.limit_in_bytes")).toBe(String(64 << 20));
    expect(read(dir, "memory.memsw.limit_in_bytes")).toBe(String(128 << 20));
    expect(read(dir, "memory.soft_limit_in_bytes")).toBe(String(32 << 20));
    expect(read(dir, "memory.oom_control")).toMatch(/^oom_kill_disable 1$/m);
    const init = Number(h.run(["inspect", "-f", "{{.State.Pid}}", id]).stdout);
    expect(readFileSync(`/proc/${init}/oom_score_adj`, "utf8")).toBe("500\n");
    const host = JSON.parse(h.run(["inspect", "-f", "{{json .HostConfig}}", id]).stdout);
    expect(host).toMatchObject({ Memory: 64 << 20, MemorySwap: 128 << 20, MemoryReservation: 32 << 20, OomKillDisable: true, OomScoreAdj: 500 });
  } finally {
    h.run(["rm", "-f", id]);
  }
  // -1: swap without a limit; without these flags the kernel's defaults stay.
  const r = h.run(["run", "-q", "-m", "64M", "--memory-swap", "-1", "--", "sh", "-c", "cat /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes /proc/self/oom_score_adj; grep oom_kill_disable /sys/fs/cgroup/memory/memory.oom_control"]);
  expect(r.stderr).toBe("");
  expect(r.stdout).toBe(`9223372036854771712\n${readFileSync("/proc/self/oom_score_adj", "utf8").trim()}\noom_kill_disable 0\n`);
  h.expectClean();
});

// A hog that faults its pages in (a read(2) into a buffer would fail with
// EFAULT instead: the kernel waits only at a user page fault).
test("--oom-kill-disable: a hog past its limit waits under OOM instead of being killed", async () => {
  const id = h.run(["run", "-q", "-d", "-m", "16M", "--oom-kill-disable", "--", "awk", 'BEGIN { s = "x"; while (1) s = s s }']).stdout.trim();
  try {
    const dir = memoryDir(id);
    await waitFor("the cgroup to be under OOM", () => /^under_oom 1$/m.test(read(dir, "memory.oom_control")), 20_000);
    expect(read(dir, "memory.oom_control")).toMatch(/^oom_kill 0$/m);
    expect(h.run(["inspect", "-f", "{{.State.Status}}", id]).stdout).toBe("running\n");
  } finally {
    expect(h.run(["rm", "-f", id]).code).toBe(0);
  }
  h.expectClean();
});

test("--label, -l and --label-file: inspect's Config.Labels, ps --filter label= and {{.Labels}}", () => {
  const id = h.run(["run", "-q", "-d", "--label-file", labelFile, "--label", "tier=front", "-l", "canary", "--", "sleep", "60"]).stdout.trim();
  const other = h.run(["run", "-q", "-d", "-l", "tier=back", "--", "sleep", "60"]).stdout.trim();
  try {
    // --label wins over the file's line; a bare key has an empty value.
    expect(JSON.parse(h.run(["inspect", "-f", "{{json .Config.Labels}}", id]).stdout)).toEqual({ tier: "front", owner: "ops", canary: "" });
    expect(h.run(["inspect", "-f", '{{index .Config.Labels "owner"}}', id]).stdout).toBe("ops\n");
    const ps = (filter: string) => h.run(["ps", "-q", "--no-trunc", "--filter", filter]).stdout.trim().split("\n").filter(Boolean).sort();
    expect(ps("label=tier=front")).toEqual([id]);
    expect(ps("label=tier")).toEqual([id, other].sort());
    expect(ps("label=canary")).toEqual([id]);
    expect(ps("label=tier=side")).toEqual([]);
    expect(h.run(["ps", "--filter", `id=${id}`, "--format", "{{.Labels}}"]).stdout).toBe("canary=,owner=ops,tier=front\n");
  } finally {
    h.run(["rm", "-f", id, other]);
  }
  h.expectClean();
});
