// The filter the build carries is the one a start would compile, and only
// the starts that ask for exactly it take it.
import { expect, test } from "bun:test";
import { DEFAULT_SECCOMP } from "../../src/plan/seccomp/default.ts";
import { seccompFilter } from "../../src/plan/seccomp/filter.ts";
import { precompile, precompiledFor } from "../../src/plan/seccomp/precompiled.ts";
import { specFromFlags, typedFlags, type RunFlags } from "../../src/spec/from-flags.ts";
import { validateSpec } from "../../src/spec/schema.ts";
import { CONTEXT } from "./fixtures.ts";

const machine = { arch: "x64", kernel: "6.1.0-13-amd64" };
const carried = precompile(seccompFilter, machine.arch);

function spec(flags: Partial<RunFlags> = {}) {
  const all: RunFlags = { command: ["true"], rootfs: "/r", tty: false, ...flags };
  return validateSpec(specFromFlags(all, "c".repeat(64), { ...CONTEXT, defaultSeccomp: DEFAULT_SECCOMP }), { cpus: 4 }, typedFlags(all));
}

test("a default run's Spec holds docker's profile as it is, and takes the build's filter: the one it would compile", () => {
  const s = spec();
  expect(s.linux.seccomp).toBe(DEFAULT_SECCOMP);
  expect(precompiledFor(s, carried, machine)).toEqual(seccompFilter(s, machine));
});

test("other capabilities, another profile, another machine or an older kernel than the profile's rules compile their own", () => {
  expect(precompiledFor(spec({ capAdd: ["SYS_ADMIN"] }), carried, machine)).toBeUndefined();
  expect(precompiledFor(spec({ capDrop: ["CHOWN"] }), carried, machine)).toBeUndefined();
  expect(precompiledFor(spec({ securityOpt: ["seccomp=p.json"] }), carried, machine)).toBeUndefined();
  expect(precompiledFor(spec(), carried, { ...machine, arch: "arm64" })).toBeUndefined();
  expect(precompiledFor(spec(), carried, { ...machine, kernel: "4.4.0" })).toBeUndefined();
  expect(precompiledFor(spec(), undefined, machine)).toBeUndefined();
});
