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
//   ── plan { eth0? } ───────────────►   enter root, mounts, hostname, lo up,
//                                        eth0's address, up, default route,
//                                        resolve the command, open the pty
//                          ◄───────── ready { ptyMaster? }
//   apply limits, place the init in
//   the cgroup (charges from now on are
//   the container's), take the pty
//   ── go ───────────────────────────►   unshare the cgroup namespace, execve
//                          ◄───────── EOF (exec'd) | error { message, exitCode }
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

export type ToInit = { type: "plan"; plan: Plan; verbosity: Verbosity; eth0?: Eth0Config; seccomp?: SeccompFilter } | { type: "go" };

export type FromInit =
  | { type: "ready"; ptyMaster?: number }
  | { type: "error"; message: string; hint?: string; exitCode: number };
