// A detached container's log: the monitor pumps its stdout and stderr into
// CRI-format files it rotates, so a flood cannot grow it without bound, and
// `logs` gives each line back on its own stream.
import { afterAll, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { Harness } from "./harness.ts";

const h = new Harness();
afterAll(() => {
  h.finish();
});

const logDir = (id: string) => `${h.dataRoot}/containers/${id}`;
const logFiles = (id: string) => readdirSync(logDir(id)).filter((f) => /^log(\.\d+)?$/.test(f));

function waitExited(id: string): void {
  expect(h.run(["wait", id]).code).toBe(0);
}

test("stdout and stderr come back each on its own stream, in CRI's format on disk", () => {
  const id = h.run(["run", "-d", "-q", "--net", "none", "--", "sh", "-c", "echo out1; echo err1 >&2; echo out2"]).stdout.trim();
  try {
    waitExited(id);
    const r = h.run(["logs", id]);
    expect(r.stdout).toBe("out1\nout2\n");
    expect(r.stderr).toBe("err1\n");
    const lines = readFileSync(`${logDir(id)}/log`, "utf8").trim().split("\n");
    // two pipes: each stream keeps its order, not their interleaving
    expect(lines.map((l) => l.replace(/^\S+ /, "")).sort()).toEqual(["stderr F err1", "stdout F out1", "stdout F out2"]);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z /);
  } finally {
    h.run(["rm", "-f", id]);
  }
});

test("a flood is held to max-size x max-file; --tail 1 prints one line", async () => {
  const id = h.run(["run", "-d", "-q", "--net", "none", "--log-opt", "max-size=1M", "--log-opt", "max-file=3", "--", "sh", "-c", "yes AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"]).stdout.trim();
  try {
    await Bun.sleep(3000);
    const files = logFiles(id);
    expect(files.length).toBeLessThanOrEqual(3);
    const total = files.reduce((sum, f) => sum + statSync(`${logDir(id)}/${f}`).size, 0);
    expect(total).toBeLessThanOrEqual(3 * 1024 * 1024);
    expect(total).toBeGreaterThan(1024 * 1024); // it did rotate
    const tail = h.run(["logs", "--tail", "1", id]);
    expect(tail.stdout).toMatch(/^A+\n$/);
  } finally {
    h.run(["rm", "-f", id]);
  }
  expect(existsSync(logDir(id))).toBe(false);
}, 30_000);

test("a 1 MB line without a newline is stored as partial entries of 16 KiB, and comes back whole", () => {
  const id = h.run(["run", "-d", "-q", "--net", "none", "--", "sh", "-c", "head -c 1048576 /dev/zero | tr '\\0' B"]).stdout.trim();
  try {
    waitExited(id);
    const entries = readFileSync(`${logDir(id)}/log`, "utf8").trim().split("\n");
    expect(entries.every((e) => / stdout P B+$/.test(e))).toBe(true);
    expect(entries.length).toBe(64);
    expect(h.run(["logs", id]).stdout).toBe("B".repeat(1048576));
  } finally {
    h.run(["rm", "-f", id]);
  }
});

test("-t gives each line its timestamp; --since and --until choose by it", async () => {
  const id = h.run(["run", "-d", "-q", "--net", "none", "--", "sh", "-c", "echo early; sleep 2; echo late"]).stdout.trim();
  try {
    await Bun.sleep(1000);
    const middle = new Date().toISOString();
    waitExited(id);
    expect(h.run(["logs", "-t", id]).stdout).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z early\n\S+ late\n$/);
    expect(h.run(["logs", "--since", middle, id]).stdout).toBe("late\n");
    expect(h.run(["logs", "--until", middle, id]).stdout).toBe("early\n");
  } finally {
    h.run(["rm", "-f", id]);
  }
});
