// The device rules of a container -> the eBPF program cgroup v2 runs at every
// open and mknod of a device node (BPF_PROG_TYPE_CGROUP_DEVICE): v2 has no
// devices controller, so runc, crun and youki attach such a program to the
// container's cgroup. Pure: the bytes of struct bpf_insn[], for bpf.ts to load.
//
// The rules mean what they mean on cgroup v1 (security/device_cgroup.c), as
// runc keeps them (its devices emulator): applied in order to a cgroup that
// denies everything, they leave a default (allow or deny all) and exceptions
// to it, each (type, major, minor) with an access set.
// - type "a" (or none) resets: allow (or deny) everything, no exceptions; its
//   major, minor and access are ignored, as the kernel ignores them after "a".
// - a rule whose verdict differs from the default adds its access to the
//   exception of exactly its (type, major, minor): `c 1:3 r` + `c 1:3 w` = rw.
// - a rule with the default's verdict takes its access out of that exact
//   exception (`c 1:3 rw`, then deny `c 1:3 w`: read only). cgroup v1 would
//   leave a wider wildcard exception (`c 1:* rw`) in place and the hole
//   unpunched without a word; like runc we refuse such a rule.
// The kernel asks with the access bits of the open together (O_RDWR: read and
// write) and decides as v1 does: with a deny default, one exception must hold
// every bit asked (match_exception); with an allow default, any exception that
// holds any bit asked denies (match_exception_partial).
//
// The program (R1 = struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }):
//   R2 = type, R3 = access, R4 = major, R5 = minor
//   per exception: its tests; a failed one goes on to the next exception,
//                  the last one, when it holds, jumps to `match`
//   R0 = default; exit
//   match: R0 = !default; exit
// Jumps go forward only and every path sets R0 before its exit, as the
// verifier wants; for runc's default set it processes 183 instructions of the
// 40 (runc's own 64-instruction layout: 200).
import { SpecError } from "../../errors.ts";

// An entry of the OCI runtime spec's linux.resources.devices.
export interface DeviceRule {
  allow: boolean;
  type?: "a" | "b" | "c"; // absent or "a": every device
  major?: number | null; // absent, null or -1: any
  minor?: number | null;
  access?: string; // of "rwm"; absent: "rwm"
}

// include/uapi/linux/bpf.h: enum bpf_devcg_* and the access_type layout.
const BPF_DEVCG_DEV_BLOCK = 1;
const BPF_DEVCG_DEV_CHAR = 2;
const BPF_DEVCG_ACC_MKNOD = 1;
const BPF_DEVCG_ACC_READ = 2;
const BPF_DEVCG_ACC_WRITE = 4;
const ACC_ALL = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;

// eBPF opcodes (include/uapi/linux/bpf_common.h, bpf.h). Comparisons are
// BPF_JMP32: the ctx fields are u32, and a 32-bit compare takes a major or
// minor of 2^31 and more as it is (a 64-bit one would sign-extend the imm).
const BPF_LDX = 0x01;
const BPF_ALU = 0x04; // 32-bit ALU: the upper half of the result is zeroed
const BPF_JMP = 0x05;
const BPF_JMP32 = 0x06;
const BPF_W = 0x00;
const BPF_MEM = 0x60;
const BPF_K = 0x00;
const BPF_AND = 0x50;
const BPF_RSH = 0x70;
const BPF_MOV = 0xb0;
const BPF_JEQ = 0x10;
const BPF_JSET = 0x40;
const BPF_JNE = 0x50;
const BPF_EXIT = 0x90;

const R0 = 0;
const R1 = 1;
const R2 = 2;
const R3 = 3;
const R4 = 4;
const R5 = 5;

// sizeof(struct bpf_insn): u8 code, u8 dst_reg:4 | src_reg:4, s16 off, s32 imm.
const BPF_INSN_SIZE = 8;
// `off` is an s16: no jump reaches farther ahead.
const MAX_JUMP = 0x7fff;

