// The default root filesystem, embedded in the binary (rootfs/build.ts makes
// it) and unpacked on first use under the data root (/var/lib/contain, or
// --data-root): <data root>/rootfs/default-<hash>.
import { chmodSync, closeSync, existsSync, fchmodSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeSync } from "node:fs";
import { dirname, normalize } from "node:path";
import { ContainError } from "../errors.ts";
import { TarParser } from "../image/tar.ts";
import archivePath from "../../rootfs/rootfs.tar.gz" with { type: "file" };

// The archive we build ourselves (directories, regular files, symlinks,
// their modes), read by the image reader (image/tar.ts) and written with
// plain path calls: its names are ours, not an image's, and it has no
// owners or times to keep, so this takes about half of applyLayer's time
// (~6 ms against ~12 in a fresh process). Paths that would leave `dest`
// are refused all the same.
export function extractTar(tar: Uint8Array, dest: string): void {
  const dirModes: [string, number][] = [];
  let fd = -1;
  const parser = new TarParser({
    entry(h) {
      const rel = normalize(h.path).replace(/^(\.\/)+|\/$/g, "");
      if (rel.startsWith("..") || rel.startsWith("/")) throw new Error(`unsafe path in the rootfs archive: ${h.path}`);
      const path = rel === "." || rel === "" ? dest : `${dest}/${rel}`;
      if (h.type === "dir") {
        mkdirSync(path, { recursive: true });
        dirModes.push([path, h.mode]);
      } else if (h.type === "symlink") {
        symlinkSync(h.linkpath, path);
      } else if (h.type === "file") {
        mkdirSync(dirname(path), { recursive: true });
        fd = openSync(path, "w", h.mode);
        fchmodSync(fd, h.mode);
      }
    },
    data(chunk) {
      if (fd >= 0) writeSync(fd, chunk);
    },
    end() {
      if (fd >= 0) closeSync(fd);
      fd = -1;
    },
  });
  try {
    parser.push(tar);
    parser.finish();
  } finally {
    if (fd >= 0) closeSync(fd);
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
