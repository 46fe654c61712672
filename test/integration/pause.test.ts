// pause and unpause: the kernel's freezer stops every process of a container
// and lets it go on, docker's words on the way; a paused container still
// stops, dies and goes without a trace.
import { afterAll, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { cgroupOf, Harness, isAlive, waitFor } from "./harness.ts";

const h = new Harness();
afterAll(() => {
  h.finish();
});

// Counts in /tmp/count, renamed into place, so a read never meets a file
// half written (a freeze can land between any two steps); ends on SIGTERM.
const COUNTER = ["sh", "-c", 'trap "exit 0" TERM; i=0; while :; do i=$((i+1)); echo $i > /tmp/c; mv /tmp/c /tmp/count; sleep 0.02; done'];

function start(name: string): { id: string; pid: number } {
  const r = h.run(["run", "-d", "-q", "--net", "none", "--name", name, "--", ...COUNTER]);
  expect(r.code).toBe(0);
  const id = r.stdout.trim();
  const pid = h.state(id)?.init?.pid ?? 0;
  expect(isAlive(pid)).toBe(true);
  return { id, pid };
}

// Read from the host, through the container's root.
function count(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/root/tmp/count`, "utf8"));
  } catch {
    return 0;
  }
}

// v1: freezer.state in its own hierarchy; v2: cgroup.freeze beside the rest.
function freezerOf(id: string): string {
  const dirs = cgroupOf(id.slice(0, 12));
  const v1 = dirs.find((d) => existsSync(`${d}/freezer.state`));
  if (v1) return readFileSync(`${v1}/freezer.state`, "utf8").trim();
  const v2 = dirs.find((d) => existsSync(`${d}/cgroup.freeze`));
  return v2 && readFileSync(`${v2}/cgroup.freeze`, "utf8").trim() === "1" ? "FROZEN" : "THAWED";
}

// One line on stderr, a non-zero exit.
function expectOneLine(r: { code: number; stderr: string }, text: string, code?: number): void {
  expect(r.code).not.toBe(0);
  if (code !== undefined) expect(r.code).toBe(code);
  expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
  expect(r.stderr).toStartWith("[contain] error: ");
  expect(r.stderr).toContain(text);
}

test("pause: the counter stands still, ps says Paused, exec is refused; unpause: it counts on", async () => {
  const { id, pid } = start("counter");
  const first = await waitFor("the counter", () => count(pid) > 0 && count(pid));
  await waitFor("the counter to advance", () => count(pid) > first);

  const paused = h.run(["pause", "counter"]);
  expect([paused.code, paused.stdout, paused.stderr]).toEqual([0, "counter\n", ""]);
  expect(freezerOf(id)).toBe("FROZEN");
  const still = count(pid);
  expect(still).toBeGreaterThan(0);
  await Bun.sleep(600); // ~30 rounds of the loop
  expect(count(pid)).toBe(still);
  expect(isAlive(pid)).toBe(true);

  const row = h.run(["ps"]).stdout.trimEnd().split("\n")[1];
  expect(row).toMatch(new RegExp(`^${id.slice(0, 12)} +counter +${pid} +Up (Less than a second|\\d+ seconds?) \\(Paused\\) +`));
  expect(JSON.parse(h.run(["ps", "--json"]).stdout)[0]).toMatchObject({ status: "paused", statusText: expect.stringMatching(/\(Paused\)$/) });
  expect(JSON.parse(h.run(["inspect", "counter"]).stdout)[0].State).toMatchObject({ Status: "paused", Running: true, Paused: true, Pid: pid });

  expectOneLine(h.run(["pause", "counter"]), "Container counter is already paused", 1);
  expectOneLine(h.run(["exec", "counter", "--", "true"]), "container counter is paused, unpause the container before exec");
  expectOneLine(h.run(["rm", "counter"]), "container counter is paused");
  expect(count(pid)).toBe(still);

  const resumed = h.run(["unpause", "counter"]);
  expect([resumed.code, resumed.stdout, resumed.stderr]).toEqual([0, "counter\n", ""]);
  expect(freezerOf(id)).toBe("THAWED");
  await waitFor("the counter to go on", () => count(pid) > still + 5);
  expect(h.run(["ps"]).stdout).toMatch(/ Up [^(]+ ago /);
  expectOneLine(h.run(["unpause", "counter"]), "Container counter is not paused", 1);
  expect(h.run(["exec", "counter", "--", "true"]).code).toBe(0);

  expect(h.run(["stop", "counter"]).code).toBe(0);
  expect(h.run(["rm", "counter"]).code).toBe(0);
  h.expectClean();
}, 30_000);

test("a paused container stops on SIGTERM (thawed to take it), and can be paused no more", async () => {
  const { pid } = start("sleeper");
  await waitFor("the counter", () => count(pid) > 0);
  expect(h.run(["pause", "sleeper"]).code).toBe(0);
  // Its trap ends it at once: no wait for the SIGKILL of -t 10.
  const t0 = performance.now();
  const stop = h.run(["stop", "sleeper"]);
  expect([stop.code, stop.stdout]).toEqual([0, "sleeper\n"]);
  expect(performance.now() - t0).toBeLessThan(5000);
  expect(isAlive(pid)).toBe(false);
  expect(h.run(["wait", "sleeper"]).stdout).toBe("0\n");
  expectOneLine(h.run(["pause", "sleeper"]), "Container sleeper is not running", 1);
  expectOneLine(h.run(["unpause", "sleeper"]), "Container sleeper is not paused", 1);
  expect(h.run(["rm", "sleeper"]).code).toBe(0);
  h.expectClean();
}, 30_000);

test("several at once; kill and rm -f of paused containers", async () => {
  const a = start("a");
  const b = start("b");
  await waitFor("the counters", () => count(a.pid) > 0 && count(b.pid) > 0);
  const both = h.run(["pause", "a", "b"]);
  expect([both.code, both.stdout, both.stderr]).toEqual([0, "a\nb\n", ""]);
  // SIGKILL waits for a frozen task to thaw (v1): kill thaws after it.
  expect(h.run(["kill", "a"]).stdout).toBe("a\n");
  expect(h.run(["wait", "a"]).stdout).toBe("137\n");
  expect(h.run(["rm", "-f", "b"]).stdout).toBe("b\n");
  expect(isAlive(b.pid)).toBe(false);
  expect(h.run(["rm", "a"]).code).toBe(0);
  h.expectClean();
}, 30_000);

test("bad inputs: one line each, a non-zero exit, nothing left", () => {
  expectOneLine(h.run(["pause", "nope"]), "no such container: nope");
  expectOneLine(h.run(["unpause", "nope"]), "no such container: nope");
  expectOneLine(h.run(["pause"]), "container: missing; e.g. contain pause web");
  expectOneLine(h.run(["unpause", "--bogus", "x"]), "--bogus: unknown flag");
  h.expectClean();
});
