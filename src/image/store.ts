// The image store under the data root, <data root>/images (0700: unpacked
// layers hold setuid files and device nodes that no other user may reach):
//
//   lock                      flock(2) held by every change of what follows
//   images.json               the images (by ID) and their names
//   blobs/sha256/<hex>        verified blobs: manifests, configs, layer tars
//   incoming/<hex>            a download under way (resumed by the next
//                             pull), with <hex>.lock held by its downloader
//   layers/<hex>/diff         a layer unpacked once, by its diff ID (the
//                             digest of its uncompressed tar), whiteouts in
//                             overlayfs's form, shared by every image with it
//   layers/<hex>/link         its short name
//   layers/<hex>.tmp-PID-T    an unpack under way, named by its unpacker
//   l/<short> -> ../layers/<hex>/diff
//
// The short names are docker's overlay2 trick: the overlay's lowerdir list
// is one mount option, and mount(2) takes at most a page of them; mounted
// from this directory as l/<short>:l/<short>..., 128 layers take ~1.7 kB.
//
// A container that uses an image names it and its layers in its data
// directory (claim), so neither goes while the container exists.
import { chmodSync, closeSync, existsSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync, writeSync } from "node:fs";
import { ContainError } from "../errors.ts";
import { FileLock } from "../linux/lock.ts";
import { isRunning, processStartTime } from "../linux/process.ts";
import { DIGEST_RE, parseImageConfig, type ImageConfig } from "../spec/image.ts";

export interface LayerRecord {
  diffId: string; // sha256 of the uncompressed tar: the layer's name
  digest?: string; // the blob it came from (compressed), when kept
  mediaType?: string;
  size: number; // bytes of its unpacked files
}

export interface ImageRecord {
  id: string; // sha256:<hex> of the config: docker's IMAGE ID
  manifest?: string; // the digest of the manifest it came from
  repoDigests: string[]; // NAME@sha256:<manifest>, docker's RepoDigests
  layers: LayerRecord[]; // bottom first
  created?: string; // the config's
  added: string; // when it entered the store
  platform: string; // os/arch[/variant]
}

interface Index {
  images: Record<string, ImageRecord>;
  names: Record<string, string>; // full name (docker.io/library/alpine:latest) -> ID
}

// What a container holds: written into its data directory.
export const CLAIM = "image.json";
export interface Claim {
  image: string;
  name?: string;
  layers: string[];
}

const hex = (digest: string) => digest.slice("sha256:".length);
let scratchCount = 0;
const SHORT_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

export const imageStoreDir = (dataRoot: string) => `${dataRoot}/images`;

// An unpack or a download left by a process that is gone.
const TMP_RE = /\.tmp-(\d+)-(\d+)$/;
const abandoned = (name: string) => {
  const m = TMP_RE.exec(name);
  return !!m && !isRunning(Number(m[1]), Number(m[2]));
};

export class ImageStore {
  private constructor(
    readonly dataRoot: string,
    readonly dir: string,
  ) {}

  static open(dataRoot: string): ImageStore {
    const dir = imageStoreDir(dataRoot);
    for (const d of [dir, `${dir}/blobs/sha256`, `${dir}/incoming`, `${dir}/layers`, `${dir}/l`]) mkdirSync(d, { recursive: true, mode: 0o700 });
    // Also a store made by hand or by an older contain: the mode, not the umask, decides.
    chmodSync(dir, 0o700);
    return new ImageStore(dataRoot, dir);
  }

  // An existing store, for the commands that only read: none yet is none.
  static existing(dataRoot: string): ImageStore | undefined {
    const dir = imageStoreDir(dataRoot);
    return existsSync(`${dir}/images.json`) ? new ImageStore(dataRoot, dir) : undefined;
  }

  lock(): FileLock {
    return FileLock.acquire(`${this.dir}/lock`) as FileLock;
  }

  // Held shared by every pull and import for its whole length, exclusive by
  // a collect: what a pull has stored but not yet named is no garbage. Taken
  // before lock(), always, so neither waits for the other in a circle.
  busy(): FileLock {
    return FileLock.acquire(`${this.dir}/busy`, true, false, true) as FileLock;
  }

  quiet(): FileLock {
    return FileLock.acquire(`${this.dir}/busy`) as FileLock;
  }

  // ---- blobs

  blobPath(digest: string): string {
    if (!DIGEST_RE.test(digest)) throw new ContainError(`${JSON.stringify(digest)} is not a sha256 digest`, "the image names a blob by an unknown digest algorithm: contain knows sha256 only");
    return `${this.dir}/blobs/sha256/${hex(digest)}`;
  }

  hasBlob(digest: string): boolean {
    return existsSync(this.blobPath(digest));
  }