const ANY = -1;

interface Exception {
  type: "b" | "c";
  major: number; // ANY or a number
  minor: number;
  access: number; // BPF_DEVCG_ACC_* bits
}

interface Insn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

const field = (i: number) => `linux.resources.devices[${i}]`;

function accessBits(access: string | undefined, i: number): number {
  if (access === undefined) return ACC_ALL;
  let bits = 0;
  for (const c of access) {
    const bit = c === "r" ? BPF_DEVCG_ACC_READ : c === "w" ? BPF_DEVCG_ACC_WRITE : c === "m" ? BPF_DEVCG_ACC_MKNOD : 0;
    if (!bit) throw new SpecError(`${field(i)}.access`, `${JSON.stringify(access)} holds ${JSON.stringify(c)}`, 'use a combination of "r", "w" and "m"');
    bits |= bit;
  }
  if (!bits) throw new SpecError(`${field(i)}.access`, "is empty", 'use a combination of "r", "w" and "m", or leave it out for "rwm"');
  return bits;
}

function deviceNumber(n: number | null | undefined, name: "major" | "minor", i: number): number {
  if (n === undefined || n === null || n === ANY) return ANY;
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new SpecError(`${field(i)}.${name}`, `${n} is not a device number`, "use an integer from 0 to 4294967295, or -1 for any");
  return n;
}

const accessText = (bits: number) => `${bits & BPF_DEVCG_ACC_READ ? "r" : ""}${bits & BPF_DEVCG_ACC_WRITE ? "w" : ""}${bits & BPF_DEVCG_ACC_MKNOD ? "m" : ""}`;
const num = (n: number) => (n === ANY ? "*" : String(n));
const key = (type: string, major: number, minor: number) => `${type} ${num(major)}:${num(minor)}`;

// The default and the exceptions the rules leave, as cgroup v1 keeps them.
function emulate(rules: readonly DeviceRule[]): { defaultAllow: boolean; exceptions: Exception[] } {
  let defaultAllow = false;
  let exceptions = new Map<string, Exception>();
  for (const [i, rule] of rules.entries()) {
    const access = accessBits(rule.access, i);
    const major = deviceNumber(rule.major, "major", i);
    const minor = deviceNumber(rule.minor, "minor", i);
    const type = rule.type ?? "a";
    if (type === "a") {
      defaultAllow = rule.allow;
      exceptions = new Map();
      continue;
    }
    const k = key(type, major, minor);
    const existing = exceptions.get(k);
    if (rule.allow !== defaultAllow) {
      exceptions.set(k, { type, major, minor, access: (existing?.access ?? 0) | access });
      continue;
    }
    // The wider exceptions that would keep what this rule takes away (runc's
    // rmRule): v1 removes exact matches only.
    for (const [wmajor, wminor] of [[ANY, minor], [major, ANY], [ANY, ANY]] as const) {
      const wide = exceptions.get(key(type, wmajor, wminor));
      if (!wide || (wmajor === major && wminor === minor) || !(wide.access & access)) continue;
      const word = (allow: boolean) => (allow ? "allow" : "deny");
      throw new SpecError(
        field(i),
        `${word(rule.allow)} ${k} ${accessText(access)} would punch a hole in the earlier ${word(!defaultAllow)} ${key(type, wmajor, wminor)} ${accessText(wide.access)}, which cgroup v1 cannot do`,
        `list the devices the wildcard should cover one by one, or drop this rule`,
      );
    }
    if (!existing) continue;
    const left = existing.access & ~access;
    if (left) existing.access = left;
    else exceptions.delete(k);
  }
  return { defaultAllow, exceptions: [...exceptions.values()] };
}

// A conditional jump, to the next exception or to `match`.
interface Jump {
  code: number;
  dst: number;
  imm: number;
  to: "next" | "match";
}

const jmp32 = (op: number, dst: number, imm: number, to: Jump["to"]): Jump => ({ code: BPF_JMP32 | op | BPF_K, dst, imm, to });

