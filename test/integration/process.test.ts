// The container's process: env, workdir, user, ulimits, --init, --config.
import { afterAll, expect, test } from "bun:test";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { busyboxTree, cgroupOf, Harness, waitFor } from "./harness.ts";

const h = new Harness();
const root = busyboxTree();
appendFileSync(`${root}/etc/passwd`, "alice:x:1000:1000:Alice:/home/alice:/bin/sh\n");
appendFileSync(`${root}/etc/group`, "alice:x:1000:\nstaff:x:50:alice\n");
const files = mkdtempSync("/tmp/contain-test-files-");

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(files, { recursive: true, force: true });
  h.finish();
});

test("env: defaults, -e, a bare -e KEY from the host, --env-file; later ones win", () => {
  writeFileSync(`${files}/app.env`, "# settings\nMODE=file\nLEVEL=3\n\n");
  const r = h.run(["run", "-q", "--env-file", `${files}/app.env`, "-e", "MODE=test", "-e", "PATH", "--hostname", "box", "--", "/bin/sh", "-c", "echo $MODE $LEVEL $HOSTNAME $HOME; echo $PATH"]);
  expect(r.stdout).toBe(`test 3 box /root\n${process.env.PATH ?? "/usr/bin:/bin"}\n`);
});

test("-w: the working directory, created when missing", () => {
  expect(h.run(["run", "-q", "-w", "/src/app", "--", "/bin/sh", "-c", "pwd; ls -ld . | cut -c1"]).stdout).toBe("/src/app\nd\n");
});

test("--ulimit: soft and hard limits", () => {
  const r = h.run(["run", "-q", "--ulimit", "nofile=512:1024", "--ulimit", "nproc=77", "--", "/bin/sh", "-c", "ulimit -n; ulimit -Hn; ulimit -u"]);
  expect(r.stdout).toBe("512\n1024\n77\n");
});

test("-u UID:GID: id prints them, and new files belong to them", () => {
  const r = h.run(["run", "-q", "-u", "1234:2345", "--", "/bin/sh", "-c", "id -u; id -g; touch /tmp/f; stat -c %u:%g /tmp/f; grep CapEff /proc/self/status"]);
  expect(r.stdout).toBe("1234\n2345\n1234:2345\nCapEff:\t0000000000000000\n");
});

test("-u NAME: uid, gid, supplementary groups and HOME from the rootfs's /etc/passwd and /etc/group", () => {
  const r = h.run(["run", "-q", "--rootfs", root, "-u", "alice", "--", "/bin/sh", "-c", "id; echo $HOME"]);
  expect(r.stdout).toBe("uid=1000(alice) gid=1000(alice) groups=50(staff)\n/home/alice\n");
});

test("--init: SIGTERM and SIGINT stop `sleep 100` at once", async () => {
  for (const [signal, code] of [["SIGTERM", 143], ["SIGINT", 130]] as const) {
    const proc = h.spawn(["run", "-q", "--init", "--", "sleep", "100"]);
    for (let i = 0; i < 100 && !h.ids().some((id) => h.state(id)?.init); i++) await Bun.sleep(20);
    await Bun.sleep(200); // past the exec
    const sent = performance.now();
    proc.kill(signal);
    expect(await proc.exited).toBe(code);
    expect(performance.now() - sent).toBeLessThan(1000);
  }
});

test("--init: PID 1 is the tiny native init, and orphans are reaped", () => {
  const r = h.run(["run", "-q", "--init", "--", "/bin/sh", "-c", "cat /proc/1/comm; grep VmRSS /proc/1/status; sh -c 'sleep 0.1 &'; sleep 0.5; ps -o stat,comm | grep -c Z"]);
  const [comm, rss, zombies] = r.stdout.trim().split("\n");
  expect(comm).toBe("memfd:contain-i"); // comm holds 15 characters
  expect(Number(rss?.match(/\d+/)?.[0])).toBeLessThan(2048); // kB: no Bun in the container
  expect(zombies).toBe("0");
});

test("without --init, the command is PID 1", () => {
  expect(h.run(["run", "-q", "--", "/bin/sh", "-c", "echo $$"]).stdout).toBe("1\n");
});

test("--config: defaults and a preset, overridden by the command line", async () => {
  writeFileSync(
    `${files}/contain.yaml`,
    "defaults:\n  pids: 50\n  env: { LEVEL: default }\npresets:\n  small:\n    memory: 32M\n    env: [SIZE=small]\n    workdir: /work\n",
  );
  const child = h.spawn(["run", "-q", "--config", `${files}/contain.yaml`, "--preset", "small", "-e", "SIZE=cli", "--", "/bin/sh", "-c", "echo $LEVEL $SIZE; pwd; sleep 1"]);
  const id = await waitFor("the container's state", () => h.ids()[0]);
  const dirs = await waitFor("the cgroups", () => cgroupOf(id).length >= 2 && cgroupOf(id));
  const file = (controller: string, name: string) => readFileSync(`${dirs.find((d) => d.includes(`/${controller}/`))}/${name}`, "utf8").trim();
  await waitFor("the limits", () => file("pids", "pids.max") === "50");
  expect(file("memory", "memory.limit_in_bytes")).toBe(String(32 * 1024 * 1024));
  expect(await new Response(child.stdout).text()).toBe("default cli\n/work\n");
  expect(await child.exited).toBe(0);
  const json = `${files}/contain.json`;
  writeFileSync(json, JSON.stringify({ defaults: { hostname: "from-json" } }));
  expect(h.run(["run", "-q", "--config", json, "--", "hostname"]).stdout).toBe("from-json\n");
});