  readBlob(digest: string): Uint8Array {
    return readFileSync(this.blobPath(digest));
  }

  // Small blobs (manifests, configs) come whole: hashed here, so what is
  // stored under a digest is always that digest's.
  putBlob(bytes: Uint8Array, expected?: string): string {
    const digest = `sha256:${new Bun.CryptoHasher("sha256").update(bytes).digest("hex")}`;
    if (expected !== undefined && digest !== expected) throw new ContainError(`a blob that should be ${expected} is ${digest}`, "the source corrupted it: try again, or use another source");
    const path = this.blobPath(digest);
    if (!existsSync(path)) {
      const tmp = `${this.dir}/incoming/${hex(digest)}.tmp-${process.pid}-${processStartTime(process.pid) ?? 0}`;
      writeFileSync(tmp, bytes, { mode: 0o600 });
      renameSync(tmp, path);
    }
    return digest;
  }

  // Where a large blob is downloaded, and the lock its downloader holds: a
  // second pull of it waits, then finds it stored; a killed one's partial
  // file is resumed by the next.
  incoming(digest: string): { path: string; lock: FileLock } {
    this.blobPath(digest);
    const path = `${this.dir}/incoming/${hex(digest)}`;
    return { path, lock: lockFile(`${path}.lock`) };
  }

  // A verified download enters the store; its lock file goes while held, so
  // a waiter wakes to a lock that is no longer the file's, and finds the blob.
  commitBlob(digest: string, incoming: { path: string; lock: FileLock }): void {
    renameSync(incoming.path, this.blobPath(digest));
    rmSync(`${incoming.path}.lock`, { force: true });
  }

  // Done with a download, whatever became of it. The lock file goes with
  // the partial it guards (while held, as in commitBlob): a waiter that woke
  // to a stored blob made a lock file of its own, and a refused download
  // removed its partial; only a partial to resume keeps its lock file.
  releaseIncoming(incoming: { path: string; lock: FileLock }): void {
    if (!existsSync(incoming.path)) rmSync(`${incoming.path}.lock`, { force: true });
    incoming.lock.release();
  }

  // ---- layers

  layerDir(diffId: string): string {
    this.blobPath(diffId);
    return `${this.dir}/layers/${hex(diffId)}/diff`;
  }

  hasLayer(diffId: string): boolean {
    return existsSync(this.layerDir(diffId));
  }

