// The plan's process as the shim's last step takes it (ffi ExecAttributes).
// Its own module: the init imports it at every start, and nothing else of
// the plan's code.
import type { ProcessPlan } from "./plan.ts";
import type { SeccompFilter } from "./protocol.ts";

// With the filter compiled (seccompFilter) and the fds of this start.
export function execAttributes(p: ProcessPlan, seccomp: SeccompFilter | undefined, ttyFd: number, initFd: number) {
  const caps = p.capabilities;
  return {
    uid: p.user.uid,
    gid: p.user.gid,
    groups: p.user.groups,
    rlimits: p.rlimits,
    ...(caps && {
      capabilities: { bounding: BigInt(caps.bounding), effective: BigInt(caps.effective), permitted: BigInt(caps.permitted), inheritable: BigInt(caps.inheritable) },
    }),
    noNewPrivileges: p.noNewPrivileges,
    ...(seccomp && { seccomp: Buffer.from(seccomp.filter, "base64") }),
    seccompFlags: seccomp?.flags ?? 0,
    initFd,
    ttyFd,
    umask: p.user.umask,
  };
}
