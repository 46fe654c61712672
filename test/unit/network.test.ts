import { expect, test } from "bun:test";
import { parseSocketTable } from "../../src/linux/sockets.ts";
import { hostsFile, peerLine, resolvConf } from "../../src/plan/dns.ts";
import { addPortsScript, deletePortScript, natTableScript } from "../../src/plan/nft.ts";
import { capacity, firstFree, formatIPv4, overlaps, parseIPv4, parseSubnet, type Subnet } from "../../src/spec/ipv4.ts";
import { fixedPort, networkFromFlags, parsePublish, portsClash, type PortMapping } from "../../src/spec/network.ts";

// A -p that names its host port: the one mapping.
const parsePortMapping = (value: string): PortMapping => {
  const [r, ...more] = parsePublish(value);
  const p = r && fixedPort(r);
  if (!p || more.length) throw new Error(`${value} is not one fixed mapping`);
  return p;
};

const subnet = (text: string): Subnet => {
  const r = parseSubnet(text);
  if ("error" in r) throw new Error(r.error);
  return r.subnet;
};

test("IPv4 addresses round-trip; bad ones are null", () => {
  expect(formatIPv4(parseIPv4("10.0.42.1") ?? 0)).toBe("10.0.42.1");
  expect(formatIPv4(parseIPv4("255.255.255.255") ?? 0)).toBe("255.255.255.255");
  for (const bad of ["10.0.42", "10.0.42.256", "a.b.c.d", "10.0.42.1/24", ""]) expect(parseIPv4(bad)).toBeNull();
});

test("subnets: parsed, and refused with the reason and a fix", () => {
  expect(subnet("10.0.42.0/24")).toEqual({ network: parseIPv4("10.0.42.0") ?? 0, prefixLen: 24 });
  expect(parseSubnet("10.0.42.1/24")).toEqual({ error: "10.0.42.1/24 has host bits set", hint: "did you mean 10.0.42.0/24?" });
  expect(parseSubnet("10.0.42.0/31")).toMatchObject({ error: "/31 cannot hold a bridge network" });
  expect(parseSubnet("10.0.0.0/7")).toMatchObject({ error: "/7 cannot hold a bridge network" });
  expect(parseSubnet("127.0.0.0/24")).toMatchObject({ error: expect.stringContaining("not a usable unicast range") });
  expect(parseSubnet("224.1.0.0/16")).toMatchObject({ error: expect.stringContaining("not a usable unicast range") });
  expect(parseSubnet("10.0.42.0")).toMatchObject({ error: '"10.0.42.0" is not an IPv4 subnet' });
  expect(parseSubnet("10.0.42.0/33")).toMatchObject({ error: '"10.0.42.0/33" is not an IPv4 subnet' });
});

test("overlap: any shared address", () => {
  expect(overlaps(subnet("10.0.42.0/24"), subnet("10.0.0.0/16"))).toBe(true);
  expect(overlaps(subnet("10.0.42.0/24"), subnet("10.0.43.0/24"))).toBe(false);
  expect(overlaps(subnet("10.0.42.0/29"), subnet("10.0.42.4/30"))).toBe(true);
  expect(overlaps(subnet("10.0.42.8/29"), subnet("10.0.42.0/29"))).toBe(false);
});

test("leases: the lowest free address after the gateway, none past the broadcast", () => {
  const s = subnet("10.0.42.0/29"); // .0 network, .1 gateway, .2-.6 containers, .7 broadcast
  expect(capacity(s)).toBe(5);
  const ip = (t: string) => parseIPv4(t) ?? 0;
  expect(formatIPv4(firstFree(s, new Set()) ?? 0)).toBe("10.0.42.2");
  expect(formatIPv4(firstFree(s, new Set([ip("10.0.42.2"), ip("10.0.42.4")])) ?? 0)).toBe("10.0.42.3");
  const all = new Set(["2", "3", "4", "5", "6"].map((n) => ip(`10.0.42.${n}`)));
  expect(firstFree(s, all)).toBeNull();
  expect(capacity(subnet("10.0.42.0/30"))).toBe(1);
});

