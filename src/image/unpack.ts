// An image layer (a tar, maybe compressed) applied to an empty directory,
// as one lower directory of an overlayfs mount. A layer comes from whoever
// published the image, so every name in it is hostile until the kernel has
// resolved it:
//   - each entry's parent is opened with openat2(RESOLVE_IN_ROOT) from a fd
//     of the layer directory: "..", absolute symlinks and relative ones
//     that climb all stop at the layer's root, so a symlink `a -> /etc`
//     followed by an entry `a/passwd` writes the layer's own etc/passwd,
//     never the host's (docker unpacks in a chroot for the same reason);
//   - the entry itself is made as a single name relative to that fd
//     (mkdirat, openat2 O_CREAT|O_EXCL|O_NOFOLLOW, symlinkat, mknodat,
//     linkat), and changed without following it (fchownat and utimensat
//     with AT_SYMLINK_NOFOLLOW, an fd of the file, lsetxattr): an entry
//     over a symlink replaces the link, it never writes through it;
//   - a hard link's target is resolved the same way and linked without
//     AT_SYMLINK_FOLLOW, so it is an inode of this layer (the directory was
//     empty), never a host file;
//   - a name that climbs above the root by its own ".." (`../x`,
//     `a/../../x`), in an entry, a hard link or a whiteout, is refused: no
//     builder writes one, and docker refuses it too ("breakout"). An
//     absolute name (`/etc/x`) is taken inside the layer, as docker and
//     containerd take it.
// Whiteouts become overlayfs's own: `.wh.NAME` a 0:0 character device
// NAME, `.wh..wh..opq` the xattr trusted.overlay.opaque=y on its directory.
// The layer's root entry (`./`) is passed over, as docker and containerd
// pass it over: the directory is the store's, and the merged root of an
// overlay takes its owner and mode from the upper directory anyway.
import { chmodSync, fchmodSync, fchownSync, lstatSync, writeSync, type Stats } from "node:fs";
import { posix } from "node:path";
import { ContainError } from "../errors.ts";
import { isMissing, linkAt, chownAt, chownFd, mkdirAt, mknodAt, O_CLOEXEC, O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_PATH, O_RDONLY, O_WRONLY, removeTreeAt, setTimesAt, setTimesFd, symlinkAt, unlinkAt } from "../linux/dirfd.ts";
import { close, SyscallError } from "../linux/process.ts";
import { openBeneath, openFileInRoot, openRoot } from "../linux/resolve.ts";
import { setXattrAt, setXattrFd } from "../linux/xattr.ts";
import { decompress, type ByteSource } from "./compression.ts";
import { TarParser, type TarHandler, type TarHeader } from "./tar.ts";

export interface ApplyOptions {
  label?: string; // names the layer in errors (its digest, a file)
}

export interface Skipped {
  path: string;
  reason: string;
}

export interface AppliedLayer {
  diffId: string; // sha256:<hex> of the uncompressed tar, all of it
  size: number; // bytes of the regular files written
  skipped: Skipped[]; // what was not applied, and why (for a warning)
}

const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const S_IFIFO = 0o010000;
const EPERM = 1;
const EEXIST = 17;
const ENOTDIR = 20;
const ELOOP = 40;
const ENOTSUP = 95;
const WHITEOUT = ".wh.";
const OPAQUE = ".wh..wh..opq";
const AUFS = ".wh..wh.";
// overlayfs's own state (opaque, redirect, metacopy, origin...): an image
// that sets it by xattr could make the overlay read what its layers do not
// say; a layer says "opaque" by .wh..wh..opq.
const OVERLAY_XATTR = /^(trusted|user)\.overlay\./;
const OPAQUE_XATTR = "trusted.overlay.opaque";
// Open parent directories kept for the entries that follow (tar writers
// list a directory's entries together).
const CACHED_DIRS = 64;

const errnoOf = (err: unknown) => (err instanceof SyscallError ? err.errno : 0);

// An entry's name inside the layer: "" for the root, null when it climbs
// above it. A leading "/" and "./" go, as do "." components and a
// trailing "/"; ".." is kept where it stays inside (a/../b is b).
export function layerPath(name: string): string | null {
  const clean = posix.normalize(name.replace(/^\/+/, "")).replace(/\/+$/, "");
  if (clean === ".." || clean.startsWith("../")) return null;
  return clean === "." ? "" : clean;
}

const split = (path: string): [string, string] => {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? ["", path] : [path.slice(0, slash), path.slice(slash + 1)];
};

// The (device) number mknodat takes: new_encode_dev, as linux/mount.ts's mknod.
const makedev = (major: number, minor: number) => (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xff) << 12);

interface DirMeta {
  mode: number;
  uid: number;
  gid: number;
  atimeNs?: bigint;
  mtimeNs?: bigint;
  xattrs: Record<string, Uint8Array>;
}

