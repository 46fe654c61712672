// The default root filesystem, embedded in the binary (rootfs/build.ts makes
// it) and unpacked on first use under the data root (/var/lib/contain, or
// --data-root): <data root>/rootfs/default-<hash>.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, normalize } from "node:path";
import { ContainError } from "../errors.ts";
import archivePath from "../../rootfs/rootfs.tar.gz" with { type: "file" };

export const DEFAULT_DATA_ROOT = "/var/lib/contain";

function octal(block: Uint8Array, start: number, length: number): number {
  const text = new TextDecoder().decode(block.subarray(start, start + length)).replace(/\0.*$/s, "").trim();
  return text ? parseInt(text, 8) : 0;
}

function text(block: Uint8Array, start: number, length: number): string {
  return new TextDecoder().decode(block.subarray(start, start + length)).replace(/\0.*$/s, "");
}

// A ustar reader for the archive we build ourselves: directories, regular
// files and symlinks, with their modes. Paths that would leave `dest` are refused.
export function extractTar(tar: Uint8Array, dest: string): void {
  const dirModes: [string, number][] = [];
  for (let off = 0; off + 512 <= tar.length; ) {
    const header = tar.subarray(off, off + 512);
    if (header.every((b) => b === 0)) break;
    const name = [text(header, 345, 155), text(header, 0, 100)].filter(Boolean).join("/");
    const mode = octal(header, 100, 8) & 0o7777;
    const size = octal(header, 124, 12);
    const type = String.fromCharCode(header[156] ?? 0);
    const rel = normalize(name).replace(/^(\.\/)+|\/$/g, "");
    if (rel.startsWith("..") || rel.startsWith("/")) throw new Error(`unsafe path in the rootfs archive: ${name}`);
    const path = rel === "." || rel === "" ? dest : `${dest}/${rel}`;
    const data = tar.subarray(off + 512, off + 512 + size);
    off += 512 + Math.ceil(size / 512) * 512;
    if (type === "5") {
      mkdirSync(path, { recursive: true });
      dirModes.push([path, mode]);
    } else if (type === "2") {
      symlinkSync(text(header, 157, 100), path);
    } else if (type === "0" || type === "\0") {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, data, { mode });
      chmodSync(path, mode);
    }
  }
  // Directory modes last (a read-only directory would refuse its own files);
  // chmod, since mkdir's mode passes through the umask and drops the sticky bit.
  for (const [path, mode] of dirModes.reverse()) chmodSync(path, mode);
}

// Set by build.ts (--define): the archive's hash, so a start does not read and
// hash the 1 MB archive (~8 ms). Unset when running from source.
declare const ROOTFS_HASH: string | undefined;

// A process that unpacks, named by its pid and start time (a pid alone may be
// reused).
export interface Unpacker {
  pid: number;
  startTime: number;
}

// The unpacked default root, named by the archive's hash so a new binary with
// a different rootfs never reuses an old one. Unpacked under a temporary name
// that names its unpacker, and renamed: concurrent first runs each build one
// and one rename wins; what a killed one left, a sweep finds (unpacksIn).
export function defaultRootfs(dataRoot: string, self: Unpacker): string {
  // The same hash as rootfs/build.ts's archiveHash.
  const hash = typeof ROOTFS_HASH === "string" ? ROOTFS_HASH : Bun.hash(readFileSync(archivePath)).toString(16);
  const dir = `${dataRoot}/rootfs/default-${hash}`;
  if (existsSync(dir)) return dir;
  const archive = readFileSync(archivePath);
  const tmp = `${dir}.tmp-${self.pid}-${self.startTime}`;
  try {
    mkdirSync(tmp, { recursive: true });
    extractTar(Bun.gunzipSync(archive), tmp);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw new ContainError(`cannot unpack the default rootfs into ${dataRoot}/rootfs: ${(err as Error).message}`, "give --data-root a directory contain can write in, or pass --rootfs DIR", undefined, { cause: err });
  }
  try {
    renameSync(tmp, dir);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(dir)) throw err;
  }
  return dir;
}

// The unpacks under way in a data root, and those whose unpacker was killed.
export function unpacksIn(dataRoot: string): (Unpacker & { path: string })[] {
  const dir = `${dataRoot}/rootfs`;
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const m = /^default-[0-9a-f]+\.tmp-(\d+)-(\d+)$/.exec(name);
    return m ? [{ path: `${dir}/${name}`, pid: Number(m[1]), startTime: Number(m[2]) }] : [];
  });
}