test("port mappings: docker's forms", () => {
  expect(parsePortMapping("8080:80")).toEqual({ proto: "tcp", hostPort: 8080, containerPort: 80 });
  expect(parsePortMapping("5353:53/udp")).toEqual({ proto: "udp", hostPort: 5353, containerPort: 53 });
  expect(parsePortMapping("127.0.0.1:8080:80/tcp")).toEqual({ proto: "tcp", hostIp: "127.0.0.1", hostPort: 8080, containerPort: 80 });
  expect(parsePortMapping("0.0.0.0:8080:80")).toEqual({ proto: "tcp", hostPort: 8080, containerPort: 80 });
});

test("-p forms: a host port, any free one, a range to choose from, one mapping per container port", () => {
  expect(parsePublish("8080:80")).toEqual([{ proto: "tcp", hostPorts: { first: 8080, last: 8080 }, containerPort: 80 }]);
  expect(parsePublish("80")).toEqual([{ proto: "tcp", containerPort: 80 }]);
  expect(parsePublish("53/udp")).toEqual([{ proto: "udp", containerPort: 53 }]);
  expect(parsePublish("0:80")).toEqual([{ proto: "tcp", containerPort: 80 }]);
  expect(parsePublish("127.0.0.1::80")).toEqual([{ proto: "tcp", hostIp: "127.0.0.1", containerPort: 80 }]);
  expect(parsePublish("0.0.0.0::80")).toEqual([{ proto: "tcp", containerPort: 80 }]);
  expect(parsePublish("8000-8010:80")).toEqual([{ proto: "tcp", hostPorts: { first: 8000, last: 8010 }, containerPort: 80 }]);
  expect(parsePublish("8080-8081:80-81/udp")).toEqual([
    { proto: "udp", hostPorts: { first: 8080, last: 8080 }, containerPort: 80 },
    { proto: "udp", hostPorts: { first: 8081, last: 8081 }, containerPort: 81 },
  ]);
  expect(parsePublish("80-81")).toEqual([
    { proto: "tcp", containerPort: 80 },
    { proto: "tcp", containerPort: 81 },
  ]);
  expect(fixedPort({ proto: "tcp", hostPorts: { first: 8000, last: 8010 }, containerPort: 80 })).toBeUndefined();
});

test.each<[string, RegExp]>([
  ["0", /container port 0 is out of range/],
  ["99999", /container port 99999 is out of range/],
  ["80/sctp", /unknown protocol "sctp"/],
  ["http", /container port "http" is not a port number/],
  ["81-80", /container port range 81-80 ends before it starts/],
  ["8080-8082:80-81", /2 container ports cannot map to host ports 8080-8082/],
  ["8080:80-81", /2 container ports cannot map to host ports 8080/],
  ["a:80", /host port "a" is not a port number/],
  ["8080:0", /container port 0 is out of range/],
  ["70000:80", /host port 70000 is out of range/],
  ["8080:80/sctp", /unknown protocol "sctp"/],
  ["1.2.3:8080:80", /"1.2.3" is not an IPv4 address/],
  ["1:2:3:4", /is not a port mapping/],
])("a bad port mapping %s: a SpecError naming --publish", (value, message) => {
  expect(() => parsePublish(value)).toThrow(message);
  try {
    parsePublish(value);
  } catch (err) {
    expect((err as Error).message).toStartWith("--publish: ");
  }
});

test("ports clash on protocol and host port where their addresses meet", () => {
  const p = parsePortMapping;
  expect(portsClash(p("8080:80"), p("8080:81"))).toBe(true);
  expect(portsClash(p("8080:80"), p("127.0.0.1:8080:80"))).toBe(true);
  expect(portsClash(p("127.0.0.1:8080:80"), p("192.0.2.2:8080:80"))).toBe(false);
  expect(portsClash(p("8080:80"), p("8080:80/udp"))).toBe(false);
});

