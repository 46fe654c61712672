// Exit statuses and signals: what `contain run` returns, and what it forwards.
import { afterAll, expect, test } from "bun:test";
import { Harness, waitFor } from "./harness.ts";

const h = new Harness();
afterAll(() => {
  h.finish();
});

test.each<[string, string[], number]>([
  ["success", ["true"], 0],
  ["a status", ["/bin/sh", "-c", "exit 7"], 7],
  ["not executable", ["/etc/passwd"], 126],
  ["a directory", ["/tmp"], 126],
  ["not found", ["no-such-command"], 127],
  ["a child killed by SIGINT, the shell's 130", ["/bin/sh", "-c", "sh -c 'kill -INT $$'; exit $?"], 130],
])("%s: exit %d", (_, cmd, code) => {
  expect(h.run(["run", "-q", "--", ...cmd]).code).toBe(code);
});

test("127 names the PATH that was searched; 126 names the file", () => {
  const nf = h.run(["run", "-q", "--", "no-such-command"]);
  expect(nf.stderr).toBe(
    "[contain] error: no-such-command: executable file not found in $PATH (searched PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin); check the name, or give the full path\n",
  );
  expect(h.run(["run", "-q", "-e", "PATH=/opt", "--", "sh"]).stderr).toContain("(searched PATH=/opt)");
  expect(h.run(["run", "-q", "--", "/nowhere/x"]).stderr).toContain("/nowhere/x: no such file or directory in the container's root filesystem");
  expect(h.run(["run", "-q", "--", "/etc/passwd"]).stderr).toContain("/etc/passwd: permission denied (not executable)");
  expect(h.run(["run", "-q", "--", "/tmp"]).stderr).toBe("[contain] error: /tmp: is a directory, not a command (permission denied); give a program to run, e.g. contain run -- ls /tmp\n");
});

test("run and exec find a command alike (one lookup, ffi/lookup.c): the same words and codes", () => {
  expect(h.run(["run", "-d", "-q", "--name", "finder", "--", "sleep", "60"]).code).toBe(0);
  try {
    for (const cmd of [["no-such-command"], ["/nowhere/x"], ["/etc/passwd"], ["/tmp"]]) {
      const run = h.run(["run", "-q", "--", ...cmd]);
      const exec = h.run(["exec", "finder", "--", ...cmd]);
      expect([exec.code, exec.stderr]).toEqual([run.code, run.stderr]);
    }
    // A relative PATH entry is the working directory's, as for execve: the
    // lookup comes after the chdir.
    const script = ["sh", "-c", "printf '#!/bin/sh\\necho found here\\n' > /tmp/here; chmod +x /tmp/here"];
    expect(h.run(["exec", "finder", "--", ...script]).code).toBe(0);
    expect(h.run(["exec", "-w", "/tmp", "-e", "PATH=.:/bin", "finder", "--", "here"]).stdout).toBe("found here\n");
    expect(h.run(["run", "-q", "-w", "/bin", "-e", "PATH=.", "--", "true"]).code).toBe(0);
  } finally {
    h.run(["rm", "-f", "finder"]);
  }
});

test("signals reach the container's PID 1", async () => {
  const names = ["TERM", "HUP", "USR1", "USR2", "QUIT", "WINCH", "INT"];
  const traps = names.map((n) => `trap 'echo got ${n}' ${n};`).join(" ");
  const child = h.spawn(["run", "-q", "--", "/bin/sh", "-c", `${traps} echo ready; while :; do sleep 0.05; done`]);
  let out = "";
  const reader = child.stdout.getReader();
  const pump = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      out += new TextDecoder().decode(value);
    }
  })();
  await waitFor("the traps", () => out.includes("ready"));
  for (const name of names) {
    child.kill(`SIG${name}` as NodeJS.Signals);
    await waitFor(`SIG${name} inside`, () => out.includes(`got ${name}`));
  }
  child.kill("SIGKILL");
  await child.exited;
  await pump;
  h.run(["run", "-q", "--", "true"]); // sweeps what the killed runtime left
  expect(out.trim().split("\n")).toEqual(["ready", ...names.map((n) => `got ${n}`)]);
});

test("a forwarded SIGTERM that PID 1 handles by exiting ends the run with its status", async () => {
  const child = h.spawn(["run", "-q", "--", "/bin/sh", "-c", "trap 'exit 143' TERM; echo ready; while :; do sleep 0.05; done"]);
  const reader = child.stdout.getReader();
  await reader.read();
  child.kill("SIGTERM");
  expect(await child.exited).toBe(143);
});

test("--sig-proxy=false: the signals contain gets are not forwarded, and the command runs to its end", async () => {
  const names = ["TERM", "INT", "HUP", "USR1"];
  const traps = names.map((n) => `trap 'echo got ${n}' ${n};`).join(" ");
  const child = h.spawn(["run", "-q", "--sig-proxy=false", "--", "/bin/sh", "-c", `${traps} echo ready; i=0; while [ $i -lt 20 ]; do sleep 0.05; i=$((i+1)); done; echo done`]);
  const reader = child.stdout.getReader();
  let out = new TextDecoder().decode((await reader.read()).value);
  for (const name of names) child.kill(`SIG${name}` as NodeJS.Signals);
  expect(await child.exited).toBe(0);
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) out += new TextDecoder().decode(chunk.value);
  expect(out).toBe("ready\ndone\n");
});
