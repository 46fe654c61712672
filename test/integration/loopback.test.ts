// CVE-2020-8558: route_localnet on the bridge (for 127.0.0.1:HOSTPORT maps)
// lets the kernel route to 127.0.0.0/8 what arrives on the bridge, so a
// container with CAP_NET_RAW could reach a host service bound to 127.0.0.1
// with a hand-built frame. These tests send such frames (test/probes/rawsend.c)
// and check what the host's sockets receive. Traffic goes only to the host's
// loopback and to the bridge these tests make, which is removed at the end.
import { afterAll, expect, test } from "bun:test";
import { readFileSync, rmSync } from "node:fs";
import { removeBridge } from "../setup.ts";
import { probeTree, Harness, waitFor } from "./harness.ts";

const h = new Harness();
const tag = String(process.pid % 100000);
const octet = 100 + (process.pid % 100);
const BR = `ctlb${tag}`;
const SUBNET = `10.${octet}.4.0/24`;
const GW = `10.${octet}.4.1`;
const NET = ["--bridge", BR, "--subnet", SUBNET];
const TABLE = ["ip", `contain-${BR}`];
const root = probeTree("rawsend");

afterAll(() => {
  try {
    h.finish();
  } finally {
    rmSync(root, { recursive: true, force: true });
    removeBridge(BR);
  }
});

const sh = (cmd: string[]) => Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });

// A UDP socket on the host that records every datagram it reads.
async function listen(hostname: string) {
  const got: string[] = [];
  const socket = await Bun.udpSocket({ hostname, socket: { data: (_s, data) => void got.push(Buffer.from(data).toString()) } });
  return { port: socket.port, got, [Symbol.dispose]: () => socket.close() };
}

test("a raw frame from a container to the host's 127.0.0.1 is dropped; the same frame to the gateway arrives", async () => {
  // A bridge without a MAC of its own takes its lowest port's, and 0 with no
  // port: read it while the sender's container is the only one on it.
  const id = h.run(["run", "-d", "-q", "--rootfs", root, ...NET, "--", "sleep", "60"]).stdout.trim();
  try {
    const mac = readFileSync(`/sys/class/net/${BR}/address`, "utf8").trim();
    expect(mac).not.toBe("00:00:00:00:00:00");
    using loopback = await listen("127.0.0.1");
    using gateway = await listen(GW);
    const send = (ip: string, port: number, text: string) => h.run(["exec", id, "--", "rawsend", mac, ip, String(port), text]);
    const toLoopback = send("127.0.0.1", loopback.port, "to-loopback");
    expect(toLoopback.stdout).toMatch(new RegExp(`^rawsend: sent \\d+ bytes to ${mac} 127\\.0\\.0\\.1:${loopback.port} from 10\\.${octet}\\.4\\.\\d+\\n$`));
    expect(toLoopback.code).toBe(0);
    expect(send(GW, gateway.port, "to-gateway").code).toBe(0);
    // The control: the sender works and the bridge delivers its frames.
    await waitFor("the frame to the gateway", () => gateway.got.length > 0, 3000);
    expect(gateway.got).toEqual(["to-gateway"]);
    // The frame to loopback went first: had it been let through, it would be here.
    await Bun.sleep(200);
    expect(loopback.got).toEqual([]);
    expect(sh(["nft", "list", "chain", ...TABLE, "loopback_guard"]).stdout.toString()).toMatch(/counter packets [1-9]/);
  } finally {
    h.run(["rm", "-f", id]);
  }
});

test("127.0.0.1:HOSTPORT and HOSTPORT still map into a container: the replies pass the guard", async () => {
  const local = 20000 + ((process.pid * 7 + 1) % 20000);
  const all = local + 1;
  const server = "mkdir -p /www && echo hello > /www/index.html && exec httpd -f -p 80 -h /www";
  const id = h.run(["run", "-d", "-q", ...NET, "-p", `127.0.0.1:${local}:80`, "-p", `${all}:80`, "--", "sh", "-c", server]).stdout.trim();
  try {
    const get = (port: number) => sh(["curl", "-sS", "-m", "3", `http://127.0.0.1:${port}/`]).stdout.toString();
    expect(await waitFor("httpd through 127.0.0.1", () => get(local), 10_000)).toBe("hello\n");
    expect(get(all)).toBe("hello\n");
  } finally {
    h.run(["rm", "-f", id]);
  }
});

test("a table without the guard (the previous version's) gets it at the next start, and only that once", () => {
  // What a table of the version before the guard is: the same, less the chain.
  expect(sh(["nft", "delete", "chain", ...TABLE, "loopback_guard"]).exitCode).toBe(0);
  const nftRuns = (args: string[]) => {
    const r = h.run(["run", "--debug", ...args, "--", "true"]);
    expect(r.code).toBe(0);
    return r.stderr.split("\n").filter((l) => l.includes(" nft -f -")).length;
  };
  expect(nftRuns(NET)).toBe(1);
  expect(sh(["nft", "list", "chain", ...TABLE, "loopback_guard"]).stdout.toString()).toContain(`iifname "${BR}" ip daddr 127.0.0.0/8 counter packets 0 bytes 0 drop`);
  expect(nftRuns(NET)).toBe(0);
});
