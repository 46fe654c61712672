// Lifecycle benchmark: 50 detached containers started one after another,
// then each given an `exec -- /bin/true`, then stopped, then removed, by
// contain, runc and crun in the same run.
// Prints ms per container for each phase, the resident memory that each
// running detached container leaves behind, and checks that nothing leaks.
// It measures and prints; like start.ts it asserts nothing about speed.
//
//   node_modules/.bin/bun test/bench/lifecycle.ts     (npm run bench:lifecycle; as root)
//   N=10 node_modules/.bin/bun test/bench/lifecycle.ts
//   ... lifecycle.ts --baseline OLD_CONTAIN    also times another contain build
//   ... lifecycle.ts --floor                   also times Bun's floor: a compiled
//       Bun program that does nothing (each phase), and one that does only
//       rm's work (floor-rm.ts; its containers are contain's)
//   SKIP_RUNC=1 SKIP_CRUN=1 ...                 without the peers
//
// - The runtimes take turns container by container (contain 1, runc 1,
//   crun 1, contain 2, ...), so the machine's noise falls on all alike.
// - start: `run -d` of `sleep 3600`, contain's with `--net none` (runc's and
//   crun's default bundles have a network namespace with only lo; NET=bridge
//   gives contain its default network instead). exec: `exec -- /bin/true`,
//   runc's and crun's `exec ID /bin/true`. stop: contain's `stop -t 0` (SIGTERM,
//   then SIGKILL, and it returns once the container is released); runc's and
//   crun's `kill KILL`, then `state` until it says stopped. rm: `rm` and
//   `delete`.
// - Everything runs in one private mount namespace where crun 1.8.1 accepts
//   this hybrid cgroup host (common.ts), the same for all runtimes.
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, chmodSync, openSync, closeSync } from "node:fs";
import { join } from "node:path";
import { BINARY, ensurePackages } from "../../build.ts";
import { BenchCgroups } from "./cgroups.ts";
import { hybridWorkaround, installPeer, makeBundle, makeRootfs, mustRun, note, PEERS, spawn, type Runtime } from "./common.ts";

const N = Number(process.env.N ?? 50);
const INSIDE = "CONTAIN_BENCH_INSIDE";
const NET = process.env.NET ?? "none";
// More run flags for contain's start, e.g. FLAGS="--no-overlay --read-only"
// for a root like the peers' bundles (theirs, read-only, no copy-on-write).
const FLAGS = (process.env.FLAGS ?? "").split(" ").filter(Boolean);
const PHASES = ["start", "exec", "stop", "rm"] as const;
type Phase = (typeof PHASES)[number];

interface Subject {
  runtime: Runtime;
  name: string;
  argv(phase: Phase, i: number): string[];
  stopped?(i: number): boolean; // runc, crun: after kill, until the state says so
  times: Record<Phase, number[]>;
  shows?: readonly Phase[]; // the phases its row reports (all when absent)
  leftovers(): string[]; // what is left after rm
  cleanup(): void; // removes whatever a failed run left
}

const shown = (s: Subject, p: Phase) => !s.shows || s.shows.includes(p);

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
}
const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

// A timed command; its output goes to a file, never to a pipe a detached
// container could hold open.
function timed(argv: string[], errFile: string): number {
  const fd = openSync(errFile, "w");
  try {
    const t0 = performance.now();
    const r = Bun.spawnSync(argv, { stdin: "ignore", stdout: fd, stderr: fd });
    const ms = performance.now() - t0;
    if (r.exitCode !== 0) throw new Error(`${argv.join(" ")} failed (exit ${r.exitCode}): ${readFileSync(errFile, "utf8").trim()}`);
    return ms;
  } finally {
    closeSync(fd);
  }
}

// `rm`: another remover of the same containers (the floor's).
function containSubject(contain: string, work: string, rootfs: string, name = "contain", rm?: (root: string, i: number) => string[]): Subject {
  const root = join(work, `state/${name === "contain" ? "contain" : name.replace(/\W+/g, "-")}`);
  const base = [contain, "--root", root];
  return {
    runtime: "contain",
    name,
    times: { start: [], exec: [], stop: [], rm: [] },
    argv(phase, i) {
      const [bin, ...rootFlag] = base;
      if (phase === "start") return [bin ?? "", "run", ...rootFlag, "-d", "-q", "--net", NET, ...FLAGS, "--rootfs", rootfs, "--name", `b${i}`, "--", "sleep", "3600"];
      if (phase === "exec") return [bin ?? "", "exec", ...rootFlag, `b${i}`, "--", "/bin/true"];
      if (phase === "stop") return [bin ?? "", "stop", ...rootFlag, "-t", "0", `b${i}`];
      return rm ? rm(root, i) : [bin ?? "", "rm", ...rootFlag, `b${i}`];
    },
    ...(rm ? { shows: ["rm"] as const } : {}),
    leftovers() {
      const left: string[] = [];
      if (existsSync(root) && readdirSync(root).length) left.push(`state entries: ${readdirSync(root).join(" ")}`);
      const monitors = spawn(["pgrep", "-f", `^contain-monitor .* ${root} `]).stdout.trim();
      if (monitors) left.push(`monitors: ${monitors.split("\n").join(" ")}`);
      return left;
    },
    cleanup() {
      if (existsSync(root) && readdirSync(root).length) spawn([contain, "rm", "-f", "--root", root, ...readdirSync(root)]);
    },
  };
}

