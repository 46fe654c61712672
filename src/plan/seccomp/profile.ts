// Seccomp profiles: docker's JSON format (moby/profiles: archMap, `name`,
// includes/excludes) and the OCI runtime spec's linux.seccomp object, which is
// docker's format without those extensions. Pure: parsing and validation only.
import * as v from "valibot";
import { SpecError } from "../../errors.ts";

// The actions of libseccomp that a filter can return without a user-space
// agent. SCMP_ACT_KILL is libseccomp's old name for KILL_THREAD.
export const SECCOMP_ACTIONS = [
  "SCMP_ACT_ALLOW",
  "SCMP_ACT_ERRNO",
  "SCMP_ACT_KILL",
  "SCMP_ACT_KILL_THREAD",
  "SCMP_ACT_KILL_PROCESS",
  "SCMP_ACT_TRAP",
  "SCMP_ACT_TRACE",
  "SCMP_ACT_LOG",
] as const;
export type SeccompAction = (typeof SECCOMP_ACTIONS)[number];

export const SECCOMP_OPS = [
  "SCMP_CMP_NE",
  "SCMP_CMP_LT",
  "SCMP_CMP_LE",
  "SCMP_CMP_EQ",
  "SCMP_CMP_GE",
  "SCMP_CMP_GT",
  "SCMP_CMP_MASKED_EQ",
] as const;
export type SeccompOp = (typeof SECCOMP_OPS)[number];

// libseccomp's architecture names (the OCI spec's list and a few more).
export const SECCOMP_ARCHES = [
  "SCMP_ARCH_X86",
  "SCMP_ARCH_X86_64",
  "SCMP_ARCH_X32",
  "SCMP_ARCH_ARM",
  "SCMP_ARCH_AARCH64",
  "SCMP_ARCH_LOONGARCH64",
  "SCMP_ARCH_M68K",
  "SCMP_ARCH_MIPS",
  "SCMP_ARCH_MIPS64",
  "SCMP_ARCH_MIPS64N32",
  "SCMP_ARCH_MIPSEL",
  "SCMP_ARCH_MIPSEL64",
  "SCMP_ARCH_MIPSEL64N32",
  "SCMP_ARCH_PPC",
  "SCMP_ARCH_PPC64",
  "SCMP_ARCH_PPC64LE",
  "SCMP_ARCH_S390",
  "SCMP_ARCH_S390X",
  "SCMP_ARCH_PARISC",
  "SCMP_ARCH_PARISC64",
  "SCMP_ARCH_RISCV64",
  "SCMP_ARCH_SH",
  "SCMP_ARCH_SHEB",
] as const;

// The seccomp(2) flags the OCI spec names; the shim passes them to seccomp(2).
export const SECCOMP_FLAGS = [
  "SECCOMP_FILTER_FLAG_TSYNC",
  "SECCOMP_FILTER_FLAG_LOG",
  "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
  "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
] as const;
export type SeccompFlag = (typeof SECCOMP_FLAGS)[number];

// Every message names the value it refuses; a missing field says so.
const refuse = (what: string) => (issue: { input: unknown }) =>
  issue.input === undefined ? "missing" : `${JSON.stringify(issue.input)} is not ${what}`;

// seccomp_data.args are u64; a JSON number above 2^53 has already lost its low
// bits when it reaches us, so it is refused rather than compared wrongly.
const u64 = v.pipe(
  v.number(refuse("a number")),
  v.integer(refuse("an integer")),
  v.minValue(0, refuse("a u64 (it is negative)")),
  v.maxValue(Number.MAX_SAFE_INTEGER, refuse("exact in JSON (above 2^53-1, low bits are lost)")),
);

// SECCOMP_RET_DATA is the low 16 bits of the return value.
const retData = v.pipe(v.number(refuse("a number")), v.integer(refuse("an integer")), v.minValue(0, refuse("0..65535")), v.maxValue(0xffff, refuse("0..65535")));

const strings = (what: string) => v.array(v.string(refuse(what)), refuse(`a list of ${what}s`));

const ActionSchema = v.picklist(SECCOMP_ACTIONS, (issue) =>
  issue.input === "SCMP_ACT_NOTIFY" ? "SCMP_ACT_NOTIFY needs a seccomp agent, which contain does not support" : refuse("a seccomp action")(issue),
);

const ArgSchema = v.object({
  index: v.pipe(v.number(refuse("a number")), v.integer(refuse("an argument index 0..5")), v.minValue(0, refuse("an argument index 0..5")), v.maxValue(5, refuse("an argument index 0..5"))),
  value: u64,
  valueTwo: v.optional(u64), // SCMP_CMP_MASKED_EQ: (arg & value) == valueTwo, 0 when absent
  op: v.picklist(SECCOMP_OPS, refuse("a comparison")),
});
export type SeccompArg = v.InferOutput<typeof ArgSchema>;

// docker's conditions on a rule: the container's capabilities, the
// architecture (libseccomp's short names: amd64, arm64, ...) and the kernel.
const FilterSchema = v.object({
  caps: v.optional(v.array(v.pipe(v.string(refuse("a capability")), v.regex(/^CAP_[A-Z_]+$/, refuse("a capability name (CAP_...)"))), refuse("a list of capabilities"))),
  arches: v.optional(strings("architecture")),
  minKernel: v.optional(v.pipe(v.string(refuse("a kernel version")), v.regex(/^\d+\.\d+$/, refuse('a kernel version "MAJOR.MINOR"')))),
});
export type SeccompFilter = v.InferOutput<typeof FilterSchema>;

