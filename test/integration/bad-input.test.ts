// Every bad input: one clear line on stderr naming the problem and the fix,
// exit 125, and nothing left behind.
import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, rmdirSync, writeFileSync } from "node:fs";
import { BIN, Harness } from "./harness.ts";

const h = new Harness();
const notADir = `${h.root}.file`;
writeFileSync(notADir, "");
const commaRoot = `${h.root}.a,b`;
mkdirSync(commaRoot);
const badSeccomp = `${h.root}.seccomp.json`;
writeFileSync(badSeccomp, '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [');
const wrongSeccomp = `${h.root}.seccomp2.json`;
writeFileSync(wrongSeccomp, '{"defaultAction": "SCMP_ACT_NOPE"}');
const badConfig = `${h.root}.config.yaml`;
writeFileSync(badConfig, "presets:\n  small:\n    memory: [64M]\n");
const config = `${h.root}.config2.yaml`;
writeFileSync(config, "presets:\n  small:\n    memory: 64M\n  noroot:\n    rootfs: ''\n");
const numbersConfig = `${h.root}.config3.yaml`;
writeFileSync(numbersConfig, "defaults:\n  env: [1, 2]\n");
afterAll(() => {
  Bun.spawnSync(["rm", "-rf", commaRoot]);
  Bun.spawnSync(["rm", "-f", notADir, badSeccomp, wrongSeccomp, badConfig, config, numbersConfig]);
  h.finish();
});

// A tmpfs of its own at a temporary mount point, unmounted (and the point
// removed) whatever the test does.
function withMount<T>(mountArgs: string[], use: (dir: string) => T): T {
  const dir = mkdtempSync("/tmp/contain-test-mnt-");
  expect(Bun.spawnSync(["mount", ...mountArgs, dir]).exitCode).toBe(0);
  try {
    return use(dir);
  } finally {
    Bun.spawnSync(["umount", dir]);
    rmdirSync(dir);
  }
}

