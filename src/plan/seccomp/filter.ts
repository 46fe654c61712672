// A container's seccomp filter, compiled from its Spec (linux.seccomp, judged
// by its bounding capabilities). Its own module, imported when a container
// starts: the runtime loads it after the clone, while the init boots.
import { SpecError } from "../../errors.ts";
import type { Spec } from "../../spec/schema.ts";
import { compileSeccomp } from "./compile.ts";
import type { SeccompFilter } from "../protocol.ts";
import { parseSeccompProfile, type SeccompFlag } from "./profile.ts";

const ARCH = { x64: "x86_64", arm64: "aarch64" } as const;

// The process's seccomp filter as the bytes of struct sock_filter[], base64
// for the protocol; undefined without one. Compiling docker's profile takes
// a few ms, so the runtime does it while the init boots.
// The flags' values (linux/seccomp.h).
const FLAG_VALUES: Record<SeccompFlag, number> = {
  SECCOMP_FILTER_FLAG_TSYNC: 1,
  SECCOMP_FILTER_FLAG_LOG: 2,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: 4,
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: 32,
};

export function seccompFilter(spec: Spec, machine: { arch: string; kernel: string }): SeccompFilter | undefined {
  if (spec.linux.seccomp === undefined) return undefined;
  const arch = ARCH[machine.arch as keyof typeof ARCH];
  if (!arch) throw new SpecError("seccomp", `no syscall table for the ${machine.arch} architecture`, "run with --security-opt seccomp=unconfined");
  const profile = parseSeccompProfile(spec.linux.seccomp, "seccomp profile");
  const caps = spec.process.capabilities?.bounding ?? [];
  return {
    filter: Buffer.from(compileSeccomp(profile, { arch, caps, kernel: machine.kernel })).toString("base64"),
    flags: profile.flags.reduce((f, name) => f | FLAG_VALUES[name], 0),
  };
}
