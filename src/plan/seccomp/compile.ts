// A seccomp profile -> the classic BPF program the kernel runs at every system
// call (seccomp(2), SECCOMP_SET_MODE_FILTER). Pure: the bytes of
// struct sock_filter[], for the installer to wrap in a struct sock_fprog.
//
// The program, for the native architecture only:
//   ld arch; foreign arch -> kill        (an i386 or x32 call has other numbers)
//   ld nr;   (x86_64) the x32 bit set -> kill
//   per system call, in number order:   jeq nr, else skip to the next one
//       each rule with conditions:      compare args, on a miss try the next rule
//       ret the rule's action
//       ret the unconditional action, or the default
//   ret the default action
import { ContainError } from "../../errors.ts";
import { Assembler, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JSET, BPF_MAXINSNS, encode, Label } from "./bpf.ts";
import type { SeccompAction, SeccompArg, SeccompFilter, SeccompProfile, SeccompRule } from "./profile.ts";
import { SYSCALLS_AARCH64, SYSCALLS_X86_64 } from "../../syscall-table.ts";
import { kernelAtLeast } from "./kernel.ts";

export type SeccompArch = "x86_64" | "aarch64";

export interface SeccompOptions {
  arch: SeccompArch;
  // The container's capabilities (its bounding set, as docker checks), CAP_* names.
  caps: readonly string[];
  // The kernel release (uname -r), for rules with minKernel; without it such
  // rules are taken to hold (every kernel this runtime supports is newer than
  // docker's 4.8).
  kernel?: string;
}

// include/uapi/linux/seccomp.h
export const SECCOMP_RET_KILL_PROCESS = 0x80000000;
export const SECCOMP_RET_KILL_THREAD = 0x00000000;
export const SECCOMP_RET_TRAP = 0x00030000;
export const SECCOMP_RET_ERRNO = 0x00050000;
export const SECCOMP_RET_TRACE = 0x7ff00000;
export const SECCOMP_RET_LOG = 0x7ffc0000;
export const SECCOMP_RET_ALLOW = 0x7fff0000;

// struct seccomp_data { int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6]; }
export const SECCOMP_DATA_NR = 0;
export const SECCOMP_DATA_ARCH = 4;
export const SECCOMP_DATA_ARGS = 16;

// include/uapi/linux/audit.h: EM_* | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE
export const AUDIT_ARCH_X86_64 = 0xc000003e;
export const AUDIT_ARCH_AARCH64 = 0xc00000b7;
// arch/x86/include/uapi/asm/unistd.h: x32 calls share AUDIT_ARCH_X86_64 and set this bit.
export const X32_SYSCALL_BIT = 0x40000000;

const EPERM = 1;

const ARCHES: Record<SeccompArch, { audit: number; table: Readonly<Record<string, number>>; name: string; x32: boolean }> = {
  // `name`: what docker's includes/excludes "arches" call it (libseccomp's names).
  x86_64: { audit: AUDIT_ARCH_X86_64, table: SYSCALLS_X86_64, name: "amd64", x32: true },
  aarch64: { audit: AUDIT_ARCH_AARCH64, table: SYSCALLS_AARCH64, name: "arm64", x32: false },
};

export function syscallNumber(arch: SeccompArch, name: string): number | undefined {
  const table = ARCHES[arch].table;
  return Object.hasOwn(table, name) ? table[name] : undefined;
}

// The SECCOMP_RET_* value of an action. Without errnoRet, ERRNO and TRACE
// carry EPERM, as runc and crun do.
export function actionValue(action: SeccompAction, errnoRet?: number): number {
  switch (action) {
    case "SCMP_ACT_ALLOW":
      return SECCOMP_RET_ALLOW;
    case "SCMP_ACT_ERRNO":
      return (SECCOMP_RET_ERRNO | (errnoRet ?? EPERM)) >>> 0;
    case "SCMP_ACT_KILL":
    case "SCMP_ACT_KILL_THREAD":
      return SECCOMP_RET_KILL_THREAD;
    case "SCMP_ACT_KILL_PROCESS":
      return SECCOMP_RET_KILL_PROCESS;
    case "SCMP_ACT_TRAP":
      return SECCOMP_RET_TRAP;
    case "SCMP_ACT_TRACE":
      return (SECCOMP_RET_TRACE | (errnoRet ?? EPERM)) >>> 0;
    case "SCMP_ACT_LOG":
      return SECCOMP_RET_LOG;
  }
}

