// `contain import`: a root filesystem tarball (.tar, .tar.gz, .tar.zst), a
// `docker save` archive, an OCI image layout (a directory) or an OCI
// archive (the layout in a tar). An archive is unpacked into a scratch
// directory of the store first (as safely as any layer: nothing of it can
// land outside), and read there without following a link it holds: a
// hostile archive's blobs/sha256/x -> /etc/shadow is refused, not read.
import { closeSync, existsSync, lstatSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync } from "node:fs";
import { posix } from "node:path";
import { ContainError, EXIT } from "../errors.ts";
import { DIGEST_RE, documentKind, MEDIA, parseImageConfig, parseIndex, parseManifest, type Descriptor, type ImageConfig, type ImageIndex } from "../spec/image.ts";
import type { Platform } from "../spec/platform.ts";
import { formatPlatform } from "../spec/platform.ts";
import { detectCompression, MAGIC_LENGTH } from "./compression.ts";
import type { ImageRecord, ImageStore } from "./store.ts";

export interface ImportRequest {
  path: string;
  names: string[]; // full names given on the line (may be none)
  platform: Platform; // the host's: a rootfs tarball is an image for it
  choose: (index: ImageIndex, where: string) => Descriptor; // an OCI layout's entry
  unpack: (file: string, dir: string) => Promise<{ diffId: string; size: number }>;
  normalize: (name: string) => string; // a RepoTags entry or ref annotation to a full name
}

export interface Imported {
  image: ImageRecord;
  names: string[];
  kind: "rootfs" | "docker-archive" | "oci-layout" | "oci-archive";
}

async function sha256File(path: string): Promise<string> {
  const hasher = new Bun.CryptoHasher("sha256");
  for await (const chunk of Bun.file(path).stream()) hasher.update(chunk);
  return `sha256:${hasher.digest("hex")}`;
}

export function importImage(store: ImageStore, req: ImportRequest): Promise<Imported> {
  return store.adding(() => importAny(store, req));
}

async function importAny(store: ImageStore, req: ImportRequest): Promise<Imported> {
  let st;
  try {
    st = statSync(req.path);
  } catch {
    throw new ContainError(`${req.path} does not exist`, "give a rootfs tarball, a docker save archive, or an OCI layout directory or archive", EXIT.failed);
  }
  if (st.isDirectory()) {
    if (existsSync(`${req.path}/oci-layout`)) return fromLayout(store, req, req.path, "oci-layout");
    if (existsSync(`${req.path}/manifest.json`)) return fromDockerArchive(store, req, req.path);
    throw new ContainError(`${req.path} is a directory but no OCI image layout (no oci-layout file) or unpacked docker save (no manifest.json)`, "give a tarball of a root filesystem (tar -C DIR -czf rootfs.tar.gz .), or an OCI layout", EXIT.failed);
  }
  if (!st.isFile()) throw new ContainError(`${req.path} is not a regular file`, "give a rootfs tarball, a docker save archive, or an OCI layout or archive", EXIT.failed);
  // Unpacked once, as a layer would be: a root filesystem is one; an
  // archive's top-level files say it is one instead, to be read and dropped.
  const scratch = store.scratch("layers");
  const dir = `${scratch}/diff`;
  let layer: { diffId: string; size: number };
  let adopted = false;
  try {
    mkdirSync(dir, { mode: 0o755 });
    layer = await req.unpack(req.path, dir);
    if (isFile(dir, "oci-layout") && isFile(dir, "index.json")) return await fromLayout(store, req, dir, "oci-archive");
    if (isFile(dir, "manifest.json") && !existsSync(`${dir}/bin`) && !existsSync(`${dir}/etc`)) return await fromDockerArchive(store, req, dir);
    store.adopt(scratch, layer);
    adopted = true;
  } finally {
    if (!adopted) rmSync(scratch, { recursive: true, force: true });
  }
  const blob = await storeFile(store, req.path);
  const mediaType = layerType(req.path);
  const now = new Date().toISOString();
  const config = {
    created: now,
    architecture: req.platform.architecture,
    os: req.platform.os,
    ...(req.platform.variant && { variant: req.platform.variant }),
    config: {},
    rootfs: { type: "layers", diff_ids: [layer.diffId] },
    history: [{ created: now, created_by: `contain import ${posix.basename(req.path)}` }],
  };
  const configDigest = store.putBlob(new TextEncoder().encode(JSON.stringify(config)));
  const manifest = manifestFor(store, configDigest, [{ mediaType, digest: blob.digest, size: blob.size }]);
  const image: ImageRecord = {
    id: configDigest,
    manifest: manifest.digest,
    repoDigests: [],
    layers: [{ diffId: layer.diffId, digest: blob.digest, mediaType, size: layer.size }],
    created: now,
    added: now,
    platform: formatPlatform(req.platform),
  };
  using _ = store.lock();
  store.putBlob(manifest.bytes, manifest.digest);
  store.add(image, req.names);
  return { image, names: req.names, kind: "rootfs" };
}

