// Classic BPF, as seccomp runs it (linux/filter.h, Documentation/networking/
// filter.rst): the opcodes we use and an assembler with labels.
//
// A conditional jump holds its targets in two 8-bit offsets (jt, jf), so it
// reaches at most 255 instructions ahead; BPF_JA holds a 32-bit offset. The
// assembler gives every conditional jump whose target is farther a BPF_JA
// trampoline right after it, and repeats the layout until nothing moves
// (a trampoline only ever pushes targets farther, so this ends).

export const BPF_LD = 0x00;
export const BPF_ALU = 0x04;
export const BPF_JMP = 0x05;
export const BPF_RET = 0x06;
export const BPF_W = 0x00;
export const BPF_ABS = 0x20;
export const BPF_K = 0x00;
export const BPF_AND = 0x50;
export const BPF_JA = 0x00;
export const BPF_JEQ = 0x10;
export const BPF_JGT = 0x20;
export const BPF_JGE = 0x30;
export const BPF_JSET = 0x40;

// The kernel refuses longer programs (include/uapi/linux/bpf_common.h).
export const BPF_MAXINSNS = 4096;

// sizeof(struct sock_filter): u16 code, u8 jt, u8 jf, u32 k.
export const SOCK_FILTER_SIZE = 8;

export interface Insn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

export class Label {
  placed = false;
  pc = 0; // set by the layout
  constructor(readonly name: string) {}
}

type JumpOp = typeof BPF_JEQ | typeof BPF_JGT | typeof BPF_JGE | typeof BPF_JSET;

// A conditional jump's target: a label, or `null` for the next instruction.
type Target = Label | null;

interface Jump {
  kind: "jump";
  op: JumpOp;
  k: number;
  jt: Target;
  jf: Target;
  farT: boolean; // this branch goes through a trampoline
  farF: boolean;
  pc: number;
}

type Item = { kind: "insn"; insn: Insn } | Jump | { kind: "ja"; target: Label; pc: number } | { kind: "label"; label: Label };

export class Assembler {
  private readonly items: Item[] = [];

  ldAbs(offset: number): void {
    this.items.push({ kind: "insn", insn: { code: BPF_LD | BPF_W | BPF_ABS, jt: 0, jf: 0, k: offset } });
  }

  and(k: number): void {
    this.items.push({ kind: "insn", insn: { code: BPF_ALU | BPF_AND | BPF_K, jt: 0, jf: 0, k: k >>> 0 } });
  }

  ret(k: number): void {
    this.items.push({ kind: "insn", insn: { code: BPF_RET | BPF_K, jt: 0, jf: 0, k: k >>> 0 } });
  }

  // if (A op k) goto jt else goto jf; targets lie ahead (BPF jumps forward only).
  jump(op: JumpOp, k: number, jt: Target, jf: Target): void {
    this.items.push({ kind: "jump", op, k: k >>> 0, jt, jf, farT: false, farF: false, pc: 0 });
  }

  ja(target: Label): void {
    this.items.push({ kind: "ja", target, pc: 0 });
  }

  place(label: Label): void {
    if (label.placed) throw new Error(`bpf: label ${label.name} placed twice`);
    label.placed = true;
    this.items.push({ kind: "label", label });
  }

  // Lays the program out and resolves every jump.
  assemble(): Insn[] {
    for (let grew = true; grew; ) {
      this.layout();
      grew = false;
      for (const item of this.items) {
        if (item.kind !== "jump") continue;
        if (item.jt && !item.farT && distance(item.pc, item.jt) > 255) item.farT = grew = true;
        if (item.jf && !item.farF && distance(item.pc, item.jf) > 255) item.farF = grew = true;
      }
    }
    return this.emit();
  }

  // Sets the pc of every jump and every label.
  private layout(): void {
    let pc = 0;
    for (const item of this.items) {
      if (item.kind === "label") item.label.pc = pc;
      else if (item.kind === "insn") pc++;
      else {
        item.pc = pc;
        pc += item.kind === "ja" ? 1 : 1 + Number(item.farT) + Number(item.farF);
      }
    }
  }

  private emit(): Insn[] {
    const out: Insn[] = [];
    for (const item of this.items) {
      if (item.kind === "insn") out.push(item.insn);
      else if (item.kind === "ja") out.push({ code: BPF_JMP | BPF_JA, jt: 0, jf: 0, k: distance(item.pc, item.target) });
      else if (item.kind === "jump") {
        const { pc, jt, jf, farT, farF } = item;
        // Trampolines follow the jump: the one for jt first, then the one for
        // jf; "the next instruction" is the one after them.
        const tramps = Number(farT) + Number(farF);
        out.push({
          code: BPF_JMP | item.op | BPF_K,
          jt: farT ? 0 : jt ? distance(pc, jt) : tramps,
          jf: farF ? Number(farT) : jf ? distance(pc, jf) : tramps,
          k: item.k,
        });
        if (farT && jt) out.push({ code: BPF_JMP | BPF_JA, jt: 0, jf: 0, k: distance(pc + 1, jt) });
        if (farF && jf) out.push({ code: BPF_JMP | BPF_JA, jt: 0, jf: 0, k: distance(pc + 1 + Number(farT), jf) });
      }
    }
    return out;
  }
}

// The offset of `target` from the instruction after the one at `from`.
function distance(from: number, target: Label): number {
  if (!target.placed) throw new Error(`bpf: label ${target.name} never placed`);
  if (target.pc <= from) throw new Error(`bpf: jump back to ${target.name}`);
  return target.pc - from - 1;
}

// The bytes of struct sock_filter[], in the host's byte order: little-endian
// on both architectures we compile for.
export function encode(program: readonly Insn[]): Uint8Array {
  const bytes = new Uint8Array(program.length * SOCK_FILTER_SIZE);
  const view = new DataView(bytes.buffer);
  for (const [i, insn] of program.entries()) {
    const o = i * SOCK_FILTER_SIZE;
    view.setUint16(o, insn.code, true);
    view.setUint8(o + 2, insn.jt);
    view.setUint8(o + 3, insn.jf);
    view.setUint32(o + 4, insn.k, true);
  }
  return bytes;
}
