// docker's profile with the default capabilities, compiled by the build
// (build.ts) into the binary: what nearly every container asks for, taken
// as it is at the start, where compiling it costs the CLI 4-7 ms of CPU
// while the init sets up on the other core (src/runtime/host.ts).
import { DEFAULT_CAPABILITIES } from "../../spec/capabilities.ts";
import type { Spec } from "../../spec/schema.ts";
import type { SeccompFilter } from "../protocol.ts";
import { DEFAULT_SECCOMP } from "./default.ts";
import { kernelAtLeast } from "./kernel.ts";

export interface Precompiled extends SeccompFilter {
  arch: string; // process.arch of the build
  caps: string; // the bounding set it was compiled for, sorted
  // The profile's highest minKernel: the filter is what any kernel at least
  // this new gets (a rule's minKernel holds on all of them).
  minKernel: string;
}

const capsKey = (caps: readonly string[]) => [...caps].sort().join(",");

type Compile = (spec: Spec, machine: { arch: string; kernel: string }) => SeccompFilter | undefined;

// The build's side.
export function precompile(compile: Compile, arch: string): Precompiled {
  const rules = DEFAULT_SECCOMP.syscalls.flatMap((r) => [(r as { includes?: { minKernel?: string } }).includes?.minKernel, (r as { excludes?: { minKernel?: string } }).excludes?.minKernel]);
  const minKernel = rules.reduce<string>((max, k) => (k !== undefined && !kernelAtLeast(max, k) ? k : max), "0.0");
  const spec = { linux: { seccomp: DEFAULT_SECCOMP }, process: { capabilities: { bounding: [...DEFAULT_CAPABILITIES] } } } as unknown as Spec;
  const filter = compile(spec, { arch, kernel: minKernel });
  if (!filter) throw new Error("docker's profile compiled to no filter");
  return { ...filter, arch, caps: capsKey(DEFAULT_CAPABILITIES), minKernel };
}

// The start's side: the carried filter, when the Spec asks for just that on
// this machine (the default profile itself, which a run's Spec holds as it
// is: its schema passes linux.seccomp through).
export function precompiledFor(spec: Spec, carried: Precompiled | undefined, machine: { arch: string; kernel: string }): SeccompFilter | undefined {
  if (!carried || spec.linux.seccomp !== DEFAULT_SECCOMP) return undefined;
  if (carried.arch !== machine.arch || carried.caps !== capsKey(spec.process.capabilities?.bounding ?? []) || !kernelAtLeast(machine.kernel, carried.minKernel)) return undefined;
  return { filter: carried.filter, flags: carried.flags };
}
