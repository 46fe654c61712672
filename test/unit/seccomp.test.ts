// The seccomp compiler, checked by running what it emits: a small classic-BPF
// interpreter below decodes the bytes, checks them as the kernel's loader does
// (bpf_check_classic, seccomp_check_filter) and runs them on (arch, nr, args).
import { describe, expect, test } from "bun:test";
import { ContainError, SpecError } from "../../src/errors.ts";
import { Assembler, BPF_JEQ, encode, Label } from "../../src/plan/seccomp/bpf.ts";
import { compileSeccomp, syscallNumber, type SeccompArch } from "../../src/plan/seccomp/compile.ts";
import DOCKER_JSON from "../../src/plan/seccomp/default.json";
import { DEFAULT_SECCOMP } from "../../src/plan/seccomp/default.ts";
import { parseSeccompProfile } from "../../src/plan/seccomp/profile.ts";

const DEFAULT_SECCOMP_PROFILE = parseSeccompProfile(DEFAULT_SECCOMP, "contain's default profile");
import { DEFAULT_CAPABILITIES } from "../../src/spec/capabilities.ts";

// ---- the interpreter -------------------------------------------------------

const AUDIT = { x86_64: 0xc000003e, aarch64: 0xc00000b7, i386: 0x40000003 } as const;
const RET = { KILL_PROCESS: 0x80000000, KILL_THREAD: 0, TRAP: 0x00030000, ERRNO: 0x00050000, TRACE: 0x7ff00000, LOG: 0x7ffc0000, ALLOW: 0x7fff0000 };
const errno = (n: number) => RET.ERRNO | n;
const EPERM = errno(1);
const ENOSYS = errno(38);

interface Insn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

function decode(bytes: Uint8Array): Insn[] {
  expect(bytes.byteLength % 8).toBe(0);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Insn[] = [];
  for (let o = 0; o < bytes.byteLength; o += 8)
    out.push({ code: view.getUint16(o, true), jt: view.getUint8(o + 2), jf: view.getUint8(o + 3), k: view.getUint32(o + 4, true) });
  return out;
}

// What the kernel checks before it takes a filter: length, opcodes seccomp
// allows, jumps inside the program, loads inside struct seccomp_data
// (64 bytes, 4-byte aligned), a return at the end.
function verify(prog: Insn[]): void {
  expect(prog.length).toBeGreaterThan(0);
  expect(prog.length).toBeLessThanOrEqual(4096);
  for (const [pc, i] of prog.entries()) {
    switch (i.code) {
      case 0x20: // ld w abs
        expect(i.k % 4).toBe(0);
        expect(i.k).toBeLessThan(64);
        break;
      case 0x54: // alu and k
      case 0x06: // ret k
        break;
      case 0x05: // ja
        expect(pc + 1 + i.k).toBeLessThan(prog.length);
        break;
      case 0x15: // jeq k
      case 0x25: // jgt k
      case 0x35: // jge k
      case 0x45: // jset k
        expect(pc + 1 + Math.max(i.jt, i.jf)).toBeLessThan(prog.length);
        break;
      default:
        throw new Error(`opcode 0x${i.code.toString(16)} at ${pc}`);
    }
  }
  expect(prog.at(-1)?.code).toBe(0x06);
}

interface Call {
  arch?: number;
  nr: number;
  args?: bigint[];
}

// Runs the filter; returns the SECCOMP_RET_* value and the instructions run.
function run(prog: Insn[], call: Call): { ret: number; steps: number } {
  const data = new DataView(new ArrayBuffer(64));
  data.setInt32(0, call.nr, true);
  data.setUint32(4, call.arch ?? AUDIT.x86_64, true);
  for (const [i, a] of (call.args ?? []).entries()) data.setBigUint64(16 + 8 * i, a, true);
  let A = 0;
  for (let pc = 0, steps = 1; pc < prog.length; pc++, steps++) {
    const i = prog[pc] as Insn;
    const cond = (taken: boolean) => (pc += taken ? i.jt : i.jf);
    switch (i.code) {
      case 0x20:
        A = data.getUint32(i.k, true);
        break;
      case 0x54:
        A = (A & i.k) >>> 0;
        break;
      case 0x06:
        return { ret: i.k >>> 0, steps };
      case 0x05:
        pc += i.k;
        break;
      case 0x15:
        cond(A === i.k);
        break;
      case 0x25:
        cond(A > i.k);
        break;
      case 0x35:
        cond(A >= i.k);
        break;
      case 0x45:
        cond((A & i.k) !== 0);
        break;
    }
  }
  throw new Error("ran off the end of the program");
}

