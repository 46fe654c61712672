// A pull: the manifest (through an index to the platform's), the config,
// then the layers, several at a time, each blob verified before it enters
// the store and each layer unpacked once. What a killed pull leaves is a
// partial download the next one resumes and an unpack the store collects.
import { ContainError } from "../errors.ts";
import { documentKind, isLayerType, parseImageConfig, parseIndex, parseManifest, type Descriptor, type ImageIndex } from "../spec/image.ts";
import type { Progress } from "./progress.ts";
import type { ImageRecord, ImageStore } from "./store.ts";

// The registry, as a pull needs it (registry.ts is the real one; tests may
// give another).
export interface Source {
  manifest(repository: string, reference: string): Promise<{ bytes: Uint8Array; mediaType: string; digest: string }>;
  // Downloads into `path` (resuming what is there) and leaves the verified
  // blob there, or throws having removed what did not verify.
  blob(repository: string, digest: string, path: string, opts: { size?: number; onProgress?: (done: number) => void; signal?: AbortSignal }): Promise<void>;
}

// The pull's display: a line per layer on a terminal (progress.ts).
export type PullProgress = Pick<Progress, "layer" | "update" | "state">;

export interface PullRequest {
  repository: string; // in the registry: library/alpine
  reference: string; // a tag or a digest
  names: string[]; // what the image is called once in: docker.io/library/alpine:latest
  repoName: string; // for RepoDigests: docker.io/library/alpine
  platform: (index: ImageIndex) => Descriptor; // the index's entry for the platform asked for
  platformName: string;
  unpack: (blob: string, dir: string) => Promise<{ diffId: string; size: number }>;
  progress?: PullProgress;
  concurrency?: number;
}

// docker's max-concurrent-downloads.
const CONCURRENCY = 3;

export function pullImage(store: ImageStore, source: Source, req: PullRequest): Promise<ImageRecord> {
  return store.adding(() => pull(store, source, req));
}

async function pull(store: ImageStore, source: Source, req: PullRequest): Promise<ImageRecord> {
  const where = `${req.repoName}:${req.reference}`;
  let top = await source.manifest(req.repository, req.reference);
  const topJson = JSON.parse(new TextDecoder().decode(top.bytes)) as Record<string, unknown>;
  const kind = documentKind(topJson, top.mediaType);
  // docker's RepoDigest: the digest the image was pulled by, an index's
  // when there is one, so that NAME@DIGEST as pull prints it finds it.
  const pulledBy = top.digest;
  if (kind === "index") {
    const chosen = req.platform(parseIndex(top.bytes, where));
    top = await source.manifest(req.repository, chosen.digest);
    if (top.digest !== chosen.digest) throw new ContainError(`the manifest of ${where} for ${req.platformName} is ${top.digest}, not the ${chosen.digest} its index names`, "the registry is inconsistent: try again later");
  } else if (kind !== "manifest") {
    throw new ContainError(`${where}: the registry sent a ${top.mediaType || "document"} that is neither an image index nor a manifest`, "contain pulls OCI and docker v2 schema 2 images");
  }
  const manifest = parseManifest(top.bytes, where);
  const configPath = await fetchBlob(store, source, req.repository, manifest.config);
  const config = parseImageConfig(await Bun.file(configPath).bytes(), where);
  const layers = manifest.layers.filter((l) => isLayerType(l.mediaType));
  if (layers.length !== manifest.layers.length) {
    const odd = manifest.layers.find((l) => !isLayerType(l.mediaType));
    throw new ContainError(`${where}: a layer of type ${odd?.mediaType} is not a filesystem layer`, "this is not a container image (an artifact?): pull an image");
  }
  const diffIds = config.rootfs.diff_ids;
  if (diffIds.length !== layers.length) throw new ContainError(`${where}: the manifest has ${layers.length} layers and the config ${diffIds.length}`, "the image is damaged: ask its publisher");

  // One task per distinct layer: an image may hold one layer twice, and two
  // downloads or unpacks of it in this process would wait for each other's
  // lock, or share a temporary directory.
  const unique = [...new Map(layers.map((l, i) => [diffIds[i] as string, l])).entries()];
  for (const [, l] of unique) req.progress?.layer(l.digest, l.size);
  const sizes = new Map<string, number>();
  let next = 0;
  // The first failure stops the other workers (a download is broken off,
  // its partial kept to resume) and goes out only once they are all done:
  // the tidy that follows must not run beside an unpack of this pull, which
  // would leave its scratch directory, or a layer no image names, behind.
  const stop = new AbortController();
  const worker = async () => {
    for (let i = next++; i < unique.length && !stop.signal.aborted; i = next++) {
      const [diffId, layer] = unique[i] as [string, Descriptor];
      if (store.hasLayer(diffId)) {
        req.progress?.state(layer.digest, "Already exists");
        sizes.set(diffId, store.layerSize(diffId));
        continue;
      }
      const blob = await fetchBlob(store, source, req.repository, layer, req.progress, stop.signal);
      req.progress?.state(layer.digest, "Extracting");
      sizes.set(diffId, (await store.addLayer(diffId, (dir) => req.unpack(blob, dir))).size);
      req.progress?.state(layer.digest, "Pull complete");
    }
  };
  let failure: { error: unknown } | undefined;
  const stopping = (error: unknown) => {
    failure ??= { error };
    stop.abort(error);
  };
  await Promise.all(Array.from({ length: Math.min(req.concurrency ?? CONCURRENCY, unique.length) }, () => worker().catch(stopping)));
  if (failure) throw failure.error;

  store.putBlob(top.bytes, top.digest);
  const image: ImageRecord = {
    id: manifest.config.digest,
    manifest: top.digest,
    repoDigests: [`${req.repoName}@${pulledBy}`],
    layers: layers.map((l, i) => ({ diffId: diffIds[i] as string, digest: l.digest, mediaType: l.mediaType, size: sizes.get(diffIds[i] as string) ?? 0 })),
    ...(config.created !== undefined && { created: config.created }),
    added: new Date().toISOString(),
    platform: [config.os ?? "linux", config.architecture ?? "unknown", ...(config.variant ? [config.variant] : [])].join("/"),
  };
  using _ = store.lock();
  store.add(image, req.names);
  return image;
}

// A blob into the store, once: a second pull of it waits for the first's
// download and finds it there.
async function fetchBlob(store: ImageStore, source: Source, repository: string, desc: Descriptor, progress?: PullProgress, signal?: AbortSignal): Promise<string> {
  const path = store.blobPath(desc.digest);
  if (store.hasBlob(desc.digest)) {
    progress?.state(desc.digest, "Download complete");
    return path;
  }
  const incoming = store.incoming(desc.digest);
  try {
    if (!store.hasBlob(desc.digest)) {
      progress?.state(desc.digest, "Downloading");
      await source.blob(repository, desc.digest, incoming.path, { size: desc.size, ...(signal && { signal }), ...(progress && { onProgress: (done: number) => progress.update(desc.digest, done) }) });
      progress?.state(desc.digest, "Verifying Checksum");
      store.commitBlob(desc.digest, incoming);
    }
    progress?.state(desc.digest, "Download complete");
  } finally {
    store.releaseIncoming(incoming);
  }
  return path;
}
