// Client benchmark: `podman run --rm IMG /bin/true` (through conmon),
// `ctr run --rm IMG ID /bin/true` (through containerd-shim-runc-v2) and a
// Kubernetes pod's start through containerd's CRI (RunPodSandbox,
// CreateContainer and StartContainer of /bin/true, as a kubelet calls them)
// with contain, runc and crun as the OCI runtime, side by side in one run. It
// measures and prints; like start.ts it asserts nothing about speed, but it
// fails if a client leaves anything behind.
//
//   node_modules/.bin/bun test/bench/clients.ts      (npm run bench:clients; as root)
//   ... clients.ts --rounds 60 --warmup 5 --calls 10 --no-memory
//
// - One sandbox per client (test/clients/): the client's state, /run and
//   /var/lib in a private mount and network namespace. The runtime is given
//   per run (podman's --runtime, ctr's --runc-binary, the pod's runtime
//   handler), so the three runtimes share one image store and one containerd.
// - CRI: the handlers' binaries are fixed in containerd's config (contain's
//   is ./contain itself, not the run's private copy); a pod's teardown
//   (StopPodSandbox, RemovePodSandbox) is untimed; no calls or memory rows
//   (the timing wrapper would have to be the handler's binary in every run).
// - crun 1.8.1 refuses this hybrid cgroup host: in each sandbox an empty file
//   is bound over cgroup.controllers (common.ts), for all three alike.
// - Rounds: in each, every client runs once with every runtime, the runtimes'
//   order rotated each round and the clients' alternated. Between runs the
//   benchmark waits, untimed, until the sandbox is quiet again (podman's exit
//   command, the shim), so no run pays for the one before.
// - A run's wall time includes entering the sandbox (sh, nsenter, env: the
//   same for every runtime) and all the client's own work, so the difference
//   contain - runc in ms is the cleaner figure; the ratio is diluted by it.
// - Ratios are of the medians, with a 95% bootstrap interval that resamples
//   whole rounds (a round's runs share that moment's load), and beside it the
//   spread of the per-round ratios.
// - Calls (--calls N): N more runs each, through a wrapper that times every
//   runtime invocation the client makes (bash's EPOCHREALTIME, no fork in
//   the timed span): which calls, and how long each took.
// - Memory: one run each while /proc is polled (so untimed): the peak RSS of
//   the runtime's processes, those of its binary and their children until
//   they exec the container's command.
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { BINARY } from "../../build.ts";
import { Containerd } from "../clients/containerd.ts";
import { Cri } from "../clients/cri.ts";
import { IMAGE } from "../clients/image.ts";
import { Podman } from "../clients/podman.ts";
import { quote, type Sandbox, waitFor } from "../clients/sandbox.ts";
import { CONTROLLERS_FILE, crunRefusesHost, installPeer, note, PEERS, spawn, type Runtime } from "./common.ts";
import { bootstrapRatio, median, quantile, rotate } from "./stats.ts";

const COMMAND = ["/bin/true"];
const PEER_BINARIES: Record<(typeof PEERS)[number], string> = { runc: "/usr/sbin/runc", crun: "/usr/bin/crun" };
const QUIET_TIMEOUT_MS = 15_000;

interface Options {
  rounds: number;
  warmup: number;
  calls: number;
  memory: boolean;
}

const USAGE = "usage: clients.ts [--rounds N (40)] [--warmup N (3)] [--calls N (5; 0: none)] [--no-memory]";

function parseOptions(args: string[]): Options {
  const opts: Options = { rounds: 40, warmup: 3, calls: 5, memory: true };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--no-memory") opts.memory = false;
    else if (arg === "--rounds" || arg === "--warmup" || arg === "--calls") {
      const n = Number(args[++i]);
      if (!Number.isInteger(n) || n < (arg === "--rounds" ? 1 : 0)) throw new Error(`${arg} needs a whole number${arg === "--rounds" ? " >= 1" : ""}\n${USAGE}`);
      opts[arg.slice(2) as "rounds" | "warmup" | "calls"] = n;
    } else throw new Error(`unknown argument ${arg}\n${USAGE}`);
  }
  return opts;
}

// --- the clients ---