  // A directory of this process's own in the store, for an unpack or an
  // import's archive: named by its process, so a collect knows it
  // abandoned once that process is gone.
  scratch(area: "layers" | "incoming"): string {
    const dir = `${this.dir}/${area}/scratch-${++scratchCount}.tmp-${process.pid}-${processStartTime(process.pid) ?? 0}`;
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { mode: 0o700 });
    return dir;
  }

  // Unpacks a layer once: `fill` writes it into an empty directory and
  // returns the diff ID it computed, which must be `expected` when the image
  // names one. Concurrent unpacks of one layer each fill a directory of
  // their own; the first rename wins and the others' go.
  async addLayer(expected: string | undefined, fill: (dir: string) => Promise<{ diffId: string; size: number }>): Promise<{ diffId: string; size: number }> {
    if (expected !== undefined && this.hasLayer(expected)) return { diffId: expected, size: this.layerSize(expected) };
    const tmp = this.scratch("layers");
    let got: { diffId: string; size: number };
    try {
      // 0755 as docker's: a layer's root is the container's / when no upper
      // directory covers it (the store above it is 0700).
      mkdirSync(`${tmp}/diff`, { mode: 0o755 });
      got = await fill(`${tmp}/diff`);
      if (expected !== undefined && got.diffId !== expected) throw new ContainError(`a layer's contents are ${got.diffId}, not the ${expected} its image config names`, "the image is damaged: pull or import it again");
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      throw err;
    }
    return this.adopt(tmp, got);
  }

  // A scratch directory whose diff/ is unpacked becomes the layer `got`
  // names (or goes, when another unpack of it was first).
  adopt(tmp: string, got: { diffId: string; size: number }): { diffId: string; size: number } {
    writeFileSync(`${tmp}/size`, String(got.size));
    using _ = this.lock();
    if (this.hasLayer(got.diffId)) {
      rmSync(tmp, { recursive: true, force: true });
      return got;
    }
    this.blobPath(got.diffId); // a sha256 digest, or refused
    const final = `${this.dir}/layers/${hex(got.diffId)}`;
    rmSync(final, { recursive: true, force: true }); // a layer dir whose diff a crash never renamed in
    renameSync(tmp, final);
    this.link(got.diffId);
    return got;
  }

  layerSize(diffId: string): number {
    try {
      return Number(readFileSync(`${this.dir}/layers/${hex(diffId)}/size`, "utf8"));
    } catch {
      return 0;
    }
  }

  // The layer's short name, made on first use (O_EXCL-like: symlink fails
  // on a name taken, and another is drawn).
  private link(diffId: string): string {
    const final = `${this.dir}/layers/${hex(diffId)}`;
    for (;;) {
      const bytes = crypto.getRandomValues(new Uint8Array(12));
      const short = Array.from(bytes, (b) => SHORT_ALPHABET[b & 31]).join("");
      try {
        symlinkSync(`../layers/${hex(diffId)}/diff`, `${this.dir}/l/${short}`);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "EEXIST") continue;
        throw err;
      }
      writeFileSync(`${final}/link`, short);
      return short;
    }
  }

  // The overlay's lower layers of an image, top first, relative to the
  // store's directory (where the overlay is mounted from).
  lowers(layers: readonly string[]): string[] {
    return layers.toReversed().map((diffId) => {
      const link = readFileSync(`${this.dir}/layers/${hex(diffId)}/link`, "utf8").trim();
      return `l/${link}`;
    });
  }

  // ---- images

  private read(): Index {
    try {
      return JSON.parse(readFileSync(`${this.dir}/images.json`, "utf8")) as Index;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return { images: {}, names: {} };
      throw new ContainError(`${this.dir}/images.json cannot be read: ${(err as Error).message}`, "the image store is damaged: move it away and pull or import the images again");
    }
  }

  private write(index: Index): void {
    const tmp = `${this.dir}/images.json.tmp-${process.pid}`;
    const fd = openSync(tmp, "w", 0o600);
    try {
      writeSync(fd, JSON.stringify(index, null, 2));
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, `${this.dir}/images.json`);
  }

  images(): ImageRecord[] {
    return Object.values(this.read().images);
  }

  // name -> ID, for every name.
  names(): Record<string, string> {
    return this.read().names;
  }

  namesOf(id: string): string[] {
    return Object.entries(this.read().names)
      .filter(([, i]) => i === id)
      .map(([n]) => n);
  }

  // By full name (docker.io/library/alpine:latest), by NAME@DIGEST of a
  // manifest it came from, or by ID: sha256:<hex>, or a prefix of the hex
  // of at least 4 digits, as docker's.
  find(ref: string): ImageRecord | undefined {
    const index = this.read();
    const byName = index.names[ref];
    if (byName) return index.images[byName];
    const all = Object.values(index.images);
    const byDigest = all.find((i) => i.repoDigests.includes(ref));
    if (byDigest) return byDigest;
    const id = ref.startsWith("sha256:") ? ref.slice(7) : ref;
    if (!/^[0-9a-f]{4,64}$/.test(id)) return undefined;
    const matches = all.filter((i) => hex(i.id).startsWith(id));
    if (matches.length > 1) throw new ContainError(`${ref} names ${matches.length} images`, "give more digits of the ID");
    return matches[0];
  }

  config(image: ImageRecord): ImageConfig {
    return parseImageConfig(this.readBlob(image.id), `image ${hex(image.id).slice(0, 12)}`);
  }

  // Stores an image whose config and layers are in, and gives it `names`
  // (each taken from the image that had it). Under the store's lock.
  add(image: ImageRecord, names: readonly string[]): void {
    for (const l of image.layers) if (!this.hasLayer(l.diffId)) throw new ContainError(`layer ${l.diffId} of image ${hex(image.id).slice(0, 12)} is not in the store`, "pull or import the image again");
    const index = this.read();
    const old = index.images[image.id];
    index.images[image.id] = old ? { ...old, repoDigests: [...new Set([...old.repoDigests, ...image.repoDigests])] } : image;
    for (const n of names) index.names[n] = image.id;
    this.write(index);
  }

  tag(name: string, id: string): void {
    const index = this.read();
    if (!index.images[id]) throw new ContainError(`no image ${id}`, "see contain images");
    index.names[name] = id;
    this.write(index);
  }

  // Takes a name away; the image stays (rmi removes it once nameless).
  untag(name: string): void {
    const index = this.read();
    delete index.names[name];
    this.write(index);
  }

  // The image record goes; its layers and blobs go with the next collect,
  // once no other image and no container has them.
  removeImage(id: string): void {
    const index = this.read();
    delete index.images[id];
    for (const [n, i] of Object.entries(index.names)) if (i === id) delete index.names[n];
    this.write(index);
  }

  // What killed pulls, unpacks and imports left in scratch directories:
  // theirs alone (named by a process that is gone), so no lock is needed.
  // Each pull and import starts with it.
  sweep(): void {
    for (const area of ["layers", "incoming"]) {
      for (const name of readdirSync(`${this.dir}/${area}`)) if (abandoned(name)) rmSync(`${this.dir}/${area}/${name}`, { recursive: true, force: true });
    }
  }

  // A pull's or an import's whole course: under busy(), after a sweep; when
  // it fails, what it stored and no image names goes (once the other pulls
  // are done: they may share it), and a partial download stays, to resume.
  async adding<T>(course: () => Promise<T>): Promise<T> {
    const busy = this.busy();
    this.sweep();
    try {
      return await course();
    } catch (err) {
      busy.release();
      this.tidy();
      throw err;
    } finally {
      busy.release();
    }
  }

  // After a failed pull or import: what it stored and no image names.
  // Partial downloads stay for the next pull to resume.
  tidy(): void {
    using _quiet = this.quiet();
    using _lock = this.lock();
    this.collect(false);
  }

  // ---- containers

  // The containers' claims: which image and layers each holds.
  claims(): { container: string; claim: Claim }[] {
    const root = `${this.dataRoot}/containers`;
    if (!existsSync(root)) return [];
    return readdirSync(root).flatMap((id) => {
      try {
        return [{ container: id, claim: JSON.parse(readFileSync(`${root}/${id}/${CLAIM}`, "utf8")) as Claim }];
      } catch {
        return [];
      }
    });
  }

  // Under the lock, so no rmi or prune removes the image between the
  // container's choice of it and its claim.
  claim(containerDataDir: string, image: ImageRecord, name?: string): void {
    mkdirSync(containerDataDir, { recursive: true, mode: 0o700 });
    const claim: Claim = { image: image.id, ...(name !== undefined && { name }), layers: image.layers.map((l) => l.diffId) };
    writeFileSync(`${containerDataDir}/${CLAIM}`, JSON.stringify(claim));
  }

  // What no image and no container needs: layers, blobs, and what killed
  // pulls and unpacks left. Under quiet() and lock(), in that order.
  collect(partials = true): { layers: number; blobs: number; bytes: number } {
    const index = this.read();
    const images = Object.values(index.images);
    const layers = new Set([...images.flatMap((i) => i.layers.map((l) => hex(l.diffId))), ...this.claims().flatMap((c) => c.claim.layers.map(hex))]);
    const blobs = new Set(images.flatMap((i) => [hex(i.id), ...(i.manifest ? [hex(i.manifest)] : []), ...i.layers.flatMap((l) => (l.digest ? [hex(l.digest)] : []))]));
    let freedLayers = 0;
    let freedBlobs = 0;
    let bytes = 0;
    for (const name of readdirSync(`${this.dir}/layers`)) {
      if (TMP_RE.test(name) ? !abandoned(name) : layers.has(name)) continue;
      if (!TMP_RE.test(name)) {
        bytes += this.layerSize(`sha256:${name}`);
        freedLayers++;
      }
      rmSync(`${this.dir}/layers/${name}`, { recursive: true, force: true });
    }
    for (const short of readdirSync(`${this.dir}/l`)) {
      // A link whose layer went (or never came: a crash between the rename and the link file).
      if (!existsSync(`${this.dir}/l/${short}`)) rmSync(`${this.dir}/l/${short}`, { force: true });
    }
    for (const name of readdirSync(`${this.dir}/blobs/sha256`)) {
      if (blobs.has(name)) continue;
      bytes += statSync(`${this.dir}/blobs/sha256/${name}`).size;
      rmSync(`${this.dir}/blobs/sha256/${name}`, { force: true });
      freedBlobs++;
    }
    // A partial download whose lock no pull holds: its puller was killed.
    for (const name of partials ? readdirSync(`${this.dir}/incoming`) : []) {
      const path = `${this.dir}/incoming/${name}`;
      if (TMP_RE.test(name)) {
        if (abandoned(name)) rmSync(path, { force: true });
        continue;
      }
      if (name.endsWith(".lock")) continue;
      const lock = FileLock.acquire(`${path}.lock`, false);
      if (!lock) continue;
      rmSync(path, { force: true });
      rmSync(`${path}.lock`, { force: true });
      lock.release();
    }
    return { layers: freedLayers, blobs: freedBlobs, bytes };
  }
}

// A lock whose file may be removed by its holder (commitBlob, collect): held
// only once the path still names the file locked.
function lockFile(path: string): FileLock {
  for (;;) {
    const lock = FileLock.acquire(path) as FileLock;
    try {
      if (fstatSync(lock.fd).ino === statSync(path).ino) return lock;
    } catch {}
    lock.release();
  }
}

// The layer directories of an image, bottom first, for reading files of its
// tree without mounting it (a user name in its /etc/passwd).
export function layerDirs(store: ImageStore, image: ImageRecord): string[] {
  return image.layers.map((l) => store.layerDir(l.diffId));
}
