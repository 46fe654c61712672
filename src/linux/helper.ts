// The static helper (ffi/helper.c), which takes the single-threaded steps of
// a container: `contain exec`'s entry into a running one (join), and the
// init's last step (start). Its request goes in a sealed memfd; the helper
// runs from its own sealed memfd, so no process in a container's namespaces
// runs the contain binary.
import { readSync, writeSync } from "node:fs";
import {
  addressOf,
  check,
  cloneExec,
  cstr,
  execve,
  helperPathForExec,
  joinRequest,
  JOIN_REPORT_SIZE,
  MFD_ALLOW_SEALING,
  MFD_CLOEXEC,
  parseJoinReport,
  seal,
  startRequest,
  sym,
  sys,
  type JoinReport,
  type NsExecRequest,
  type StartRequest,
} from "../ffi/index.ts";
import { clearCloseOnExec, close, pipe } from "./process.ts";

function requestFd(bytes: Uint8Array): number {
  const fd = check("memfd_create", ["contain-request", sym("MFD_CLOEXEC|MFD_ALLOW_SEALING")], sys("memfd_create", addressOf(cstr("contain-request")), MFD_CLOEXEC | MFD_ALLOW_SEALING));
  try {
    writeSync(fd, bytes);
    seal(fd);
    return fd;
  } catch (err) {
    close(fd);
    throw err;
  }
}

export interface JoinResult extends JoinReport {
  joiner: number; // the helper: reap it
}

// `contain exec`: the helper is cloned and exec'd, joins the container and
// forks the process there (a child of ours); its report comes back over a pipe.
export function joinContainer(req: NsExecRequest, nsFlagNames: string): JoinResult {
  const request = requestFd(joinRequest(req));
  const report = pipe();
  try {
    const fds = [req.pidfd, req.rootFd, ...req.cgroupFds, ...req.stdio, req.attrs.ttyFd, request, report.write];
    const { pid: joiner, pidfd } = cloneExec({
      flags: 0n,
      flagNames: `0 (then setns ${nsFlagNames})`,
      exe: helperPathForExec(),
      argv: ["contain-helper", "join", String(request), String(report.write)],
      env: [],
      keepFds: [...new Set(fds.filter((fd) => fd > 2))],
    });
    close(pidfd);
    close(report.write);
    report.write = -1;
    const buf = Buffer.alloc(JOIN_REPORT_SIZE);
    const n = readSync(report.read, buf);
    // A helper that died without a report (killed) leaves no process behind.
    if (n !== JOIN_REPORT_SIZE) return { joiner, pid: 0, error: { step: "the exec helper", errno: 0 } };
    return { joiner, ...parseJoinReport(buf) };
  } finally {
    close(request);
    close(report.read);
    if (report.write >= 0) close(report.write);
  }
}

// The init's last step: this process becomes the helper, which moves itself
// into the container's cgroups and execs the command. Returns only if the
// helper could not be exec'd (-errno); the helper's own failures arrive on
// the status pipe.
export function startInContainer(req: StartRequest, statusFd: number): number {
  const request = requestFd(startRequest(req));
  for (const fd of [...req.cgroupFds, req.attrs.ttyFd, req.attrs.initFd, req.execFifo, request, statusFd]) if (fd >= 0) clearCloseOnExec(fd);
  const err = execve(helperPathForExec(), ["contain-helper", "start", String(request), String(statusFd)], []);
  close(request);
  return err;
}