test("network flags: modes, defaults and what only a bridge takes", () => {
  expect(networkFromFlags({})).toEqual({ mode: "bridge", bridge: "contain0", subnet: undefined, ports: [], dns: [], extraHosts: [] });
  expect(networkFromFlags({ net: "none" }).mode).toBe("none");
  expect(networkFromFlags({ net: "bridge", subnet: "10.1.0.0/16" }).subnet).toBe("10.1.0.0/16");
  expect(() => networkFromFlags({ net: "overlay" })).toThrow('--net: unknown network mode "overlay"');
  expect(() => networkFromFlags({ net: "host", publish: ["80:80"] })).toThrow("--publish: needs --net bridge, not --net host");
  expect(() => networkFromFlags({ net: "none", subnet: "10.1.0.0/16" })).toThrow("--subnet: needs --net bridge, not --net none");
  expect(() => networkFromFlags({ publish: ["80:80", "80:81"] })).toThrow("--publish: host port 80/tcp is mapped twice");
  expect(() => networkFromFlags({ publish: ["8080-8081:80-81", "8081:90"] })).toThrow("--publish: host port 8081/tcp is mapped twice");
  expect(networkFromFlags({ publish: ["80", "80"] }).ports).toHaveLength(2); // two host ports for it, as docker
  expect(() => networkFromFlags({ bridge: "ctn1" })).toThrow("--bridge: \"ctn1\" starts with ctn");
  expect(() => networkFromFlags({ bridge: "a-very-long-bridge-name" })).toThrow("is not a link name");
  expect(() => networkFromFlags({ subnet: "10.0.42.1/24" })).toThrow("--subnet: 10.0.42.1/24 has host bits set");
  expect(() => networkFromFlags({ dns: ["dns.example"] })).toThrow('--dns: "dns.example" is not an IP address');
  expect(networkFromFlags({ addHost: ["db:10.0.42.7", "v6=::1"] }).extraHosts).toEqual([
    { name: "db", address: "10.0.42.7" },
    { name: "v6", address: "::1" },
  ]);
  expect(() => networkFromFlags({ addHost: ["db"] })).toThrow('--add-host: "db" is not NAME:ADDRESS');
});

test("the nft table: our own, idempotent, one masquerade for the subnet and the hairpins", () => {
  const script = natTableScript("contain0", "10.0.42.0/24");
  const lines = script.trim().split("\n");
  expect(lines.every((l) => / ip contain-contain0( |$)/.test(l))).toBe(true);
  // chains are flushed before they are filled: a second run adds nothing
  for (const chain of ["loopback_guard", "prerouting", "output", "postrouting"]) {
    const flush = lines.indexOf(`flush chain ip contain-contain0 ${chain}`);
    expect(flush).toBeGreaterThan(lines.findIndex((l) => l.startsWith(`add chain ip contain-contain0 ${chain} `)));
    expect(lines.findIndex((l) => l.startsWith(`add rule ip contain-contain0 ${chain} `))).toBeGreaterThan(flush);
  }
  expect(lines).toContain('add rule ip contain-contain0 postrouting ip saddr 10.0.42.0/24 oifname != "contain0" masquerade');
  expect(lines).toContain('add rule ip contain-contain0 postrouting oifname "contain0" ip saddr 127.0.0.0/8 masquerade');
  expect(lines.some((l) => l.startsWith("delete") || l.startsWith("flush table") || l.startsWith("flush ruleset"))).toBe(false);
});

test("the loopback guard (CVE-2020-8558): the bridge's packets to 127.0.0.0/8 dropped before conntrack and NAT", () => {
  const lines = natTableScript("ctest1", "10.0.43.0/24").trim().split("\n");
  const chain = lines.filter((l) => / loopback_guard( |$)/.test(l));
  expect(chain).toEqual([
    "add chain ip contain-ctest1 loopback_guard { type filter hook prerouting priority raw; policy accept; }",
    "flush chain ip contain-ctest1 loopback_guard",
    'add rule ip contain-ctest1 loopback_guard iifname "ctest1" ip daddr 127.0.0.0/8 counter drop',
  ]);
});

