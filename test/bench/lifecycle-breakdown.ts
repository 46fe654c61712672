// Where one `exec -- /bin/true`, one `stop -t 0` and the `rm` right after it
// spend their time, phase by phase, for a detached container: medians over
// ROUNDS containers (default 15), each started, exec'd, stopped and removed
// in turn. It measures and prints; it asserts nothing about speed.
//
//   node_modules/.bin/bun test/bench/lifecycle-breakdown.ts     (as root; needs perf)
//   KEEP=1 (keeps the traces) ROUNDS=30 NET=bridge FLAGS="--no-overlay --read-only" node_modules/.bin/bun test/bench/lifecycle-breakdown.ts
//
// How: `perf trace` records a few system calls of each process with their
// kernel timestamps (tracepoints: the traced process is not stopped, as it is
// under strace), and a phase is the time between two of them:
// - the CLI's execve, then umask (the first line of src/main.ts: Bun has
//   started), then geteuid (requireRoot, once the command's modules are
//   evaluated and its flags parsed), then the command's own calls;
// - the container's monitor (ffi/monitor.c), and the `contain reap` it execs
//   (the same pid), traced from before the stop: its wait4 that reaps PID 1
//   (so the kernel's teardown of the container's namespaces is over), the
//   rename of its exit record, the execveat of the reap, the reap's rmdirs
//   of the cgroups, its exit.
// A phase whose marks a build does not make (an older or newer one) is left
// out. Beside them: a compiled Bun "hello" and `contain --version`, the
// floor of any Bun command.
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BINARY, ensurePackages } from "../../build.ts";
import { makeRootfs, mustRun, note, spawn } from "./common.ts";

const ROUNDS = Number(process.env.ROUNDS ?? 15);
const NET = process.env.NET ?? "none";
const FLAGS = (process.env.FLAGS ?? "").split(" ").filter(Boolean);

interface Event {
  src: string; // which trace: exec, stop, rm, monitor
  t: number; // ms, at the call's entry
  end: number; // ms, at its return (t for a call that does not return)
  comm: string;
  name: string;
  args: string;
  ret: string;
}

// `perf trace -T` lines: "TIME ( DUR ms): COMM/PID NAME(ARGS) = RET"; with
// -p the COMM/PID is left out. A call that blocks shows once at its entry
// ("...") and once more when it returns ("[continued]"), without a time.
const LINE = /^\s*([\d.]+) \(\s*(?:([\d.]+) ms)?\s*\): (?:(\S+)\/(\d+) )?(\w+)\((.*?)\)\s*(?:= (.*)|\.\.\.)?$/;

const pidless = (text: string) => !/^\s*[\d.?]+ \([^)]*\): \S+\/\d+ /m.test(text);

// `srcs` names the contain commands of the trace in the order they ran:
// each one's execve (its pid's last: env's child execs env, then contain)
// and what follows it, its children's too, are its own. A trace of one
// process (-p) is all `srcs[0]`.
function parseTrace(srcs: string[], text: string): Event[] {
  const lines = text.split("\n").flatMap((line) => {
    const m = LINE.exec(line);
    if (!m) return [];
    const [, time, dur, comm = "", pid = "", name = "", args = "", ret = ""] = m;
    const t = Number(time);
    return [{ t, end: t + Number(dur ?? 0), comm, pid, name, args, ret: ret.trim() }];
  });
  const commands = new Set(lines.filter((l) => l.comm === "contain").map((l) => l.pid));
  const starts = new Set([...commands].map((pid) => lines.findLastIndex((l) => l.pid === pid && l.name === "execve")));
  let next = 0;
  let current = pidless(text) ? srcs[0] : undefined;
  const events: Event[] = [];
  for (const [i, l] of lines.entries()) {
    if (starts.has(i)) current = srcs[next++] ?? current;
    // The shell that runs the commands, and whatever came before them.
    if (current === undefined || l.comm === "sh") continue;
    events.push({ src: current, t: l.t, end: l.end, comm: l.comm, name: l.name, args: l.args, ret: l.ret });
  }
  return events;
}

