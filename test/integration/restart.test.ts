// A stopped container brought back: start (its layer, name and ID kept, a new
// address and host port), restart, and the --restart policies with their
// back-off; and what is refused. The harness checks that nothing is left.
import { afterAll, expect, test } from "bun:test";
import { Harness, waitFor } from "./harness.ts";

const h = new Harness();
afterAll(() => {
  h.finish();
});

const SERVER = "mkdir -p /www && echo hello > /www/index.html && httpd -p 80 -h /www && exec sleep 1000";

const inspect = (name: string, template: string) => h.run(["inspect", "-f", template, name]).stdout.trim();
const get = (url: string) => Bun.spawnSync(["curl", "-s", "-m", "3", url]).stdout.toString();

test("start: the layer, the name and the ID kept; a new address lease and host port that work", async () => {
  const run = h.run(["run", "-d", "-q", "--name", "keep", "-p", "80", "--", "sh", "-c", SERVER]);
  expect(run.code).toBe(0);
  const id = run.stdout.trim();
  expect(h.run(["exec", "keep", "--", "sh", "-c", "echo written > /kept"]).code).toBe(0);
  const port = () => inspect("keep", '{{(index (index .NetworkSettings.Ports "80/tcp") 0).HostPort}}');
  await waitFor("httpd", () => get(`http://127.0.0.1:${port()}/`) === "hello\n");
  expect(h.run(["stop", "-t", "0", "keep"]).code).toBe(0);
  expect(inspect("keep", "{{.State.Status}} {{.NetworkSettings.IPAddress}}")).toBe("exited");

  const start = h.run(["start", "keep"]);
  expect(start).toMatchObject({ code: 0, stdout: "keep\n" });
  expect(inspect("keep", "{{.Id}} {{.Name}} {{.State.Status}}")).toBe(`${id} /keep running`);
  expect(h.run(["exec", "keep", "--", "cat", "/kept"]).stdout).toBe("written\n");
  const gateway = inspect("keep", "{{.NetworkSettings.Gateway}}");
  expect(inspect("keep", "{{.NetworkSettings.IPAddress}}")).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
  expect(h.run(["exec", "keep", "--", "ping", "-c1", "-W2", gateway]).code).toBe(0);
  await waitFor("httpd after the start", () => get(`http://127.0.0.1:${port()}/`) === "hello\n");
  // A running container: nothing to do, as docker's.
  const pid = inspect("keep", "{{.State.Pid}}");
  expect(h.run(["start", "keep"])).toMatchObject({ code: 0, stdout: "keep\n" });
  expect(inspect("keep", "{{.State.Pid}}")).toBe(pid);
  expect(h.run(["rm", "-f", "keep"]).code).toBe(0);
});

test("start -a prints the output of this start and exits with its code", () => {
  expect(h.run(["run", "-d", "-q", "--name", "once", "--", "sh", "-c", "echo run; exit 3"]).code).toBe(0);
  expect(h.run(["wait", "once"]).stdout).toBe("3\n");
  const start = h.run(["start", "-a", "once"]);
  expect(start).toMatchObject({ code: 3, stdout: "run\n" });
  expect(h.run(["logs", "once"]).stdout).toBe("run\nrun\n");
  expect(h.run(["rm", "once"]).code).toBe(0);
});

test("restart -t 0: a new PID 1, the layer kept", async () => {
  expect(h.run(["run", "-d", "-q", "--name", "again", "--", "sh", "-c", "trap '' TERM; echo up >> /ups; exec sleep 1000"]).code).toBe(0);
  const before = inspect("again", "{{.State.Pid}}");
  const t0 = Date.now();
  expect(h.run(["restart", "-t", "0", "again"])).toMatchObject({ code: 0, stdout: "again\n" });
  expect(Date.now() - t0).toBeLessThan(5000); // SIGTERM is ignored: killed at once, not after 10 s
  expect(inspect("again", "{{.State.Status}}")).toBe("running");
  expect(inspect("again", "{{.State.Pid}}")).not.toBe(before);
  expect(h.run(["exec", "again", "--", "cat", "/ups"]).stdout).toBe("up\nup\n");
  expect(h.run(["rm", "-f", "again"]).code).toBe(0);
});
