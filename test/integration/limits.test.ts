// Cgroup limits, enforced by the kernel (these machines: cgroup v1 through the
// hybrid layout; the pure v2 path is test/vm).
import { afterAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { cgroupOf, Harness, waitFor } from "./harness.ts";

const h = new Harness();
afterAll(() => {
  h.finish();
});

test("--memory 16M: a memory hog is OOM-killed, reported as such, exit 137", () => {
  const r = h.run(["run", "-q", "--memory", "16M", "--", "tail", "/dev/zero"]);
  expect(r.code).toBe(137);
  expect(r.stderr).toBe("killed: out of memory (limit 16M)\n");
});

test("a SIGKILL that is not an OOM kill is not reported as one", async () => {
  // A duration no other process on the machine sleeps for: pgrep finds ours only.
  const nap = String(300000 + (process.pid % 100000));
  const child = h.spawn(["run", "--hostname", "victim", "--", "sleep", nap]);
  const pid = await waitFor("the container's sleep", () => findProcess(`sleep ${nap}`));
  process.kill(pid, "SIGKILL");
  expect(await child.exited).toBe(137);
  const stderr = await new Response(child.stderr).text();
  expect(stderr).not.toContain("out of memory");
  expect(stderr).toContain("container exited: killed by signal 9 (SIGKILL)");
});

test("--pids stops a fork loop", () => {
  const r = h.run(["run", "-q", "--stats", "--pids", "8", "--", "/bin/sh", "-c", "for i in $(seq 1 30); do sleep 1 & done"]);
  // the shell gives up at the first fork the kernel refuses
  expect(r.stderr).toContain("can't fork");
  expect(r.code).not.toBe(0);
  const peak = Number(/max pids (\d+)/.exec(r.stderr)?.[1]);
  expect(peak).toBeGreaterThan(1);
  expect(peak).toBeLessThanOrEqual(8);
});

test("the runtime's own start-up is not charged: --memory 4M and --pids 2 still run", () => {
  expect(h.run(["run", "-q", "--memory", "4M", "--", "/bin/true"]).code).toBe(0);
  expect(h.run(["run", "-q", "--pids", "2", "--", "/bin/true"]).code).toBe(0);
  expect(h.run(["run", "-q", "--memory", "1M", "--", "/bin/sh", "-c", "ls / >/dev/null; echo ok"]).stdout).toBe("ok\n");
});

test("the limits sit in the v1 controllers' files while the container runs", async () => {
  const child = h.spawn(["run", "-q", "--hostname", "limits", "--memory", "64M", "--pids", "64", "--cpu", "0.5", "--cpu-shares", "512", "--", "sleep", "30"]);
  const id = await waitFor("the container's state", () => h.ids()[0]);
  const dirs = await waitFor("the cgroups", () => {
    const d = cgroupOf(id);
    return d.length >= 3 && d;
  });
  const file = (controller: string, name: string) => readFileSync(`${dirs.find((d) => d.includes(`/${controller}/`))}/${name}`, "utf8").trim();
  await waitFor("the limits", () => file("pids", "pids.max") === "64");
  expect(file("memory", "memory.limit_in_bytes")).toBe(String(64 * 1024 * 1024));
  expect(file("cpu", "cpu.cfs_quota_us")).toBe("50000");
  expect(file("cpu", "cpu.cfs_period_us")).toBe("100000");
  expect(file("cpu", "cpu.shares")).toBe("512");
  child.kill("SIGKILL"); // the runtime: the container dies with it (PDEATHSIG)
  await child.exited;
  h.run(["run", "-q", "--", "true"]); // the next command sweeps what it left
});

test("--cpu 0.5 holds a busy loop to about half a CPU", async () => {
  const child = h.spawn(["run", "-q", "--cpu", "0.5", "--", "/bin/sh", "-c", "while :; do :; done"]);
  const id = await waitFor("the container's state", () => h.ids()[0]);
  const acct = await waitFor("the cpuacct cgroup", () => cgroupOf(id).find((d) => d.includes("/cpuacct/")));
  const usage = () => Number(readFileSync(`${acct}/cpuacct.usage`, "utf8"));
  await Bun.sleep(300);
  const [u0, t0] = [usage(), performance.now()];
  await Bun.sleep(1000);
  const share = (usage() - u0) / 1e6 / (performance.now() - t0);
  // A PID 1 without handlers ignores SIGTERM; killing the runtime kills the
  // container (PDEATHSIG), and the next command sweeps what is left.
  child.kill("SIGKILL");
  await child.exited;
  h.run(["run", "-q", "--", "true"]);
  expect(share).toBeGreaterThan(0.35);
  expect(share).toBeLessThan(0.6);
});

function findProcess(cmdline: string): number | undefined {
  const r = Bun.spawnSync(["pgrep", "-xf", cmdline]);
  const pid = Number(r.stdout.toString().trim().split("\n")[0]);
  return pid > 0 ? pid : undefined;
}

// Bun's init once joined the cgroups itself, so a thread it started there
// could fail against --pids 2 and abort it with Bun's crash banner, about one
// run in 20 with another run beside it. The single-threaded helper joins now.
test("--pids 2 and --memory 1M, 50 runs each side by side: every one exits 0, never a crash report", async () => {
  const runs = async (limit: string[]) => {
    const results: { code: number; stderr: string }[] = [];
    for (let i = 0; i < 50; i++) {
      const p = h.spawn(["run", "-q", "--net", "none", ...limit, "--", "/bin/true"]);
      const [code, stderr] = await Promise.all([p.exited, new Response(p.stderr).text()]);
      results.push({ code, stderr });
    }
    return results;
  };
  const all = (await Promise.all([runs(["--pids", "2"]), runs(["--memory", "1M"])])).flat();
  expect(all.filter((r) => r.code !== 0 || r.stderr !== "")).toEqual([]);
}, 120_000);
