// A container on a bridge network, from the host's side: the bridge (made on
// first use), an address leased from its subnet (ipam.ts), the NAT and port
// rules (the host ports: ports.ts), the veth whose peer becomes the
// container's eth0, and the reclaim of what a container that is gone left.
// The init configures eth0 from the inside (src/init/init.ts); the
// containers' /etc/hosts files are names.ts's.
//
// Order, so that a runtime killed at any point leaves only what the state
// entry can name: the entry records the network (bridge, veth name) before
// anything is made; the lease records the host ports, once chosen, before
// their rules exist. releaseNetwork undoes it all, from the state and the lease.
import { ContainError, SpecError } from "../errors.ts";
import { addAddress, createBridge, createVeth, deleteLink, getLink, linkName, listAddresses, listRoutes, setLinkAlias, setLinkUp, type LinkInfo } from "../linux/link.ts";
import { Netlink } from "../linux/netlink.ts";
import { ipChainExists, nft, NftError } from "../linux/nft.ts";
import { setLinkSysctl, setSysctl } from "../linux/sysctl.ts";
import type { Logger } from "../log.ts";
import { addPortsScript, GUARD_CHAIN, natTableScript, tableName } from "../plan/nft.ts";
import type { Eth0Config } from "../plan/protocol.ts";
import { broadcastOf, capacity, firstFree, formatIPv4, formatSubnet, gatewayOf, macOf, overlaps, parseIPv4, subnetOf, type Subnet } from "../spec/ipv4.ts";
import { DEFAULT_SUBNET, parseSubnetFlag, VETH_PREFIX, type NetworkRequest, type PortMapping } from "../spec/network.ts";
import { LEASE_DATA_ROOT, LeaseDb } from "./ipam.ts";
import { writeHostsFiles } from "./names.ts";
import { choosePorts, removePortRules, THIS_HOST } from "./ports.ts";

// What the state entry records, before any of it exists; the rest once leased.
export interface NetworkState {
  bridge: string;
  dataRoot: string; // where the lease lives (LEASE_DATA_ROOT), as a release must find it
  veth: string;
  ports: PortMapping[]; // the published ports, their host ports chosen (empty until leased)
  address?: string;
  prefixLen?: number;
  gateway?: string;
  mac?: string; // eth0's, given at the veth's creation
}

// The alias that marks a bridge as ours.
export const BRIDGE_ALIAS = "contain bridge";

export const vethName = (id: string) => `${VETH_PREFIX}${id.slice(0, 12)}`;

export function networkState(req: NetworkRequest, id: string): NetworkState | undefined {
  if (req.mode !== "bridge") return undefined;
  return { bridge: req.bridge, dataRoot: LEASE_DATA_ROOT, veth: vethName(id), ports: [] };
}

function netlinkFailure(what: string, err: unknown): ContainError {
  return new ContainError(`cannot ${what}: ${err instanceof Error ? err.message : String(err)}`, "run again with --debug to see each request", undefined, { cause: err });
}

function nftFailure(err: unknown): ContainError {
  if (err instanceof NftError && err.missing)
    return new ContainError("--net bridge needs nftables for its NAT and port rules, and the nft tool is not installed", "install it (apt-get install nftables), or use --net none or --net host");
  return new ContainError(`cannot set the NAT and port rules: ${err instanceof Error ? err.message : String(err)}`, "run again with --debug to see the rules");
}

// The bridge's own IPv4 subnet (from the gateway address on it), if any.
function bridgeSubnet(nl: Netlink, bridge: LinkInfo): Subnet | undefined {
  const a = listAddresses(nl).find((x) => x.index === bridge.index);
  if (!a) return undefined;
  return subnetOf(parseIPv4(a.address) ?? 0, a.prefixLen);
}

