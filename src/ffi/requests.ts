// The requests the static helper (ffi/helper.c) reads and the report it
// writes, packed through the struct tables of layout.ts.
import { CONTAIN_PROC, EXEC_STEP, HOOK, JOIN, JOIN_REPORT, JOIN_STEP, START, START_STEP } from "./layout.ts";
import { SIGKILL_NR } from "./process.ts";
import { cstr } from "./syscall.ts";

export interface ExecAttributes {
  uid: number;
  gid: number;
  groups: readonly number[];
  rlimits: readonly { resource: number; soft: number; hard: number }[]; // -1: unlimited
  capabilities?: { bounding: bigint; effective: bigint; permitted: bigint; inheritable: bigint }; // absent: keep all
  noNewPrivileges: boolean;
  seccomp?: Uint8Array; // struct sock_filter[]
  seccompFlags: number; // SECCOMP_FILTER_FLAG_*
  initFd: number; // >= 0: exec the tiny init from this fd, which runs the command
  ttyFd: number; // -1: none
  umask: number;
}

const RLIM_INFINITY = 0xffffffffffffffffn;

// Where a buffer a C struct points to will be: its offset in a request the
// helper relocates.
type Place = (buf: NodeJS.TypedArray) => bigint;

function packAttributes(a: ExecAttributes, place: Place): Uint8Array {
  const groups = Uint32Array.from(a.groups);
  // (resource, soft, hard) triples of u64
  const rlimits = BigUint64Array.from(a.rlimits.flatMap((r) => [r.resource, r.soft, r.hard].map((n) => (n < 0 ? RLIM_INFINITY : BigInt(n)))));
  const at = (buf: NodeJS.TypedArray) => (buf.length ? place(buf) : 0n);
  const caps = a.capabilities;
  return CONTAIN_PROC.pack({
    uid: a.uid,
    gid: a.gid,
    ngroups: groups.length,
    groups: at(groups),
    nrlimits: a.rlimits.length,
    rlimits: at(rlimits),
    set_caps: caps ? 1 : 0,
    bounding: caps?.bounding ?? 0n,
    effective: caps?.effective ?? 0n,
    permitted: caps?.permitted ?? 0n,
    inheritable: caps?.inheritable ?? 0n,
    no_new_privs: a.noNewPrivileges ? 1 : 0,
    seccomp_len: a.seccomp ? a.seccomp.length / 8 : 0,
    seccomp: a.seccomp ? place(a.seccomp) : 0n,
    seccomp_flags: a.seccompFlags,
    init_fd: a.initFd,
    tty_fd: a.ttyFd,
    umask: a.umask,
  });
}

// What the helper's join needs (struct join).
export interface NsExecRequest {
  pidfd: number;
  nsFlags: number;
  rootFd: number;
  cgroupFds: readonly number[];
  cwd: string;
  file: string;
  searchPath: string;
  argv: readonly string[];
  env: readonly string[];
  stdio: readonly [number, number, number]; // without a tty (attrs.ttyFd < 0)
  attrs: ExecAttributes; // the container's user, capabilities, seccomp, ...
  detach?: boolean; // the process outlives the CLI (runc's exec --detach)
}

// A request whose pointers are offsets into itself, so that it can cross an
// execve: the helper reads it and relocates them (ffi/helper.c). Every part
// is 8-byte aligned; offset 0 is the header, so 0 never names a part.
class Relocatable {
  private readonly parts: Uint8Array[] = [];
  private size = 0;

  // Room for the header, filled once the offsets of the rest are known.
  reserve(size: number): Uint8Array {
    const room = new Uint8Array(size);
    this.parts.push(room);
    this.size += size;
    return room;
  }

  add(buf: NodeJS.TypedArray): bigint {
    const offset = this.size;
    const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    const padded = new Uint8Array(Math.ceil(bytes.length / 8) * 8 || 8);
    padded.set(bytes);
    this.parts.push(padded);
    this.size += padded.length;
    return BigInt(offset);
  }

  text(s: string): bigint {
    return this.add(cstr(s));
  }

  // A NULL-terminated char*[] of offsets.
  strings(items: readonly string[]): bigint {
    const offsets = items.map((s) => this.text(s));
    return this.add(BigUint64Array.from([...offsets, 0n]));
  }

