// --data-root beside --root: the default rootfs is unpacked under the data
// root a command is given; two data roots side by side never touch each
// other's data; a bad one is refused before anything is made. A bridge's
// leases are the host's whatever the roots: a start under one --root or
// --data-root never leases a live container's address of another, nor
// reclaims its lease.
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { relative } from "node:path";
import { removeBridge } from "../setup.ts";
import { BIN, dataLeftovers, Harness, isAlive, treeDigest, waitFor } from "./harness.ts";

const a = new Harness();
const b = new Harness();
const tag = String(process.pid % 100000);
const octet = 100 + (process.pid % 100);
const BR = `ctdr${tag}`;
const NET = ["--bridge", BR, "--subnet", `10.${octet}.5.0/24`];

afterAll(() => {
  try {
    expect(leases()).toEqual([]);
    a.finish();
  } finally {
    b.finish();
    removeBridge(BR);
  }
});

function leases(): { id: string; address: string; stateDir: string }[] {
  const path = `/var/lib/contain/network/${BR}.json`;
  return existsSync(path) ? JSON.parse(readFileSync(path, "utf8")).leases : [];
}

function startTime(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]);
}

const defaultRootfsOf = (dataRoot: string) => readdirSync(`${dataRoot}/rootfs`).filter((d) => /^default-[0-9a-f]+$/.test(d));

