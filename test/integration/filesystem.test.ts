// The container's filesystem: a copy-on-write root that leaves the given tree
// untouched, --read-only, --no-overlay, volumes, tmpfs and the generated /etc
// files; mount targets are resolved inside the root, never through it.
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { busyboxTree, Harness, treeDigest } from "./harness.ts";

const h = new Harness();
const made: string[] = [];
const temp = (prefix: string) => {
  const dir = mkdtempSync(`/tmp/contain-test-${prefix}-`);
  made.push(dir);
  return dir;
};
const tree = () => {
  const dir = busyboxTree();
  made.push(dir);
  return dir;
};

afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
  h.finish();
});

test("copy-on-write: writes, deletes and chmods leave the rootfs byte-for-byte the same", () => {
  const root = tree();
  const before = treeDigest(root);
  const r = h.run(["run", "-q", "--rootfs", root, "--", "/bin/sh", "-c", "echo new > /new; echo more >> /etc/passwd; rm /bin/ls; chmod 700 /etc; mkdir -p /var/x && touch /var/x/y; cat /new; ls /bin/ls 2>&1"]);
  expect(r.code).toBe(1);
  expect(r.stdout).toContain("new\n");
  expect(r.stdout).toContain("No such file");
  expect(treeDigest(root)).toBe(before);
});

test("the upper layer lives on disk under the data root while the container runs, and goes with it", async () => {
  const proc = h.spawn(["run", "-q", "--", "/bin/sh", "-c", "echo hi > /written; sleep 2"]);
  let upper: string | undefined;
  for (let i = 0; i < 100 && !upper; i++) {
    await Bun.sleep(30);
    const id = h.ids()[0];
    const at = `${h.dataRoot}/containers/${id}/rootfs/upper`;
    if (id && existsSync(`${at}/written`)) upper = at;
  }
  expect(upper).toBeDefined();
  expect(readFileSync(`${upper}/written`, "utf8")).toBe("hi\n");
  expect(await proc.exited).toBe(0);
  expect(existsSync(upper as string)).toBe(false);
});

test("--no-overlay writes straight into the rootfs", () => {
  const root = tree();
  expect(h.run(["run", "-q", "--no-overlay", "--rootfs", root, "--", "/bin/sh", "-c", "echo kept > /kept"]).code).toBe(0);
  expect(readFileSync(`${root}/kept`, "utf8")).toBe("kept\n");
});

test("--read-only: the root refuses writes; --tmpfs and volumes still take them", () => {
  const vol = temp("vol");
  const r = h.run(["run", "-q", "--read-only", "--tmpfs", "/scratch", "-v", `${vol}:/data`, "--", "/bin/sh", "-c", "touch /x 2>&1; echo a > /scratch/a && echo scratch-ok; echo b > /data/b && echo data-ok"]);
  expect(r.stdout).toContain("Read-only file system");
  expect(r.stdout).toContain("scratch-ok\ndata-ok\n");
});

test("a read-only volume refuses writes; a read-write one's writes land on the host", () => {
  const ro = temp("ro");
  const rw = temp("rw");
  writeFileSync(`${ro}/given`, "from host\n");
  const r = h.run(["run", "-q", "-v", `${ro}:/in:ro`, "-v", `${rw}:/out`, "--", "/bin/sh", "-c", "cat /in/given; echo no > /in/new 2>&1; echo yes > /out/result"]);
  expect(r.stdout).toBe("from host\n");
  expect(r.stderr).toContain("Read-only file system");
  expect(existsSync(`${ro}/new`)).toBe(false);
  expect(readFileSync(`${rw}/result`, "utf8")).toBe("yes\n");
});

test("a file volume, and a container path that does not exist yet is created in the container only", () => {
  const root = tree();
  const before = treeDigest(root);
  const dir = temp("file");
  writeFileSync(`${dir}/app.conf`, "answer=42\n");
  const r = h.run(["run", "-q", "--rootfs", root, "-v", `${dir}/app.conf:/opt/app/conf/app.conf:ro`, "--", "cat", "/opt/app/conf/app.conf"]);
  expect(r.stdout).toBe("answer=42\n");
  expect(treeDigest(root)).toBe(before);
});

test("--tmpfs with a size: the limit holds", () => {
  const r = h.run(["run", "-q", "--tmpfs", "/small:size=1M", "--", "/bin/sh", "-c", "dd if=/dev/zero of=/small/f bs=64k count=64 2>&1; grep ' /small ' /proc/mounts"]);
  expect(r.stdout).toContain("No space left on device");
  expect(r.stdout).toMatch(/tmpfs \/small tmpfs rw,nosuid,nodev,.*size=1024k/);
});

test("a symlink in the rootfs cannot lead a mount out of it: targets resolve inside the root", () => {
  const root = tree();
  const vol = temp("vol");
  writeFileSync(`${vol}/marker`, "");
  symlinkSync("/etc", `${root}/data`); // absolute: /etc of the container, not of the host
  const hostEtc = statSync("/etc").mtimeMs;
  const r = h.run(["run", "-q", "--rootfs", root, "-v", `${vol}:/data`, "--", "ls", "/etc"]);
  expect(r.code).toBe(0);
  // the volume covers the container's own /etc, and contain's /etc files go
  // over it, as docker's do
  expect(r.stdout).toBe("hostname\nhosts\nmarker\nresolv.conf\n");
  expect(statSync("/etc").mtimeMs).toBe(hostEtc);
  expect(existsSync("/etc/marker")).toBe(false);
});