// One exception's tests: the device's own first, then the access.
function exceptionJumps(e: Exception, defaultAllow: boolean): Jump[] {
  const type: [number, number] = [R2, e.type === "b" ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR];
  const numbers: [number, number][] = [];
  if (e.major !== ANY) numbers.push([R4, e.major]);
  if (e.minor !== ANY) numbers.push([R5, e.minor]);
  const fields = [type, ...numbers];
  if (defaultAllow) {
    // Denies when it shares any bit with the access asked.
    return [...fields.map(([reg, value]) => jmp32(BPF_JNE, reg, value, "next")), jmp32(BPF_JSET, R3, e.access, "match")];
  }
  // Allows when it holds every bit asked: none outside its access may be
  // asked. That test goes first, so that the last one, turned around, can
  // jump to `match`.
  const outside = e.access === ACC_ALL ? [] : [jmp32(BPF_JSET, R3, ACC_ALL & ~e.access, "next")];
  const [reg, value] = numbers.at(-1) ?? type;
  return [...outside, ...fields.slice(0, -1).map(([r, v]) => jmp32(BPF_JNE, r, v, "next")), jmp32(BPF_JEQ, reg, value, "match")];
}

const ldxw = (dst: number, off: number): Insn => ({ code: BPF_LDX | BPF_W | BPF_MEM, dst, src: R1, off, imm: 0 });
const alu32 = (op: number, dst: number, imm: number): Insn => ({ code: BPF_ALU | op | BPF_K, dst, src: 0, off: 0, imm });
const EXIT: Insn = { code: BPF_JMP | BPF_EXIT, dst: 0, src: 0, off: 0, imm: 0 };

// Compiles the rules; throws a SpecError for a bad rule, a hole cgroup v1
// cannot punch, or more exceptions than one program can test.
export function deviceFilter(rules: readonly DeviceRule[]): Uint8Array {
  const { defaultAllow, exceptions } = emulate(rules);
  const verdict = (allow: boolean) => [alu32(BPF_MOV, R0, Number(allow)), EXIT];
  if (!exceptions.length) return encode(verdict(defaultAllow));

  const prologue = [
    ldxw(R2, 0), // access_type: (access << 16) | type
    alu32(BPF_AND, R2, 0xffff),
    ldxw(R3, 0),
    alu32(BPF_RSH, R3, 16),
    ldxw(R4, 4),
    ldxw(R5, 8),
  ];
  const blocks = exceptions.map((e) => exceptionJumps(e, defaultAllow));
  const match = prologue.length + blocks.reduce((n, b) => n + b.length, 0) + 2;
  if (match > MAX_JUMP)
    throw new SpecError(
      "linux.resources.devices",
      `the rules leave ${exceptions.length} exceptions, a program of ${match + 2} eBPF instructions; its jumps reach ${MAX_JUMP} ahead`,
      "use fewer rules, or wildcards for ranges of minors",
    );
  const program = [...prologue];
  for (const block of blocks) {
    const next = program.length + block.length;
    for (const j of block) {
      const pc = program.length;
      program.push({ code: j.code, dst: j.dst, src: 0, off: (j.to === "next" ? next : match) - pc - 1, imm: j.imm });
    }
  }
  program.push(...verdict(defaultAllow), ...verdict(!defaultAllow));
  return encode(program);
}

// Little-endian, as on both architectures we build for: dst_reg is the low nibble.
function encode(program: readonly Insn[]): Uint8Array {
  const bytes = new Uint8Array(program.length * BPF_INSN_SIZE);
  const view = new DataView(bytes.buffer);
  for (const [i, insn] of program.entries()) {
    const o = i * BPF_INSN_SIZE;
    view.setUint8(o, insn.code);
    view.setUint8(o + 1, insn.dst | (insn.src << 4));
    view.setInt16(o + 2, insn.off, true);
    view.setInt32(o + 4, insn.imm | 0, true);
  }
  return bytes;
}
