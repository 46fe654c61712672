// A container must not type into the terminal of whoever started it
// (TIOCSTI: CVE-2017-5226). Under `script` (a real pty) contain runs with the
// caller's terminal as stdout and no pty of its own (stdin is /dev/null), and
// a static probe (test/probes/tiocsti.c) tries TIOCSTI on fds 0-2 and on
// /dev/tty; then the calling shell reads what, if anything, was typed.
import { afterAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { BIN, probeTree, Harness } from "./harness.ts";

const h = new Harness();
const root = probeTree("tiocsti");
afterAll(() => {
  try {
    h.finish();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

const contain = (args: string) => `${BIN} ${args.replace(/^(\S+)/, `$1 ${h.rootFlags.join(" ")}`)}`;

// Runs `commands` in bash under a fresh pty, then reads one line from that
// pty for a second: whatever the container typed. script's stdin stays open
// (a pipe the test holds) so that it does not end the session early.
async function underTerminal(commands: string): Promise<{ output: string; typed: string }> {
  const inner = `${commands}; read -t 1 line; echo "TYPED=[$line]"`;
  const p = Bun.spawn(["script", "-q", "-e", "-c", `bash -c '${inner}'`, "/dev/null"], { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => p.kill(9), 20_000);
  const output = (await new Response(p.stdout).text()).replaceAll("\r", "");
  clearTimeout(timer);
  p.stdin.end();
  await p.exited;
  return { output, typed: /TYPED=\[(.*)\]/.exec(output)?.[1] ?? "no answer" };
}

const run = (flags = "", probeArgs = "") => contain(`run -q --net none --rootfs ${root} ${flags} -- tiocsti ${probeArgs} </dev/null`);

test("run: the container is not in the caller's session, so TIOCSTI on the caller's terminal is refused", async () => {
  const r = await underTerminal(run());
  expect(r.output).toContain("fd1: EPERM\nfd2: EPERM\n/dev/tty: ENXIO\n");
  expect(r.output).not.toContain("typed");
  expect(r.typed).toBe("");
});

test("exec without -t: the same", async () => {
  const id = h.run(["run", "-d", "-q", "--net", "none", "--rootfs", root, "--", "sleep", "3172"]).stdout.trim();
  try {
    const r = await underTerminal(contain(`exec ${id} -- tiocsti </dev/null`));
    expect(r.output).toContain("fd1: EPERM\nfd2: EPERM\n/dev/tty: ENXIO\n");
    expect(r.typed).toBe("");
  } finally {
    h.run(["rm", "-f", id]);
  }
});

test("with CAP_SYS_ADMIN (which TIOCSTI honours on any terminal) the seccomp filter still refuses it, high bits or not", async () => {
  const r = await underTerminal(`${run("--cap-add SYS_ADMIN")}; ${run("--cap-add SYS_ADMIN", "high")}`);
  expect(r.output.match(/fd1: EPERM/g)).toHaveLength(2);
  expect(r.output).not.toContain("typed");
  expect(r.typed).toBe("");
});

test("the probe can type when nothing stops it (CAP_SYS_ADMIN, no seccomp): the checks above can fail", async () => {
  const r = await underTerminal(run("--cap-add SYS_ADMIN --security-opt seccomp=unconfined", "high"));
  expect(r.output).toContain("fd1: typed");
  expect(r.typed).toBe("echo INJECTED");
});
