// The runtime SIGKILLed at any moment: the container dies with it, and the
// next contain command removes whatever was left (state, cgroups).
import { afterAll, expect, test } from "bun:test";
import { Harness, isAlive, waitFor } from "./harness.ts";

const h = new Harness();
afterAll(() => {
  h.expectClean();
  h.dispose();
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
  const child = h.spawn(["run", "-q", "--pids", "16", "--", "sleep", "60"]);
  await Bun.sleep(ms);
  child.kill("SIGKILL");
  await child.exited;
  h.run(["run", "-q", "--", "true"]);
  expect(h.ids()).toEqual([]);
  expect(Bun.spawnSync(["pgrep", "-f", `^sleep 60$`]).stdout.toString()).toBe("");
});
