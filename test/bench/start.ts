// Start-up benchmark: `contain run -- /bin/true` beside runc and crun on one
// busybox root. It measures and prints; it asserts nothing, since timings on
// shared VMs move with the neighbours' load.
//
//   node_modules/.bin/bun test/bench/start.ts        (npm run bench; as root)
//   ... start.ts --baseline OLD_CONTAIN              also times another contain
//                                                    binary (an earlier commit's
//                                                    build), to show what a change costs
//
// - Time: hyperfine -N, all runtimes in each invocation. hyperfine runs a
//   command's runs back to back, so the runs are split into rounds whose
//   order rotates; the ratios are taken from the pooled runs.
// - Every measured command runs in one private mount namespace where crun
//   1.8.1 accepts a hybrid cgroup host (see hybridWorkaround): the same for
//   all runtimes, and no wrapper process inside any timed run.
// - Memory: what each runtime lets its container's memory cgroup be charged
//   for while running /bin/true (see cgroups.ts), and the peak RSS of the
//   runtime's process tree from /usr/bin/time.
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BINARY, ensurePackages } from "../../build.ts";
import { DEFAULT_DATA_ROOT } from "../../src/runtime/host-context.ts";
import { BenchCgroups } from "./cgroups.ts";
import { BENCH_BRIDGE, hybridWorkaround, installPeer, makeBundle, makeRootfs, mustRun, note, PEERS, snapshotBridge, spawn, type Peer, type Runtime } from "./common.ts";

// Installed by apt-get from here when missing, so a fresh machine or CI needs no set-up.
const TOOLS = ["hyperfine", "time", "busybox-static", "nftables", "iproute2"];
const ROUNDS = 5;
const RUNS_PER_ROUND = 6;
const WARMUP = 3;
const MEMORY_REPS = 5;

interface Subject {
  name: string;
  runtime: Runtime;
  argv: string[]; // the timed command
  memoryArgv: string[]; // the command of the memory runs
  cleanup?: string[]; // removes a container a failed run left behind
}

interface Timing {
  times: number[]; // seconds, every run
  roundMedians: number[];
  roundCpu: number[]; // seconds of user + system time per run, each round's mean
}

interface Memory {
  charged?: number; // bytes, median
  maxRssKiB: number; // median
  containSays?: string; // contain's own --stats figures, for comparison
  samples: number[]; // bytes charged, every run: the counter moves in steps of the charge batch
}

interface Sample {
  charged?: number; // bytes
  maxRssKiB: number;
  containSays?: string;
}

function containSubjects(contain: string, work: string, rootfs: string): Subject[] {
  const root = ["--root", join(work, "state/contain")];
  const cmd = (extra: string[]) => [contain, "run", "-q", ...root, ...extra, "--", "/bin/true"];
  const none = ["--net", "none"];
  return [
    { name: "contain", runtime: "contain", argv: cmd([...none, "--rootfs", rootfs]), memoryArgv: cmd([...none, "--stats", "--rootfs", rootfs]) },
    { name: "contain --net bridge", runtime: "contain", argv: cmd([...BENCH_BRIDGE, "--rootfs", rootfs]), memoryArgv: cmd([...BENCH_BRIDGE, "--stats", "--rootfs", rootfs]) },
    { name: "contain (embedded rootfs)", runtime: "contain", argv: cmd(none), memoryArgv: cmd([...none, "--stats"]) },
    // the writable layer on a capped filesystem of its own: mkfs, a loop device, a mount
    { name: "contain --storage-opt size=1G", runtime: "contain", argv: cmd([...none, "--storage-opt", "size=1G", "--rootfs", rootfs]), memoryArgv: cmd([...none, "--storage-opt", "size=1G", "--stats", "--rootfs", rootfs]) },
  ];
}

