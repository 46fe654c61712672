// The tar reader and writer, and compression by magic bytes: headers built
// here by hand (an encoder apart from the writer's, so the two check each
// other), ustar prefixes, GNU long names and base-256 numbers, pax records
// local and global, hostile or cut archives, and writer -> reader round
// trips fed in every chunking.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ContainError } from "../../src/errors.ts";
import { decompress, detectCompression, fileChunks } from "../../src/image/compression.ts";
import { readTar, tarBytes, tarChunks, TarParser, type TarEntryInput, type TarHeader } from "../../src/image/tar.ts";
import { layerPath } from "../../src/image/unpack.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

interface Raw {
  name?: string;
  typeflag?: string;
  size?: number;
  mode?: number;
  uid?: number | Uint8Array; // bytes: the field as is (base-256)
  mtime?: number | Uint8Array;
  linkname?: string;
  prefix?: string;
  magic?: "ustar" | "gnu" | "v7";
}

// One header block, the checksum computed as POSIX says.
function rawHeader(h: Raw): Uint8Array {
  const b = new Uint8Array(512);
  const put = (at: number, s: string) => b.set(enc.encode(s), at);
  const octal = (at: number, width: number, v: number | Uint8Array) => (typeof v === "number" ? put(at, `${v.toString(8).padStart(width - 1, "0")}\0`) : b.set(v, at));
  put(0, h.name ?? "file");
  octal(100, 8, h.mode ?? 0o644);
  octal(108, 8, h.uid ?? 0);
  octal(116, 8, 0);
  octal(124, 12, h.size ?? 0);
  octal(136, 12, h.mtime ?? 0);
  put(156, h.typeflag ?? "0");
  put(157, h.linkname ?? "");
  if (h.magic === "gnu") put(257, "ustar  \0");
  else if (h.magic !== "v7") put(257, "ustar\x0000");
  put(345, h.prefix ?? "");
  b.fill(0x20, 148, 156);
  put(148, `${b.reduce((s, x) => s + x, 0).toString(8).padStart(6, "0")}\0 `);
  return b;
}

const pad = (data: Uint8Array) => {
  const b = new Uint8Array(Math.ceil(data.length / 512) * 512);
  b.set(data);
  return b;
};
const entry = (h: Raw, data: Uint8Array = new Uint8Array(0)) => [rawHeader({ ...h, size: data.length }), pad(data)];
const archive = (...parts: Uint8Array[][]) => Buffer.concat([...parts.flat(), new Uint8Array(1024)]);

function paxBody(records: [string, string | Uint8Array][]): Uint8Array {
  return Buffer.concat(
    records.map(([k, v]) => {
      const value = typeof v === "string" ? enc.encode(v) : v;
      const rest = enc.encode(` ${k}=`).length + value.length + 1;
      let n = rest + 1;
      while (String(n).length + rest !== n) n = String(n).length + rest;
      return Buffer.concat([enc.encode(`${n} ${k}=`), value, enc.encode("\n")]);
    }),
  );
}

type Read = TarHeader & { content: string };

// Every entry and its data, the archive pushed in pieces of `step` bytes.
function parse(tar: Uint8Array, step = tar.length): Read[] {
  const out: Read[] = [];
  let parts: Uint8Array[] = [];
  const p = new TarParser({
    entry: (h) => {
      out.push({ ...h, content: "" });
      parts = [];
    },
    data: (c) => parts.push(c.slice()),
    end: () => {
      const last = out[out.length - 1];
      if (last) last.content = dec.decode(Buffer.concat(parts));
    },
  });
  for (let at = 0; at < tar.length; at += step) p.push(tar.subarray(at, at + step));
  p.finish();
  return out;
}

const failure = (fn: () => unknown): ContainError => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ContainError);
    return err as ContainError;
  }
  throw new Error("expected a failure");
};