// docker's rule conditions (moby/profiles seccomp_linux.go): an excludes that
// matches anything drops the rule; an includes must match everything.
function applies(rule: SeccompRule, arch: string, caps: ReadonlySet<string>, kernel?: string): boolean {
  const ex: SeccompFilter | undefined = rule.excludes;
  if (ex) {
    if (ex.arches?.includes(arch)) return false;
    if (ex.caps?.some((c) => caps.has(c))) return false;
    if (ex.minKernel !== undefined && kernelAtLeast(kernel, ex.minKernel)) return false;
  }
  const inc: SeccompFilter | undefined = rule.includes;
  if (inc) {
    if (inc.arches?.length && !inc.arches.includes(arch)) return false;
    if (inc.caps?.some((c) => !caps.has(c))) return false;
    if (inc.minKernel !== undefined && !kernelAtLeast(kernel, inc.minKernel)) return false;
  }
  return true;
}

// A rule's conditions hold together (AND), unless two name the same argument:
// then each is a rule of its own (OR), as runc does.
function conditionSets(args: readonly SeccompArg[]): SeccompArg[][] {
  const indexes = new Set(args.map((a) => a.index));
  return indexes.size === args.length ? [[...args]] : args.map((a) => [a]);
}

interface SyscallRules {
  conditional: { args: SeccompArg[]; ret: number }[];
  unconditional?: number;
}

// Per system call number: the rules that apply. Rules with conditions are
// tried first, in profile order, then the first rule without. A rule without
// conditions that has the default's verdict is dropped (runc does the same),
// but one with conditions is kept: it matters where the call's own verdict
// differs (ioctl is allowed, but not TIOCSTI).
function collect(profile: SeccompProfile, opts: SeccompOptions, dflt: number): Map<number, SyscallRules> {
  const arch = ARCHES[opts.arch];
  const caps = new Set(opts.caps);
  const byNr = new Map<number, SyscallRules>();
  for (const rule of profile.syscalls) {
    if (!applies(rule, arch.name, caps, opts.kernel)) continue;
    const ret = actionValue(rule.action, rule.errnoRet);
    if (ret === dflt && rule.args.length === 0) continue;
    for (const name of rule.names) {
      // A name this architecture lacks is skipped, as libseccomp and runc do.
      const nr = syscallNumber(opts.arch, name);
      if (nr === undefined) continue;
      let entry = byNr.get(nr);
      if (!entry) byNr.set(nr, (entry = { conditional: [] }));
      if (rule.args.length === 0) entry.unconditional ??= ret;
      else for (const args of conditionSets(rule.args)) entry.conditional.push({ args, ret });
    }
  }
  return byNr;
}

const TWO_32 = 2 ** 32;