interface Subject {
  runtime: Runtime;
  binary: string; // what the client is given: a path whose basename is the runtime's name
}

// One client in its sandbox: argv(binary) is one `run --rm` of COMMAND with
// that runtime; a client without a command line (CRI) times itself (once).
interface Client {
  name: "podman" | "ctr" | "cri";
  title: string;
  sandbox: Sandbox;
  argv?(binary: string): string[];
  once?(s: Subject): Promise<Run>;
  finish(): Promise<string[]>;
  subjects: Subject[];
  skipped: string[]; // "crun: why"
  quiet(): boolean; // no process in the sandbox but the ones it keeps (containerd)
  unbind?: () => string | undefined; // takes the crun workaround off; an error, or nothing
}

async function podmanClient(): Promise<Client> {
  const pm = await Podman.create();
  return {
    name: "podman",
    title: `podman run --rm ${IMAGE} ${COMMAND.join(" ")}`,
    sandbox: pm.sandbox,
    argv: (binary) => pm.argv(["run", "--runtime", binary, "--rm", IMAGE, ...COMMAND]),
    finish: () => pm.finish(),
    subjects: [],
    skipped: [],
    quiet: () => true,
  };
}

async function ctrClient(): Promise<Client> {
  const cd = await Containerd.create();
  const id = cd.id("bench");
  return {
    name: "ctr",
    title: `ctr run --rm ${IMAGE} ${id} ${COMMAND.join(" ")}`,
    sandbox: cd.sandbox,
    argv: (binary) => cd.argv(["run", "--runc-binary", binary, "--rm", IMAGE, id, ...COMMAND]),
    finish: () => cd.finish(),
    subjects: [],
    skipped: [],
    quiet: () => true,
  };
}

// containerd 1.6 may answer a pod's stop with "ttrpc: closed" when the shim
// of its exited container is going away at that moment (seen with runc):
// asked again, it stops. Untimed.
async function removePod(cri: Cri, pod: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await cri.removePod(pod);
    } catch (err) {
      if (attempt === 5) throw err;
      await Bun.sleep(200);
    }
  }
}

async function criClient(): Promise<Client> {
  const cri = await Cri.create();
  let n = 0;
  return {
    name: "cri",
    title: `CRI: RunPodSandbox + CreateContainer + StartContainer of ${COMMAND.join(" ")} (a pod's start)`,
    sandbox: cri.sandbox,
    once: async (s) => {
      const t0 = performance.now();
      try {
        const pod = await cri.startPod(`bench-${n++}`, s.runtime, COMMAND);
        const ms = performance.now() - t0;
        await removePod(cri, pod);
        return { ms, code: 0, stderr: "" };
      } catch (err) {
        return { ms: performance.now() - t0, code: 1, stderr: err instanceof Error ? err.message : String(err) };
      }
    },
    finish: () => cri.finish(),
    subjects: [],
    skipped: [],
    quiet: () => true,
  };
}

// The processes a sandbox keeps between runs (containerd itself) are the ones
// there once it is set up; quiet means no other.
function watchQuiet(client: Client): void {
  const kept = new Set(client.sandbox.processes().map((p) => p.split(" ")[0]));
  client.quiet = () => client.sandbox.processes().every((p) => kept.has(p.split(" ")[0]));
}

async function settle(client: Client): Promise<void> {
  await waitFor(`the ${client.name} sandbox to be quiet`, () => client.quiet(), QUIET_TIMEOUT_MS).catch((err: Error) => {
    throw new Error(`${err.message}; still there: ${client.sandbox.processes().join("; ")}`);
  });
}

// crun's workaround (common.ts) inside the sandbox's own mount namespace.
function bindControllers(client: Client, emptyFile: string): void {
  if (!crunRefusesHost()) return;
  const r = spawn(client.sandbox.enter(["mount", "--bind", emptyFile, CONTROLLERS_FILE]));
  if (r.code !== 0) throw new Error(`binding an empty file over ${CONTROLLERS_FILE} in the ${client.name} sandbox failed (${r.how}): ${r.stderr.trim()}`);
  client.unbind = () => {
    const u = spawn(client.sandbox.enter(["umount", CONTROLLERS_FILE]));
    return u.code === 0 ? undefined : `umount ${CONTROLLERS_FILE} in the ${client.name} sandbox failed (${u.how}): ${u.stderr.trim()}`;
  };
}

