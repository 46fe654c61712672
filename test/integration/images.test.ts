// Images end to end, through the binary: pulled from the real registry
// (test/registry.ts: plain HTTP, TLS with token auth, htpasswd) or imported
// from tarballs, docker save archives and OCI layouts, then checked where
// it counts: the store's directories (each blob and layer once, nothing
// left by a refusal, a corruption or a kill), the files a running
// container sees (whiteouts, an opaque directory, set-id bits, hard links),
// the host's files a hostile tarball aims at. Images are real ones
// (test/images.ts), named 127.0.0.1:PORT/... or run with --pull never, so
// nothing can reach docker.io; each test has its own data and state roots.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import { humanDuration } from "../../src/cli/table.ts";
import { tarBytes, type TarEntryInput } from "../../src/image/tar.ts";
import { blobsOf, busyboxLayer, compress, dockerArchive, HOST_ARCH, imageOf, indexOf, layerOf, layoutEntries, ociArchive, OTHER_ARCH, pushTo, rootfsTar, sha256Of, writeLayout, type Image } from "../images.ts";
import { corruptingProxy, startRegistry, throttlingProxy, type TestProxy, type TestRegistry } from "../registry.ts";
import { BIN, dataLeftovers, Harness, mountPoints, treeDigest, type Result } from "./harness.ts";

const work = mkdtempSync("/tmp/contain-test-images-");
let plain: TestRegistry;
let token: TestRegistry;
let basic: TestRegistry;
const proxies: TestProxy[] = [];

// A name no registry answers on (port 9, discard): for imported images,
// run with --pull never.
const LOCAL = "127.0.0.1:9";

// ---- the images

const base = busyboxLayer();
// 1000 + 2500 bytes of files: 3.5kB in `images`.
const SMALL = imageOf([layerOf([{ path: "a", data: "a".repeat(1000) }]), layerOf([{ path: "b", data: "b".repeat(2500) }])], {}, { created: "2024-01-02T03:04:05Z" });
const MULTI = indexOf([imageOf([layerOf([{ path: "arch", data: HOST_ARCH }])]), imageOf([layerOf([{ path: "arch", data: OTHER_ARCH }])], {}, { platform: { os: "linux", architecture: OTHER_ARCH } })]);
// A lower layer with what the upper one hides, and what a layer must keep;
// the upper one zstd-compressed.
const lower = layerOf([
  { path: "data/hidden.txt", data: "must be hidden\n" },
  { path: "data/kept.txt", data: "kept\n" },
  { path: "gone/deep/file.txt", data: "must be hidden\n" },
  { path: "opq/a.txt", data: "must be hidden\n" },
  { path: "opq/sub/c.txt", data: "must be hidden\n" },
  { path: "opt/suid", data: "#!/bin/sh\n", mode: 0o4755 },
  { path: "opt/sgid-dir", type: "dir", mode: 0o2775, gid: 50 },
  { path: "hl/a", data: "same\n" },
  { path: "hl/b", type: "link", linkpath: "hl/a" },
  { path: "sl", type: "symlink", linkpath: "/data/kept.txt" },
]);
const upper = layerOf([{ path: "data/.wh.hidden.txt" }, { path: ".wh.gone" }, { path: "opq/.wh..wh..opq" }, { path: "opq/b.txt", data: "b\n" }], "zstd");
const FS = imageOf([base, lower, upper], {
  Entrypoint: ["/bin/sh", "-c"],
  Cmd: ['echo "$FOO $(pwd) $(id -u):$(id -g)"'],
  Env: ["FOO=from-image", "PATH=/usr/bin:/bin"],
  WorkingDir: "/srv/app",
  User: "1234:2345",
});
// A few MB that do not compress: the pull to kill halfway.
const big = layerOf([{ path: "big", data: crypto.getRandomValues(new Uint8Array(3 << 20)) }]);
const BIG = imageOf([base, big], { Cmd: ["sha256sum", "/big"] });
// A layer of many files, to kill a pull while it unpacks them (each file
// a disk write: ~1 ms each on this VM's disk).
const MANY_FILES = 800;
const many = layerOf(Array.from({ length: MANY_FILES }, (_, i) => ({ path: `d${i % 50}/f${i}`, data: `${i}\n` })));
const MANY = imageOf([base, many], { Cmd: ["sh"] });
const SHARED_A = imageOf([base, layerOf([{ path: "etc/which", data: "a\n" }])]);
const SHARED_B = imageOf([base, layerOf([{ path: "etc/which", data: "b\n" }])]);
const BUSYBOX = imageOf([base], { Cmd: ["sh"] });

beforeAll(async () => {
  [plain, token, basic] = await Promise.all([startRegistry({}), startRegistry({ auth: "token" }), startRegistry({ auth: "htpasswd" })]);
  await Promise.all([
    pushTo(plain, "team/small", "1", SMALL),
    pushTo(plain, "team/multi", "1", MULTI),
    pushTo(plain, "team/fs", "1", FS),
    pushTo(plain, "team/big", "1", BIG),
    pushTo(plain, "team/many", "1", MANY),
    pushTo(plain, "team/a", "1", SHARED_A),
    pushTo(plain, "team/b", "1", SHARED_B),
    pushTo(plain, "team/busybox", "1", BUSYBOX),
    pushTo(token, "public/app", "1", SMALL),
    pushTo(token, "private/app", "1", SMALL),
    pushTo(basic, "app", "1", SMALL),
  ]);
});