// Emits a test of one 64-bit argument against the condition, as two 32-bit
// halves (cBPF loads 32 bits; seccomp_data is little-endian on both arches):
// falls through when it holds, jumps to `fail` when it does not.
function emitCondition(asm: Assembler, c: SeccompArg, fail: Label): void {
  const lo = SECCOMP_DATA_ARGS + 8 * c.index;
  const hi = lo + 4;
  const split = (n: number) => [Math.floor(n / TWO_32), n % TWO_32] as const;
  const [vhi, vlo] = split(c.value);
  switch (c.op) {
    case "SCMP_CMP_EQ":
      asm.ldAbs(hi);
      asm.jump(BPF_JEQ, vhi, null, fail);
      asm.ldAbs(lo);
      asm.jump(BPF_JEQ, vlo, null, fail);
      return;
    case "SCMP_CMP_MASKED_EQ": {
      // `value` is the mask, `valueTwo` what the masked argument must equal.
      const [whi, wlo] = split(c.valueTwo ?? 0);
      asm.ldAbs(hi);
      asm.and(vhi);
      asm.jump(BPF_JEQ, whi, null, fail);
      asm.ldAbs(lo);
      asm.and(vlo);
      asm.jump(BPF_JEQ, wlo, null, fail);
      return;
    }
  }
  // The rest decide on the high halves, unless they are equal: then on the
  // low halves. Comparisons are unsigned, as libseccomp's are.
  const pass = new Label("condition holds");
  asm.ldAbs(hi);
  switch (c.op) {
    case "SCMP_CMP_NE":
      asm.jump(BPF_JEQ, vhi, null, pass);
      asm.ldAbs(lo);
      asm.jump(BPF_JEQ, vlo, fail, null);
      break;
    case "SCMP_CMP_GT":
    case "SCMP_CMP_GE":
      asm.jump(BPF_JGT, vhi, pass, null);
      asm.jump(BPF_JEQ, vhi, null, fail);
      asm.ldAbs(lo);
      asm.jump(c.op === "SCMP_CMP_GT" ? BPF_JGT : BPF_JGE, vlo, null, fail);
      break;
    case "SCMP_CMP_LT":
    case "SCMP_CMP_LE":
      asm.jump(BPF_JGE, vhi, null, pass);
      asm.jump(BPF_JEQ, vhi, null, fail);
      asm.ldAbs(lo);
      // LT fails on lo >= v, LE on lo > v.
      asm.jump(c.op === "SCMP_CMP_LT" ? BPF_JGE : BPF_JGT, vlo, fail, null);
      break;
  }
  asm.place(pass);
}

// Compiles a profile for one architecture and one capability set. Throws a
// ContainError when the program exceeds the kernel's BPF_MAXINSNS.
export function compileSeccomp(profile: SeccompProfile, opts: SeccompOptions): Uint8Array {
  const arch = ARCHES[opts.arch];
  const dflt = actionValue(profile.defaultAction, profile.defaultErrnoRet);
  const byNr = collect(profile, opts, dflt);

  const asm = new Assembler();
  // A foreign architecture kills the whole process (libseccomp's default
  // bad-arch action is a kill too): its numbers mean other calls.
  const foreign = new Label("foreign arch");
  asm.ldAbs(SECCOMP_DATA_ARCH);
  asm.jump(BPF_JEQ, arch.audit, null, foreign);
  asm.ldAbs(SECCOMP_DATA_NR);
  if (arch.x32) asm.jump(BPF_JSET, X32_SYSCALL_BIT, foreign, null);
  for (const nr of [...byNr.keys()].sort((a, b) => a - b)) {
    const entry = byNr.get(nr);
    if (!entry) continue;
    const fallthrough = entry.unconditional ?? dflt;
    // A conditional rule with the verdict the call gets anyway changes nothing.
    const rules = entry.conditional.filter((r) => r.ret !== fallthrough);
    if (!rules.length && fallthrough === dflt) continue;
    const next = new Label("next system call");
    asm.jump(BPF_JEQ, nr, null, next);
    for (const rule of rules) {
      const miss = new Label("next rule");
      for (const c of rule.args) emitCondition(asm, c, miss);
      asm.ret(rule.ret);
      asm.place(miss);
    }
    asm.ret(entry.unconditional ?? dflt);
    asm.place(next);
  }
  asm.ret(dflt);
  asm.place(foreign);
  asm.ret(SECCOMP_RET_KILL_PROCESS);

  const program = asm.assemble();
  if (program.length > BPF_MAXINSNS)
    throw new ContainError(
      `seccomp: the profile compiles to ${program.length} BPF instructions, more than the kernel takes (BPF_MAXINSNS, ${BPF_MAXINSNS})`,
      "use fewer rules or argument conditions in the profile",
    );
  return encode(program);
}