describe("reading", () => {
  test("a ustar file, directory and symlink, with the prefix field joined to the name", () => {
    const long = `${"p".repeat(120)}/dir`;
    const tar = archive(
      entry({ name: "etc/", typeflag: "5", mode: 0o755 }),
      entry({ name: "hostname", prefix: long, mode: 0o4755, uid: 1000, mtime: 1700000000 }, enc.encode("box\n")),
      entry({ name: "sh", typeflag: "2", linkname: "/bin/busybox", mode: 0o777 }),
    );
    const [dir, file, link] = parse(tar);
    expect(dir).toMatchObject({ path: "etc/", type: "dir", mode: 0o755 });
    expect(file).toMatchObject({ path: `${long}/hostname`, type: "file", mode: 0o4755, uid: 1000, mtime: 1700000000, mtimeNs: 1700000000_000000000n, size: 4, content: "box\n" });
    expect(link).toMatchObject({ path: "sh", type: "symlink", linkpath: "/bin/busybox" });
  });

  test("GNU's prefix bytes are not a prefix, and its L and K records name the next entry", () => {
    const name = `${"n".repeat(300)}/file`;
    const target = `/${"t".repeat(200)}`;
    const tar = archive(
      entry({ name: "././@LongLink", typeflag: "L", magic: "gnu" }, enc.encode(`${name}\0`)),
      entry({ name: "n".repeat(99), typeflag: "0", magic: "gnu", prefix: "ignored" }, enc.encode("data")),
      entry({ name: "././@LongLink", typeflag: "K", magic: "gnu" }, enc.encode(`${target}\0`)),
      entry({ name: "link", typeflag: "2", magic: "gnu", linkname: "t".repeat(100) }),
      entry({ name: "plain", magic: "gnu", prefix: "not-a-prefix" }),
    );
    const got = parse(tar);
    expect(got.map((e) => [e.path, e.linkpath, e.content])).toEqual([
      [name, "", "data"],
      ["link", target, ""],
      ["plain", "", ""],
    ]);
  });

  test("base-256 numbers: a uid beyond octal's 8 digits and a negative mtime", () => {
    const uid = new Uint8Array(8);
    uid[0] = 0x80;
    new DataView(uid.buffer).setUint32(4, 3_000_000_000);
    const mtime = new Uint8Array(12).fill(0xff); // -1
    const [e] = parse(archive(entry({ name: "f", uid, mtime })));
    expect(e?.uid).toBe(3_000_000_000);
    expect(e?.mtime).toBe(-1);
  });

  test("pax records: path, linkpath, size, ids, names, times with a fraction, binary xattrs", () => {
    const cap = new Uint8Array([1, 0, 0, 2, 0x0a, 0, 0x3d, 0x20, 0]); // newline, '=', space, NUL inside
    const data = enc.encode("hello pax");
    const body = paxBody([
      ["path", "ünïcode/" + "x".repeat(150)],
      ["uid", "4000000000"],
      ["gid", "77"],
      ["uname", "someone"],
      ["mtime", "1700000000.123456789"],
      ["atime", "1600000000.5"],
      ["SCHILY.xattr.security.capability", cap],
      ["SCHILY.xattr.user.note", "hi"],
      ["size", String(data.length)],
      ["comment", "kept as a record"],
    ]);
    const tar = archive(entry({ name: "PaxHeader/x", typeflag: "x" }, body), [rawHeader({ name: "short", size: 0 }), pad(data)]);
    const [e] = parse(tar);
    expect(e).toMatchObject({ path: "ünïcode/" + "x".repeat(150), uid: 4_000_000_000, gid: 77, uname: "someone", size: data.length, content: "hello pax" });
    expect(e?.mtimeNs).toBe(1700000000_123456789n);
    expect(e?.atimeNs).toBe(1600000000_500000000n);
    expect(e?.xattrs["security.capability"]).toEqual(cap);
    expect(dec.decode(e?.xattrs["user.note"])).toBe("hi");
    expect(e?.pax.comment).toBe("kept as a record");
  });

  test("a global pax header applies to every later entry, under each entry's own; its path does not", () => {
    const tar = archive(
      entry({ name: "pax_global_header", typeflag: "g" }, paxBody([["uid", "500"], ["path", "everything"], ["mtime", "42"]])),
      entry({ name: "a" }),
      entry({ name: "PaxHeader/b", typeflag: "x" }, paxBody([["uid", "600"]])),
      entry({ name: "b", uid: 7 }),
      entry({ name: "PaxHeader/c", typeflag: "x" }, paxBody([["uid", ""]])), // empty: back to the header's
      entry({ name: "c", uid: 8 }),
    );
    expect(parse(tar).map((e) => [e.path, e.uid, e.mtime])).toEqual([
      ["a", 500, 42],
      ["b", 600, 42],
      ["c", 8, 42],
    ]);
  });

  test("unknown and unsupported types are entries with a reason, their data passed over", () => {
    const tar = archive(entry({ name: "vol", typeflag: "V" }), entry({ name: "sparse", typeflag: "S" }, enc.encode("x".repeat(700))), entry({ name: "odd", typeflag: "Z" }), entry({ name: "after" }, enc.encode("ok")));
    const got = parse(tar, 100);
    expect(got.map((e) => [e.path, e.type, e.reason])).toEqual([
      ["vol", "unsupported", "a GNU volume label"],
      ["sparse", "unsupported", "a GNU sparse file"],
      ["odd", "unsupported", 'an entry of unknown type "Z"'],
      ["after", "file", undefined],
    ]);
    expect(got[3]?.content).toBe("ok");
  });

  test("a v7 plain file whose name ends in / is a directory; type 7 is a regular file", () => {
    const got = parse(archive(entry({ name: "old/", typeflag: "\0", magic: "v7" }), entry({ name: "contig", typeflag: "7" })));
    expect(got.map((e) => e.type)).toEqual(["dir", "file"]);
  });

  test("the archive ends at the first zero block; what follows is not read", () => {
    const tar = Buffer.concat([...entry({ name: "a" }), new Uint8Array(512), ...entry({ name: "hidden" }), new Uint8Array(1024)]);
    expect(parse(tar).map((e) => e.path)).toEqual(["a"]);
    // No end blocks at all (an archive cut at an entry boundary) is an end too.
    expect(parse(Buffer.concat(entry({ name: "a" }))).map((e) => e.path)).toEqual(["a"]);
  });

  test("a bad checksum, a cut entry, a non-octal field and an oversized pax record are refused", () => {
    const good = archive(entry({ name: "f" }, enc.encode("x".repeat(600))));
    const bad = new Uint8Array(good);
    bad[10] = 0x41;
    expect(failure(() => parse(bad)).message).toContain("checksum does not match (the header at byte 0)");
    expect(failure(() => parse(good.subarray(0, 800))).message).toContain("ends in the middle of an entry");
    expect(failure(() => parse(good.subarray(0, 300))).message).toContain("ends in the middle of an entry");
    const garbage = rawHeader({ name: "f" });
    garbage.set(enc.encode("12x4"), 124);
    garbage.fill(0x20, 148, 156);
    garbage.set(enc.encode(`${garbage.reduce((s, x) => s + x, 0).toString(8).padStart(6, "0")}\0 `), 148);
    expect(failure(() => parse(archive([garbage]))).message).toContain("the size field is not an octal number");
    expect(failure(() => parse(archive([rawHeader({ name: "x", typeflag: "x", size: 2 << 20 })]))).message).toContain("the pax and long-name records of one entry exceed 1048576 bytes");
    // Many records, each small enough, ahead of one entry or global.
    const many = (typeflag: string) => Array.from({ length: 5 }, () => entry({ name: "L", typeflag }, new Uint8Array(300_000).fill(0x61)));
    expect(failure(() => parse(archive(...many("L"), entry({ name: "f" })))).message).toContain("records of one entry exceed");
    const globals = Array.from({ length: 5 }, (_, i) => entry({ name: "g", typeflag: "g" }, paxBody([[`k${i}`, "v".repeat(300_000)]])));
    expect(failure(() => parse(archive(...globals))).message).toContain("global pax records exceed");
    expect(failure(() => parse(archive(entry({ name: "x", typeflag: "x" }, enc.encode("99 path=a\n"))))).message).toContain("pax record is malformed");
    expect(failure(() => parse(enc.encode("this is not a tar archive".padEnd(600, "!")))).message).toContain("not a tar archive");
  });
});