const RuleSchema = v.object({
  names: v.optional(strings("system call name")),
  name: v.optional(v.string(refuse("a system call name"))), // docker's old single-name form
  action: ActionSchema,
  errnoRet: v.optional(retData),
  args: v.optional(v.nullable(v.array(ArgSchema, refuse("a list of argument conditions")))),
  includes: v.optional(FilterSchema),
  excludes: v.optional(FilterSchema),
});

const ArchSchema = v.picklist(SECCOMP_ARCHES, refuse("a seccomp architecture (SCMP_ARCH_...)"));

const ProfileSchema = v.object(
  {
    defaultAction: ActionSchema,
    defaultErrnoRet: v.optional(retData),
    architectures: v.optional(v.nullable(v.array(ArchSchema, refuse("a list of architectures")))),
    archMap: v.optional(
      v.nullable(
        v.array(
          v.object({ architecture: ArchSchema, subArchitectures: v.optional(v.nullable(v.array(ArchSchema, refuse("a list of architectures")))) }),
          refuse("a list of architectures"),
        ),
      ),
    ),
    flags: v.optional(v.nullable(v.array(v.picklist(SECCOMP_FLAGS, refuse("a seccomp filter flag")), refuse("a list of flags")))),
    listenerPath: v.optional(v.string()),
    syscalls: v.optional(v.nullable(v.array(RuleSchema, refuse("a list of rules")))),
  },
  refuse("a seccomp profile (a JSON object)"),
);

export interface SeccompRule {
  names: string[];
  action: SeccompAction;
  errnoRet?: number;
  args: SeccompArg[];
  includes?: SeccompFilter;
  excludes?: SeccompFilter;
}

export interface SeccompProfile {
  defaultAction: SeccompAction;
  defaultErrnoRet?: number;
  // Validated and kept, but the compiled filter serves the native architecture
  // only: see compile.ts.
  architectures: string[];
  flags: SeccompFlag[];
  syscalls: SeccompRule[];
}

const HINT_OF: Record<string, string> = {
  action: `use one of ${SECCOMP_ACTIONS.join(", ")}`,
  op: `use one of ${SECCOMP_OPS.join(", ")}`,
  flags: `use one of ${SECCOMP_FLAGS.join(", ")}`,
};
const DEFAULT_HINT = "fix the profile (docker's or the OCI runtime spec's seccomp format), or run with --security-opt seccomp=unconfined";

// syscalls[3].args[0].op, from valibot's path.
function pathOf(issue: v.BaseIssue<unknown>): string {
  let out = "";
  for (const item of issue.path ?? []) out += typeof item.key === "number" ? `[${item.key}]` : `${out ? "." : ""}${String(item.key)}`;
  return out;
}

// Parses a profile (docker's or OCI's) from its JSON value. `source` names it
// in errors: the file, or "the default profile". Throws a SpecError naming the
// field path and the value.
export function parseSeccompProfile(json: unknown, source: string): SeccompProfile {
  const result = v.safeParse(ProfileSchema, json);
  if (!result.success) {
    const issue = result.issues[0];
    const path = pathOf(issue);
    const last = path.replace(/\[\d+\]/g, "").split(".").pop() ?? "";
    throw new SpecError(path ? `${source}: ${path}` : source, issue.message, HINT_OF[last] ?? DEFAULT_HINT);
  }
  const p = result.output;
  const fail = (path: string, message: string, hint = DEFAULT_HINT) => new SpecError(`${source}: ${path}`, message, hint);
  if (p.listenerPath !== undefined)
    throw fail("listenerPath", "a seccomp agent (SCMP_ACT_NOTIFY) is not supported", "remove listenerPath and the SCMP_ACT_NOTIFY rules");
  if (p.architectures?.length && p.archMap?.length) throw fail("archMap", "both 'architectures' and 'archMap' are given", "use one of them");
  const syscalls = (p.syscalls ?? []).map((r, i): SeccompRule => {
    if (r.name !== undefined && r.names?.length) throw fail(`syscalls[${i}]`, "both 'name' and 'names' are given", "use 'names'");
    const names = r.name !== undefined ? [r.name] : (r.names ?? []);
    if (names.length === 0) throw fail(`syscalls[${i}].names`, "the rule names no system call", 'e.g. "names": ["mount"]');
    const rule: SeccompRule = { names, action: r.action, args: r.args ?? [] };
    if (r.errnoRet !== undefined) rule.errnoRet = r.errnoRet;
    if (r.includes) rule.includes = r.includes;
    if (r.excludes) rule.excludes = r.excludes;
    return rule;
  });
  const architectures = p.architectures ?? (p.archMap ?? []).flatMap((a) => [a.architecture, ...(a.subArchitectures ?? [])]);
  const profile: SeccompProfile = { defaultAction: p.defaultAction, architectures, flags: p.flags ?? [], syscalls };
  if (p.defaultErrnoRet !== undefined) profile.defaultErrnoRet = p.defaultErrnoRet;
  return profile;
}
