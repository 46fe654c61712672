// Applying image layers on the real file system, as root: hostile names that
// try to write or link outside the layer (each checked against a canary tree
// outside it and the host's /etc), whiteouts in overlayfs's form that hide
// lower files in a real overlay mount, everything a layer keeps (owners,
// set-id modes, times, xattrs, devices, hard links, symlinks), GNU tar's
// archives, compressed layers, and the diff ID against sha256sum.
import { afterAll, describe, expect, test } from "bun:test";
import { closeSync, existsSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync, chmodSync, chownSync, utimesSync, linkSync } from "node:fs";
import { ContainError } from "../../src/errors.ts";
import { tarBytes, tarChunks, type TarEntryInput, type TarStreamInput } from "../../src/image/tar.ts";
import { applyLayer, type AppliedLayer } from "../../src/image/unpack.ts";
import { O_DIRECTORY, O_RDONLY } from "../../src/linux/dirfd.ts";
import { getXattrAt, listXattrAt } from "../../src/linux/xattr.ts";
import { treeDigest } from "./harness.ts";

function withDir<T>(dir: string, fn: (fd: number) => T): T {
  const fd = openSync(dir, O_RDONLY | O_DIRECTORY);
  try {
    return fn(fd);
  } finally {
    closeSync(fd);
  }
}

const slash = (p: string) => p.lastIndexOf("/");
const xattr = (path: string, key: string) => withDir(path.slice(0, slash(path)), (fd) => getXattrAt(fd, path.slice(slash(path) + 1), key));
function listXattrs(path: string): string[] {
  return withDir(path.slice(0, slash(path)), (fd) => listXattrAt(fd, path.slice(slash(path) + 1))).sort();
}

const base = mkdtempSync("/tmp/contain-test-unpack-");
const mounts: string[] = [];
afterAll(() => {
  for (const m of mounts.reverse()) Bun.spawnSync(["umount", "-l", m]);
  rmSync(base, { recursive: true, force: true });
});

// What no layer may touch: a canary tree beside the layers, and names in
// the host's / and /etc that a successful escape would create.
const outside = `${base}/outside`;
mkdirSync(outside);
writeFileSync(`${outside}/canary`, "canary\n");
chmodSync(`${outside}/canary`, 0o600);
const PWN = `contain-unpack-pwn-${process.pid}`;
const hostFiles = ["/etc/passwd", "/etc/shadow", `${outside}/canary`];
const hostState = () => ({
  outside: treeDigest(outside),
  files: hostFiles.map((f) => {
    const st = lstatSync(f);
    return [f, st.ino, st.nlink, st.mode, st.uid, st.mtimeMs, Bun.hash(readFileSync(f)).toString(16), listXattrs(f)];
  }),
  created: [`/${PWN}`, `/etc/${PWN}`, `/tmp/${PWN}`, `${base}/${PWN}`, `${base}/layers/${PWN}`].filter((p) => existsSync(p)),
  base: readdirSync(base).sort(),
});
const before = hostState();

// The layers, each in a fresh directory as the store makes it: under a 0700
// parent, itself empty.
mkdirSync(`${base}/layers`, { mode: 0o700 });
let serial = 0;
const fresh = () => {
  const dir = `${base}/layers/${serial++}`;
  mkdirSync(dir, { mode: 0o700 });
  return dir;
};

async function apply(layer: TarEntryInput[] | Uint8Array | AsyncIterable<Uint8Array>, dir = fresh()): Promise<{ dir: string; result: AppliedLayer }> {
  const source = Array.isArray(layer) ? [tarBytes(layer)] : layer instanceof Uint8Array ? [layer] : layer;
  return { dir, result: await applyLayer(source, dir, { label: "layer test" }) };
}

async function refused(layer: TarEntryInput[]): Promise<ContainError> {
  const err = await apply(layer).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ContainError);
  return err as ContainError;
}

const isWhiteout = (path: string) => {
  const st = lstatSync(path);
  return st.isCharacterDevice() && st.rdev === 0;
};

