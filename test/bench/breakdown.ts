// Where the time of one container start goes: `contain run -- /bin/true`
// (--net none, then --net bridge) and `contain run -d -- sleep`, each split
// into phases with their medians over N runs, and the milestones that runc
// and crun pass on the same way (their first cgroup, the moves into cgroups,
// the mounts, pivot_root, the command's exec and exit, the teardown).
// It measures and prints; it asserts nothing.
//
//   node_modules/.bin/bun test/bench/breakdown.ts [N]   (npm run bench:breakdown; as root)
//
// - The timestamps are the kernel's (trace.ts): each command runs in a
//   private tracefs instance that follows its process tree, so every process
//   (the CLI, the monitor, the init, the helper, the command) is timed on one
//   clock, and nothing is stopped to take the time (unlike strace).
// - contain runs at its default verbosity, so its step lines on stderr mark
//   the phases that no system call does.
// - Subjects take turns run by run; each phase's median and quartiles are
//   over the N runs. The traced total is checked against the same command
//   timed without the trace, interleaved too.
import { closeSync, copyFileSync, chmodSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BINARY, ensurePackages } from "../../build.ts";
import { BenchCgroups } from "./cgroups.ts";
import { BENCH_BRIDGE, hybridWorkaround, installPeer, makeBundle, makeRootfs, note, PEERS, snapshotBridge, spawn, type Runtime } from "./common.ts";
import { arg, Tracer, tracefsRoot, type TraceEvent } from "./trace.ts";

const TOOLS = ["busybox-static", "nftables", "iproute2"];
const RUNS = Number(process.argv[2] ?? 15);
const WARMUP = 2;

type Mode = "run" | "detach";

interface Subject {
  name: string;
  runtime: Runtime;
  mode: Mode;
  argv: (i: number) => string[];
  command: string; // the container's command, as its exec names it
  afterRun?: (i: number, stdout: string) => void; // removes a detached container, untraced
}

// One traced run: its events, and contain's stderr lines.
interface Sample {
  events: TraceEvent[];
  lines: string[];
  untracedMs: number;
}

const median = (xs: readonly number[]) => quantile(xs, 0.5);
function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  return (s[lo] ?? NaN) + ((s[Math.ceil(pos)] ?? NaN) - (s[lo] ?? NaN)) * (pos - lo);
}

// ---- finding things in a run's events ----

class Run {
  readonly main: number; // the runtime's first process
  readonly t0: number; // its execve
  readonly labels: { ts: number; line: string }[];
  private readonly tree: Set<number>;

  constructor(
    readonly events: TraceEvent[],
    readonly lines: string[],
    binary: string,
  ) {
    const exec = events.find((e) => e.name === "sched_process_exec" && e.args.filename === binary);
    if (!exec) throw new Error(`the trace has no exec of ${binary}`);
    this.main = exec.pid;
    this.t0 = this.last((e) => e.pid === exec.pid && e.name === "sys_execve" && e.kind === "enter", exec.ts)?.ts ?? exec.ts;
    this.tree = new Set(events.map((e) => e.tgid));
    this.labels = labelLines(events, lines);
  }

  first(p: (e: TraceEvent) => boolean, after = -Infinity): TraceEvent | undefined {
    return this.events.find((e) => e.ts >= after && p(e));
  }

  last(p: (e: TraceEvent) => boolean, before = Infinity): TraceEvent | undefined {
    return this.events.findLast((e) => e.ts <= before && p(e));
  }

  // A syscall of one thread: its entry after `after`, and the exit that follows it.
  call(pid: number, name: string, after = -Infinity, when: (e: TraceEvent) => boolean = () => true): { enter?: TraceEvent; exit?: TraceEvent } {
    const enter = this.first((e) => e.pid === pid && e.name === `sys_${name}` && e.kind === "enter" && when(e), after);
    const exit = enter && this.first((e) => e.pid === pid && e.name === `sys_${name}` && e.kind === "exit", enter.ts);
    return { enter, exit };
  }

  // When a step line was written.
  line(text: string): number | undefined {
    return this.labels.find((l) => l.line.includes(text))?.ts;
  }

  // A SIGCHLD sent outside the traced tree: the end as its caller sees it.
  endOf(pid: number, after: number): number | undefined {
    return this.first((e) => e.name === "signal_generate" && e.tgid === pid && !this.tree.has(Number(e.args.pid)), after)?.ts;
  }
}

