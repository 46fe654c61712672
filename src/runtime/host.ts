// The host's side of a container's start, around the clone: its lease and
// veth, its own files in the state directory (the overlay's layers, the
// generated /etc files), and its seccomp filter.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { hostname as osHostname, release } from "node:os";
import { dirname, join } from "node:path";
import type { Logger } from "../log.ts";
import { etcFiles } from "../plan/etc.ts";
import { precompiledFor, type Precompiled } from "../plan/seccomp/precompiled.ts";
import type { Plan } from "../plan/plan.ts";
import type { Spec } from "../spec/schema.ts";
import type { Eth0Config, SeccompFilter } from "../plan/protocol.ts";
import { describePort } from "../spec/network.ts";
import { plugVeth, prepareBridgeNetwork } from "./bridge.ts";
import { announceNames } from "./names.ts";
import { makeLayerImage } from "../linux/loop.ts";
import { claimImage } from "./image-root.ts";
import { OWNER, type Entry } from "./state.ts";

// The container's data directory, its owner first (for the sweep): before
// the clone, as a detached container's monitor writes its log there.
export function makeDataDir(plan: Plan, stateDir: string): void {
  const dir = plan.dataDir;
  mkdirSync(dir, { recursive: true, mode: 0o711 });
  // Renamed into place whole: a sweep that read it half-written (empty)
  // would take a live container's directory for an orphan's.
  writeFileSync(`${dir}/${OWNER}.tmp`, stateDir);
  renameSync(`${dir}/${OWNER}.tmp`, `${dir}/${OWNER}`);
}

// In the data directory (makeDataDir): the overlay's directories and the
// /etc files; returns /etc/hosts's path and content.
function writeContainerFiles(plan: Plan, hostname: string, name: string | undefined, address: string | undefined, log: Logger): { file: string; own: string } {
  const dir = plan.dataDir;
  const overlay = plan.root.overlay;
  // With a capped layer, upper and work are made on its own filesystem, by
  // the init once it has mounted it.
  if (overlay) for (const d of overlay.layer ? [overlay.layer.dir, overlay.merged] : [overlay.upper, overlay.work, overlay.merged]) mkdirSync(d, { recursive: true, mode: 0o755 });
  // A start of a stopped container finds its layer there, and keeps it.
  if (overlay?.layer && !existsSync(overlay.layer.image)) makeLayerImage(overlay.layer.image, overlay.layer.size);
  mkdirSync(`${dir}/etc`, { recursive: true, mode: 0o755 });
  const { files, note } = etcFiles({
    hostname,
    name,
    address,
    extraHosts: plan.network.extraHosts,
    dns: plan.network.dns,
    hostNetwork: plan.network.mode === "host",
    hostResolvConf: readOptional("/etc/resolv.conf") ?? "",
    upstreamResolvConf: readOptional("/run/systemd/resolve/resolv.conf"),
  });
  if (note) log.warn(`resolv.conf: ${note}`);
  for (const f of files) writeFileSync(`${dir}/etc/${f.name}`, f.content, { mode: 0o644 });
  // --net container:NAME: that container's names and nameservers, as docker
  // shares them (a copy: its files go with it, this one's stay).
  const other = plan.network.container === undefined ? undefined : join(dirname(dir), plan.network.container, "etc");
  for (const name of other ? ["hosts", "resolv.conf"] : []) {
    const content = readOptional(`${other}/${name}`);
    if (content !== undefined) writeFileSync(`${dir}/etc/${name}`, content, { mode: 0o644 });
  }
  return { file: `${dir}/etc/hosts`, own: files.find((f) => f.name === "hosts")?.content ?? "" };
}

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

// The host's side, while the init boots: the lease and the bridge, then the
// container's own files (its /etc/hosts names the leased address), which
// the init needs once it has its plan.
export function prepareHost(plan: Plan, entry: Entry, log: Logger): ReturnType<typeof prepareBridgeNetwork> | undefined {
  const network = entry.state.network;
  // contain's own front end always names the host (the short ID by default).
  // With --uts host the host's own name.
  const hostname = plan.hostname ?? (plan.namespaces.includes("uts") ? plan.id.slice(0, 12) : osHostname());
  const names = [hostname, ...(entry.state.name ? [entry.state.name] : [])];
  const bridge = network ? prepareBridgeNetwork(plan.network, network, plan.id, entry.dir, names, log) : undefined;
  if (bridge) {
    entry.save(); // with the leased address
    const { eth0 } = bridge;
    log.info(`network: eth0 ${eth0.address}/${eth0.prefixLen} on ${plan.network.bridge}, gateway ${eth0.gateway}`);
    if (network?.ports.length) log.info(`publishing ${network.ports.map(describePort).join(" ")}`);
  }
  log.info(`setting up rootfs: ${plan.root.path}${plan.root.overlay ? " (copy-on-write)" : ""}`);
  const hosts = writeContainerFiles(plan, hostname, entry.state.name, bridge?.eth0.address, log);
  if (entry.state.spec) claimImage(entry.state.spec, plan.dataDir, plan.root.overlay?.lowers);
  if (network && bridge) announceNames(network, plan.id, hosts);
  return bridge;
}

// docker's profile with the default capabilities, as the build compiled it
// (build.ts, plan/seccomp/precompiled.ts); undefined from a source checkout.
declare const DEFAULT_SECCOMP_FILTER: string | undefined;

// The build's filter when it is the one asked for; otherwise compiled once
// the init has its plan, while it sets up: the compiler and the profile's
// schema (a few ms) are loaded only then.
export async function seccompOf(spec: Spec): Promise<SeccompFilter | undefined> {
  if (spec.linux.seccomp === undefined) return undefined;
  const machine = { arch: process.arch, kernel: release() };
  const carried = typeof DEFAULT_SECCOMP_FILTER === "string" ? (JSON.parse(DEFAULT_SECCOMP_FILTER) as Precompiled) : undefined;
  const built = precompiledFor(spec, carried, machine);
  if (built) return built;
  const { seccompFilter } = await import("../plan/seccomp/filter.ts");
  return seccompFilter(spec, machine);
}

// After the clone: the veth's peer goes into the init's network namespace.
export function plugNetwork(entry: Entry, bridge: ReturnType<typeof prepareBridgeNetwork> | undefined, pid: number): Eth0Config | undefined {
  if (entry.state.network && bridge) plugVeth(entry.state.network, bridge.bridgeIndex, bridge.eth0.mtu, pid);
  return bridge?.eth0;
}
