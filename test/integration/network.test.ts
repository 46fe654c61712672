// Networking as the kernel does it: bridge, veth, leases, NAT, port maps.
// Traffic goes only between the host and the containers these tests start.
// The tests use bridges and subnets of their own (a real contain0 is used
// once, and removed again if the test made it), and check at the end that
// no veth, lease or port rule is left and no rule of anyone else changed.
import { afterAll, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { removeBridge } from "../setup.ts";
import { BIN, Harness, waitFor } from "./harness.ts";

const h = new Harness();
const tag = String(process.pid % 100000);
const octet = 100 + (process.pid % 100);
const BR = `ctest${tag}`;
const SUBNET = `10.${octet}.1.0/24`;
const GW = `10.${octet}.1.1`;
const SMALL_BR = `ctsm${tag}`;
const SMALL = `10.${octet}.2.0/29`;
const NET = ["--bridge", BR, "--subnet", SUBNET];
const port = (n: number) => 20000 + ((process.pid * 7 + n * 101) % 20000);
const LEASES = "/var/lib/contain/network";
const SERVER = "mkdir -p /www && echo hello > /www/index.html && httpd -p 80 -h /www && ip -4 -o addr show eth0 && read x; exit 0";

const sh = (cmd: string[]) => Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
// busybox's `wget -T` crashes (Debian 12): curl on the host side.
const links = () => readdirSync("/sys/class/net");
const ctnLinks = () => new Set(links().filter((l) => l.startsWith("ctn")));
const vethsBefore = ctnLinks();
// The veths, once those of containers that are gone have gone too: the
// kernel deletes a veth with the container's network namespace, a moment
// after the container's exit (milliseconds, more under load), and contain
// leaves it to. One that stays (a leak) never settles, and fails.
const settledLinks = () =>
  waitFor("the veths of the containers that are gone to go", () => {
    const live = new Set(h.ids().map((id) => `ctn${id.slice(0, 12)}`));
    const now = ctnLinks();
    return [...now].every((l) => live.has(l) || vethsBefore.has(l)) && now;
  });
const hadContain0 = links().includes("contain0");

// Every nft table but ours, as text: compared before and after the suite.
function otherRules(): string {
  const tables = sh(["nft", "list", "tables"]).stdout.toString().trim().split("\n").filter(Boolean);
  return tables
    .filter((t) => !/ contain-/.test(t))
    .map((t) => sh(["nft", "list", ...t.split(" ")]).stdout.toString())
    .join("\n");
}
const rulesBefore = otherRules();

function leases(bridge: string): { id: string; address: string; ports: { hostPort: number }[] }[] {
  const path = `${LEASES}/${bridge}.json`;
  return existsSync(path) ? JSON.parse(readFileSync(path, "utf8")).leases : [];
}

function portMap(bridge: string): string {
  return sh(["nft", "list", "table", "ip", `contain-${bridge}`]).stdout.toString();
}

function get(url: string): string {
  const r = sh(["curl", "-sS", "-m", "3", url]);
  return r.exitCode === 0 ? r.stdout.toString() : `failed: ${r.stderr.toString().trim()}`;
}

// A container that runs until released: it prints its eth0 address, then
// waits on stdin.
class Holder {
  readonly proc;
  private out = "";
  private err = "";
  constructor(args: string[], script = "ip -4 -o addr show eth0 && read x; exit 0") {
    this.proc = Bun.spawn([BIN, "run", ...h.rootFlags, "-q", ...args, "--", "sh", "-c", script], { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
    this.drain(this.proc.stdout, (t) => (this.out += t));
    this.drain(this.proc.stderr, (t) => (this.err += t));
  }

  private async drain(stream: ReadableStream<Uint8Array>, add: (text: string) => void) {
    for await (const chunk of stream) add(new TextDecoder().decode(chunk));
  }

  async address(): Promise<string> {
    const m = await waitFor(`an address (stderr: ${this.err})`, () => / inet (\d+\.\d+\.\d+\.\d+)\//.exec(this.out) ?? (this.proc.exitCode !== null && ["", "exited"]), 20_000);
    if (m[1] === "exited") throw new Error(`the container exited: ${this.err}`);
    return m[1] ?? "";
  }

  async release(): Promise<number> {
    this.proc.stdin.end();
    return await this.proc.exited;
  }
}

afterAll(async () => {
  try {
    h.expectClean();
    expect([...(await settledLinks())].filter((l) => !vethsBefore.has(l))).toEqual([]);
    for (const b of [BR, SMALL_BR]) {
      expect(leases(b)).toEqual([]);
      expect(portMap(b)).not.toContain("elements");
    }
    expect(otherRules()).toBe(rulesBefore);
  } finally {
    h.dispose();
    const made = [BR, SMALL_BR, `ctov${tag}`, ...(hadContain0 ? [] : ["contain0"])];
    for (const b of made) removeBridge(b);
  }
});

test("reachability: host -> container (ping, TCP), container -> gateway, container <-> container", async () => {
  const a = new Holder(NET, SERVER);
  try {
    const ip = await a.address();
    expect(ip).toStartWith(`10.${octet}.1.`);
    expect(sh(["busybox", "ping", "-c1", "-W2", ip]).exitCode).toBe(0);
    expect(get(`http://${ip}/`)).toBe("hello\n");
    const b = h.run(["run", "-q", ...NET, "--", "sh", "-c", `ping -c1 -W2 ${GW} >/dev/null && echo gateway; wget -q -O- http://${ip}/; ping -c1 -W2 ${ip} >/dev/null && echo peer`]);
    expect(b.stdout).toBe("gateway\nhello\npeer\n");
    expect(b.code).toBe(0);
  } finally {
    expect(await a.release()).toBe(0);
  }
});

test("eth0: the leased address, the bridge's MTU, a default route via the gateway; the veth on the bridge", async () => {
  const a = new Holder(NET);
  try {
    expect(await a.address()).toMatch(new RegExp(`^10\\.${octet}\\.1\\.\\d+$`));
    const veth = `ctn${h.ids()[0]?.slice(0, 12)}`;
    expect(readFileSync(`/sys/class/net/${veth}/master/uevent`, "utf8")).toContain(`INTERFACE=${BR}`);
    expect(readFileSync(`/sys/class/net/${veth}/mtu`, "utf8")).toBe(readFileSync(`/sys/class/net/${BR}/mtu`, "utf8"));
    expect(readFileSync(`/sys/class/net/${BR}/ifalias`, "utf8").trim()).toBe("contain bridge");
  } finally {
    await a.release();
  }
  const r = h.run(["run", "-q", ...NET, "--", "sh", "-c", "cat /sys/class/net/eth0/mtu; ip route"]);
  expect(r.stdout).toContain(`default via ${GW} dev eth0`);
  expect(r.stdout.split("\n")[0]).toBe(readFileSync(`/sys/class/net/${BR}/mtu`, "utf8").trim());
});

test("port mapping: 127.0.0.1:HOSTPORT, the host's bridge address, a container through the host; gone with the container", async () => {
  const [all, local] = [port(1), port(2)];
  const a = new Holder([...NET, "-p", `${all}:80`, "-p", `127.0.0.1:${local}:80`], SERVER);
  try {
    await a.address();
    expect(get(`http://127.0.0.1:${all}/`)).toBe("hello\n");
    expect(get(`http://${GW}:${all}/`)).toBe("hello\n");
    const other = sh(["ip", "-4", "-o", "route", "get", "192.0.2.123"]).stdout.toString().match(/ src (\S+)/)?.[1];
    if (other) expect(get(`http://${other}:${all}/`)).toBe("hello\n"); // the host's address on another link
    expect(get(`http://127.0.0.1:${local}/`)).toBe("hello\n");
    expect(get(`http://${GW}:${local}/`)).toStartWith("failed"); // bound to 127.0.0.1 only
    const b = h.run(["run", "-q", ...NET, "--", "wget", "-q", "-O-", `http://${GW}:${all}/`]);
    expect(b.stdout).toBe("hello\n");
    expect(portMap(BR)).toContain(`tcp . ${all} : `);
  } finally {
    await a.release();
  }
  expect(portMap(BR)).not.toContain(`${all}`);
  expect(get(`http://127.0.0.1:${all}/`)).toStartWith("failed");
});

test("a host port that another container maps, or a host process listens on, is refused and nothing is left", async () => {
  const [taken, listened] = [port(3), port(4)];
  const a = new Holder([...NET, "-p", `${taken}:80`]);
  const nc = Bun.spawn(["busybox", "nc", "-l", "-p", String(listened)], { stdout: "ignore", stderr: "ignore" });
  try {
    await a.address();
    const before = { ids: h.ids(), veths: await settledLinks(), leases: leases(BR) };
    const clash = h.run(["run", "-q", ...NET, "-p", `${taken}:81`, "--", "true"]);
    expect(clash.code).toBe(125);
    expect(clash.stderr).toMatch(new RegExp(`^\\[contain\\] error: host port ${taken}/tcp is already mapped to container [0-9a-f]{12} \\(${taken}:80/tcp\\); choose another host port, or remove that container\\n$`));
    const hex = listened.toString(16).toUpperCase().padStart(4, "0");
    await waitFor("nc to listen", () => ["tcp", "tcp6"].some((f) => new RegExp(`:${hex} [0-9A-F]+:0000 0A`).test(readFileSync(`/proc/net/${f}`, "utf8"))));
    const busy = h.run(["run", "-q", ...NET, "-p", `${listened}:80`, "--", "true"]);
    expect(busy.code).toBe(125);
    expect(busy.stderr).toBe(`[contain] error: host port ${listened}/tcp is in use: a process on the host listens on all addresses; choose another host port\n`);
    expect({ ids: h.ids(), veths: await settledLinks(), leases: leases(BR) }).toEqual(before);
    expect(portMap(BR)).not.toContain(`${listened}`);
  } finally {
    nc.kill();
    await a.release();
  }
});

test("IPAM: 20 containers started in parallel get 20 distinct addresses; all released", async () => {
  const holders = Array.from({ length: 20 }, () => new Holder(NET));
  try {
    const addresses = await Promise.all(holders.map((x) => x.address()));
    expect(new Set(addresses).size).toBe(20);
    for (const a of addresses) expect(a).toMatch(new RegExp(`^10\\.${octet}\\.1\\.(\\d+)$`));
    expect(leases(BR).map((l) => l.address).sort()).toEqual([...addresses].sort());
  } finally {
    expect(await Promise.all(holders.map((x) => x.release()))).toEqual(Array(20).fill(0));
  }
  expect(leases(BR)).toEqual([]);
});

test("IPAM: a lease lives on disk, outside the runtime that took it; a removed container's address is reused", async () => {
  const a = new Holder(NET);
  const b = new Holder(NET);
  let ipA = "";
  try {
    ipA = await a.address();
    const ipB = await b.address();
    expect(ipB).not.toBe(ipA);
    // What another runtime (b's) honoured: the lease file under /var/lib/contain.
    expect(leases(BR).map((l) => l.address).sort()).toEqual([ipA, ipB].sort());
  } finally {
    await a.release();
  }
  try {
    const c = new Holder(NET);
    expect(await c.address()).toBe(ipA);
    await c.release();
  } finally {
    await b.release();
  }
});

test("IPAM: an exhausted /29 gives a clean error and leaves nothing", async () => {
  const holders = Array.from({ length: 5 }, () => new Holder(["--bridge", SMALL_BR, "--subnet", SMALL]));
  try {
    await Promise.all(holders.map((x) => x.address()));
    const before = { ids: h.ids(), veths: await settledLinks() };
    const r = h.run(["run", "-q", "--bridge", SMALL_BR, "--", "true"]);
    expect(r.code).toBe(125);
    expect(r.stderr).toBe(`[contain] error: the subnet ${SMALL} of bridge ${SMALL_BR} is full (5 addresses, all leased); remove a container, or use a larger --subnet on another --bridge\n`);
    expect({ ids: h.ids(), veths: await settledLinks() }).toEqual(before);
    expect(leases(SMALL_BR)).toHaveLength(5);
  } finally {
    await Promise.all(holders.map((x) => x.release()));
  }
  expect(leases(SMALL_BR)).toEqual([]);
});

test("names: containers on a bridge find each other by name, and the lines go with them", () => {
  const alpha = h.run(["run", "-d", "-q", ...NET, "--name", `alpha${tag}`, "--", "sleep", "60"]).stdout.trim();
  try {
    const beta = h.run(["run", "-q", ...NET, "--name", `beta${tag}`, "--", "sh", "-c", `ping -c1 -W2 alpha${tag} >/dev/null && echo reached; grep -c beta${tag} /etc/hosts`]);
    expect(beta.stdout).toBe("reached\n1\n");
    // alpha learnt of beta while beta ran (in place), and forgot it after
    const hosts = () => h.run(["exec", alpha, "--", "cat", "/etc/hosts"]).stdout;
    expect(hosts()).not.toContain(`beta${tag}`);
    expect(hosts()).toMatch(new RegExp(`^10\\.${octet}\\.1\\.\\d+\\t[0-9a-f]{12} alpha${tag}$`, "m"));
    const gamma = h.run(["run", "-d", "-q", ...NET, "--name", `gamma${tag}`, "--", "sleep", "60"]).stdout.trim();
    expect(hosts()).toContain(`gamma${tag}`);
    h.run(["rm", "-f", gamma]);
    expect(hosts()).not.toContain(`gamma${tag}`);
  } finally {
    h.run(["rm", "-f", alpha]);
  }
});

test("a container that grows its own /etc/hosts to 300 MB: ps, a start beside it and rm -f still work, and the others' files hold exactly their records", () => {
  const alpha = h.run(["run", "-d", "-q", ...NET, "--name", `big${tag}`, "--", "sh", "-c", "head -c 300000000 /dev/zero >> /etc/hosts && echo grown && sleep 60"]).stdout.trim();
  const beta = h.run(["run", "-d", "-q", ...NET, "--name", `calm${tag}`, "--", "sleep", "60"]).stdout.trim();
  try {
    expect(waitForLog(alpha, "grown")).toBe(true);
    expect(h.run(["ps"]).code).toBe(0);
    // a start on the same bridge: its own file and the calm one's are the records, nothing read from the big one
    const gamma = h.run(["run", "-q", ...NET, "--name", `new${tag}`, "--", "cat", "/etc/hosts"]);
    expect(gamma.code).toBe(0);
    expect(gamma.stdout.length).toBeLessThan(1000);
    expect(gamma.stdout).toContain(`big${tag}`);
    // the big one's own file was rewritten from its records: its edits are gone, as docker's docs warn
    expect(Number(h.run(["exec", alpha, "--", "wc", "-c", "/etc/hosts"]).stdout.trim().split(" ")[0])).toBeLessThan(1000);
    const calm = h.run(["exec", beta, "--", "cat", "/etc/hosts"]).stdout;
    expect(calm.split("\n").filter((l) => l.includes("# contain")).map((l) => l.split("\t")[1]?.split(" ")[1])).toEqual([`big${tag}`]);
    expect(h.run(["rm", "-f", alpha]).code).toBe(0);
    expect(h.run(["exec", beta, "--", "cat", "/etc/hosts"]).stdout).not.toContain(`big${tag}`);
  } finally {
    h.run(["rm", "-f", alpha, beta]);
  }
}, 60_000);

function waitForLog(id: string, text: string): boolean {
  for (let i = 0; i < 300; i++) {
    if (h.run(["logs", id]).stdout.includes(text)) return true;
    Bun.sleepSync(100);
  }
  return false;
}

test("--net none: only lo; --net host: the host's links", () => {
  const none = h.run(["run", "-q", "--net", "none", "--", "ls", "/sys/class/net"]);
  expect(none.stdout.trim().split(/\s+/)).toEqual(["lo"]);
  const host = h.run(["run", "-q", "--net", "host", "--", "ls", "/sys/class/net"]);
  expect(host.stdout.trim().split(/\s+/).sort()).toEqual(links().sort());
  expect(host.stdout).toContain(BR);
});

test("the default: bridge contain0 with 10.0.42.1/24", () => {
  const r = h.run(["run", "-q", "--", "sh", "-c", "hostname; ip -4 -o addr show eth0; ip route"]);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/ inet 10\.0\.42\.\d+\/24 /);
  expect(r.stdout).toContain("default via 10.0.42.1 dev eth0");
  // its lease went with it (the hostname is the short ID)
  const short = r.stdout.split("\n")[0] ?? "";
  expect(short).toMatch(/^[0-9a-f]{12}$/);
  expect(leases("contain0").filter((l) => l.id.startsWith(short))).toEqual([]);
});

test("the runtime SIGKILLed: the next command removes the veth, the lease and the port rules", async () => {
  const mapped = port(5);
  const a = new Holder([...NET, "-p", `${mapped}:80`], SERVER);
  await a.address();
  const [id] = h.ids();
  expect(leases(BR).map((l) => l.id)).toEqual([id ?? ""]);
  a.proc.kill("SIGKILL");
  await a.proc.exited;
  expect(portMap(BR)).toContain(`tcp . ${mapped} : `); // left behind, until:
  const next = h.run(["run", "--net", "none", "--", "true"]);
  expect(next.stderr).toContain(`removed the leftovers of container ${id?.slice(0, 12)}`);
  expect(leases(BR)).toEqual([]);
  expect(portMap(BR)).not.toContain(`${mapped}`);
  expect([...(await settledLinks())].filter((l) => !vethsBefore.has(l))).toEqual([]);
});

// A detached web server on BR, its host ports left to the host.
const WEB = "mkdir -p /www && echo hello > /www/index.html && exec httpd -f -p 80 -h /www";
const ephemeral = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);

function getSoon(url: string): Promise<string> {
  return waitFor(`an answer from ${url}`, () => {
    const body = get(url);
    return body.startsWith("failed") ? undefined : body;
  });
}

test("-p 80: a free host port of the ephemeral range, the one `port` names; ps and inspect show it; released at rm", async () => {
  const id = h.run(["run", "-d", "-q", ...NET, "--name", `rnd${tag}`, "-p", "80", "-p", "127.0.0.1::80", "--", "sh", "-c", WEB]).stdout.trim();
  try {
    const all = h.run(["port", `rnd${tag}`]);
    expect(all.code).toBe(0);
    const m = /^80\/tcp -> 0\.0\.0\.0:(\d+)\n80\/tcp -> 127\.0\.0\.1:(\d+)\n$/.exec(all.stdout);
    expect(m).not.toBeNull();
    const [any, local] = [Number(m?.[1]), Number(m?.[2])];
    for (const p of [any, local]) expect(p >= (ephemeral[0] ?? 0) && p <= (ephemeral[1] ?? 0)).toBe(true);
    expect(any).not.toBe(local);
    expect(h.run(["port", id, "80/tcp"]).stdout).toBe(`0.0.0.0:${any}\n127.0.0.1:${local}\n`);
    expect(await getSoon(`http://127.0.0.1:${any}/`)).toBe("hello\n");
    expect(get(`http://${GW}:${any}/`)).toBe("hello\n");
    expect(get(`http://127.0.0.1:${local}/`)).toBe("hello\n");
    expect(get(`http://${GW}:${local}/`)).toStartWith("failed"); // 127.0.0.1 only
    const ports = [`0.0.0.0:${any}->80/tcp`, `127.0.0.1:${local}->80/tcp`].sort().join(", ");
    expect(h.run(["ps", "--format", "{{.Names}}|{{.Ports}}", "--filter", `name=rnd${tag}`]).stdout).toBe(`rnd${tag}|${ports}\n`);
    const table = h.run(["ps", "--filter", `name=rnd${tag}`]).stdout.split("\n");
    expect(table[0]).toMatch(/ MEM +PORTS$/);
    expect(table[1]).toEndWith(` ${ports}`);
    const inspect = h.run(["inspect", "-f", "{{json .NetworkSettings.Ports}}", id]).stdout;
    expect(JSON.parse(inspect)).toEqual({ "80/tcp": [{ HostIp: "0.0.0.0", HostPort: String(any) }, { HostIp: "127.0.0.1", HostPort: String(local) }] });
    expect(portMap(BR)).toContain(`tcp . ${any} : `);
  } finally {
    h.run(["rm", "-f", id]);
  }
  expect(portMap(BR)).not.toContain("elements");
  expect(leases(BR)).toEqual([]);
});

test("host ports chosen at once by 6 starts in parallel: all different, TCP and UDP", async () => {
  const holders = Array.from({ length: 6 }, () => new Holder([...NET, "-p", "80", "-p", "53/udp"]));
  try {
    await Promise.all(holders.map((x) => x.address()));
    const chosen = h.ids().map((id) => h.run(["port", id]).stdout);
    const ports = (proto: string) => chosen.map((out) => new RegExp(`^\\d+/${proto} -> 0\\.0\\.0\\.0:(\\d+)$`, "m").exec(out)?.[1]);
    for (const proto of ["tcp", "udp"]) {
      expect(ports(proto).every(Boolean)).toBe(true);
      expect(new Set(ports(proto)).size).toBe(6);
    }
    // what the leases hold, and so what the nft maps hold
    expect(leases(BR).flatMap((l) => l.ports.map((p) => String(p.hostPort))).sort()).toEqual([...ports("tcp"), ...ports("udp")].sort() as string[]);
  } finally {
    await Promise.all(holders.map((x) => x.release()));
  }
});

test("a host range: a port a host socket holds is passed over (TCP and UDP); one taken on another bridge too; none left is an error", async () => {
  const [p, q] = [port(7), port(8)];
  // Host sockets of this process's own, bound on all addresses.
  const tcp = Bun.listen({ hostname: "0.0.0.0", port: p, socket: { data() {} } });
  const udp = await Bun.udpSocket({ hostname: "0.0.0.0", port: q });
  const holders: Holder[] = [];
  try {
    const a = new Holder([...NET, "-p", `${p}-${p + 1}:80`, "-p", `${q}-${q + 1}:53/udp`]);
    holders.push(a);
    await a.address();
    const [idA] = h.ids();
    expect(h.run(["port", idA ?? ""]).stdout).toBe(`53/udp -> 0.0.0.0:${q + 1}\n80/tcp -> 0.0.0.0:${p + 1}\n`);
    // the same ranges from another bridge: p + 1 is a's (nc's p), 2 is free
    const b = new Holder(["--bridge", SMALL_BR, "--subnet", SMALL, "-p", `${p + 1}-${p + 2}:80`]);
    holders.push(b);
    await b.address();
    const idB = h.ids().find((id) => id !== idA) ?? "";
    expect(h.run(["port", idB, "80"]).stdout).toBe(`0.0.0.0:${p + 2}\n`);
    const before = { ids: h.ids().sort(), leases: leases(BR) };
    const full = h.run(["run", "-q", ...NET, "-p", `${p}-${p + 2}:80`, "--", "true"]);
    expect(full.code).toBe(125);
    expect(full.stderr).toBe(`[contain] error: no free host port for 80/tcp in ${p}-${p + 2}; free one, or publish on another range\n`);
    expect({ ids: h.ids().sort(), leases: leases(BR) }).toEqual(before);
  } finally {
    tcp.stop(true);
    udp.close();
    await Promise.all(holders.map((x) => x.release()));
  }
});

test("inspect's NetworkSettings and ps --json: the address, prefix, gateway and MAC eth0 really has; empty once stopped and for --net none", async () => {
  const id = h.run(["run", "-d", "-q", ...NET, "--", "sleep", "60"]).stdout.trim();
  try {
    const inside = h.run(["exec", id, "--", "sh", "-c", "ip -4 -o addr show eth0; cat /sys/class/net/eth0/address"]).stdout;
    const [, address, prefix] = / inet (\S+)\/(\d+) /.exec(inside) ?? [];
    const mac = inside.trim().split("\n")[1];
    expect(address).toStartWith(`10.${octet}.1.`);
    const f = (t: string) => h.run(["inspect", "-f", t, id]).stdout.trim();
    expect(f("{{.NetworkSettings.IPAddress}}")).toBe(address ?? "");
    expect(f("{{.NetworkSettings.IPPrefixLen}} {{.NetworkSettings.Gateway}}")).toBe(`${prefix} ${GW}`);
    expect(f("{{.NetworkSettings.MacAddress}}")).toBe(mac ?? "");
    expect(f("{{with .NetworkSettings.Networks.bridge}}{{.IPAddress}} {{.MacAddress}} {{.Gateway}}{{end}}")).toBe(`${address} ${mac} ${GW}`);
    expect(f("{{json .NetworkSettings.Ports}}")).toBe("{}");
    const row = JSON.parse(h.run(["ps", "--json"]).stdout).find((r: { id: string }) => r.id === id);
    expect(row).toMatchObject({ address, ports: [] });
    h.run(["stop", "-t", "0", id]);
    expect(f("{{json .NetworkSettings}}")).toBe(`{"Bridge":"${BR}","Ports":{},"MacAddress":"","Gateway":"","IPAddress":"","IPPrefixLen":0,"Networks":{"bridge":{"MacAddress":"","Gateway":"","IPAddress":"","IPPrefixLen":0}}}`);
  } finally {
    h.run(["rm", "-f", id]);
  }
  const none = h.run(["run", "-d", "-q", "--net", "none", "--", "sleep", "60"]).stdout.trim();
  try {
    expect(h.run(["inspect", "-f", "{{json .NetworkSettings.Networks}} {{json .NetworkSettings.Ports}} [{{.NetworkSettings.IPAddress}}]", none]).stdout).toBe(
      '{"none":{"MacAddress":"","Gateway":"","IPAddress":"","IPPrefixLen":0}} {} []\n',
    );
    expect(h.run(["port", none]).stdout).toBe("");
  } finally {
    h.run(["rm", "-f", none]);
  }
});

test("port: an unknown container, an unpublished port, a bad port: one line each, exit 1", () => {
  const id = h.run(["run", "-d", "-q", ...NET, "--name", `pub${tag}`, "-p", "80", "--", "sleep", "60"]).stdout.trim();
  try {
    const before = { ids: h.ids(), leases: leases(BR) };
    const cases: [string[], string][] = [
      [["port", `nosuch${tag}`], `[contain] error: no such container: nosuch${tag}; see 'contain ps -a' for the names and IDs\n`],
      [["port", `pub${tag}`, "81"], `[contain] error: no public port '81/tcp' published for pub${tag}; see 'contain port pub${tag}' for the ones it has\n`],
      [["port", `pub${tag}`, "80/udp"], `[contain] error: no public port '80/udp' published for pub${tag}; see 'contain port pub${tag}' for the ones it has\n`],
      [["port", `pub${tag}`, "http"], `[contain] error: invalid port "http"; give PORT or PORT/PROTO, e.g. 80 or 53/udp\n`],
    ];
    for (const [args, message] of cases) {
      const r = h.run(args);
      expect({ args, code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ args, code: 1, stdout: "", stderr: message });
    }
    expect({ ids: h.ids(), leases: leases(BR) }).toEqual(before);
  } finally {
    h.run(["rm", "-f", id]);
  }
});

test.each<[string, string[], RegExp]>([
  ["an unknown --net mode", ["--net", "overlay"], /^\[contain\] error: --net: unknown network mode "overlay"; use one of bridge, none, host or container:NAME$/],
  ["a port out of range", ["-p", "70000:80"], /^\[contain\] error: --publish: "70000:80": host port 70000 is out of range; ports go from 1 to 65535$/],
  ["a malformed port", ["-p", "http:80"], /^\[contain\] error: --publish: "http:80": host port "http" is not a port number; use \[IP:\]\[HOSTPORT:\]CONTAINERPORT/],
  ["an unknown protocol", ["-p", "8080:80/sctp"], /^\[contain\] error: --publish: "8080:80\/sctp": unknown protocol "sctp"; use \/tcp or \/udp$/],
  ["an unknown protocol for any host port", ["-p", "80/sctp"], /^\[contain\] error: --publish: "80\/sctp": unknown protocol "sctp"; use \/tcp or \/udp$/],
  ["container port 0", ["-p", "0"], /^\[contain\] error: --publish: "0": container port 0 is out of range; ports go from 1 to 65535$/],
  ["a container port out of range", ["-p", "99999"], /^\[contain\] error: --publish: "99999": container port 99999 is out of range; ports go from 1 to 65535$/],
  ["-p with --net none", ["--net", "none", "-p", "8080:80"], /^\[contain\] error: --publish: needs --net bridge, not --net none; /],
  ["an invalid subnet", ["--bridge", `ctov${tag}`, "--subnet", "10.0.0.300/24"], /^\[contain\] error: --subnet: "10.0.0.300\/24" is not an IPv4 subnet; /],
  ["a subnet with host bits", ["--bridge", `ctov${tag}`, "--subnet", "10.9.0.1/24"], /^\[contain\] error: --subnet: 10.9.0.1\/24 has host bits set; did you mean 10.9.0.0\/24\?$/],
  ["a subnet too small", ["--bridge", `ctov${tag}`, "--subnet", "10.9.0.0/31"], /^\[contain\] error: --subnet: \/31 cannot hold a bridge network; /],
  ["a subnet overlapping another bridge's", ["--bridge", `ctov${tag}`, "--subnet", `10.${octet}.1.128/25`], new RegExp(`^\\[contain\\] error: --subnet: 10\\.${octet}\\.1\\.128/25 overlaps the host's network ${SUBNET.replace(/\./g, "\\.")} \\(on ${BR}\\); choose a subnet`)],
  ["another subnet for an existing bridge", ["--bridge", BR, "--subnet", `10.${octet}.3.0/24`], new RegExp(`^\\[contain\\] error: --subnet: bridge ${BR} already has the subnet ${SUBNET.replace(/\./g, "\\.")}, not 10\\.${octet}\\.3\\.0/24; `)],
  ["a reserved bridge name", ["--bridge", "ctnx"], /^\[contain\] error: --bridge: "ctnx" starts with ctn, which names containers' veths; choose another name$/],
])("bad input: %s", async (_, args, message) => {
  h.run(["run", "-q", ...NET, "--", "true"]); // BR exists
  await settledLinks(); // and that container's veth has gone
  const before = { links: links().sort(), leases: leases(BR), ids: h.ids() };
  const r = h.run(["run", ...args, "--", "true"]);
  expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
  expect(r.stderr.trimEnd()).toMatch(message);
  expect(r.code).toBe(125);
  expect({ links: links().sort(), leases: leases(BR), ids: h.ids() }).toEqual(before);
  expect(sh(["nft", "list", "table", "ip", `contain-ctov${tag}`]).exitCode).not.toBe(0);
});

test("bad input: a bridge name taken by a link that is not contain's", () => {
  const name = `ctfb${tag}`;
  expect(sh(["ip", "link", "add", name, "type", "bridge"]).exitCode).toBe(0);
  try {
    const r = h.run(["run", "--bridge", name, "--", "true"]);
    expect(r.code).toBe(125);
    expect(r.stderr).toBe(`[contain] error: --bridge: the name ${name} is taken by a bridge that contain did not make; pass --bridge NAME with a name of its own\n`);
    expect(h.ids()).toEqual([]);
    expect(existsSync(`${LEASES}/${name}.lock`)).toBe(false);
    expect(sh(["nft", "list", "table", "ip", `contain-${name}`]).exitCode).not.toBe(0);
  } finally {
    sh(["ip", "link", "del", name]);
  }
});