// --baseline BINARY: an earlier build, timed as "contain (baseline)" beside the rest.
function baselineSubjects(work: string, rootfs: string): Subject[] {
  const i = process.argv.indexOf("--baseline");
  if (i < 0) return [];
  const given = process.argv[i + 1];
  if (!given || !existsSync(given)) throw new Error("--baseline needs the path of a contain binary");
  const copy = join(work, "contain-baseline");
  copyFileSync(given, copy);
  const argv = (extra: string[]) => [copy, "run", "-q", "--root", join(work, "state/baseline"), "--net", "none", ...extra, "--rootfs", rootfs, "--", "/bin/true"];
  return [{ name: "contain (baseline)", runtime: "contain", argv: argv([]), memoryArgv: argv(["--stats"]) }];
}

function peerSubject(runtime: Peer, work: string, rootfs: string, cg: BenchCgroups): Subject {
  const bundle = join(work, `bundle-${runtime}`);
  makeBundle(runtime, bundle, rootfs, runtime === "runc" ? cg.runcPath("ctr") : cg.crunPath("ctr"));
  const root = ["--root", join(work, `state/${runtime}`)];
  // `run` without --detach deletes the container when it exits: the fixed id
  // is free again for the next run.
  const argv = [runtime, ...root, "run", "--bundle", bundle, `bench-${runtime}`];
  return { name: runtime, runtime, argv, memoryArgv: argv, cleanup: [runtime, ...root, "delete", "-f", `bench-${runtime}`] };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
}

function rotate<T>(xs: readonly T[], by: number): T[] {
  const k = by % xs.length;
  return [...xs.slice(k), ...xs.slice(0, k)];
}

function timeSubjects(subjects: Subject[], work: string, wrap: (argv: string[]) => string[]): Map<string, Timing> {
  const timings = new Map<string, Timing>(subjects.map((s) => [s.name, { times: [], roundMedians: [], roundCpu: [] }]));
  for (let round = 0; round < ROUNDS; round++) {
    note(`timing, round ${round + 1} of ${ROUNDS}`);
    const json = join(work, `hyperfine-${round}.json`);
    const commands = rotate(subjects, round).flatMap((s) => ["--command-name", s.name, s.argv.join(" ")]);
    const hyperfine = ["hyperfine", "-N", "--warmup", String(WARMUP), "--runs", String(RUNS_PER_ROUND), "--style", "none", "--export-json", json];
    mustRun(wrap([...hyperfine, ...commands]), { passOutput: true });
    const { results } = JSON.parse(readFileSync(json, "utf8")) as { results: { command: string; times: number[]; user: number; system: number }[] };
    for (const r of results) {
      const t = timings.get(r.command);
      t?.times.push(...r.times);
      t?.roundMedians.push(median(r.times));
      t?.roundCpu.push(r.user + r.system);
    }
  }
  return timings;
}

