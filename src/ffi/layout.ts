// The TypeScript <-> C contract, described once: every struct the C side
// reads from us or writes to us (ffi/exec.h, ffi/helper.h), field by field in
// order, and the step enums its failures are reported by. The packing in
// requests.ts goes through these tables (no hand-written offsets), and
// test/unit/ffi-layout.test.ts compiles ffi/layout.c against the real
// headers and fails on any difference from them.

// A field's C type: int32_t, uint32_t, int64_t, uint64_t, or any pointer
// (64-bit targets only: x86_64 and aarch64); [kind, n] is an array of n.
type Kind = "i32" | "u32" | "i64" | "u64" | "ptr";
type FieldType = Kind | readonly [Kind, number];

const SIZE: Record<Kind, number> = { i32: 4, u32: 4, i64: 8, u64: 8, ptr: 8 };

export interface FieldLayout {
  name: string;
  kind: Kind;
  count: number; // 1 unless an array
  offset: number;
  size: number; // of the whole field
}

type Scalar = number | bigint;
type Values<F> = { readonly [K in keyof F]: F[K] extends readonly [Kind, number] ? readonly Scalar[] : Scalar };
type Read<F> = { readonly [K in keyof F]: F[K] extends readonly [Kind, number] ? bigint[] : bigint };

function put(view: DataView, at: number, kind: Kind, value: Scalar): void {
  if (kind === "i32") view.setInt32(at, Number(value), true);
  else if (kind === "u32") view.setUint32(at, Number(value), true);
  else if (kind === "i64") view.setBigInt64(at, BigInt(value), true);
  else view.setBigUint64(at, BigInt(value), true);
}

function get(view: DataView, at: number, kind: Kind): bigint {
  if (kind === "i32") return BigInt(view.getInt32(at, true));
  if (kind === "u32") return BigInt(view.getUint32(at, true));
  return kind === "i64" ? view.getBigInt64(at, true) : view.getBigUint64(at, true);
}

// A C struct, laid out by C's rules: each field at the next multiple of its
// alignment, the size a multiple of the largest. Field order is the object's.
export class Struct<const F extends Readonly<Record<string, FieldType>>> {
  readonly fields: readonly FieldLayout[];
  readonly size: number;

  constructor(
    readonly name: string,
    fields: F,
  ) {
    let offset = 0;
    let align = 1;
    this.fields = Object.entries(fields).map(([field, type]) => {
      const [kind, count] = typeof type === "string" ? [type, 1] : type;
      const unit = SIZE[kind];
      offset = Math.ceil(offset / unit) * unit;
      align = Math.max(align, unit);
      const layout = { name: field, kind, count, offset, size: unit * count };
      offset += layout.size;
      return layout;
    });
    this.size = Math.ceil(offset / align) * align;
  }

  pack(values: Values<F>): Uint8Array {
    const bytes = new Uint8Array(this.size);
    const view = new DataView(bytes.buffer);
    for (const f of this.fields) {
      const v = (values as Record<string, Scalar | readonly Scalar[]>)[f.name];
      const items = Array.isArray(v) ? v : [v];
      if (items.length !== f.count || items.some((x) => x === undefined)) throw new Error(`struct ${this.name}: ${f.name} needs ${f.count} value(s)`);
      items.forEach((x, i) => put(view, f.offset + i * SIZE[f.kind], f.kind, x));
    }
    return bytes;
  }

  unpack(buf: Uint8Array): Read<F> {
    const view = new DataView(buf.buffer, buf.byteOffset, this.size);
    const out: Record<string, bigint | bigint[]> = {};
    for (const f of this.fields) {
      const items = Array.from({ length: f.count }, (_, i) => get(view, f.offset + i * SIZE[f.kind], f.kind));
      out[f.name] = f.count === 1 ? (items[0] ?? 0n) : items;
    }
    return out as Read<F>;
  }
}

// A C enum whose values count from 0 in order; each constant with the call
// it names in messages.
export class Enum {
  constructor(
    readonly name: string,
    readonly constants: readonly (readonly [constant: string, call: string])[],
  ) {}

