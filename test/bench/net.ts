// Network benchmark: TCP throughput from the host into a container (through
// the container's veth and the bridge, with contain's nft table in place),
// beside the same measurement into a plain network namespace joined to the
// host by one veth, no bridge and no rules (the physical limit here).
// It measures and prints; it asserts nothing.
//
//   node_modules/.bin/bun test/bench/net.ts        (npm run bench:net; as root)
//
// iperf3 is the host's (Debian's), run inside each namespace with nsenter, so
// the container's root filesystem needs nothing but sleep. Rounds alternate
// between the two paths; the medians are compared.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { BINARY, ensurePackages } from "../../build.ts";

const TOOLS = ["iperf3", "iproute2", "nftables"];
const ROUNDS = 5;
const SECONDS = 4;
const BRIDGE = "ctbench";
const SUBNET = "10.199.1.0/24";
const NETNS = "ctbench";
const VETH = "ctbv0";
const PEER = "ctbv1";
const HOST_IP = "10.199.0.1";
const NS_IP = "10.199.0.2";

function note(msg: string): void {
  console.error(`[bench] ${msg}`);
}

function run(argv: string[], check = true): string {
  const r = Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  if (check && r.exitCode !== 0) throw new Error(`${argv.join(" ")} failed (exit ${r.exitCode}): ${r.stderr.toString().trim()}`);
  return r.stdout.toString();
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
};

// One iperf3 run: the server in the namespace of `pid`, the client on the host.
async function throughput(pid: number, address: string): Promise<number> {
  const server = Bun.spawn(["nsenter", "-t", String(pid), "-n", "iperf3", "-s", "-1", "-B", address], { stdout: "ignore", stderr: "pipe" });
  try {
    for (let i = 0; ; i++) {
      await Bun.sleep(100);
      const r = Bun.spawnSync(["iperf3", "-c", address, "-t", String(SECONDS), "-J"], { stdout: "pipe", stderr: "pipe" });
      const out = r.stdout.toString();
      if (r.exitCode === 0) return (JSON.parse(out) as { end: { sum_received: { bits_per_second: number } } }).end.sum_received.bits_per_second;
      if (i > 20) throw new Error(`iperf3 -c ${address} failed: ${out || r.stderr.toString()}`);
    }
  } finally {
    server.kill();
    await server.exited;
  }
}

// A plain namespace, held by a sleep, joined to the host by one veth.
function plainNamespace(): { pid: number; stop(): void } {
  run(["ip", "netns", "add", NETNS]);
  run(["ip", "link", "add", VETH, "type", "veth", "peer", "name", PEER, "netns", NETNS]);
  run(["ip", "addr", "add", `${HOST_IP}/30`, "dev", VETH]);
  run(["ip", "link", "set", VETH, "up"]);
  run(["ip", "-n", NETNS, "addr", "add", `${NS_IP}/30`, "dev", PEER]);
  run(["ip", "-n", NETNS, "link", "set", PEER, "up"]);
  run(["ip", "-n", NETNS, "link", "set", "lo", "up"]);
  const holder = Bun.spawn(["ip", "netns", "exec", NETNS, "sleep", "3600"], { stdout: "ignore", stderr: "ignore" });
  return {
    pid: holder.pid,
    stop() {
      holder.kill();
      run(["ip", "link", "del", VETH], false);
      run(["ip", "netns", "del", NETNS], false);
    },
  };
}

// A container on its own bridge, held by a sleep; its address and init pid
// come from its state entry.
async function container(contain: string, stateRoot: string): Promise<{ pid: number; address: string; stop(): Promise<void> }> {
  const proc = Bun.spawn([contain, "run", "-q", "--root", stateRoot, "--bridge", BRIDGE, "--subnet", SUBNET, "--", "sleep", "3600"], { stdout: "ignore", stderr: "inherit" });
  for (let i = 0; i < 200; i++) {
    await Bun.sleep(50);
    const [id] = existsSync(stateRoot) ? run(["ls", stateRoot]).split("\n").filter((n) => n && !n.startsWith(".")) : [];
    if (!id) continue;
    const state = JSON.parse(readFileSync(join(stateRoot, id, "state.json"), "utf8")) as { init?: { pid: number }; network?: { address?: string } };
    if (state.init && state.network?.address) {
      // The init execs sleep once set up: by then eth0 is configured.
      if (!readFileSync(`/proc/${state.init.pid}/cmdline`, "utf8").startsWith("sleep")) continue;
      const { pid } = state.init;
      const address = state.network.address;
      return {
        pid,
        address,
        async stop() {
          proc.kill("SIGKILL");
          await proc.exited;
          // The next command sweeps what the killed runtime left.
          run([contain, "run", "-q", "--root", stateRoot, "--net", "none", "--", "true"]);
        },
      };
    }
  }
  proc.kill("SIGKILL");
  throw new Error("the container did not start");
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error("the benchmark runs containers: run it as root");
  if (!existsSync(BINARY)) throw new Error(`${BINARY} is missing: build it first with \`bun build.ts\``);
  ensurePackages(TOOLS);
  const work = mkdtempSync("/tmp/contain-bench-net-");
  const hadBridge = existsSync(`/sys/class/net/${BRIDGE}`);
  const plain = plainNamespace();
  const ctr = await container(BINARY, join(work, "state"));
  const results = { container: [] as number[], plain: [] as number[] };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      note(`round ${round + 1} of ${ROUNDS}`);
      const order = round % 2 ? (["plain", "container"] as const) : (["container", "plain"] as const);
      for (const which of order)
        results[which].push(which === "container" ? await throughput(ctr.pid, ctr.address) : await throughput(plain.pid, NS_IP));
    }
  } finally {
    await ctr.stop();
    plain.stop();
    if (!hadBridge) {
      run(["ip", "link", "del", BRIDGE], false);
      run(["nft", "delete", "table", "ip", `contain-${BRIDGE}`], false);
      rmSync(`/var/lib/contain/network/${BRIDGE}.json`, { force: true });
      rmSync(`/var/lib/contain/network/${BRIDGE}.lock`, { force: true });
    }
    rmSync(work, { recursive: true, force: true });
  }
  const gbit = (bps: number) => `${(bps / 1e9).toFixed(2)} Gbit/s`;
  console.log(`\n## TCP throughput, host -> namespace (iperf3, ${SECONDS} s per run, ${ROUNDS} rounds, medians)\n`);
  console.log("| path | median | runs |");
  console.log("|---|---:|---|");
  console.log(`| container: veth + bridge ${BRIDGE} + contain's nft table | ${gbit(median(results.container))} | ${results.container.map(gbit).join(", ")} |`);
  console.log(`| plain netns: one veth, no bridge, no rules | ${gbit(median(results.plain))} | ${results.plain.map(gbit).join(", ")} |`);
  console.log(`\ncontainer / plain: ${(median(results.container) / median(results.plain)).toFixed(2)}`);
  console.log(`kernel ${run(["uname", "-r"]).trim()}, ${run(["iperf3", "--version"]).split("\n")[0]}`);
}

await main();