interface Run {
  ms: number;
  code: number | null;
  stderr: string;
}

function runArgv(argv: string[]): Run {
  const t0 = performance.now();
  const r = Bun.spawnSync(argv, { stdin: "ignore", stdout: "pipe", stderr: "pipe", timeout: 60_000, killSignal: "SIGKILL" });
  return { ms: performance.now() - t0, code: r.exitCode, stderr: r.stderr.toString() };
}

async function runOnce(client: Client, s: Subject): Promise<Run> {
  if (client.once) return client.once(s);
  if (!client.argv) throw new Error(`${client.name} has neither a command line nor a run of its own`);
  return runArgv(client.argv(s.binary));
}

function mustSucceed(client: Client, s: Subject, r: Run): number {
  if (r.code !== 0) throw new Error(`${client.name} with ${s.runtime} failed (exit ${r.code ?? "by a signal"}): ${r.stderr.trim()}`);
  return r.ms;
}

// Warm-up; a peer that fails its first run is left out of this client's row
// with the client's own words for why. contain failing is an error.
async function warmUp(client: Client, runs: number): Promise<void> {
  for (let w = 0; w < Math.max(runs, 1); w++) {
    for (const s of rotate(client.subjects, w)) {
      const r = await runOnce(client, s);
      await settle(client);
      if (r.code === 0) continue;
      if (s.runtime === "contain" || w > 0) mustSucceed(client, s, r);
      const why = r.stderr.trim().split("\n").pop() ?? `exit ${r.code}`;
      note(`${client.name} with ${s.runtime} failed, left out: ${why}`);
      client.skipped.push(`${s.runtime}: ${why}`);
      client.subjects = client.subjects.filter((x) => x !== s);
    }
  }
}

// times[client][runtime][round], in ms
type Times = Map<string, Map<Runtime, number[]>>;

async function timeRounds(clients: Client[], rounds: number): Promise<Times> {
  const times: Times = new Map(clients.map((c) => [c.name, new Map(c.subjects.map((s) => [s.runtime, [] as number[]]))]));
  for (let round = 0; round < rounds; round++) {
    if (round % 5 === 0) note(`timing, round ${round + 1} of ${rounds}`);
    for (const client of round % 2 ? [...clients].reverse() : clients) {
      for (const s of rotate(client.subjects, round)) {
        const ms = mustSucceed(client, s, await runOnce(client, s));
        times.get(client.name)?.get(s.runtime)?.push(ms);
        await settle(client);
      }
    }
  }
  return times;
}

// --- calls: every runtime invocation a client makes, timed by a wrapper ---

interface Call {
  label: string; // "create", "start", "delete --force"
  ms: number;
  code: number;
}

// runc's global flags that take a value (containerd's shim: --root R --log L --log-format json).
const VALUED_GLOBALS = new Set(["--root", "--log", "--log-format", "--criu", "--rootless"]);

function callLabel(args: readonly string[]): string {
  let i = 0;
  while (i < args.length && (args[i] ?? "").startsWith("-")) i += VALUED_GLOBALS.has(args[i] ?? "") ? 2 : 1;
  const sub = args[i] ?? "?";
  const force = sub === "delete" && args.slice(i + 1).some((a) => a === "--force" || a === "-f");
  return force ? "delete --force" : sub;
}

// <dir>/<runtime>/<runtime>: the basename is the runtime's, as podman decides
// by it that a runtime speaks --log-format=json.
function wrapper(dir: string, s: Subject, log: string): string {
  const path = join(dir, s.runtime, s.runtime);
  mkdirSync(join(dir, s.runtime), { recursive: true });
  const script = [
    "#!/bin/bash",
    "# Times one call of the runtime for test/bench/clients.ts.",
    "t0=$EPOCHREALTIME",
    `${quote(s.binary)} "$@"`,
    "rc=$?",
    `printf '%s\\t%s\\t%s' "$t0" "$EPOCHREALTIME" "$rc" >> ${quote(log)}`,
    `printf '\\t%s' "$@" >> ${quote(log)}`,
    `echo >> ${quote(log)}`,
    "exit $rc",
  ];
  writeFileSync(path, `${script.join("\n")}\n`, { mode: 0o755 });
  return path;
}