// The k-th write to fd 2 wrote the k-th line (one write a line: src/log.ts),
// checked by its byte count; none is labelled when they disagree.
function labelLines(events: TraceEvent[], lines: string[]): { ts: number; line: string }[] {
  const writes = events.filter((e) => e.name === "sys_write" && e.kind === "enter" && arg(e, "fd") === 2);
  if (writes.length !== lines.length) return [];
  const labels = writes.map((w, i) => ({ ts: w.ts, line: lines[i] ?? "", count: arg(w, "count") }));
  return labels.every((l) => l.count === Buffer.byteLength(`${l.line}\n`)) ? labels : [];
}

// ---- contain's phases ----

type Who = "CLI" | "monitor" | "init" | "helper" | "command" | "kernel";
interface Phase {
  who: Who;
  what: string;
  from?: number;
  to?: number;
}

const CLONE_VFORK = 0x4000;

// Named by what contain does between two events; see src/runtime/run.ts,
// init-process.ts, src/init/init.ts and ffi/helper.c for the order.
function containPhases(r: Run, mode: Mode): Phase[] {
  const cli = r.main;
  const ts = (e: TraceEvent | undefined) => e?.ts;
  const exec = r.first((e) => e.pid === cli && e.name === "sched_process_exec");
  const bun = r.call(cli, "umask").enter;
  const flags = r.call(cli, "geteuid", ts(bun)).enter;
  const lock = r.call(cli, "flock", ts(flags)).enter;
  const mkdirs = r.events.filter((e) => e.name === "cgroup_mkdir" && e.pid === cli);
  const rootfs = r.line("setting up rootfs");
  const namespaces = r.line("creating namespaces");
  // The CLI's clone: of the init (run), of the monitor (run -d).
  // The CLI's clone: of the init (run; ahead of everything when the line
  // allows it, cli/ahead.ts), of the monitor (run -d). The init is the child
  // that mounts (one cloned ahead and discarded does not).
  const vfork = (e: TraceEvent) => ((arg(e, "clone_flags") ?? 0) & CLONE_VFORK) !== 0;
  const clones = r.events.filter((e) => e.pid === cli && e.name === "sys_clone" && e.kind === "enter" && vfork(e)).map((e) => r.call(cli, "clone", e.ts, vfork));
  const mounts = (c: { exit?: TraceEvent }) => r.first((e) => e.pid === c.exit?.ret && e.name === "sys_mount") !== undefined;
  const clone = (mode === "run" ? clones.find(mounts) : clones[0]) ?? {};
  const child = clone.exit?.ret;
  const ahead = lock !== undefined && clone.enter !== undefined && clone.enter.ts < lock.ts;
  // The channel's reads (65536 bytes: the only ones traced): ready, then the exec's EOF.
  const ready = r.call(cli, "read", ahead ? ts(lock) : ts(clone.exit));
  const execd = r.call(cli, "read", ts(ready.exit));
  // The plan: the CLI's last large write before it waits for ready.
  const planSent = r.last((e) => e.pid === cli && e.name === "sys_write" && e.kind === "enter" && (arg(e, "count") ?? 0) >= 4096, ts(ready.enter));
  // The veth: the first netlink socket after the container's files.
  const veth = rootfs === undefined ? undefined : r.call(cli, "socket", rootfs).enter;
  // The CLI's steps up to the plan, in the order they happened (each label
  // names what begins there).
  const steps: [string, number | undefined][] = [
    ["exec of the binary", r.t0],
    ["Bun start", ts(exec)],
    [ahead ? "the clone's modules, sealed binary, pipes" : "module evaluation, flag parsing", ts(bun)],
    ["shim, sweep of the state, Spec and Plan", ts(flags)],
    ["state entry (lock, state.json)", ts(lock)],
    [ahead ? "init recorded in the state" : "sealed binary, pipes", namespaces],
    [mode === "run" ? `clone, execve of the init (vfork)${ahead ? ", ahead" : ""}` : "clone, execve of the monitor (vfork)", ts(clone.enter)],
    [ahead ? "module evaluation, flag parsing" : "init recorded in the state", ts(clone.exit)],
    [`cgroup creation (${mkdirs.length} mkdir)`, ts(mkdirs[0])],
    ["bridge network: lease, bridge, nft, hosts", ts(mkdirs.at(-1))],
    ["container files (data dir, /etc)", rootfs],
    ["veth into the init's netns", veth && planSent && veth.ts < planSent.ts ? veth.ts : undefined],
    ["plan sent; the seccomp filter compiled (it goes with go)", ts(planSent)],
    ["waits for ready", ts(ready.enter)],
  ];
  const found = steps.flatMap(([what, at]) => (at === undefined ? [] : [{ what, at }])).sort((a, b) => a.at - b.at);
  const phases: Phase[] = found.map((step, i) => ({ who: "CLI" as const, what: step.what, from: step.at, to: found[i + 1]?.at ?? ts(ready.exit) }));
  let init = child;
  if (mode === "detach") {
    const monitorExec = child === undefined ? undefined : r.first((e) => e.pid === child && e.name === "sched_process_exec");
    const monitorClone = child === undefined ? {} : r.call(child, "clone", ts(monitorExec));
    init = monitorClone.exit?.ret;
    phases.push(
      { who: "monitor", what: "start of the monitor", from: ts(monitorExec), to: ts(monitorClone.enter) },
      { who: "monitor", what: "clone, execve of the init (vfork)", from: ts(monitorClone.enter), to: ts(monitorClone.exit) },
    );
  }
  if (init === undefined) return phases;
  const iExec = r.first((e) => e.pid === init && e.name === "sched_process_exec");
  const iBun = r.call(init, "umask", ts(iExec)).enter;
  const plan = r.call(init, "read", ts(iBun));
  const mount = r.call(init, "mount", ts(plan.exit)).enter;
  const pivot = r.call(init, "pivot_root", ts(mount)).enter;
  const mknod = r.call(init, "mknodat", ts(pivot)).enter;
  const hostname = r.call(init, "sethostname", ts(pivot)).enter;
  const go = r.call(init, "read", ts(plan.exit));
  const helperExec = r.first((e) => e.pid === init && e.name === "sched_process_exec", ts(go.exit));
  const procs = r.call(init, "write", ts(helperExec));
  const unshare = r.call(init, "unshare", ts(helperExec)).enter;
  const procsLast = r.last((e) => e.pid === init && e.name === "sys_write" && e.kind === "exit", ts(unshare));
  const cmdExec = r.first((e) => e.pid === init && e.name === "sched_process_exec", ts(unshare));
  phases.push(
    { who: "init", what: "Bun start", from: ts(iExec), to: ts(iBun) },
    { who: "init", what: "module evaluation", from: ts(iBun), to: ts(plan.enter) },
    { who: "init", what: "waits for the plan", from: ts(plan.enter), to: ts(plan.exit) },
    { who: "init", what: "plan decoded, cgroup.procs opened", from: ts(plan.exit), to: ts(mount) },
    { who: "init", what: "mounts: overlay, /proc, /dev, /sys, cgroups, /etc", from: ts(mount), to: ts(pivot) },
    { who: "init", what: "pivot_root", from: ts(pivot), to: ts(mknod) },
    { who: "init", what: "/dev nodes, masked and read-only paths", from: ts(mknod), to: ts(hostname) },
    { who: "init", what: "hostname, lo/eth0, command lookup, ready", from: ts(hostname), to: ts(go.enter) },
    { who: "init", what: "waits for go (CLI: cgroup limits)", from: ts(go.enter), to: ts(go.exit) },
    { who: "init", what: "helper's request, execve of the helper", from: ts(go.exit), to: ts(helperExec) },
    { who: "helper", what: "start of the helper", from: ts(helperExec), to: ts(procs.enter) },
    { who: "helper", what: "first move into a cgroup", from: ts(procs.enter), to: ts(procs.exit) },
    { who: "helper", what: "the other moves into cgroups", from: ts(procs.exit), to: ts(procsLast) },
    { who: "helper", what: "cgroup namespace, execve of the command", from: ts(procsLast), to: ts(cmdExec) },
  );
  const cliExit = r.call(cli, "exit_group", ts(execd.exit)).enter;
  if (mode === "run") {
    const cmdExit = r.first((e) => e.pid === init && e.name === "sched_process_exit", ts(cmdExec));
    const sigchld = r.first((e) => e.name === "signal_generate" && e.tgid === init && Number(e.args.pid) === cli, ts(cmdExit));
    const reaped = r.first((e) => e.pid === cli && e.name === "sys_wait4" && e.kind === "exit" && e.ret === init, ts(sigchld));
    phases.push(
      { who: "command", what: "/bin/true runs", from: ts(cmdExec), to: ts(cmdExit) },
      { who: "kernel", what: "its exit: namespaces torn down, SIGCHLD", from: ts(cmdExit), to: ts(sigchld) },
      { who: "CLI", what: "wakes, reaps", from: ts(sigchld), to: ts(reaped) },
      { who: "CLI", what: "release: usage, cgroups, state", from: ts(reaped), to: ts(cliExit) },
    );
  } else phases.push({ who: "CLI", what: "after the exec: state saved, ID printed", from: ts(execd.exit), to: ts(cliExit) });
  phases.push({ who: "CLI", what: "exit of the process (Bun's teardown)", from: ts(cliExit), to: cliExit && r.endOf(cli, cliExit.ts) });
  return phases;
}