// One run of a subject under /usr/bin/time, with the charge to its memory
// parent cgroup when the machine has a v1 memory hierarchy.
function measureOnce(s: Subject, cg: BenchCgroups, work: string, wrap: (argv: string[]) => string[]): Sample {
  const timeFile = join(work, "time.txt");
  let argv = ["/usr/bin/time", "-v", "-o", timeFile, ...s.memoryArgv];
  // contain nests its cgroup under its caller's: start its CLI in a cgroup of ours.
  if (s.runtime === "contain" && cg.hasMemory)
    argv = ["sh", "-c", 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"', "sh", cg.containCliDir(), ...argv];
  let stderr = "";
  const run = () => {
    const r = spawn(wrap(argv));
    if (r.code !== 0) throw new Error(`${s.memoryArgv.join(" ")} failed (${r.how}): ${r.stderr.trim()}`);
    stderr = r.stderr;
  };
  const charged = cg.hasMemory ? cg.peakInFreshCgroup(cg.memoryParent(s.runtime), run) : (run(), undefined);
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(readFileSync(timeFile, "utf8"))?.[1];
  return { charged, maxRssKiB: Number(rss), containSays: /\[contain\] usage: peak memory ([^,\s]+)/.exec(stderr)?.[1] };
}

function measureMemory(subjects: Subject[], cg: BenchCgroups, work: string, wrap: (argv: string[]) => string[]): Map<string, Memory> {
  if (!cg.hasMemory) note("no cgroup v1 memory hierarchy: charged memory is not measured");
  const samples = new Map(subjects.map((s) => [s.name, [] as Sample[]]));
  // Interleaved, as the timings are.
  for (let rep = 0; rep < MEMORY_REPS; rep++) {
    note(`memory, run ${rep + 1} of ${MEMORY_REPS}`);
    for (const s of subjects) samples.get(s.name)?.push(measureOnce(s, cg, work, wrap));
  }
  return new Map(
    [...samples].map(([name, xs]) => {
      const charged = xs.flatMap((x) => (x.charged === undefined ? [] : [x.charged]));
      const says = xs.flatMap((x) => (x.containSays ? [x.containSays] : []));
      const memory: Memory = {
        charged: charged.length ? median(charged) : undefined,
        maxRssKiB: median(xs.map((x) => x.maxRssKiB)),
        containSays: says.length ? says.join(" ") : undefined,
        samples: charged,
      };
      return [name, memory];
    }),
  );
}

function firstLine(argv: string[]): string {
  return spawn(argv).stdout.split("\n")[0]?.trim() ?? "?";
}

const ms = (seconds: number) => (seconds * 1000).toFixed(1);
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(2)} MiB`;
const kib = (bytes: number) => `${Math.round(bytes / 1024)}K`;
const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

function printTimings(subjects: Subject[], skipped: string[], timings: Map<string, Timing>): void {
  const med = (name: string) => median(timings.get(name)?.times ?? []);
  console.log(`\n## Start-up: run /bin/true (hyperfine -N, ${ROUNDS} rounds x ${RUNS_PER_ROUND} runs, ${WARMUP} warm-up runs per round)\n`);
  for (const s of subjects) {
    const t = timings.get(s.name);
    if (!t) continue;
    const range = `min ${ms(Math.min(...t.times))}  max ${ms(Math.max(...t.times))}`;
    const cpu = `cpu ${ms(mean(t.roundCpu))} ms/run`;
    console.log(`${s.name.padEnd(26)} median ${ms(med(s.name))} ms  ${range}  ${cpu}  (round medians ${t.roundMedians.map(ms).join(" / ")}; n=${t.times.length})`);
  }
  const contain = timings.get("contain");
  for (const peer of PEERS) {
    const other = timings.get(peer);
    if (!contain || !other) continue;
    const perRound = contain.roundMedians.map((c, i) => (c / (other.roundMedians[i] ?? NaN)).toFixed(2));
    console.log(`contain/${peer}: ${(med("contain") / med(peer)).toFixed(2)}  (per round ${perRound.join(" ")})`);
  }
  if (timings.has("runc")) {
    const ratio = med("contain") / med("runc");
    console.log(`target contain/runc <= 1.0: ${ratio <= 1 ? "met" : "not met"} (${ratio.toFixed(2)})`);
  }
  for (const s of skipped) console.log(`${s}: skipped, not installed`);
}

function printMemory(subjects: Subject[], memory: Map<string, Memory>): void {
  console.log(`\n## Memory (medians of ${MEMORY_REPS} runs)\n`);
  for (const s of subjects) {
    const m = memory.get(s.name);
    if (!m) continue;
    const charged = m.charged === undefined ? "not measured" : `${mib(m.charged)} (runs: ${m.samples.map(kib).join(" ")})`;
    const says = m.containSays ? `  (contain --stats: ${m.containSays})` : "";
    console.log(`${s.name.padEnd(26)} charged to the container's cgroup ${charged}, peak RSS ${mib(m.maxRssKiB * 1024)}${says}`);
  }
}

