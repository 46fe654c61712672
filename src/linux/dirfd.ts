// File operations relative to directory fds (man 2 openat, mkdirat,
// renameat2, unlinkat, symlinkat, readlinkat, fchownat, utimensat,
// copy_file_range), for `contain cp`: each takes a single name in a
// directory already held, so no path is ever looked up again by a string a
// container could redirect. Names are opened with resolve.ts's
// openBeneath; an entry's O_PATH fd is turned into a readable or writable
// one through /proc/self/fd, which reopens that very inode, not a name.
import { fstatSync, readdirSync, readSync, writeSync, type BigIntStats } from "node:fs";
import { addressOf, check, cstr, sym, SyscallError, sys } from "../ffi/index.ts";
import { close } from "./process.ts";
import { openBeneath } from "./resolve.ts";

export const O_RDONLY = 0;
export const O_WRONLY = 0o1;
export const O_CREAT = 0o100;
export const O_EXCL = 0o200;
const O_NOCTTY = 0o400;
export const O_DIRECTORY = 0o200000;
export const O_NOFOLLOW = 0o400000;
export const O_CLOEXEC = 0o2000000;
export const O_PATH = 0o10000000;
const AT_FDCWD = -100;
const AT_SYMLINK_NOFOLLOW = 0x100;
const AT_REMOVEDIR = 0x200;
const AT_EMPTY_PATH = 0x1000;
const RENAME_NOREPLACE = 1;
const SEEK_DATA = 3;
const SEEK_HOLE = 4;
const ENOENT = 2;
const ENXIO = 6;
const EXDEV = 18;
const EINVAL = 22;
const ENOSYS = 38;
const EOPNOTSUPP = 95;

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;

export type EntryType = "file" | "dir" | "link" | "special";

export function entryType(st: BigIntStats): EntryType {
  const fmt = Number(st.mode) & S_IFMT;
  return fmt === S_IFREG ? "file" : fmt === S_IFDIR ? "dir" : fmt === S_IFLNK ? "link" : "special";
}

export const isMissing = (err: unknown) => err instanceof SyscallError && err.errno === ENOENT;

// A path as the caller gives it (the host's side of a copy): followed as any
// program would, the last component too unless `nofollow`.
export function openPath(path: string, flags: number): number {
  return check("openat", [sym("AT_FDCWD"), path, sym("O_PATH")], sys("openat", AT_FDCWD, addressOf(cstr(path)), flags | O_CLOEXEC));
}

// The O_PATH fd `fd` opened for reading (a file, or a directory to list).
export function reopen(fd: number, flags: number): number {
  const path = `/proc/self/fd/${fd}`;
  return check("openat", [sym("AT_FDCWD"), path, sym(flags & O_DIRECTORY ? "O_RDONLY|O_DIRECTORY" : "O_RDONLY")], sys("openat", AT_FDCWD, addressOf(cstr(path)), flags | O_NOCTTY | O_CLOEXEC));
}

export function stat(fd: number): BigIntStats {
  return fstatSync(fd, { bigint: true });
}

// The names in a directory opened for reading, as the kernel lists them
// (readdir through the fd's own /proc link: the directory itself, not a name).
export function listDir(fd: number): string[] {
  return readdirSync(`/proc/self/fd/${fd}`);
}

// The target of the symlink `fd` (O_PATH|O_NOFOLLOW) holds.
export function readLink(fd: number): string {
  const buf = Buffer.alloc(4097);
  const n = check("readlinkat", [fd, ""], sys("readlinkat", fd, addressOf(cstr("")), addressOf(buf), buf.length));
  return buf.subarray(0, n).toString();
}

export function mkdirAt(dirFd: number, name: string, mode: number): void {
  check("mkdirat", [sym("<dir>"), name, sym(`0${mode.toString(8)}`)], sys("mkdirat", dirFd, addressOf(cstr(name)), mode));
}

export function symlinkAt(target: string, dirFd: number, name: string): void {
  check("symlinkat", [target, sym("<dir>"), name], sys("symlinkat", addressOf(cstr(target)), dirFd, addressOf(cstr(name))));
}

export function mknodAt(dirFd: number, name: string, mode: number, dev: number): void {
  check("mknodat", [sym("<dir>"), name, sym(`0${mode.toString(8)}`), dev], sys("mknodat", dirFd, addressOf(cstr(name)), mode, dev));
}

// A hard link `to` in `toDirFd` to the entry `from` in `fromDirFd`: without
// AT_SYMLINK_FOLLOW a symlink there is linked as itself, never its target.
export function linkAt(fromDirFd: number, from: string, toDirFd: number, to: string): void {
  check("linkat", [sym("<dir>"), from, sym("<dir>"), to, 0], sys("linkat", fromDirFd, addressOf(cstr(from)), toDirFd, addressOf(cstr(to)), 0));
}

// `noReplace`: RENAME_NOREPLACE, so a directory never lands on an entry
// made meanwhile; without it a file replaces what has its name (a file, a
// link: the link itself, never what it points to).
export function renameAt(dirFd: number, from: string, to: string, noReplace: boolean): void {
  check("renameat2", [sym("<dir>"), from, sym("<dir>"), to, sym(noReplace ? "RENAME_NOREPLACE" : "0")], sys("renameat2", dirFd, addressOf(cstr(from)), dirFd, addressOf(cstr(to)), noReplace ? RENAME_NOREPLACE : 0));
}