// The unpacker: a TarHandler that makes each entry as the parser hands it
// over and writes a file's data as it comes.
class LayerWriter implements TarHandler {
  private readonly root: number;
  private readonly cache = new Map<string, number>();
  // Directory modes, owners and times, applied at the end: a 0555
  // directory must still take its children, and each child changes the
  // directory's mtime.
  private readonly dirs = new Map<string, DirMeta>();
  private readonly uid = process.getuid?.() ?? 0;
  private readonly gid = process.getgid?.() ?? 0;
  // Cached fds dropped while an entry may still use them: closed when the
  // next entry starts.
  private retired: number[] = [];
  private entryName = "";
  private file = -1;
  private header: TarHeader | undefined;
  size = 0;
  readonly skipped: Skipped[] = [];

  constructor(
    dir: string,
    private readonly label: string,
  ) {
    this.root = openRoot(dir);
  }

  entry(h: TarHeader): void {
    for (const fd of this.retired.splice(0)) close(fd);
    this.entryName = h.path;
    this.header = undefined;
    try {
      this.make(h);
    } catch (err) {
      throw this.fail(err);
    }
  }

  data(chunk: Uint8Array): void {
    if (this.file < 0) return;
    try {
      for (let at = 0; at < chunk.length; ) at += writeSync(this.file, chunk, at, chunk.length - at);
      this.size += chunk.length;
    } catch (err) {
      throw this.fail(err);
    }
  }

  end(): void {
    if (this.file < 0 || !this.header) return;
    const fd = this.file;
    this.file = -1;
    try {
      // In this order: a chown clears setuid/setgid and security.capability,
      // and so does a write (file_remove_privs); a time set first would be
      // changed by the rest.
      this.chown(fd, this.header);
      fchmodSync(fd, this.header.mode);
      this.xattrs(this.header, (key, value) => setXattrFd(fd, key, value));
      setTimesFd(fd, this.header.atimeNs ?? this.header.mtimeNs, this.header.mtimeNs);
    } catch (err) {
      throw this.fail(err);
    } finally {
      close(fd);
    }
  }

