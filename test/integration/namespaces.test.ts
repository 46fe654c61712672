// --pid, --ipc, --uts host and --pid, --ipc, --network container:NAME: the
// kernel's namespace inodes inside are the host's or the other container's
// init's, in the foreground and detached; the joined container's namespaces
// outlive the joiner.
import { afterAll, expect, test } from "bun:test";
import { readlinkSync } from "node:fs";
import { hostname } from "node:os";
import { Harness, isAlive, waitFor } from "./harness.ts";

const h = new Harness();
afterAll(() => {
  h.finish();
});

const ns = (pid: number | "self", type: string) => readlinkSync(`/proc/${pid}/ns/${type}`);
const initOf = (name: string) => Number(h.run(["inspect", "-f", "{{.State.Pid}}", name]).stdout.trim());
// One readlink a line: busybox's takes one path.
const probe = (types: string[]) => types.map((t) => `readlink /proc/self/ns/${t}`).join("; ");

test("--pid host --ipc host --uts host: the host's namespaces and name, and the host's processes in ps", () => {
  const r = h.run(["run", "-q", "--pid", "host", "--ipc", "host", "--uts", "host", "--", "sh", "-c", `${probe(["pid", "ipc", "uts", "mnt"])}; hostname; echo $HOSTNAME; test -d /proc/${process.pid} && echo sees-us`]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  const [pid, ipc, uts, mnt, name, env, sees] = r.stdout.trim().split("\n");
  expect([pid, ipc, uts]).toEqual([ns("self", "pid"), ns("self", "ipc"), ns("self", "uts")]);
  expect(mnt).not.toBe(ns("self", "mnt"));
  expect([name, env]).toEqual([hostname(), hostname()]);
  expect(sees).toBe("sees-us");
  h.expectClean();
});

test("detached with --pid host: its init is in the host's namespace; inspect says host; nothing else changes", () => {
  const id = h.run(["run", "-q", "-d", "--pid", "host", "--uts", "host", "--", "sleep", "60"]).stdout.trim();
  try {
    const init = initOf(id);
    expect(ns(init, "pid")).toBe(ns("self", "pid"));
    expect(ns(init, "ipc")).not.toBe(ns("self", "ipc"));
    expect(h.run(["inspect", "-f", "{{.HostConfig.PidMode}} {{.HostConfig.IpcMode}} {{.HostConfig.UTSMode}}", id]).stdout).toBe("host private host\n");
  } finally {
    expect(h.run(["rm", "-f", id]).code).toBe(0);
  }
  h.expectClean();
});

test("--pid, --ipc, --network container:web: web's namespaces, its processes and its name; web outlives the joiner", async () => {
  expect(h.run(["run", "-q", "-d", "--name", "web", "--hostname", "webhost", "--", "sleep", "300"]).code).toBe(0);
  try {
    const web = initOf("web");
    const shared = ["--pid", "container:web", "--ipc", "container:web", "--network", "container:web"];
    // Foreground: the namespaces, web's sleep in ps, web's name and /etc/hosts.
    const r = h.run(["run", "-q", ...shared, "--", "sh", "-c", `${probe(["pid", "ipc", "net", "uts"])}; ps -o comm,args | grep -c '^sleep .*sleep 300'; hostname; grep -c webhost /etc/hosts`]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const [pid, ipc, net, uts, sleeps, name, hosts] = r.stdout.trim().split("\n");
    expect([pid, ipc, net]).toEqual([ns(web, "pid"), ns(web, "ipc"), ns(web, "net")]);
    expect(uts).not.toBe(ns(web, "uts"));
    expect([sleeps, name, hosts]).toEqual(["1", "webhost", "1"]);
    expect(isAlive(web)).toBe(true);

    // Detached: the monitor clones the init into web's PID namespace.
    const j = h.run(["run", "-q", "-d", "--name", "joiner", ...shared, "--", "sleep", "200"]);
    expect(j.stderr).toBe("");
    expect(j.code).toBe(0);
    const joiner = initOf("joiner");
    expect(["pid", "ipc", "net"].map((t) => ns(joiner, t))).toEqual(["pid", "ipc", "net"].map((t) => ns(web, t)));
    // Two PIDs: the host's and web's namespace's, where web's sleep is 1.
    expect((await Bun.file(`/proc/${joiner}/status`).text()).match(/NSpid:\s+(.*)/)?.[1]?.split(/\s+/)).toHaveLength(2);
    expect(h.run(["exec", "joiner", "sh", "-c", "cat /proc/1/cmdline"]).stdout).toBe("sleep\0" + "300\0");
    const webId = h.run(["inspect", "-f", "{{.Id}}", "web"]).stdout.trim();
    expect(h.run(["inspect", "-f", "{{.HostConfig.PidMode}} {{.HostConfig.IpcMode}} {{.HostConfig.NetworkMode}} {{.Config.Hostname}}", "joiner"]).stdout).toBe(
      `container:${webId} container:${webId} container:${webId} webhost\n`,
    );
    // A start finds web's namespaces anew: web restarted has a new init.
    expect(h.run(["stop", "-t", "1", "joiner"]).code).toBe(0);
    expect(h.run(["restart", "-t", "1", "web"]).code).toBe(0);
    const web2 = initOf("web");
    expect(web2).not.toBe(web);
    expect(h.run(["start", "joiner"]).code).toBe(0);
    expect(ns(initOf("joiner"), "pid")).toBe(ns(web2, "pid"));
    expect(h.run(["rm", "-f", "joiner"]).code).toBe(0);
    // The joiner's end leaves web's namespaces be.
    expect(isAlive(web2)).toBe(true);
    expect(h.run(["exec", "web", "true"]).code).toBe(0);
    // A joiner of a stopped container does not start.
    expect(h.run(["run", "-q", "-d", "--name", "late", "--pid", "container:web", "--", "sleep", "100"]).code).toBe(0);
    expect(h.run(["stop", "-t", "1", "late"]).code).toBe(0);
    expect(h.run(["stop", "-t", "1", "web"]).code).toBe(0);
    const late = h.run(["start", "late"]);
    expect(late.code).toBe(1);
    expect(late.stderr).toMatch(/^\[contain\] error: container web, whose pid namespace this one shares, is not running; start it first: contain start web\n$/);
    expect(h.run(["rm", "late"]).code).toBe(0);
    await waitFor("web's state", () => h.run(["inspect", "-f", "{{.State.Status}}", "web"]).stdout === "exited\n");
  } finally {
    h.run(["rm", "-f", "joiner", "late", "web"]);
  }
  h.expectClean();
});

test("refused: a container that is not running, itself, and docker's conflicts with --network container:", () => {
  expect(h.run(["run", "-q", "-d", "--name", "gone", "--", "true"]).code).toBe(0);
  expect(h.run(["run", "-q", "-d", "--name", "up", "--", "sleep", "300"]).code).toBe(0);
  try {
    h.run(["wait", "gone"]);
    const before = h.ids().sort();
    for (const [args, message] of [
      [["--ipc", "container:gone"], /^\[contain\] error: --ipc: container gone is not running \(exited\); start it first: contain start gone$/],
      [["--name", "me", "--pid", "container:me"], /^\[contain\] error: --pid: container:me is the container being made; name another container, one that runs$/],
      [["--network", "container:up", "-p", "8080:80"], /^\[contain\] error: --publish: needs --net bridge, not --net container:up; /],
      [["--network", "container:up", "--hostname", "x"], /^\[contain\] error: --hostname: conflicts with --network container: the container takes the other's name; leave one of them out$/],
      [["--network", "container:up", "--dns", "10.0.0.53"], /^\[contain\] error: --dns: conflicts with --net container:up: the container shares the other's \/etc\/hosts and resolv.conf; /],
      [["--network", "container:up", "--add-host", "db:10.0.0.7"], /^\[contain\] error: --add-host: conflicts with --net container:up: /],
    ] as [string[], RegExp][]) {
      const r = h.run(["run", ...args, "--", "true"]);
      expect(r.stderr.trimEnd()).toMatch(message);
      expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
      expect(r.code).toBe(125);
      expect(h.ids().sort()).toEqual(before);
    }
  } finally {
    h.run(["rm", "-f", "gone", "up"]);
  }
  h.expectClean();
});
