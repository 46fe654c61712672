// The default process limit (podman's 2048): a fork loop without --pids stops
// near it while the host still forks; --pids -1 lifts it.
import { afterAll, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { cgroupOf, Harness, waitFor } from "./harness.ts";

const h = new Harness();
afterAll(() => {
  h.finish();
});

// A keeper sleep holds PID 1 (ash's `wait` waits for its own jobs only), then
// a subshell starts up to 2100 sleeps and notes each one that started; the
// first fork the kernel refuses ends the subshell. Sleeps are cheap, and
// `contain rm -f` kills them all at once.
const FORK_LOOP = `sleep 60 & keeper=$!
( i=0; while [ $i -lt 2100 ]; do sleep 60 & i=$((i+1)); echo $i > /tmp/n; done ) 2>/dev/null
read n < /tmp/n; echo "started $n"; wait $keeper`;

async function forkLoop(name: string, flags: string[]): Promise<{ started: number; pidsMax: string; config: unknown }> {
  const r = h.run(["run", "-d", "-q", "--name", name, ...flags, "--", "/bin/sh", "-c", FORK_LOOP]);
  expect(r.stderr).toBe("");
  const id = r.stdout.trim();
  try {
    const line = await waitFor("the loop's count", () => /started (\d+)/.exec(h.run(["logs", name]).stdout), 30_000);
    // Read while the sleeps are there: the host's own forks are not held back.
    expect(Bun.spawnSync(["true"]).exitCode).toBe(0);
    const dir = cgroupOf(id).find((d) => existsSync(`${d}/pids.max`));
    const config = JSON.parse(h.run(["inspect", name]).stdout)[0].Spec.linux.resources.pids ?? null;
    return { started: Number(line[1]), pidsMax: readFileSync(`${dir}/pids.max`, "utf8").trim(), config };
  } finally {
    expect(h.run(["rm", "-f", name]).code).toBe(0);
  }
}

test("without --pids, a fork loop stops near 2048", async () => {
  const { started, pidsMax, config } = await forkLoop("forks", []);
  expect(config).toEqual({ limit: 2048 });
  expect(pidsMax).toBe("2048");
  // the shell, the keeper and the subshell count too
  expect(started).toBeGreaterThan(2030);
  expect(started).toBeLessThan(2048);
}, 60_000);

test("--pids -1 lifts the limit: all 2100 start", async () => {
  const { started, pidsMax, config } = await forkLoop("unbounded", ["--pids", "-1"]);
  expect(config).toBeNull();
  expect(pidsMax).toBe("max");
  expect(started).toBe(2100);
  h.expectClean();
}, 60_000);