function parseCalls(text: string): Call[] {
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [t0 = "", t1 = "", code = "", ...args] = line.split("\t");
      const sec = (t: string) => Number(t.replace(",", "."));
      return { label: callLabel(args), ms: (sec(t1) - sec(t0)) * 1000, code: Number(code) };
    });
}

interface CallRuns {
  runs: { ms: number; calls: Call[] }[];
}

async function traceCalls(clients: Client[], work: string, n: number): Promise<Map<string, CallRuns>> {
  const out = new Map<string, CallRuns>();
  if (n === 0) return out;
  if (!existsSync("/bin/bash")) {
    note("no /bin/bash for the timing wrapper: calls not traced");
    return out;
  }
  const dir = join(work, "calls");
  const log = join(dir, "calls.log");
  mkdirSync(dir, { recursive: true });
  writeFileSync(log, "");
  chmodSync(dir, 0o755);
  for (let i = 0; i < n; i++) {
    note(`calls, run ${i + 1} of ${n}`);
    for (const client of i % 2 ? [...clients].reverse() : clients) {
      const argv = client.argv;
      if (!argv) continue;
      for (const s of rotate(client.subjects, i)) {
        const before = readFileSync(log, "utf8").length;
        const ms = mustSucceed(client, s, runArgv(argv(wrapper(dir, s, log))));
        await settle(client);
        const key = `${client.name}/${s.runtime}`;
        const entry = out.get(key) ?? { runs: [] };
        entry.runs.push({ ms, calls: parseCalls(readFileSync(log, "utf8").slice(before)) });
        out.set(key, entry);
      }
    }
  }
  return out;
}

// --- memory: the runtime's processes, found by polling /proc ---

interface Tracked {
  start: string; // field 22 of stat: with the pid, names the process
  call: string;
  child: boolean; // not the runtime's command itself: its init stage, a helper
  hwmKiB: number;
  container: boolean; // has exec'd the container's command: no longer the runtime's
}

interface Peak {
  totalKiB: number; // the most that the runtime's processes held at one poll
  largestKiB: number; // the largest VmHWM of one of them
  largestCall: string;
  processes: number;
  calls: string[];
  polls: number;
}

function statOf(pid: string): { ppid: number; start: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { ppid: Number(fields[1]), start: fields[19] ?? "" };
  } catch {
    return undefined;
  }
}

const readOr = (path: string, fallback = "") => {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return fallback;
  }
};

const statusKiB = (status: string, field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0);

class RuntimeProcesses {
  private readonly before = new Set(readdirSync("/proc"));
  private readonly tracked = new Map<number, Tracked>();
  private readonly all: Tracked[] = [];
  private totalKiB = 0;
  private polls = 0;
  private readonly containerCmdline = `${COMMAND.join("\0")}\0`;

  constructor(private readonly binary: string) {}

  poll(): void {
    this.polls++;
    let total = 0;
    // Ascending pids: a parent is met before its children (short of a wrap).
    const fresh = readdirSync("/proc")
      .filter((n) => /^\d+$/.test(n) && !this.before.has(n))
      .sort((a, b) => Number(a) - Number(b));
    for (const name of fresh) {
      const pid = Number(name);
      const stat = statOf(name);
      if (!stat) continue;
      let t = this.tracked.get(pid);
      if (t && t.start !== stat.start) t = undefined; // a reused pid
      if (!t) {
        let exe = "";
        try {
          exe = readlinkSync(`/proc/${name}/exe`);
        } catch {}
        const parent = this.tracked.get(stat.ppid);
        const args = readOr(`/proc/${name}/cmdline`).split("\0").slice(1, -1);
        // A child first: runc's init stage starts as runc itself (`runc init`) before it re-executes a copy.
        if (parent && !parent.container) t = { start: stat.start, call: parent.call, child: true, hwmKiB: 0, container: false };
        else if (exe === this.binary) t = { start: stat.start, call: callLabel(args), child: false, hwmKiB: 0, container: false };
        else continue; // not (yet) the runtime's: a fork of conmon may exec it by the next poll
        this.tracked.set(pid, t);
        this.all.push(t);
      }
      if (t.container) continue;
      if (readOr(`/proc/${name}/cmdline`) === this.containerCmdline) {
        t.container = true;
        continue;
      }
      const status = readOr(`/proc/${name}/status`);
      t.hwmKiB = Math.max(t.hwmKiB, statusKiB(status, "VmHWM"));
      total += statusKiB(status, "VmRSS");
    }
    this.totalKiB = Math.max(this.totalKiB, total);
  }