  bytes(): Uint8Array {
    return Buffer.concat(this.parts);
  }
}

// struct join and everything it points to, for the helper's request memfd.
export function joinRequest(req: NsExecRequest): Uint8Array {
  const r = new Relocatable();
  const header = r.reserve(JOIN.size);
  header.set(
    JOIN.pack({
      pidfd: req.pidfd,
      ns_flags: req.nsFlags,
      root_fd: req.rootFd,
      cgroup_fds: req.cgroupFds.length ? r.add(Int32Array.from(req.cgroupFds)) : 0n,
      ncgroup: req.cgroupFds.length,
      cwd: r.text(req.cwd),
      file: r.text(req.file),
      search_path: r.text(req.searchPath),
      argv: r.strings(req.argv),
      envp: r.strings(req.env),
      stdio: req.stdio,
      proc: r.add(packAttributes(req.attrs, (buf) => r.add(buf))),
      pdeathsig: req.detach ? 0 : SIGKILL_NR,
    }),
  );
  return r.bytes();
}

export const JOIN_REPORT_SIZE = JOIN_REPORT.size;

export interface JoinReport {
  pid: number; // the process in the container, a child of ours; 0 if none
  error?: { step: string; errno: number };
}

// A failure inside contain_exec names its own step (setrlimit, capset, ...).
const execStepName = (step: number) => EXEC_STEP.call(step) ?? "execve";

// struct join_report, with the call its step names.
export function parseJoinReport(buf: Uint8Array): JoinReport {
  const report = JOIN_REPORT.unpack(buf);
  const [pid, err, step] = [report.pid, report.err, report.step].map(Number) as [number, number, number];
  const name = step === JOIN_STEP.value("JOIN_EXEC") ? execStepName(Number(report.exec_step)) : JOIN_STEP.call(step);
  return { pid, error: step ? { step: name ?? `step ${step}`, errno: -err } : undefined };
}

// What the helper's start needs (struct start): the init's last step,
// single-threaded.
export interface StartRequest {
  cgroupFds: readonly number[]; // cgroup.procs of each hierarchy
  cgroupns: boolean;
  path: string;
  argv: readonly string[];
  env: readonly string[];
  attrs: ExecAttributes;
  execFifo: number; // >= 0: wait at this fifo (O_PATH) for `start` before the execve
  hooks: readonly { path: string; args?: readonly string[]; env?: readonly string[]; timeout?: number }[]; // startContainer's
  hookState: string; // the state JSON they read on stdin
}

export function startRequest(req: StartRequest): Uint8Array {
  const r = new Relocatable();
  const header = r.reserve(START.size);
  const hook = (h: StartRequest["hooks"][number]) =>
    HOOK.pack({ path: r.text(h.path), argv: r.strings(h.args?.length ? h.args : [h.path]), envp: r.strings(h.env ?? []), timeout: h.timeout ?? 0 });
  header.set(
    START.pack({
      cgroup_fds: req.cgroupFds.length ? r.add(Int32Array.from(req.cgroupFds)) : 0n,
      ncgroup: req.cgroupFds.length,
      cgroupns: req.cgroupns ? 1 : 0,
      path: r.text(req.path),
      argv: r.strings(req.attrs.initFd >= 0 ? ["contain-init", req.path, ...req.argv] : req.argv), // under the tiny init: contain-init PATH ARGV...
      envp: r.strings(req.env),
      proc: r.add(packAttributes(req.attrs, (buf) => r.add(buf))),
      exec_fifo: req.execFifo,
      hook_state: r.text(req.hookState),
      hooks: req.hooks.length ? r.add(Buffer.concat(req.hooks.map(hook))) : 0n,
      nhooks: req.hooks.length,
    }),
  );
  return r.bytes();
}

// The start's failure, as the helper reports it on the status pipe: the call
// that failed (enum start_step, or contain_exec's step) and its errno.
export function startFailure(step: number, execStep: number): string {
  return step === START_STEP.value("START_EXEC") ? execStepName(execStep) : (START_STEP.call(step) ?? execStepName(execStep));
}