test("port mappings are map elements, added and deleted by key", () => {
  const ports = [parsePortMapping("8080:80"), parsePortMapping("127.0.0.1:5353:53/udp")];
  expect(addPortsScript("contain0", "10.0.42.2", ports)).toBe(
    "add element ip contain-contain0 ports { tcp . 8080 : 10.0.42.2 . 80 }\n" +
      "add element ip contain-contain0 hostports { 127.0.0.1 . udp . 5353 : 10.0.42.2 . 53 }\n",
  );
  expect(deletePortScript("contain0", ports[1] ?? ports[0]!)).toBe("delete element ip contain-contain0 hostports { 127.0.0.1 . udp . 5353 }\n");
});

test("host listeners from /proc/net tables", () => {
  const tcp = [
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
    "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0",
    "   1: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1 0 100 0 0 10 0",
    "   2: 0200000A:9C40 0100000A:0050 01 00000000:00000000 00:00000000 00000000     0        0 3 1 0 100 0 0 10 0",
  ].join("\n");
  expect(parseSocketTable(tcp, "tcp")).toEqual([
    { address: "127.0.0.1", port: 8080 },
    { address: "*", port: 22 },
  ]);
  const udp6 = [
    "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops",
    "  1: 00000000000000000000000000000000:14E9 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000   0        0 4 2 0 0",
  ].join("\n");
  expect(parseSocketTable(udp6, "udp")).toEqual([{ address: "*", port: 5353 }]);
});

test("resolv.conf: the host's, without a loopback resolver, or --dns", () => {
  const host = "# generated\nnameserver 10.255.255.53\nsearch corp.example\noptions ndots:2\n";
  expect(resolvConf({ host, dns: [], hostNetwork: false }).text).toBe("nameserver 10.255.255.53\nsearch corp.example\noptions ndots:2\n");
  expect(resolvConf({ host, dns: ["10.1.1.1", "10.1.1.2"], hostNetwork: false }).text).toBe("nameserver 10.1.1.1\nnameserver 10.1.1.2\nsearch corp.example\noptions ndots:2\n");
  const resolved = "nameserver 127.0.0.53\noptions edns0 trust-ad\nsearch .\n";
  const upstream = "# upstream\nnameserver 192.0.2.53\nnameserver 192.0.2.54\n";
  expect(resolvConf({ host: resolved, upstream, dns: [], hostNetwork: false }).text).toBe("nameserver 192.0.2.53\nnameserver 192.0.2.54\noptions edns0 trust-ad\nsearch .\n");
  // the host's loopback is the container's too
  expect(resolvConf({ host: resolved, upstream, dns: [], hostNetwork: true }).text).toBe("nameserver 127.0.0.53\noptions edns0 trust-ad\nsearch .\n");
  const fallback = resolvConf({ host: resolved, dns: [], hostNetwork: false });
  expect(fallback.text).toBe("nameserver 8.8.8.8\nnameserver 8.8.4.4\noptions edns0 trust-ad\nsearch .\n");
  expect(fallback.note).toContain("upstream servers are unknown");
});

test("/etc/hosts: localhost, the container's names on its address, --add-host", () => {
  expect(hostsFile({ names: ["3a59f4ed6cbd", "web"], address: "10.0.42.2", extraHosts: [{ name: "db", address: "10.0.42.7" }] })).toBe(
    "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n10.0.42.2\t3a59f4ed6cbd web\n10.0.42.7\tdb\n",
  );
  expect(hostsFile({ names: ["box"], extraHosts: [] })).toBe("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\tbox\n");
});

test("peer lines in /etc/hosts: one per container, its names once, marked with its ID", () => {
  const id = "abcdef0123456789".repeat(4);
  expect(peerLine("10.0.42.7", ["abcdef012345", "web", "web"], id)).toBe("10.0.42.7\tabcdef012345 web\t# contain abcdef012345\n");
});
