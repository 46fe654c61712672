// Links, addresses and routes over rtnetlink (man 7 rtnetlink): what `ip link`,
// `ip addr` and `ip route` would do, as requests of our own. Addresses are
// IPv4 dotted quads.
import { SyscallError } from "../ffi/index.ts";
import {
  attrNested,
  attrString,
  attrText,
  attrU32,
  attrU32Value,
  attr,
  concat,
  NLM_F_CREATE,
  NLM_F_DUMP,
  NLM_F_EXCL,
  parseAttrs,
  type Netlink,
} from "./netlink.ts";

const RTM_NEWLINK = 16;
const RTM_DELLINK = 17;
const RTM_GETLINK = 18;
const RTM_NEWADDR = 20;
const RTM_GETADDR = 22;
const RTM_NEWROUTE = 24;
const RTM_GETROUTE = 26;

const AF_INET = 2;
const IFF_UP = 0x1;
const IFLA_ADDRESS = 1;
const IFLA_IFNAME = 3;
const IFLA_MTU = 4;
const IFLA_MASTER = 10;
const IFLA_LINKINFO = 18;
const IFLA_NET_NS_PID = 19;
const IFLA_IFALIAS = 20;
const IFLA_INFO_KIND = 1;
const IFLA_INFO_DATA = 2;
const VETH_INFO_PEER = 1;
const IFA_ADDRESS = 1;
const IFA_LOCAL = 2;
const IFA_BROADCAST = 4;
const RTA_DST = 1;
const RTA_OIF = 4;
const RTA_GATEWAY = 5;
const RTA_TABLE = 15;
const RT_TABLE_MAIN = 254;
const RTPROT_BOOT = 3;
const RT_SCOPE_UNIVERSE = 0;
const RTN_UNICAST = 1;
const ENODEV = 19;

// The loopback device is always index 1 in a new network namespace.
export const LOOPBACK_INDEX = 1;

export interface LinkInfo {
  index: number;
  name: string;
  kind?: string; // IFLA_INFO_KIND: "bridge", "veth", ...
  alias?: string; // IFLA_IFALIAS
  mtu: number;
  up: boolean;
  master?: number;
}

function ip4(address: string): Uint8Array {
  return Uint8Array.from(address.split(".").map(Number));
}

function ip4Text(b: Uint8Array | undefined): string | undefined {
  return b && b.length === 4 ? Array.from(b).join(".") : undefined;
}

// struct ifinfomsg: family, type, index, flags, change.
function ifinfomsg(index = 0, flags = 0, change = 0): Uint8Array {
  const b = new Uint8Array(16);
  const view = new DataView(b.buffer);
  view.setInt32(4, index, true);
  view.setUint32(8, flags, true);
  view.setUint32(12, change, true);
  return b;
}

function parseLink(msg: Uint8Array): LinkInfo {
  const view = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
  const attrs = parseAttrs(msg, 16);
  const linkinfo = attrs.get(IFLA_LINKINFO);
  return {
    index: view.getInt32(4, true),
    name: attrText(attrs.get(IFLA_IFNAME)) ?? "",
    kind: linkinfo ? attrText(parseAttrs(linkinfo, 0).get(IFLA_INFO_KIND)) : undefined,
    alias: attrText(attrs.get(IFLA_IFALIAS)),
    mtu: attrU32Value(attrs.get(IFLA_MTU)) ?? 0,
    up: (view.getUint32(8, true) & IFF_UP) !== 0,
    master: attrU32Value(attrs.get(IFLA_MASTER)),
  };
}

const isErrno = (err: unknown, errno: number) => err instanceof SyscallError && err.errno === errno;

// The link named `name`, or null when there is none.
export function getLink(nl: Netlink, name: string): LinkInfo | null {
  try {
    const [msg] = nl.query(`get link ${name}`, RTM_GETLINK, 0, concat([ifinfomsg(), attrString(IFLA_IFNAME, name)]));
    return msg ? parseLink(msg) : null;
  } catch (err) {
    if (isErrno(err, ENODEV)) return null;
    throw err;
  }
}

// The name of link `index`, for messages (routes name links by index).
export function linkName(nl: Netlink, index: number): string {
  const [msg] = nl.query(`get link ${index}`, RTM_GETLINK, 0, ifinfomsg(index));
  return msg ? parseLink(msg).name : `link ${index}`;
}

export function setLinkUp(nl: Netlink, index: number, up = true): void {
  nl.request(`set link ${index} ${up ? "up" : "down"}`, RTM_NEWLINK, 0, ifinfomsg(index, up ? IFF_UP : 0, IFF_UP));
}

// An alias marks a link as made by us (`ip link show` prints it).
export function setLinkAlias(nl: Netlink, index: number, alias: string): void {
  nl.request(`set link ${index} alias ${alias}`, RTM_NEWLINK, 0, concat([ifinfomsg(index), attrString(IFLA_IFALIAS, alias)]));
}