  // Directory metadata, last; deepest first, though no order is needed
  // (a chmod or utimes changes no parent's mtime).
  finish(): void {
    for (const [path, meta] of [...this.dirs].reverse()) {
      this.entryName = path;
      let fd: number;
      try {
        fd = openFileInRoot(this.root, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
      } catch (err) {
        // Replaced since by a non-directory, or removed by a whiteout.
        if (isMissing(err) || errnoOf(err) === ENOTDIR || errnoOf(err) === ELOOP) continue;
        throw this.fail(err);
      }
      try {
        this.chown(fd, meta);
        fchmodSync(fd, meta.mode);
        this.xattrs(meta, (key, value) => setXattrFd(fd, key, value));
        if (meta.mtimeNs !== undefined) setTimesFd(fd, meta.atimeNs ?? meta.mtimeNs, meta.mtimeNs);
      } catch (err) {
        throw this.fail(err);
      } finally {
        close(fd);
      }
    }
  }

  close(): void {
    if (this.file >= 0) close(this.file);
    this.file = -1;
    this.forget();
    for (const fd of this.retired.splice(0)) close(fd);
    close(this.root);
  }

  private fail(err: unknown): Error {
    if (err instanceof ContainError && err.message.startsWith(this.label)) return err;
    const hint = err instanceof ContainError ? err.hint : "the layer may be damaged or hostile: pull it again, from a source you trust";
    return new ContainError(`${this.label}: entry ${JSON.stringify(this.entryName)}: ${(err as Error).message}`, hint, undefined, { cause: err });
  }

  private refuse(why: string): ContainError {
    return new ContainError(`${this.label}: entry ${JSON.stringify(this.entryName)} ${why}`, "the image is broken or hostile: use an image from a source you trust");
  }

  private make(h: TarHeader): void {
    if (h.type === "unsupported") {
      this.skipped.push({ path: h.path, reason: h.reason ?? "an unsupported entry" });
      return;
    }
    if (h.path.includes("\0") || h.linkpath.includes("\0")) throw this.refuse("has a NUL byte in its name");
    const path = layerPath(h.path);
    if (path === null) throw this.refuse("climbs out of the layer (..)");
    if (path === "") return;
    const [parent, name] = split(path);
    // aufs's own bookkeeping (.wh..wh.plnk/..., .wh..wh.aufs): no file of
    // the image, and no removal (docker passes over it too).
    if (path.split("/").some((part) => part.startsWith(AUFS) && part !== OPAQUE) || parent.split("/").includes(OPAQUE)) {
      this.skipped.push({ path: h.path, reason: "aufs metadata" });
      return;
    }
    if (name.startsWith(WHITEOUT)) return this.whiteout(parent, name);
    const at = this.dir(parent, true);
    switch (h.type) {
      case "dir": {
        // A directory over a directory merges: only its metadata changes.
        this.replacing(at, name, path, () => mkdirAt(at, name, 0o700), true);
        this.dirs.set(path, this.dirMeta(h));
        return;
      }
      case "file": {
        // O_EXCL: a name already there (a symlink to a host file, too) is
        // EEXIST, never opened; it is removed and the file made anew.
        this.replacing(at, name, path, () => {
          this.file = openBeneath(at, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, parent || ".", 0o600);
        });
        this.header = h;
        return;
      }
      case "symlink": {
        this.replacing(at, name, path, () => symlinkAt(h.linkpath, at, name));
        if (h.uid !== this.uid || h.gid !== this.gid) chownAt(at, name, h.uid, h.gid);
        this.xattrs(h, (key, value) => setXattrAt(at, name, key, value));
        setTimesAt(at, name, h.atimeNs ?? h.mtimeNs, h.mtimeNs);
        return;
      }
      case "link":
        return this.hardLink(h, at, name, path);
      case "char":
      case "block":
      case "fifo": {
        const kind = h.type === "char" ? S_IFCHR : h.type === "block" ? S_IFBLK : S_IFIFO;
        if (h.devmajor > 0xfff || h.devminor > 0xfffff) throw this.refuse(`names device ${h.devmajor}:${h.devminor}, beyond what mknod takes`);
        this.replacing(at, name, path, () => mknodAt(at, name, kind | (h.mode & 0o777), makedev(h.devmajor, h.devminor)));
        // mknodat's mode passes through the umask, and fchmodat follows a
        // link at the name: the node is changed through an O_PATH fd of it
        // (chmod of /proc/self/fd/N reaches that very inode).
        const fd = openBeneath(at, name, O_PATH, parent || ".");
        try {
          if (h.uid !== this.uid || h.gid !== this.gid) chownFd(fd, h.uid, h.gid);
          chmodSync(`/proc/self/fd/${fd}`, h.mode);
        } finally {
          close(fd);
        }
        this.xattrs(h, (key, value) => setXattrAt(at, name, key, value));
        setTimesAt(at, name, h.atimeNs ?? h.mtimeNs, h.mtimeNs);
        return;
      }
    }
  }

  // A hard link: the target is an earlier entry of this layer, resolved
  // inside it; linkat does not follow a symlink there (it links the link).
  private hardLink(h: TarHeader, at: number, name: string, path: string): void {
    const target = layerPath(h.linkpath);
    if (target === null) throw this.refuse(`is a hard link to ${JSON.stringify(h.linkpath)}, which climbs out of the layer`);
    if (target === "") throw this.refuse("is a hard link to the layer's root");
    if (target === path) return; // a link to itself (some writers repeat a name so)
    const [targetParent, targetName] = split(target);
    let from: number;
    try {
      from = this.dir(targetParent, false);
    } catch (err) {
      if (isMissing(err) || errnoOf(err) === ENOTDIR) throw this.refuse(`is a hard link to ${JSON.stringify(h.linkpath)}, which is not in the layer`);
      throw err;
    }
    try {
      this.replacing(at, name, path, () => linkAt(from, targetName, at, name));
    } catch (err) {
      if (isMissing(err)) throw this.refuse(`is a hard link to ${JSON.stringify(h.linkpath)}, which is not in the layer`);
      throw err;
    }
  }

  private whiteout(parent: string, name: string): void {
    const at = this.dir(parent, true);
    if (name === OPAQUE) {
      try {
        setXattrAt(at, "", OPAQUE_XATTR, new TextEncoder().encode("y"));
      } catch (err) {
        if (errnoOf(err) === ENOTSUP) throw new ContainError(`${this.label}: cannot mark ${parent || "/"} opaque: the file system of the image store has no trusted xattrs`, "put the data root (--data-root) on ext4, xfs or btrfs", undefined, { cause: err });
        throw err;
      }
      return;
    }
    const target = name.slice(WHITEOUT.length);
    if (target === "" || target === "." || target === "..") throw this.refuse("is a whiteout of no single name");
    // What the layer itself made earlier under that name goes (OCI applies
    // a whiteout to lower layers only, but a device and a file cannot share
    // a name; a squashed layer's file then its whiteout mean "gone").
    const path = parent ? `${parent}/${target}` : target;
    this.replacing(at, target, path, () => mknodAt(at, target, S_IFCHR, 0));
  }

  // Runs `make`; when the name is taken, removes what has it (a directory
  // with all it holds; a link as itself) and runs `make` again, except for
  // a directory entry over a directory (`dir`), which keeps it.
  private replacing(at: number, name: string, path: string, make: () => void, dir = false): void {
    try {
      return make();
    } catch (err) {
      if (errnoOf(err) !== EEXIST) throw err;
    }
    const st = this.lstat(at, name);
    if (dir && st.isDirectory()) return;
    if (st.isDirectory()) removeTreeAt(at, name);
    else unlinkAt(at, name, false);
    this.forget(path);
    make();
  }

  // lstat of one name in a held directory: /proc/self/fd/N leads to that
  // directory, and the last name is not followed.
  private lstat(at: number, name: string): Stats {
    return lstatSync(`/proc/self/fd/${at}/${name}`);
  }

  // The O_PATH fd of a directory of the layer, resolved in it; missing ones
  // made (0755, ours, as docker makes a parent the archive does not list)
  // when `create`. Kept open for the next entries.
  private dir(path: string, create: boolean): number {
    if (path === "") return this.root;
    const cached = this.cache.get(path);
    if (cached !== undefined) return cached;
    let fd: number;
    try {
      fd = openFileInRoot(this.root, path, O_PATH | O_DIRECTORY);
    } catch (err) {
      if (!create || !isMissing(err)) throw err;
      const [parent, name] = split(path);
      const at = this.dir(parent, true);
      // EEXIST here is a symlink to nothing: the open below says so.
      try {
        mkdirAt(at, name, 0o755);
        this.dirs.set(path, { mode: 0o755, uid: this.uid, gid: this.gid, xattrs: {} });
      } catch (e) {
        if (errnoOf(e) !== EEXIST) throw e;
      }
      fd = openFileInRoot(this.root, path, O_PATH | O_DIRECTORY);
    }
    if (this.cache.size >= CACHED_DIRS) {
      const [oldest, old] = this.cache.entries().next().value as [string, number];
      this.cache.delete(oldest);
      close(old);
    }
    this.cache.set(path, fd);
    return fd;
  }

  // `path` was removed (or replaced): the fds held may name what is gone
  // (under any name: a symlink may have led there), and the metadata kept
  // for it and below it no longer applies.
  private forget(path?: string): void {
    this.retired.push(...this.cache.values());
    this.cache.clear();
    if (path === undefined) return;
    for (const key of this.dirs.keys()) if (key === path || key.startsWith(`${path}/`)) this.dirs.delete(key);
  }

  private dirMeta(h: TarHeader): DirMeta {
    return { mode: h.mode, uid: h.uid, gid: h.gid, atimeNs: h.atimeNs, mtimeNs: h.mtimeNs, xattrs: h.xattrs };
  }

  // Numeric ids, as docker applies them (the image's names mean nothing on
  // this host). Made by this process, an entry is already its owner's.
  private chown(fd: number, meta: { uid: number; gid: number }): void {
    if (meta.uid !== this.uid || meta.gid !== this.gid) fchownSync(fd, meta.uid, meta.gid);
  }

  private xattrs(meta: { xattrs: Record<string, Uint8Array> }, set: (key: string, value: Uint8Array) => void): void {
    for (const [key, value] of Object.entries(meta.xattrs)) {
      if (OVERLAY_XATTR.test(key)) {
        this.skipped.push({ path: this.entryName, reason: `the xattr ${key} (overlayfs's own)` });
        continue;
      }
      try {
        set(key, value);
      } catch (err) {
        // A file system without that namespace, or one the kernel refuses
        // for this kind of entry (user.* on a symlink): skipped, as docker does.
        if (errnoOf(err) !== ENOTSUP && errnoOf(err) !== EPERM) throw err;
        this.skipped.push({ path: this.entryName, reason: `the xattr ${key}: ${errnoOf(err) === EPERM ? "not allowed on this entry" : "not supported by this file system"}` });
      }
    }
  }
}

// Applies the layer `source` (a tar, gzip- or zstd-compressed or plain) to
// `dir`, an empty directory the caller made and removes when this fails
// (a refused layer leaves what it made so far).
export async function applyLayer(source: ByteSource, dir: string, options: ApplyOptions = {}): Promise<AppliedLayer> {
  const label = options.label ?? "layer";
  const { chunks } = await decompress(source, label);
  const hasher = new Bun.CryptoHasher("sha256");
  const writer = new LayerWriter(dir, label);
  try {
    const parser = new TarParser(writer);
    // All of the stream is hashed, the zero blocks and whatever follows
    // them too: the diff ID is the digest of the whole uncompressed tar.
    for await (const chunk of chunks) {
      hasher.update(chunk);
      parser.push(chunk);
    }
    parser.finish();
    writer.finish();
    return { diffId: `sha256:${hasher.digest("hex")}`, size: writer.size, skipped: writer.skipped };
  } catch (err) {
    if (err instanceof ContainError && !err.message.startsWith(label)) throw new ContainError(`${label}: ${err.message}`, err.hint, err.exitCode, { cause: err });
    throw err;
  } finally {
    writer.close();
  }
}
