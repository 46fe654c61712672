// An image as docker's `image inspect` (and `inspect`, for a name that is no
// container's) shows it: the fields an image has here.
import { displayName, imageSize } from "../image/manage.ts";
import type { ImageRecord, ImageStore } from "../image/store.ts";

export function imageInspectOf(store: ImageStore, image: ImageRecord) {
  const config = store.config(image);
  return {
    Id: image.id,
    RepoTags: store.namesOf(image.id).map(displayName),
    RepoDigests: image.repoDigests.map(displayName),
    Created: config.created ?? image.added,
    Author: config.author ?? "",
    Architecture: config.architecture ?? "",
    ...(config.variant && { Variant: config.variant }),
    Os: config.os ?? "",
    Size: imageSize(image),
    Config: config.config ?? {},
    RootFS: { Type: "layers", Layers: config.rootfs.diff_ids },
    GraphDriver: { Name: "overlay", Data: { LowerDir: image.layers.map((l) => store.layerDir(l.diffId)).toReversed().join(":") } },
    Metadata: { Added: image.added },
  };
}