test("the default rootfs is unpacked under --data-root, for run and node create; a relative one is taken from the current directory", () => {
  const id = a.run(["run", "-d", "-q", "--net", "none", "--", "sleep", "60"]).stdout.trim();
  expect(a.run(["node", "create", "n1", "--mem", "64", "--net", "none"]).code).toBe(0);
  try {
    expect(defaultRootfsOf(a.dataRoot)).toHaveLength(1);
    const rootfs = (dir: string) => JSON.parse(readFileSync(`${a.root}/${dir}/state.json`, "utf8")).rootfs;
    expect(a.ids().map(rootfs)).toEqual(Array(2).fill(`${a.dataRoot}/rootfs/${defaultRootfsOf(a.dataRoot)[0]}`));
  } finally {
    expect(a.run(["rm", "-f", id, "n1"]).code).toBe(0);
  }
  const cwd = mkdtempSync("/tmp/contain-test-cwd-");
  try {
    const r = Bun.spawnSync([BIN, "run", "-q", "--root", a.root, "--data-root", "data", "--net", "none", "--", "cat", "/etc/hostname"], { cwd, stdout: "pipe", stderr: "pipe" });
    expect(r.stderr.toString()).toBe("");
    expect(r.exitCode).toBe(0);
    expect(defaultRootfsOf(`${cwd}/data`)).toEqual(defaultRootfsOf(a.dataRoot));
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});

test("two data roots side by side, each with its own --root: a sweep from one never touches the other's state or data", async () => {
  for (const h of [a, b]) expect(h.run(["run", "-q", "--net", "none", "--", "true"]).code).toBe(0);
  const [rootfs] = defaultRootfsOf(a.dataRoot);
  // A container whose runtime was killed: its entry, cgroup and init are a's to release.
  const child = a.spawn(["run", "-q", "--net", "none", "--", "sleep", "60"]);
  const id = await waitFor("the container's state", () => a.ids()[0]);
  const init = await waitFor("the init pid", () => a.state(id)?.init?.pid);
  await waitFor("sleep to run", () => readFileSync(`/proc/${init}/cmdline`, "utf8").startsWith("sleep"));
  child.kill("SIGKILL");
  await child.exited;
  await waitFor("the container to die", () => !isAlive(init));
  // And, made after that run's own sweep, unpacks of the default rootfs in
  // a's data root: one its unpacker (a process gone since) never finished,
  // and one under way.
  const gone = Bun.spawn(["sleep", "60"]);
  const abandoned = `${a.dataRoot}/rootfs/${rootfs}.tmp-${gone.pid}-${startTime(gone.pid)}`;
  gone.kill();
  await gone.exited;
  const underWay = `${a.dataRoot}/rootfs/${rootfs}.tmp-${process.pid}-${startTime(process.pid)}`;
  for (const dir of [abandoned, underWay]) mkdirSync(`${dir}/bin`, { recursive: true });

  const before = treeDigest(a.dataRoot);
  for (const args of [["run", "--net", "none", "--", "true"], ["ps", "-a"], ["prune"], ["node", "ls"]]) {
    const r = b.run(args);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain("removed");
  }
  expect(a.ids()).toEqual([id]);
  expect(treeDigest(a.dataRoot)).toBe(before);

  const others = treeDigest(b.dataRoot);
  const sweep = a.run(["ps"]);
  expect(sweep.stderr).toContain(`removed the leftovers of container ${id.slice(0, 12)}`);
  expect(sweep.stderr).toContain(`removed an unfinished unpack of the default rootfs: ${abandoned}`);
  expect(a.ids()).toEqual([]);
  expect(existsSync(abandoned)).toBe(false);
  expect(dataLeftovers(a.dataRoot)).toEqual([underWay.slice(a.dataRoot.length + 1)]);
  rmSync(underWay, { recursive: true });
  expect(treeDigest(b.dataRoot)).toBe(others);
});

const FIX = "give a directory, or a path where one can be made, e.g. --data-root /var/lib/contain";
test.each<[string, (file: string) => string, (path: string, file: string) => string]>([
  ["a file", (file) => file, (path) => `${path} is not a directory; ${FIX}`],
  ["a path under a file", (file) => `${file}/data`, (path, file) => `${path} cannot be made: ${file} is not a directory; ${FIX}`],
  ["an empty path", () => "", () => "the path is empty; give a directory (is a variable unset?), or leave --data-root out for /var/lib/contain"],
  ["a path overlayfs cannot take as a lower layer", (file) => `${file}.a,b`, (path) => `${path} contains ',', ':' or '\\', which overlayfs options cannot hold; choose a path without them, e.g. --data-root /var/lib/contain`],
])("--data-root with %s: one line, exit 125, nothing made, on every command", (_, given, message) => {
  const file = `${a.dataRoot}.file`;
  writeFileSync(file, "not a directory\n");
  const root = `${a.root}/fresh`;
  try {
    const path = given(file);
    for (const args of [["run", "--", "true"], ["run", "-d", "--", "sleep", "60"], ["node", "create", "n1", "--mem", "64"], ["ps"], ["rm", "-f", "x"], ["prune"], ["stop", "x"]]) {
      const words = args[0] === "node" ? 2 : 1;
      const line = [BIN, ...args.slice(0, words), "--root", root, "--data-root", path, ...args.slice(words)];
      const r = Bun.spawnSync(line, { stdout: "pipe", stderr: "pipe" });
      expect(r.stderr.toString()).toBe(`[contain] error: --data-root: ${message(path, file)}\n`);
      expect(r.exitCode).toBe(125);
      expect(r.stdout.toString()).toBe("");
    }
    expect(existsSync(root)).toBe(false);
    expect(existsSync(`${file}.a,b`)).toBe(false);
    expect(readFileSync(file, "utf8")).toBe("not a directory\n");
  } finally {
    rmSync(file);
  }
});

test("leases: a start under another --root or --data-root, or from another directory, neither reclaims a live container's lease nor takes its address", async () => {
  // The holder's roots relative to /tmp, as a user in /tmp might give them:
  // its lease must name its state directory so that a start elsewhere finds it.
  const holder = Bun.spawnSync([BIN, "run", "-d", "-q", "--root", relative("/tmp", b.root), "--data-root", relative("/tmp", b.dataRoot), ...NET, "--name", "holder", "--", "sleep", "60"], { cwd: "/tmp", stdout: "pipe", stderr: "pipe" });
  expect(holder.stderr.toString()).toBe("");
  const id = holder.stdout.toString().trim();
  try {
    const held = leases();
    expect(held.map((l) => [l.id, l.stateDir])).toEqual([[id, `${b.root}/${id}`]]);
    const address = held[0]?.address;
    const ping = ["--", "sh", "-c", `ip -4 -o addr show eth0; ping -c1 -W2 ${address} >/dev/null && echo reached`];
    // a's state root with a's data root, then with b's: one bridge, one
    // lease file, whatever the data root.
    for (const data of [a.dataRoot, b.dataRoot]) {
      const r = a.run(["run", ...NET, "--data-root", data, ...ping]);
      expect(r.stderr).not.toContain("reclaiming");
      expect(r.code).toBe(0);
      const own = / inet (\S+)\//.exec(r.stdout)?.[1];
      expect(own).toMatch(new RegExp(`^10\\.${octet}\\.5\\.\\d+$`));
      expect(own).not.toBe(address);
      expect(r.stdout).toEndWith("reached\n"); // the holder still has its address
      expect(leases()).toEqual(held);
    }
  } finally {
    // Removed with another data root than it was made with: its lease still goes.
    expect(b.run(["rm", "-f", "--data-root", a.dataRoot, "holder"]).code).toBe(0);
  }
  expect(leases()).toEqual([]);
  // The kernel deletes the veth with the container's network namespace, a moment after its end.
  await waitFor("the holder's veth to go", () => !readdirSync("/sys/class/net").includes(`ctn${id.slice(0, 12)}`));
});

test("leases: containers of two data roots started at once on one bridge get distinct addresses", async () => {
  // [the state root's harness, the data root's]
  const roots: [Harness, Harness][] = [[a, a], [b, b], [a, b], [b, a], [a, a], [b, b]];
  const starts = roots.map(([state, data]) =>
    Bun.spawn([BIN, "run", "-d", "-q", "--root", state.root, "--data-root", data.dataRoot, ...NET, "--", "sleep", "60"], { stdout: "pipe", stderr: "pipe" }),
  );
  const ids = await Promise.all(starts.map(async (p) => (await new Response(p.stdout).text()).trim()));
  try {
    expect(await Promise.all(starts.map((p) => p.exited))).toEqual(Array(6).fill(0));
    const addresses = leases().map((l) => l.address);
    expect(new Set(addresses).size).toBe(6);
    expect(leases().map((l) => l.id).sort()).toEqual([...ids].sort());
  } finally {
    for (const h of [a, b]) if (h.ids().length) h.run(["rm", "-f", ...h.ids()]);
  }
  expect(leases()).toEqual([]);
});
