// Images for the tests. Made by hand in a data root's store, for the tests
// that run them: each layer's files written straight into its directory,
// whiteouts and opaque directories in overlayfs's form, as the unpacker
// leaves them. And real ones (below): layers as tars, configs, manifests,
// indexes, OCI layouts and archives, docker save archives, pushed to a test
// registry, for the tests that pull and import them.
import { dlopen, ptr } from "bun:ffi";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { ImageStore, type ImageRecord } from "../src/image/store.ts";
import { tarBytes, type TarEntryInput } from "../src/image/tar.ts";
import type { TestRegistry } from "./registry.ts";

// A layer: a name (its diff ID is made from it, so two images that give one
// name share the layer) and what it holds.
export interface HandLayer {
  key: string;
  fill: (dir: string) => void;
}

const libc = dlopen("libc.so.6", { lsetxattr: { args: ["ptr", "ptr", "ptr", "u64", "i32"], returns: "i32" } });
const cstr = (s: string) => ptr(Buffer.from(`${s}\0`));

export function writeIn(dir: string, path: string, content: string | Uint8Array, mode = 0o644): void {
  mkdirSync(dirname(`${dir}${path}`), { recursive: true });
  writeFileSync(`${dir}${path}`, content, { mode });
}

export function linkIn(dir: string, path: string, target: string): void {
  mkdirSync(dirname(`${dir}${path}`), { recursive: true });
  symlinkSync(target, `${dir}${path}`);
}