function peerSubject(runtime: "runc" | "crun", work: string, rootfs: string, cg: BenchCgroups): Subject {
  const root = join(work, `state/${runtime}`);
  for (let i = 0; i < N; i++)
    makeBundle(runtime, join(work, `bundle-${runtime}-${i}`), rootfs, runtime === "runc" ? cg.runcPath(`c${i}`) : cg.crunPath(`c${i}`), ["sleep", "3600"]);
  const r = [runtime, "--root", root];
  return {
    runtime,
    name: runtime,
    times: { start: [], exec: [], stop: [], rm: [] },
    argv(phase, i) {
      if (phase === "start") return [...r, "run", "-d", "--bundle", join(work, `bundle-${runtime}-${i}`), `b${i}`];
      if (phase === "exec") return [...r, "exec", `b${i}`, "/bin/true"];
      if (phase === "stop") return [...r, "kill", `b${i}`, "KILL"];
      return [...r, "delete", `b${i}`];
    },
    stopped(i) {
      const state = spawn([...r, "state", `b${i}`]).stdout;
      return /"status": "stopped"/.test(state);
    },
    leftovers() {
      const list = spawn([...r, "list", "-q"]).stdout.trim();
      return list ? [`containers: ${list.split("\n").join(" ")}`] : [];
    },
    cleanup() {
      for (const id of spawn([...r, "list", "-q"]).stdout.split("\n").filter(Boolean)) spawn([...r, "delete", "--force", id]);
    },
  };
}

// --floor: Bun's floor, compiled as contain is (--compile --bytecode).
function floorSubjects(contain: string, work: string, rootfs: string): Subject[] {
  const compile = (name: string) => {
    const out = join(work, name);
    mustRun([process.execPath, "build", join(import.meta.dir, `${name}.ts`), "--compile", "--bytecode", "--format=esm", "--outfile", out]);
    return out;
  };
  const hello = compile("floor-hello");
  const remover = compile("floor-rm");
  return [
    { runtime: "contain", name: "Bun hello", times: { start: [], exec: [], stop: [], rm: [] }, argv: () => [hello], leftovers: () => [], cleanup() {} },
    containSubject(contain, work, rootfs, "Bun rm floor", (root, i) => [remover, root, `b${i}`]),
  ];
}

// VmRSS and Pss (kB) of a process.
function memoryOf(pid: number): { rss: number; pss: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
  return { rss: Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1]), pss: Number(/^Pss:\s+(\d+)/m.exec(rollup)?.[1]) };
}

// What stays beside each running container: contain's monitors; for runc and
// crun, any process of theirs at all.
function residentMemory(subjects: Subject[], contain: string, work: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const s of subjects) {
    if (s.name === "contain") {
      const ps = JSON.parse(mustRun([contain, "inspect", "--root", join(work, "state/contain"), ...Array.from({ length: N }, (_, i) => `b${i}`)])) as {
        MonitorPid: number;
      }[];
      const mem = ps.map((c) => memoryOf(c.MonitorPid));
      out.set("contain", `monitor: RSS ${(mean(mem.map((m) => m.rss)) / 1024).toFixed(2)} MiB, PSS ${(mean(mem.map((m) => m.pss)) / 1024).toFixed(2)} MiB (mean of ${mem.length})`);
    } else if (s.runtime !== "contain") {
      // Zombies hold no memory: a parent that never reaps (this machine's PID 1) keeps them.
      const procs = spawn(["ps", "-C", s.runtime, "-o", "stat=,rss="]).stdout.trim().split("\n").filter(Boolean).map((l) => l.trim().split(/\s+/));
      const live = procs.filter(([stat]) => !stat?.startsWith("Z"));
      const zombies = procs.length - live.length;
      const rss = live.reduce((kb, [, r]) => kb + Number(r), 0);
      out.set(s.runtime, `${live.length ? `${live.length} processes, RSS ${(rss / 1024 / live.length).toFixed(2)} MiB each` : "nothing stays"}${zombies ? ` (${zombies} zombies of ${s.runtime})` : ""}`);
    }
  }
  return out;
}