function filter(profile = DEFAULT_SECCOMP_PROFILE, arch: SeccompArch = "x86_64", caps: string[] = DOCKER_CAPS, kernel?: string) {
  const prog = decode(compileSeccomp(profile, { arch, caps, kernel }));
  verify(prog);
  const audit = AUDIT[arch];
  const call = (name: string, ...args: (number | bigint)[]) => {
    const nr = syscallNumber(arch, name);
    if (nr === undefined) throw new Error(`no ${name} on ${arch}`);
    return run(prog, { arch: audit, nr, args: args.map(BigInt) }).ret;
  };
  return { prog, call, raw: (c: Call) => run(prog, { arch: audit, ...c }).ret };
}

// docker's default capability set.
const DOCKER_CAPS = [...DEFAULT_CAPABILITIES];

// clone(2) flags
const CLONE_VM = 0x100,
  CLONE_FS = 0x200,
  CLONE_FILES = 0x400,
  CLONE_SIGHAND = 0x800,
  CLONE_THREAD = 0x10000,
  CLONE_NEWNS = 0x20000,
  CLONE_NEWUSER = 0x10000000,
  CLONE_NEWNET = 0x40000000,
  SIGCHLD = 17;

// ---- docker's default profile ----------------------------------------------

describe("docker's default profile", () => {
  const DENIED = [
    "keyctl",
    "add_key",
    "request_key",
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "open_by_handle_at",
    "mount",
    "umount2",
    "reboot",
    "swapon",
    "swapoff",
    "unshare",
    "setns",
    "pivot_root",
    "bpf",
    "perf_event_open",
    "acct",
    "settimeofday",
    "clock_settime",
    "iopl",
    "ioperm",
    "syslog",
    "userfaultfd",
    "fsopen",
    "open_tree",
    "move_mount",
    "kcmp",
    "io_uring_setup", // no longer in docker's profile
  ];
  // The calls issue 3 names: each exists on both architectures.
  const NAMED = ["keyctl", "add_key", "request_key", "kexec_load", "init_module", "finit_module", "delete_module", "open_by_handle_at", "mount", "umount2", "reboot", "swapon", "swapoff"];
  const ALLOWED = ["read", "write", "openat", "close", "execve", "exit_group", "futex", "mmap", "rt_sigaction", "wait4", "getpid", "chroot", "statx"];

  for (const arch of ["x86_64", "aarch64"] as const) {
    test(`${arch}: what docker denies is EPERM, the rest is allowed`, () => {
      const { call } = filter(DEFAULT_SECCOMP_PROFILE, arch, DOCKER_CAPS, "6.18.0");
      for (const name of NAMED) expect(syscallNumber(arch, name)).toBeNumber();
      // iopl and ioperm are x86 only
      for (const name of DENIED.filter((n) => syscallNumber(arch, n) !== undefined)) expect({ name, ret: call(name) }).toEqual({ name, ret: EPERM });
      for (const name of ALLOWED) expect({ name, ret: call(name) }).toEqual({ name, ret: RET.ALLOW });
      if (arch === "x86_64") {
        expect(call("iopl")).toBe(EPERM);
        expect(call("arch_prctl")).toBe(RET.ALLOW); // includes.arches: amd64
        expect(call("modify_ldt")).toBe(RET.ALLOW);
      }
    });

    test(`${arch}: every name docker allows unconditionally is allowed`, () => {
      const { call } = filter(DEFAULT_SECCOMP_PROFILE, arch, [], "6.18.0");
      const names = DOCKER_JSON.syscalls.filter((r) => !("includes" in r) && !("excludes" in r) && !("args" in r)).flatMap((r) => r.names);
      expect(names.length).toBeGreaterThan(300);
      const present = names.filter((n) => syscallNumber(arch, n) !== undefined);
      expect(present.length).toBeGreaterThan(arch === "x86_64" ? 280 : 230);
      for (const name of present) expect({ name, ret: call(name) }).toEqual({ name, ret: RET.ALLOW });
    });

    test(`${arch}: clone with namespace flags needs CAP_SYS_ADMIN, clone3 gets ENOSYS without it`, () => {
      const plain = filter(DEFAULT_SECCOMP_PROFILE, arch);
      const thread = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD;
      expect(plain.call("clone", SIGCHLD)).toBe(RET.ALLOW);
      expect(plain.call("clone", thread)).toBe(RET.ALLOW);
      // only the high half of the flags set: the mask covers the low half only
      expect(plain.call("clone", 0x1_0000_0000n | BigInt(SIGCHLD))).toBe(RET.ALLOW);
      expect(plain.call("clone", CLONE_NEWNS | SIGCHLD)).toBe(EPERM);
      expect(plain.call("clone", CLONE_NEWUSER)).toBe(EPERM);
      expect(plain.call("clone", CLONE_NEWNET | thread)).toBe(EPERM);
      expect(plain.call("clone3")).toBe(ENOSYS);
      expect(plain.call("mount")).toBe(EPERM);

      const admin = filter(DEFAULT_SECCOMP_PROFILE, arch, [...DOCKER_CAPS, "CAP_SYS_ADMIN"]);
      expect(admin.call("clone", CLONE_NEWNS | SIGCHLD)).toBe(RET.ALLOW);
      expect(admin.call("clone3")).toBe(RET.ALLOW);
      expect(admin.call("mount")).toBe(RET.ALLOW);
      expect(admin.call("unshare")).toBe(RET.ALLOW);
      expect(admin.call("reboot")).toBe(EPERM); // that one needs CAP_SYS_BOOT
    });

    test(`${arch}: socket families and personalities, on both 32-bit halves`, () => {
      const { call } = filter(DEFAULT_SECCOMP_PROFILE, arch);
      expect(call("socket", 2)).toBe(RET.ALLOW); // AF_INET
      expect(call("socket", 1)).toBe(RET.ALLOW); // AF_UNIX
      expect(call("socket", 37)).toBe(RET.ALLOW);
      expect(call("socket", 38)).toBe(EPERM); // AF_ALG: not LT 38, not EQ 39, not GT 40
      expect(call("socket", 39)).toBe(RET.ALLOW);
      expect(call("socket", 40)).toBe(EPERM); // AF_VSOCK
      expect(call("socket", 41)).toBe(RET.ALLOW);
      expect(call("socket", 0x1_0000_0000n)).toBe(RET.ALLOW); // GT 40 through the high half
      expect(call("personality", 0)).toBe(RET.ALLOW);
      expect(call("personality", 0xffffffff)).toBe(RET.ALLOW);
      expect(call("personality", 0x1_ffff_ffffn)).toBe(EPERM);
      expect(call("personality", 0x0040000)).toBe(EPERM); // ADDR_NO_RANDOMIZE
    });

    test(`${arch}: capabilities open what docker opens for them`, () => {
      const { call } = filter(DEFAULT_SECCOMP_PROFILE, arch, [...DOCKER_CAPS, "CAP_SYS_MODULE", "CAP_SYS_BOOT", "CAP_DAC_READ_SEARCH", "CAP_SYS_PTRACE"]);
      for (const name of ["init_module", "finit_module", "delete_module", "reboot", "open_by_handle_at", "kcmp", "process_vm_readv"])
        expect({ name, ret: call(name) }).toEqual({ name, ret: RET.ALLOW });
      expect(call("kexec_load")).toBe(EPERM);
      const bare = filter(DEFAULT_SECCOMP_PROFILE, arch, []);
      expect(bare.call("chroot")).toBe(EPERM); // CAP_SYS_CHROOT is in docker's set, not here
    });

    test(`${arch}: a foreign architecture is killed`, () => {
      const { raw } = filter(DEFAULT_SECCOMP_PROFILE, arch);
      const other = arch === "x86_64" ? AUDIT.aarch64 : AUDIT.x86_64;
      expect(raw({ arch: other, nr: 0 })).toBe(RET.KILL_PROCESS);
      expect(raw({ arch: AUDIT.i386, nr: 0 })).toBe(RET.KILL_PROCESS);
      expect(raw({ nr: 100000 })).toBe(EPERM); // a number no rule names: the default
    });
  }

  test("x86_64: an x32 call (the 0x40000000 bit) is foreign", () => {
    const { raw } = filter();
    expect(raw({ nr: 0x40000000 | 0 })).toBe(RET.KILL_PROCESS); // x32 read
    expect(raw({ nr: 0x40000000 | 165 })).toBe(RET.KILL_PROCESS); // x32 mount
    expect(raw({ nr: 0 })).toBe(RET.ALLOW);
  });

  test("ptrace is allowed from kernel 4.8 on (docker's minKernel), as docker does", () => {
    expect(filter(DEFAULT_SECCOMP_PROFILE, "x86_64", DOCKER_CAPS, "6.18.0-1-amd64").call("ptrace")).toBe(RET.ALLOW);
    expect(filter(DEFAULT_SECCOMP_PROFILE, "x86_64", DOCKER_CAPS, "4.4.0").call("ptrace")).toBe(EPERM);
  });

  test("the common calls are decided in few instructions", () => {
    const { prog, raw } = filter();
    const steps = (nr: number) => run(prog, { arch: AUDIT.x86_64, nr }).steps;
    expect(raw({ nr: 0 })).toBe(RET.ALLOW);
    expect(prog.length).toBeLessThan(1000);
    expect(steps(0)).toBeLessThan(10); // read
    expect(steps(1)).toBeLessThan(10); // write
  });
});