// ---- milestones any runtime passes ----

// The command by its name: each runtime finds it in the container's PATH.
const execs = (e: TraceEvent, command: string) => (e.args.filename ?? "").endsWith(`/${command}`);

interface Milestones {
  [name: string]: number | undefined;
}

const MILESTONES = [
  "first cgroup made",
  "first move into a cgroup asked",
  "first move into a cgroup done",
  "last move into a cgroup",
  "first mount",
  "pivot_root",
  "command exec'd",
  "command exited",
  "SIGCHLD of the command",
  "runtime's exit_group",
  "end (its caller's SIGCHLD)",
] as const;

function milestones(r: Run, command: string): Milestones {
  const attach = r.events.filter((e) => e.name === "cgroup_attach_task");
  const first = attach[0];
  // The write that asked for the first move: the mover's last write before it.
  const asked = first && r.last((e) => e.pid === first.pid && e.name === "sys_write" && e.kind === "enter", first.ts);
  const cmd = r.first((e) => e.name === "sched_process_exec" && execs(e, command));
  const cmdExit = cmd && r.first((e) => e.pid === cmd.pid && e.name === "sched_process_exit", cmd.ts);
  const sigchld = cmdExit && r.first((e) => e.name === "signal_generate" && e.tgid === cmd.pid, cmdExit.ts);
  // Go's runtime may exit from any of its threads.
  const exit = r.last((e) => e.tgid === r.main && e.name === "sys_exit_group" && e.kind === "enter");
  const out: Milestones = {
    "first cgroup made": r.first((e) => e.name === "cgroup_mkdir")?.ts,
    "first move into a cgroup asked": asked?.ts,
    "first move into a cgroup done": first?.ts,
    "last move into a cgroup": attach.at(-1)?.ts,
    "first mount": r.first((e) => e.name === "sys_mount" && e.kind === "enter")?.ts,
    pivot_root: r.first((e) => e.name === "sys_pivot_root" && e.kind === "enter")?.ts,
    "command exec'd": cmd?.ts,
    "command exited": cmdExit?.ts,
    "SIGCHLD of the command": sigchld?.ts,
    "runtime's exit_group": exit?.ts,
    "end (its caller's SIGCHLD)": exit && r.endOf(r.main, exit.ts),
  };
  for (const k of Object.keys(out)) if (out[k] !== undefined) out[k] = (out[k] ?? 0) - r.t0;
  return out;
}

