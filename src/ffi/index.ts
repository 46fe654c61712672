// The only importer of bun:ffi, by job: the shim's loader (shim.ts), the
// embedded programs in sealed memfds (memfd.ts), the syscall trampoline with
// SyscallError, check and the trace (syscall.ts), clone and execve
// (process.ts), and the helper's requests (requests.ts) packed through the
// struct tables that ffi/layout.c checks (layout.ts).
export { adoptShim, shimFd } from "./shim.ts";
export { helperPathForExec, initProgramFd, MFD_ALLOW_SEALING, MFD_CLOEXEC, monitorPathForExec, seal } from "./memfd.ts";
export { address64, addressOf, check, cstr, Symbolic, sym, SyscallError, sys, traceCall, traceSyscalls } from "./syscall.ts";
export { cloneExec, execve, lookupCommand, type CloneRequest } from "./process.ts";
export {
  joinRequest,
  JOIN_REPORT_SIZE,
  parseJoinReport,
  startFailure,
  startRequest,
  type ExecAttributes,
  type JoinReport,
  type NsExecRequest,
  type StartRequest,
} from "./requests.ts";
export type { SyscallName } from "./syscalls.ts";
