// podman (through conmon) with the OCI runtime under test: CONTAIN_OCI_RUNTIME,
// default ./contain. Each test checks what the kernel did: the output seen,
// the exit status, a frozen counter, a killed hog, a refused fork, a pty of
// the window's size, a page served through a port map.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { IMAGE, Podman } from "./podman.ts";
import { waitFor } from "./sandbox.ts";
import { Terminal } from "./terminal.ts";

let pm: Podman;
const NETWORK = `clients${process.pid}`;

beforeAll(async () => {
  pm = await Podman.create();
}, 120_000);

afterAll(async () => {
  if (pm) expect(await pm.finish([NETWORK])).toEqual([]);
}, 60_000);

test("run --rm: the command's output", () => {
  const r = pm.run(["run", "--rm", IMAGE, "echo", "hi"]);
  expect(r).toMatchObject({ code: 0, stdout: "hi\n" });
});

test("run: the command's exit status", () => {
  expect(pm.run(["run", "--rm", IMAGE, "sh", "-c", "exit 7"]).code).toBe(7);
});

test("run -i: piped stdin reaches the command", () => {
  const r = pm.run(["run", "-i", "--rm", IMAGE, "cat"], { stdin: "data\nmore data\n" });
  expect(r).toMatchObject({ code: 0, stdout: "data\nmore data\n" });
});

test("run -d, exec, ps, pause and unpause, stop, rm", async () => {
  // The counter is in a volume, so the host reads it without the runtime.
  const shared = `${pm.sandbox.dir}/counter`;
  mkdirSync(shared);
  const count = () => (existsSync(`${shared}/n`) ? Number(readFileSync(`${shared}/n`, "utf8").trim() || "0") : 0);
  const loop = 'trap "echo TERM > /shared/signal; exit 42" TERM; i=0; while :; do i=$((i+1)); echo $i > /shared/n; sleep 0.05; done';
  const d = pm.run(["run", "-d", "--name", "counter", "-v", `${shared}:/shared`, IMAGE, "sh", "-c", loop]);
  expect(d.code).toBe(0);
  const id = d.stdout.trim();
  expect(id).toMatch(/^[0-9a-f]{64}$/);
  await waitFor("the counter to run", () => count() > 2);

  const e = pm.run(["exec", "counter", "sh", "-c", "echo from-exec; cat /proc/1/cmdline | tr '\\0' ' '; exit 5"]);
  expect(e.code).toBe(5);
  expect(e.stdout).toBe(`from-exec\nsh -c ${loop} `);

  const ps = pm.run(["ps", "--no-trunc", "--format", "{{.ID}} {{.Status}}"]);
  expect(ps.stdout).toMatch(new RegExp(`^${id} Up `, "m"));

  expect(pm.run(["pause", "counter"]).code).toBe(0);
  expect(pm.run(["inspect", "--format", "{{.State.Status}}", "counter"]).stdout.trim()).toBe("paused");
  const frozen = count();
  await Bun.sleep(500);
  expect(count()).toBe(frozen); // ten steps would have passed

  expect(pm.run(["unpause", "counter"]).code).toBe(0);
  await waitFor("the counter to go on", () => count() > frozen + 2, 5_000);

  // SIGTERM reaches the shell's trap: no SIGKILL after the timeout.
  const stop = pm.run(["stop", "--time", "10", "counter"]);
  expect(stop.code).toBe(0);
  expect(readFileSync(`${shared}/signal`, "utf8")).toBe("TERM\n");
  expect(pm.run(["inspect", "--format", "{{.State.ExitCode}}", "counter"]).stdout.trim()).toBe("42");

  expect(pm.run(["rm", "counter"]).code).toBe(0);
  expect(pm.run(["ps", "-a", "--format", "{{.ID}}"]).stdout).not.toContain(id.slice(0, 12));
}, 30_000);

test("logs: stdout and stderr, each on its own stream", () => {
  const r = pm.run(["run", "--name", "logger", IMAGE, "sh", "-c", "echo to-stdout; echo to-stderr >&2"]);
  expect(r.code).toBe(0);
  const logs = pm.run(["logs", "logger"]);
  expect(logs).toMatchObject({ code: 0, stdout: "to-stdout\n", stderr: "to-stderr\n" });
  expect(pm.run(["rm", "logger"]).code).toBe(0);
});

test("-m 16m: the memory cgroup holds the container, a hog is killed (137)", () => {
  const small = pm.run(["run", "--rm", "-m", "16m", IMAGE, "sh", "-c", "dd if=/dev/zero of=/dev/null bs=4M count=1 2>/dev/null && echo fits"]);
  expect(small).toMatchObject({ code: 0, stdout: "fits\n" });
  // dd's buffer is one block: 64 MiB of touched memory.
  const hog = pm.run(["run", "--rm", "-m", "16m", IMAGE, "dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"]);
  expect(hog.code).toBe(137);
});

test("--pids-limit 8: a fork loop stops at the limit", () => {
  // The shell counts the background sleeps it started; ash exits when fork
  // fails. 8 tasks: the shell and 7 sleeps.
  const r = pm.run(["run", "--rm", "--pids-limit", "8", IMAGE, "sh", "-c", "i=0; while :; do sleep 10 & i=$((i+1)); echo $i; done"]);
  const started = Number(r.stdout.trim().split("\n").pop());
  expect(r.stderr).toContain("can't fork");
  expect(started).toBeGreaterThan(0);
  expect(started).toBeLessThanOrEqual(7);
});

test("run -it under tmux: a pty of the window's size, a prompt, exit 3", async () => {
  const term = new Terminal(pm.sandbox.dir, pm.commandLine(["run", "-it", "--rm", IMAGE, "/bin/sh"]), 100, 30);
  try {
    await term.waitFor("the prompt", /^\/ #\s*$/m);
    term.send("tty; stty size", "Enter");
    await term.waitFor("tty and stty size", /^\/dev\/pts\/\d+\n30 100$/m);
    term.send("exit 3", "Enter");
    expect(await term.exitStatus()).toBe(3);
  } finally {
    term.close();
  }
}, 30_000);

test("-p 127.0.0.1:8080:80 on a bridge network of the test's own: httpd answers curl", async () => {
  const net = pm.run(["network", "create", "--disable-dns", "--subnet", "10.213.7.0/24", NETWORK]);
  expect(net.code).toBe(0);
  const page = "mkdir /www && echo served-by-$(hostname) > /www/index.html && exec httpd -f -p 80 -h /www";
  const d = pm.run(["run", "-d", "--name", "web", "--hostname", "web1", "--network", NETWORK, "-p", "127.0.0.1:8080:80", IMAGE, "sh", "-c", page]);
  expect(d.code).toBe(0);
  // curl on the loopback of the sandbox's network namespace, where podman
  // made the bridge and the port map.
  const curl = () => Bun.spawnSync(pm.sandbox.enter(["curl", "-sS", "-m", "2", "http://127.0.0.1:8080/"])).stdout.toString();
  expect(await waitFor("httpd to answer", () => curl() || undefined, 10_000)).toBe("served-by-web1\n");
  expect(pm.run(["rm", "--force", "--time", "0", "web"]).code).toBe(0);
  expect(pm.run(["network", "rm", NETWORK]).code).toBe(0);
  expect(pm.sandbox.links()).toEqual(["lo"]);
}, 30_000);