// ---- the subjects ----

function subjects(contain: string, work: string, rootfs: string, peers: readonly ("runc" | "crun")[], cg: BenchCgroups): Subject[] {
  const root = join(work, "state/contain");
  const run = (extra: string[]) => () => [contain, "run", "--root", root, ...extra, "--rootfs", rootfs, "--", "/bin/true"];
  const list: Subject[] = [
    { name: "contain --net none", runtime: "contain", mode: "run", argv: run(["--net", "none"]), command: "true" },
    { name: "contain --net bridge", runtime: "contain", mode: "run", argv: run(BENCH_BRIDGE), command: "true" },
    {
      name: "contain run -d",
      runtime: "contain",
      mode: "detach",
      argv: () => [contain, "run", "-d", "--root", root, "--net", "none", "--rootfs", rootfs, "--", "sleep", "3600"],
      command: "sleep",
      afterRun: (_, stdout) => void spawn([contain, "rm", "-f", "--root", root, stdout.trim()]),
    },
  ];
  for (const peer of peers) {
    const state = ["--root", join(work, `state/${peer}`)];
    const bundle = (kind: string) => join(work, `bundle-${peer}-${kind}`);
    const path = (leaf: string) => (peer === "runc" ? cg.runcPath(leaf) : cg.crunPath(leaf));
    makeBundle(peer, bundle("run"), rootfs, path("run"));
    makeBundle(peer, bundle("detach"), rootfs, path("detach"), ["sleep", "3600"]);
    list.push(
      { name: `${peer} run`, runtime: peer, mode: "run", argv: (i) => [peer, ...state, "run", "--bundle", bundle("run"), `bd-${peer}-${i}`], command: "true" },
      {
        name: `${peer} run -d`,
        runtime: peer,
        mode: "detach",
        argv: (i) => [peer, ...state, "run", "-d", "--bundle", bundle("detach"), `bdd-${peer}-${i}`],
        command: "sleep",
        afterRun: (i) => void spawn([peer, ...state, "delete", "-f", `bdd-${peer}-${i}`]),
      },
    );
  }
  return list;
}

