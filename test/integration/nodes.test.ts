// The "nexus" nodes: named detached containers with memory in MiB and CPU in
// shares, made through run -d's own path.
import { afterAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { cgroupOf, Harness, isAlive, waitFor } from "./harness.ts";

const h = new Harness();
afterAll(() => {
  h.finish();
});

test("node create prints the host PID; the cgroup holds 256 MiB and the shares; ls; rm", () => {
  const created = h.run(["node", "create", "node-1", "--mem", "256", "--cpu", "512"]);
  expect(created.code).toBe(0);
  const pid = Number(created.stdout.trim());
  expect(created.stdout).toMatch(/^\d+\n$/);
  expect(isAlive(pid)).toBe(true);
  // The payload that sleeps forever, as the container's PID 1.
  expect(readFileSync(`/proc/${pid}/cmdline`, "utf8")).toBe("sleep\0infinity\0");
  expect(readFileSync(`/proc/${pid}/status`, "utf8")).toMatch(/^NSpid:\s+\d+\s+1$/m);

  const [node] = JSON.parse(h.run(["node", "ls", "--json"]).stdout);
  expect(node).toMatchObject({ name: "node-1", pid, status: "running", memoryLimit: 256 * 2 ** 20, cpuShares: 512 });
  const dirs = cgroupOf(node.id.slice(0, 12));
  const file = (name: string) => dirs.map((d) => `${d}/${name}`).find((f) => { try { readFileSync(f); return true; } catch { return false; } });
  const v2 = file("memory.max");
  if (v2) {
    expect(readFileSync(v2, "utf8").trim()).toBe(String(256 * 2 ** 20));
    expect(readFileSync(file("cpu.weight") ?? "", "utf8").trim()).toBe("20"); // 1 + (512-2)*9999/262142
  } else {
    expect(readFileSync(file("memory.limit_in_bytes") ?? "", "utf8").trim()).toBe(String(256 * 2 ** 20));
    expect(readFileSync(file("cpu.shares") ?? "", "utf8").trim()).toBe("512");
  }
  for (const d of dirs) expect(readFileSync(`${d}/cgroup.procs`, "utf8").split("\n")).toContain(String(pid));

  const ls = h.run(["node", "ls"]).stdout.trimEnd().split("\n");
  expect(ls[0]).toMatch(/^NAME +ID +PID +STATUS +MEM +CPU SHARES$/);
  expect(ls[1]).toMatch(new RegExp(`^node-1 +[0-9a-f]{12} +${pid} +Up .*/256M +512$`));
  // A node is a container too.
  expect(h.run(["ps"]).stdout).toContain("node-1");

  const rm = h.run(["node", "rm", "node-1"]);
  expect(rm.code).toBe(0);
  expect(isAlive(pid)).toBe(false);
  expect(cgroupOf(node.id.slice(0, 12))).toEqual([]);
  expect(h.run(["node", "ls", "--json"]).stdout.trim()).toBe("[]");
  h.expectClean();
});

test("node create with a payload; node rm refuses a plain container", async () => {
  const pid = Number(h.run(["node", "create", "node-2", "--mem", "16", "--", "sh", "-c", "echo up; exec sleep 60"]).stdout);
  // The printed PID is the payload's: sh, until it execs sleep.
  await waitFor("the payload's exec", () => readFileSync(`/proc/${pid}/cmdline`, "utf8") === "sleep\x0060\0");
  expect(h.run(["logs", "node-2"]).stdout).toBe("up\n");
  h.run(["run", "-d", "-q", "--name", "plain", "--", "sleep", "60"]);
  const refused = h.run(["node", "rm", "plain"]);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toBe("[contain] error: plain is a container, not a node; remove it with contain rm -f plain\n");
  expect(h.run(["rm", "-f", "plain", "node-2"]).stdout).toBe("plain\nnode-2\n");
  h.expectClean();
});