// A whiteout: the name is gone from the layers below.
export function whiteout(dir: string, path: string): void {
  mkdirSync(dirname(`${dir}${path}`), { recursive: true });
  const r = Bun.spawnSync(["mknod", `${dir}${path}`, "c", "0", "0"], { stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`mknod ${dir}${path}: ${r.stderr.toString()}`);
}

// An opaque directory: what the layers below hold under it is hidden.
export function opaque(dir: string, path: string): void {
  mkdirSync(`${dir}${path}`, { recursive: true });
  const value = Buffer.from("y");
  if (libc.symbols.lsetxattr(cstr(`${dir}${path}`), cstr("trusted.overlay.opaque"), ptr(value), 1, 0) !== 0) throw new Error(`lsetxattr ${dir}${path} failed`);
}

const digestOf = (text: string) => `sha256:${new Bun.CryptoHasher("sha256").update(text).digest("hex")}`;

// An image of `layers` (bottom first) with `config` (the config's `config`
// object), stored under `names`.
export async function makeImage(dataRoot: string, names: string[], layers: HandLayer[], config: Record<string, unknown>): Promise<ImageRecord> {
  const store = ImageStore.open(dataRoot);
  const diffIds = layers.map((l) => digestOf(`layer ${l.key}`));
  const records = [];
  for (const [i, l] of layers.entries()) {
    const diffId = diffIds[i] as string;
    const { size } = await store.addLayer(diffId, async (dir) => {
      l.fill(dir);
      return { diffId, size: 0 };
    });
    records.push({ diffId, size });
  }
  const json = { architecture: process.arch === "arm64" ? "arm64" : "amd64", os: "linux", config, rootfs: { type: "layers", diff_ids: diffIds } };
  const id = store.putBlob(new TextEncoder().encode(JSON.stringify(json)));
  const record: ImageRecord = { id, repoDigests: [], layers: records, added: new Date().toISOString(), platform: `linux/${json.architecture}` };
  using _ = store.lock();
  store.add(record, names);
  return record;
}

// ---- Real images: what a registry serves, `docker save` writes and an OCI
// layout holds, built from tar entries (src/image/tar.ts's writer), so
// that a pull or an import unpacks them for real. Each layer's diff ID is
// the sha256 of its uncompressed tar, as the config must say.

export type Compression = "gzip" | "zstd" | "none";

export interface Blob {
  mediaType: string;
  digest: string;
  size: number;
  bytes: Uint8Array;
}

export interface Layer extends Blob {
  diffId: string;
  tar: Uint8Array; // uncompressed
}

export interface PlatformOf {
  os: string;
  architecture: string;
  variant?: string;
}

export interface Image {
  kind: "image";
  manifest: Blob;
  config: Blob;
  layers: Layer[];
  platform: PlatformOf;
}

export interface Index {
  kind: "index";
  index: Blob;
  images: Image[];
}

export const sha256Of = (bytes: Uint8Array | string) => `sha256:${new Bun.CryptoHasher("sha256").update(bytes).digest("hex")}`;
const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const blob = (mediaType: string, bytes: Uint8Array): Blob => ({ mediaType, digest: sha256Of(bytes), size: bytes.length, bytes });

export const HOST_ARCH = process.arch === "arm64" ? "arm64" : "amd64";
export const OTHER_ARCH = HOST_ARCH === "arm64" ? "amd64" : "arm64";

const LAYER_TYPES = {
  oci: { gzip: "application/vnd.oci.image.layer.v1.tar+gzip", zstd: "application/vnd.oci.image.layer.v1.tar+zstd", none: "application/vnd.oci.image.layer.v1.tar" },
  docker: { gzip: "application/vnd.docker.image.rootfs.diff.tar.gzip", zstd: "application/vnd.docker.image.rootfs.diff.tar.zstd", none: "application/vnd.docker.image.rootfs.diff.tar" },
} as const;

export function compress(tar: Uint8Array, compression: Compression): Uint8Array {
  if (compression === "gzip") return Bun.gzipSync(tar as Uint8Array<ArrayBuffer>);
  if (compression === "none") return tar;
  if (typeof Bun.zstdCompressSync === "function") return Bun.zstdCompressSync(tar);
  const r = Bun.spawnSync(["zstd", "-q", "-c"], { stdin: tar });
  if (r.exitCode !== 0) throw new Error(`zstd: ${r.stderr.toString()}`);
  return new Uint8Array(r.stdout);
}

// A layer of `entries`, compressed as asked; its media type OCI's (or
// docker's, for a docker manifest).
export function layerOf(entries: TarEntryInput[], compression: Compression = "gzip", format: "oci" | "docker" = "oci"): Layer {
  const tar = tarBytes(entries);
  const bytes = compress(tar, compression);
  return { ...blob(LAYER_TYPES[format][compression], bytes), diffId: sha256Of(tar), tar };
}

// The embedded busybox root (made by the build) as a runnable base layer:
// the gzip file itself is the blob, its gunzipped tar the diff ID.
export const ROOTFS_ARCHIVE = `${import.meta.dir}/../rootfs/rootfs.tar.gz`;
export function busyboxLayer(format: "oci" | "docker" = "oci"): Layer {
  const bytes = new Uint8Array(readFileSync(ROOTFS_ARCHIVE));
  const tar = Bun.gunzipSync(bytes);
  return { ...blob(LAYER_TYPES[format].gzip, bytes), diffId: sha256Of(tar), tar };
}

// The entries of a tar before its end (the headers walked, their data
// skipped): another tar's entries may follow.
function tarBody(tar: Uint8Array): Uint8Array {
  let at = 0;
  while (at + 512 <= tar.length && tar.subarray(at, at + 512).some((b) => b !== 0)) {
    const size = parseInt(new TextDecoder().decode(tar.subarray(at + 124, at + 136)).replace(/\0.*$/, "").trim() || "0", 8);
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return tar.subarray(0, at);
}

// A root filesystem tarball (uncompressed): the busybox root and `extra`.
export function rootfsTar(extra: TarEntryInput[]): Uint8Array {
  return Buffer.concat([tarBody(busyboxLayer().tar), tarBytes(extra)]);
}

export interface ImageOptions {
  format?: "oci" | "docker";
  platform?: PlatformOf;
  created?: string;
}

// An image of `layers` (bottom first) whose config's `config` is `config`.
export function imageOf(layers: Layer[], config: Record<string, unknown> = {}, opts: ImageOptions = {}): Image {
  const docker = opts.format === "docker";
  const platform = opts.platform ?? { os: "linux", architecture: HOST_ARCH };
  const configBlob = blob(
    docker ? "application/vnd.docker.container.image.v1+json" : "application/vnd.oci.image.config.v1+json",
    encode({
      created: opts.created ?? "2024-01-02T03:04:05Z",
      ...platform,
      config,
      rootfs: { type: "layers", diff_ids: layers.map((l) => l.diffId) },
      history: layers.map(() => ({ created_by: "test/images.ts" })),
    }),
  );
  const mediaType = docker ? "application/vnd.docker.distribution.manifest.v2+json" : "application/vnd.oci.image.manifest.v1+json";
  const descriptor = (b: Blob) => ({ mediaType: b.mediaType, digest: b.digest, size: b.size });
  const manifest = blob(mediaType, encode({ schemaVersion: 2, mediaType, config: descriptor(configBlob), layers: layers.map(descriptor) }));
  return { kind: "image", manifest, config: configBlob, layers, platform };
}

// An index (or docker manifest list) of images, each with its platform.
export function indexOf(images: Image[], format: "oci" | "docker" = "oci"): Index {
  const mediaType = format === "docker" ? "application/vnd.docker.distribution.manifest.list.v2+json" : "application/vnd.oci.image.index.v1+json";
  const manifests = images.map((i) => ({ mediaType: i.manifest.mediaType, digest: i.manifest.digest, size: i.manifest.size, platform: i.platform }));
  return { kind: "index", index: blob(mediaType, encode({ schemaVersion: 2, mediaType, manifests })), images };
}

const topOf = (top: Image | Index): Blob => (top.kind === "index" ? top.index : top.manifest);

// Every blob of an image or index, once each, the top one last.
export function blobsOf(top: Image | Index): Blob[] {
  const images = top.kind === "index" ? top.images : [top];
  const all = new Map<string, Blob>();
  for (const i of images) for (const b of [...i.layers, i.config, i.manifest]) all.set(b.digest, b);
  if (top.kind === "index") all.set(top.index.digest, top.index);
  return [...all.values()];
}

// The entries of an OCI image layout of `top`, named `name` (a full
// reference, in containerd's annotation) when given.
export function layoutEntries(top: Image | Index, name?: string): TarEntryInput[] {
  const t = topOf(top);
  const annotations = name === undefined ? undefined : { "io.containerd.image.name": name, "org.opencontainers.image.ref.name": name.slice(name.lastIndexOf(":") + 1) };
  const index = { schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: [{ mediaType: t.mediaType, digest: t.digest, size: t.size, ...(annotations && { annotations }) }] };
  return [
    { path: "oci-layout", data: JSON.stringify({ imageLayoutVersion: "1.0.0" }) },
    { path: "index.json", data: JSON.stringify(index) },
    { path: "blobs", type: "dir" },
    { path: "blobs/sha256", type: "dir" },
    ...blobsOf(top).map((b) => ({ path: `blobs/sha256/${b.digest.slice(7)}`, data: b.bytes })),
  ];
}

// An OCI image layout directory.
export function writeLayout(dir: string, top: Image | Index, name?: string): void {
  for (const e of layoutEntries(top, name)) {
    if (e.type === "dir") mkdirSync(`${dir}/${e.path}`, { recursive: true });
    else writeIn(dir, `/${e.path}`, e.data ?? "");
  }
}

// An OCI archive: the layout in a tar.
export const ociArchive = (top: Image | Index, name?: string) => tarBytes(layoutEntries(top, name));

// A `docker save` archive as docker before 25 wrote it: manifest.json
// ([{ Config, RepoTags, Layers }]), the config as <hex>.json, each layer
// uncompressed as <n>/layer.tar.
export function dockerArchive(images: { image: Image; repoTags: string[] }[]): Uint8Array {
  const entries: TarEntryInput[] = [];
  const manifest = images.map(({ image, repoTags }, n) => {
    const config = `${image.config.digest.slice(7)}.json`;
    entries.push({ path: config, data: image.config.bytes });
    const layers = image.layers.map((l, i) => {
      const path = `${n}-${i}/layer.tar`;
      entries.push({ path: `${n}-${i}`, type: "dir" }, { path, data: l.tar });
      return path;
    });
    return { Config: config, RepoTags: repoTags, Layers: layers };
  });
  return tarBytes([{ path: "manifest.json", data: JSON.stringify(manifest) }, ...entries]);
}

// Pushed to a test registry (test/registry.ts) through its HTTP API:
// the blobs, each image's manifest by digest, and the top one by `tag`.
// Returns the top manifest's digest.
export async function pushTo(registry: Pick<TestRegistry, "pushBlob" | "pushManifest">, repo: string, tag: string, top: Image | Index): Promise<string> {
  const images = top.kind === "index" ? top.images : [top];
  await Promise.all([...new Map(images.flatMap((i) => [...i.layers, i.config]).map((b) => [b.digest, b])).values()].map((b) => registry.pushBlob(repo, b.bytes)));
  if (top.kind === "index") for (const i of images) await registry.pushManifest(repo, i.manifest.digest, i.manifest.bytes, i.manifest.mediaType);
  const t = topOf(top);
  return registry.pushManifest(repo, tag, t.bytes, t.mediaType);
}
