// A stopped container brought back: start (its layer, name and ID kept, a new
// address and host port), restart, and the --restart policies with their
// back-off; and what is refused. The harness checks that nothing is left.
import { afterAll, expect, test } from "bun:test";
import { Harness, waitFor } from "./harness.ts";
import { ociBundles } from "./oci-bundles.ts";

const h = new Harness();
const oci = ociBundles(h, "restart");
afterAll(() => {
  oci.dispose();
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

const status = (name: string) => inspect(name, "{{.State.Status}} {{.State.ExitCode}} {{.RestartCount}}");

test("--restart on-failure:3: a command that exits 1 is restarted three times, then stays exited", async () => {
  expect(h.run(["run", "-d", "-q", "--name", "fails", "--restart", "on-failure:3", "--", "sh", "-c", "echo try; exit 1"]).code).toBe(0);
  // 100 + 200 + 400 ms of back-off, and four starts.
  await waitFor("the third restart to end", () => status("fails") === "exited 1 3" && h.monitors().length === 0);
  await Bun.sleep(1000); // past the next back-off (800 ms): no fourth
  expect(status("fails")).toBe("exited 1 3");
  expect(inspect("fails", "{{json .HostConfig.RestartPolicy}}")).toBe('{"Name":"on-failure","MaximumRetryCount":3}');
  expect(h.run(["logs", "fails"]).stdout).toBe("try\n".repeat(4));
  expect(h.run(["rm", "fails"]).code).toBe(0);
});

// The crash is a child's: PID 1 of a PID namespace ignores a signal it has
// no handler for, even its own.
test("--restart always: a crash of the command is restarted, its layer kept; ps shows the wait", async () => {
  expect(h.run(["run", "-d", "-q", "--name", "crashes", "--restart", "always", "--", "sh", "-c", "echo run >> /runs; sleep 0.2; sh -c 'kill -SEGV $$'; exit $?"]).code).toBe(0);
  // Each wait doubles (100, 200, 400 ms ...): one is caught by ps.
  const row = await waitFor("a restart under way", () => h.run(["ps", "-a"]).stdout.split("\n").find((l) => /Restarting \(139\) /.test(l)));
  expect(row).toMatch(/ crashes +Restarting \(139\) (Less than a second|\d+ seconds?) ago /);
  expect(inspect("crashes", "{{.State.Restarting}} {{.State.Running}} {{.NetworkSettings.IPAddress}}")).toBe("true false");
  // docker's status=restarting filter finds it in a wait too.
  const id = inspect("crashes", "{{.Id}}").slice(0, 12);
  await waitFor("ps --filter status=restarting to list it", () => h.run(["ps", "-q", "--filter", "status=restarting"]).stdout.split("\n").includes(id));
  await waitFor("a run after a restart", () => status("crashes").startsWith("running") && Number(inspect("crashes", "{{.RestartCount}}")) >= 1);
  const runs = h.run(["exec", "crashes", "--", "cat", "/runs"]).stdout;
  expect(runs.split("\n").length - 1).toBeGreaterThanOrEqual(2);
});

test("rm -f of a restarting container leaves nothing", async () => {
  await waitFor("crashes to wait before its restart", () => inspect("crashes", "{{.State.Status}}") === "restarting");
  // Refused without -f, as docker's.
  const refused = h.run(["rm", "crashes"]);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toBe("[contain] error: container crashes is restarting; stop it first (contain stop crashes), or use contain rm -f\n");
  expect(h.run(["rm", "-f", "crashes"])).toMatchObject({ code: 0, stdout: "crashes\n" });
  expect(h.ids()).toEqual([]);
  expect(h.monitors()).toEqual([]);
});

test("a stop or a kill by the user is not undone by --restart always", async () => {
  for (const how of [["stop", "-t", "0"], ["kill"]]) {
    expect(h.run(["run", "-d", "-q", "--name", "stays", "--restart", "always", "--", "sleep", "1000"]).code).toBe(0);
    expect(h.run([...how, "stays"]).code).toBe(0);
    await waitFor("the release", () => h.monitors().length === 0);
    await Bun.sleep(500); // past the first back-off (100 ms)
    expect(status("stays")).toBe("exited 137 0");
    // The user's start clears the stop: the policy holds again.
    expect(h.run(["start", "stays"]).code).toBe(0);
    expect(inspect("stays", "{{.State.Status}}")).toBe("running");
    expect(h.run(["rm", "-f", "stays"]).code).toBe(0);
  }
});

test("a stop of a restarting container ends its restarts", async () => {
  expect(h.run(["run", "-d", "-q", "--name", "loop", "--restart", "always", "--", "sh", "-c", "exit 1"]).code).toBe(0);
  await waitFor("a restart under way", () => inspect("loop", "{{.State.Status}}") === "restarting");
  expect(h.run(["stop", "loop"])).toMatchObject({ code: 0, stdout: "loop\n" });
  await waitFor("the release", () => h.monitors().length === 0);
  const after = status("loop");
  await Bun.sleep(1000);
  expect(status("loop")).toBe(after);
  expect(after).toStartWith("exited");
  expect(h.run(["rm", "loop"]).code).toBe(0);
});

test("bad input: one line each, 125 for a flag, 1 for a failing command, nothing left", () => {
  const c = oci.create("ocibox", oci.bundle("ocibox", ["sleep", "100"]));
  expect(c.code).toBe(0);
  const cases: [string[], number, string][] = [
    [["run", "-d", "--restart", "sometimes", "--", "true"], 125, '--restart: "sometimes" is not a restart policy; use no, on-failure[:MAX], always or unless-stopped, e.g. --restart on-failure:3'],
    [["run", "-d", "--restart", "on-failure:x", "--", "true"], 125, '--restart: "on-failure:x": "x" is not a number of retries; use no, on-failure[:MAX], always or unless-stopped, e.g. --restart on-failure:3'],
    [["run", "-d", "--restart", "always:2", "--", "true"], 125, '--restart: "always:2": only on-failure takes a maximum retry count; use no, on-failure[:MAX], always or unless-stopped, e.g. --restart on-failure:3'],
    [["run", "-d", "--rm", "--restart", "always", "--", "true"], 125, "--restart: conflicts with --rm: the container would be removed at its exit; leave one of them out"],
    [["run", "--restart", "always", "--", "true"], 125, "--restart: always needs --detach; run it with -d, or leave --restart out"],
    [["start", "nosuch"], 1, "container does not exist: nosuch; see 'contain ps -a' for the names and IDs"],
    [["restart", "nosuch"], 1, "no such container: nosuch; see 'contain ps -a' for the names and IDs"],
    [["restart", "ocibox"], 1, "container ocibox was made by create, for the program that made it; restart it through that program (podman, containerd)"],
    [["start", "-a", "ocibox"], 125, "--attach: is for containers made by run -d; start a container made by create with contain start ocibox"],
  ];
  for (const [args, code, message] of cases) {
    const r = h.run(args);
    expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code, stderr: `[contain] error: ${message}\n` });
    expect(h.ids()).toEqual(["ocibox"]);
  }
  expect(h.run(["delete", "--force", "ocibox"]).code).toBe(0);
});
