// Paths inside a root filesystem, resolved by the kernel (openat2(2) with
// RESOLVE_IN_ROOT): "..", absolute symlinks and relative ones are all taken
// relative to the root, so a root whose /data links to /etc leads to its own
// /etc, never the host's. crun resolves mount targets the same way.
import { closeSync, readFileSync } from "node:fs";
import { posix } from "node:path";
import { ContainError } from "../errors.ts";
import { check, sym } from "../ffi/index.ts";
import { linux, type Kernel } from "./kernel.ts";

const O_WRONLY = 0o1;
const O_CREAT = 0o100;
const O_EXCL = 0o200;
const O_DIRECTORY = 0o200000;
const O_NOFOLLOW = 0o400000;
const O_CLOEXEC = 0o2000000;
const O_PATH = 0o10000000;
const AT_FDCWD = -100;
const RESOLVE_NO_MAGICLINKS = 0x02;
const RESOLVE_NO_SYMLINKS = 0x04;
const RESOLVE_BENEATH = 0x08;
const RESOLVE_IN_ROOT = 0x10;
const ENOENT = 2;
const EEXIST = 17;
// The kernel's own limit on links followed in one lookup (MAXSYMLINKS).
const MAX_LINKS = 40;

// -ENOENT when the path is missing and `missingOk`; any other failure throws.
function openat2(k: Kernel, dirfd: number, path: string, flags: number, missingOk = true): number {
  const r = k.openat2(dirfd, path, flags | O_CLOEXEC, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
  if (r === -ENOENT && missingOk) return r;
  return check("openat2", [sym("root"), path, sym("RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS")], r);
}

// One name in a directory held by `dirFd`, never through a symlink: with
// O_PATH|O_NOFOLLOW a link is opened as itself, with anything else it is
// ELOOP, so a link a container plants or swaps in is never followed out of
// the directory. `label` names the directory in a failure. Throws a
// SyscallError (its errno tells ENOENT from the rest).
export function openBeneath(dirFd: number, name: string, flags: number, label: string, mode = 0): number {
  const r = linux.openat2(dirFd, name, flags | O_NOFOLLOW | O_CLOEXEC, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS, mode);
  return check("openat2", [sym(`<${label}>`), name, sym("RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS")], r);
}

// A directory fd for a root, the anchor of every lookup inside it.
export function openRoot(root: string, k: Kernel = linux): number {
  return check("openat", [sym("AT_FDCWD"), root, sym("O_PATH|O_DIRECTORY")], k.openat(AT_FDCWD, root, O_PATH | O_DIRECTORY | O_CLOEXEC));
}

// An O_PATH fd for `path` inside the root, creating what is missing (the last
// component as `kind`). A symlink to a path missing inside the root (an
// image's /etc/resolv.conf -> ../run/systemd/resolve/stub-resolv.conf) has
// its target created, inside the root, as runc does. Mount onto it through
// /proc/self/fd/N.
export function openInRoot(k: Kernel, rootFd: number, path: string, kind: "dir" | "file", links = 0): number {
  const parts = path.split("/").filter((p) => p && p !== ".");
  const full = openat2(k, rootFd, parts.join("/") || ".", O_PATH);
  if (full >= 0) return full;
  let parent = -1;
  for (let i = 0; i < parts.length; i++) {
    const name = parts[i] ?? "";
    const sub = parts.slice(0, i + 1).join("/");
    let fd = openat2(k, rootFd, sub, O_PATH);
    if (fd === -ENOENT) {
      const at = parent >= 0 ? parent : rootFd;
      // Only a single name is created, relative to a directory already
      // resolved inside the root, so no symlink is followed by the creation.
      const r =
        i === parts.length - 1 && kind === "file"
          ? k.openat(at, name, O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, 0o644)
          : k.mkdirat(at, name, 0o755);
      if (r >= 0 && i === parts.length - 1 && kind === "file") k.close(r);
      else if (r < 0 && r !== -EEXIST) check(kind === "file" ? "openat" : "mkdirat", [sym(`<${parts.slice(0, i).join("/") || "/"}>`), name], r);
      fd = openat2(k, rootFd, sub, O_PATH);
      // EEXIST then ENOENT: the name is a symlink to nothing inside the root.
      // Its target, resolved as the kernel does in the root (relative to the
      // link's directory, ".." stopping at the root), is made instead.
      if (fd === -ENOENT) {
        if (links >= MAX_LINKS) throw new ContainError(`mount target ${path}: too many levels of symbolic links at /${sub}`, "fix the links of the root filesystem");
        const target = posix.join(posix.resolve(`/${parts.slice(0, i).join("/")}`, k.readlink(`/proc/self/fd/${at}/${name}`)), ...parts.slice(i + 1));
        if (parent >= 0) k.close(parent);
        return openInRoot(k, rootFd, target, kind, links + 1);
      }
    }
    if (parent >= 0) k.close(parent);
    parent = fd;
  }
  return parent;
}

// A file inside a root given as a directory fd (a running container's
// /proc/<pid>/root), opened with `flags`.
export function openFileInRoot(rootFd: number, path: string, flags: number): number {
  return openat2(linux, rootFd, path, flags, false);
}

// A file of the root (its /etc/passwd), read without leaving it; "" when it
// does not exist.
export function readFileInRoot(rootFd: number, path: string): string {
  const fd = openat2(linux, rootFd, path, 0);
  if (fd < 0) return "";
  try {
    return readFileSync(fd, "utf8");
  } finally {
    closeSync(fd);
  }
}

// The same, for a root given as a directory path.
export function readInRoot(root: string, path: string): string {
  const rootFd = openRoot(root);
  try {
    return readFileInRoot(rootFd, path);
  } finally {
    closeSync(rootFd);
  }
}

export function fdPath(fd: number): string {
  return `/proc/self/fd/${fd}`;
}