describe("hostile layers write and link nothing outside", () => {
  // After every case: the canary tree, the host's files and names unchanged.
  const untouched = () => expect(hostState()).toEqual({ ...before, base: ["layers", "outside"] });

  test("a name that climbs out by .. is refused, naming the entry", async () => {
    for (const path of [`../${PWN}`, `a/../../${PWN}`, `../../../../../../etc/${PWN}`, `/../${PWN}`]) {
      const err = await refused([{ path: "a", type: "dir" }, { path, data: "pwned" }]);
      expect(err.message).toBe(`layer test: entry ${JSON.stringify(path)} climbs out of the layer (..)`);
    }
    untouched();
  });

  test("an absolute name is taken inside the layer", async () => {
    const { dir } = await apply([{ path: `/etc/${PWN}`, data: "inside" }]);
    expect(readFileSync(`${dir}/etc/${PWN}`, "utf8")).toBe("inside");
    untouched();
  });

  test("a symlink to /etc, then an entry under it: resolved in the layer's own /etc", async () => {
    const { dir } = await apply([{ path: "etc", type: "dir" }, { path: "a", type: "symlink", linkpath: "/etc" }, { path: `a/${PWN}`, data: "inside" }]);
    expect(readFileSync(`${dir}/etc/${PWN}`, "utf8")).toBe("inside");
    expect(readlinkSync(`${dir}/a`)).toBe("/etc");
    // Without an etc of its own, the name leads nowhere: refused.
    const err = await refused([{ path: "a", type: "symlink", linkpath: "/etc" }, { path: `a/${PWN}`, data: "pwned" }]);
    expect(err.message).toContain(`entry "a/${PWN}"`);
    untouched();
  });

  test("a symlink that climbs (../../..), then an entry under it: stopped at the layer's root", async () => {
    const { dir } = await apply([{ path: "a", type: "symlink", linkpath: "../../.." }, { path: `a/${PWN}`, data: "inside" }]);
    expect(readFileSync(`${dir}/${PWN}`, "utf8")).toBe("inside");
    const err = await refused([{ path: "up", type: "symlink", linkpath: `../../../../../..${outside}` }, { path: "up/canary", data: "pwned" }]);
    expect(err.message).toContain('entry "up/canary"');
    await refused([{ path: "abs", type: "symlink", linkpath: outside }, { path: "abs/canary", data: "pwned" }]);
    untouched();
  });

  test("a hard link to a host file is refused, however it is named", async () => {
    for (const linkpath of ["../../etc/shadow", "/etc/shadow", `${outside}/canary`, "a/../../../etc/passwd"]) {
      const err = await refused([{ path: "a", type: "dir" }, { path: "h", type: "link", linkpath }]);
      expect(err.message).toMatch(/^layer test: entry "h" is a hard link to .*, which (climbs out of|is not in) the layer$/);
    }
    // Through a symlinked directory: d -> /etc is the layer's /etc, which has no passwd.
    const err = await refused([{ path: "d", type: "symlink", linkpath: "/etc" }, { path: "h", type: "link", linkpath: "d/passwd" }]);
    expect(err.message).toContain("which is not in the layer");
    untouched();
  });

  test("a hard link through a symlinked directory links the layer's own file", async () => {
    const { dir } = await apply([{ path: "etc/passwd", data: "layer's\n" }, { path: "d", type: "symlink", linkpath: "/etc" }, { path: "h", type: "link", linkpath: "d/passwd" }]);
    expect(statSync(`${dir}/h`).ino).toBe(statSync(`${dir}/etc/passwd`).ino);
    untouched();
  });

  test("a hard link to a symlink that points out links the symlink itself", async () => {
    const { dir } = await apply([{ path: "m", type: "symlink", linkpath: `${outside}/canary` }, { path: "m2", type: "link", linkpath: "m" }]);
    expect(lstatSync(`${dir}/m2`).isSymbolicLink()).toBe(true);
    expect(lstatSync(`${dir}/m2`).ino).toBe(lstatSync(`${dir}/m`).ino);
    untouched();
  });

  test("a whiteout that names no single entry, or climbs, is refused", async () => {
    for (const path of [".wh...", "a/.wh..", "a/.wh.", `../.wh.${PWN}`]) {
      const err = await refused([{ path: "a", type: "dir" }, { path }]);
      expect(err.message).toContain(`entry ${JSON.stringify(path)}`);
    }
    // Under a symlink to /etc: the layer's /etc, or nothing.
    await refused([{ path: "a", type: "symlink", linkpath: "/etc" }, { path: "a/.wh.passwd" }]);
    const { dir } = await apply([{ path: "etc", type: "dir" }, { path: "a", type: "symlink", linkpath: "/etc" }, { path: "a/.wh.passwd" }]);
    expect(isWhiteout(`${dir}/etc/passwd`)).toBe(true);
    untouched();
  });

  test("an entry over a symlink to a host file replaces the link, never writes through it", async () => {
    const { dir } = await apply([
      { path: "f", type: "symlink", linkpath: `${outside}/canary` },
      { path: "f", data: "pwned", mode: 0o777, uid: 4242 },
      { path: "g", type: "symlink", linkpath: "../../outside/canary" },
      { path: "g", data: "pwned" },
      { path: "n", type: "symlink", linkpath: `${outside}/canary` },
      { path: "n", type: "char", devmajor: 1, devminor: 3 },
      { path: "d", type: "symlink", linkpath: outside },
      { path: "d", type: "dir", mode: 0o777 },
      { path: "d/canary", data: "inside" },
      { path: "l", type: "symlink", linkpath: `${outside}/canary` },
      { path: "l", type: "link", linkpath: "f" },
    ]);
    expect(lstatSync(`${dir}/f`).isFile()).toBe(true);
    expect(readFileSync(`${dir}/f`, "utf8")).toBe("pwned");
    expect(readFileSync(`${dir}/g`, "utf8")).toBe("pwned");
    expect(lstatSync(`${dir}/n`).isCharacterDevice()).toBe(true);
    expect(lstatSync(`${dir}/d`).isDirectory()).toBe(true);
    expect(readFileSync(`${dir}/d/canary`, "utf8")).toBe("inside");
    expect(lstatSync(`${dir}/l`).ino).toBe(lstatSync(`${dir}/f`).ino);
    untouched();
  });

  test("a symlink's owner, times and xattrs land on the link, not its target", async () => {
    const { dir } = await apply([{ path: "m", type: "symlink", linkpath: `${outside}/canary`, uid: 4242, gid: 4343, mtime: 1234, xattrs: { "trusted.note": "on the link" } }]);
    const st = lstatSync(`${dir}/m`);
    expect([st.uid, st.gid, st.mtimeMs]).toEqual([4242, 4343, 1234000]);
    expect(new TextDecoder().decode(xattr(`${dir}/m`, "trusted.note"))).toBe("on the link");
    untouched();
  });

  test("a NUL in a pax name is refused", async () => {
    expect((await refused([{ path: "x", pax: { path: `a\0/../../${PWN}` } }])).message).toContain("NUL byte");
    untouched();
  });

  test("entries naming the layer's root are passed over, whatever their type", async () => {
    const { dir } = await apply([{ path: "./", type: "dir", mode: 0o777, uid: 4242, mtime: 5 }, { path: ".", type: "symlink", linkpath: "/etc" }, { path: "/", data: "x" }, { path: "kept", data: "" }]);
    const st = lstatSync(dir);
    expect([st.isDirectory(), st.mode & 0o7777, st.uid]).toEqual([true, 0o700, 0]);
    expect(readdirSync(dir)).toEqual(["kept"]);
    untouched();
  });

  test("a layer's overlayfs xattrs are dropped (its whiteouts say opaque), and reported", async () => {
    const { dir, result } = await apply([{ path: "d", type: "dir", xattrs: { "trusted.overlay.redirect": "/etc", "trusted.overlay.opaque": "y", "user.ok": "1" } }]);
    expect(listXattrs(`${dir}/d`)).toEqual(["user.ok"]);
    expect(result.skipped.map((s) => s.reason)).toEqual(["the xattr trusted.overlay.redirect (overlayfs's own)", "the xattr trusted.overlay.opaque (overlayfs's own)"]);
    untouched();
  });
});

