// Host ports chosen for -p, and docker's texts for them (ps's PORTS,
// inspect's Ports), against a fake host.
import { expect, test } from "bun:test";
import { displayPorts, portBindings } from "../../src/cli/docker-fields.ts";
import type { Listener } from "../../src/linux/sockets.ts";
import { choosePorts, type HeldPort, type PortHost } from "../../src/runtime/ports.ts";
import { macOf, parseIPv4 } from "../../src/spec/ipv4.ts";
import { parsePublish, type PortMapping } from "../../src/spec/network.ts";

// A host whose ephemeral range is 40000-40009, where `bound` ports cannot be
// bound (on any address: "*:40001", or one: "127.0.0.1:40002") and `listening`
// ones have a listener; every bind tried is recorded.
function fakeHost(bound: string[] = [], listening: (Listener & { proto: string })[] = []) {
  const tried: string[] = [];
  const host: PortHost = {
    ephemeral: () => ({ first: 40000, last: 40009 }),
    listeners: (proto) => listening.filter((l) => l.proto === proto),
    canBind: (proto, address, port) => {
      tried.push(`${proto} ${address}:${port}`);
      if (address === "192.0.2.1") throw new Error('bind(5, "192.0.2.1:40000"): Cannot assign requested address (EADDRNOTAVAIL)');
      return !bound.includes(`*:${port}`) && !bound.includes(`${address}:${port}`);
    },
  };
  return { host, tried };
}

const requests = (...flags: string[]) => flags.flatMap(parsePublish);
const mapping = (hostPort: number, containerPort: number, extra: Partial<PortMapping> = {}): PortMapping => ({ proto: "tcp", hostPort, containerPort, ...extra });
const held = (id: string, p: PortMapping): HeldPort => ({ id, port: p });
const from = (x: number) => () => x; // the random point: 0 is the range's start

test("any free port: from the random point of the ephemeral range, bind-tested on all addresses", () => {
  const { host, tried } = fakeHost();
  expect(choosePorts(requests("80"), [], host, from(0))).toEqual([mapping(40000, 80)]);
  expect(choosePorts(requests("80"), [], host, from(0.55))).toEqual([mapping(40005, 80)]);
  expect(tried).toEqual(["tcp 0.0.0.0:40000", "tcp 0.0.0.0:40005"]);
});

test("a port another container holds, on any bridge, or the kernel will not bind, is skipped; the range wraps", () => {
  const { host, tried } = fakeHost(["*:40009", "*:40001"]);
  const others = [held("a".repeat(64), mapping(40008, 80)), held("b".repeat(64), mapping(40000, 22, { proto: "tcp" }))];
  expect(choosePorts(requests("80"), others, host, from(0.8))).toEqual([mapping(40002, 80)]);
  // 40008 held (no bind tried), 40009 and 40001 taken on the host, 40000 held
  expect(tried).toEqual(["tcp 0.0.0.0:40009", "tcp 0.0.0.0:40001", "tcp 0.0.0.0:40002"]);
});

test("the protocol and the address decide what clashes", () => {
  const { host, tried } = fakeHost(["127.0.0.1:40000"]);
  // a UDP lease does not hold the TCP port; a lease on another address does not hold this one
  const others = [held("a".repeat(64), mapping(40000, 53, { proto: "udp" })), held("b".repeat(64), mapping(40001, 80, { hostIp: "10.1.1.1" }))];
  expect(choosePorts(requests("127.0.0.1::80"), others, host, from(0))).toEqual([mapping(40001, 80, { hostIp: "127.0.0.1" })]);
  expect(tried).toEqual(["tcp 127.0.0.1:40000", "tcp 127.0.0.1:40001"]);
  expect(choosePorts(requests("53/udp"), [held("c".repeat(64), mapping(40000, 80))], host, from(0))).toEqual([mapping(40000, 53, { proto: "udp" })]);
});

test("two chosen in one container differ, and never take a port the container names outright", () => {
  const { host } = fakeHost();
  expect(choosePorts(requests("80", "81", "40000:82"), [], host, from(0))).toEqual([mapping(40001, 80), mapping(40002, 81), mapping(40000, 82)]);
});