// ---- argument comparisons --------------------------------------------------

describe("argument comparisons are 64-bit, on both halves", () => {
  const V = 0x1_0000_0005;
  const MASK = 0xf_0000_00ff;
  const probes = [0n, 4n, 5n, 6n, 0xffff_ffffn, 0x1_0000_0000n, 0x1_0000_0004n, 0x1_0000_0005n, 0x1_0000_0006n, 0x1_ffff_ffffn, 0x2_0000_0000n, 0x2_0000_0005n, 0x15_0000_0005n, 0xffff_ffff_ffff_ffffn];
  const v = BigInt(V);
  const reference: Record<string, (a: bigint) => boolean> = {
    SCMP_CMP_EQ: (a) => a === v,
    SCMP_CMP_NE: (a) => a !== v,
    SCMP_CMP_LT: (a) => a < v,
    SCMP_CMP_LE: (a) => a <= v,
    SCMP_CMP_GT: (a) => a > v,
    SCMP_CMP_GE: (a) => a >= v,
    SCMP_CMP_MASKED_EQ: (a) => (a & BigInt(MASK)) === v,
  };
  for (const [op, holds] of Object.entries(reference)) {
    test(op, () => {
      const args = op === "SCMP_CMP_MASKED_EQ" ? [{ index: 2, value: MASK, valueTwo: V, op }] : [{ index: 2, value: V, op }];
      const profile = parseSeccompProfile({ defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 5, syscalls: [{ names: ["ioctl"], action: "SCMP_ACT_ALLOW", args }] }, "t");
      for (const arch of ["x86_64", "aarch64"] as const) {
        const { call } = filter(profile, arch, []);
        for (const a of probes) expect({ arg: a.toString(16), ret: call("ioctl", 0, 0, a) }).toEqual({ arg: a.toString(16), ret: holds(a) ? RET.ALLOW : errno(5) });
      }
    });
  }

  test("conditions on different arguments all must hold; on the same argument any may", () => {
    const profile = parseSeccompProfile(
      {
        defaultAction: "SCMP_ACT_ERRNO",
        syscalls: [
          { names: ["ioctl"], action: "SCMP_ACT_ALLOW", args: [{ index: 0, value: 3, op: "SCMP_CMP_EQ" }, { index: 1, value: 7, op: "SCMP_CMP_EQ" }] },
          { names: ["fcntl"], action: "SCMP_ACT_ALLOW", args: [{ index: 1, value: 1, op: "SCMP_CMP_EQ" }, { index: 1, value: 2, op: "SCMP_CMP_EQ" }] },
        ],
      },
      "t",
    );
    const { call } = filter(profile, "x86_64", []);
    expect(call("ioctl", 3, 7)).toBe(RET.ALLOW);
    expect(call("ioctl", 3, 8)).toBe(EPERM);
    expect(call("ioctl", 4, 7)).toBe(EPERM);
    expect(call("fcntl", 0, 1)).toBe(RET.ALLOW);
    expect(call("fcntl", 0, 2)).toBe(RET.ALLOW);
    expect(call("fcntl", 0, 3)).toBe(EPERM);
  });

  test("every action becomes its SECCOMP_RET_* value", () => {
    const rule = (name: string, action: string, errnoRet?: number) => ({ names: [name], action, ...(errnoRet === undefined ? {} : { errnoRet }) });
    const profile = parseSeccompProfile(
      {
        defaultAction: "SCMP_ACT_KILL_PROCESS",
        syscalls: [
          rule("read", "SCMP_ACT_ALLOW"),
          rule("write", "SCMP_ACT_ERRNO", 13),
          rule("open", "SCMP_ACT_ERRNO"),
          rule("close", "SCMP_ACT_KILL"),
          rule("stat", "SCMP_ACT_KILL_THREAD"),
          rule("fstat", "SCMP_ACT_TRAP"),
          rule("lstat", "SCMP_ACT_LOG"),
          rule("poll", "SCMP_ACT_TRACE", 42),
          rule("lseek", "SCMP_ACT_TRACE"),
        ],
      },
      "t",
    );
    const { call } = filter(profile, "x86_64", []);
    expect(["read", "write", "open", "close", "stat", "fstat", "lstat", "poll", "lseek", "mmap"].map((n) => call(n))).toEqual([
      RET.ALLOW,
      errno(13),
      EPERM,
      RET.KILL_THREAD,
      RET.KILL_THREAD,
      RET.TRAP,
      RET.LOG,
      RET.TRACE | 42,
      RET.TRACE | 1,
      RET.KILL_PROCESS,
    ]);
  });
});

