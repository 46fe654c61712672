// Many runtimes at once on one state root: 50 detached starts in parallel
// all succeed with distinct IDs; of runs racing for one name exactly one
// wins; no state file is ever torn.
import { afterAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { Harness } from "./harness.ts";

const h = new Harness();
afterAll(() => {
  h.finish();
});

async function parallel(n: number, args: (i: number) => string[]) {
  const procs = Array.from({ length: n }, (_, i) => h.spawn(args(i)));
  return Promise.all(
    procs.map(async (p) => ({ code: await p.exited, stdout: await new Response(p.stdout).text(), stderr: await new Response(p.stderr).text() })),
  );
}

// Every state.json parses, whenever it is read.
function statesParse(): boolean {
  return h.ids().every((id) => {
    try {
      JSON.parse(readFileSync(`${h.root}/${id}/state.json`, "utf8"));
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === "ENOENT"; // removed meanwhile
    }
  });
}

test("50 run -d in parallel: all succeed, 50 distinct IDs, all running", async () => {
  let torn = false;
  const watcher = setInterval(() => (torn ||= !statesParse()), 5);
  const results = await parallel(50, () => ["run", "-d", "-q", "--", "sleep", "60"]);
  clearInterval(watcher);
  expect(results.filter((r) => r.code !== 0).map((r) => r.stderr)).toEqual([]);
  const ids = new Set(results.map((r) => r.stdout.trim()));
  expect(ids.size).toBe(50);
  for (const id of ids) expect(id).toMatch(/^[0-9a-f]{64}$/);
  expect(torn).toBe(false);
  const ps = JSON.parse(h.run(["ps", "--json"]).stdout) as { id: string; status: string }[];
  expect(ps.map((c) => c.id).sort()).toEqual([...ids].sort());
  expect(ps.every((c) => c.status === "running")).toBe(true);
  const rm = h.run(["rm", "-f", ...ids], { timeout: 60_000 });
  expect(rm.code).toBe(0);
  h.expectClean();
}, 60_000);

test("10 runs racing for one name: exactly one wins, the others say the name is taken", async () => {
  const results = await parallel(10, () => ["run", "-d", "-q", "--name", "only", "--", "sleep", "60"]);
  const winners = results.filter((r) => r.code === 0);
  expect(winners).toHaveLength(1);
  const id = winners[0]?.stdout.trim() ?? "";
  for (const r of results.filter((x) => x.code !== 0)) {
    expect(r.code).toBe(125);
    expect(r.stderr).toBe(`[contain] error: the name "only" is already in use by container ${id.slice(0, 12)}; remove that container (contain rm -f only) or choose another name\n`);
  }
  expect(h.ids()).toEqual([id]);
  expect(h.run(["rm", "-f", "only"]).code).toBe(0);
  h.expectClean();
}, 60_000);
