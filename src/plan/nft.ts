// The nftables rules of a bridge network, as text for `nft -f -` (one
// transaction). Pure. Everything lives in a table of our own per bridge,
// `ip contain-<bridge>`: no rule of anyone else is ever read or changed.
//
// Port mappings are elements of two maps, not rules, so adding and removing a
// container's ports never touches a rule (no handles to track):
//   ports      proto . host port            -> container address . port
//   hostports  host address . proto . port  -> container address . port
import type { PortMapping } from "../spec/network.ts";

export const tableName = (bridge: string) => `contain-${bridge}`;

// The chain that keeps containers off the host's loopback. Tables written
// before it existed lack it: its absence is what makes a start rewrite one.
export const GUARD_CHAIN = "loopback_guard";

// Idempotent: the maps are added (kept when they exist, with their elements)
// and each chain is flushed and filled again, so a start repairs a table that
// someone flushed. Run under the bridge's lock.
export function natTableScript(bridge: string, subnet: string): string {
  const t = `ip ${tableName(bridge)}`;
  const dnat = [
    // A mapping bound to one host address first, then the all-address ones
    // for any local destination (fib: the host's own addresses). A miss in a
    // map ends the rule without a match.
    "dnat ip to ip daddr . meta l4proto . th dport map @hostports",
    "fib daddr type local dnat ip to meta l4proto . th dport map @ports",
  ];
  const chain = (type: string, name: string, hook: string, priority: string, rules: string[]) => [
    `add chain ${t} ${name} { type ${type} hook ${hook} priority ${priority}; policy accept; }`,
    `flush chain ${t} ${name}`,
    ...rules.map((r) => `add rule ${t} ${name} ${r}`),
  ];
  return [
    `add table ${t}`,
    `add map ${t} ports { type inet_proto . inet_service : ipv4_addr . inet_service; }`,
    `add map ${t} hostports { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service; }`,
    // CVE-2020-8558: route_localnet on the bridge (for 127.0.0.1:PORT below)
    // lets the kernel route to the host's loopback what a container sends to
    // 127.0.0.0/8 in a frame of its own making (CAP_NET_RAW), so it would
    // reach services bound to 127.0.0.1. Nothing legitimate arrives on the
    // bridge for 127.0.0.0/8 (kube-proxy drops the same). At raw, before
    // conntrack and NAT: the replies of the masqueraded 127.0.0.1:PORT
    // connections still carry the bridge's address here; conntrack turns it
    // back into 127.0.0.1 only at dstnat. The counter shows what was dropped.
    ...chain("filter", GUARD_CHAIN, "prerouting", "raw", [`iifname "${bridge}" ip daddr 127.0.0.0/8 counter drop`]),
    // From other hosts and from containers.
    ...chain("nat", "prerouting", "prerouting", "dstnat", dnat),
    // From the host itself (127.0.0.1:PORT, its own addresses). -100 is
    // dstnat; nft 1.0.6 takes the name only in prerouting.
    ...chain("nat", "output", "output", "-100", dnat),
    ...chain("nat", "postrouting", "postrouting", "srcnat", [
      // The containers' way out: their source becomes the host's.
      `ip saddr ${subnet} oifname != "${bridge}" masquerade`,
      // 127.0.0.1:PORT mapped into a container: the reply must come back to
      // an address the container can reach (with route_localnet on the bridge).
      `oifname "${bridge}" ip saddr 127.0.0.0/8 masquerade`,
      // A container reaching a mapped port of the host (hairpin): the reply
      // must come back through the host, not straight over the bridge.
      `oifname "${bridge}" ct status dnat ip saddr ${subnet} masquerade`,
    ]),
  ].join("\n") + "\n";
}

function key(p: PortMapping): { map: string; key: string } {
  return p.hostIp ? { map: "hostports", key: `${p.hostIp} . ${p.proto} . ${p.hostPort}` } : { map: "ports", key: `${p.proto} . ${p.hostPort}` };
}

export function addPortsScript(bridge: string, address: string, ports: readonly PortMapping[]): string {
  return ports
    .map((p) => {
      const k = key(p);
      return `add element ip ${tableName(bridge)} ${k.map} { ${k.key} : ${address} . ${p.containerPort} }\n`;
    })
    .join("");
}

export function deletePortScript(bridge: string, port: PortMapping): string {
  const k = key(port);
  return `delete element ip ${tableName(bridge)} ${k.map} { ${k.key} }\n`;
}