// --baseline BINARY: an earlier build, timed as "contain (baseline)" beside the rest.
function baselineBinary(work: string): string | undefined {
  const i = process.argv.indexOf("--baseline");
  if (i < 0) return undefined;
  const given = process.argv[i + 1];
  if (!given || !existsSync(given)) throw new Error("--baseline needs the path of a contain binary");
  const copy = join(work, "contain-baseline");
  copyFileSync(given, copy);
  return copy;
}

function inside(): void {
  const work = mkdtempSync("/tmp/contain-bench-life-");
  chmodSync(work, 0o755);
  const cg = new BenchCgroups(`contain-bench-${process.pid}`);
  const subjects: Subject[] = [];
  const mountsBefore = readFileSync("/proc/self/mountinfo", "utf8");
  try {
    const contain = join(work, "contain");
    copyFileSync(BINARY, contain);
    const rootfs = makeRootfs(work);
    subjects.push(containSubject(contain, work, rootfs));
    const baseline = baselineBinary(work);
    if (baseline) subjects.push(containSubject(baseline, work, rootfs, "contain (baseline)"));
    if (process.argv.includes("--floor")) subjects.push(...floorSubjects(contain, work, rootfs));
    for (const peer of PEERS) if (process.env[`SKIP_${peer.toUpperCase()}`] !== "1") subjects.push(peerSubject(peer, work, rootfs, cg));
    const errFile = join(work, "stderr.txt");
    let resident = new Map<string, string>();
    for (const phase of PHASES) {
      note(`${phase}: ${N} containers each, one after another`);
      for (let i = 0; i < N; i++)
        for (const s of subjects) {
          const t0 = performance.now();
          timed(s.argv(phase, i), errFile);
          if (phase === "stop" && s.stopped) while (!s.stopped(i)) Bun.sleepSync(1);
          s.times[phase].push(performance.now() - t0);
        }
      if (phase === "start") resident = residentMemory(subjects, contain, work);
    }
    console.log(`\n## Lifecycle: ${N} detached containers, one after another (ms per container)\n`);
    console.log(`contain's start: --net ${NET}${FLAGS.length ? ` ${FLAGS.join(" ")}` : ""}\n`);
    console.log("| runtime | start (median / mean) | exec | stop | rm | resident memory per running container |");
    console.log("|---|---:|---:|---:|---:|---|");
    for (const s of subjects) {
      const cell = (p: Phase) => (shown(s, p) ? `${median(s.times[p]).toFixed(1)} / ${mean(s.times[p]).toFixed(1)}` : "-");
      console.log(`| ${s.name} | ${PHASES.map(cell).join(" | ")} | ${resident.get(s.name) ?? "-"} |`);
    }
    const ours = subjects.find((s) => s.name === "contain");
    for (const other of subjects.filter((s) => s !== ours))
      if (ours) console.log(`contain/${other.name} (medians): ${PHASES.filter((p) => shown(other, p)).map((p) => `${p} ${(median(ours.times[p]) / median(other.times[p])).toFixed(2)}`).join(", ")}`);
    const leaks = subjects.flatMap((s) => s.leftovers().map((l) => `${s.name}: ${l}`));
    const mountsAfter = readFileSync("/proc/self/mountinfo", "utf8");
    if (mountsAfter !== mountsBefore) leaks.push("the mount table changed");
    const containCgroups = spawn(["sh", "-c", "find /sys/fs/cgroup -type d -path '*/contain/*' -name '????????????????????????????????????????????????????????????????' | wc -l"]).stdout.trim();
    console.log(`\nleaks after rm: ${leaks.length ? leaks.join("; ") : "none"} (contain container cgroups on the machine, any user's: ${containCgroups})`);
    console.log(`versions: ${mustRun([contain, "--version"]).trim()}; ${PEERS.map((p) => spawn([p, "--version"]).stdout.split("\n")[0]).join("; ")}`);
  } finally {
    for (const s of subjects) s.cleanup();
    rmSync(work, { recursive: true, force: true });
    cg.removeAll(note);
  }
}

function main(): void {
  if (process.getuid?.() !== 0) throw new Error("the benchmark runs containers: run it as root");
  if (!existsSync(BINARY)) throw new Error(`${BINARY} is missing: build it first with \`bun build.ts\``);
  if (process.env[INSIDE] === "1") return inside();
  ensurePackages(["busybox-static"]);
  for (const peer of PEERS) if (!installPeer(peer)) process.env[`SKIP_${peer.toUpperCase()}`] = "1";
  const empty = mkdtempSync("/tmp/contain-bench-empty-");
  writeFileSync(join(empty, "empty"), "");
  try {
    const r = Bun.spawnSync([...hybridWorkaround(join(empty, "empty")), process.execPath, import.meta.path, ...process.argv.slice(2)], {
      env: { ...process.env, [INSIDE]: "1" },
      stdio: ["ignore", "inherit", "inherit"],
    });
    process.exitCode = r.exitCode ?? 1;
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
}

main();