describe("whiteouts", () => {
  test("in overlayfs's form, hiding lower files in a real overlay mount", async () => {
    const { dir: lower } = await apply([
      { path: "a/x", data: "x" },
      { path: "a/y", data: "y" },
      { path: "b/z", data: "z" },
      { path: "c/old", data: "old" },
      { path: "c/sub/deep", data: "deep" },
      { path: "e", data: "e" },
    ]);
    const { dir: upper } = await apply([
      { path: ".wh.b" },
      { path: "a/.wh.x" },
      { path: "c", type: "dir" },
      { path: "c/.wh..wh..opq" },
      { path: "c/new", data: "new" },
      { path: "e", data: "replaced" },
      { path: "made", data: "1" },
      { path: ".wh.made" }, // the same layer's own file, removed by its whiteout
    ]);
    expect(isWhiteout(`${upper}/b`)).toBe(true);
    expect(isWhiteout(`${upper}/a/x`)).toBe(true);
    expect(isWhiteout(`${upper}/made`)).toBe(true);
    expect(new TextDecoder().decode(xattr(`${upper}/c`, "trusted.overlay.opaque"))).toBe("y");
    expect(readdirSync(`${upper}/c`)).toEqual(["new"]);

    const mnt = `${base}/mnt`;
    mkdirSync(mnt);
    const m = Bun.spawnSync(["mount", "-t", "overlay", "overlay", "-o", `lowerdir=${upper}:${lower}`, mnt]);
    expect(m.stderr.toString()).toBe("");
    mounts.push(mnt);
    try {
      expect(readdirSync(mnt).sort()).toEqual(["a", "c", "e"]);
      expect(readdirSync(`${mnt}/a`)).toEqual(["y"]);
      expect(readdirSync(`${mnt}/c`)).toEqual(["new"]);
      expect(readFileSync(`${mnt}/e`, "utf8")).toBe("replaced");
    } finally {
      expect(Bun.spawnSync(["umount", mnt]).exitCode).toBe(0);
      mounts.pop();
    }
  });

  test("aufs bookkeeping is passed over and reported", async () => {
    const { dir, result } = await apply([{ path: ".wh..wh.plnk", type: "dir" }, { path: ".wh..wh.plnk/123.456", data: "" }, { path: "kept", data: "" }]);
    expect(readdirSync(dir)).toEqual(["kept"]);
    expect(result.skipped).toEqual([
      { path: ".wh..wh.plnk/", reason: "aufs metadata" },
      { path: ".wh..wh.plnk/123.456", reason: "aufs metadata" },
    ]);
  });
});