describe("writing", () => {
  const entries: TarEntryInput[] = [
    { path: "root", type: "dir", mode: 0o700, uid: 0, gid: 0, mtime: 1 },
    { path: "usr/bin/su", data: "#!/bin/sh\n", mode: 0o4755, uid: 0, gid: 0, mtime: 1700000000 },
    { path: `deep/${"d".repeat(120)}/${"e".repeat(90)}/f`, data: "ustar split" }, // fits prefix + name
    { path: `${"long/".repeat(80)}name`, data: "pax path" },
    { path: "l", type: "symlink", linkpath: `/${"target/".repeat(30)}` },
    { path: "h", type: "link", linkpath: "usr/bin/su" },
    { path: "dev/null", type: "char", devmajor: 1, devminor: 3, mode: 0o666 },
    { path: "dev/loop0", type: "block", devmajor: 7, devminor: 0 },
    { path: "dev/big", type: "char", devmajor: 3_000_000, devminor: 9 }, // base-256
    { path: "fifo", type: "fifo", mode: 0o600 },
    { path: "nobody", data: "ids", uid: 4_294_967_294, gid: 3_000_000_000 },
    { path: "when", data: "", mtime: 1700000000.25 },
    { path: "before", mtime: -86400 },
    { path: "caps", data: "x", xattrs: { "security.capability": new Uint8Array([1, 0, 0, 2, 10, 0]), "user.x": "y" } },
    { path: "named", uname: "u".repeat(40), gname: "g" },
    { path: "ünï", data: "utf-8" },
  ];

  test("what the writer writes, the reader reads back, fed in any chunking", () => {
    const tar = tarBytes(entries);
    expect(tar.length % 512).toBe(0);
    for (const step of [tar.length, 512, 100, 7, 1]) {
      const got = parse(tar, step);
      expect(got.length).toBe(entries.length);
      for (const [i, want] of entries.entries()) {
        const e = got[i] as Read;
        const type = want.type ?? "file";
        expect(e.path).toBe(type === "dir" ? `${want.path}/` : want.path);
        expect(e.type).toBe(type);
        expect(e.content).toBe(typeof want.data === "string" ? want.data : "");
        expect(e.mode).toBe(want.mode ?? (type === "dir" ? 0o755 : type === "symlink" ? 0o777 : 0o644));
        expect([e.uid, e.gid]).toEqual([want.uid ?? 0, want.gid ?? 0]);
        expect(e.mtime).toBe(want.mtime ?? 0);
        expect(e.linkpath).toBe(want.linkpath ?? "");
        expect([e.devmajor, e.devminor]).toEqual([want.devmajor ?? 0, want.devminor ?? 0]);
        expect(e.uname).toBe(want.uname ?? "");
        for (const [k, v] of Object.entries(want.xattrs ?? {})) expect(e.xattrs[k]).toEqual(typeof v === "string" ? enc.encode(v) : v);
      }
    }
  });

  test("pax headers only where ustar cannot hold an entry", () => {
    const kinds = (list: TarEntryInput[]) => {
      const tar = tarBytes(list);
      const flags: string[] = [];
      for (let at = 0; at < tar.length; ) {
        const block = tar.subarray(at, at + 512);
        if (block.every((b) => b === 0)) break;
        flags.push(String.fromCharCode(block[156] ?? 0));
        const size = parseInt(dec.decode(block.subarray(124, 135)), 8);
        at += 512 + Math.ceil(size / 512) * 512;
      }
      return flags.join("");
    };
    expect(kinds([{ path: "a/b", data: "x" }, { path: "d", type: "dir" }])).toBe("05");
    expect(kinds([{ path: "x".repeat(101) }])).toBe("x0");
    expect(kinds([{ path: "f", xattrs: { "user.a": "b" } }])).toBe("x0");
    expect(kinds([{ path: "f", uid: 1 << 22 }])).toBe("x0");
  });

  test("streamed data passes through, its size checked", async () => {
    async function* pieces() {
      yield enc.encode("abc");
      yield enc.encode("def");
    }
    const chunks: Uint8Array[] = [];
    for await (const c of tarChunks([{ path: "s", data: pieces(), size: 6 }, { path: "t", data: "inline" }])) chunks.push(c);
    expect(parse(Buffer.concat(chunks)).map((e) => e.content)).toEqual(["abcdef", "inline"]);
    const run = async (size: number) => {
      for await (const _ of tarChunks([{ path: "s", data: pieces(), size }]));
    };
    await expect(run(5)).rejects.toThrow("longer than the 5 bytes");
    await expect(run(9)).rejects.toThrow("ended after 6 of 9 bytes");
  });

  test("names with NUL bytes and links without targets are refused", () => {
    expect(() => tarBytes([{ path: "a\0b" }])).toThrow("NUL");
    expect(() => tarBytes([{ path: "l", type: "symlink" }])).toThrow("needs a linkpath");
  });
});

