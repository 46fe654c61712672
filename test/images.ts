// Images made by hand in a data root's store, for the tests that run them:
// each layer's files written straight into its directory, whiteouts and
// opaque directories in overlayfs's form, as the unpacker leaves them.
import { dlopen, ptr } from "bun:ffi";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { ImageStore, type ImageRecord } from "../src/image/store.ts";

// A layer: a name (its diff ID is made from it, so two images that give one
// name share the layer) and what it holds.
export interface HandLayer {
  key: string;
  fill: (dir: string) => void;
}

const libc = dlopen("libc.so.6", { lsetxattr: { args: ["ptr", "ptr", "ptr", "u64", "i32"], returns: "i32" } });
const cstr = (s: string) => ptr(Buffer.from(`${s}\0`));

export function writeIn(dir: string, path: string, content: string, mode = 0o644): void {
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
