// The parent's handle on the container's init: cloned by the shim into the
// new namespaces, then driven through the set-up protocol (src/plan/protocol.ts)
// up to the command's execve, and reaped.
import { release } from "node:os";
import { ContainError } from "../errors.ts";
import type { Cgroup } from "../linux/cgroups/index.ts";
import { Channel } from "../linux/channel.ts";
import { cloneFlags, flagNames } from "../linux/namespaces.ts";
import { close, cloneExec, kill, SIGKILL, pidfdGetfd, pipe, processStartTime, shimFd, tryWait, waitExited, type ExitStatus } from "../linux/process.ts";
import type { Logger, Verbosity } from "../log.ts";
import { cgroupWrites, describeLimits } from "../plan/cgroup.ts";
import { seccompFilter, type Plan } from "../plan/plan.ts";
import type { Eth0Config, FromInit, ToInit } from "../plan/protocol.ts";
import type { NamespaceType } from "../spec/schema.ts";

export class InitProcess {
  private readonly channel: Channel<FromInit, ToInit>;
  private open = true;
  private exit?: ExitStatus; // once reaped: the pid may then belong to another process

  private constructor(
    readonly pid: number,
    readonly startTime: number,
    private readonly pidfd: number,
    statusRead: number,
    syncWrite: number,
  ) {
    this.channel = new Channel(statusRead, syncWrite);
  }

  // The cgroup namespace is left out: the init creates it itself once it is
  // inside the container's cgroup, so that cgroup becomes its root.
  static clone(namespaces: readonly NamespaceType[]): InitProcess {
    const sync = pipe();
    const status = pipe();
    const flags = cloneFlags(namespaces.filter((n) => n !== "cgroup"));
    const argv = ["contain", "init", String(sync.read), String(status.write), String(shimFd())];
    try {
      const { pid, pidfd } = cloneExec({
        flags,
        flagNames: flagNames(Number(flags)),
        exe: "/proc/self/exe",
        argv,
        env: [], // a clean environment: Bun obeys BUN_OPTIONS and friends
        keepFds: [sync.read, status.write, shimFd()].filter((fd) => fd >= 0),
      });
      return new InitProcess(pid, processStartTime(pid) ?? 0, pidfd, status.read, sync.write);
    } catch (err) {
      close(sync.write);
      close(status.read);
      throw err;
    } finally {
      close(sync.read);
      close(status.write);
    }
  }

  // Blocking: for an init known to be exiting (its pipes closed, or killed).
  private reap(): ExitStatus {
    this.exit ??= waitExited(this.pid);
    return this.exit;
  }

  // Non-blocking; undefined while it runs.
  tryReap(): ExitStatus | undefined {
    this.exit ??= tryWait(this.pid) ?? undefined;
    return this.exit;
  }

  private failed(what: string): ContainError {
    const st = this.reap();
    const how = st.exited ? `exit status ${st.code}` : `signal ${st.signal}`;
    return new ContainError(`the container's init ${what} (${how})`, "run again with --debug to see each step");
  }

  private expectNoError(msg: FromInit | null): void {
    if (msg?.type !== "error") return;
    this.reap();
    throw new ContainError(msg.message, msg.hint, msg.exitCode);
  }

  // Runs the protocol: the plan, the init's set-up, the cgroup placement at
  // the latest safe moment, and execve. Returns the container's pty master.
  start(plan: Plan, cgroup: Cgroup, log: Logger, verbosity: Verbosity, eth0?: Eth0Config): { master?: number } {
    try {
      try {
        const seccomp = seccompFilter(plan.process, { arch: process.arch, kernel: release() });
        const { seccomp: _profile, ...processPlan } = plan.process;
        this.channel.send({ type: "plan", plan: { ...plan, process: processPlan }, verbosity, eth0, ...(seccomp && { seccomp }) });
      } catch {
        throw this.failed("exited before reading its plan");
      }
      const ready = this.channel.receive();
      if (!ready) throw this.failed("exited during set-up");
      this.expectNoError(ready);
      // From here on the init's charges (and the command's) are the
      // container's; Bun's start-up stays with the caller.
      log.info(`applying cgroup limits: ${describeLimits(plan.limits)}`);
      cgroup.apply(cgroupWrites(cgroup.version, plan.limits));
      cgroup.addProcess(this.pid);
      const master = ready.type === "ready" && ready.ptyMaster !== undefined ? pidfdGetfd(this.pidfd, ready.ptyMaster) : undefined;
      this.channel.send({ type: "go" });
      this.expectNoError(this.channel.receive());
      return { master };
    } finally {
      this.close();
    }
  }

  // An init (or container) that must not go on: killed and reaped, so
  // nothing is left.
  discard(): void {
    this.close();
    if (this.exit) return;
    kill(this.pid, SIGKILL);
    this.reap();
  }

  private close(): void {
    if (!this.open) return;
    this.open = false;
    close(this.channel.readFd);
    close(this.channel.writeFd);
    close(this.pidfd);
  }
}