function printTable(subjects: Subject[], skipped: string[], timings: Map<string, Timing>, memory: Map<string, Memory>): void {
  const med = (name: string) => median(timings.get(name)?.times ?? []);
  console.log("\n## Table\n");
  console.log("| runtime | median start (ms) | time / contain's | CPU per run (ms) | memory charged to the container's cgroup ¹ | peak RSS |");
  console.log("|---|---:|---:|---:|---:|---:|");
  for (const s of subjects) {
    const m = memory.get(s.name);
    const charged = m?.charged === undefined ? "-" : mib(m.charged);
    const rss = m ? mib(m.maxRssKiB * 1024) + (s.runtime === "contain" ? " ²" : "") : "-";
    const cpu = ms(mean(timings.get(s.name)?.roundCpu ?? []));
    console.log(`| ${s.name} | ${ms(med(s.name))} | ${(med(s.name) / med("contain")).toFixed(2)} | ${cpu} | ${charged} | ${rss} |`);
  }
  for (const s of skipped) console.log(`| ${s} | not installed | | | | |`);
  console.log(
    "\n¹ Peak of a v1 memory cgroup around the container's, made fresh for each run; the kernel charges in" +
      " per-CPU batches of 64 pages, so figures move in steps of 256 KiB." +
      "\n² /usr/bin/time reports the largest process of the runtime's tree; for contain that is the CLI or its" +
      " short-lived Bun init stage (which execs /bin/true), whichever peaked higher.",
  );
}

function printVersions(contain: string, peers: readonly string[]): void {
  console.log("\n## Versions\n");
  console.log(`- ${firstLine([contain, "--version"])}`);
  for (const p of peers) console.log(`- ${firstLine([p, "--version"])}`);
  console.log(`- ${firstLine(["hyperfine", "--version"])}`);
  console.log(`- kernel ${firstLine(["uname", "-r"])}`);
}

// The default root that `contain run` without --rootfs unpacks on first use:
// removed afterwards if this run unpacked it.
function snapshotDataRoot(): () => void {
  const rootfsDir = join(DEFAULT_DATA_ROOT, "rootfs");
  const existed = existsSync(DEFAULT_DATA_ROOT);
  const before = new Set(existsSync(rootfsDir) ? readdirSync(rootfsDir) : []);
  return () => {
    if (!existed) return rmSync(DEFAULT_DATA_ROOT, { recursive: true, force: true });
    for (const entry of existsSync(rootfsDir) ? readdirSync(rootfsDir) : [])
      if (!before.has(entry)) rmSync(join(rootfsDir, entry), { recursive: true, force: true });
  };
}

function main(): void {
  if (process.getuid?.() !== 0) throw new Error("the benchmark runs containers: run it as root");
  if (!existsSync(BINARY)) throw new Error(`${BINARY} is missing: build it first with \`bun build.ts\``);
  ensurePackages(TOOLS);
  const peers = PEERS.filter(installPeer);
  const skipped = PEERS.filter((p) => !peers.includes(p));

  const work = mkdtempSync("/tmp/contain-bench-");
  chmodSync(work, 0o755);
  const emptyFile = join(work, "empty");
  writeFileSync(emptyFile, "");
  const prefix = hybridWorkaround(emptyFile);
  const wrap = (argv: string[]) => [...prefix, ...argv];
  const cg = new BenchCgroups(`contain-bench-${process.pid}`);
  const restoreDataRoot = snapshotDataRoot();
  const removeBridge = snapshotBridge();
  let subjects: Subject[] = [];
  try {
    // A private copy: a rebuild during the run must not mix two binaries.
    const contain = join(work, "contain");
    copyFileSync(BINARY, contain);
    const rootfs = makeRootfs(work);
    subjects = [...containSubjects(contain, work, rootfs), ...baselineSubjects(work, rootfs), ...peers.map((p) => peerSubject(p, work, rootfs, cg))];
    const timings = timeSubjects(subjects, work, wrap);
    const memory = measureMemory(subjects, cg, work, wrap);
    printTimings(subjects, skipped, timings);
    printMemory(subjects, memory);
    printTable(subjects, skipped, timings, memory);
    printVersions(contain, peers);
  } finally {
    for (const s of subjects) if (s.cleanup) spawn(wrap(s.cleanup));
    rmSync(work, { recursive: true, force: true });
    cg.removeAll(note);
    removeBridge();
    restoreDataRoot();
  }
}

// Ctrl-C reaches hyperfine too (same process group) and makes it fail: the
// failure then unwinds through main's cleanup instead of Bun exiting at once.
process.on("SIGINT", () => note("interrupted"));
main();
