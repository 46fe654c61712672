// The cgroup v2 device filter, checked by running what it emits: a small eBPF
// interpreter below decodes struct bpf_insn[] and runs the instructions the
// generator uses on a struct bpf_cgroup_dev_ctx, and a walk over every path
// checks what the verifier would (jumps forward and inside, registers set
// before use, R0 set at every exit). Verdicts are compared with cgroup v1's,
// from a model written the way security/device_cgroup.c keeps its list.
import { describe, expect, test } from "bun:test";
import { SpecError } from "../../src/errors.ts";
import { deviceFilter, type DeviceRule } from "../../src/linux/cgroups/device-filter.ts";
import { planFromSpec } from "../../src/plan/plan.ts";
import { specFromFlags, type RunFlags } from "../../src/spec/from-flags.ts";
import { networkFromFlags } from "../../src/spec/network.ts";
import { validateSpec } from "../../src/spec/schema.ts";
import { RUNC_DEFAULT_DEVICES } from "../device-rules.ts";
import { CONTEXT, refusal } from "./fixtures.ts";

// ---- the interpreter -------------------------------------------------------

interface Insn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

function decode(bytes: Uint8Array): Insn[] {
  expect(bytes.byteLength % 8).toBe(0);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Insn[] = [];
  for (let o = 0; o < bytes.byteLength; o += 8) {
    const regs = view.getUint8(o + 1);
    out.push({ code: view.getUint8(o), dst: regs & 0xf, src: regs >> 4, off: view.getInt16(o + 2, true), imm: view.getInt32(o + 4, true) });
  }
  return out;
}

// include/uapi/linux/bpf.h
const BLOCK = 1;
const CHAR = 2;
const M = 1;
const R = 2;
const W = 4;

interface Ctx {
  type: "b" | "c";
  major: number;
  minor: number;
  access: number; // BPF_DEVCG_ACC_* bits
}

// The opcodes the generator emits (and no other): ldxw, 32-bit and/rsh/mov
// with an immediate, 32-bit jeq/jne/jset with an immediate, exit.
const LDXW = 0x61;
const AND32 = 0x54;
const RSH32 = 0x74;
const MOV32 = 0xb4;
const JEQ32 = 0x16;
const JNE32 = 0x56;
const JSET32 = 0x46;
const EXIT = 0x95;
const JUMPS = [JEQ32, JNE32, JSET32];

const CTX = "ctx"; // R1 on entry: a pointer to the 12-byte context
type Reg = number | typeof CTX | undefined;

// Runs the program; returns R0 at its exit (1 allows, 0 denies).
function run(prog: Insn[], ctx: Ctx): number {
  const mem = new DataView(new ArrayBuffer(12));
  mem.setUint32(0, ((ctx.access << 16) | (ctx.type === "b" ? BLOCK : CHAR)) >>> 0, true);
  mem.setUint32(4, ctx.major, true);
  mem.setUint32(8, ctx.minor, true);
  const reg: Reg[] = new Array(11).fill(undefined);
  reg[1] = CTX;
  const num = (r: number) => {
    const v = reg[r];
    if (typeof v !== "number") throw new Error(`R${r} read before it holds a number`);
    return v;
  };
  for (let pc = 0, steps = 0; steps < prog.length; steps++) {
    const i = prog[pc];
    if (!i) throw new Error(`pc ${pc} outside the program`);
    const imm = i.imm >>> 0;
    pc++;
    switch (i.code) {
      case LDXW:
        if (reg[i.src] !== CTX || i.off % 4 || i.off < 0 || i.off > 8) throw new Error(`bad load at ${pc - 1}`);
        reg[i.dst] = mem.getUint32(i.off, true);
        break;
      case AND32:
        reg[i.dst] = (num(i.dst) & imm) >>> 0;
        break;
      case RSH32:
        reg[i.dst] = num(i.dst) >>> (imm & 31);
        break;
      case MOV32:
        reg[i.dst] = imm;
        break;
      case JEQ32:
      case JNE32:
      case JSET32: {
        const v = num(i.dst);
        const taken = i.code === JEQ32 ? v === imm : i.code === JNE32 ? v !== imm : (v & imm) !== 0;
        if (taken) pc += i.off;
        break;
      }
      case EXIT:
        return num(0);
      default:
        throw new Error(`opcode 0x${i.code.toString(16)} at ${pc - 1}`);
    }
  }
  throw new Error("no exit");
}