test.each<[string, string[], RegExp]>([
  ["a missing rootfs", ["--rootfs", "/nonexistent/root", "--", "sh"], /^\[contain\] error: --rootfs: \/nonexistent\/root does not exist; pass a directory/],
  ["a rootfs overlayfs cannot take as a lower layer", ["--rootfs", commaRoot, "--", "sh"], /^\[contain\] error: --rootfs: \S+ contains ',', ':' or '\\', which overlayfs options cannot hold; move or link the root filesystem to a plain path, or use --no-overlay/],
  ["a rootfs that is a file", ["--rootfs", notADir, "--", "sh"], /^\[contain\] error: --rootfs: \S+ is not a directory; /],
  ["a working directory that is a file in the container", ["-q", "-w", "/etc/passwd", "--", "sh"], /^\[contain\] error: --workdir \/etc\/passwd: not a directory in the container; use a directory of the container/],
  ["a working directory too long for the kernel", ["-q", "-w", `/${"d".repeat(5000)}`, "--", "sh"], /^\[contain\] error: --workdir: 5001 characters is a path too long for the kernel; /],
  ["--memory 64X", ["--memory", "64X", "--", "sh"], /^\[contain\] error: --memory: invalid size "64X"; use bytes or a number with a K, M or G suffix/],
  ["--memory -1", ["--memory", "-1", "--", "sh"], /^\[contain\] error: --memory: invalid size "-1"; /],
  ["--memory 0", ["--memory", "0", "--", "sh"], /^\[contain\] error: --memory: 0 is below the smallest limit that works \(1M\); use at least 1M/],
  ["--memory below the smallest limit", ["--memory", "512K", "--", "sh"], /^\[contain\] error: --memory: 512K is below the smallest limit that works/],
  ["--pids 0", ["--pids", "0", "--", "sh"], /^\[contain\] error: --pids: 0 allows no process at all; use 1 to 4194304, or -1 for no limit/],
  ["--cpu 0", ["--cpu", "0", "--", "sh"], /^\[contain\] error: --cpu: 0 CPUs is not a limit; /],
  ["more CPUs than the machine has", ["--cpu", "64", "--", "sh"], /^\[contain\] error: --cpu: \d+(\.\d+)? CPUs is more than this machine has \(\d+\); use at most --cpu \d+/],
  ["a hostname over 64 characters", ["--hostname", "h".repeat(65), "--", "sh"], /^\[contain\] error: --hostname: "h+" is longer than 64 characters; /],
  ["a hostname with invalid characters", ["--hostname", "my_box!", "--", "sh"], /^\[contain\] error: --hostname: "my_box!" has invalid characters/],
  ["an unknown flag", ["--memroy", "64M", "--", "sh"], /^\[contain\] error: --memroy: unknown flag; did you mean --memory\? see 'contain run --help'/],
  ["no command", ["--memory", "64M"], /^\[contain\] error: command: no command given; give the command after --/],
  ["a volume whose host path is missing", ["-v", "/nonexistent/data:/data", "--", "sh"], /^\[contain\] error: --volume: host path \/nonexistent\/data does not exist; create it first/],
  ["a volume with a relative container path", ["-v", "/tmp:data", "--", "sh"], /^\[contain\] error: --volume: container path "data" is not absolute; start it with \//],
  ["a volume with .. in the container path", ["-v", "/tmp:/data/../etc", "--", "sh"], /^\[contain\] error: --volume: container path "\/data\/..\/etc" contains ".."; /],
  ["a volume with mode rx", ["-v", "/tmp:/data:rx", "--", "sh"], /^\[contain\] error: --volume: "\/tmp:\/data:rx": unknown mode "rx"; use ro or rw/],
  ["a tmpfs with an unknown option", ["--tmpfs", "/t:bogus", "--", "sh"], /^\[contain\] error: --tmpfs: "\/t:bogus": unknown option "bogus"; /],
  ["an unknown user", ["-u", "nosuchuser", "--", "sh"], /^\[contain\] error: --user: no user "nosuchuser" in the root filesystem's \/etc\/passwd; use a numeric id/],
  ["an unknown group", ["-u", "0:nosuchgroup", "--", "sh"], /^\[contain\] error: --user: no group "nosuchgroup" in the root filesystem's \/etc\/group; /],
  ["bad env syntax", ["-e", "=oops", "--", "sh"], /^\[contain\] error: --env: "=oops" is not KEY=VALUE; e\.g\. --env MODE=test/],
  ["a missing env file", ["--env-file", "/nonexistent.env", "--", "sh"], /^\[contain\] error: --env-file: cannot read \/nonexistent\.env: ENOENT; /],
  ["an unknown capability", ["--cap-add", "SYS_MAGIC", "--", "sh"], /^\[contain\] error: --cap-add: unknown capability "SYS_MAGIC"; use a name from capabilities\(7\)/],
  ["a bad ulimit", ["--ulimit", "nofiles=10", "--", "sh"], /^\[contain\] error: --ulimit: "nofiles=10" is not NAME=SOFT\[:HARD\] with a known name; /],
  ["a ulimit with soft above hard", ["--ulimit", "nofile=10:5", "--", "sh"], /^\[contain\] error: --ulimit: "nofile=10:5": the soft limit is above the hard limit; /],
  ["a relative workdir", ["-w", "src", "--", "sh"], /^\[contain\] error: --workdir: container path "src" is not absolute; /],
  ["a malformed seccomp file", ["--security-opt", `seccomp=${badSeccomp}`, "--", "sh"], /^\[contain\] error: --security-opt seccomp: \S+ is not valid JSON: .*; fix the file/],
  ["a seccomp file with an unknown action", ["--security-opt", `seccomp=${wrongSeccomp}`, "--", "sh"], /^\[contain\] error: \S+: defaultAction: "SCMP_ACT_NOPE" is not a seccomp action; /],
  ["an unknown security option", ["--security-opt", "apparmor=foo", "--", "sh"], /^\[contain\] error: --security-opt: unknown option "apparmor=foo"; use seccomp=unconfined/],
  ["a config file with a wrong type", ["--config", badConfig, "--preset", "small", "--", "sh"], /^\[contain\] error: --config \S+: presets\.small\.memory: must be a string or a number \(got \["64M"\]\); settings are/],
  ["a config file that is not there", ["--config", badConfig.replace("config", "x"), "--", "sh"], /^\[contain\] error: --config: cannot read \S+: ENOENT; /],
  ["--preset without --config", ["--preset", "small", "--", "sh"], /^\[contain\] error: --preset: needs --config FILE to take presets from; /],
  // An empty --rootfs is the current directory to resolve(); the host's root
  // is known by its device and inode, whatever the spelling.
  ["an empty rootfs", ["--rootfs", "", "--", "sh"], /^\[contain\] error: --rootfs: the path is empty; give the directory of an unpacked root filesystem \(is a variable unset\?\), or leave --rootfs out/],
  ["an empty rootfs from --config", ["--config", config, "--preset", "noroot", "--", "sh"], /^\[contain\] error: --rootfs: the path is empty; /],
  ["the host's root as /.", ["--rootfs", "/.", "--", "sh"], /^\[contain\] error: --rootfs: \/ is the host's root directory; give the directory of an unpacked root filesystem, or leave --rootfs out/],
  ["the host's root as //", ["--rootfs", "//", "--", "sh"], /^\[contain\] error: --rootfs: \/ is the host's root directory; /],
  // What the limit is, and the fix.
  ["--cpus too large for a quota", ["--cpus", "1e308", "--", "sh"], /^\[contain\] error: --cpus: 1e\+308 CPUs is more than any machine has; use at most the number of CPUs here \(nproc\), e.g. --cpus 1$/],
  ["--pids past any number", ["--pids", "99999999999999999999", "--", "sh"], /^\[contain\] error: --pids: 99999999999999999999 is out of range; use 1 to 4194304, or -1 for no limit, e.g. --pids 64$/],
  ["--pids above the kernel's limit", ["--pids-limit", "4194305", "--", "sh"], /^\[contain\] error: --pids-limit: 4194305 is above the kernel's limit of 4194304 processes; use 1 to 4194304, or -1 for no limit/],
  // Accepted before, wrongly.
  ["--cpus in hex", ["--cpus", "0x1", "--", "sh"], /^\[contain\] error: --cpus: "0x1" is not a number; e.g. --cpus 0.5$/],
  ["--memory with a space before it", ["--memory", " 64M", "--", "sh"], /^\[contain\] error: --memory: invalid size " 64M"; /],
  ...["toString", "hasOwnProperty", "constructor", "__proto__"].map((name): [string, string[], RegExp] => [
    `--preset ${name}, which every object has`,
    ["--config", config, "--preset", name, "--", "sh"],
    new RegExp(`^\\[contain\\] error: --preset: no preset "${name}" in \\S+; presets there: small, noroot$`),
  ]),
  // docker's everyday flags (issue 16, part A)
  ["--mount with an unknown key", ["--mount", "type=bind,source=/tmp,target=/d,bogus=1", "--", "sh"], /^\[contain\] error: --mount: "type=bind,source=\/tmp,target=\/d,bogus=1": unknown key "bogus" for type=bind; use type, source, target, readonly, bind-propagation$/],
  ["--mount without a target", ["--mount", "type=tmpfs,tmpfs-size=1M", "--", "sh"], /^\[contain\] error: --mount: "type=tmpfs,tmpfs-size=1M": no target; give the container path, e.g. --mount type=bind,/],
  ["--mount of a volume", ["--mount", "type=volume,target=/d", "--", "sh"], /^\[contain\] error: --mount: "type=volume,target=\/d": type "volume" is not supported; use type=bind or type=tmpfs/],
  ["--mount of a missing host path", ["--mount", "type=bind,src=/nonexistent/data,dst=/d", "--", "sh"], /^\[contain\] error: --mount: host path \/nonexistent\/data does not exist; create it first/],
  ["--mount with a tmpfs key on a bind", ["--mount", "type=bind,src=/tmp,dst=/d,tmpfs-size=1M", "--", "sh"], /^\[contain\] error: --mount: .*: unknown key "tmpfs-size" for type=bind; /],
  ["--shm-size 64X", ["--shm-size", "64X", "--", "sh"], /^\[contain\] error: --shm-size: invalid size "64X"; use bytes or a number with a K, M or G suffix/],
  ["--shm-size 0", ["--shm-size", "0", "--", "sh"], /^\[contain\] error: --shm-size: 0 would be no limit: tmpfs takes size=0 as unlimited; give a size, e.g. --shm-size 256M$/],
  ["--shm-size with a mount at /dev/shm", ["--shm-size", "1M", "--tmpfs", "/dev/shm", "--", "sh"], /^\[contain\] error: --shm-size: and a mount at \/dev\/shm both set \/dev\/shm; leave out one of them/],
  ["a sysctl of the host's", ["--sysctl", "kernel.panic=1", "--", "sh"], /^\[contain\] error: --sysctl kernel\.panic: is not namespaced: setting it would change the host's; remove it; only net\.\*/],
  ["a net sysctl with --net host", ["--net", "host", "--sysctl", "net.ipv4.ip_forward=1", "--", "sh"], /^\[contain\] error: --sysctl net\.ipv4\.ip_forward: needs the container's own network namespace: without one it would change the host's; leave out --net host, or this sysctl$/],
  ["a sysctl without =", ["--sysctl", "net.ipv4.ip_forward", "--", "sh"], /^\[contain\] error: --sysctl: "net\.ipv4\.ip_forward" is not KEY=VALUE; e\.g\. --sysctl /],
  ["an unknown group to add", ["--group-add", "nosuchgroup", "--", "sh"], /^\[contain\] error: --group-add: no group "nosuchgroup" in the root filesystem's \/etc\/group; use a numeric gid/],
  ["a domainname with invalid characters", ["--domainname", "my_domain!", "--", "sh"], /^\[contain\] error: --domainname: "my_domain!" has invalid characters .*; use at most 64 letters/],
  ["an unknown stop signal", ["--stop-signal", "SIGFOO", "--", "sh"], /^\[contain\] error: --stop-signal: unknown signal "SIGFOO"; use a name such as TERM/],
  ["a negative stop timeout", ["--stop-timeout", "-5", "--", "sh"], /^\[contain\] error: --stop-timeout: -5 is not a number of seconds; use 0 or more seconds, e\.g\. --stop-timeout 30$/],
  ["a stop timeout that is no number", ["--stop-timeout", "soon", "--", "sh"], /^\[contain\] error: --stop-timeout: "soon" is not a whole number; /],
  ["a cidfile in a missing directory", ["--cidfile", "/nonexistent/dir/cid", "--", "sh"], /^\[contain\] error: --cidfile: the directory \/nonexistent\/dir does not exist; create it first/],
  // Memory beyond the limit, the OOM score, labels, namespace modes.
  ["--memory-swap without --memory", ["--memory-swap", "1G", "--", "sh"], /^\[contain\] error: --memory-swap: limits memory plus swap, and needs --memory; give both, e\.g\. --memory 64M --memory-swap 128M$/],
  ["--memory-swap below --memory", ["-m", "64M", "--memory-swap", "32M", "--", "sh"], /^\[contain\] error: --memory-swap: 32M is below --memory 64M: it counts memory plus swap; use at least --memory-swap 64M \(no swap\), or -1 for no swap limit$/],
  ["--memory-reservation above --memory", ["-m", "64M", "--memory-reservation", "128M", "--", "sh"], /^\[contain\] error: --memory-reservation: 128M is above --memory 64M; a soft limit lies below the hard one/],
  ["--memory-reservation 1X", ["--memory-reservation", "1X", "--", "sh"], /^\[contain\] error: --memory-reservation: invalid size "1X"; /],
  ["a negative --oom-score-adj without CAP_SYS_RESOURCE", ["--oom-score-adj", "-500", "--", "sh"], /^\[contain\] error: --oom-score-adj: -500 lowers the OOM score, which the kernel allows only with CAP_SYS_RESOURCE, and contain runs without it here; use 0 to 1000/],
  ["--oom-score-adj past 1000", ["--oom-score-adj", "1001", "--", "sh"], /^\[contain\] error: --oom-score-adj: 1001 is out of range; use -1000 to 1000/],
  ["--oom-score-adj that is no number", ["--oom-score-adj", "high", "--", "sh"], /^\[contain\] error: --oom-score-adj: "high" is not a whole number; /],
  ["a label without a key", ["--label", "=front", "--", "sh"], /^\[contain\] error: --label: "=front" has no key; use KEY=VALUE, e\.g\. --label tier=front$/],
  ["a missing label file", ["--label-file", "/nonexistent.labels", "--", "sh"], /^\[contain\] error: --label-file: cannot read \/nonexistent\.labels: ENOENT; /],
  ["an unknown --pid mode", ["--pid", "shared", "--", "sh"], /^\[contain\] error: --pid: unknown mode "shared"; use host or container:NAME, e\.g\. --pid container:web$/],
  ["--ipc container: without a name", ["--ipc", "container:", "--", "sh"], /^\[contain\] error: --ipc: container: needs a NAME; e\.g\. --ipc container:web$/],
  ["--uts container:", ["--uts", "container:web", "--", "sh"], /^\[contain\] error: --uts: unknown mode "container:web"; use host/],
  ["--uts host with --hostname", ["--uts", "host", "--hostname", "box", "--", "sh"], /^\[contain\] error: --hostname: conflicts with --uts host: it would rename the host; leave one of them out$/],
  ["--pid container: of no container", ["--pid", "container:nosuch", "--", "sh"], /^\[contain\] error: --pid: no such container: nosuch; see 'contain ps' for the running containers$/],
  ["env in a config as a list of numbers", ["--config", numbersConfig, "--", "sh"], /^\[contain\] error: --config \S+: defaults\.env: must be a list of KEY=VALUE or a map of KEY: VALUE \(got \[1,2\]\); /],
])("%s", (_, args, message) => {
  const r = h.run(["run", ...args]);
  expect(r.code).toBe(125);
  expect(r.stdout).toBe("");
  expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
  expect(r.stderr.trimEnd()).toMatch(message);
  h.expectClean();
});

test("the host's root through a bind mount of it", () => {
  withMount(["--bind", "/"], (dir) => {
    const r = h.run(["run", "--rootfs", dir, "--", "sh"]);
    expect(r.stderr).toBe(`[contain] error: --rootfs: ${dir} is the host's root directory; give the directory of an unpacked root filesystem, or leave --rootfs out for the default\n`);
    expect(r.code).toBe(125);
  });
  h.expectClean();
});

test("docker's spellings of no limit run: --pids-limit -1 and 0, --cpu-quota -1", () => {
  for (const flags of [["--pids-limit", "-1"], ["--pids-limit", "0"], ["--cpu-quota", "-1"]]) {
    const r = h.run(["run", "-q", ...flags, "--", "true"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  }
  h.expectClean();
});

// A state root the store cannot use: the path and --root, never a bare errno.
test("a state root that is a file", () => {
  const r = Bun.spawnSync([BIN, "ps", "--root", notADir]);
  expect(r.stderr.toString()).toBe(`[contain] error: --root: ${notADir} is not a directory; give a directory, or a path where one can be made, e.g. --root /run/contain\n`);
  expect(r.exitCode).toBe(125);
  expect(r.stdout.toString()).toBe("");
});

test("an empty state root (an unset variable)", () => {
  const r = Bun.spawnSync([BIN, "ps", "--root", ""]);
  expect(r.stderr.toString()).toBe("[contain] error: --root: the path is empty; give a directory (is a variable unset?), or leave --root out for /run/contain\n");
  expect(r.exitCode).toBe(125);
});

test("a full state root: the file that could not be written, and nothing left in it", () => {
  withMount(["-t", "tmpfs", "-o", "size=64k", "tmpfs"], (root) => {
    expect(Bun.spawnSync(["dd", "if=/dev/zero", `of=${root}/fill`, "bs=4k"]).exitCode).not.toBe(0); // until it is full
    const r = Bun.spawnSync([BIN, "run", "--root", root, "-q", "--", "true"]);
    expect(r.stderr.toString()).toMatch(
      new RegExp(`^\\[contain\\] error: cannot write ${root}/\\.tmp-\\d+-\\d+-[0-9a-f]{64}/state\\.json: no space left on device \\(ENOSPC\\); free space in ${root}, or give another state directory with --root\\n$`),
    );
    expect(r.exitCode).toBe(125);
    expect(readdirSync(root)).toEqual(["fill"]);
    // and the next command finds nothing to sweep, nothing it takes for a container
    const ps = Bun.spawnSync([BIN, "ps", "--root", root]);
    expect(ps.stderr.toString()).toBe("");
    expect(ps.exitCode).toBe(0);
  });
  h.expectClean();
});

test("a command that is not in the rootfs: 127, naming what was searched", () => {
  const r = h.run(["run", "-q", "--", "definitely-not-here"]);
  expect(r.code).toBe(127);
  expect(r.stderr.trimEnd().split("\n")).toEqual([
    "[contain] error: definitely-not-here: executable file not found in $PATH (searched PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin); check the name, or give the full path",
  ]);
});

test("an unknown command", () => {
  const r = h.run(["frobnicate"]);
  expect(r.code).toBe(1);
  expect(r.stderr).toBe(`[contain] error: unknown command "frobnicate"; see 'contain --help'\n`);
});

test("not root: says so, and that rootless mode does not exist yet", () => {
  const r = Bun.spawnSync(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", BIN, "run", "--root", h.root, "--", "true"]);
  expect(r.exitCode).toBe(125);
  expect(r.stderr.toString()).toBe(
    "[contain] error: contain run must run as root (rootless mode does not exist yet); run it with sudo: sudo contain run ...\n",
  );
});

// The lifecycle commands: one line naming the problem and the fix, nothing
// left behind (and nothing changed); docker's exit codes: 1 when a management
// command fails, 125 for a bad command line and for run's own errors.
function expectOneLine(r: { code: number; stdout: string; stderr: string }, line: string, code = 1): void {
  expect(r.stderr).toBe(`${line}\n`);
  expect(r.code).toBe(code);
  expect(r.stdout).toBe("");
}

test("an unknown name, for every command that takes one", () => {
  for (const cmd of [["exec", "ghost", "--", "true"], ["logs", "ghost"], ["kill", "ghost"], ["stop", "ghost"], ["rm", "ghost"], ["wait", "ghost"], ["stats", "--no-stream", "ghost"], ["node", "rm", "ghost"]])
    expectOneLine(h.run(cmd), "[contain] error: no such container: ghost; see 'contain ps -a' for the names and IDs");
  // inspect looks for an image of the name too, as docker's: "no such object".
  expectOneLine(h.run(["inspect", "ghost"]), "[contain] error: no such object: ghost; see contain ps -a and contain images");
});

test("an ambiguous ID prefix", () => {
  // Stopped containers until two share a first digit (17 at most).
  const ids: string[] = [];
  let shared: string | undefined;
  while (!shared) {
    const id = h.run(["run", "-d", "-q", "--", "true"]).stdout.trim();
    shared = ids.find((other) => other[0] === id[0])?.[0];
    ids.push(id);
  }
  const matching = h.ids().filter((id) => id[0] === shared).length; // every container in the root counts
  expectOneLine(h.run(["inspect", shared]), `[contain] error: the ID prefix "${shared}" matches ${matching} containers; give more characters of the ID, or the name`);
  for (const id of ids) h.run(["wait", id]); // `true` may not have run yet on a busy machine
  const rm = h.run(["rm", ...ids]);
  expect(rm.stderr).toBe("");
  expect(rm.code).toBe(0);
  h.expectClean();
});

test("exec into a stopped container; rm of a running one without -f; a bad signal", () => {
  h.run(["run", "-d", "-q", "--name", "done", "--", "true"]);
  h.run(["wait", "done"]);
  expectOneLine(h.run(["exec", "done", "--", "true"]), "[contain] error: container done is not running; start a new one with contain run, see 'contain ps -a'");
  expect(h.run(["rm", "done"]).code).toBe(0);

  h.run(["run", "-d", "-q", "--name", "busy", "--", "sleep", "60"]);
  expectOneLine(h.run(["rm", "busy"]), "[contain] error: container busy is running; stop it first (contain stop busy), or use contain rm -f");
  for (const sig of ["SIGFOO", "0", "99"])
    expectOneLine(h.run(["kill", "-s", sig, "busy"]), `[contain] error: --signal: unknown signal "${sig}"; use a name such as TERM, HUP, KILL or a number such as 15`, 125);
  expect(h.run(["ps"]).stdout).toContain("busy"); // still running, untouched
  expect(h.run(["rm", "-f", "busy"]).code).toBe(0);
  h.expectClean();
});

test("node create without --mem, or with 0; a bad name", () => {
  expectOneLine(h.run(["node", "create", "n1"]), "[contain] error: --mem: is required; give the node's memory in MiB, e.g. contain node create n1 --mem 256", 125);
  expectOneLine(h.run(["node", "create", "n1", "--mem", "0"]), "[contain] error: --mem: 0 MiB leaves the node no memory; give at least 1 (MiB), e.g. --mem 256", 125);
  expectOneLine(h.run(["node", "create", "n1", "--mem", "lots"]), '[contain] error: --mem: "lots" is not a whole number; memory in MiB, e.g. --mem 256', 125);
  expectOneLine(h.run(["node", "create", "n1", "--mem", "64", "--cpu", "1"]), "[contain] error: --cpu: must be at least 2; give CPU shares from 2 to 262144, e.g. --cpu 512", 125);
  expectOneLine(h.run(["run", "-d", "--name", "bad name!", "--", "true"]), '[contain] error: --name: "bad name!" is not a valid name; use letters, digits and _ . - (starting with a letter or digit)', 125);
  h.expectClean();
});

test("a detached start that fails: the error, its exit code, nothing left", () => {
  const r = h.run(["run", "-d", "-q", "--name", "nope", "--", "definitely-not-here"]);
  expect(r.code).toBe(127);
  expect(r.stdout).toBe("");
  expect(r.stderr).toStartWith("[contain] error: definitely-not-here: executable file not found in $PATH");
  expect(h.monitors()).toEqual([]);
  h.expectClean();
});
