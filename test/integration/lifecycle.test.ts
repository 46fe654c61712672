// A named, detached container through its whole life, as a person drives it:
// run -d, ps, exec, logs, stats, inspect, stop (escalating to SIGKILL), ps -a,
// wait, rm; and exec's terminal and exit codes.
import { afterAll, expect, test } from "bun:test";
import { readFileSync, readlinkSync } from "node:fs";
import { cgroupOf, Harness, isAlive, waitFor } from "./harness.ts";

const h = new Harness();
afterAll(() => {
  h.finish();
});

// Ignores SIGTERM, so `stop` has to escalate; prints once it is set up.
const STUBBORN = ["sh", "-c", 'trap "" TERM; echo ready; echo to-stderr >&2; while true; do sleep 1; done'];

test("run -d, ps, exec, logs, stats, inspect, stop, ps -a, wait, rm", async () => {
  const started = h.run(["run", "-d", "-q", "--name", "web", "--memory", "64M", "--", ...STUBBORN]);
  expect(started.code).toBe(0);
  const id = started.stdout.trim();
  expect(id).toMatch(/^[0-9a-f]{64}$/);
  expect(started.stderr).toBe("");

  // ps: a row with the short ID, the name, the init's host PID, Up, and MEM as current/limit.
  const ps = h.run(["ps"]);
  expect(ps.code).toBe(0);
  const [header, row, ...more] = ps.stdout.trimEnd().split("\n");
  expect(header).toMatch(/^ID +NAME +PID +STATUS +CREATED +COMMAND +MEM +PORTS$/);
  expect(more).toEqual([]);
  expect(row).toMatch(new RegExp(`^${id.slice(0, 12)} +web +\\d+ +Up (Less than a second|\\d+ seconds?) +.* ago +"sh -c trap .*" +[\\d.]+[KM]?/64M$`));
  const pid = Number(row?.split(/ +/)[2]);
  expect(isAlive(pid)).toBe(true);
  expect(readFileSync(`/proc/${pid}/cmdline`, "utf8")).toStartWith("sh\0-c\0");

  // list is ps; --json carries the same.
  const list = h.run(["ps"]).stdout.trimEnd().split("\n");
  expect(list[0]).toBe(header);
  expect(list[1]?.split(/ +/).slice(0, 3)).toEqual(row?.split(/ +/).slice(0, 3));
  const json = JSON.parse(h.run(["ps", "--json"]).stdout);
  expect(json).toHaveLength(1);
  expect(json[0]).toMatchObject({ id, name: "web", pid, status: "running", exitCode: null, command: STUBBORN });
  expect(json[0].memory.limit).toBe(64 * 2 ** 20);

  // exec: the container's hostname and PID namespace, and its cgroups (the
  // cgroup namespace's root is the container's cgroup: every line ends in ":/").
  const inside = h.run(["exec", "web", "--", "sh", "-c", "hostname; readlink /proc/self/ns/pid; readlink /proc/self/ns/mnt; cat /proc/self/cgroup; echo $$"]);
  expect(inside.code).toBe(0);
  const lines = inside.stdout.trim().split("\n");
  expect(lines[0]).toBe(id.slice(0, 12));
  expect(lines[1]).toBe(readlinkSync(`/proc/${pid}/ns/pid`));
  expect(lines[1]).not.toBe(readlinkSync("/proc/self/ns/pid"));
  expect(lines[2]).toBe(readlinkSync(`/proc/${pid}/ns/mnt`));
  const cgroupLines = lines.slice(3, -1);
  expect(cgroupLines.length).toBeGreaterThan(0);
  for (const l of cgroupLines) expect(l).toMatch(/:\/$/);
  expect(Number(lines.at(-1))).toBeGreaterThan(1); // a new pid in the container's namespace
  // From the host: a process of exec's is in the container's own cgroup directories.
  const bg = h.spawn(["exec", "web", "--", "sleep", "5"]);
  const dirs = cgroupOf(id.slice(0, 12));
  expect(dirs.length).toBeGreaterThan(0);
  const sleeper = await waitFor("exec's sleep", () => {
    const procs = readFileSync(`${dirs[0]}/cgroup.procs`, "utf8").trim().split("\n").map(Number);
    return procs.find((p) => p !== pid && readFileSync(`/proc/${p}/cmdline`, "utf8").startsWith("sleep"));
  });
  for (const d of dirs) expect(readFileSync(`${d}/cgroup.procs`, "utf8").split("\n")).toContain(String(sleeper));
  bg.kill("SIGKILL");
  await bg.exited;
  await waitFor("exec's process to die with its exec", () => !isAlive(sleeper));

  // exec: the container's env plus -e, -w
  const env = h.run(["exec", "-e", "MODE=test", "-w", "/tmp", "web", "--", "sh", "-c", 'echo "$MODE $PATH $(pwd)"']);
  expect(env.stdout).toBe("test /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin /tmp\n");
  const user = h.run(["exec", "-u", "nobody", "web", "--", "id"]);
  expect(user.stdout).toMatch(/^uid=65534\(nobody\) gid=65534/);

  // logs: stdout and stderr of the container, each on its own, --tail
  const logs = await waitFor("the log", () => {
    const r = h.run(["logs", "web"]);
    return r.stderr.includes("to-stderr") && r;
  });
  expect(logs.stdout).toBe("ready\n");
  expect(logs.stderr).toBe("to-stderr\n");
  const tail = h.run(["logs", "--tail", "1", "web"]);
  expect([tail.stdout, tail.stderr]).toEqual(["", "to-stderr\n"]);

  // stats --no-stream: one row, memory against the limit, pids from the cgroup
  const stats = h.run(["stats", "--no-stream", "web"]);
  expect(stats.code).toBe(0);
  const statsRow = stats.stdout.trimEnd().split("\n");
  expect(statsRow[0]).toMatch(/^ID +NAME +CPU % +MEM USAGE \/ LIMIT +MEM % +NET I\/O +BLOCK I\/O +PIDS$/);
  expect(statsRow[1]).toMatch(new RegExp(`^${id.slice(0, 12)} +web +[\\d.]+% +[\\d.]+[KM]? / 64M +[\\d.]+% +[\\d.]+k?B / [\\d.]+k?B +(-|[\\d.]+[kMG]?B / [\\d.]+[kMG]?B) +[1-9]\\d*$`));

  // inspect: config, state, pid, cgroup paths, mounts
  const [info] = JSON.parse(h.run(["inspect", "web"]).stdout);
  expect(info).toMatchObject({ Id: id, Name: "/web", State: { Status: "running", Running: true, Pid: pid }, Config: { Cmd: STUBBORN }, HostConfig: { Memory: 64 * 2 ** 20 } });
  expect(info.Spec.process.args).toEqual(STUBBORN);
  expect(info.Spec.linux.resources.memory.limit).toBe(64 * 2 ** 20);
  expect(Object.values(info.Cgroup.paths)).toEqual(expect.arrayContaining(dirs));
  const targets = info.Mounts.map((m: { Destination: string }) => m.Destination);
  // its own cgroups' view (cgroupfs.test.ts) below /sys
  const top = targets.filter((t: string) => !t.startsWith("/sys/fs/cgroup/"));
  expect(top.slice(0, 11)).toEqual(["/", "/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/sys/fs/cgroup", "/etc/hostname", "/etc/hosts", "/etc/resolv.conf"]);
  expect(targets).toContain("/sys/fs/cgroup/memory");
  expect(targets).toContain("/proc/sys"); // read-only, after the masks

  // stop: SIGTERM is ignored, SIGKILL after -t 1
  const t0 = performance.now();
  const stop = h.run(["stop", "-t", "1", "web"]);
  const took = performance.now() - t0;
  expect(stop.code).toBe(0);
  expect(stop.stdout).toBe("web\n");
  expect(took).toBeGreaterThan(1000);
  expect(took).toBeLessThan(5000);
  expect(isAlive(pid)).toBe(false);
  // Released by the monitor's clean-up, which goes on after stop returns.
  await waitFor("the release", () => cgroupOf(id.slice(0, 12)).length === 0 && h.monitors().length === 0);

  // ps hides it, ps -a shows Exited (137), wait prints 137
  expect(h.run(["ps"]).stdout.trimEnd().split("\n")).toHaveLength(1);
  expect(h.run(["ps", "-a"]).stdout).toMatch(new RegExp(`${id.slice(0, 12)} +web +Exited \\(137\\) (Less than a second|\\d+ seconds?) ago`));
  expect(h.run(["wait", "web"]).stdout).toBe("137\n");
  expect(JSON.parse(h.run(["inspect", id.slice(0, 5)]).stdout)[0].State).toMatchObject({ Status: "exited", Running: false, ExitCode: 137, OOMKilled: false });

  // the log outlives the container, until rm
  const kept = h.run(["logs", "web"]);
  expect([kept.stdout, kept.stderr]).toEqual(["ready\n", "to-stderr\n"]);
  const rm = h.run(["rm", "web"]);
  expect(rm.code).toBe(0);
  expect(h.run(["ps", "-a"]).stdout.trimEnd().split("\n")).toHaveLength(1);
  h.expectClean();
}, 30_000);