// What the verifier insists on, over every path (the jumps go forward only,
// so there are few): known opcodes, jumps forward and inside the program,
// registers written before they are read, R0 set at each exit, no falling
// off the end.
function verify(prog: Insn[]): void {
  expect(prog.length).toBeGreaterThan(0);
  const seen = new Set<string>();
  const walk = (pc: number, set: number) => {
    const k = `${pc}/${set}`;
    if (seen.has(k)) return;
    seen.add(k);
    const i = prog[pc];
    if (!i) throw new Error(`path runs off the end at ${pc}`);
    const need = (r: number) => {
      if (!(set & (1 << r))) throw new Error(`R${r} read unset at ${pc}`);
    };
    if (JUMPS.includes(i.code)) {
      need(i.dst);
      if (i.off < 0) throw new Error(`backward jump at ${pc}`);
      if (pc + 1 + i.off >= prog.length) throw new Error(`jump out of the program at ${pc}`);
      walk(pc + 1 + i.off, set);
      walk(pc + 1, set);
    } else if (i.code === EXIT) need(0);
    else if (i.code === LDXW) {
      if (i.src !== 1) throw new Error(`load through R${i.src} at ${pc}`);
      walk(pc + 1, set | (1 << i.dst));
    } else if (i.code === AND32 || i.code === RSH32) {
      need(i.dst);
      walk(pc + 1, set);
    } else if (i.code === MOV32) walk(pc + 1, set | (1 << i.dst));
    else throw new Error(`opcode 0x${i.code.toString(16)} at ${pc}`);
  };
  walk(0, 1 << 1);
}

function compile(rules: readonly DeviceRule[]): Insn[] {
  const prog = decode(deviceFilter(rules));
  verify(prog);
  return prog;
}

const dev = (spec: string): Omit<Ctx, "access"> => {
  const m = /^([bc]) (\d+):(\d+)$/.exec(spec);
  if (!m) throw new Error(spec);
  return { type: m[1] as "b" | "c", major: Number(m[2]), minor: Number(m[3]) };
};
const ACCESS: Record<string, number> = { r: R, w: W, rw: R | W, m: M };

// The verdict for `c 1:3` asked `rw`: "allow" or "deny".
function verdict(prog: Insn[], device: string, access: keyof typeof ACCESS): "allow" | "deny" {
  return run(prog, { ...dev(device), access: ACCESS[access] ?? 0 }) === 1 ? "allow" : "deny";
}

// ---- cgroup v1, as the kernel keeps it -------------------------------------

interface V1Exception {
  type: "b" | "c";
  major: number; // ~0: any
  minor: number;
  access: number;
}

const ANY = 0xffffffff;
const BITS: Record<string, number> = { r: R, w: W, m: M };

// devcgroup_update_access for one line written to devices.allow or
// devices.deny, and devcgroup_legacy_check_permission.
class V1Cgroup {
  allowAll = false;
  exceptions: V1Exception[] = [];

  write(rule: DeviceRule): void {
    if (!rule.type || rule.type === "a") {
      this.allowAll = rule.allow;
      this.exceptions = [];
      return;
    }
    const ex: V1Exception = {
      type: rule.type,
      major: rule.major ?? ANY,
      minor: rule.minor ?? ANY,
      access: [...(rule.access ?? "rwm")].reduce((a, c) => a | (BITS[c] ?? 0), 0),
    };
    const same = this.exceptions.find((e) => e.type === ex.type && e.major === ex.major && e.minor === ex.minor);
    if (rule.allow !== this.allowAll) {
      // dev_exception_add
      if (same) same.access |= ex.access;
      else this.exceptions.push(ex);
    } else if (same) {
      // dev_exception_rm
      same.access &= ~ex.access;
      if (!same.access) this.exceptions = this.exceptions.filter((e) => e !== same);
    }
  }