  value(constant: string): number {
    const i = this.constants.findIndex(([c]) => c === constant);
    if (i < 0) throw new Error(`enum ${this.name} has no ${constant}`);
    return i;
  }

  call(value: number): string | undefined {
    return this.constants[value]?.[1];
  }
}

// struct contain_proc (ffi/exec.h): the container's command's attributes.
export const CONTAIN_PROC = new Struct("contain_proc", {
  uid: "u64",
  gid: "u64",
  ngroups: "u64",
  groups: "ptr",
  nrlimits: "u64",
  rlimits: "ptr",
  set_caps: "u64",
  bounding: "u64",
  effective: "u64",
  permitted: "u64",
  inheritable: "u64",
  no_new_privs: "u64",
  seccomp_len: "u64",
  seccomp: "ptr",
  seccomp_flags: "u64",
  init_fd: "i64",
  tty_fd: "i64",
  umask: "u64",
});

// struct join (ffi/helper.h): `contain exec`'s request.
export const JOIN = new Struct("join", {
  pidfd: "i64",
  ns_flags: "i64",
  root_fd: "i64",
  cgroup_fds: "ptr",
  ncgroup: "i64",
  cwd: "ptr",
  file: "ptr",
  search_path: "ptr",
  argv: "ptr",
  envp: "ptr",
  stdio: ["i64", 3],
  proc: "ptr",
  pdeathsig: "i64",
});

// struct join_report (ffi/helper.h): what the join did.
export const JOIN_REPORT = new Struct("join_report", { pid: "i64", err: "i64", step: "i64", exec_step: "i64" });

// struct hook (ffi/helper.h): an OCI startContainer hook.
export const HOOK = new Struct("hook", { path: "ptr", argv: "ptr", envp: "ptr", timeout: "i64" });

// struct start (ffi/helper.h): the init's last step.
export const START = new Struct("start", {
  cgroup_fds: "ptr",
  ncgroup: "i64",
  cgroupns: "i64",
  path: "ptr",
  argv: "ptr",
  envp: "ptr",
  proc: "ptr",
  exec_fifo: "i64",
  hook_state: "ptr",
  hooks: "ptr",
  nhooks: "i64",
});

// enum exec_step (ffi/exec.h): where contain_exec stopped.
export const EXEC_STEP = new Enum("exec_step", [
  ["EXEC_SESSION", "setsid|ioctl(TIOCSCTTY)"],
  ["EXEC_RLIMITS", "setrlimit"],
  ["EXEC_CREDENTIALS", "setresuid|capset"],
  ["EXEC_NO_NEW_PRIVS", "prctl(PR_SET_NO_NEW_PRIVS)"],
  ["EXEC_SECCOMP", "seccomp(SECCOMP_SET_MODE_FILTER)"],
  ["EXEC_EXECVE", "execve"],
]);

// enum join_step (ffi/helper.h): where the join stopped.
export const JOIN_STEP = new Enum("join_step", [
  ["JOIN_NONE", ""],
  ["JOIN_STDIO", "dup2"],
  ["JOIN_CGROUP", "write cgroup.procs"],
  ["JOIN_SETNS", "setns"],
  ["JOIN_ROOT", "chroot"],
  ["JOIN_CLONE", "clone"],
  ["JOIN_CWD", "chdir"],
  ["JOIN_LOOKUP", "lookup"],
  ["JOIN_EXEC", "execve"], // contain_exec's own step names the call
]);

// enum start_step (ffi/helper.h): where the start stopped.
export const START_STEP = new Enum("start_step", [
  ["START_NONE", ""],
  ["START_CGROUP", "write cgroup.procs"],
  ["START_CGROUPNS", "unshare(CLONE_NEWCGROUP)"],
  ["START_EXEC", "execve"], // contain_exec's own step names the call
  ["START_HOOK", "a startContainer hook"],
]);

export const STRUCTS = [CONTAIN_PROC, JOIN, JOIN_REPORT, HOOK, START];
export const ENUMS = [EXEC_STEP, JOIN_STEP, START_STEP];