const boxes: Box[] = [];
afterAll(async () => {
  for (const p of proxies) p.stop();
  await Promise.all([plain?.stop(), token?.stop(), basic?.stop()]);
  // Every box is cleaned up, then the first that had something left fails.
  const left: unknown[] = [];
  for (const b of boxes) {
    try {
      b.finish();
    } catch (err) {
      left.push(err);
    }
  }
  rmSync(work, { recursive: true, force: true });
  if (left.length) throw left[0];
});

// ---- a data root and a state root of a test's own, and the binary on them

const STATEFUL = new Set(["run", "start", "rm", "wait", "ps", "exec", "logs", "inspect", "stop", "kill"]);

class Box {
  readonly h = new Harness();
  constructor() {
    boxes.push(this);
  }
  get data(): string {
    return this.h.dataRoot;
  }
  get store(): string {
    return `${this.h.dataRoot}/images`;
  }

  // The command with its roots after the (sub)command: --root too for the
  // container commands, the image commands know only --data-root.
  argv(args: string[]): string[] {
    const words = args[0] === "image" ? 2 : 1;
    const roots = STATEFUL.has(args[0] ?? "") ? this.h.rootFlags : ["--data-root", this.data];
    return [BIN, ...args.slice(0, words), ...roots, ...args.slice(words)];
  }

  // Not spawnSync: the token server and the proxies answer from this process.
  spawn(args: string[], opts: { stdin?: string; umask?: number } = {}) {
    const argv = this.argv(args);
    const cmd = opts.umask === undefined ? argv : ["sh", "-c", `umask ${opts.umask.toString(8)}; exec "$@"`, "sh", ...argv];
    return Bun.spawn(cmd, { stdin: opts.stdin === undefined ? "ignore" : Buffer.from(opts.stdin), stdout: "pipe", stderr: "pipe", env: { PATH: process.env.PATH ?? "/usr/bin:/bin" }, timeout: 30_000, killSignal: "SIGKILL" });
  }

  async c(args: string[], opts: { stdin?: string; umask?: number } = {}): Promise<Result> {
    const p = this.spawn(args, opts);
    const [stdout, stderr] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text()]);
    return { code: await p.exited, stdout, stderr };
  }

  ls(area: string): string[] {
    const dir = `${this.store}/${area}`;
    return existsSync(dir) ? readdirSync(dir).sort() : [];
  }

  // What the store holds but the directories and lock files every command
  // that opens it makes: a layer by its directory, not its files.
  content(): string[] {
    const skeleton = new Set(["blobs", "blobs/sha256", "incoming", "layers", "l", "lock", "busy"]);
    const out: string[] = [];
    const walk = (rel: string) => {
      for (const name of readdirSync(`${this.store}/${rel}`)) {
        const path = rel ? `${rel}/${name}` : name;
        if (!skeleton.has(path)) out.push(path);
        if (lstatSync(`${this.store}/${path}`).isDirectory() && !/^layers\/./.test(path)) walk(path);
      }
    };
    if (existsSync(this.store)) walk("");
    return out.sort();
  }

  images(): { images: Record<string, { repoDigests: string[] }>; names: Record<string, string> } {
    const path = `${this.store}/images.json`;
    return existsSync(path) ? JSON.parse(readFileSync(path, "utf8")) : { images: {}, names: {} };
  }

  containers(): string[] {
    return this.h.ids();
  }

  // Nothing of its containers is left: state, data, monitors, mounts. Only
  // its own mounts are looked for: other test files and benchmarks on this
  // machine mount and unmount while this one runs.
  finish(): void {
    try {
      expect(this.h.ids()).toEqual([]);
      expect(this.h.monitors()).toEqual([]);
      expect(mountPoints().filter((m) => m.startsWith(`${this.h.root}/`) || m.startsWith(`${this.data}/`))).toEqual([]);
      rmSync(this.store, { recursive: true, force: true });
      rmSync(`${this.data}/auth.json`, { force: true });
      expect(dataLeftovers(this.data)).toEqual([]);
    } finally {
      this.h.dispose();
    }
  }
}

const hex = (digest: string) => digest.slice(7);
const short = (digest: string) => digest.slice(7, 19);
const sorted = (xs: string[]) => [...xs].sort();
const blobNames = (top: Parameters<typeof blobsOf>[0]) => sorted(blobsOf(top).map((b) => hex(b.digest)));
const layerNames = (...images: Image[]) => sorted([...new Set(images.flatMap((i) => i.layers.map((l) => hex(l.diffId))))]);

