// A container's process that asks to be traced (PTRACE_TRACEME) has its
// parent for a tracer: the CLI for run and exec, the monitor for run -d,
// contain-init for --init. Every signal then stops it (a ptrace-stop, which
// wait reports), and the parent must pass the signal on and let it run, not
// take the stop for an exit. The probe is test/probes/traceme.c.
import { afterAll, expect, test } from "bun:test";
import { readFileSync, rmSync } from "node:fs";
import { probeTree, cgroupOf, Harness, waitFor, type Result } from "./harness.ts";

const h = new Harness();
const root = probeTree("traceme");
afterAll(() => {
  try {
    h.finish();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

// Both signals handled; the second TRACEME succeeds because the tracer
// detached at the first signal (while traced it is EPERM).
const SIGNALS = "traced: handled SIGUSR1\nPTRACE_TRACEME again: ok\nhandled SIGUSR2\n";
// One thread stopped at its signal until detached; one ended traced, reaped
// by its tracer, or the process (and its PID namespace) never ends.
const THREADS = "thread: handled SIGUSR1\nthread: ends traced\nthreads joined\n";

// A parent that does not know what to do with a tracee leaves it stopped:
// every command here is bounded.
const BOUND = { timeout: 10_000 };
const run = (...args: string[]) => h.run(["run", "-q", "--net", "none", "--rootfs", root, ...args], BOUND);

function detached(...command: string[]): { id: string; pid: number } {
  const r = run("-d", "--", ...command);
  expect(r.stderr).toBe("");
  const id = r.stdout.trim();
  return { id, pid: h.state(id)?.init?.pid ?? 0 };
}

// The state letter of /proc/PID/stat: T stopped (group-stop), t a ptrace-stop.
const procState = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
};

const statusOf = (id: string) => JSON.parse(h.run(["ps", "-a", "--json"]).stdout).find((c: { id: string }) => c.id === id)?.status;

const released = (id: string) => waitFor("the release", () => cgroupOf(id.slice(0, 12)).length === 0 && h.monitors().length === 0);

// The probe's parent, so its tracer, in each way a command runs.
const PARENTS: [string, (command: string[]) => Promise<Result>][] = [
  ["run (the CLI)", async (command) => run("--", ...command)],
  ["run --init (contain-init)", async (command) => run("--init", "--", ...command)],
  [
    "run -d (the monitor): wait and logs",
    async (command) => {
      const { id } = detached(...command);
      const wait = h.run(["wait", id], BOUND);
      expect([wait.code, wait.stderr]).toEqual([0, ""]);
      expect(wait.stdout).toMatch(/^\d+\n$/);
      const code = Number(wait.stdout);
      const logs = h.run(["logs", id]);
      await released(id);
      expect(h.run(["ps", "-a"]).stdout).toMatch(new RegExp(`${id.slice(0, 12)} .* Exited \\(${code}\\)`));
      expect(h.run(["rm", id]).code).toBe(0);
      return { code, stdout: logs.stdout, stderr: logs.stderr };
    },
  ],
  [
    "exec (the CLI: exec's process is its child, CLONE_PARENT)",
    async (command) => {
      const { id } = detached("sleep", "60");
      try {
        return h.run(["exec", id, "--", ...command], BOUND);
      } finally {
        expect(h.run(["rm", "-f", id]).code).toBe(0);
      }
    },
  ],
];

test.each(PARENTS)("%s: the signals reach the handlers, the exit is 0", async (_, runIt) => {
  expect(await runIt(["traceme"])).toEqual({ code: 0, stdout: SIGNALS, stderr: "" });
});

test.each(PARENTS)("%s: threads that ask alone are detached and reaped, the exit is 0", async (_, runIt) => {
  expect(await runIt(["traceme", "threads"])).toEqual({ code: 0, stdout: THREADS, stderr: "" });
});

test("stop -t 1 on a traced PID 1: SIGTERM is passed on (and ignored: a PID 1 without a handler has no default action), SIGKILL ends it", async () => {
  const { id } = detached("traceme", "sleep");
  await waitFor("the probe", () => h.run(["logs", id]).stdout === "traced, sleeping\n");
  const t0 = performance.now();
  expect(h.run(["stop", "-t", "1", id]).code).toBe(0);
  expect(performance.now() - t0).toBeGreaterThan(1000);
  await released(id);
  expect(h.run(["ps", "-a"]).stdout).toMatch(new RegExp(`${id.slice(0, 12)} .* Exited \\(137\\)`));
  expect(h.run(["wait", id]).stdout).toBe("137\n");
  expect(h.run(["rm", id]).code).toBe(0);
});

test("SIGSTOP passed on stops a traced PID 1 (group-stop, not an exit); SIGCONT resumes it", async () => {
  const { id, pid } = detached("traceme", "sleep");
  try {
    await waitFor("the probe", () => h.run(["logs", id]).stdout === "traced, sleeping\n");
    expect(h.run(["kill", "-s", "STOP", id]).code).toBe(0);
    await waitFor("the group-stop", () => procState(pid) === "T");
    await Bun.sleep(200); // time for a monitor that takes it for an exit
    expect(statusOf(id)).toBe("running");
    expect(h.run(["kill", "-s", "CONT", id]).code).toBe(0);
    await waitFor("the resumption", () => procState(pid) === "S");
    expect(statusOf(id)).toBe("running");
  } finally {
    expect(h.run(["rm", "-f", id]).code).toBe(0);
  }
});