  permits(c: Ctx): boolean {
    const covers = (e: V1Exception) => e.type === c.type && (e.major === ANY || e.major === c.major) && (e.minor === ANY || e.minor === c.minor);
    if (this.allowAll) return !this.exceptions.some((e) => covers(e) && (c.access & e.access) !== 0); // match_exception_partial
    return this.exceptions.some((e) => covers(e) && (c.access & ~e.access) === 0); // match_exception
  }
}

// ---- the tests -------------------------------------------------------------

describe("the checker", () => {
  const insn = (code: number, dst = 0, off = 0, imm = 0): Insn => ({ code, dst, src: 0, off, imm });
  test("refuses a backward jump, a jump out of the program, an exit without R0, a fall off the end", () => {
    expect(() => verify([insn(MOV32), insn(JEQ32, 0, -1), insn(EXIT)])).toThrow("backward jump at 1");
    expect(() => verify([insn(MOV32), insn(JEQ32, 0, 1), insn(EXIT)])).toThrow("jump out of the program at 1");
    expect(() => verify([insn(MOV32, 2), insn(JEQ32, 2, 1), insn(MOV32), insn(EXIT)])).toThrow("R0 read unset at 3");
    expect(() => verify([insn(MOV32), insn(JEQ32, 0, 1), insn(EXIT), insn(MOV32)])).toThrow("path runs off the end at 4");
  });
});


describe("runc's default rules", () => {
  const prog = compile(RUNC_DEFAULT_DEVICES);

  test("the devices a container gets: read, write, both, mknod", () => {
    for (const d of ["c 1:3", "c 1:5", "c 1:7", "c 1:8", "c 1:9", "c 5:0", "c 5:2", "c 136:0", "c 136:7", "c 10:200"])
      for (const a of ["r", "w", "rw", "m"] as const) expect(`${d} ${a} ${verdict(prog, d, a)}`).toBe(`${d} ${a} allow`);
  });

  test("other devices cannot be opened, only made", () => {
    // console, tty0, kmsg, loop-control, kvm, fuse, sda; and a block 1:3
    for (const d of ["c 5:1", "c 4:0", "c 1:11", "c 10:237", "c 10:232", "c 10:229", "b 8:0", "b 1:3"]) {
      for (const a of ["r", "w", "rw"] as const) expect(`${d} ${a} ${verdict(prog, d, a)}`).toBe(`${d} ${a} deny`);
      expect(`${d} m ${verdict(prog, d, "m")}`).toBe(`${d} m allow`);
    }
  });

  test("fits in 40 instructions (runc's generator: 64)", () => {
    expect(prog.length).toBe(40);
  });

  test("starts with the context loads, in the kernel's struct bpf_insn layout", () => {
    const hex = Buffer.from(deviceFilter(RUNC_DEFAULT_DEVICES).subarray(0, 48)).toString("hex").match(/.{16}/g);
    expect(hex).toEqual([
      "6112000000000000", // r2 = *(u32 *)(r1 + 0)
      "54020000ffff0000", // w2 &= 0xffff
      "6113000000000000", // r3 = *(u32 *)(r1 + 0)
      "7403000010000000", // w3 >>= 16
      "6114040000000000", // r4 = *(u32 *)(r1 + 4)
      "6115080000000000", // r5 = *(u32 *)(r1 + 8)
    ]);
  });
});