describe("what a layer keeps", () => {
  const cap = new Uint8Array([1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // cap_net_raw=ep, VFS_CAP_REVISION_2

  test("owners, set-id and sticky modes, times, xattrs, devices, fifos, hard and symbolic links", async () => {
    const { dir, result } = await apply([
      { path: "usr/bin/su", data: "#!/bin/sh\n", mode: 0o4755, uid: 0, gid: 0, mtime: 1600000000 },
      { path: "usr/bin/ping", data: "elf", mode: 0o755, uid: 1234, gid: 2345, mtime: 1600000001.5, xattrs: { "security.capability": cap, "user.comment": "pings" } },
      { path: "usr/bin/sg", data: "sg", mode: 0o2711, uid: 5, gid: 6 },
      { path: "tmp", type: "dir", mode: 0o1777, mtime: 1500000000 },
      { path: "srv", type: "dir", mode: 0o2775, uid: 1000, gid: 1000, mtime: 1500000001 },
      { path: "ro", type: "dir", mode: 0o555, mtime: 1500000002 },
      { path: "ro/inside", data: "a 0555 directory still takes its children" },
      { path: "dev/null", type: "char", devmajor: 1, devminor: 3, mode: 0o666, mtime: 10 },
      { path: "dev/loop0", type: "block", devmajor: 7, devminor: 0, mode: 0o660, gid: 6 },
      { path: "dev/big", type: "char", devmajor: 511, devminor: 70000 },
      { path: "run/fifo", type: "fifo", mode: 0o620, uid: 7 },
      { path: "usr/bin/su2", type: "link", linkpath: "usr/bin/su" },
      { path: "bin", type: "symlink", linkpath: "usr/bin", mtime: 99 },
      { path: "abs", type: "symlink", linkpath: "/nowhere/../at all" },
    ]);
    const st = (p: string) => lstatSync(`${dir}/${p}`);
    expect([st("usr/bin/su").mode & 0o7777, st("usr/bin/su").mtimeMs]).toEqual([0o4755, 1600000000_000]);
    expect([st("usr/bin/ping").uid, st("usr/bin/ping").gid, st("usr/bin/ping").mode & 0o7777]).toEqual([1234, 2345, 0o755]);
    expect(statSync(`${dir}/usr/bin/ping`, { bigint: true }).mtimeNs).toBe(1600000001_500000000n);
    // After the chown and the write, which would have cleared it.
    expect(xattr(`${dir}/usr/bin/ping`, "security.capability")).toEqual(cap);
    expect(Bun.spawnSync(["getcap", `${dir}/usr/bin/ping`]).stdout.toString()).toContain("cap_net_raw=ep");
    expect(new TextDecoder().decode(xattr(`${dir}/usr/bin/ping`, "user.comment"))).toBe("pings");
    expect([st("usr/bin/sg").mode & 0o7777, st("usr/bin/sg").uid, st("usr/bin/sg").gid]).toEqual([0o2711, 5, 6]);
    expect([st("tmp").mode & 0o7777, st("tmp").mtimeMs]).toEqual([0o1777, 1500000000_000]);
    expect([st("srv").mode & 0o7777, st("srv").uid, st("srv").mtimeMs]).toEqual([0o2775, 1000, 1500000001_000]);
    expect([st("ro").mode & 0o7777, st("ro").mtimeMs]).toEqual([0o555, 1500000002_000]);
    expect(readFileSync(`${dir}/ro/inside`, "utf8")).toContain("still takes");
    expect([st("dev/null").isCharacterDevice(), st("dev/null").rdev, st("dev/null").mode & 0o7777, st("dev/null").mtimeMs]).toEqual([true, 0x103, 0o666, 10_000]);
    expect([st("dev/loop0").isBlockDevice(), st("dev/loop0").rdev, st("dev/loop0").mode & 0o7777, st("dev/loop0").gid]).toEqual([true, 0x700, 0o660, 6]);
    const big = st("dev/big").rdev;
    expect([(big >> 8) & 0xfff, (big & 0xff) | ((big >> 12) & ~0xff)]).toEqual([511, 70000]);
    expect([st("run/fifo").isFIFO(), st("run/fifo").mode & 0o7777, st("run/fifo").uid]).toEqual([true, 0o620, 7]);
    expect(st("usr/bin/su2").ino).toBe(st("usr/bin/su").ino);
    expect(st("usr/bin/su").nlink).toBe(2);
    expect([readlinkSync(`${dir}/bin`), st("bin").mtimeMs]).toEqual(["usr/bin", 99_000]);
    expect(readlinkSync(`${dir}/abs`)).toBe("/nowhere/../at all");
    // Parents the archive does not list: 0755, root's.
    expect([st("dev").mode & 0o7777, st("dev").uid]).toEqual([0o755, 0]);
    expect(result.size).toBe(10 + 3 + 2 + 41);
    expect(result.skipped).toEqual([]);
  });

  test("a later entry replaces an earlier one; a directory over a directory keeps its children", async () => {
    const { dir } = await apply([
      { path: "f", data: "first" },
      { path: "f", data: "second" },
      { path: "fd", data: "a file" },
      { path: "fd", type: "dir" },
      { path: "fd/in", data: "in" },
      { path: "df", type: "dir" },
      { path: "df/gone", data: "gone" },
      { path: "df", data: "now a file" },
      { path: "dd", type: "dir", mode: 0o700 },
      { path: "dd/kept", data: "kept" },
      { path: "dd", type: "dir", mode: 0o750, uid: 33, mtime: 5 },
      { path: "self", data: "linked to itself" },
      { path: "self", type: "link", linkpath: "./self" },
      // The same in a subdirectory, whose held fd must outlive the removal.
      { path: "s/f", data: "first" },
      { path: "s/f", data: "second" },
      { path: "s/d/x", data: "x" },
      { path: "s/d", type: "char", devmajor: 1, devminor: 3 },
      { path: "s/w", data: "w" },
      { path: "s/.wh.w" },
      { path: "s/h", data: "h" },
      { path: "s/h", type: "link", linkpath: "s/f" },
      { path: "s/after", data: "after" },
    ]);
    expect(readFileSync(`${dir}/s/f`, "utf8")).toBe("second");
    expect(lstatSync(`${dir}/s/d`).isCharacterDevice()).toBe(true);
    expect(isWhiteout(`${dir}/s/w`)).toBe(true);
    expect(lstatSync(`${dir}/s/h`).ino).toBe(lstatSync(`${dir}/s/f`).ino);
    expect(readFileSync(`${dir}/s/after`, "utf8")).toBe("after");
    expect(readFileSync(`${dir}/f`, "utf8")).toBe("second");
    expect(readFileSync(`${dir}/fd/in`, "utf8")).toBe("in");
    expect(readFileSync(`${dir}/df`, "utf8")).toBe("now a file");
    expect(readdirSync(`${dir}/dd`)).toEqual(["kept"]);
    const dd = lstatSync(`${dir}/dd`);
    expect([dd.mode & 0o7777, dd.uid, dd.mtimeMs]).toEqual([0o750, 33, 5000]);
    expect(readFileSync(`${dir}/self`, "utf8")).toBe("linked to itself");
  });

  test("GNU tar's archives (pax with xattrs, and gnu), hard links, long names: the same tree as the source", async () => {
    // Archived as ./top/...: the layer's root entry is passed over, its top directory kept.
    const src = `${base}/src/top`;
    const long = `${src}/${"long-directory-name/".repeat(8)}${"f".repeat(120)}`;
    mkdirSync(long.slice(0, long.lastIndexOf("/")), { recursive: true });
    writeFileSync(long, "long");
    writeFileSync(`${src}/setuid`, "s");
    chownSync(`${src}/setuid`, 1001, 1002);
    chmodSync(`${src}/setuid`, 0o4750);
    linkSync(`${src}/setuid`, `${src}/hard`);
    symlinkSync(`../${"l".repeat(150)}`, `${src}/longlink`);
    Bun.spawnSync(["setcap", "cap_net_bind_service=ep", `${src}/setuid`]);
    Bun.spawnSync(["mkfifo", `${src}/fifo`]);
    mkdirSync(`${src}/dir`, { mode: 0o700 });
    writeFileSync(`${src}/dir/file`, Buffer.alloc(100_000, 7));
    // Whole seconds: the gnu format has no fractions.
    Bun.spawnSync(["find", src, "-depth", "-exec", "touch", "-h", "-d", "@1700000000", "{}", "+"]);
    utimesSync(`${src}/dir`, 1111, 2222);
    for (const format of ["pax", "gnu"]) {
      const file = `${base}/src-${format}.tar`;
      const r = Bun.spawnSync(["tar", `--format=${format}`, ...(format === "pax" ? ["--xattrs", "--xattrs-include=*"] : []), "--numeric-owner", "-C", `${base}/src`, "-cf", file, "."]);
      expect(r.stderr.toString()).toBe("");
      const { dir: layer, result } = await apply(Bun.file(file).stream());
      const dir = `${layer}/top`;
      expect(treeDigest(dir)).toBe(treeDigest(src));
      expect(lstatSync(`${dir}/hard`).ino).toBe(lstatSync(`${dir}/setuid`).ino);
      if (format === "pax") expect(listXattrs(`${dir}/setuid`)).toEqual(["security.capability"]);
      // tar pads to its 10 KiB record: the digest is of all of it.
      expect(result.diffId).toBe(`sha256:${Bun.spawnSync(["sha256sum", file]).stdout.toString().split(" ")[0]}`);
    }
  });
});

describe("compressed layers and the diff ID", () => {
  const entries: TarEntryInput[] = [{ path: "etc/os-release", data: "NAME=test\n".repeat(100) }, { path: "bin/sh", type: "symlink", linkpath: "busybox" }];
  const tar = tarBytes(entries);
  const sha256sum = (data: Uint8Array) => `sha256:${Bun.spawnSync(["sha256sum"], { stdin: data }).stdout.toString().split(" ")[0]}`;

  test("gzip and zstd layers, from files as the store has them; the diff ID is sha256sum of the tar", async () => {
    const want = sha256sum(tar);
    for (const [name, data] of [
      ["plain", tar],
      ["gzip", Bun.gzipSync(tar)],
      ["zstd", Bun.zstdCompressSync(tar)],
    ] as const) {
      const file = `${base}/layer.${name}`;
      writeFileSync(file, data);
      const { dir, result } = await apply(Bun.file(file).stream());
      expect([name, result.diffId]).toEqual([name, want]);
      expect(readFileSync(`${dir}/etc/os-release`, "utf8")).toStartWith("NAME=test");
    }
  });

  test("xz is refused with the way out", async () => {
    const xz = Bun.spawnSync(["xz", "-c"], { stdin: tar }).stdout;
    const err = await apply(new Uint8Array(xz)).catch((e: unknown) => e as ContainError);
    expect(err).toBeInstanceOf(ContainError);
    expect((err as ContainError).message).toBe("layer test is xz-compressed, which contain cannot decompress");
    expect((err as ContainError).hint).toContain("xz -d FILE");
  });

  test("a damaged gzip layer is refused, naming the layer", async () => {
    const gz = Bun.gzipSync(tar);
    gz[gz.length - 5] = (gz[gz.length - 5] ?? 0) ^ 0xff; // the CRC
    const err = await apply(new Uint8Array(gz)).catch((e: unknown) => e as ContainError);
    expect((err as ContainError).message).toStartWith("layer test: the gzip data is damaged");
  });
});

describe("speed and memory", () => {
  test("3000 small files unpack in well under a second", async () => {
    const entries: TarEntryInput[] = [];
    for (let d = 0; d < 100; d++) {
      entries.push({ path: `usr/share/d${d}`, type: "dir" });
      for (let f = 0; f < 30; f++) entries.push({ path: `usr/share/d${d}/file${f}`, data: `${d}/${f}\n`.repeat(20), mtime: 1700000000 });
    }
    const gz = Bun.gzipSync(tarBytes(entries));
    // On a tmpfs: the code's time, not this VM's disk (whose file creations
    // alone take from 30 ms to 1 s for these, as the load of the day goes).
    const dir = fresh();
    expect(Bun.spawnSync(["mount", "-t", "tmpfs", "tmpfs", dir]).exitCode).toBe(0);
    mounts.push(dir);
    try {
      const t0 = performance.now();
      await apply(new Uint8Array(gz), dir);
      const ms = performance.now() - t0;
      console.error(`[unpack] 3000 files (${gz.length} bytes gzipped) in ${ms.toFixed(0)} ms`);
      expect(readdirSync(`${dir}/usr/share/d99`).length).toBe(30);
      expect(ms).toBeLessThan(1000); // ~100 ms when the machine is quiet
    } finally {
      expect(Bun.spawnSync(["umount", dir]).exitCode).toBe(0);
      mounts.pop();
    }
  });

  test("a 100 MB layer streams through in flat memory, its diff ID computed on the way", async () => {
    const MB = 1 << 20;
    const piece = new Uint8Array(MB).map((_, i) => (i * 31) & 0xff);
    async function* data() {
      for (let i = 0; i < 100; i++) yield piece;
    }
    const hasher = new Bun.CryptoHasher("sha256");
    async function* layer() {
      const files: TarStreamInput[] = [{ path: "big", data: data(), size: 100 * MB }, { path: "after", data: "after" }];
      for await (const chunk of tarChunks(files)) {
        hasher.update(chunk);
        yield chunk;
      }
    }
    Bun.gc(true);
    const rss = process.memoryUsage().rss;
    const t0 = performance.now();
    const { dir, result } = await apply(layer());
    const grew = (process.memoryUsage().rss - rss) / MB;
    console.error(`[unpack] 100 MB layer in ${(performance.now() - t0).toFixed(0)} ms, RSS +${grew.toFixed(0)} MB`);
    expect(result.diffId).toBe(`sha256:${hasher.digest("hex")}`);
    expect(statSync(`${dir}/big`).size).toBe(100 * MB);
    expect(result.size).toBe(100 * MB + 5);
    expect(grew).toBeLessThan(50);
    rmSync(`${dir}/big`);
  });
});