type Pick = (e: Event) => boolean;
const call = (src: string, name: string, more: Pick = () => true): Pick => (e) => e.src === src && e.name === name && more(e);
const ok = (e: Event) => !e.ret.startsWith("-1");

// A mark: the first (or last) event that matches, at its entry or its return.
interface Mark {
  pick: Pick;
  at?: "t" | "end";
  last?: boolean;
}
interface Phase {
  name: string;
  from: Mark;
  to: Mark;
}

function find(events: Event[], m: Mark): number | undefined {
  const hits = events.filter(m.pick);
  const e = m.last ? hits.at(-1) : hits[0];
  return e === undefined ? undefined : m.at === "end" ? e.end : e.t;
}

const cli = (src: string): Phase[] => [
  { name: `${src}: Bun's start (execve to main.ts)`, from: { pick: call(src, "execve") }, to: { pick: call(src, "umask") } },
  { name: `${src}: module evaluation, flags (to requireRoot)`, from: { pick: call(src, "umask") }, to: { pick: call(src, "geteuid") } },
];
const exitOf = (src: string): Mark => ({ pick: call(src, "exit_group", (e) => e.comm === "contain"), last: true });

const EXEC: Phase[] = [
  ...cli("exec"),
  { name: "exec: the store's open and sweep, find, status", from: { pick: call("exec", "geteuid") }, to: { pick: call("exec", "pidfd_open") } },
  { name: "exec: process settings, seccomp filter, request", from: { pick: call("exec", "pidfd_open") }, to: { pick: call("exec", "clone", (e) => e.args.includes("VFORK")) } },
  { name: "exec: the helper's execve and its cgroups join", from: { pick: call("exec", "clone", (e) => e.args.includes("VFORK")) }, to: { pick: call("exec", "setns") } },
  { name: "exec: setns, clone, execve of /bin/true", from: { pick: call("exec", "setns") }, to: { pick: call("exec", "execve", (e) => e.comm !== "contain"), last: true } },
  { name: "exec: /bin/true runs", from: { pick: call("exec", "execve", (e) => e.comm !== "contain"), last: true }, to: { pick: call("exec", "exit_group", (e) => e.comm === "true") } },
  { name: "exec: the CLI sees its end, exits", from: { pick: call("exec", "exit_group", (e) => e.comm === "true") }, to: exitOf("exec") },
];

// perf prints the pid of a wait4 that reaped one as "PID (COMM)", or nothing
// when it cannot name it; 0 is none yet.
const pid1Reaped: Mark = { pick: call("monitor", "wait4", (e) => e.ret !== "0" && !e.ret.startsWith("-1")), at: "end" };
const STOP: Phase[] = [
  ...cli("stop"),
  { name: "stop: the store's open and sweep, find, status", from: { pick: call("stop", "geteuid") }, to: { pick: call("stop", "kill") } },
  { name: "stop: -t 0's grace (SIGTERM to SIGKILL)", from: { pick: call("stop", "kill", (e) => e.args.includes("TERM")) }, to: { pick: call("stop", "kill", (e) => e.args.includes("KILL")) } },
  { name: "PID 1's end after SIGKILL (the kernel's teardown) to the monitor's wait4", from: { pick: call("stop", "kill"), last: true }, to: pid1Reaped },
  { name: "monitor: reaped to exit record", from: pid1Reaped, to: { pick: call("monitor", "renameat") } },
  { name: "stop: PID 1 reaped to stop's exit", from: pid1Reaped, to: exitOf("stop") },
  // A stop that the monitor hands the container over to (src/runtime/handover.ts).
  { name: "stop: PID 1 reaped to the lock handed over", from: pid1Reaped, to: { pick: call("stop", "recvmsg", ok), at: "end" } },
  { name: "stop: release, state and OOM count (to the cgroups' rmdirs)", from: { pick: call("stop", "recvmsg", ok), at: "end" }, to: { pick: call("stop", "rmdir") } },
  { name: "stop: the cgroups' rmdirs", from: { pick: call("stop", "rmdir") }, to: { pick: call("stop", "rmdir"), last: true, at: "end" } },
  { name: "stop: network, state, exit", from: { pick: call("stop", "rmdir"), last: true, at: "end" }, to: exitOf("stop") },
];