describe("readTar", () => {
  test("entries one at a time; unread data is skipped; bytes() reads an entry whole", async () => {
    const tar = tarBytes([
      { path: "skip", data: "x".repeat(5000) },
      { path: "read", data: "y".repeat(3000) },
      { path: "part", data: "z".repeat(3000) },
      { path: "last", data: "end" },
    ]);
    const chunks = Array.from({ length: Math.ceil(tar.length / 1000) }, (_, i) => tar.subarray(i * 1000, (i + 1) * 1000));
    const seen: string[] = [];
    for await (const e of readTar(chunks)) {
      if (e.path === "read") seen.push(`${e.path}:${(await e.bytes()).length}`);
      else if (e.path === "part") {
        for await (const c of e.data()) {
          seen.push(`${e.path}:${c.length}`);
          break;
        }
      } else if (e.path === "last") seen.push(`${e.path}:${dec.decode(await e.bytes())}`);
      else seen.push(e.path);
    }
    expect(seen[0]).toBe("skip");
    expect(seen[1]).toBe("read:3000");
    expect(seen[2]).toMatch(/^part:\d+$/);
    expect(seen[3]).toBe("last:end");
  });

  test("a cut archive fails the iteration", async () => {
    const tar = tarBytes([{ path: "a", data: "x".repeat(2000) }]);
    const run = async () => {
      for await (const e of readTar([tar.subarray(0, 1500)])) await e.bytes();
    };
    await expect(run()).rejects.toThrow("ends in the middle of an entry");
  });
});

