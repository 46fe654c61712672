// The output for scripts and eyes, as a docker user types it: ps -q, -a, -n,
// -l, --no-trunc, --filter and --format; inspect -f; stats with NET I/O and
// BLOCK I/O moving with the kernel's counters; CONTAIN_LOG and log:.
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { Harness, waitFor, type Result } from "./harness.ts";
import { ociBundles } from "./oci-bundles.ts";

const h = new Harness();
const { bundle, create, dispose } = ociBundles(h, "format");
afterAll(() => {
  try {
    h.finish();
  } finally {
    dispose();
  }
});

// One line on stderr naming the problem, exit 1 (a management command's), nothing on stdout.
function expectRefused(r: Result, text: string): void {
  expect(r.stdout).toBe("");
  expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
  expect(r.stderr).toStartWith("[contain] error: ");
  expect(r.stderr).toContain(text);
  expect(r.code).toBe(1);
}

const lines = (r: Result) => r.stdout.trimEnd().split("\n").filter(Boolean);

test("ps: -q, -a, -n, -l, --no-trunc, --filter, --format and --json", async () => {
  const up = h.run(["run", "-d", "-q", "--name", "up", "--", "sleep", "60"]).stdout.trim();
  const done = h.run(["run", "-d", "-q", "--name", "done", "--", "sh", "-c", "exit 3"]).stdout.trim();
  expect(h.run(["wait", "done"]).stdout).toBe("3\n");
  // Labels: an OCI container's annotations (contain has no --label yet).
  expect(create("lab", bundle("lab", ["sleep", "60"], (c) => (c.annotations = { tier: "front", team: "" }))).code).toBe(0);
  const labId = h.ids().find((id) => id !== up && id !== done) ?? "";
  const short = (id: string) => id.slice(0, 12);

  // newest first; running and created ones without -a
  expect(lines(h.run(["ps", "-q"]))).toEqual([short(labId), short(up)]);
  expect(lines(h.run(["ps", "-aq"]))).toEqual([short(labId), short(done), short(up)]);
  expect(lines(h.run(["ps", "-a", "-q", "--no-trunc"]))).toEqual([labId, done, up]);
  expect(lines(h.run(["ps", "-n", "2", "-q"]))).toEqual([short(labId), short(done)]);
  expect(lines(h.run(["ps", "-l", "-q"]))).toEqual([short(labId)]);

  // filters: a status or an exit code reaches stopped ones without -a
  const pick = (...f: string[]) => lines(h.run(["ps", "-q", ...f.flatMap((x) => ["-f", x])]));
  expect(pick("status=exited")).toEqual([short(done)]);
  expect(pick("exited=3")).toEqual([short(done)]);
  expect(pick("exited=0")).toEqual([]);
  expect(pick("status=running", "status=exited")).toEqual([short(done), short(up)]);
  expect(pick("name=^u")).toEqual([short(up)]);
  expect(pick(`id=${up.slice(0, 5)}`)).toEqual([short(up)]);
  expect(pick("label=tier=front")).toEqual([short(labId)]);
  expect(pick("label=team")).toEqual([short(labId)]);
  expect(pick("label=tier=back")).toEqual([]);
  expect(pick("status=running", "name=done")).toEqual([]);

  // templates, table, docker's json lines, contain's --json
  expect(lines(h.run(["ps", "-a", "--format", "{{.Names}} {{.State}} {{.Status}}", "-f", "name=^(up|done)$"]))).toEqual([
    expect.stringMatching(/^done exited Exited \(3\) /),
    expect.stringMatching(/^up running Up /),
  ]);
  const table = lines(h.run(["ps", "--format", "table {{.ID}}\\t{{.Names}}\\t{{.Command}}", "-f", "name=up"]));
  expect(table).toEqual(["CONTAINER ID   NAMES     COMMAND", `${short(up)}   up        "sleep 60"`]);
  const json = lines(h.run(["ps", "-a", "--format", "json"])).map((l) => JSON.parse(l));
  expect(json.map((j) => j.Names)).toEqual(["", "done", "up"]);
  expect(json[2]).toMatchObject({ ID: short(up), State: "running", Command: '"sleep 60"', CreatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4} \S+$/) });
  expect(json[0].Labels).toBe("team=,tier=front");
  expect(JSON.parse(h.run(["ps", "-a", "--json"]).stdout).map((c: { name: string | null }) => c.name)).toEqual([null, "done", "up"]);
  expect(h.run(["ps", "--no-trunc", "--format", "{{.ID}}", "-f", "name=up"]).stdout).toBe(`${up}\n`);

  // bad input: one line, exit 1
  expectRefused(h.run(["ps", "--format", "{{.Nope}}"]), "--format: .Nope: no field Nope; the fields there are ID, Names, Image");
  expectRefused(h.run(["ps", "--format", "{{.ID"]), "unclosed action");
  expectRefused(h.run(["ps", "--filter", "colour=red"]), 'unknown filter "colour"');
  expectRefused(h.run(["ps", "-f", "status=up"]), '"up" is not a status');
  expectRefused(h.run(["ps", "-n", "x"]), '--last: "x" is not a number of containers');
  expectRefused(h.run(["ps", "--json", "--format", "json"]), "--json and --format: give one of them");

  expect(h.run(["delete", "-f", "lab"]).code).toBe(0);
  expect(h.run(["rm", "-f", "up", "done"]).code).toBe(0);
  h.expectClean();
});

