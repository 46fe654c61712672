// The TypeScript <-> C contract: the struct and enum tables the packing uses
// (src/ffi/layout.ts) against what gcc makes of the real headers (ffi/exec.h,
// ffi/helper.h), as the probe ffi/layout.c prints it.
import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { CONTAIN_PROC, ENUMS, STRUCTS } from "../../src/ffi/layout.ts";

const FFI = resolve(import.meta.dir, "../../ffi");

function probe(): string[] {
  const dir = mkdtempSync(join(tmpdir(), "contain-layout-"));
  try {
    const exe = join(dir, "layout");
    const cc = Bun.spawnSync(["gcc", "-Wall", "-Wextra", "-Werror", "-o", exe, join(FFI, "layout.c")], { stderr: "pipe" });
    if (cc.exitCode !== 0) throw new Error(`gcc ffi/layout.c failed: ${cc.stderr.toString()}`);
    const run = Bun.spawnSync([exe]);
    if (run.exitCode !== 0) throw new Error(`the layout probe exited ${run.exitCode}`);
    return run.stdout.toString().trim().split("\n");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// The probe's lines, from the tables.
function described(): string[] {
  return [
    ...STRUCTS.flatMap((s) => [
      `struct ${s.name} ${s.size}`,
      ...s.fields.map((f) => `field ${s.name}.${f.name} ${f.offset} ${f.size} ${f.count > 1 ? `${f.kind}[${f.count}]` : f.kind}`),
    ]),
    ...ENUMS.flatMap((e) => e.constants.map(([constant], value) => `enum ${e.name}.${constant} ${value}`)),
  ];
}

const probed = probe();

test("every struct, field and enum constant of the TypeScript tables is where the C headers put it, and no other", () => {
  expect([...probed].sort()).toEqual(described().sort());
});

test("a packed struct holds each value at the offset C reads it from", () => {
  const names = CONTAIN_PROC.fields.map((f) => f.name);
  const values = Object.fromEntries(names.map((name, i) => [name, BigInt(i + 1) * 0x0101010101n])) as Parameters<typeof CONTAIN_PROC.pack>[0];
  const view = new DataView(CONTAIN_PROC.pack(values).buffer);
  for (const line of probed.filter((l) => l.startsWith("field contain_proc."))) {
    const [, field = "", offset = ""] = line.split(" ");
    const name = field.slice("contain_proc.".length);
    expect({ name, value: view.getBigUint64(Number(offset), true) }).toEqual({ name, value: BigInt(names.indexOf(name) + 1) * 0x0101010101n });
  }
});

test("unpacking reads back what packing wrote, signed fields as signed", () => {
  const report = STRUCTS.find((s) => s.name === "join_report");
  if (!report) throw new Error("no join_report table");
  const fields = Object.fromEntries(report.fields.map((f, i) => [f.name, BigInt(-1 - i)]));
  expect(report.unpack(report.pack(fields as never))).toEqual(fields as never);
});