// A subnet must not meet any route of the host's other than the bridge's own.
// The bridge is known by name: a parallel start may have made it since this
// one looked (outside the lock), and its route is then no overlap; the start
// under the lock looks again, the bridge's ownership included.
function checkOverlap(nl: Netlink, subnet: Subnet, bridgeName: string): void {
  for (const r of listRoutes(nl)) {
    if (r.dstLen === 0 || (r.oif !== undefined && linkName(nl, r.oif) === bridgeName)) continue;
    const route = { network: parseIPv4(r.dst) ?? 0, prefixLen: r.dstLen };
    if (overlaps(subnet, route)) {
      const dev = r.oif === undefined ? "" : ` (on ${linkName(nl, r.oif)})`;
      throw new SpecError("--subnet", `${formatSubnet(subnet)} overlaps the host's network ${formatSubnet(route)}${dev}`, "choose a subnet no host route uses, e.g. --subnet 10.0.43.0/24");
    }
  }
}

// The bridge as it is (null: not made yet), its subnet as it is (undefined:
// none yet), and the subnet to use. Changes nothing: every refusal comes
// before anything is made, even a lock file.
function inspectBridge(nl: Netlink, req: NetworkRequest): { bridge: LinkInfo | null; current?: Subnet; subnet: Subnet } {
  const wanted = req.subnet === undefined ? undefined : parseSubnetFlag(req.subnet);
  const bridge = getLink(nl, req.bridge);
  if (bridge && (bridge.kind !== "bridge" || bridge.alias !== BRIDGE_ALIAS)) {
    const what = bridge.kind === "bridge" ? "a bridge that contain did not make" : `a ${bridge.kind ?? "network"} link, not a bridge of contain's`;
    throw new SpecError("--bridge", `the name ${req.bridge} is taken by ${what}`, "pass --bridge NAME with a name of its own");
  }
  const current = bridge ? bridgeSubnet(nl, bridge) : undefined;
  if (current && wanted && formatSubnet(current) !== formatSubnet(wanted))
    throw new SpecError("--subnet", `bridge ${req.bridge} already has the subnet ${formatSubnet(current)}, not ${formatSubnet(wanted)}`, `leave --subnet out, or use another --bridge for ${formatSubnet(wanted)}`);
  const subnet = current ?? wanted ?? parseSubnetFlag(DEFAULT_SUBNET);
  if (!current) checkOverlap(nl, subnet, req.bridge);
  return { bridge, current, subnet };
}

// The refusals that need no lock (a name taken, a subnet that overlaps or
// differs), before the container has any resource.
export function checkBridge(req: NetworkRequest): void {
  using nl = new Netlink();
  inspectBridge(nl, req);
}

// `fresh`: the bridge or its address was just made, so its NAT rules must be
// (re)written for this subnet. Under the bridge's lock.
function ensureBridge(nl: Netlink, req: NetworkRequest, log: Logger): { bridge: LinkInfo; subnet: Subnet; fresh: boolean } {
  const { current, subnet, ...found } = inspectBridge(nl, req);
  let bridge = found.bridge;
  try {
    if (!bridge) {
      log.info(`creating bridge ${req.bridge} with ${formatIPv4(gatewayOf(subnet))}/${subnet.prefixLen}`);
      createBridge(nl, req.bridge);
      bridge = getLink(nl, req.bridge) as LinkInfo;
      setLinkAlias(nl, bridge.index, BRIDGE_ALIAS);
    }
    if (!current) addAddress(nl, bridge.index, formatIPv4(gatewayOf(subnet)), subnet.prefixLen, formatIPv4(broadcastOf(subnet)));
    if (!bridge.up) setLinkUp(nl, bridge.index);
  } catch (err) {
    throw netlinkFailure(`set up bridge ${req.bridge}`, err);
  }
  return { bridge, subnet, fresh: !current };
}

function releaseLease(db: LeaseDb, bridge: string, id: string): void {
  const lease = db.find(id);
  if (!lease) return;
  removePortRules(bridge, lease.ports);
  db.remove(id);
}

// Leases whose container is gone (its runtime died, its state root went
// without a sweep): their veth, port rules and lease, and their names in the
// others' /etc/hosts.
function reclaimStale(nl: Netlink, db: LeaseDb, bridge: string, log: Logger): void {
  const stale = db.stale();
  for (const lease of stale) {
    log.info(`reclaiming ${lease.address} from container ${lease.id.slice(0, 12)}, which is gone`);
    deleteLink(nl, lease.veth);
    releaseLease(db, bridge, lease.id);
  }
  if (stale.length) writeHostsFiles(db);
}