  peak(): Peak {
    const largest = this.all.reduce<Tracked | undefined>((a, b) => (!a || b.hwmKiB > a.hwmKiB ? b : a), undefined);
    return {
      totalKiB: this.totalKiB,
      largestKiB: largest?.hwmKiB ?? 0,
      largestCall: largest ? `${largest.call}${largest.child ? ", a child" : ""}` : "-",
      processes: this.all.length,
      calls: this.all.filter((t) => !t.child).map((t) => t.call),
      polls: this.polls,
    };
  }
}

async function watchRun(client: Client, argv: (binary: string) => string[], s: Subject): Promise<Peak> {
  const watch = new RuntimeProcesses(realpathSync(s.binary));
  const proc = Bun.spawn(argv(s.binary), { stdin: "ignore", stdout: "ignore", stderr: "pipe" });
  let exited = false;
  void proc.exited.then(() => (exited = true));
  while (!exited) {
    watch.poll();
    await Bun.sleep(1);
  }
  // podman's exit command and the shim's clean-up may call the runtime after the client returns.
  const deadline = Date.now() + QUIET_TIMEOUT_MS;
  for (let i = 0; ; i++) {
    watch.poll();
    if (i % 20 === 0 && client.quiet()) break;
    if (Date.now() > deadline) throw new Error(`the ${client.name} sandbox did not get quiet; still there: ${client.sandbox.processes().join("; ")}`);
    await Bun.sleep(1);
  }
  if (proc.exitCode !== 0) throw new Error(`${client.name} with ${s.runtime} failed (exit ${proc.exitCode}): ${(await new Response(proc.stderr).text()).trim()}`);
  return watch.peak();
}

async function measureMemory(clients: Client[]): Promise<Map<string, Peak>> {
  const out = new Map<string, Peak>();
  for (const client of clients) {
    const argv = client.argv;
    if (!argv) continue;
    note(`memory, ${client.name}`);
    for (const s of client.subjects) out.set(`${client.name}/${s.runtime}`, await watchRun(client, argv, s));
  }
  return out;
}

// --- the report ---

const ms1 = (ms: number) => ms.toFixed(1);
const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;
const signed = (ms: number) => `${ms >= 0 ? "+" : ""}${ms.toFixed(1)}`;

function printTimes(clients: Client[], times: Times, opts: Options): void {
  for (const client of clients) {
    const rows = times.get(client.name);
    if (!rows) continue;
    console.log(`\n## ${client.title}\n`);
    const what = client.once ? "the three calls' time, from this benchmark's gRPC client" : "wall time of the client's whole command";
    console.log(`${opts.rounds} interleaved rounds, ${opts.warmup} warm-up runs each; ${what}, in ms\n`);
    console.log("| runtime | median | p90 | min | max |");
    console.log("|---|---:|---:|---:|---:|");
    for (const [runtime, xs] of rows) console.log(`| ${runtime} | ${ms1(median(xs))} | ${ms1(quantile(xs, 0.9))} | ${ms1(Math.min(...xs))} | ${ms1(Math.max(...xs))} |`);
    for (const s of client.skipped) console.log(`| ${s.split(":")[0]} | left out: ${s.slice(s.indexOf(":") + 2)} | | | |`);
    const contain = rows.get("contain");
    if (!contain) continue;
    console.log("");
    for (const peer of PEERS) {
      const other = rows.get(peer);
      if (!other) continue;
      const perRound = contain.map((c, i) => c / (other[i] ?? NaN));
      const [lo, hi] = bootstrapRatio(contain, other);
      const ratio = median(contain) / median(other);
      const diffs = contain.map((c, i) => c - (other[i] ?? NaN));
      const verdict = lo > 1 ? "contain slower" : hi < 1 ? "contain faster" : "within the noise";
      console.log(
        `contain/${peer}: ${ratio.toFixed(2)} (95% bootstrap interval ${lo.toFixed(2)}-${hi.toFixed(2)}; per-round ratios median ${median(perRound).toFixed(2)}, ` +
          `p10-p90 ${quantile(perRound, 0.1).toFixed(2)}-${quantile(perRound, 0.9).toFixed(2)}): ${verdict}; ` +
          `contain - ${peer} per round: median ${signed(median(diffs))} ms (p10-p90 ${signed(quantile(diffs, 0.1))} to ${signed(quantile(diffs, 0.9))})`,
      );
    }
  }
}

