// `contain run` in the foreground: the parent's side of the picture in
// shared/DESIGN.md. State and cgroup (recorded before they exist), the init
// and the set-up protocol with it (init-process.ts), and supervision until
// the container's PID 1 exits; then everything is released.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { constants as os } from "node:os";
import { newCgroup, type Usage } from "../linux/cgroups/index.ts";
import { describeExit, kill, processStartTime, type ExitStatus } from "../linux/process.ts";
import type { Logger, Verbosity } from "../log.ts";
import { etcFiles } from "../plan/etc.ts";
import type { Plan } from "../plan/plan.ts";
import { describePort } from "../spec/network.ts";
import { DEFAULT_DATA_ROOT } from "./image.ts";
import { InitProcess } from "./init-process.ts";
import { checkBridge, networkState, plugVeth, prepareBridgeNetwork } from "./network.ts";
import { releaseResources } from "./release.ts";
import type { StateStore } from "./state.ts";
import { proxyTerminal, type TerminalProxy } from "./terminal.ts";

// Forwarded to the container's PID 1 (docker's sig-proxy set).
const FORWARDED = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGWINCH"] as const;

export interface RunOptions {
  log: Logger;
  verbosity: Verbosity;
  store: StateStore; // swept already (openStore)
}

export interface RunResult {
  status: ExitStatus;
  oomKilled: boolean;
  usage: Usage;
}

const HANGUP_GRACE_MS = 2000;

// The namespace names of the step log, as the user's design notes print them.
const SHORT_NAMES: Record<string, string> = { network: "net", mount: "mnt" };

// Takes the forwarded signals from the start, so one that arrives while the
// container is being set up is held and delivered once it runs, instead of
// killing the runtime (the default action) and stranding the container.
class SignalForwarder implements Disposable {
  private target?: { pid: number; terminal?: TerminalProxy };
  private readonly held: (typeof FORWARDED)[number][] = [];
  private readonly handlers = FORWARDED.map((name) => {
    const handler = () => (this.target ? this.forward(name) : this.held.push(name));
    process.on(name, handler);
    return [name, handler] as const;
  });

  private forward(name: (typeof FORWARDED)[number]): void {
    if (!this.target) return;
    if (name === "SIGWINCH") this.target.terminal?.resize();
    if (name === "SIGHUP" && this.target.terminal) this.hangup(this.target.pid, this.target.terminal);
    kill(this.target.pid, os.signals[name]);
  }

  // With a terminal, SIGHUP means the caller's terminal is gone (a closed
  // window). The container's pty is hung up too; a PID 1 that ignores it (a
  // PID 1 without a handler ignores SIGHUP, and ash then sleeps on the dead
  // tty) is killed after a grace period, so nothing is left running.
  private hangup(pid: number, terminal: TerminalProxy): void {
    terminal.hangup();
    setTimeout(() => kill(pid, os.signals.SIGKILL), HANGUP_GRACE_MS).unref();
  }

  attach(pid: number, terminal: TerminalProxy | undefined): void {
    this.target = { pid, terminal };
    for (const name of this.held.splice(0)) this.forward(name);
  }

  [Symbol.dispose](): void {
    for (const [name, handler] of this.handlers) process.off(name, handler);
  }
}

// Reaps with SIGCHLD plus a non-blocking waitpid, since a blocking wait would
// keep Bun's signal handlers from running.
function waitForExit(init: InitProcess): Promise<ExitStatus> {
  return new Promise((resolve) => {
    let timer: ReturnType<typeof setInterval> | undefined;
    const reap = () => {
      const status = init.tryReap();
      if (!status) return;
      clearInterval(timer);
      process.off("SIGCHLD", reap);
      resolve(status);
    };
    process.on("SIGCHLD", reap);
    // Keeps the event loop alive, and a safety net should a SIGCHLD be missed.
    timer = setInterval(reap, 250);
    reap();
  });
}

// Inside the state directory, so they go with it: the overlay's upper and work
// directories and its mount point, and the generated /etc files.
function writeContainerFiles(plan: Plan, dir: string, address: string | undefined, log: Logger): void {
  const overlay = plan.root.overlay;
  if (overlay) for (const d of [overlay.upper, overlay.work, overlay.merged]) mkdirSync(d, { recursive: true, mode: 0o755 });
  mkdirSync(`${dir}/etc`, { mode: 0o755 });
  const { files, note } = etcFiles({
    hostname: plan.hostname,
    address,
    extraHosts: plan.network.extraHosts,
    dns: plan.network.dns,
    hostNetwork: plan.network.mode === "host",
    hostResolvConf: readOptional("/etc/resolv.conf") ?? "",
    upstreamResolvConf: readOptional("/run/systemd/resolve/resolv.conf"),
  });
  if (note) log.warn(`resolv.conf: ${note}`);
  for (const f of files) writeFileSync(`${dir}/etc/${f.name}`, f.content, { mode: 0o644 });
}

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

export async function runContainer(plan: Plan, opts: RunOptions): Promise<RunResult> {
  const { log } = opts;
  using signals = new SignalForwarder();
  const cgroup = newCgroup(plan.id);
  const network = networkState(plan.network, plan.id, DEFAULT_DATA_ROOT);
  if (network) checkBridge(plan.network);
  using entry = opts.store.create({
    id: plan.id,
    created: new Date().toISOString(),
    command: plan.process.args,
    rootfs: plan.root.path,
    owner: { pid: process.pid, startTime: processStartTime(process.pid) ?? 0 },
    cgroup: { version: cgroup.version, paths: { ...cgroup.paths } },
    network,
  });
  let terminal: TerminalProxy | undefined;
  let init: InitProcess | undefined;
  try {
    cgroup.create();
    const bridge = network && prepareBridgeNetwork(plan.network, network, plan.id, entry.dir, log);
    if (bridge) {
      entry.save(); // with the leased address
      const { eth0 } = bridge;
      log.info(`network: eth0 ${eth0.address}/${eth0.prefixLen} on ${plan.network.bridge}, gateway ${eth0.gateway}`);
      if (plan.network.ports.length) log.info(`publishing ${plan.network.ports.map(describePort).join(" ")}`);
    }
    log.info(`setting up rootfs: ${plan.root.path}${plan.root.overlay ? " (copy-on-write)" : ""}`);
    writeContainerFiles(plan, entry.dir, bridge?.eth0.address, log);
    log.info(`creating namespaces: ${plan.namespaces.map((n) => SHORT_NAMES[n] ?? n).join(" ")}`);
    init = InitProcess.clone(plan.namespaces);
    entry.state.init = { pid: init.pid, startTime: init.startTime };
    entry.save();
    if (network && bridge) plugVeth(network, bridge.bridgeIndex, bridge.eth0.mtu, init.pid);
    const { master } = init.start(plan, cgroup, log, opts.verbosity, bridge?.eth0);
    if (master !== undefined) terminal = await proxyTerminal(master);
    signals.attach(init.pid, terminal);
    const status = await waitForExit(init);
    await terminal?.drained();
    log.info(`container exited: ${describeExit(status)}`);
    const usage = cgroup.usage();
    const oomKilled = !status.exited && status.signal === os.signals.SIGKILL && usage.oomKills > 0;
    return { status, oomKilled, usage };
  } catch (err) {
    init?.discard();
    throw err;
  } finally {
    terminal?.restore();
    log.info(network ? "cleaning up cgroups and network" : "cleaning up cgroups");
    releaseResources(entry.state);
    entry.remove();
  }
}
