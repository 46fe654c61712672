// run -dit and attach: the container's terminal, held by its monitor, on a
// real terminal (tmux): the window's size, input, several watchers at once,
// Ctrl-P Ctrl-Q letting go while the container runs on, the container's end
// ending attach with its exit code, and the log keeping what it printed.
import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { Terminal } from "../clients/terminal.ts";
import { quote } from "../clients/sandbox.ts";
import { BIN, Harness, waitFor } from "./harness.ts";

const h = new Harness();
const dir = mkdtempSync("/tmp/contain-test-attach-");

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  h.finish();
});

const attach = (name: string, cols: number, rows: number, root = h.root) => {
  const sub = mkdtempSync(`${dir}/tmux-`);
  return new Terminal(sub, [BIN, "attach", "--root", root, name].map(quote).join(" "), cols, rows);
};

const monitorOf = (name: string) => (JSON.parse(h.run(["inspect", name]).stdout)[0] as { MonitorPid: number }).MonitorPid;
const rss = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);

test("run -dit, then attach: the window's size, input, Ctrl-P Ctrl-Q lets go and the container runs on", async () => {
  expect(h.run(["run", "-q", "-dit", "--name", "box", "--", "sh"]).code).toBe(0);
  const one = attach("box", 90, 25);
  try {
    one.send("stty size; echo hi-$((40+2))", "Enter");
    await one.waitFor("the size and the answer", /^25 90\nhi-42$/m);
    one.send("C-p", "C-q");
    expect(await one.exitStatus()).toBe(0);
  } finally {
    one.close();
  }
  expect(h.run(["inspect", "-f", "{{.State.Status}}", "box"]).stdout.trim()).toBe("running");
  // The socket is root's alone: whoever connects types into the container.
  const id = h.run(["inspect", "-f", "{{.Id}}", "box"]).stdout.trim();
  expect(statSync(`${h.root}/${id}/attach.sock`).mode & 0o777).toBe(0o700);
  // The log kept what the terminal showed.
  expect(h.run(["logs", "box"]).stdout).toContain("hi-42");
}, 30_000);

test("two attaches watch at once, the monitor small; the container's exit ends both with its code", async () => {
  const [a, b] = [attach("box", 80, 24), attach("box", 80, 24)];
  try {
    await waitFor("two clients on the socket", () => readSockets(monitorOf("box")) === 3);
    // The budget: the monitor with a pty and two attaches.
    expect(rss(monitorOf("box"))).toBeLessThanOrEqual(1024);
    a.send("echo from-$((1+1))", "Enter");
    await b.waitFor("a's input echoed on b", /^from-2$/m);
    b.send("exit 3", "Enter");
    expect(await a.exitStatus()).toBe(3);
    expect(await b.exitStatus()).toBe(3);
  } finally {
    a.close();
    b.close();
  }
  expect(h.run(["wait", "box"]).stdout.trim()).toBe("3");
  expect(h.run(["rm", "box"]).code).toBe(0);
}, 30_000);

// The listening socket and the clients, among the monitor's fds.
function readSockets(pid: number): number {
  const r = Bun.spawnSync(["sh", "-c", `ls -l /proc/${pid}/fd | grep -c socket:`]);
  return Number(r.stdout.toString().trim());
}

test("a state root longer than a unix socket's path: attach still connects", async () => {
  const long = `${dir}/${"r".repeat(60)}/${"o".repeat(60)}`;
  mkdirSync(long, { recursive: true });
  const run = Bun.spawnSync([BIN, "run", "-q", "-dit", "--root", long, "--data-root", h.dataRoot, "--name", "far", "--", "sh"]);
  expect(run.exitCode).toBe(0);
  const t = attach("far", 80, 24, long);
  try {
    t.send("echo far-$((2*21))", "Enter");
    await t.waitFor("the answer", /^far-42$/m);
    t.send("exit 0", "Enter");
    expect(await t.exitStatus()).toBe(0);
  } finally {
    t.close();
  }
  expect(Bun.spawnSync([BIN, "rm", "--root", long, "--data-root", h.dataRoot, "far"]).exitCode).toBe(0);
}, 30_000);

test("without a terminal: attach shows stdout and stderr apart, as they come, and ends with the container's code", async () => {
  const script = "while [ ! -e /tmp/go ]; do sleep 0.05; done; echo out-1; echo err-1 >&2; echo out-2; exit 4";
  expect(h.run(["run", "-q", "-d", "--name", "plain", "--", "sh", "-c", script]).code).toBe(0);
  const a = Bun.spawn([BIN, "attach", ...h.rootFlags, "plain"], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  await waitFor("the attach on the socket", () => readSockets(monitorOf("plain")) === 2);
  expect(h.run(["exec", "plain", "touch", "/tmp/go"]).code).toBe(0);
  expect(await a.exited).toBe(4);
  expect(await new Response(a.stdout).text()).toBe("out-1\nout-2\n");
  expect(await new Response(a.stderr).text()).toBe("err-1\n");
  expect(h.run(["rm", "plain"]).code).toBe(0);
}, 30_000);

test("run -d -i: stdin kept open; attach's input reaches the command, which answers on its output", async () => {
  expect(h.run(["run", "-q", "-d", "-i", "--name", "reader", "--", "sh", "-c", "read line; echo got-$line; exit 5"]).code).toBe(0);
  const a = Bun.spawn([BIN, "attach", ...h.rootFlags, "reader"], { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
  await waitFor("the attach on the socket", () => readSockets(monitorOf("reader")) === 2);
  a.stdin.write("hello\n");
  await a.stdin.flush();
  expect(await a.exited).toBe(5);
  expect(await new Response(a.stdout).text()).toBe("got-hello\n");
  expect(h.run(["rm", "reader"]).code).toBe(0);
}, 30_000);

test("attach to a stopped container, to nothing, or with bad keys: one line each, exit 1, 125 for the flag", () => {
  expect(h.run(["run", "-q", "-d", "--name", "plain", "--", "true"]).code).toBe(0);
  expect(h.run(["wait", "plain"]).stdout.trim()).toBe("0");
  const cases: [string[], number, string][] = [
    [["attach", "plain"], 1, "container plain is not running"],
    [["attach", "nosuch"], 1, "nosuch"],
    [["attach", "--detach-keys", "ctrl-pp", "plain"], 125, '--detach-keys: "ctrl-pp" is not a key'],
  ];
  for (const [args, code, message] of cases) {
    const r = h.run(args);
    expect({ args, code: r.code }).toEqual({ args, code });
    expect(r.stderr).toContain(message);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  }
  expect(h.run(["rm", "-f", "plain"]).code).toBe(0);
});
