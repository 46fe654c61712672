// The image store and a pull's course through it, against a registry of the
// test's own (a Source in memory) in a temporary data root: no root needed.
import { afterEach, beforeEach, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { pullImage, type PullRequest, type Source } from "../../src/image/pull.ts";
import { ImageStore } from "../../src/image/store.ts";
import { MEDIA, type Descriptor, type ImageIndex } from "../../src/spec/image.ts";

const sha = (b: Uint8Array | string) => `sha256:${new Bun.CryptoHasher("sha256").update(b).digest("hex")}`;
const bytes = (s: string) => new TextEncoder().encode(s);

// A registry in memory: blobs and manifests by digest, tags by name.
class MemorySource {
  blobs = new Map<string, Uint8Array>();
  manifests = new Map<string, { bytes: Uint8Array; mediaType: string }>();
  fetched: string[] = [];
  broken = new Set<string>();

  blob(b: Uint8Array): Descriptor {
    const digest = sha(b);
    this.blobs.set(digest, b);
    return { mediaType: MEDIA.ociLayerGzip, digest, size: b.length };
  }

  image(layers: string[], tags: string[] = [], arch = "amd64"): { digest: string; size: number } {
    const descs = layers.map((l) => this.blob(bytes(l)));
    const config = bytes(JSON.stringify({ architecture: arch, os: "linux", created: "2026-01-01T00:00:00Z", rootfs: { type: "layers", diff_ids: layers.map((l) => sha(`diff:${l}`)) }, config: { Cmd: ["/bin/sh"] } }));
    const configDesc = { ...this.blob(config), mediaType: MEDIA.ociConfig };
    return this.manifest({ schemaVersion: 2, mediaType: MEDIA.ociManifest, config: configDesc, layers: descs }, MEDIA.ociManifest, tags);
  }

  manifest(doc: unknown, mediaType: string, tags: string[]): { digest: string; size: number } {
    const m = bytes(JSON.stringify(doc));
    const digest = sha(m);
    for (const ref of [digest, ...tags]) this.manifests.set(ref, { bytes: m, mediaType });
    return { digest, size: m.length };
  }

  // Source, as the pull sees it:
  async serveManifest(reference: string): Promise<{ bytes: Uint8Array; mediaType: string; digest: string }> {
    const found = this.manifests.get(reference);
    if (!found) throw new Error(`manifest unknown: ${reference}`);
    return { ...found, digest: sha(found.bytes) };
  }

  async serveBlob(digest: string, path: string): Promise<void> {
    this.fetched.push(digest);
    if (this.broken.has(digest)) throw new Error(`blob ${digest} does not match its digest`);
    const b = this.blobs.get(digest);
    if (!b) throw new Error(`blob unknown: ${digest}`);
    writeFileSync(path, b);
  }
}

const asSource = (m: MemorySource): Source => ({ manifest: (_r, ref) => m.serveManifest(ref), blob: (_r, digest, path) => m.serveBlob(digest, path) });

let root: string;
let store: ImageStore;
let unpacked: string[];

beforeEach(() => {
  root = mkdtempSync(`${tmpdir()}/contain-images-`);
  store = ImageStore.open(root);
  unpacked = [];
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

// A layer "unpacks" to one file named for its contents; its diff ID is that
// of the text, as the source's configs say.
function request(names: string[], extra: Partial<PullRequest> = {}): PullRequest {
  return {
    repository: "test/app",
    reference: "1",
    names,
    repoName: "127.0.0.1:5000/test/app",
    platform: (index: ImageIndex) => index.manifests.find((m) => m.platform?.architecture === "arm64") as Descriptor,
    platformName: "linux/arm64",
    unpack: async (blob, dir) => {
      const text = readFileSync(blob, "utf8");
      unpacked.push(text);
      writeFileSync(`${dir}/${text}`, text);
      return { diffId: sha(`diff:${text}`), size: text.length };
    },
    ...extra,
  };
}

test("a pull stores the image under its names, its layers once each, in a store only root may enter", async () => {
  const src = new MemorySource();
  src.image(["base", "app"], ["1"]);
  const image = await pullImage(store, asSource(src), request(["127.0.0.1:5000/test/app:1"]));
  expect(store.find("127.0.0.1:5000/test/app:1")?.id).toBe(image.id);
  expect(store.find(image.id.slice(7, 19))?.id).toBe(image.id);
  expect(store.find(image.repoDigests[0] as string)?.id).toBe(image.id);
  expect(image.layers.map((l) => l.size)).toEqual([4, 3]);
  // top first, each a short link to its unpacked directory
  const lowers = store.lowers(image.layers.map((l) => l.diffId));
  expect(lowers).toHaveLength(2);
  expect(lowers.every((l) => /^l\/[A-Z2-7]{12}$/.test(l))).toBe(true);
  expect(readFileSync(`${store.dir}/${lowers[0]}/app`, "utf8")).toBe("app");
  expect(readFileSync(`${store.dir}/${lowers[1]}/base`, "utf8")).toBe("base");
  expect(statSync(store.dir).mode & 0o777).toBe(0o700);
  expect(store.config(image).config?.Cmd).toEqual(["/bin/sh"]);
});

test("an index leads to the platform's manifest; a second image shares the base layer", async () => {
  const src = new MemorySource();
  const amd = src.image(["base", "amd"], [], "amd64");
  const arm = src.image(["base", "arm"], [], "arm64");
  src.manifest({ schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests: [
    { mediaType: MEDIA.ociManifest, ...amd, platform: { os: "linux", architecture: "amd64" } },
    { mediaType: MEDIA.ociManifest, ...arm, platform: { os: "linux", architecture: "arm64" } },
  ] }, MEDIA.ociIndex, ["1"]);
  const image = await pullImage(store, asSource(src), request(["x:1"]));
  expect(image.manifest).toBe(arm.digest);
  expect(image.platform).toBe("linux/arm64");
  src.image(["base", "other"], ["2"]);
  const states: string[] = [];
  await pullImage(store, asSource(src), request(["x:2"], { reference: "2", progress: { layer() {}, update() {}, state: (_d, s) => states.push(s) } }));
  expect(unpacked.sort()).toEqual(["arm", "base", "other"]);
  expect(states).toContain("Already exists");
  expect(readdirSync(`${store.dir}/layers`)).toHaveLength(3);
});

test("a layer that fails to verify leaves no layer, no blob of the pull, no image", async () => {
  const src = new MemorySource();
  src.image(["base", "bad"], ["1"]);
  src.broken.add(sha(bytes("bad")));
  await expect(pullImage(store, asSource(src), request(["x:1"], { concurrency: 1 }))).rejects.toThrow("does not match");
  expect(store.images()).toEqual([]);
  expect(readdirSync(`${store.dir}/layers`)).toEqual([]);
  expect(readdirSync(`${store.dir}/blobs/sha256`)).toEqual([]);
  expect(readdirSync(`${store.dir}/l`)).toEqual([]);
});

test("a layer that fails while another unpacks: the failure waits for the unpack, and the tidy leaves nothing of either", async () => {
  const src = new MemorySource();
  src.image(["slow", "bad"], ["1"]);
  src.broken.add(sha(bytes("bad")));
  const plainUnpack = request([]).unpack;
  let unpacking = false;
  const slow = request(["x:1"], {
    concurrency: 2,
    unpack: async (blob, dir) => {
      unpacking = true;
      await Bun.sleep(50);
      const got = await plainUnpack(blob, dir);
      unpacking = false;
      return got;
    },
  });
  await expect(pullImage(store, asSource(src), slow)).rejects.toThrow("does not match");
  expect(unpacking).toBe(false);
  expect(readdirSync(`${store.dir}/layers`)).toEqual([]);
  expect(readdirSync(`${store.dir}/blobs/sha256`)).toEqual([]);
  expect(store.images()).toEqual([]);
});

test("a layer whose contents are not its diff ID is refused, and nothing of it stays", async () => {
  const src = new MemorySource();
  src.image(["base"], ["1"]);
  const lying = request(["x:1"], { unpack: async (_b, dir) => (writeFileSync(`${dir}/f`, ""), { diffId: sha("other"), size: 0 }) });
  await expect(pullImage(store, asSource(src), lying)).rejects.toThrow("not the sha256:");
  expect(readdirSync(`${store.dir}/layers`)).toEqual([]);
});

test("an image with one layer twice pulls (one download, one unpack)", async () => {
  const src = new MemorySource();
  src.image(["same", "same"], ["1"]);
  const image = await pullImage(store, asSource(src), request(["x:1"]));
  expect(image.layers).toHaveLength(2);
  expect(unpacked).toEqual(["same"]);
  expect(src.fetched.filter((d) => d === sha(bytes("same")))).toHaveLength(1);
});

test("collect keeps what an image or a container holds, and takes the rest", async () => {
  const src = new MemorySource();
  src.image(["base", "one"], ["1"]);
  src.image(["base", "two"], ["2"]);
  const one = await pullImage(store, asSource(src), request(["x:1"]));
  const two = await pullImage(store, asSource(src), request(["x:2"], { reference: "2" }));
  store.claim(`${root}/containers/c1`, two);
  store.removeImage(one.id);
  store.removeImage(two.id);
  store.collect();
  // base and two are the container's; one is nobody's
  expect(readdirSync(`${store.dir}/layers`).sort()).toEqual(two.layers.map((l) => l.diffId.slice(7)).sort());
  expect(readdirSync(`${store.dir}/l`)).toHaveLength(2);
  rmSync(`${root}/containers/c1`, { recursive: true });
  store.collect();
  expect(readdirSync(`${store.dir}/layers`)).toEqual([]);
  expect(readdirSync(`${store.dir}/blobs/sha256`)).toEqual([]);
});

test("a partial download whose puller is gone is collected; one in progress is not", () => {
  const digest = sha("blob");
  const held = store.incoming(digest);
  writeFileSync(held.path, "par");
  store.collect();
  expect(existsSync(held.path)).toBe(true);
  held.lock.release();
  store.collect();
  expect(existsSync(held.path)).toBe(false);
  expect(readdirSync(`${store.dir}/incoming`)).toEqual([]);
});

test("a pull sweeps what killed unpacks left, and nothing of a live one", async () => {
  const dead = `${store.dir}/layers/scratch-1.tmp-999999-1`;
  const live = store.scratch("layers");
  for (const d of [dead, `${dead}/diff`]) Bun.spawnSync(["mkdir", "-p", d]);
  const src = new MemorySource();
  src.image(["base"], ["1"]);
  await pullImage(store, asSource(src), request(["x:1"]));
  expect(existsSync(dead)).toBe(false);
  expect(existsSync(live)).toBe(true);
});