// ---- long programs ---------------------------------------------------------

describe("long programs", () => {
  test("a jump over more than 255 instructions goes through BPF_JA", () => {
    // 300 rules on write (x86_64 nr 1): its block is ~1500 instructions, so
    // the jump from its `jeq nr` to close (nr 3) is far beyond 255.
    const rules = Array.from({ length: 300 }, (_, i) => ({ names: ["write"], action: "SCMP_ACT_ALLOW", args: [{ index: 0, value: i * 3, op: "SCMP_CMP_EQ" }] }));
    const profile = parseSeccompProfile({ defaultAction: "SCMP_ACT_ERRNO", syscalls: [...rules, { names: ["close"], action: "SCMP_ACT_ALLOW" }] }, "t");
    const { prog, call } = filter(profile, "x86_64", []);
    expect(prog.length).toBeGreaterThan(1000);
    expect(prog.some((i) => i.code === 0x05 && i.k > 255)).toBe(true);
    expect(call("close")).toBe(RET.ALLOW);
    expect(call("write", 0)).toBe(RET.ALLOW);
    expect(call("write", 897)).toBe(RET.ALLOW); // the last rule
    expect(call("write", 898)).toBe(EPERM);
    expect(call("read")).toBe(EPERM);
    expect(call("mmap")).toBe(EPERM);
  });

  test("the assembler routes either branch, or both, through trampolines", () => {
    for (const [nearT, nearF] of [[false, false], [true, false], [false, true]]) {
      const asm = new Assembler();
      const t = new Label("t");
      const f = new Label("f");
      const pad = (n: number) => {
        for (let i = 0; i < n; i++) asm.ret(0xdead);
      };
      asm.ldAbs(0);
      asm.jump(BPF_JEQ, 7, t, f);
      pad(nearT ? 10 : 300);
      asm.place(t);
      asm.ret(1);
      pad(nearF ? 1 : 300);
      asm.place(f);
      asm.ret(2);
      const prog = decode(encode(asm.assemble()));
      verify(prog);
      expect(run(prog, { nr: 7 }).ret).toBe(1);
      expect(run(prog, { nr: 8 }).ret).toBe(2);
    }
  });

  test("more than BPF_MAXINSNS instructions is refused", () => {
    const rules = Array.from({ length: 1000 }, (_, i) => ({ names: ["ioctl"], action: "SCMP_ACT_ALLOW", args: [{ index: 1, value: i, op: "SCMP_CMP_EQ" }] }));
    const profile = parseSeccompProfile({ defaultAction: "SCMP_ACT_ERRNO", syscalls: rules }, "big.json");
    expect(() => compileSeccomp(profile, { arch: "x86_64", caps: [] })).toThrow(ContainError);
    expect(() => compileSeccomp(profile, { arch: "x86_64", caps: [] })).toThrow(/compiles to \d+ BPF instructions, more than the kernel takes \(BPF_MAXINSNS, 4096\)/);
  });
});

