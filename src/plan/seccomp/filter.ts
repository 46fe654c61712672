// A process plan's seccomp filter, compiled. Its own module, imported when a
// container starts: the runtime loads it after the clone, while the init boots.
import { SpecError } from "../../errors.ts";
import type { ProcessPlan } from "../plan.ts";
import { compileSeccomp } from "./compile.ts";
import { parseSeccompProfile } from "./profile.ts";

const ARCH = { x64: "x86_64", arm64: "aarch64" } as const;

// The process's seccomp filter as the bytes of struct sock_filter[], base64
// for the protocol; undefined without one. Compiling docker's profile takes
// a few ms, so the runtime does it while the init boots.
export function seccompFilter(p: ProcessPlan, machine: { arch: string; kernel: string }): string | undefined {
  if (!p.seccomp) return undefined;
  const arch = ARCH[machine.arch as keyof typeof ARCH];
  if (!arch) throw new SpecError("seccomp", `no syscall table for the ${machine.arch} architecture`, "run with --security-opt seccomp=unconfined");
  const profile = parseSeccompProfile(p.seccomp.profile, "seccomp profile");
  return Buffer.from(compileSeccomp(profile, { arch, caps: p.seccomp.caps, kernel: machine.kernel })).toString("base64");
}