function printCalls(clients: Client[], calls: Map<string, CallRuns>, n: number): void {
  if (calls.size === 0) return;
  console.log(`\n## The runtime calls of one client run (${n} runs through a timing wrapper; medians, ms)\n`);
  console.log("| client | runtime | calls per run | each call | in the runtime | whole run |");
  console.log("|---|---|---:|---|---:|---:|");
  for (const client of clients) {
    for (const s of client.subjects) {
      const entry = calls.get(`${client.name}/${s.runtime}`);
      if (!entry) continue;
      // The labels in the order of the first run; a call made in some runs only is marked.
      const labels = [...new Set(entry.runs.flatMap((r) => r.calls.map((c) => c.label)))];
      const each = labels.map((label) => {
        const xs = entry.runs.flatMap((r) => r.calls.filter((c) => c.label === label).map((c) => c.ms));
        const perRun = entry.runs.map((r) => r.calls.filter((c) => c.label === label).length);
        const count = median(perRun) === 1 && Math.min(...perRun) === 1 ? "" : ` x${perRun.join("/")}`;
        return `${label} ${ms1(median(xs))}${count}`;
      });
      const failed = entry.runs.flatMap((r) => r.calls.filter((c) => c.code !== 0).map((c) => `${c.label} exit ${c.code}`));
      const count = median(entry.runs.map((r) => r.calls.length));
      const inRuntime = median(entry.runs.map((r) => r.calls.reduce((a, c) => a + c.ms, 0)));
      const whole = median(entry.runs.map((r) => r.ms));
      console.log(`| ${client.name} | ${s.runtime} | ${count} | ${each.join(", ")}${failed.length ? ` (failed: ${[...new Set(failed)].join(", ")})` : ""} | ${ms1(inRuntime)} | ${ms1(whole)} |`);
    }
  }
  console.log("\nThe wrapper is a bash script: its own start (~2-3 ms a call) is in the whole run, not in the calls' times.");
  // Where a difference lies: in the runtime's calls, or in what the client does around them.
  for (const client of clients) {
    const of = (runtime: Runtime, f: (r: CallRuns["runs"][number]) => number) => {
      const entry = calls.get(`${client.name}/${runtime}`);
      return entry ? median(entry.runs.map(f)) : undefined;
    };
    const inRuntime = (r: CallRuns["runs"][number]) => r.calls.reduce((a, c) => a + c.ms, 0);
    for (const peer of PEERS) {
      const [c, p] = [of("contain", inRuntime), of(peer, inRuntime)];
      const [cw, pw] = [of("contain", (r) => r.ms), of(peer, (r) => r.ms)];
      if (c === undefined || p === undefined || cw === undefined || pw === undefined) continue;
      console.log(`${client.name}: contain - ${peer} ${signed(c - p)} ms in the runtime's calls, ${signed(cw - pw)} ms in the whole run`);
    }
  }
}

function printMemory(clients: Client[], memory: Map<string, Peak>): void {
  if (memory.size === 0) return;
  console.log("\n## Peak RSS of the runtime's processes during one run (/proc polled every ~1 ms)\n");
  console.log("| client | runtime | all at once | largest process | processes | calls seen |");
  console.log("|---|---|---:|---:|---:|---|");
  for (const client of clients) {
    for (const s of client.subjects) {
      const p = memory.get(`${client.name}/${s.runtime}`);
      if (!p) continue;
      console.log(`| ${client.name} | ${s.runtime} | ${mib(p.totalKiB)} | ${mib(p.largestKiB)} (${p.largestCall}) | ${p.processes} | ${p.calls.join(", ")} |`);
    }
  }
  console.log(
    "\nRSS counts the shared pages of a binary's file too (most of a 110 MB Bun executable's, once paged in); a" +
      " process living less than a poll may be missed, and one's peak in its last millisecond.",
  );
}