// An OCI layout: index.json names the image (one, or the platform's of an
// index); every blob is checked against its digest as it enters the store.
async function fromLayout(store: ImageStore, req: ImportRequest, dir: string, kind: "oci-layout" | "oci-archive"): Promise<Imported> {
  const where = req.path;
  const index = parseIndex(readInside(dir, "index.json"), `${where}: index.json`);
  if (!index.manifests.length) throw new ContainError(`${where}: index.json lists no image`, "export the image again", EXIT.failed);
  let desc = index.manifests.length === 1 ? (index.manifests[0] as Descriptor) : req.choose(index, where);
  let bytes = await blobInside(store, dir, desc, where);
  if (documentKind(JSON.parse(new TextDecoder().decode(bytes)), desc.mediaType) === "index") {
    desc = req.choose(parseIndex(bytes, where), where);
    bytes = await blobInside(store, dir, desc, where);
  }
  const manifest = parseManifest(bytes, where);
  const config = parseImageConfig(await blobInside(store, dir, manifest.config, where), where);
  const refName = desc.annotations?.["io.containerd.image.name"] ?? index.manifests[0]?.annotations?.["io.containerd.image.name"];
  const names = req.names.length ? req.names : refName ? [req.normalize(refName)] : [];
  const image = await withLayers(store, req, dir, config, manifest.layers, where, { id: manifest.config.digest, manifest: desc.digest });
  using _ = store.lock();
  store.putBlob(bytes, desc.digest);
  store.add(image, names);
  return { image, names, kind };
}

// docker save: manifest.json holds [{ Config, RepoTags, Layers }] by path.
async function fromDockerArchive(store: ImageStore, req: ImportRequest, dir: string): Promise<Imported> {
  const where = req.path;
  let entries: { Config?: unknown; RepoTags?: unknown; Layers?: unknown }[];
  try {
    entries = JSON.parse(new TextDecoder().decode(readInside(dir, "manifest.json")));
  } catch (err) {
    if (err instanceof ContainError) throw err;
    throw new ContainError(`${where}: manifest.json is not JSON`, "save the image again", EXIT.failed);
  }
  if (!Array.isArray(entries) || entries.length === 0) throw new ContainError(`${where}: manifest.json lists no image`, "save the image again", EXIT.failed);
  if (entries.length > 1 && req.names.length) throw new ContainError(`${where} holds ${entries.length} images: one name cannot go to all`, "import it without a name: each image keeps its own", EXIT.failed);
  let last: Imported | undefined;
  for (const entry of entries) {
    if (typeof entry.Config !== "string" || !Array.isArray(entry.Layers) || !entry.Layers.every((l) => typeof l === "string"))
      throw new ContainError(`${where}: an entry of manifest.json has no Config or Layers`, "save the image again", EXIT.failed);
    const configBytes = readInside(dir, entry.Config);
    const config = parseImageConfig(configBytes, `${where}: ${entry.Config}`);
    const configDigest = store.putBlob(configBytes);
    const layers: Descriptor[] = [];
    for (const path of entry.Layers as string[]) {
      const file = pathInside(dir, path);
      const digest = await sha256File(file);
      layers.push({ mediaType: layerType(file), digest, size: statSync(file).size });
      if (!store.hasBlob(digest)) renameSync(file, store.blobPath(digest));
    }
    const manifest = manifestFor(store, configDigest, layers);
    const tags = Array.isArray(entry.RepoTags) ? entry.RepoTags.filter((t): t is string => typeof t === "string").map(req.normalize) : [];
    const names = req.names.length ? req.names : tags;
    const image = await withLayers(store, req, undefined, config, layers, where, { id: configDigest, manifest: manifest.digest });
    using _ = store.lock();
    store.putBlob(manifest.bytes, manifest.digest);
    store.add(image, names);
    last = { image, names, kind: "docker-archive" };
  }
  return last as Imported;
}

