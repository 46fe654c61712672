// containerd (ctr, through containerd-shim-runc-v2) with the OCI runtime under
// test as the shim's runc: CONTAIN_OCI_RUNTIME, default ./contain. Each test
// checks what the kernel did: the output seen, the exit status, a pty of the
// window's size, processes listed that are there, a frozen counter, a signal
// caught, a killed hog.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { Containerd, IMAGE } from "./containerd.ts";
import { waitFor } from "./sandbox.ts";
import { Terminal } from "./terminal.ts";

let cd: Containerd;

beforeAll(async () => {
  cd = await Containerd.create();
}, 120_000);

afterAll(async () => {
  if (cd) expect(await cd.finish()).toEqual([]);
}, 60_000);

test("run --rm: the command's output", () => {
  const r = cd.run(["run", "--rm", IMAGE, cd.id("echo"), "echo", "hi"]);
  expect(r).toMatchObject({ code: 0, stdout: "hi\n" });
});

test("run: the command's exit status", () => {
  expect(cd.run(["run", "--rm", IMAGE, cd.id("exit"), "sh", "-c", "exit 7"]).code).toBe(7);
});

test("run -t under tmux: a pty of the window's size, a prompt, exit 3", async () => {
  const term = new Terminal(cd.sandbox.dir, cd.commandLine(["run", "-t", "--rm", IMAGE, cd.id("tty"), "/bin/sh"]), 90, 25);
  try {
    await term.waitFor("the prompt", /^\/ #\s*$/m);
    term.send("tty; stty size", "Enter");
    await term.waitFor("tty and stty size", /^\/dev\/pts\/\d+\n25 90$/m);
    term.send("exit 3", "Enter");
    expect(await term.exitStatus()).toBe(3);
  } finally {
    term.close();
  }
}, 30_000);

test("a detached task: exec, ps, pause and resume, kill, delete", async () => {
  const id = cd.id("counter");
  // The counter is in a bind mount, so the host reads it without the runtime.
  const shared = `${cd.sandbox.dir}/counter`;
  mkdirSync(shared);
  const count = () => (existsSync(`${shared}/n`) ? Number(readFileSync(`${shared}/n`, "utf8").trim() || "0") : 0);
  const loop = 'trap "echo TERM > /shared/signal; exit 42" TERM; sleep 1000 & i=0; while :; do i=$((i+1)); echo $i > /shared/n; sleep 0.05; done';
  const mount = `type=bind,src=${shared},dst=/shared,options=rbind:rw`;
  const d = cd.run(["run", "--detach", "--null-io", "--mount", mount, IMAGE, id, "sh", "-c", loop]);
  expect(d).toMatchObject({ code: 0 });
  await waitFor("the counter to run", () => count() > 2);
  const task = cd.status(id);
  expect(task?.status).toBe("RUNNING");
  const init = task?.pid ?? 0;
  expect(readFileSync(`/proc/${init}/cmdline`, "utf8")).toBe(`sh\0-c\0${loop}\0`);

  const e = cd.run(["task", "exec", "--exec-id", "probe", id, "sh", "-c", "echo from-exec; cat /proc/1/cmdline | tr '\\0' ' '; exit 5"]);
  expect(e.code).toBe(5);
  expect(e.stdout).toBe(`from-exec\nsh -c ${loop} `);

  // task ps lists host pids: the shell and its long sleep must be there.
  const pids = cd
    .run(["task", "ps", id])
    .stdout.split("\n")
    .slice(1)
    .map((l) => Number(l.trim().split(/\s+/)[0]))
    .filter((p) => p > 0);
  expect(pids).toContain(init);
  const cmd = (pid: number) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim();
    } catch {
      return "";
    }
  };
  expect(pids.map(cmd)).toContain("sleep 1000");

  expect(cd.run(["task", "pause", id]).code).toBe(0);
  expect(cd.status(id)?.status).toBe("PAUSED");
  const frozen = count();
  await Bun.sleep(500);
  expect(count()).toBe(frozen); // ten steps would have passed

  expect(cd.run(["task", "resume", id]).code).toBe(0);
  expect(cd.status(id)?.status).toBe("RUNNING");
  await waitFor("the counter to go on", () => count() > frozen + 2, 5_000);

  // SIGTERM, ctr's default, reaches the shell's trap.
  expect(cd.run(["task", "kill", id]).code).toBe(0);
  await waitFor("the task to stop", () => cd.status(id)?.status === "STOPPED", 5_000);
  expect(readFileSync(`${shared}/signal`, "utf8")).toBe("TERM\n");

  const del = cd.run(["task", "delete", id]);
  expect(del.code).toBe(0);
  expect(del.stderr).toContain("exit code 42");
  expect(cd.status(id)).toBeUndefined();
  expect(existsSync(`/proc/${init}`)).toBe(false);
  expect(cd.run(["containers", "rm", id]).code).toBe(0);
}, 30_000);

// ctr sets no swap limit: on a machine with swap the hog would swap instead.
// These machines have none.
test("--memory-limit: the memory cgroup holds the container, a hog is killed (137)", () => {
  const limit = String(16 * 1024 * 1024);
  const small = cd.run(["run", "--rm", "--memory-limit", limit, IMAGE, cd.id("fits"), "sh", "-c", "dd if=/dev/zero of=/dev/null bs=4M count=1 2>/dev/null && echo fits"]);
  expect(small).toMatchObject({ code: 0, stdout: "fits\n" });
  // dd's buffer is one block: 64 MiB of touched memory.
  const hog = cd.run(["run", "--rm", "--memory-limit", limit, IMAGE, cd.id("hog"), "dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"]);
  expect(hog.code).toBe(137);
});
