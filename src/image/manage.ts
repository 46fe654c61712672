// What the image commands do to the store, by docker's rules: names are
// normalized (alpine is docker.io/library/alpine:latest), `rmi` of a name
// untags and deletes the image with its last name, no image a container
// uses goes, and `image prune` takes the nameless ones (or, with all, every
// unused one).
import { ContainError, EXIT } from "../errors.ts";
import { familiar, format, normalize, parseReference } from "../spec/reference.ts";
import type { ImageRecord, ImageStore } from "./store.ts";

// The store's key for a name: docker.io/library/alpine:latest.
export const fullName = (text: string) => format(normalize(text));

// docker's display of a stored name: alpine:latest.
export const displayName = (full: string) => familiar(parseReference(full));

// An image by name (a tag, or NAME@DIGEST of a manifest it came from), by
// ID or by a prefix of its ID.
export function findImage(store: ImageStore, text: string): ImageRecord | undefined {
  let byName: ImageRecord | undefined;
  try {
    byName = store.find(fullName(text));
  } catch {}
  return byName ?? store.find(text);
}

export function requireImage(store: ImageStore, text: string, command: string): ImageRecord {
  const image = findImage(store, text);
  if (!image) throw new ContainError(`no such image: ${text}`, command === "run" ? `pull it first (contain pull ${text}) or import it` : "see contain images", EXIT.failed);
  return image;
}

const short = (id: string) => id.slice(7, 19);

// The containers that hold an image, by their short IDs.
function usersOf(store: ImageStore, id: string): string[] {
  return store
    .claims()
    .filter((c) => c.claim.image === id)
    .map((c) => c.container.slice(0, 12));
}

// docker's rmi, for one argument: the lines it prints (Untagged: NAME,
// Deleted: ID). Under the store's lock.
export function removeImage(store: ImageStore, text: string, force: boolean): string[] {
  const image = requireImage(store, text, "rmi");
  const names = store.namesOf(image.id);
  let asName: string | undefined;
  try {
    asName = names.find((n) => n === fullName(text));
  } catch {}
  const lines: string[] = [];
  // A name of an image that has others: only the name goes.
  if (asName && names.length > 1) {
    store.untag(asName);
    return [`Untagged: ${displayName(asName)}`];
  }
  if (!asName && names.length > 1 && !force)
    throw new ContainError(`image ${short(image.id)} has ${names.length} names (${names.map(displayName).join(", ")})`, "remove them one by one, or use -f", EXIT.failed);
  const users = usersOf(store, image.id);
  if (users.length && !force)
    throw new ContainError(`image ${text} is used by container${users.length > 1 ? "s" : ""} ${users.join(", ")}`, `remove ${users.length > 1 ? "them" : "it"} first (contain rm ${users.join(" ")}), or use -f to untag it`, EXIT.failed);
  for (const n of names) lines.push(`Untagged: ${displayName(n)}`);
  if (users.length) {
    // -f of an image in use: its names go, the image and its layers stay for
    // the containers (docker's rule), listed as <none>.
    for (const n of names) store.untag(n);
    return lines;
  }
  for (const d of image.repoDigests) lines.push(`Untagged: ${displayName(d)}`);
  store.removeImage(image.id);
  lines.push(`Deleted: ${image.id}`);
  return lines;
}

// Nameless images no container uses (all: every image no container uses);
// returns the IDs deleted.
export function pruneImages(store: ImageStore, all: boolean): string[] {
  const named = new Set(Object.values(store.names()));
  const used = new Set(store.claims().map((c) => c.claim.image));
  const gone = store.images().filter((i) => !used.has(i.id) && (all || !named.has(i.id)));
  for (const i of gone) store.removeImage(i.id);
  return gone.map((i) => i.id);
}

export const imageSize = (image: ImageRecord) => image.layers.reduce((sum, l) => sum + l.size, 0);