export function unlinkAt(dirFd: number, name: string, dir: boolean): void {
  check("unlinkat", [sym("<dir>"), name, sym(dir ? "AT_REMOVEDIR" : "0")], sys("unlinkat", dirFd, addressOf(cstr(name)), dir ? AT_REMOVEDIR : 0));
}

// The owner of whatever `fd` is (an O_PATH fd of a link too: AT_EMPTY_PATH
// changes the link itself).
export function chownFd(fd: number, uid: number, gid: number): void {
  check("fchownat", [fd, "", uid, gid, sym("AT_EMPTY_PATH")], sys("fchownat", fd, addressOf(cstr("")), uid, gid, AT_EMPTY_PATH));
}

// The owner of the entry `name` itself (a link's own, AT_SYMLINK_NOFOLLOW).
export function chownAt(dirFd: number, name: string, uid: number, gid: number): void {
  check("fchownat", [sym("<dir>"), name, uid, gid, sym("AT_SYMLINK_NOFOLLOW")], sys("fchownat", dirFd, addressOf(cstr(name)), uid, gid, AT_SYMLINK_NOFOLLOW));
}

// struct timespec[2] { atime, mtime } from nanoseconds.
function timespecs(atimeNs: bigint, mtimeNs: bigint): BigInt64Array {
  const s = 1_000_000_000n;
  return new BigInt64Array([atimeNs / s, atimeNs % s, mtimeNs / s, mtimeNs % s]);
}

// futimens(3): the times of an open file or directory.
export function setTimesFd(fd: number, atimeNs: bigint, mtimeNs: bigint): void {
  check("utimensat", [fd, null], sys("utimensat", fd, null, addressOf(timespecs(atimeNs, mtimeNs)), 0));
}

// The times of the entry `name` itself (a link's own, AT_SYMLINK_NOFOLLOW).
export function setTimesAt(dirFd: number, name: string, atimeNs: bigint, mtimeNs: bigint): void {
  check("utimensat", [sym("<dir>"), name, sym("AT_SYMLINK_NOFOLLOW")], sys("utimensat", dirFd, addressOf(cstr(name)), addressOf(timespecs(atimeNs, mtimeNs)), AT_SYMLINK_NOFOLLOW));
}

const CHUNK = 1 << 20;

// The data of `src` into the empty `dst`, `size` bytes, keeping its holes:
// only the extents SEEK_DATA finds are copied (a 10G sparse file takes no
// more disk or memory than its data), by copy_file_range where the kernel
// does it between these files, else through a 1 MiB buffer; the length is
// set at the end, so trailing holes stay holes. A file that ends before
// `size` (it shrank meanwhile; a sysfs file says 4096) ends the copy there.
// Returns the bytes copied.
export function copyData(src: number, dst: number, size: number): number {
  let copied = 0;
  let inKernel = true;
  let buf: Buffer | undefined;
  let length = size;
  for (let at = 0; at < length; ) {
    const data = sys("lseek", src, at, SEEK_DATA);
    if (data === -ENXIO) break; // only a hole is left
    // A file system without SEEK_DATA (procfs, sysfs) has no holes to keep.
    const start = data === -EINVAL ? at : check("lseek", [src, at, sym("SEEK_DATA")], data);
    const hole = data === -EINVAL ? length : check("lseek", [src, start, sym("SEEK_HOLE")], sys("lseek", src, start, SEEK_HOLE));
    const end = Math.min(length, hole);
    for (at = start; at < end; ) {
      let n = -1;
      if (inKernel) {
        const offsets = new BigInt64Array([BigInt(at), BigInt(at)]);
        const r = sys("copy_file_range", src, addressOf(offsets.subarray(0, 1)), dst, addressOf(offsets.subarray(1, 2)), Math.min(end - at, 1 << 30), 0);
        if (r === -EXDEV || r === -EINVAL || r === -ENOSYS || r === -EOPNOTSUPP) inKernel = false;
        else n = check("copy_file_range", [src, at, dst, at, end - at], r);
      }
      if (!inKernel) {
        buf ??= Buffer.alloc(CHUNK);
        n = readSync(src, buf, 0, Math.min(CHUNK, end - at), at);
        for (let w = 0; w < n; ) w += writeSync(dst, buf, w, n - w, at + w);
      }
      if (n === 0) {
        length = at; // its end came first
        break;
      }
      at += n;
      copied += n;
    }
  }
  check("ftruncate", [dst, length], sys("ftruncate", dst, length));
  return copied;
}

// The entry `name` in `dirFd` and, for a directory, everything in it,
// through fds only: a link inside is removed as a link, whatever a
// container swaps in meanwhile.
export function removeTreeAt(dirFd: number, name: string): void {
  let fd: number;
  try {
    fd = openBeneath(dirFd, name, O_PATH, "dir");
  } catch (err) {
    if (isMissing(err)) return;
    throw err;
  }
  let isDir: boolean;
  try {
    isDir = entryType(stat(fd)) === "dir";
    if (isDir) {
      const dir = reopen(fd, O_RDONLY | O_DIRECTORY);
      try {
        for (const child of listDir(dir)) removeTreeAt(dir, child);
      } finally {
        close(dir);
      }
    }
  } finally {
    close(fd);
  }
  unlinkAt(dirFd, name, isDir);
}