// One line on stderr, docker's form, and the exit code.
function refused(r: Result, code: number, ...says: string[]): void {
  expect(r.stderr).toMatch(/^\[contain\] error: [^\n]+\n$/);
  for (const s of says) expect(r.stderr).toContain(s);
  expect(r.stdout).toBe("");
  expect(r.code).toBe(code);
}

function ok(r: Result): Result {
  if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr}`);
  return r;
}

// A table's rows, split at its column gaps.
const rows = (text: string) => text.trimEnd().split("\n").map((l) => l.trim().split(/\s{2,}/));

describe("pull", () => {
  test("by tag and by digest: the full name on stdout, images' rows, -q and --format; each blob stored once", async () => {
    const b = new Box();
    const name = `${plain.host}/team/small`;
    const byTag = ok(await b.c(["pull", `${name}:1`]));
    expect([byTag.stdout, byTag.stderr]).toEqual([`${name}:1\n`, ""]);
    const byDigest = ok(await b.c(["pull", `${name}@${SMALL.manifest.digest}`]));
    expect(byDigest.stdout).toBe(`${name}@${SMALL.manifest.digest}\n`);
    // One image, found by either name: the digest is its RepoDigest, not a tag.
    const created = `${humanDuration(Date.now() - Date.parse("2024-01-02T03:04:05Z"))} ago`;
    expect(rows(ok(await b.c(["images"])).stdout)).toEqual([
      ["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"],
      [name, "1", short(SMALL.config.digest), created, "3.5kB"],
    ]);
    expect(ok(await b.c(["images", "-q"])).stdout).toBe(`${short(SMALL.config.digest)}\n`);
    expect(ok(await b.c(["images", "--format", "{{.Repository}}|{{.Tag}}|{{.ID}}|{{.Size}}"])).stdout).toBe(`${name}|1|${short(SMALL.config.digest)}|3.5kB\n`);
    expect(ok(await b.c(["image", "inspect", "-f", "{{.Id}} {{json .RepoTags}} {{json .RepoDigests}}", `${name}@${SMALL.manifest.digest}`])).stdout).toBe(
      `${SMALL.config.digest} ["${name}:1"] ["${name}@${SMALL.manifest.digest}"]\n`,
    );
    expect(b.ls("blobs/sha256")).toEqual(blobNames(SMALL));
    expect(b.ls("layers")).toEqual(layerNames(SMALL));
    expect(b.ls("incoming")).toEqual([]);
  });

  test("an index: the host's platform by default, --platform the other; the index's digest names what it gave", async () => {
    const b = new Box();
    const name = `${plain.host}/team/multi`;
    const [host, other] = MULTI.images as [Image, Image];
    ok(await b.c(["pull", `${name}:1`]));
    expect(ok(await b.c(["image", "inspect", "-f", "{{.Os}}/{{.Architecture}} {{.Id}}", `${name}:1`])).stdout).toBe(`linux/${HOST_ARCH} ${host.config.digest}\n`);
    ok(await b.c(["pull", "--platform", `linux/${OTHER_ARCH}`, `${name}:1`]));
    expect(ok(await b.c(["image", "inspect", "-f", "{{.Architecture}} {{.Id}}", `${name}:1`])).stdout).toBe(`${OTHER_ARCH} ${other.config.digest}\n`);
    // The name moved; the host's image stays, nameless.
    expect(sorted(ok(await b.c(["images", "-q"])).stdout.trim().split("\n"))).toEqual(sorted([short(host.config.digest), short(other.config.digest)]));
    // By the index's digest: the image is found again by the name pull printed.
    const c = new Box();
    const byDigest = `${name}@${MULTI.index.digest}`;
    expect(ok(await c.c(["pull", byDigest])).stdout).toBe(`${byDigest}\n`);
    expect(ok(await c.c(["image", "inspect", "-f", "{{.Architecture}}", byDigest])).stdout).toBe(`${HOST_ARCH}\n`);
    // docker's images --digests: the index's digest, which names the image everywhere.
    expect(ok(await b.c(["images", "--digests", "--format", "{{.Tag}} {{.Digest}}", name])).stdout).toBe(`1 ${MULTI.index.digest}\n`);
  });

  test("a corrupted blob is refused in one line naming it; nothing of it stays, and no image", async () => {
    const b = new Box();
    const proxy = corruptingProxy(plain, { only: lower.digest });
    proxies.push(proxy);
    const r = await b.c(["pull", `${proxy.host}/team/fs:1`]);
    refused(r, 1, `blob ${lower.digest}`, "does not match its digest");
    expect(b.images().images).toEqual({});
    expect(b.ls("blobs/sha256")).toEqual([]);
    expect(b.ls("layers")).toEqual([]);
    expect(b.ls("l")).toEqual([]);
    // What may stay in incoming: another layer's download, broken off, to
    // resume (a prefix of its blob, with its lock file); nothing of this one.
    const left = b.ls("incoming");
    expect(left.filter((n) => n.startsWith(hex(lower.digest)) || n.includes(".tmp-") || n.startsWith("scratch-"))).toEqual([]);
    for (const n of left.filter((n) => !n.endsWith(".lock"))) {
      const blob = blobsOf(FS).find((x) => hex(x.digest) === n);
      expect(blob).toBeDefined();
      const have = readFileSync(`${b.store}/incoming/${n}`);
      expect(Buffer.from(blob?.bytes.subarray(0, have.length) ?? []).equals(have)).toBe(true);
    }
    for (const n of left.filter((n) => n.endsWith(".lock"))) expect(left).toContain(n.slice(0, -".lock".length));
  });

  test("a pull killed halfway (SIGKILL) and repeated succeeds: the partial download resumed, the rest collected by image prune", async () => {
    const b = new Box();
    const proxy = throttlingProxy(plain, { chunk: 64 * 1024, delayMs: 20 });
    proxies.push(proxy);
    const name = `${proxy.host}/team/big:1`;
    const first = b.spawn(["pull", name]);
    const partial = `${b.store}/incoming/${hex(big.digest)}`;
    const deadline = Date.now() + 15_000;
    while (!(existsSync(partial) && statSync(partial).size > 512 * 1024) && Date.now() < deadline && first.exitCode === null) await Bun.sleep(10);
    first.kill("SIGKILL");
    await first.exited;
    expect(first.signalCode).toBe("SIGKILL");
    const had = statSync(partial).size;
    expect(had).toBeGreaterThan(512 * 1024);
    expect(had).toBeLessThan(big.size);
    expect(b.images().images).toEqual({});

    proxy.slow = false;
    const again = ok(await b.c(["pull", name]));
    expect(again.stdout).toBe(`${name}\n`);
    // Resumed where the first stopped (at least: the first's last chunk may
    // have landed after the size was read).
    const ranges = proxy.requests.filter((q) => q.path.endsWith(`/blobs/${big.digest}`) && q.range).map((q) => Number(/^bytes=(\d+)-$/.exec(q.range ?? "")?.[1]));
    expect(ranges.length).toBe(1);
    expect(ranges[0]).toBeGreaterThanOrEqual(had);

    ok(await b.c(["image", "prune"]));
    expect(b.ls("incoming")).toEqual([]);
    expect(b.ls("blobs/sha256")).toEqual(blobNames(BIG));
    expect(b.ls("layers")).toEqual(layerNames(BIG));
    expect(b.ls("l").length).toBe(BIG.layers.length);
    // And the resumed layer is the layer, as the container reads it.
    const sum = ok(await b.c(["run", "-q", "--net", "none", "--pull", "never", name, "--"]));
    expect(sum.stdout).toBe(`${Bun.spawnSync(["sha256sum"], { stdin: readFileSync(`${b.store}/layers/${hex(big.diffId)}/diff/big`) }).stdout.toString().split(" ")[0]}  /big\n`);
  });

  test("a pull killed while it unpacks leaves its unpack to the next pull, which removes it and succeeds", async () => {
    const b = new Box();
    const name = `${plain.host}/team/many:1`;
    const first = b.spawn(["pull", name]);
    const unpacking = () => b.ls("layers").find((n) => n.startsWith("scratch-") && existsSync(`${b.store}/layers/${n}/diff/d9`));
    const deadline = Date.now() + 15_000;
    while (!unpacking() && Date.now() < deadline && first.exitCode === null) await Bun.sleep(2);
    first.kill("SIGKILL");
    await first.exited;
    expect(first.signalCode).toBe("SIGKILL");
    expect(b.ls("layers").filter((n) => n.startsWith("scratch-")).length).toBeGreaterThan(0);
    expect(ok(await b.c(["pull", name])).stdout).toBe(`${name}\n`);
    expect(b.ls("layers")).toEqual(layerNames(MANY));
    expect(b.ls("l").length).toBe(MANY.layers.length);
    expect(readdirSync(`${b.store}/layers/${hex(many.diffId)}/diff/d49`).length).toBe(MANY_FILES / 50);
  });

  test("two pulls of one image at once both succeed; each blob is fetched and each layer stored once", async () => {
    const b = new Box();
    const proxy = throttlingProxy(plain, { chunk: 128 * 1024, delayMs: 10 });
    proxies.push(proxy);
    const name = `${proxy.host}/team/busybox:1`;
    const [x, y] = await Promise.all([b.c(["pull", name]), b.c(["pull", name])]);
    expect([ok(x).stdout, ok(y).stdout]).toEqual([`${name}\n`, `${name}\n`]);
    const gets = proxy.requests.filter((q) => q.method === "GET" && q.path.includes("/blobs/")).map((q) => q.path.split("/").pop());
    expect(sorted(gets as string[])).toEqual(sorted([base.digest, BUSYBOX.config.digest]));
    expect(b.ls("layers")).toEqual(layerNames(BUSYBOX));
    expect(b.ls("l").length).toBe(1);
    expect(b.ls("incoming")).toEqual([]);
    expect(Object.keys(b.images().images)).toEqual([BUSYBOX.config.digest]);
  });

  test("two images that share a base layer store it once, one directory and one short link", async () => {
    const b = new Box();
    ok(await b.c(["pull", `${plain.host}/team/a:1`]));
    ok(await b.c(["pull", `${plain.host}/team/b:1`]));
    expect(b.ls("layers")).toEqual(layerNames(SHARED_A, SHARED_B));
    expect(b.ls("layers").length).toBe(3);
    const links = b.ls("l").map((s) => readlinkSync(`${b.store}/l/${s}`));
    expect(sorted(links)).toEqual(layerNames(SHARED_A, SHARED_B).map((h) => `../layers/${h}/diff`));
    const lowers = async (n: string) => ok(await b.c(["image", "inspect", "-f", "{{.GraphDriver.Data.LowerDir}}", `${plain.host}/team/${n}:1`])).stdout.trim().split(":");
    const [a, bb] = [await lowers("a"), await lowers("b")];
    expect(a.at(-1)).toBe(`${b.store}/layers/${hex(base.diffId)}/diff`);
    expect(bb.at(-1)).toBe(a.at(-1));
    expect(a[0]).not.toBe(bb[0]);
  });
});

describe("running pulled images", () => {
  test("whiteouts and an opaque directory of pulled layers (the upper one zstd) hide the lower files; a set-id mode, a hard link and a symlink survive", async () => {
    const b = new Box();
    const name = `${plain.host}/team/fs:1`;
    ok(await b.c(["pull", name]));
    const script = "ls -A /data /opq; ls -d /gone 2>&1; stat -c '%a %u:%g %n' /opt/suid /opt/sgid-dir; stat -c '%i %h' /hl/a /hl/b; readlink /sl; cat /sl";
    const r = ok(await b.c(["run", "-q", "--net", "none", "--pull", "never", "-u", "0", "--entrypoint", "/bin/sh", name, "--", "-c", script]));
    const out = r.stdout.split("\n");
    expect(out.slice(0, 6)).toEqual(["/data:", "kept.txt", "", "/opq:", "b.txt", "ls: /gone: No such file or directory"]);
    expect(out.slice(6, 8)).toEqual(["4755 0:0 /opt/suid", "2775 0:50 /opt/sgid-dir"]);
    const [a, hb] = [out[8]?.split(" "), out[9]?.split(" ")];
    expect(a?.[1]).toBe("2");
    expect(hb).toEqual(a);
    expect(out.slice(10)).toEqual(["/data/kept.txt", "kept", ""]);
    // The upper layer came as zstd, and is in the store so.
    expect([...readFileSync(`${b.store}/blobs/sha256/${hex(upper.digest)}`).subarray(0, 4)]).toEqual([0x28, 0xb5, 0x2f, 0xfd]);
  });

  test("run IMAGE -- runs its Entrypoint and Cmd with its Env, WorkingDir and User, pulling it first when missing", async () => {
    const b = new Box();
    const name = `${plain.host}/team/fs:1`;
    const r = ok(await b.c(["run", "-q", "--net", "none", name, "--"]));
    expect(r.stdout).toBe("from-image /srv/app 1234:2345\n");
    expect(r.stderr).toStartWith(`Unable to find image '${name}' locally\n`);
    expect(Object.keys(b.images().names)).toEqual([name]);
    expect(b.ls("layers")).toEqual(layerNames(FS));
    // In the store now: not pulled again.
    const again = ok(await b.c(["run", "-q", "--net", "none", name, "--"]));
    expect([again.stdout, again.stderr]).toEqual(["from-image /srv/app 1234:2345\n", ""]);
  });

  test("--pull never with an image the store lacks: refused, nothing made", async () => {
    const b = new Box();
    const r = await b.c(["run", "--pull", "never", "--net", "none", `${plain.host}/team/fs:1`, "--"]);
    refused(r, 125, "is not in the store (--pull never)");
    expect(b.content()).toEqual([]);
    expect(b.containers()).toEqual([]);
  });

  test("rmi of an image a stopped container keeps is refused; -f untags it, the container starts again on it; once it is gone, image prune -a frees the layers", async () => {
    const b = new Box();
    const name = `${plain.host}/team/fs:1`;
    ok(await b.c(["pull", name]));
    const id = ok(await b.c(["run", "-d", "-q", "--net", "none", "-u", "0", name, "--", "echo run >> /runs; wc -l < /runs"])).stdout.trim();
    expect(ok(await b.c(["wait", id])).stdout).toBe("0\n");
    const before = b.content();

    refused(await b.c(["rmi", name]), 1, `image ${name} is used by container ${id.slice(0, 12)}`);
    expect(b.content()).toEqual(before);

    expect(ok(await b.c(["rmi", "-f", name])).stdout).toBe(`Untagged: ${name}\n`);
    expect(rows(ok(await b.c(["images"])).stdout)[1]?.slice(0, 3)).toEqual(["<none>", "<none>", short(FS.config.digest)]);
    // A prune takes nothing a container holds, -a or not.
    ok(await b.c(["image", "prune", "-a"]));
    expect(b.ls("layers")).toEqual(layerNames(FS));
    // Its own layer kept the first run's line: the same container, on the same layers.
    const start = await b.c(["start", "-a", id]);
    expect([start.stdout.trim(), start.code]).toEqual(["2", 0]);

    ok(await b.c(["rm", id]));
    expect(ok(await b.c(["image", "prune", "-a"])).stdout).toContain(`deleted: ${FS.config.digest}\n`);
    expect([b.ls("layers"), b.ls("l"), b.ls("blobs/sha256"), Object.keys(b.images().images)]).toEqual([[], [], [], []]);
  });
});

describe("import and save", () => {
  test("rootfs tarballs, .tar.gz and .tar.zst: an image each, its ID on stdout, run as a root", async () => {
    const b = new Box();
    for (const [ext, compression] of [
      ["tar.gz", "gzip"],
      ["tar.zst", "zstd"],
    ] as const) {
      const file = `${work}/rootfs-${compression}.${ext}`;
      const tar = rootfsTar([{ path: "etc/imported", data: `${ext}\n` }]);
      writeFileSync(file, compress(tar, compression));
      const r = ok(await b.c(["import", file, `${LOCAL}/rootfs:${compression}`]));
      expect(r.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
      expect(ok(await b.c(["image", "inspect", "-f", "{{.Id}} {{json .RootFS.Layers}}", `${LOCAL}/rootfs:${compression}`])).stdout).toBe(`${r.stdout.trim()} ["${sha256Of(tar)}"]\n`);
      const run = ok(await b.c(["run", "-q", "--net", "none", "--pull", "never", `${LOCAL}/rootfs:${compression}`, "--", "cat", "/etc/imported"]));
      expect(run.stdout).toBe(`${ext}\n`);
    }
    expect(b.ls("layers").length).toBe(2);
  });

  test("a docker save archive, an OCI layout directory and an OCI archive of an index: the images they hold, by their names", async () => {
    const b = new Box();
    const marked = (what: string) => imageOf([base, layerOf([{ path: "etc/marker", data: `${what}\n` }])], { Cmd: ["cat", "/etc/marker"] });
    const saved = marked("docker save");
    writeFileSync(`${work}/docker-save.tar`, dockerArchive([{ image: saved, repoTags: [`${LOCAL}/saved:1`] }]));
    const layout = marked("layout");
    writeLayout(`${work}/layout`, layout, `${LOCAL}/layout:1`);
    const multi = indexOf([marked("archive"), imageOf([layerOf([{ path: "x", data: "other" }])], {}, { platform: { os: "linux", architecture: OTHER_ARCH } })]);
    writeFileSync(`${work}/oci-archive.tar`, ociArchive(multi, `${LOCAL}/archive:1`));
    for (const [file, image, name, marker] of [
      [`${work}/docker-save.tar`, saved, "saved:1", "docker save"],
      [`${work}/layout`, layout, "layout:1", "layout"],
      [`${work}/oci-archive.tar`, multi.images[0] as Image, "archive:1", "archive"],
    ] as const) {
      expect(ok(await b.c(["import", file])).stdout).toBe(`${image.config.digest}\n`);
      const run = ok(await b.c(["run", "-q", "--net", "none", "--pull", "never", `${LOCAL}/${name}`, "--"]));
      expect(run.stdout).toBe(`${marker}\n`);
    }
    expect(ok(await b.c(["image", "inspect", "-f", "{{.Architecture}}", `${LOCAL}/archive:1`])).stdout).toBe(`${HOST_ARCH}\n`);
    // The busybox layer once, under three images.
    expect(b.ls("layers").length).toBe(4);
  });

  test("save -o FILE, rmi, import FILE: the same image ID, name and layers back", async () => {
    const b = new Box();
    const name = `${plain.host}/team/fs:1`;
    ok(await b.c(["pull", name]));
    const file = `${work}/saved.tar`;
    ok(await b.c(["save", "-o", file, name]));
    expect(ok(await b.c(["rmi", name])).stdout).toEndWith(`Deleted: ${FS.config.digest}\n`);
    expect([b.ls("layers"), b.ls("blobs/sha256")]).toEqual([[], []]);
    expect(ok(await b.c(["import", file])).stdout).toBe(`${FS.config.digest}\n`);
    expect(ok(await b.c(["images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"])).stdout).toBe(`${name} ${short(FS.config.digest)}\n`);
    expect(b.ls("layers")).toEqual(layerNames(FS));
    expect(b.ls("blobs/sha256")).toEqual(blobNames(FS));
  });

  test(".tar.xz is refused with its one-line fix, and nothing is left", async () => {
    const b = new Box();
    const file = `${work}/rootfs.tar.xz`;
    writeFileSync(file, Bun.spawnSync(["xz", "-c"], { stdin: tarBytes([{ path: "etc/os-release", data: "ID=xz\n" }]) }).stdout);
    refused(await b.c(["import", file, `${LOCAL}/xz:1`]), 1, "xz-compressed", "xz -d FILE");
    expect(b.content()).toEqual([]);
  });
});

describe("hostile archives write and link nothing outside the store", () => {
  const outside = `${work}/outside`;
  const PWN = `contain-images-pwn-${process.pid}`;
  const state = (b: Box) => ({
    outside: treeDigest(outside),
    shadow: [lstatSync("/etc/shadow").ino, lstatSync("/etc/shadow").nlink, Bun.hash(readFileSync("/etc/shadow"))],
    made: [`/${PWN}`, `/etc/${PWN}`, `/tmp/${PWN}`, `${b.data}/${PWN}`, `${b.store}/${PWN}`, `${b.store}/layers/${PWN}`, `${work}/${PWN}`].filter((p) => existsSync(p)),
  });

  test("../ entries, entries through an absolute symlink, hard links to ../../etc/shadow and /etc/shadow: refused, leaving nothing; or taken inside", async () => {
    mkdirSync(outside, { recursive: true });
    writeFileSync(`${outside}/canary`, "canary\n");
    const b = new Box();
    const before = state(b);
    const cases: [string, TarEntryInput[]][] = [
      ["climbs", [{ path: "a", type: "dir" }, { path: `../../../../../${PWN}`, data: "pwned" }]],
      ["climbs after a dir", [{ path: "a", type: "dir" }, { path: `a/../../${PWN}`, data: "pwned" }]],
      ["through an absolute symlink", [{ path: "out", type: "symlink", linkpath: outside }, { path: "out/canary", data: "pwned" }]],
      ["hard link up", [{ path: "etc", type: "dir" }, { path: "etc/shadow", type: "link", linkpath: "../../etc/shadow" }]],
      ["hard link absolute", [{ path: "h", type: "link", linkpath: "/etc/shadow" }]],
    ];
    for (const [what, entries] of cases) {
      const file = `${work}/hostile.tar.gz`;
      writeFileSync(file, compress(tarBytes([{ path: "etc/os-release", data: "ID=hostile\n" }, ...entries]), "gzip"));
      const r = await b.c(["import", file, `${LOCAL}/hostile:1`]);
      expect([what, r.code]).toEqual([what, 1]);
      refused(r, 1);
      expect([what, b.content()]).toEqual([what, []]);
      expect(state(b)).toEqual(before);
    }
    // A symlink out, followed by an entry through it, with the layer's own
    // directory of that name: the entry lands there.
    const file = `${work}/inside.tar`;
    writeFileSync(file, tarBytes([{ path: outside.slice(1), type: "dir" }, { path: "out", type: "symlink", linkpath: outside }, { path: "out/canary", data: "inside\n" }]));
    ok(await b.c(["import", file, `${LOCAL}/inside:1`]));
    const [layer] = b.ls("layers");
    expect(readFileSync(`${b.store}/layers/${layer}/diff${outside}/canary`, "utf8")).toBe("inside\n");
    expect(readlinkSync(`${b.store}/layers/${layer}/diff/out`)).toBe(outside);
    expect(state(b)).toEqual(before);
    expect(readFileSync(`${outside}/canary`, "utf8")).toBe("canary\n");
  });

  test("an OCI archive whose blob is a symlink to a host file (holding the very bytes it should) is refused, leaving nothing", async () => {
    const b = new Box();
    const image = imageOf([layerOf([{ path: "f", data: "x" }])]);
    mkdirSync(outside, { recursive: true });
    writeFileSync(`${outside}/manifest`, image.manifest.bytes);
    const entries = layoutEntries(image).map((e) => (e.path === `blobs/sha256/${hex(image.manifest.digest)}` ? { path: e.path, type: "symlink" as const, linkpath: `${outside}/manifest` } : e));
    const file = `${work}/hostile-oci.tar`;
    writeFileSync(file, tarBytes(entries));
    refused(await b.c(["import", file, `${LOCAL}/hostile:1`]), 1, "goes through a symbolic link");
    expect(b.content()).toEqual([]);
    expect(readFileSync(`${outside}/manifest`)).toEqual(Buffer.from(image.manifest.bytes));
  });
});

describe("the store's permissions", () => {
  test("images/ and blobs/ are 0700 and auth.json 0600, whatever the umask", async () => {
    const b = new Box();
    ok(await b.c(["pull", `${plain.host}/team/small:1`], { umask: 0 }));
    ok(await b.c(["login", "-u", "tester", "--password-stdin", basic.host], { stdin: "secret-pw\n", umask: 0 }));
    const mode = (p: string) => (statSync(p).mode & 0o7777).toString(8);
    expect([mode(b.store), mode(`${b.store}/blobs`), mode(`${b.store}/blobs/sha256`), mode(`${b.data}/auth.json`)]).toEqual(["700", "700", "700", "600"]);
  });
});

describe("registry auth", () => {
  test("TLS with token auth: refused without the CA, naming where it goes; anonymous for a public repository; login for a private one, logout forgets it", async () => {
    const b = new Box();
    const certs = ["--cert-dir", token.certsDir ?? ""];
    refused(await b.c(["pull", `${token.host}/public/app:1`]), 1, "signed by an unknown authority", `/etc/contain/certs.d/${token.host}/ca.crt`);
    expect(b.content()).toEqual([]);
    ok(await b.c(["pull", ...certs, `${token.host}/public/app:1`]));

    const priv = `${token.host}/private/app:1`;
    refused(await b.c(["pull", ...certs, priv]), 1, "needs credentials");
    refused(await b.c(["login", ...certs, "-u", "tester", "--password-stdin", token.host], { stdin: "wrong\n" }), 1, "refused the credentials of tester");
    expect(existsSync(`${b.data}/auth.json`)).toBe(false);
    expect(ok(await b.c(["login", ...certs, "-u", "tester", "--password-stdin", token.host], { stdin: "secret-pw\n" })).stdout).toBe("Login Succeeded\n");
    expect(Object.keys(JSON.parse(readFileSync(`${b.data}/auth.json`, "utf8")).auths)).toEqual([token.host]);
    expect(ok(await b.c(["pull", ...certs, priv])).stdout).toBe(`${priv}\n`);
    expect(token.tokenRequests.at(-1)?.searchParams.get("account")).toBe("tester");

    ok(await b.c(["rmi", priv]));
    expect(ok(await b.c(["logout", token.host])).stdout).toBe(`Removing login credentials for ${token.host}\n`);
    expect(JSON.parse(readFileSync(`${b.data}/auth.json`, "utf8")).auths ?? {}).toEqual({});
    refused(await b.c(["pull", ...certs, priv]), 1, "needs credentials");
  });

  test("htpasswd (Basic auth): refused anonymous, pulls after login", async () => {
    const b = new Box();
    const name = `${basic.host}/app:1`;
    refused(await b.c(["pull", name]), 1, "needs credentials");
    ok(await b.c(["login", "-u", "tester", "--password-stdin", basic.host], { stdin: "secret-pw\n" }));
    expect(ok(await b.c(["pull", name])).stdout).toBe(`${name}\n`);
    expect(b.ls("layers")).toEqual(layerNames(SMALL));
  });
});

describe("bad input: one line, exit 1 (125 for run), nothing left", () => {
  const digest = `sha256:${"a".repeat(64)}`;
  // What each is, its line, and whether the store may be opened (made) on
  // the way to the refusal: a name or flag that is wrong by itself is
  // refused before.
  const cases: [string, string[], number, string, "no store" | "empty store"][] = [
    ["an invalid reference", ["pull", "127.0.0.1:9/Bad/Name:1"], 1, "invalid image reference", "no store"],
    ["an invalid platform", ["pull", "--platform", "linux/amd64/v8/x", "PLAIN/team/multi:1"], 1, "invalid platform", "no store"],
    ["a platform the index lacks", ["pull", "--platform", "linux/s390x", "PLAIN/team/multi:1"], 1, "no image for linux/s390x", "empty store"],
    ["an unknown tag", ["pull", "PLAIN/team/multi:nope"], 1, "not found", "empty store"],
    ["a missing file to import", ["import", "/nonexistent/rootfs.tar.gz"], 1, "does not exist", "empty store"],
    ["an import named with a digest", ["import", "ROOTFS", `127.0.0.1:9/x@${digest}`], 1, "names a digest", "no store"],
    ["a tag with a digest", ["tag", "127.0.0.1:9/x:1", `127.0.0.1:9/y@${digest}`], 1, "names a digest", "no store"],
    ["rmi of no image", ["rmi", "127.0.0.1:9/none:1"], 1, "no such image", "no store"],
    ["save of no image", ["save", "-o", "OUT", "127.0.0.1:9/none:1"], 1, "no such image", "no store"],
    ["inspect of no image", ["image", "inspect", "127.0.0.1:9/none:1"], 1, "no such image", "no store"],
    ["login without a password", ["login", "-u", "tester", "127.0.0.1:9"], 1, "give a user name and a password", "no store"],
    ["run of an invalid reference", ["run", "--net", "none", "127.0.0.1:9/Bad:1", "--"], 125, "invalid image reference", "no store"],
    ["run of an invalid platform", ["run", "--net", "none", "--platform", "linux/amd64/v8/x", "PLAIN/team/multi:1", "--"], 125, "invalid platform", "no store"],
    ["run with an unknown --pull", ["run", "--pull", "sometimes", "PLAIN/team/fs:1", "--"], 125, "unknown policy", "no store"],
  ];
  for (const [what, args, code, says, store] of cases) {
    test(what, async () => {
      const b = new Box();
      const out = `${work}/bad-${what.replaceAll(" ", "-")}.tar`;
      const r = await b.c(args.map((a) => a.replace("PLAIN", plain.host).replace("ROOTFS", `${import.meta.dir}/../../rootfs/rootfs.tar.gz`).replace("OUT", out)));
      refused(r, code, says);
      expect(existsSync(b.store)).toBe(store === "empty store");
      expect(b.content()).toEqual([]);
      expect(b.containers()).toEqual([]);
      expect(existsSync(out)).toBe(false);
    });
  }
});