test("a host range: a free one of it", () => {
  const { host } = fakeHost(["*:8000"]);
  expect(choosePorts(requests("8000-8002:80"), [held("a".repeat(64), mapping(8001, 80))], host, from(0))).toEqual([mapping(8002, 80)]);
});

test("none free: an error that names the range", () => {
  const { host } = fakeHost(["*:8000", "*:8001"]);
  expect(() => choosePorts(requests("8000-8001:80"), [], host, from(0))).toThrow("no free host port for 80/tcp in 8000-8001");
  const all = Array.from({ length: 10 }, (_, i) => held("a".repeat(64), mapping(40000 + i, 1)));
  expect(() => choosePorts(requests("80/udp"), all.map((h) => ({ ...h, port: { ...h.port, proto: "udp" } })), host, from(0))).toThrow(
    "no free host port for 80/udp in the ephemeral range 40000-40009",
  );
});

test("an address that is not the host's: one error, with the kernel's reason", () => {
  const { host } = fakeHost();
  expect(() => choosePorts(requests("192.0.2.1::80"), [], host, from(0))).toThrow("cannot publish on 192.0.2.1: bind(5, \"192.0.2.1:40000\"): Cannot assign requested address (EADDRNOTAVAIL)");
});

test("a port named outright: refused when a container maps it or a host process listens on it", () => {
  const { host, tried } = fakeHost([], [{ proto: "tcp", address: "*", port: 9090 }]);
  const other = "c0ffee".padEnd(64, "0");
  expect(() => choosePorts(requests("8080:80"), [held(other, mapping(8080, 81))], host)).toThrow("host port 8080/tcp is already mapped to container c0ffee000000 (8080:81/tcp)");
  expect(() => choosePorts(requests("9090:80"), [], host)).toThrow("host port 9090/tcp is in use: a process on the host listens on all addresses");
  expect(choosePorts(requests("9090:80/udp"), [], host)).toEqual([mapping(9090, 80, { proto: "udp" })]);
  expect(tried).toEqual([]); // an outright port is never bind-tested
});

test("ps's PORTS, docker's DisplayablePorts: sorted, same-number ports grouped into ranges, the others after", () => {
  expect(displayPorts([])).toBe("");
  expect(displayPorts([mapping(8080, 80)])).toBe("0.0.0.0:8080->80/tcp");
  expect(displayPorts([mapping(49153, 443), mapping(8080, 80, { hostIp: "127.0.0.1" }), mapping(5353, 53, { proto: "udp" })])).toBe(
    "0.0.0.0:5353->53/udp, 127.0.0.1:8080->80/tcp, 0.0.0.0:49153->443/tcp",
  );
  expect(displayPorts([mapping(8081, 8081), mapping(8080, 8080), mapping(9000, 9000), mapping(8000, 80)])).toBe("0.0.0.0:8080-8081->8080-8081/tcp, 0.0.0.0:9000->9000/tcp, 0.0.0.0:8000->80/tcp");
});

test("inspect's Ports: container port/proto to its host bindings", () => {
  const map = portBindings([mapping(8080, 80), mapping(8081, 80, { hostIp: "127.0.0.1" }), mapping(5353, 53, { proto: "udp" })]);
  expect([...map.keys()]).toEqual(["53/udp", "80/tcp"]);
  expect(Object.fromEntries(map)).toEqual({
    "80/tcp": [
      { HostIp: "0.0.0.0", HostPort: "8080" },
      { HostIp: "127.0.0.1", HostPort: "8081" },
    ],
    "53/udp": [{ HostIp: "0.0.0.0", HostPort: "5353" }],
  });
});

test("eth0's MAC: docker's, 02:42 and the address", () => {
  expect(macOf(parseIPv4("172.17.0.2") ?? 0)).toBe("02:42:ac:11:00:02");
  expect(macOf(parseIPv4("10.0.42.255") ?? 0)).toBe("02:42:0a:00:2a:ff");
});