describe("compression", () => {
  test("told by the first bytes", () => {
    const b = (...x: number[]) => new Uint8Array(x);
    expect(detectCompression(b(0x1f, 0x8b, 8, 0))).toBe("gzip");
    expect(detectCompression(b(0x28, 0xb5, 0x2f, 0xfd, 0))).toBe("zstd");
    expect(detectCompression(b(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00))).toBe("xz");
    expect(detectCompression(b(0x42, 0x5a, 0x68, 0x39))).toBe("bzip2");
    expect(detectCompression(b(0xfd, 0x37, 0x7a))).toBe("none"); // too short to be xz
    expect(detectCompression(tarBytes([{ path: "a" }]))).toBe("none");
    expect(detectCompression(b())).toBe("none");
  });

  const collect = async (chunks: AsyncIterable<Uint8Array>) => {
    const parts: Uint8Array[] = [];
    for await (const c of chunks) parts.push(c);
    return Buffer.concat(parts);
  };
  const tar = tarBytes([{ path: "f", data: "compressible ".repeat(1000) }]);
  const bytewise = (data: Uint8Array): Uint8Array[] => Array.from(data, (x) => new Uint8Array([x]));

  test("gzip, zstd and plain come out whole, the magic split across chunks too", async () => {
    for (const [kind, data] of [
      ["gzip", Bun.gzipSync(tar)],
      ["zstd", Bun.zstdCompressSync(tar)],
      ["none", tar],
    ] as const) {
      const whole = await decompress([data], "test");
      expect(whole.compression).toBe(kind);
      expect(await collect(whole.chunks)).toEqual(Buffer.from(tar));
      const split = await decompress(bytewise(data.subarray(0, 64)).concat([data.subarray(64)]), "test");
      expect(await collect(split.chunks)).toEqual(Buffer.from(tar));
    }
  });

  test("xz and bzip2 are refused with the way out", async () => {
    const xz = await decompress([new Uint8Array([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0, 0])], "layer sha256:abc").catch((e) => e as ContainError);
    expect(xz).toBeInstanceOf(ContainError);
    expect((xz as ContainError).message).toBe("layer sha256:abc is xz-compressed, which contain cannot decompress");
    expect((xz as ContainError).hint).toContain("xz -d FILE");
    const bz = await decompress([enc.encode("BZh91AY&SY")], "f.tar.bz2").catch((e) => e as ContainError);
    expect((bz as ContainError).hint).toContain("bzip2 -d FILE");
  });

  test("damaged data names the source; a failing source fails as itself", async () => {
    const gz = Bun.gzipSync(tar);
    const cut = await decompress([gz.subarray(0, gz.length - 20)], "layer L");
    await expect(collect(cut.chunks)).rejects.toThrow("layer L: the gzip data is damaged");
    async function* broken() {
      yield gz.subarray(0, 100);
      throw new Error("connection reset");
    }
    const failing = await decompress(broken(), "layer L");
    await expect(collect(failing.chunks)).rejects.toThrow("connection reset");
  });

  test("fileChunks: a file in pieces of its own, closed when the reading stops", async () => {
    const dir = mkdtempSync(join(tmpdir(), "contain-chunks-"));
    try {
      const path = join(dir, "blob");
      const data = Bun.gzipSync(tarBytes([{ path: "f", data: "x".repeat(100_000) }, { path: "g", data: crypto.getRandomValues(new Uint8Array(50_000)) }]));
      writeFileSync(path, data);
      const pieces: Uint8Array[] = [];
      for await (const c of fileChunks(path, 4096)) pieces.push(c);
      expect(Buffer.concat(pieces)).toEqual(Buffer.from(data));
      expect(pieces.every((p) => p.length <= 4096)).toBe(true);
      // Each its own buffer: a decompressor may hold one while the next is read.
      expect(new Set(pieces.map((p) => p.buffer)).size).toBe(pieces.length);
      expect(await collect((await decompress(fileChunks(path), "test")).chunks)).toEqual(Buffer.from(Bun.gunzipSync(data)));
      const fds = () => readdirSync("/proc/self/fd").length;
      const before = fds();
      for await (const _ of fileChunks(path, 4096)) break;
      expect(fds()).toBe(before);
      const missing = await collect(fileChunks(join(dir, "nothing"))).catch((e) => e as ContainError);
      expect(missing).toBeInstanceOf(ContainError);
      expect((missing as ContainError).message).toBe(`cannot open ${join(dir, "nothing")}: no such file or directory (ENOENT)`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("layerPath", () => {
  test("names inside the layer; those that climb out are null", () => {
    const cases: [string, string | null][] = [
      ["a/b", "a/b"],
      ["./a/b/", "a/b"],
      ["/etc/passwd", "etc/passwd"],
      ["//etc//x/./y", "etc/x/y"],
      ["a/../b", "b"],
      [".", ""],
      ["./", ""],
      ["/", ""],
      ["..", null],
      ["../x", null],
      ["a/../../x", null],
      ["/../etc/x", null],
      ["./../x", null],
    ];
    for (const [name, want] of cases) expect([name, layerPath(name)]).toEqual([name, want]);
  });
});