// One run: traced, or only timed. Output goes to files, never to a pipe that
// a detached container could hold open.
function runOnce(s: Subject, i: number, work: string, wrap: (argv: string[]) => string[], tracer?: Tracer): { events: TraceEvent[]; lines: string[]; ms: number } {
  const outFile = join(work, "out.txt");
  const errFile = join(work, "err.txt");
  const out = openSync(outFile, "w");
  const err = openSync(errFile, "w");
  let ms: number;
  let code: number | null;
  try {
    const argv = tracer ? wrap(tracer.wrap(s.argv(i))) : wrap(s.argv(i));
    const t = performance.now();
    code = Bun.spawnSync(argv, { stdin: "ignore", stdout: out, stderr: err }).exitCode;
    ms = performance.now() - t;
  } finally {
    closeSync(out);
    closeSync(err);
  }
  const events = tracer ? tracer.collect() : [];
  const stderr = readFileSync(errFile, "utf8");
  s.afterRun?.(i, readFileSync(outFile, "utf8"));
  if (code !== 0) throw new Error(`${s.argv(i).join(" ")} failed (exit ${code}): ${stderr.trim()}`);
  return { events, lines: stderr.split("\n").filter(Boolean), ms };
}

// ---- output ----

const f1 = (x: number) => (Number.isNaN(x) ? "-" : x.toFixed(1));
const f2 = (x: number) => (Number.isNaN(x) ? "-" : x.toFixed(2));

function printPhases(name: string, runs: Run[], mode: Mode): void {
  // Rows by what they are, in the order of their median start: the CLI's
  // steps may come in another order from one build to the next.
  const rows = new Map<string, { who: Who; what: string; starts: number[]; durations: number[] }>();
  runs.forEach((r) => {
    for (const p of containPhases(r, mode)) {
      const key = `${p.who}: ${p.what}`;
      const row = rows.get(key) ?? { who: p.who, what: p.what, starts: [], durations: [] };
      rows.set(key, row);
      if (p.from === undefined || p.to === undefined) continue;
      row.starts.push(p.from - r.t0);
      row.durations.push(p.to - p.from);
    }
  });
  console.log(`\n## ${name}: phases (ms; median over ${runs.length} runs, quartiles in brackets; "at" is the median start since the CLI's execve)\n`);
  console.log("| process | phase | at | duration | (p25-p75) |");
  console.log("|---|---|---:|---:|---:|");
  for (const row of [...rows.values()].sort((a, b) => median(a.starts) - median(b.starts))) {
    const d = row.durations;
    const missing = d.length < runs.length ? ` (found in ${d.length} of ${runs.length})` : "";
    console.log(`| ${row.who} | ${row.what}${missing} | ${f1(median(row.starts))} | **${f2(median(d))}** | ${f2(quantile(d, 0.25))}-${f2(quantile(d, 0.75))} |`);
  }
}

