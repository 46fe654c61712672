// OOMKilled as docker records it: true when the kernel's OOM killer took any
// process of the container, PID 1 or another; the exit code stays the
// container's own; logs hold only what the command wrote. Read right after
// `wait`, before the release may have run (status.ts reads the cgroup then).
import { afterAll, expect, test } from "bun:test";
import { Harness } from "./harness.ts";

const h = new Harness();
afterAll(() => {
  h.finish();
});

// tail keeps everything it reads from /dev/zero, which has no newline.
const HOG = "tail /dev/zero";

const state = (name: string) => h.run(["inspect", "-f", "{{.State.Status}} {{.State.ExitCode}} {{.State.OOMKilled}}", name]).stdout.trim();
const psStatus = (name: string) => h.run(["ps", "-a", "--filter", `name=^${name}$`, "--format", "{{.Status}}"]).stdout.trim();

test("a hog child OOM-killed while PID 1 lives on: OOMKilled, PID 1's own exit code, the log as written", () => {
  expect(h.run(["run", "-d", "-q", "--net", "none", "--name", "child", "-m", "16M", "--", "sh", "-c", `echo before; ${HOG}; echo "after $?"; exit 3`]).code).toBe(0);
  expect(h.run(["wait", "child"]).stdout).toBe("3\n");
  expect(state("child")).toBe("exited 3 true");
  expect(psStatus("child")).toMatch(/^Exited \(3\) /);
  expect(h.run(["logs", "child"]).stdout).toBe("before\nafter 137\n");
  // and still so once released, from the record
  expect(h.run(["rm", "child"]).code).toBe(0);
});

test("PID 1 the hog: Exited (137), OOMKilled", () => {
  expect(h.run(["run", "-d", "-q", "--net", "none", "--name", "pid1", "-m", "16M", "--", ...HOG.split(" ")]).code).toBe(0);
  expect(h.run(["wait", "pid1"]).stdout).toBe("137\n");
  expect(state("pid1")).toBe("exited 137 true");
  expect(psStatus("pid1")).toMatch(/^Exited \(137\) /);
  expect(h.run(["logs", "pid1"]).stdout).toBe("");
  expect(h.run(["rm", "pid1"]).code).toBe(0);
});

test("never near its limit: OOMKilled false, also when killed by a user's SIGKILL", () => {
  expect(h.run(["run", "-d", "-q", "--net", "none", "--name", "calm", "-m", "64M", "--", "sh", "-c", "echo calm"]).code).toBe(0);
  expect(h.run(["run", "-d", "-q", "--net", "none", "--name", "shot", "-m", "64M", "--", "sleep", "60"]).code).toBe(0);
  expect(h.run(["kill", "shot"]).code).toBe(0);
  expect(h.run(["wait", "calm", "shot"]).stdout).toBe("0\n137\n");
  expect(state("calm")).toBe("exited 0 false");
  expect(state("shot")).toBe("exited 137 false");
  expect(h.run(["rm", "calm", "shot"]).code).toBe(0);
});

test("a node whose payload is the hog: OOMKilled, Exited (137); one whose child is: its own code", () => {
  expect(h.run(["node", "create", "nhog", "--mem", "16", "--net", "none", "--", ...HOG.split(" ")]).code).toBe(0);
  expect(h.run(["node", "create", "nchild", "--mem", "16", "--net", "none", "--", "sh", "-c", `${HOG}; exit 5`]).code).toBe(0);
  expect(h.run(["wait", "nhog", "nchild"]).stdout).toBe("137\n5\n");
  expect(state("nhog")).toBe("exited 137 true");
  expect(state("nchild")).toBe("exited 5 true");
  expect(h.run(["node", "ls"]).stdout).toMatch(/^nhog +[0-9a-f]{12} +Exited \(137\) /m);
  expect(h.run(["node", "rm", "nhog", "nchild"]).code).toBe(0);
});

test("in the foreground a child's OOM kill is said as such, and the exit code is PID 1's", () => {
  const r = h.run(["run", "-q", "--net", "none", "-m", "16M", "--", "sh", "-c", `${HOG}; exit 4`]);
  expect(r.code).toBe(4);
  // "Killed": the shell's own word for its child's end
  expect(r.stderr).toBe("Killed\na process of the container was killed: out of memory (limit 16M)\n");
});