describe("contain's own rules, as the Plan gives them to the cgroup", () => {
  const ID = "d".repeat(64);
  const rules = (flags: Partial<RunFlags>) => {
    const spec = validateSpec(specFromFlags({ command: ["/bin/sh"], rootfs: "/r", tty: false, ...flags }, ID, CONTEXT), { cpus: 2 });
    return planFromSpec(spec, ID, { dir: "/s", overlayDir: "/s/rootfs", cgroup: { version: "v1", paths: {} } }, networkFromFlags({ net: "none" })).resources.devices ?? [];
  };

  test("the default set decides as runc's does", () => {
    const ours = compile(rules({}));
    const runc = compile(RUNC_DEFAULT_DEVICES);
    for (const d of ["c 1:3", "c 1:9", "c 5:0", "c 5:1", "c 5:2", "c 136:4", "c 10:200", "c 1:11", "c 4:0", "b 8:0"])
      for (const a of ["r", "w", "rw", "m"] as const) expect(`${d} ${a} ${verdict(ours, d, a)}`).toBe(`${d} ${a} ${verdict(runc, d, a)}`);
  });

  test("--device /dev/sda:/dev/xvda:r reads the disk and cannot write it", () => {
    const prog = compile(rules({ devices: ["/dev/sda:/dev/xvda:r"] }));
    expect(verdict(prog, "b 8:0", "r")).toBe("allow");
    expect(verdict(prog, "b 8:0", "rw")).toBe("deny");
  });

  test("--privileged allows every device", () => {
    expect(compile(rules({ privileged: true })).length).toBe(2);
  });
});

describe("a rule for everything", () => {
  test("allow all, as --privileged has, is two instructions", () => {
    const prog = compile([{ allow: true, access: "rwm" }]);
    expect(prog.length).toBe(2);
    for (const d of ["c 5:1", "b 8:0", "c 1:11"]) for (const a of ["r", "w", "rw", "m"] as const) expect(verdict(prog, d, a)).toBe("allow");
  });

  test("no rules at all deny everything", () => {
    const prog = compile([]);
    for (const a of ["r", "w", "rw", "m"] as const) expect(verdict(prog, "c 1:3", a)).toBe("deny");
  });

  test("type a resets, whatever its major, minor and access (the kernel stops reading after the a)", () => {
    const allowAll = compile([...RUNC_DEFAULT_DEVICES, { allow: true, type: "a", major: 1, minor: 3, access: "r" }]);
    expect(verdict(allowAll, "b 8:0", "w")).toBe("allow");
    expect(verdict(allowAll, "c 5:1", "rw")).toBe("allow");
    const denyAll = compile([{ allow: true }, { allow: true, type: "c", major: 1, minor: 3 }, { allow: false, type: "a", major: 10 }]);
    expect(verdict(denyAll, "c 1:3", "r")).toBe("deny");
    expect(verdict(denyAll, "c 10:200", "r")).toBe("deny");
    expect(denyAll.length).toBe(2);
  });
});