const REAP: Phase[] = [
  { name: "monitor: exit record to the reap's execveat", from: { pick: call("monitor", "renameat") }, to: { pick: call("monitor", "execveat") } },
  { name: "reap: Bun's start", from: { pick: call("monitor", "execveat") }, to: { pick: call("monitor", "umask") } },
  { name: "reap: modules, state, OOM count", from: { pick: call("monitor", "umask") }, to: { pick: call("monitor", "rmdir") } },
  { name: "reap: the cgroups' rmdirs", from: { pick: call("monitor", "rmdir") }, to: { pick: call("monitor", "rmdir"), last: true, at: "end" } },
  { name: "reap: network, state, exit", from: { pick: call("monitor", "rmdir"), last: true, at: "end" }, to: { pick: call("monitor", "exit_group"), last: true } },
  { name: "reap: whole (execveat to exit)", from: { pick: call("monitor", "execveat") }, to: { pick: call("monitor", "exit_group"), last: true } },
];

const RM: Phase[] = [
  ...cli("rm"),
  { name: "rm: the store's open and sweep, find, the lock (waits for the release)", from: { pick: call("rm", "geteuid") }, to: { pick: call("rm", "flock", ok), last: true, at: "end" } },
  { name: "rm: the files", from: { pick: call("rm", "flock", ok), last: true, at: "end" }, to: exitOf("rm") },
];

const WHOLE: Phase[] = [
  { name: "exec, whole", from: { pick: call("exec", "execve") }, to: exitOf("exec") },
  { name: "stop, whole", from: { pick: call("stop", "execve") }, to: exitOf("stop") },
  { name: "rm, whole", from: { pick: call("rm", "execve") }, to: exitOf("rm") },
  { name: "stop's start to rm's exit", from: { pick: call("stop", "execve") }, to: exitOf("rm") },
];

const TRACED = "execve,execveat,umask,geteuid,getdents64,pidfd_open,clone,setns,kill,wait4,renameat,rmdir,flock,poll,ppoll,connect,sendmsg,recvmsg,exit_group";

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
}
const quartile = (xs: readonly number[], q: number) => [...xs].sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))] ?? NaN;

// `perf trace` of commands run one right after the other (as `contain stop
// X && contain rm X` would), to `out`; env runs each, so that its execve is
// on record.
function traced(out: string, ...commands: string[][]): void {
  const script = commands.map((argv) => `env ${argv.map((a) => `'${a}'`).join(" ")} >/dev/null`).join(" && ");
  const r = spawn(["perf", "trace", "-T", "-e", TRACED, "-o", out, "--", "sh", "-c", script]);
  if (r.code !== 0) throw new Error(`${script} failed (${r.how}): ${r.stderr.trim()}`);
}

