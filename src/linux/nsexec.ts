// `contain exec`'s entry into a running container through the static helper
// (ffi/nsexec.c): the request goes in a sealed memfd, the helper is cloned and
// exec'd from its own sealed memfd, and its report comes back over a pipe.
// No process in the container's namespaces runs the contain binary.
import { readSync, writeSync } from "node:fs";
import { addressOf, check, cloneExec, cstr, MFD_ALLOW_SEALING, MFD_CLOEXEC, nsexecPathForExec, nsexecRequest, NSEXEC_REPORT_SIZE, parseNsexecReport, seal, sym, sys, type NsExecRequest, type NsExecReport } from "../ffi/index.ts";
import { close, pipe } from "./process.ts";

export interface NsExecResult extends NsExecReport {
  joiner: number; // the helper: reap it
}

export function nsExec(req: NsExecRequest, nsFlagNames: string): NsExecResult {
  const request = check("memfd_create", ["contain-exec", sym("MFD_CLOEXEC|MFD_ALLOW_SEALING")], sys("memfd_create", addressOf(cstr("contain-exec")), MFD_CLOEXEC | MFD_ALLOW_SEALING));
  const report = pipe();
  try {
    writeSync(request, nsexecRequest(req));
    seal(request);
    const fds = [req.pidfd, req.rootFd, ...req.cgroupFds, ...req.stdio, req.attrs.ttyFd, request, report.write];
    const { pid: joiner, pidfd } = cloneExec({
      flags: 0n,
      flagNames: `0 (then setns ${nsFlagNames})`,
      exe: nsexecPathForExec(),
      argv: ["contain-nsexec", String(request), String(report.write)],
      env: [],
      keepFds: [...new Set(fds.filter((fd) => fd > 2))],
    });
    close(pidfd);
    close(report.write);
    report.write = -1;
    const buf = Buffer.alloc(NSEXEC_REPORT_SIZE);
    const n = readSync(report.read, buf);
    // A helper that died without a report (killed) leaves no process behind.
    if (n !== NSEXEC_REPORT_SIZE) return { joiner, pid: 0, error: { step: "the exec helper", errno: 0 } };
    return { joiner, ...parseNsexecReport(buf) };
  } finally {
    close(request);
    close(report.read);
    if (report.write >= 0) close(report.write);
  }
}