test("a detached container that exits on its own: its code, then rm; --rm leaves nothing", async () => {
  const id = h.run(["run", "-d", "-q", "--", "sh", "-c", "echo bye; exit 7"]).stdout.trim();
  expect(h.run(["wait", id.slice(0, 8)]).stdout).toBe("7\n");
  await waitFor("the release", () => cgroupOf(id.slice(0, 12)).length === 0 && h.monitors().length === 0);
  expect(h.run(["ps", "-a"]).stdout).toMatch(/Exited \(7\)/);
  expect(h.run(["logs", id]).stdout).toBe("bye\n");
  expect(h.run(["rm", id]).code).toBe(0);

  const gone = h.run(["run", "-d", "-q", "--rm", "--", "true"]).stdout.trim();
  expect(gone).toMatch(/^[0-9a-f]{64}$/);
  await waitFor("--rm to remove it", () => h.ids().length === 0);
  h.expectClean();
});

test("stop releases a detached container itself: once it returns, no cgroup is left and a --rm one is gone", async () => {
  const id = h.run(["run", "-d", "-q", "--name", "r", "--", "sleep", "60"]).stdout.trim();
  expect(h.run(["stop", "-t", "0", "r"]).code).toBe(0);
  // No wait: the monitor handed the container over to the stop (src/runtime/handover.ts).
  expect(cgroupOf(id.slice(0, 12))).toEqual([]);
  expect((h.state(id) as { released?: boolean } | undefined)?.released).toBe(true);
  expect(h.run(["ps", "-a"]).stdout).toMatch(/Exited \(137\)/);
  await waitFor("the monitor's end", () => h.monitors().length === 0);
  expect(h.run(["rm", "r"]).code).toBe(0);

  h.run(["run", "-d", "-q", "--rm", "--name", "g", "--", "sleep", "60"]);
  expect(h.run(["stop", "-t", "0", "g"]).code).toBe(0);
  expect(h.ids()).toEqual([]);
  h.expectClean();
});