describe("deny after allow", () => {
  test("takes its access out of the exception: c 1:3 rw, then not w, leaves r", () => {
    const prog = compile([{ allow: false }, { allow: true, type: "c", major: 1, minor: 3, access: "rw" }, { allow: false, type: "c", major: 1, minor: 3, access: "w" }]);
    expect(verdict(prog, "c 1:3", "r")).toBe("allow");
    expect(verdict(prog, "c 1:3", "w")).toBe("deny");
    expect(verdict(prog, "c 1:3", "rw")).toBe("deny");
    expect(verdict(prog, "c 1:3", "m")).toBe("deny");
  });

  test("taking all of it away leaves no exception", () => {
    const prog = compile([{ allow: false }, { allow: true, type: "c", major: 1, minor: 3, access: "rw" }, { allow: false, type: "c", major: 1, minor: 3, access: "rwm" }]);
    expect(prog.length).toBe(2);
    expect(verdict(prog, "c 1:3", "r")).toBe("deny");
  });

  test("after allow all, a deny of w refuses an open for read and write too (v1's partial match)", () => {
    const prog = compile([{ allow: true }, { allow: false, type: "c", major: 1, minor: 3, access: "w" }]);
    expect(verdict(prog, "c 1:3", "r")).toBe("allow");
    expect(verdict(prog, "c 1:3", "w")).toBe("deny");
    expect(verdict(prog, "c 1:3", "rw")).toBe("deny");
    expect(verdict(prog, "c 1:3", "m")).toBe("allow");
    expect(verdict(prog, "c 1:5", "rw")).toBe("allow");
    expect(verdict(prog, "b 1:3", "w")).toBe("allow");
  });

  test("allows add up per device: r then w is rw, for one open", () => {
    const prog = compile([{ allow: false }, { allow: true, type: "c", major: 1, minor: 3, access: "r" }, { allow: true, type: "c", major: 1, minor: 3, access: "w" }]);
    expect(verdict(prog, "c 1:3", "rw")).toBe("allow");
    expect(verdict(prog, "c 1:3", "m")).toBe("deny");
  });

  test("but not across a wildcard: one exception must hold all that an open asks", () => {
    const prog = compile([{ allow: false }, { allow: true, type: "c", major: 1, access: "r" }, { allow: true, type: "c", major: 1, minor: 3, access: "w" }]);
    expect(verdict(prog, "c 1:3", "r")).toBe("allow");
    expect(verdict(prog, "c 1:3", "w")).toBe("allow");
    expect(verdict(prog, "c 1:3", "rw")).toBe("deny");
  });

  test("a deny that would punch a hole in a wider exception is refused, as runc refuses it", () => {
    const err = refusal(() => deviceFilter([{ allow: false }, { allow: true, type: "c", major: 1, access: "rw" }, { allow: false, type: "c", major: 1, minor: 3, access: "w" }]));
    expect(err.field).toBe("linux.resources.devices[2]");
    expect(err.message).toContain("deny c 1:3 w would punch a hole in the earlier allow c 1:* rw");
    const allowAfterDeny = refusal(() => deviceFilter([{ allow: true }, { allow: false, type: "b", access: "w" }, { allow: true, type: "b", major: 8, minor: 0, access: "rw" }]));
    expect(allowAfterDeny.message).toContain("allow b 8:0 rw would punch a hole in the earlier deny b *:* w");
  });

  test("a wider exception with other access is no hole: runc's mknod for all, then no rw for 1:3", () => {
    const prog = compile([...RUNC_DEFAULT_DEVICES, { allow: false, type: "c", major: 1, minor: 3, access: "rw" }]);
    expect(verdict(prog, "c 1:3", "r")).toBe("deny");
    expect(verdict(prog, "c 1:3", "m")).toBe("allow");
    expect(verdict(prog, "c 1:5", "r")).toBe("allow");
  });

  test("a deny of a wildcard leaves the narrower exceptions (v1 and runc both do)", () => {
    const prog = compile([{ allow: false }, { allow: true, type: "c", major: 1, minor: 3, access: "rw" }, { allow: true, type: "c", major: 1, access: "rw" }, { allow: false, type: "c", major: 1, access: "rw" }]);
    expect(verdict(prog, "c 1:3", "rw")).toBe("allow");
    expect(verdict(prog, "c 1:5", "r")).toBe("deny");
  });
});

describe("wildcards and numbers", () => {
  test("a wildcard minor takes every minor of its major, and no other major", () => {
    const prog = compile([{ allow: false }, { allow: true, type: "c", major: 136, minor: null, access: "rw" }]);
    for (const minor of [0, 1, 4095, 1048575]) expect(verdict(prog, `c 136:${minor}`, "rw")).toBe("allow");
    expect(verdict(prog, "c 137:0", "r")).toBe("deny");
    expect(verdict(prog, "b 136:0", "r")).toBe("deny");
    expect(verdict(prog, "c 136:0", "m")).toBe("deny");
  });

  test("a wildcard major, with a minor", () => {
    const prog = compile([{ allow: false }, { allow: true, type: "c", major: -1, minor: 1, access: "r" }]);
    expect(verdict(prog, "c 5:1", "r")).toBe("allow");
    expect(verdict(prog, "c 4:1", "r")).toBe("allow");
    expect(verdict(prog, "c 5:1", "w")).toBe("deny");
    expect(verdict(prog, "c 5:2", "r")).toBe("deny");
  });

  test("absent, null and -1 all mean any", () => {
    const forms: DeviceRule[] = [
      { allow: true, type: "c", access: "r" },
      { allow: true, type: "c", major: null, minor: null, access: "r" },
      { allow: true, type: "c", major: -1, minor: -1, access: "r" },
    ];
    const [a, b, c] = forms.map((r) => Buffer.from(deviceFilter([{ allow: false }, r])).toString("hex"));
    expect(b).toBe(a);
    expect(c).toBe(a);
  });

  test("numbers up to 2^32 - 1 compare as u32", () => {
    const prog = compile([{ allow: false }, { allow: true, type: "c", major: 4294967295, minor: 2147483648 }]);
    expect(verdict(prog, "c 4294967295:2147483648", "rw")).toBe("allow");
    expect(verdict(prog, "c 4294967295:0", "rw")).toBe("deny");
    expect(verdict(prog, "c 2147483647:2147483648", "rw")).toBe("deny");
  });

  test("an access mask of nothing (a device node opened for neither read nor write) is what v1 makes of it", () => {
    const allowList = compile(RUNC_DEFAULT_DEVICES);
    const denyList = compile([{ allow: true }, { allow: false, type: "c", major: 1, minor: 3 }]);
    expect(run(allowList, { ...dev("c 1:3"), access: 0 })).toBe(1);
    expect(run(denyList, { ...dev("c 1:3"), access: 0 })).toBe(1);
  });
});

