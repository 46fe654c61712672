// A container's root made of an image of the store (src/image/store.ts):
// the image `run` names, its layers as the overlay's lower ones, and the
// container's claim on it, which keeps rmi from removing what it runs on.
import { existsSync } from "node:fs";
import { dirname } from "node:path";
import { ContainError } from "../errors.ts";
import { findImage } from "../image/manage.ts";
import type { RemoteOptions } from "../image/remote.ts";
import { CLAIM, ImageStore, layerDirs } from "../image/store.ts";
import type { LayerStack } from "../plan/plan.ts";
import type { ImageUse } from "../spec/image-config.ts";
import type { Spec } from "../spec/schema.ts";

// docker's --pull: missing (the default), always, never.
export const PULL_POLICIES = ["missing", "always", "never"] as const;
export type PullPolicy = (typeof PULL_POLICIES)[number];

export interface ChosenImage {
  use: ImageUse;
  layerDirs: string[]; // bottom first, for reading its files (readInLayers)
  lowers: LayerStack;
}

// The data root of a container's data directory (containerDataDir's
// <data root>/containers/<id>), where its image's store is.
const dataRootOf = (dataDir: string) => dirname(dirname(dataDir));

// The layers' short names, top first; a layer gone is an image to get again.
function lowersOf(store: ImageStore, name: string, layers: readonly string[]): LayerStack {
  try {
    return { dir: store.dir, layers: store.lowers(layers) };
  } catch (err) {
    throw new ContainError(`image ${name}: its layers are not all in the image store (${(err as NodeJS.ErrnoException).code ?? String(err)})`, `pull or import it again`, undefined, { cause: err });
  }
}

// The image `ref` names, by --pull's policy: pulled when missing (or
// always), before anything of the container is made.
export async function imageFor(dataRoot: string, ref: string, policy: PullPolicy, remote: RemoteOptions & { pulling?: () => void }): Promise<ChosenImage> {
  let store = ImageStore.existing(dataRoot);
  let found = store && findImage(store, ref);
  if (!found && policy === "never") throw new ContainError(`image ${ref} is not in the store (--pull never)`, `pull it first (contain pull ${ref}), or leave out --pull never`);
  // An ID (or its prefix) names a local image only: nothing to pull.
  if (policy === "always" || (!found && !/^(sha256:)?[0-9a-f]{4,64}$/.test(ref))) {
    const { pullByName, pullTarget } = await import("../image/remote.ts");
    // A name that cannot be pulled gets no "Unable to find image" first.
    pullTarget(ref, remote.platform);
    remote.pulling?.();
    store = ImageStore.open(dataRoot);
    found = (await pullByName(store, ref, remote)).image;
  }
  if (!store || !found) throw new ContainError(`no such image: ${ref}`, "see contain images");
  const layers = found.layers.map((l) => l.diffId);
  return {
    use: { name: ref, id: found.id, layers, config: store.config(found).config ?? {} },
    layerDirs: layerDirs(store, found),
    lowers: lowersOf(store, ref, layers),
  };
}

// The layers of the image a container was made of (`start` and `cp` of a
// stopped one plan its root again); none for a root directory.
export function imageLowers(spec: Spec, dataDir: string): LayerStack | undefined {
  const image = spec.contain?.image;
  if (!image) return undefined;
  const store = ImageStore.existing(dataRootOf(dataDir));
  if (!store) throw new ContainError(`image ${image.name}: the image store under ${dataRootOf(dataDir)} is gone`, "remove the container, and run a new one once the image is back");
  return lowersOf(store, image.name, image.layers);
}

// The container's claim on its image, in its data directory once that names
// its owner (so that a sweep, not a crash, decides when it goes; it goes
// with the directory). Under the store's lock, with the choice made again
// there: an image removed since `run` chose it is refused, never run.
export function claimImage(spec: Spec, dataDir: string, lowers: LayerStack | undefined): void {
  const image = spec.contain?.image;
  if (!image || existsSync(`${dataDir}/${CLAIM}`)) return;
  const gone = new ContainError(`image ${image.name} was removed while the container was being made`, `run it again (or pull it again: contain pull ${image.name})`);
  const store = ImageStore.existing(dataRootOf(dataDir));
  if (!store) throw gone;
  using _ = store.lock();
  const record = store.find(image.id);
  if (!record || record.layers.map((l) => l.diffId).join() !== image.layers.join()) throw gone;
  let now: string[];
  try {
    now = store.lowers(image.layers);
  } catch {
    throw gone;
  }
  // A layer removed and unpacked again since has another short name.
  if (now.join() !== lowers?.layers.join()) throw gone;
  store.claim(dataDir, record, image.name);
}