test("rm -f $(contain ps -aq) removes every container", () => {
  for (const name of ["a", "b"]) expect(h.run(["run", "-d", "-q", "--name", name, "--", "sleep", "60"]).code).toBe(0);
  expect(h.run(["run", "-d", "-q", "--name", "c", "--", "true"]).code).toBe(0);
  const roots = h.rootFlags.join(" ");
  const r = Bun.spawnSync(["sh", "-c", `${h.bin} rm ${roots} -f $(${h.bin} ps ${roots} -aq)`], { stderr: "pipe" });
  expect(r.stderr.toString()).toBe("");
  expect(r.exitCode).toBe(0);
  expect(h.run(["ps", "-aq"]).stdout).toBe("");
  h.expectClean();
});

test("inspect -f: docker's fields, json, index, range; one line per container", async () => {
  const id = h.run(["run", "-d", "-q", "--name", "web", "-m", "64M", "--", "sleep", "60"]).stdout.trim();
  const pid = JSON.parse(h.run(["inspect", "web"]).stdout)[0].State.Pid;
  expect(pid).toBeGreaterThan(1);
  expect(h.run(["inspect", "-f", "{{.State.Status}} {{.State.Pid}} {{.State.ExitCode}} {{.State.OOMKilled}} {{.Name}} {{.HostConfig.Memory}}", "web"]).stdout).toBe(
    `running ${pid} 0 false /web ${64 << 20}\n`,
  );
  expect(JSON.parse(h.run(["inspect", "--format", "{{json .Config}}", "web"]).stdout)).toMatchObject({ Cmd: ["sleep", "60"], Hostname: id.slice(0, 12), Labels: {} });
  expect(h.run(["inspect", "-f", '{{index .Config.Labels "k"}}', "web"]).stdout).toBe("<no value>\n");
  expect(h.run(["inspect", "-f", "{{range .Config.Cmd}}[{{.}}]{{end}}", "web"]).stdout).toBe("[sleep][60]\n");
  expect(h.run(["inspect", "-f", "{{range .Mounts}}{{if eq .Destination \"/proc\"}}{{.Type}}{{end}}{{end}}", "web"]).stdout).toBe("proc\n");

  // An OOM kill is recorded at the release, for OOMKilled.
  const hog = h.run(["run", "-d", "-q", "--name", "hog", "-m", "8M", "--", "sh", "-c", "x=$(head -c 64000000 /dev/zero | tr '\\0' a); sleep 60"]).stdout.trim();
  await waitFor("the OOM kill recorded", () => JSON.parse(h.run(["inspect", "hog"]).stdout)[0].State.OOMKilled === true, 20_000);
  expect(h.run(["inspect", "-f", "{{.State.Status}} {{.State.ExitCode}} {{.State.OOMKilled}}", "hog", "web"]).stdout).toBe("exited 137 true\nrunning 0 false\n");
  expect(hog).toHaveLength(64);

  // A container that is not there: its error line, the others' lines, exit 1.
  const some = h.run(["inspect", "-f", "{{.Name}}", "web", "ghost", "hog"]);
  expect(some.stdout).toBe("/web\n/hog\n");
  expect(some.stderr).toContain("no such object: ghost");
  expect(some.code).not.toBe(0);
  expectRefused(h.run(["inspect", "-f", "{{.State.Nope}}", "web"]), ".State.Nope: no field Nope; the fields there are Status, Running, Restarting, Paused, OOMKilled, Pid, ExitCode, StartedAt, FinishedAt");
  expectRefused(h.run(["inspect", "-f", "{{if .Id}}", "web"]), "{{if .Id}} has no {{end}}");
  expect(h.run(["rm", "-f", "web", "hog"]).code).toBe(0);
  h.expectClean();
}, 40_000);