describe("as cgroup v1 decides", () => {
  // A small world of devices, so random lists hit each other's exceptions.
  const TYPES = ["b", "c"] as const;
  const NUMBERS = [null, 1, 2];
  const ACCESSES = ["r", "w", "m", "rw", "rm", "wm", "rwm"];

  // xorshift32: the same lists on every run.
  let seed = 0x2545f491;
  const rand = (n: number) => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  const pick = <T>(xs: readonly T[]): T => xs[rand(xs.length)] as T;

  function randomRule(): DeviceRule {
    if (rand(8) === 0) return { allow: rand(2) === 1 };
    return { allow: rand(2) === 1, type: pick(TYPES), major: pick(NUMBERS), minor: pick(NUMBERS), access: pick(ACCESSES) };
  }

  test("the same verdict for every device and access, over 2000 random lists", () => {
    let compiled = 0;
    for (let n = 0; n < 2000; n++) {
      const rules = Array.from({ length: 1 + rand(6) }, randomRule);
      let prog: Insn[];
      try {
        prog = compile(rules);
      } catch (err) {
        // The holes runc refuses and v1 ignores.
        if (err instanceof SpecError && err.message.includes("punch a hole")) continue;
        throw err;
      }
      compiled++;
      const v1 = new V1Cgroup();
      for (const r of rules) v1.write(r);
      for (const type of TYPES)
        for (const major of [1, 2, 3])
          for (const minor of [1, 2, 3])
            for (let access = 0; access < 8; access++) {
              const c = { type, major, minor, access };
              const got = run(prog, c) === 1;
              if (got !== v1.permits(c)) throw new Error(`${JSON.stringify(rules)}: ${type} ${major}:${minor} access ${access}: program ${got}, v1 ${!got}`);
            }
    }
    expect(compiled).toBeGreaterThan(1000);
  });
});

describe("bad rules", () => {
  test("an access other than r, w, m, or an empty one", () => {
    expect(refusal(() => deviceFilter([{ allow: true, type: "c", access: "rwx" }])).field).toBe("linux.resources.devices[0].access");
    expect(refusal(() => deviceFilter([{ allow: false }, { allow: true, type: "c", access: "" }])).field).toBe("linux.resources.devices[1].access");
  });

  test("a major or minor that is no u32", () => {
    for (const n of [1.5, -2, 2 ** 32, Number.NaN]) expect(refusal(() => deviceFilter([{ allow: true, type: "c", major: n }])).field).toBe("linux.resources.devices[0].major");
    expect(refusal(() => deviceFilter([{ allow: true, type: "b", minor: -3 }])).field).toBe("linux.resources.devices[0].minor");
  });

  test("more exceptions than eBPF's 16-bit jumps reach", () => {
    const rules: DeviceRule[] = [{ allow: false }, ...Array.from({ length: 11000 }, (_, i) => ({ allow: true, type: "c" as const, major: 1, minor: i }))];
    const err = refusal(() => deviceFilter(rules));
    expect(err.field).toBe("linux.resources.devices");
    expect(err.message).toContain("the rules leave 11000 exceptions, a program of 33010 eBPF instructions; its jumps reach 32767 ahead");
    expect(compile(rules.slice(0, 10000)).length).toBe(6 + 3 * 9999 + 4);
  });
});