// Before the clone: the bridge, NAT, the lease and the port rules. Returns
// what the init needs for eth0, and the bridge for the veth.
export function prepareBridgeNetwork(
  req: NetworkRequest,
  state: NetworkState,
  id: string,
  stateDir: string,
  names: string[],
  log: Logger,
): { eth0: Eth0Config; bridgeIndex: number } {
  using nl = new Netlink();
  using db = LeaseDb.open(state.dataRoot, req.bridge);
  reclaimStale(nl, db, req.bridge, log);
  const { bridge, subnet, fresh } = ensureBridge(nl, req, log);
  // A container's packets leave through the host (NAT) only if it routes.
  setSysctl("net.ipv4.ip_forward", "1");
  const taken = new Set(db.leases.flatMap((l) => parseIPv4(l.address) ?? []));
  const address = firstFree(subnet, taken);
  if (address === null)
    throw new ContainError(
      `the subnet ${formatSubnet(subnet)} of bridge ${req.bridge} is full (${capacity(subnet)} addresses, all leased)`,
      "remove a container, or use a larger --subnet on another --bridge",
    );
  state.address = formatIPv4(address);
  state.prefixLen = subnet.prefixLen;
  state.gateway = formatIPv4(gatewayOf(subnet));
  state.mac = macOf(address);
  {
    using _ = db.lockHostPorts();
    state.ports = choosePorts(req.ports, db.heldPorts(), THIS_HOST);
    db.add({ id, address: state.address, stateDir, veth: state.veth, ports: state.ports, names });
  }
  try {
    // Starting nft costs ~15 ms: only when the table must be (re)written or
    // there are ports to map. A table with the loopback guard is taken as
    // ours and whole; one without is missing or was written by a version
    // before the guard, and is rewritten once (its port elements are kept).
    const current = !fresh && ipChainExists(tableName(req.bridge), GUARD_CHAIN);
    const table = current ? "" : natTableScript(req.bridge, formatSubnet(subnet));
    const script = table + addPortsScript(req.bridge, state.address, state.ports);
    if (script) nft(script);
  } catch (err) {
    throw nftFailure(err);
  }
  // 127.0.0.1:PORT DNATed into a container keeps its loopback source on the
  // way out of the bridge: the kernel drops such packets as martians unless
  // the bridge allows them (docker's userland-proxy=false does the same).
  // Only once the table's loopback guard is in place (CVE-2020-8558).
  setLinkSysctl(req.bridge, "route_localnet", "1");
  return {
    eth0: { address: state.address, prefixLen: state.prefixLen, gateway: state.gateway, mtu: bridge.mtu },
    bridgeIndex: bridge.index,
  };
}

// After the clone: the veth, its peer made straight in the init's netns.
export function plugVeth(state: NetworkState, bridgeIndex: number, mtu: number, initPid: number): void {
  using nl = new Netlink();
  try {
    createVeth(nl, { name: state.veth, master: bridgeIndex, mtu, peerName: "eth0", peerMac: state.mac, peerNetnsPid: initPid });
  } catch (err) {
    throw netlinkFailure(`create the veth ${state.veth}`, err);
  }
}

// The port rules, the lease, and the container's line in the other
// containers' /etc/hosts. Safe to repeat, and on a container whose set-up
// stopped anywhere. Not the veth: its peer is made straight in the init's
// network namespace (plugVeth), so the kernel deletes the pair when that
// namespace goes, with the init, which is dead or being killed whenever a
// container is released. Deleting it here took rtnl_lock, which the
// kernel's teardown of that same namespace holds across its RCU waits: 1-5
// ms at best, 20-300 ms here when the teardown had begun, before every
// bridge container's exit was reported.
export function releaseNetwork(state: NetworkState, id: string): void {
  using db = LeaseDb.open(state.dataRoot, state.bridge);
  releaseLease(db, state.bridge, id);
  writeHostsFiles(db);
}