// The whole disk a directory lives on, as MAJ:MIN.
function diskOf(dir: string): string {
  const dev = statSync(dir).dev;
  const major = Number((BigInt(dev) >> 8n) & 0xfffn);
  const minor = Number((BigInt(dev) & 0xffn) | ((BigInt(dev) >> 12n) & ~0xffn));
  const sys = `/sys/dev/block/${major}:${minor}`;
  return existsSync(`${sys}/partition`) ? readFileSync(`${resolve(dirname(sys), dirname(readlinkSync(sys)))}/dev`, "utf8").trim() : `${major}:${minor}`;
}

test("stats: NET I/O from the veth, BLOCK I/O from the cgroup, --format, json; - without a network of its own", async () => {
  const vol = mkdtempSync("/tmp/contain-test-blockio-");
  try {
    // cgroup v1's blkio counts only on disks where blk-throttle is active
    // (Linux 6.6+ starts it at the first throttle rule set on the disk):
    // a rule of 0, no limit, in a scratch cgroup starts it, as any
    // --device-read-bps would. v2's io.stat always counts.
    if (existsSync("/sys/fs/cgroup/blkio/blkio.throttle.io_service_bytes")) {
      const scratch = "/sys/fs/cgroup/blkio/contain-test-blockio";
      mkdirSync(scratch, { recursive: true });
      try {
        writeFileSync(`${scratch}/blkio.throttle.read_bps_device`, `${diskOf(vol)} 0`);
      } finally {
        rmdirSync(scratch);
      }
    }
    // Local traffic only: pings to the bridge's gateway; block I/O with
    // O_DIRECT (v1 charges buffered writes to the kernel's writeback).
    const script = [
      "gw=$(ip route | awk '/^default/ {print $3}')",
      "ping -c 5 -s 1000 -W 1 $gw >/dev/null",
      "dd if=/dev/zero of=/data/f bs=4k count=512 oflag=direct 2>/dev/null",
      "dd if=/data/f of=/dev/null bs=4k iflag=direct 2>/dev/null",
      "echo done",
      "sleep 60",
    ].join("; ");
    h.run(["run", "-d", "-q", "--name", "io", "-v", `${vol}:/data`, "--", "sh", "-c", script]);
    h.run(["run", "-d", "-q", "--name", "alone", "--net", "none", "--", "sleep", "60"]);
    await waitFor("the traffic and the I/O", () => h.run(["logs", "io"]).stdout.includes("done"), 20_000);

    const table = lines(h.run(["stats", "--no-stream", "io", "alone"]));
    expect(table[0]).toMatch(/^ID +NAME +CPU % +MEM USAGE \/ LIMIT +MEM % +NET I\/O +BLOCK I\/O +PIDS$/);
    const [io] = lines(h.run(["stats", "--no-stream", "--format", "json", "io"])).map((l) => JSON.parse(l));
    const bytes = (s: string) => {
      const m = /^([\d.]+)(B|kB|MB|GB)$/.exec(s) ?? ["", "0", "B"];
      return Number(m[1]) * { B: 1, kB: 1e3, MB: 1e6, GB: 1e9 }[m[2] as "B"];
    };
    const [rx = "", tx = ""] = io.NetIO.split(" / ");
    // 5 pings of 1000 bytes each way, at least
    expect(bytes(rx)).toBeGreaterThanOrEqual(5000);
    expect(bytes(tx)).toBeGreaterThanOrEqual(5000);
    const [read = "", written = ""] = io.BlockIO.split(" / ");
    expect(bytes(read)).toBeGreaterThanOrEqual(2_000_000);
    expect(bytes(written)).toBeGreaterThanOrEqual(2_000_000);
    expect(io).toMatchObject({ Name: "io", PIDs: "1", CPUPerc: expect.stringMatching(/^\d+\.\d\d%$/) });

    const alone = lines(h.run(["stats", "--no-stream", "--format", "{{.Name}} {{.NetIO}}", "alone"]));
    expect(alone).toEqual(["alone -"]);
    const custom = lines(h.run(["stats", "--no-stream", "--format", "table {{.Name}}\\t{{.PIDs}}", "io"]));
    expect(custom).toEqual(["NAME      PIDS", "io        1"]);
    expectRefused(h.run(["stats", "--no-stream", "--format", "{{.Nope}}"]), "no field Nope; the fields there are ID, Name, CPUPerc");
    expect(h.run(["rm", "-f", "io", "alone"]).code).toBe(0);
  } finally {
    rmSync(vol, { recursive: true, force: true });
  }
  h.expectClean();
}, 40_000);