// Median wall time of each command, taking turns.
function startFloor(commands: string[][], runs: number): number[] {
  const times = commands.map(() => [] as number[]);
  for (let i = 0; i < runs; i++)
    for (const [k, argv] of commands.entries()) {
      const t0 = performance.now();
      Bun.spawnSync(argv, { stdin: "ignore", stdout: "ignore", stderr: "ignore" });
      times[k]?.push(performance.now() - t0);
    }
  return times.map(median);
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error("the benchmark runs containers: run it as root");
  if (!existsSync(BINARY)) throw new Error(`${BINARY} is missing: build it first with \`bun build.ts\``);
  ensurePackages(["busybox-static", "linux-perf"]);
  const work = mkdtempSync("/tmp/contain-bench-breakdown-");
  chmodSync(work, 0o755);
  const contain = join(work, "contain");
  const root = join(work, "state");
  const base = [contain, "--root", root];
  try {
    copyFileSync(BINARY, contain);
    const rootfs = makeRootfs(work);
    writeFileSync(join(work, "hello.ts"), "console.log('hello');\n");
    mustRun([process.execPath, "build", join(work, "hello.ts"), "--compile", "--bytecode", "--outfile", join(work, "hello")]);
    const [hello, version] = startFloor([[join(work, "hello")], [contain, "--version"]], 40);
    const samples = new Map<string, number[]>();
    const phases = [...EXEC, ...STOP, ...REAP, ...RM, ...WHOLE];
    note(`${ROUNDS} rounds: run -d, exec, stop, rm (--net ${NET}${FLAGS.length ? ` ${FLAGS.join(" ")}` : ""})`);
    for (let i = 0; i < ROUNDS; i++) {
      const name = `x${i}`;
      mustRun([...base, "run", "-d", "-q", "--net", NET, ...FLAGS, "--rootfs", rootfs, "--name", name, "--", "sleep", "3600"]);
      const monitorPid = (JSON.parse(mustRun([...base, "inspect", name])) as { MonitorPid: number }[])[0]?.MonitorPid;
      const file = (src: string) => join(work, `${src}-${i}.txt`);
      traced(file("exec"), [...base, "exec", name, "--", "/bin/true"]);
      const monitor = Bun.spawn(["perf", "trace", "-T", "-e", TRACED, "-o", file("monitor"), "-p", String(monitorPid)], { stdio: ["ignore", "ignore", "ignore"] });
      await Bun.sleep(300); // perf attaches
      traced(file("stop"), [...base, "stop", "-t", "0", name], [...base, "rm", name]);
      // perf ends with the process it follows: the monitor, then the reap it became.
      const done = await Promise.race([monitor.exited, Bun.sleep(5000).then(() => "timeout" as const)]);
      if (done === "timeout") monitor.kill("SIGINT");
      await monitor.exited;
      const read = (f: string, srcs: string[]) => (existsSync(file(f)) ? parseTrace(srcs, readFileSync(file(f), "utf8")) : []);
      const events = [...read("exec", ["exec"]), ...read("stop", ["stop", "rm"]), ...read("monitor", ["monitor"])];
      for (const p of phases) {
        const from = find(events, p.from);
        const to = find(events, p.to);
        if (from === undefined || to === undefined || to < from) continue;
        samples.set(p.name, [...(samples.get(p.name) ?? []), to - from]);
      }
    }
    console.log(`\n## One exec, stop and rm of a detached container, by phase (ms; median [p25-p75] of ${ROUNDS}; --net ${NET}${FLAGS.length ? ` ${FLAGS.join(" ")}` : ""})\n`);
    console.log(`Bun's floor: a compiled Bun "hello" ${hello?.toFixed(1)} ms, \`contain --version\` ${version?.toFixed(1)} ms (wall, median of 40, taking turns)\n`);
    console.log("| phase | ms | spread |");
    console.log("|---|---:|---|");
    for (const p of phases) {
      const xs = samples.get(p.name);
      if (!xs?.length) continue;
      const partial = xs.length < ROUNDS ? ` (${xs.length} of ${ROUNDS})` : "";
      console.log(`| ${p.name} | ${median(xs).toFixed(2)} | ${quartile(xs, 0.25).toFixed(2)}-${quartile(xs, 0.75).toFixed(2)}${partial} |`);
    }
    console.log(`\nversions: ${mustRun([contain, "--version"]).split("\n")[0]}; ${spawn(["perf", "--version"]).stdout.trim()}`);
  } finally {
    spawn([contain, "rm", "-f", "--root", root, ...Array.from({ length: ROUNDS }, (_, i) => `x${i}`)]);
    if (process.env.KEEP === "1") note(`the traces are in ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

await main();
