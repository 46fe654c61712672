// One syscall table (src/syscall-table.ts) for the raw calls and the seccomp
// filter: a call must be made with the number the filter judges it by.
import { expect, test } from "bun:test";
import { NR, SYSCALL_NAMES } from "../../src/ffi/syscalls.ts";
import { syscallNumber, type SeccompArch } from "../../src/plan/seccomp/compile.ts";
import { SYSCALLS_AARCH64, SYSCALLS_X86_64 } from "../../src/syscall-table.ts";

const NATIVE: Record<string, SeccompArch> = { x64: "x86_64", arm64: "aarch64" };

test("every call src/ffi makes has, on this machine, the number the seccomp compiler gives it", () => {
  const arch = NATIVE[process.arch];
  if (!arch) throw new Error(`no syscall table for ${process.arch}`);
  const disagree = SYSCALL_NAMES.filter((name) => typeof NR[name] !== "number" || NR[name] !== syscallNumber(arch, name));
  expect(disagree).toEqual([]);
});

test("every call src/ffi makes has a number on each architecture the seccomp compiler supports", () => {
  for (const arch of ["x86_64", "aarch64"] as const) expect(SYSCALL_NAMES.filter((name) => syscallNumber(arch, name) === undefined)).toEqual([]);
});

test("no number names two calls", () => {
  for (const table of [SYSCALLS_X86_64, SYSCALLS_AARCH64]) {
    const numbers = Object.values(table);
    expect(new Set(numbers).size).toBe(numbers.length);
  }
});
