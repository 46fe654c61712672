// The parent <-> init protocol, written down in one place.
//
// Two pipes cross the clone, both inherited by the init across its re-exec
// (with the shim's memfd, so the init need not load the shim anew):
//   sync   (parent -> init): newline-delimited JSON messages.
//   status (init -> parent): newline-delimited JSON messages; the init marks
//          its end close-on-exec, so EOF without an error means the
//          container's command is running.
//
//   parent                               init (PID 1 in the new namespaces)
//   (--net bridge: the veth, its peer
//   made as eth0 in the init's netns)
//   ── plan { eth0?, cgroups } ──────►   open the cgroups' tasks (v1) or cgroup.procs,
//                                        mounts, enter root, hostname, lo up,
//                                        eth0's address, up, default route,
//                                        resolve the command, open the pty
//                          ◄───────── ready { ptyMaster?, path }
//   apply limits, take the pty
//   ── go { seccomp? } ──────────────►   exec the helper (ffi/helper.c): alone
//                                        in its process it moves itself into
//                                        the cgroups (charges from now on are
//                                        the container's), unshares the cgroup
//                                        namespace, takes the last steps and
//                                        execs the command
//                          ◄───────── EOF (exec'd) | error { message, exitCode }
//                                     | failed { step, errno, execStep } (the helper's)
//                                     | created (`create`: waiting at the exec
//                                       fifo until `start` opens it)
//
// EOF on sync before `plan` or `go` means the parent died: the init exits.
import type { Verbosity } from "../log.ts";
import type { Plan } from "./plan.ts";

// eth0 inside the container, on a bridge network: known only once the
// runtime has leased the address, so it travels beside the Plan.
export interface Eth0Config {
  address: string;
  prefixLen: number;
  gateway: string;
  mtu: number;
}

// A container's seccomp filter, compiled: struct sock_filter[] in base64, and
// the SECCOMP_FILTER_FLAG_* its profile asks seccomp(2) for.
export interface SeccompFilter {
  filter: string;
  flags: number;
}

// cgroups: the container's cgroup directories, one per hierarchy.
// hookState: the OCI state the hooks inside the container get on stdin.
// The seccomp filter comes with go: the init applies it only at the end
// (the helper's last step), and compiling docker's profile takes 3-7 ms,
// which the runtime spends while the init sets up instead of before.
export type ToInit = { type: "plan"; plan: Plan; verbosity: Verbosity; eth0?: Eth0Config; cgroups: string[]; hookState?: object } | { type: "go"; seccomp?: SeccompFilter };

export type FromInit =
  | { type: "ready"; ptyMaster?: number; path: string } // path: the command, as found in the container
  | { type: "created" } // the helper's, with an exec fifo: in the cgroups, waiting for `start`
  | { type: "error"; message: string; hint?: string; exitCode: number }
  // The helper's: enum start_step, -errno, and contain_exec's step.
  | { type: "failed"; step: number; errno: number; execStep: number };