// ---- parsing ---------------------------------------------------------------

describe("profiles", () => {
  test("an OCI linux.seccomp object parses and compiles", () => {
    const oci = {
      defaultAction: "SCMP_ACT_ALLOW",
      architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
      flags: ["SECCOMP_FILTER_FLAG_LOG"],
      syscalls: [
        { names: ["getcwd", "chmod"], action: "SCMP_ACT_ERRNO", errnoRet: 13 },
        { names: ["ioctl"], action: "SCMP_ACT_ERRNO", args: [{ index: 1, value: 0x5412, valueTwo: 0, op: "SCMP_CMP_EQ" }] }, // TIOCSTI
      ],
    };
    const profile = parseSeccompProfile(oci, "config.json linux.seccomp");
    expect(profile.flags).toEqual(["SECCOMP_FILTER_FLAG_LOG"]);
    expect(profile.architectures).toEqual(["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]);
    const { call } = filter(profile, "x86_64", []);
    expect(call("getcwd")).toBe(errno(13));
    expect(call("ioctl", 0, 0x5412)).toBe(EPERM);
    expect(call("ioctl", 0, 0x5413)).toBe(RET.ALLOW);
    expect(call("mount")).toBe(RET.ALLOW);
  });

  test("docker's name, archMap and a rule with the default's verdict", () => {
    const profile = parseSeccompProfile(
      {
        defaultAction: "SCMP_ACT_ERRNO",
        archMap: [{ architecture: "SCMP_ARCH_AARCH64", subArchitectures: ["SCMP_ARCH_ARM"] }],
        syscalls: [
          { name: "getpid", action: "SCMP_ACT_ALLOW", comment: "docker's old form" },
          // runc drops a rule whose verdict is the default (a limit of
          // libseccomp); contain keeps a conditional one where the call's own
          // verdict differs, so it means what it says
          { names: ["socket"], action: "SCMP_ACT_ERRNO", args: [{ index: 0, value: 40, op: "SCMP_CMP_EQ" }] },
          { names: ["socket"], action: "SCMP_ACT_ALLOW" },
          // and drops one that changes nothing
          { names: ["bind"], action: "SCMP_ACT_ERRNO", args: [{ index: 0, value: 3, op: "SCMP_CMP_EQ" }] },
        ],
      },
      "p.json",
    );
    expect(profile.architectures).toEqual(["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"]);
    const { call, prog } = filter(profile, "aarch64", []);
    expect(call("getpid")).toBe(RET.ALLOW);
    expect(call("socket", 40)).toBe(EPERM);
    expect(call("socket", 2)).toBe(RET.ALLOW);
    expect(call("bind", 3)).toBe(EPERM);
    const bindNr = syscallNumber("aarch64", "bind");
    expect(prog.filter((i) => i.code === 0x15 && i.k === bindNr)).toEqual([]);
  });

  test("contain's default denies TIOCSTI and TIOCLINUX, high bits or not, and allows other ioctls", () => {
    const { call } = filter(DEFAULT_SECCOMP_PROFILE, "x86_64", [...DOCKER_CAPS, "CAP_SYS_ADMIN"]);
    expect(call("ioctl", 1, 0x5412)).toBe(EPERM); // TIOCSTI
    expect(call("ioctl", 1, 0x100005412n)).toBe(EPERM); // the kernel reads 0x5412 (CVE-2019-10063)
    expect(call("ioctl", 1, 0xffffffff00005412n)).toBe(EPERM);
    expect(call("ioctl", 1, 0x541c)).toBe(EPERM); // TIOCLINUX
    expect(call("ioctl", 1, 0x700000541cn)).toBe(EPERM);
    expect(call("ioctl", 1, 0x5413)).toBe(RET.ALLOW); // TIOCGWINSZ
    expect(call("ioctl", 1, 0x5412 + 0x10000)).toBe(RET.ALLOW); // another request, same low 16 bits
  });

  test("names the architecture lacks are skipped", () => {
    const profile = parseSeccompProfile({ defaultAction: "SCMP_ACT_ERRNO", syscalls: [{ names: ["no_such_call", "arch_prctl", "getpid"], action: "SCMP_ACT_ALLOW" }] }, "t");
    expect(filter(profile, "aarch64", []).call("getpid")).toBe(RET.ALLOW);
    expect(filter(profile, "x86_64", []).call("arch_prctl")).toBe(RET.ALLOW);
  });

  test.each<[string, unknown, RegExp]>([
    ["not an object", "allow", /^p\.json: "allow" is not a seccomp profile/],
    ["no default action", { syscalls: [] }, /^p\.json: defaultAction: missing$/],
    ["an unknown default action", { defaultAction: "SCMP_ACT_PERMIT" }, /^p\.json: defaultAction: "SCMP_ACT_PERMIT" is not a seccomp action$/],
    ["an unknown rule action", { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["a"], action: "SCMP_ACT_ALLOW" }, { names: ["b"], action: "DENY" }] }, /^p\.json: syscalls\[1\]\.action: "DENY" is not a seccomp action$/],
    ["a notify action", { defaultAction: "SCMP_ACT_NOTIFY" }, /^p\.json: defaultAction: SCMP_ACT_NOTIFY needs a seccomp agent/],
    ["a listener", { defaultAction: "SCMP_ACT_ALLOW", listenerPath: "/run/agent.sock" }, /^p\.json: listenerPath: a seccomp agent/],
    ["an unknown op", { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["a"], action: "SCMP_ACT_ERRNO", args: [{ index: 0, value: 1, op: "SCMP_CMP_ABOUT" }] }] }, /^p\.json: syscalls\[0\]\.args\[0\]\.op: "SCMP_CMP_ABOUT" is not a comparison$/],
    ["an argument index of 6", { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["a"], action: "SCMP_ACT_ERRNO", args: [{ index: 6, value: 1, op: "SCMP_CMP_EQ" }] }] }, /^p\.json: syscalls\[0\]\.args\[0\]\.index: 6 is not an argument index 0\.\.5$/],
    ["a negative value", { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["a"], action: "SCMP_ACT_ERRNO", args: [{ index: 0, value: -1, op: "SCMP_CMP_EQ" }] }] }, /^p\.json: syscalls\[0\]\.args\[0\]\.value: -1 is not a u64/],
    ["a value JSON cannot hold exactly", { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["a"], action: "SCMP_ACT_ERRNO", args: [{ index: 0, value: 2 ** 64, op: "SCMP_CMP_EQ" }] }] }, /^p\.json: syscalls\[0\]\.args\[0\]\.value: 18446744073709552000 is not exact in JSON/],
    ["a string value", { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["a"], action: "SCMP_ACT_ERRNO", args: [{ index: 0, value: "1", op: "SCMP_CMP_EQ" }] }] }, /^p\.json: syscalls\[0\]\.args\[0\]\.value: "1" is not a number$/],
    ["names as a string", { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: "mount", action: "SCMP_ACT_ERRNO" }] }, /^p\.json: syscalls\[0\]\.names: "mount" is not a list of system call names$/],
    ["no names", { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: [], action: "SCMP_ACT_ERRNO" }] }, /^p\.json: syscalls\[0\]\.names: the rule names no system call$/],
    ["name and names", { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ name: "a", names: ["b"], action: "SCMP_ACT_ERRNO" }] }, /^p\.json: syscalls\[0\]: both 'name' and 'names'/],
    ["an errno out of range", { defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 70000 }, /^p\.json: defaultErrnoRet: 70000 is not 0\.\.65535$/],
    ["an unknown architecture", { defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_Z80"] }, /^p\.json: architectures\[0\]: "SCMP_ARCH_Z80" is not a seccomp architecture/],
    ["architectures and archMap", { defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_X86_64"], archMap: [{ architecture: "SCMP_ARCH_X86_64" }] }, /^p\.json: archMap: both 'architectures' and 'archMap'/],
    ["a capability without CAP_", { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["a"], action: "SCMP_ACT_ERRNO", includes: { caps: ["SYS_ADMIN"] } }] }, /^p\.json: syscalls\[0\]\.includes\.caps\[0\]: "SYS_ADMIN" is not a capability name/],
    ["a bad minKernel", { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["a"], action: "SCMP_ACT_ERRNO", excludes: { minKernel: "4" } }] }, /^p\.json: syscalls\[0\]\.excludes\.minKernel: "4" is not a kernel version/],
    ["an unknown flag", { defaultAction: "SCMP_ACT_ALLOW", flags: ["SECCOMP_FILTER_FLAG_FAST"] }, /^p\.json: flags\[0\]: "SECCOMP_FILTER_FLAG_FAST" is not a seccomp filter flag$/],
  ])("refused: %s", (_, json, message) => {
    let err: unknown;
    try {
      parseSeccompProfile(json, "p.json");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SpecError);
    const spec = err as SpecError;
    expect(spec.message).toMatch(message);
    expect(spec.hint ?? "").not.toBe("");
    expect(spec.exitCode).toBe(125);
  });
});