function printMilestones(names: string[], runs: Map<string, Run[]>, commands: Map<string, string>, untraced: Map<string, number[]>): void {
  console.log(`\n## Milestones, every runtime (ms since its execve, median)\n`);
  console.log(`| milestone | ${names.join(" | ")} |`);
  console.log(`|---|${names.map(() => "---:").join("|")}|`);
  const table = new Map(names.map((n) => [n, (runs.get(n) ?? []).map((r) => milestones(r, commands.get(n) ?? ""))]));
  const med = (n: string, m: string) => median((table.get(n) ?? []).flatMap((x) => (x[m] === undefined ? [] : [x[m] ?? 0])));
  for (const m of MILESTONES) console.log(`| ${m} | ${names.map((n) => f1(med(n, m))).join(" | ")} |`);
  const derived: [string, (x: Milestones) => number | undefined][] = [
    ["first move's wait (write to attach)", (x) => diff(x["first move into a cgroup asked"], x["first move into a cgroup done"])],
    ["command's exit to its SIGCHLD (teardown)", (x) => diff(x["command exited"], x["SIGCHLD of the command"])],
    ["runtime's exit_group to its end", (x) => diff(x["runtime's exit_group"], x["end (its caller's SIGCHLD)"])],
  ];
  for (const [label, pick] of derived) console.log(`| *${label}* | ${names.map((n) => f2(median((table.get(n) ?? []).flatMap((x) => pick(x) ?? [])))).join(" | ")} |`);
  console.log(`| *untraced: spawn to exit, with the wrapper* | ${names.map((n) => f1(median(untraced.get(n) ?? []))).join(" | ")} |`);
}

const diff = (a?: number, b?: number) => (a === undefined || b === undefined ? undefined : b - a);

function main(): void {
  if (process.getuid?.() !== 0) throw new Error("the breakdown runs containers and reads kernel traces: run it as root");
  if (!tracefsRoot()) throw new Error("tracefs is not mounted at /sys/kernel/tracing");
  ensurePackages(TOOLS);
  const peers = PEERS.filter(installPeer);
  const work = mkdtempSync("/tmp/contain-breakdown-");
  chmodSync(work, 0o755);
  const emptyFile = join(work, "empty");
  writeFileSync(emptyFile, "");
  const prefix = hybridWorkaround(emptyFile);
  const wrap = (argv: string[]) => [...prefix, ...argv];
  const cg = new BenchCgroups(`contain-breakdown-${process.pid}`);
  const removeBridge = snapshotBridge();
  let tracer: Tracer | undefined;
  try {
    // A private copy: a rebuild during the run must not mix two binaries.
    const contain = join(work, "contain");
    copyFileSync(BINARY, contain);
    const rootfs = makeRootfs(work);
    const list = subjects(contain, work, rootfs, peers, cg);
    tracer = new Tracer(`contain-breakdown-${process.pid}`);
    const samples = new Map<string, Sample[]>(list.map((s) => [s.name, []]));
    for (let i = -WARMUP; i < RUNS; i++) {
      if (i >= 0 && i % 5 === 0) note(`run ${i + 1} of ${RUNS}`);
      for (const s of i % 2 ? list : [...list].reverse()) {
        const traced = runOnce(s, i + WARMUP, work, wrap, tracer);
        const plain = runOnce(s, i + WARMUP + RUNS + 10, work, wrap);
        if (i >= 0) samples.get(s.name)?.push({ events: traced.events, lines: traced.lines, untracedMs: plain.ms });
      }
    }
    const runs = new Map(list.map((s) => [s.name, (samples.get(s.name) ?? []).map((x) => new Run(x.events, x.lines, s.runtime === "contain" ? contain : (Bun.which(s.runtime) ?? s.runtime)))]));
    for (const s of list) if (s.runtime === "contain") printPhases(s.name, runs.get(s.name) ?? [], s.mode);
    const untraced = new Map(list.map((s) => [s.name, (samples.get(s.name) ?? []).map((x) => x.untracedMs)]));
    printMilestones(
      list.map((s) => s.name),
      runs,
      new Map(list.map((s) => [s.name, s.command])),
      untraced,
    );
    console.log(`\n${peers.length < PEERS.length ? `skipped, not installed: ${PEERS.filter((p) => !peers.includes(p)).join(" ")}\n` : ""}kernel ${spawn(["uname", "-r"]).stdout.trim()}`);
  } finally {
    tracer?.remove();
    rmSync(work, { recursive: true, force: true });
    cg.removeAll(note);
    removeBridge();
  }
}

process.on("SIGINT", () => note("interrupted"));
main();