test("CONTAIN_LOG and the config file's log: set the default verbosity; steps name the short ID", () => {
  const steps = h.run(["run", "--net", "none", "--", "true"]);
  expect(steps.code).toBe(0);
  expect(steps.stderr).toContain("[contain] mounting overlay:");
  expect(steps.stderr).not.toMatch(/[0-9a-f]{64}/);
  expect(steps.stderr).toMatch(/the writable layer of container [0-9a-f]{12}\n/);

  expect(h.run(["run", "--net", "none", "--", "echo", "hi"], { env: { CONTAIN_LOG: "quiet" } })).toMatchObject({ code: 0, stdout: "hi\n", stderr: "" });
  const debug = h.run(["run", "--net", "none", "--", "true"], { env: { CONTAIN_LOG: "debug" } });
  expect(debug.stderr).toMatch(/overlay upper \/\S+\/containers\/[0-9a-f]{64}\/rootfs\/upper/);
  // the line wins
  expect(h.run(["run", "--no-quiet", "--net", "none", "--", "true"], { env: { CONTAIN_LOG: "quiet" } }).stderr).toContain("[contain] running: true");
  expect(h.run(["run", "-q", "--net", "none", "--", "true"], { env: { CONTAIN_LOG: "debug" } }).stderr).toBe("");

  const dir = mkdtempSync("/tmp/contain-test-log-");
  try {
    writeFileSync(`${dir}/quiet.yaml`, "log: quiet\n");
    expect(h.run(["run", "--config", `${dir}/quiet.yaml`, "--net", "none", "--", "true"]).stderr).toBe("");
    expect(h.run(["run", "--config", `${dir}/quiet.yaml`, "--net", "none", "--", "true"], { env: { CONTAIN_LOG: "info" } }).stderr).toContain("[contain] running: true");
    writeFileSync(`${dir}/loud.yaml`, "log: loud\n");
    const bad = h.run(["run", "--config", `${dir}/loud.yaml`, "--", "true"]);
    expect(bad.stderr).toBe("[contain] error: --config " + `${dir}/loud.yaml: log: must be one of quiet, info, debug (got "loud"); settings are contain run's long flag names under defaults: or presets.NAME:, and log: quiet|info|debug\n`);
    expect(bad.code).toBe(125);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const env = h.run(["run", "--", "true"], { env: { CONTAIN_LOG: "loud" } });
  expect(env.stderr).toBe('[contain] error: CONTAIN_LOG: "loud" is not a log level; use quiet, info, debug, or unset it\n');
  expect(env.code).not.toBe(0);
  expect(h.run(["ps", "-a"], { env: { CONTAIN_LOG: "loud" } }).code).not.toBe(0);
  h.expectClean();
});