test("a symlink that climbs out of the rootfs leads inside it: its missing target is made there, nothing on the host", () => {
  const root = tree();
  const outside = temp("outside");
  symlinkSync(`../../../../../../..${outside}/target`, `${root}/climb`);
  const vol = temp("vol");
  writeFileSync(`${vol}/marker`, "");
  const r = h.run(["run", "-q", "--rootfs", root, "-v", `${vol}:/climb/sub`, "--", "ls", `${outside}/target/sub`]);
  expect(r.stdout).toBe("marker\n");
  expect(r.code).toBe(0);
  expect(readdirSync(outside)).toEqual([]);
});

test("a rootfs whose /etc/resolv.conf links to a file missing inside it (systemd's stub) gets the container's resolv.conf there", () => {
  const root = tree();
  mkdirSync(`${root}/etc`, { recursive: true });
  symlinkSync("../run/systemd/resolve/stub-resolv.conf", `${root}/etc/resolv.conf`);
  const r = h.run(["run", "-q", "--net", "none", "--rootfs", root, "--dns", "192.0.2.53", "--", "cat", "/etc/resolv.conf"]);
  expect(r.stdout).toBe("nameserver 192.0.2.53\n");
  expect(r.code).toBe(0);
  // made in the container's copy-on-write layer, not in the rootfs
  expect(existsSync(`${root}/run/systemd`)).toBe(false);
});

test("generated /etc files: the container's own hostname, hosts and resolv.conf; the rootfs's files stay untouched", () => {
  const root = tree();
  mkdirSync(`${root}/etc`, { recursive: true });
  writeFileSync(`${root}/etc/hosts`, "10.9.9.9 original\n");
  const script = "cat /etc/hostname; grep web1 /etc/hosts; grep -c localhost /etc/hosts; echo changed >> /etc/hosts";
  const none = h.run(["run", "-q", "--net", "none", "--rootfs", root, "--hostname", "web1", "--", "/bin/sh", "-c", script]);
  expect(none.stdout).toMatch(/^web1\n127\.0\.1\.1\tweb1\n\d+\n$/);
  const bridged = h.run(["run", "-q", "--rootfs", root, "--hostname", "web1", "--dns", "192.0.2.53", "--add-host", "db:192.0.2.7", "--", "/bin/sh", "-c", `${script}; grep db /etc/hosts; cat /etc/resolv.conf`]);
  expect(bridged.stdout).toMatch(/^web1\n10\.0\.42\.\d+\tweb1\n\d+\n192\.0\.2\.7\tdb\nnameserver 192\.0\.2\.53\n$/);
  expect(readFileSync(`${root}/etc/hosts`, "utf8")).toBe("10.9.9.9 original\n");
});

test("the data root's container directories: one whose state is gone (a reboot, a killed runtime) is swept, another root's is kept", () => {
  const gone = `${h.dataRoot}/containers/${"e".repeat(64)}`;
  const other = `${h.dataRoot}/containers/${"f".repeat(64)}`;
  const otherState = temp("other-root");
  mkdirSync(`${gone}/rootfs/upper`, { recursive: true });
  writeFileSync(`${gone}/owner`, `${temp("gone-root")}/x`);
  mkdirSync(other, { recursive: true });
  writeFileSync(`${other}/owner`, otherState);
  const r = h.run(["ps"]);
  expect(r.code).toBe(0);
  expect(existsSync(gone)).toBe(false);
  expect(existsSync(other)).toBe(true);
  rmSync(other, { recursive: true });
});

// Loop devices whose backing file is under this file's data root.
function ourLoops(): string[] {
  const out = Bun.spawnSync(["losetup", "-a"]).stdout.toString();
  return out.split("\n").filter((l) => l.includes(h.dataRoot));
}

test("--storage-opt size=8M: 20 MB of writes meet ENOSPC in the container, on disk; nothing is mounted on the host, and rm leaves nothing", () => {
  const id = h.run(["run", "-d", "-q", "--net", "none", "--storage-opt", "size=8M", "--", "sleep", "3173"]).stdout.trim();
  try {
    const w = h.run(["exec", id, "--", "/bin/sh", "-c", "dd if=/dev/zero of=/big bs=1M count=20 2>&1 | grep -o 'No space left on device' | head -1; echo still > /small && cat /small"]);
    expect(w.stdout).toBe("No space left on device\nstill\n");
    // the host's mount table holds nothing of it; the layer is a file on disk
    expect(readFileSync("/proc/self/mountinfo", "utf8")).not.toContain(id);
    expect(existsSync(`${h.dataRoot}/containers/${id}/rootfs/layer.img`)).toBe(true);
    // another container is not affected
    expect(h.run(["run", "-q", "--net", "none", "--", "/bin/sh", "-c", "dd if=/dev/zero of=/big bs=1M count=20 2>/dev/null && echo wrote"]).stdout).toBe("wrote\n");
  } finally {
    h.run(["rm", "-f", id]);
  }
  expect(existsSync(`${h.dataRoot}/containers/${id}`)).toBe(false);
  expect(ourLoops()).toEqual([]);
});

test("--storage-opt: bad input, one line, exit 125, nothing left", () => {
  const cases = [
    [["--storage-opt", "quota=1G"], '[contain] error: --storage-opt: unknown option "quota=1G"; use size=SIZE, e.g. --storage-opt size=1G\n'],
    [["--storage-opt", "size=1K"], "[contain] error: --storage-opt: must be at least 4M\n"],
    [["--storage-opt", "size=8M", "--no-overlay"], "[contain] error: --storage-opt: caps the copy-on-write layer, and --no-overlay has none; leave out one of them\n"],
  ] as const;
  for (const [flags, line] of cases) {
    const r = h.run(["run", "-q", "--net", "none", ...flags, "--", "true"]);
    expect(r.stderr).toBe(line);
    expect(r.code).toBe(125);
  }
  h.expectClean();
  expect(ourLoops()).toEqual([]);
});