export function createBridge(nl: Netlink, name: string): void {
  nl.request(
    `create bridge ${name}`,
    RTM_NEWLINK,
    NLM_F_CREATE | NLM_F_EXCL,
    concat([ifinfomsg(), attrString(IFLA_IFNAME, name), attrNested(IFLA_LINKINFO, attrString(IFLA_INFO_KIND, "bridge"))]),
  );
}

export interface VethRequest {
  name: string; // the host end
  master: number; // the bridge's index
  mtu: number;
  peerName: string;
  peerMac?: string; // aa:bb:cc:dd:ee:ff; the kernel's random one when absent
  peerNetnsPid: number; // the peer is created straight in this process's netns
}

// One request: the pair, the peer already in the container's netns, the host
// end attached to the bridge and up.
export function createVeth(nl: Netlink, req: VethRequest): void {
  const mac = req.peerMac ? [attr(IFLA_ADDRESS, Uint8Array.from(req.peerMac.split(":").map((b) => parseInt(b, 16))))] : [];
  const peer = concat([ifinfomsg(), attrString(IFLA_IFNAME, req.peerName), ...mac, attrU32(IFLA_MTU, req.mtu), attrU32(IFLA_NET_NS_PID, req.peerNetnsPid)]);
  nl.request(
    `create veth ${req.name} (peer ${req.peerName} in the netns of pid ${req.peerNetnsPid})`,
    RTM_NEWLINK,
    NLM_F_CREATE | NLM_F_EXCL,
    concat([
      ifinfomsg(0, IFF_UP, IFF_UP),
      attrString(IFLA_IFNAME, req.name),
      attrU32(IFLA_MTU, req.mtu),
      attrU32(IFLA_MASTER, req.master),
      attrNested(IFLA_LINKINFO, attrString(IFLA_INFO_KIND, "veth"), attrNested(IFLA_INFO_DATA, attr(VETH_INFO_PEER, peer))),
    ]),
  );
}

// False when there was no such link (a veth goes away with its netns).
export function deleteLink(nl: Netlink, name: string): boolean {
  try {
    nl.request(`delete link ${name}`, RTM_DELLINK, 0, concat([ifinfomsg(), attrString(IFLA_IFNAME, name)]));
    return true;
  } catch (err) {
    if (isErrno(err, ENODEV)) return false;
    throw err;
  }
}

export function addAddress(nl: Netlink, index: number, address: string, prefixLen: number, broadcast?: string): void {
  const ifa = new Uint8Array(8);
  ifa[0] = AF_INET;
  ifa[1] = prefixLen;
  ifa[3] = RT_SCOPE_UNIVERSE;
  new DataView(ifa.buffer).setUint32(4, index, true);
  const attrs = [attr(IFA_LOCAL, ip4(address)), attr(IFA_ADDRESS, ip4(address))];
  if (broadcast) attrs.push(attr(IFA_BROADCAST, ip4(broadcast)));
  nl.request(`add address ${address}/${prefixLen} to link ${index}`, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, concat([ifa, ...attrs]));
}

export interface Address {
  index: number;
  address: string;
  prefixLen: number;
}

export function listAddresses(nl: Netlink): Address[] {
  const req = new Uint8Array(8);
  req[0] = AF_INET;
  return nl.query("list addresses", RTM_GETADDR, NLM_F_DUMP, req).flatMap((msg) => {
    const attrs = parseAttrs(msg, 8);
    const address = ip4Text(attrs.get(IFA_LOCAL) ?? attrs.get(IFA_ADDRESS));
    const index = new DataView(msg.buffer, msg.byteOffset, msg.byteLength).getUint32(4, true);
    return address ? [{ index, address, prefixLen: msg[1] ?? 0 }] : [];
  });
}

export interface Route {
  dst: string; // 0.0.0.0 for the default route
  dstLen: number;
  oif?: number;
  table: number;
}

// The IPv4 unicast routes of the main table.
export function listRoutes(nl: Netlink): Route[] {
  const req = new Uint8Array(12);
  req[0] = AF_INET;
  return nl.query("list routes", RTM_GETROUTE, NLM_F_DUMP, req).flatMap((msg) => {
    const attrs = parseAttrs(msg, 12);
    const table = attrU32Value(attrs.get(RTA_TABLE)) ?? msg[4] ?? 0;
    if (table !== RT_TABLE_MAIN || msg[7] !== RTN_UNICAST) return [];
    return [{ dst: ip4Text(attrs.get(RTA_DST)) ?? "0.0.0.0", dstLen: msg[1] ?? 0, oif: attrU32Value(attrs.get(RTA_OIF)), table }];
  });
}

export function addDefaultRoute(nl: Netlink, gateway: string, oif: number): void {
  const rtm = new Uint8Array(12);
  rtm[0] = AF_INET;
  rtm[4] = RT_TABLE_MAIN;
  rtm[5] = RTPROT_BOOT;
  rtm[6] = RT_SCOPE_UNIVERSE;
  rtm[7] = RTN_UNICAST;
  nl.request(`add default route via ${gateway}`, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, concat([rtm, attr(RTA_GATEWAY, ip4(gateway)), attrU32(RTA_OIF, oif)]));
}