test("kill -s sends the signal to PID 1; rm -f kills a running one", async () => {
  h.run(["run", "-d", "-q", "--name", "k", "--", "sh", "-c", "trap 'exit 42' USR1; while true; do sleep 0.1; done"]);
  expect(h.run(["kill", "-s", "USR1", "k"]).code).toBe(0);
  expect(h.run(["wait", "k"]).stdout).toBe("42\n");
  expect(h.run(["rm", "k"]).code).toBe(0);

  h.run(["run", "-d", "-q", "--name", "f", "--", "sleep", "60"]);
  const rm = h.run(["rm", "-f", "f"]);
  expect(rm.code).toBe(0);
  expect(rm.stdout).toBe("f\n");
  h.expectClean();
});

test("exec -t: a pty of the container's own devpts; exit codes propagate", () => {
  h.run(["run", "-d", "-q", "--name", "t", "--", "sleep", "60"]);
  const tty = h.run(["exec", "-t", "t", "--", "tty"]);
  expect(tty.code).toBe(0);
  expect(tty.stdout.trim()).toMatch(/^\/dev\/pts\/\d+$/);
  expect(h.run(["exec", "t", "--", "tty"]).stdout.trim()).toBe("not a tty");
  expect(h.run(["exec", "t", "--", "sh", "-c", "exit 5"]).code).toBe(5);
  expect(h.run(["exec", "-t", "t", "--", "sh", "-c", "exit 6"]).code).toBe(6);
  expect(h.run(["exec", "t", "--", "sh", "-c", "kill -9 $$"]).code).toBe(137);
  // -i: stdin reaches the command; without it, /dev/null
  expect(h.run(["exec", "-i", "t", "--", "cat"], { stdin: "piped\n" }).stdout).toBe("piped\n");
  expect(h.run(["exec", "t", "--", "cat"], { stdin: "piped\n" }).stdout).toBe("");
  const missing = h.run(["exec", "t", "--", "nothere"]);
  expect(missing.code).toBe(127);
  expect(missing.stderr).toBe(
    "[contain] error: nothere: executable file not found in $PATH (searched PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin); check the name, or give the full path\n",
  );
  expect(h.run(["exec", "t", "--", "/etc/passwd"]).code).toBe(126);
  expect(h.run(["rm", "-f", "t"]).code).toBe(0);
  h.expectClean();
});

test("logs -f follows until the container stops; stats refreshes every second", async () => {
  h.run(["run", "-d", "-q", "--name", "talker", "--", "sh", "-c", "echo one; sleep 1; echo two; sleep 60"]);
  const follow = h.spawn(["logs", "-f", "talker"]);
  const stats = h.spawn(["stats", "talker"]);
  await waitFor("the second line", () => h.run(["logs", "talker"]).stdout.includes("two"));
  await Bun.sleep(1200);
  stats.kill("SIGTERM");
  const tables = (await new Response(stats.stdout).text()).split("\n").filter((l) => l.startsWith("ID "));
  expect(tables.length).toBeGreaterThanOrEqual(2);
  expect(h.run(["stop", "-t", "0", "talker"]).code).toBe(0);
  expect(await follow.exited).toBe(0); // it ends with the container
  expect(await new Response(follow.stdout).text()).toBe("one\ntwo\n");
  expect(h.run(["rm", "talker"]).code).toBe(0);
  h.expectClean();
}, 20_000);