// The layers of an image whose blobs are in the store (or, from a layout,
// in `dir` to be checked and moved in), each unpacked once.
async function withLayers(store: ImageStore, req: ImportRequest, dir: string | undefined, config: ImageConfig, layers: readonly Descriptor[], where: string, ids: { id: string; manifest: string }): Promise<ImageRecord> {
  const diffIds = config.rootfs.diff_ids;
  if (diffIds.length !== layers.length) throw new ContainError(`${where}: the manifest has ${layers.length} layers and the config ${diffIds.length}`, "the image is damaged: export it again", EXIT.failed);
  const records = [];
  for (const [i, layer] of layers.entries()) {
    if (dir !== undefined) await blobInside(store, dir, layer, where, false);
    const diffId = diffIds[i] as string;
    const got = await store.addLayer(diffId, (into) => req.unpack(store.blobPath(layer.digest), into));
    records.push({ diffId, digest: layer.digest, mediaType: layer.mediaType, size: got.size });
  }
  return {
    ...ids,
    repoDigests: [],
    layers: records,
    ...(config.created !== undefined && { created: config.created }),
    added: new Date().toISOString(),
    platform: [config.os ?? "linux", config.architecture ?? "unknown", ...(config.variant ? [config.variant] : [])].join("/"),
  };
}

// A blob of a layout: blobs/sha256/<hex>, a file of its own (no link),
// whose contents are its digest; moved into the store. Returns its bytes
// when asked (manifests and configs are small).
async function blobInside(store: ImageStore, dir: string, desc: Descriptor, where: string, read = true): Promise<Uint8Array> {
  if (!DIGEST_RE.test(desc.digest)) throw new ContainError(`${where}: ${desc.digest} is not a sha256 digest`, "contain knows sha256 blobs only", EXIT.failed);
  if (store.hasBlob(desc.digest)) return read ? store.readBlob(desc.digest) : new Uint8Array();
  const file = pathInside(dir, `blobs/sha256/${desc.digest.slice(7)}`);
  const got = await sha256File(file);
  if (got !== desc.digest) throw new ContainError(`${where}: blob ${desc.digest} holds ${got}`, "the archive is damaged: export it again", EXIT.failed);
  renameSync(file, store.blobPath(desc.digest));
  return read ? store.readBlob(desc.digest) : new Uint8Array();
}

// A path the archive names, inside its tree: no "..", no absolute path, no
// component that is a link (the tree is this import's own: nothing changes
// it while it is read), and a regular file at the end.
function pathInside(dir: string, path: string): string {
  const rel = posix.normalize(path);
  if (rel.startsWith("../") || rel === ".." || posix.isAbsolute(rel)) throw new ContainError(`the archive names ${JSON.stringify(path)}, outside itself`, "the archive is hostile or damaged: it was not imported", EXIT.failed);
  let at = dir;
  for (const part of rel.split("/")) {
    at = `${at}/${part}`;
    let st;
    try {
      st = lstatSync(at);
    } catch {
      throw new ContainError(`the archive has no ${path}`, "the archive is damaged: export it again", EXIT.failed);
    }
    if (st.isSymbolicLink()) throw new ContainError(`the archive's ${path} goes through a symbolic link`, "the archive is hostile or damaged: it was not imported", EXIT.failed);
  }
  if (!lstatSync(at).isFile()) throw new ContainError(`the archive's ${path} is not a file`, "the archive is damaged: export it again", EXIT.failed);
  return at;
}

function readInside(dir: string, path: string): Uint8Array {
  return readFileSync(pathInside(dir, path));
}

const isFile = (dir: string, name: string) => {
  try {
    return lstatSync(`${dir}/${name}`).isFile();
  } catch {
    return false;
  }
};

// A tarball into the store as a blob, by its digest (copied: the user's
// file stays where it is).
async function storeFile(store: ImageStore, path: string): Promise<{ digest: string; size: number }> {
  const digest = await sha256File(path);
  if (!store.hasBlob(digest)) {
    const tmp = `${store.scratch("incoming")}/blob`;
    await Bun.write(tmp, Bun.file(path));
    renameSync(tmp, store.blobPath(digest));
    rmSync(tmp.slice(0, -"/blob".length), { recursive: true, force: true });
  }
  return { digest, size: statSync(store.blobPath(digest)).size };
}

// A layer's media type, from its first bytes.
function layerType(path: string): string {
  const head = new Uint8Array(MAGIC_LENGTH);
  const fd = openSync(path, "r");
  try {
    readSync(fd, head, 0, MAGIC_LENGTH, 0);
  } finally {
    closeSync(fd);
  }
  const compression = detectCompression(head);
  return compression === "gzip" ? MEDIA.ociLayerGzip : compression === "zstd" ? MEDIA.ociLayerZstd : MEDIA.ociLayer;
}

// The OCI manifest of an image made here (a rootfs import, a docker save).
function manifestFor(store: ImageStore, config: string, layers: readonly Descriptor[]): { bytes: Uint8Array; digest: string } {
  const size = statSync(store.blobPath(config)).size;
  const bytes = new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociManifest, config: { mediaType: MEDIA.ociConfig, digest: config, size }, layers }));
  return { bytes, digest: `sha256:${new Bun.CryptoHasher("sha256").update(bytes).digest("hex")}` };
}
