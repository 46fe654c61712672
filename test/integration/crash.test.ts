// The runtime SIGKILLed at any moment: the container dies with it, and the
// next contain command removes whatever was left (state, cgroups).
import { afterAll, expect, test } from "bun:test";
import { resolve } from "node:path";
import { cgroupOf, Harness, isAlive, waitFor } from "./harness.ts";

const h = new Harness();
// Durations no other process on the machine sleeps for, so pgrep finds ours only.
const nap = (k: number) => String(700000 + (process.pid % 100000) * 10 + k);
afterAll(() => {
  h.finish();
});

test("killed mid-run: the container dies with the runtime; the next command cleans up", async () => {
  const child = h.spawn(["run", "-q", "--memory", "32M", "--", "sleep", "60"]);
  const id = await waitFor("the container's state", () => h.ids()[0]);
  const init = await waitFor("the init pid", () => h.state(id)?.init?.pid);
  await waitFor("sleep to run", () => Bun.spawnSync(["cat", `/proc/${init}/cmdline`]).stdout.toString().startsWith("sleep"));
  child.kill("SIGKILL");
  await child.exited;
  await waitFor("the container to die", () => !isAlive(init));
  expect(h.ids()).toEqual([id]); // left behind, until:
  const next = h.run(["run", "--", "true"]);
  expect(next.stderr).toContain(`[contain] removed the leftovers of container ${id.slice(0, 12)}`);
  expect(h.ids()).toEqual([]);
});

// Bun starts in ~20-40 ms here; these delays land before the clone, during
// the init's set-up, and after the command has started.
test.each([5, 15, 25, 35, 45, 60, 80, 120])("killed after %d ms: nothing survives the next command", async (ms) => {
  const child = h.spawn(["run", "-q", "--pids", "16", "--", "sleep", nap(0)]);
  await Bun.sleep(ms);
  child.kill("SIGKILL");
  await child.exited;
  h.run(["run", "-q", "--", "true"]);
  expect(h.ids()).toEqual([]);
  expect(Bun.spawnSync(["pgrep", "-f", `^sleep ${nap(0)}$`]).stdout.toString()).toBe("");
});

// run -d: the CLI SIGKILLed before the clone, after it (the monitor and init
// exist), during the set-up, or once done. What it left is released by the
// monitor or by the next command; a start that completed is a running
// container, which rm -f then removes.
test.each([5, 20, 35, 50, 65, 80, 100, 140])("run -d killed after %d ms: ps, then nothing is left", async (ms) => {
  const child = h.spawn(["run", "-d", "-q", "--name", `crash-${ms}`, "--", "sleep", nap(1)]);
  await Bun.sleep(ms);
  child.kill("SIGKILL");
  await child.exited;
  // Only a start that completed (its state says so) is a container to remove.
  const completed = h.ids().some((id) => (h.state(id) as { started?: string } | undefined)?.started);
  if (completed) expect(h.run(["rm", "-f", `crash-${ms}`]).code).toBe(0);
  else h.run(["ps", "-a"]);
  await waitFor("the leftovers to go", () => h.ids().length === 0 && h.monitors().length === 0, 5000);
  expect(Bun.spawnSync(["pgrep", "-f", `^sleep ${nap(1)}$`]).stdout.toString()).toBe("");
});

test("exec killed while its command runs: the command dies too", async () => {
  h.run(["run", "-d", "-q", "--name", "host", "--", "sleep", "60"]);
  const exec = h.spawn(["exec", "host", "--", "sleep", nap(2)]);
  const pid = await waitFor("exec's command", () => Number(Bun.spawnSync(["pgrep", "-f", `^sleep ${nap(2)}$`]).stdout.toString().trim()));
  exec.kill("SIGKILL");
  await exec.exited;
  await waitFor("the command to die", () => !isAlive(pid));
  expect(h.run(["rm", "-f", "host"]).code).toBe(0);
  h.expectClean();
});

// A stop takes the container's lock from its monitor (src/runtime/handover.ts)
// once PID 1 has ended: killed with it, the lock is free and the next command
// releases what is left.
test.each([5, 15, 30])("stop killed after %d ms: the next command releases the container", async (ms) => {
  const id = h.run(["run", "-d", "-q", "--name", "halted", "--", "sleep", nap(3)]).stdout.trim();
  const stop = h.spawn(["stop", "-t", "0", "halted"]);
  await Bun.sleep(ms);
  stop.kill("SIGKILL");
  await stop.exited;
  expect(h.run(["stop", "-t", "0", "halted"]).code).toBe(0);
  await waitFor("the release", () => (h.run(["ps", "-a"]), cgroupOf(id.slice(0, 12)).length === 0 && h.monitors().length === 0), 5000);
  expect(h.run(["ps", "-a"]).stdout).toMatch(/halted/);
  expect(Bun.spawnSync(["pgrep", "-f", `^sleep ${nap(3)}$`]).stdout.toString()).toBe("");
  expect(h.run(["rm", "halted"]).code).toBe(0);
  h.expectClean();
});

test("a stop that dies holding the lock its monitor handed over: the next command releases the container", () => {
  const id = h.run(["run", "-d", "-q", "--", "sleep", nap(4)]).stdout.trim();
  const pid = h.state(id)?.init?.pid;
  // A stop's steps up to the lock, then an exit that releases nothing.
  const script = `
    import { askForRelease } from ${JSON.stringify(resolve(import.meta.dir, "../../src/runtime/handover.ts"))};
    const handover = askForRelease(${JSON.stringify(`${h.root}/${id}`)});
    process.kill(${pid}, "SIGKILL");
    console.log(handover?.take(10_000) ? "taken" : "not handed over");
    process.exit(0);
  `;
  expect(Bun.spawnSync([process.execPath, "-e", script]).stdout.toString().trim()).toBe("taken");
  expect(cgroupOf(id.slice(0, 12)).length).toBeGreaterThan(0);
  expect(h.monitors()).toEqual([]);
  expect(h.run(["ps", "-a"]).stdout).toMatch(/Exited \(137\)/);
  expect(cgroupOf(id.slice(0, 12))).toEqual([]);
  expect(h.run(["rm", id]).code).toBe(0);
  h.expectClean();
});

test.each([0, 10, 30, 60])("rm -f killed after %d ms: prune (or rm) finishes the job", async (ms) => {
  h.run(["run", "-d", "-q", "--name", "victim", "--", "sleep", nap(3)]);
  const rm = h.spawn(["rm", "-f", "victim"]);
  await Bun.sleep(ms);
  rm.kill("SIGKILL");
  await rm.exited;
  h.run(["prune"]);
  if (h.ids().length) h.run(["rm", "-f", "victim"]);
  await waitFor("the container to go", () => h.ids().length === 0, 5000);
  expect(Bun.spawnSync(["pgrep", "-f", `^sleep ${nap(3)}$`]).stdout.toString()).toBe("");
  h.expectClean();
});
