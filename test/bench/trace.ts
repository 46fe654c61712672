// Kernel trace events of one command's process tree, for the breakdown
// (breakdown.ts): a private tracefs instance, so nothing else that traces on
// the machine is disturbed, and a parser of its text output.
//
// Why tracefs and not strace: strace stops the tracee at every traced call
// (tens of µs each, and more on a loaded machine), which moves the phases it
// is meant to time; a trace event costs the kernel ~1 µs and stops nothing.
// Syscall events carry no strings here (no eprobes on these kernels), so
// the phases are found from the calls' numbers and order (a channel read
// asks for 65536 bytes, a log line is a write to fd 2), from the events that
// do name things (an exec's file, a cgroup's path), and from contain's own
// step lines on stderr, paired in order with its writes to fd 2.
import { closeSync, constants, existsSync, mkdirSync, openSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface TraceEvent {
  ts: number; // ms, CLOCK_MONOTONIC
  pid: number; // the thread
  tgid: number; // its process
  comm: string;
  name: string; // "sys_write", "sched_process_exec", ...
  kind: "enter" | "exit" | "event";
  args: Record<string, string>; // a syscall's arguments, an event's fields
  ret?: number; // a syscall's return value
}

const TRACEFS = ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"];

// Each syscall here is traced at entry and exit.
const SYSCALLS = ["execve", "umask", "geteuid", "flock", "clone", "clone3", "unshare", "read", "write", "mount", "pivot_root", "mknodat", "sethostname", "socket", "memfd_create", "wait4", "exit_group"];
const EVENTS = ["sched/sched_process_exec", "sched/sched_process_fork", "sched/sched_process_exit", "cgroup/cgroup_mkdir", "cgroup/cgroup_attach_task", "cgroup/cgroup_rmdir", "signal/signal_generate"];
// Only what the phases need: Bun reads files with smaller buffers, the
// channel (src/linux/channel.ts) with 65536 bytes; only SIGCHLD.
const FILTERS: Record<string, string> = {
  "syscalls/sys_enter_read": "count == 65536",
  "signal/signal_generate": "sig == 17",
};

export function tracefsRoot(): string | undefined {
  return TRACEFS.find((dir) => existsSync(join(dir, "instances")));
}

export class Tracer {
  readonly dir: string;

  constructor(name: string) {
    const root = tracefsRoot();
    if (!root) throw new Error("tracefs is not mounted (mount -t tracefs nodev /sys/kernel/tracing)");
    this.dir = join(root, "instances", name);
    mkdirSync(this.dir);
    try {
      this.write("tracing_on", "0");
      // One clock for every CPU; the default (local) is per CPU.
      this.write("trace_clock", "mono");
      // The children of a traced process are traced (the init, the helper).
      this.write("options/event-fork", "1");
      this.write("options/record-tgid", "1");
      this.write("buffer_size_kb", "8192");
      for (const s of SYSCALLS)
        for (const dir of ["sys_enter", "sys_exit"]) {
          const event = `syscalls/${dir}_${s}`;
          if (existsSync(join(this.dir, "events", event))) this.write(`events/${event}/enable`, "1");
        }
      for (const e of EVENTS) this.write(`events/${e}/enable`, "1");
      for (const [event, filter] of Object.entries(FILTERS)) this.write(`events/${event}/filter`, filter);
    } catch (err) {
      this.remove();
      throw err;
    }
  }

  private write(file: string, value: string): void {
    writeFileSync(join(this.dir, file), value);
  }

  // tracefs empties a file (the trace, the pid list) when it is opened with
  // O_TRUNC; a write of nothing is not enough.
  private empty(file: string): void {
    closeSync(openSync(join(this.dir, file), constants.O_WRONLY | constants.O_TRUNC));
  }

  // The command as run under the trace: the shell adds its own pid (which the
  // command then has, through exec) and starts the trace, so nothing before
  // it is recorded.
  wrap(argv: string[]): string[] {
    return ["sh", "-c", 'echo $$ > "$1/set_event_pid" && echo 1 > "$1/tracing_on" && shift && exec "$@"', "sh", this.dir, ...argv];
  }

  // Stops the trace and returns what it holds, then empties it.
  collect(): TraceEvent[] {
    this.write("tracing_on", "0");
    const text = readFileSync(join(this.dir, "trace"), "utf8");
    this.empty("set_event_pid");
    this.empty("trace");
    return parseTrace(text);
  }

  remove(): void {
    try {
      this.write("tracing_on", "0");
    } catch {}
    // An instance goes with rmdir, its files and events with it.
    rmdirSync(this.dir);
  }
}

// 0xfffffffffffffff5 is -11: syscall results are signed longs.
function number(hex: string): number {
  return Number(BigInt.asIntN(64, BigInt(hex)));
}

// "  contain-3871    (   3871) [000] ..... 11282.739228: sys_mkdir -> 0x0"
const LINE = /^\s*(.*)-(\d+)\s+\(\s*(\d+|-+)\)\s+\[\d+\]\s+\S+\s+(\d+\.\d+):\s(.*)$/;

export function parseTrace(text: string): TraceEvent[] {
  const events: TraceEvent[] = [];
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const [, comm = "", pidText = "", tgidText = "", tsText = "", rest = ""] = m;
    const pid = Number(pidText);
    const base = { ts: Number(tsText) * 1000, pid, tgid: /^\d+$/.test(tgidText) ? Number(tgidText) : pid, comm };
    const exit = /^(sys_\w+) -> (0x[0-9a-f]+)$/.exec(rest);
    if (exit) {
      events.push({ ...base, name: exit[1] ?? "", kind: "exit", args: {}, ret: number(exit[2] ?? "0") });
      continue;
    }
    const enter = /^(sys_\w+)\((.*)\)$/.exec(rest);
    if (enter) {
      const args: Record<string, string> = {};
      for (const pair of (enter[2] ?? "").split(", ")) {
        const i = pair.indexOf(": ");
        if (i > 0) args[pair.slice(0, i)] = pair.slice(i + 2);
      }
      events.push({ ...base, name: enter[1] ?? "", kind: "enter", args });
      continue;
    }
    const event = /^(\w+): (.*)$/.exec(rest);
    if (!event) continue;
    const args: Record<string, string> = {};
    for (const f of (event[2] ?? "").matchAll(/(\w+)=(\S*)/g)) args[f[1] ?? ""] = f[2] ?? "";
    events.push({ ...base, name: event[1] ?? "", kind: "event", args });
  }
  return events.sort((a, b) => a.ts - b.ts);
}

// A syscall argument as a number ("0x24" -> 36).
export function arg(e: TraceEvent | undefined, name: string): number | undefined {
  const v = e?.args[name];
  if (v === undefined) return undefined;
  return v.startsWith("0x") ? number(v) : Number(v);
}