// The first line of a version's output, or the first two when the first ends in a colon (the shim's).
function firstLine(argv: string[]): string {
  const r = spawn(argv);
  const lines = (r.stdout || r.stderr).split("\n").map((l) => l.trim());
  return ((lines[0]?.endsWith(":") ? lines.slice(0, 2).join(" ") : lines[0]) || "?").replace(/\s+/g, " ");
}

function printVersions(contain: string, clients: Client[]): void {
  console.log("\n## Versions\n");
  console.log(`- ${firstLine([contain, "--version"])}`);
  for (const peer of PEERS) if (clients.some((c) => c.subjects.some((s) => s.runtime === peer))) console.log(`- ${firstLine([PEER_BINARIES[peer], "--version"])}`);
  for (const argv of [["podman", "--version"], ["conmon", "--version"], ["ctr", "--version"], ["containerd-shim-runc-v2", "-v"]]) console.log(`- ${firstLine(argv)}`);
  console.log(`- kernel ${firstLine(["uname", "-r"])}, ${cpus().length} CPUs`);
}

async function main(): Promise<number> {
  const opts = parseOptions(process.argv.slice(2));
  if (process.getuid?.() !== 0) throw new Error("the benchmark runs containers: run it as root");
  if (!existsSync(BINARY)) throw new Error(`${BINARY} is missing: build it first with \`bun build.ts\``);
  const peers = PEERS.filter(installPeer);

  const work = mkdtempSync("/tmp/contain-bench-clients-");
  chmodSync(work, 0o755);
  const emptyFile = join(work, "empty");
  writeFileSync(emptyFile, "");
  const clients: Client[] = [];
  const leftovers: string[] = [];
  try {
    // A private copy: a rebuild during the run must not mix two binaries.
    // Named contain, as podman knows a runtime by its basename.
    const contain = join(work, "contain");
    copyFileSync(BINARY, contain);
    const subjects: Subject[] = [{ runtime: "contain", binary: contain }, ...peers.map((p) => ({ runtime: p, binary: PEER_BINARIES[p] }))];
    const started = new Date();
    note("setting up the podman, containerd and CRI sandboxes");
    for (const make of [podmanClient, ctrClient, criClient]) {
      const client = await make();
      clients.push(client);
      client.subjects = [...subjects];
      bindControllers(client, emptyFile);
      watchQuiet(client);
    }
    note("warming up");
    for (const client of clients) await warmUp(client, opts.warmup);
    const times = await timeRounds(clients, opts.rounds);
    const calls = await traceCalls(clients, work, opts.calls);
    const memory = opts.memory ? await measureMemory(clients) : new Map<string, Peak>();

    console.log(`# OCI clients over contain, runc and crun (${started.toISOString().slice(0, 16).replace("T", " ")} UTC)`);
    const bound = clients.some((c) => c.unbind) ? "; crun's hybrid-cgroup workaround (common.ts) bound in each, for all runtimes alike" : "";
    console.log(`\nEach client in a sandbox of its own (test/clients/sandbox.ts)${bound}. A noisy shared VM: compare within one run.`);
    printTimes(clients, times, opts);
    printCalls(clients, calls, opts.calls);
    printMemory(clients, memory);
    printVersions(contain, clients);
  } finally {
    for (const client of clients) {
      const failed = client.unbind?.();
      if (failed) leftovers.push(failed);
      leftovers.push(...(await client.finish()).map((l) => `${client.name}: ${l}`));
    }
    rmSync(work, { recursive: true, force: true });
    if (leftovers.length) console.error(`[bench] FAILED: left behind on the machine:\n${leftovers.map((l) => `  ${l}`).join("\n")}`);
  }
  return leftovers.length ? 1 : 0;
}

// Ctrl-C reaches the client too (same process group) and makes its run fail:
// the failure then unwinds through main's clean-up instead of Bun exiting at once.
process.on("SIGINT", () => note("interrupted"));
process.exitCode = await main();
