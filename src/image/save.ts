// `contain save`: images as an OCI archive (an image layout in a tar:
// oci-layout, index.json, blobs/sha256/...), with docker's manifest.json
// beside it so `docker load` and `podman load` read it too. Every blob is
// the store's own, so a saved image is the image pulled, byte for byte.
import { statSync } from "node:fs";
import { ContainError, EXIT } from "../errors.ts";
import { MEDIA, parseManifest } from "../spec/image.ts";
import { familiar, format, parseReference } from "../spec/reference.ts";
import type { ImageRecord, ImageStore } from "./store.ts";
import { tarChunks, type TarStreamInput } from "./tar.ts";

export interface Saved {
  image: ImageRecord;
  name?: string; // the full name it is saved under
}

// The archive's chunks; blobs stream from the store.
export function saveImages(store: ImageStore, images: readonly Saved[]): AsyncGenerator<Uint8Array> {
  const blobs = new Set<string>();
  const manifests: object[] = [];
  const docker: object[] = [];
  for (const { image, name } of images) {
    if (!image.manifest || !store.hasBlob(image.manifest)) throw new ContainError(`image ${image.id.slice(7, 19)} has no manifest in the store`, "pull or import it again", EXIT.failed);
    const manifest = parseManifest(store.readBlob(image.manifest), `image ${image.id.slice(7, 19)}`);
    const needed = [image.manifest, manifest.config.digest, ...manifest.layers.map((l) => l.digest)];
    const missing = needed.find((d) => !store.hasBlob(d));
    if (missing) throw new ContainError(`blob ${missing} of image ${image.id.slice(7, 19)} is not in the store`, "pull or import the image again", EXIT.failed);
    for (const d of needed) blobs.add(d);
    const ref = name === undefined ? undefined : parseReference(name);
    manifests.push({
      mediaType: MEDIA.ociManifest,
      digest: image.manifest,
      size: statSync(store.blobPath(image.manifest)).size,
      ...(ref && { annotations: { "io.containerd.image.name": format(ref), ...(ref.tag && { "org.opencontainers.image.ref.name": ref.tag }) } }),
    });
    docker.push({ Config: blobName(manifest.config.digest), RepoTags: ref ? [familiar(ref)] : [], Layers: manifest.layers.map((l) => blobName(l.digest)) });
  }
  const json = (path: string, value: unknown): TarStreamInput => ({ path, data: JSON.stringify(value) });
  async function* entries(): AsyncGenerator<TarStreamInput> {
    yield { path: "blobs/", type: "dir" };
    yield { path: "blobs/sha256/", type: "dir" };
    for (const d of blobs) {
      const path = store.blobPath(d);
      yield { path: blobName(d), data: Bun.file(path).stream(), size: statSync(path).size };
    }
    yield json("oci-layout", { imageLayoutVersion: "1.0.0" });
    yield json("index.json", { schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests });
    yield json("manifest.json", docker);
  }
  return tarChunks(entries());
}

const blobName = (digest: string) => `blobs/sha256/${digest.slice(7)}`;
