// A container's compiled seccomp filter, kept in its state directory
// (seccomp.json, gone with it): the start writes the filter it compiled
// for PID 1, and every exec loads it rather than compiling the profile
// again (the compiler and the profile's schema cost a fresh CLI ~4 ms). So
// an exec'd process gets PID 1's very filter. A container whose start did
// not keep one (an older build's) has it compiled and kept by its first exec.
import { readFileSync } from "node:fs";
import { release } from "node:os";
import type { SeccompFilter } from "../plan/protocol.ts";
import type { Spec } from "../spec/schema.ts";
import { writeAtomically } from "./state.ts";

const FILE = "seccomp.json";

export function keepSeccompFilter(dir: string, filter: SeccompFilter): void {
  writeAtomically(`${dir}/${FILE}`, filter);
}

export async function seccompFilterOf(dir: string, spec: Spec): Promise<SeccompFilter | undefined> {
  if (spec.linux.seccomp === undefined) return undefined;
  try {
    return JSON.parse(readFileSync(`${dir}/${FILE}`, "utf8")) as SeccompFilter;
  } catch {}
  const { seccompFilter } = await import("../plan/seccomp/filter.ts");
  const filter = seccompFilter(spec, { arch: process.arch, kernel: release() });
  if (filter) {
    try {
      keepSeccompFilter(dir, filter);
    } catch {} // one that cannot be kept is compiled again next time
  }
  return filter;
}
