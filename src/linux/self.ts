// The runtime's own executable as a file no container can write
// (CVE-2019-5736). The init stage is this binary re-exec'd inside the new
// namespaces; were it exec'd from the host's file, a process of the container
// could open /proc/<pid>/exe, wait for the runtime to exit and overwrite the
// binary that root runs next. So the init runs the same bytes through a file
// that cannot be written:
//   - first choice, runc's since 1.2: a private overlayfs made with
//     fsopen/fsmount and attached nowhere, read-only, with the binary's
//     directory as its top layer (overlayfs without an upper layer needs two:
//     /sys, which never holds a binary, is the other). No copy is made and
//     the page cache is the binary's own; a write gets EROFS, and unlike a
//     read-only bind mount there is nothing to remount.
//   - where the kernel refuses that (no overlayfs, a layer it cannot take):
//     a sealed memfd copy, as runc did before (~110 MB: slower, and counted).
import { closeSync, fstatSync, openSync, readlinkSync } from "node:fs";
import { basename, dirname } from "node:path";
import { addressOf, check, cstr, MFD_ALLOW_SEALING, MFD_CLOEXEC, seal, sym, SyscallError, sys } from "../ffi/index.ts";
import { close } from "./process.ts";

const FSOPEN_CLOEXEC = 1;
const FSCONFIG_SET_STRING = 1;
const FSCONFIG_CMD_CREATE = 6;
const FSMOUNT_CLOEXEC = 1;
const MOUNT_ATTR_RDONLY = 0x1;
const MOUNT_ATTR_NOSUID = 0x2;
const MOUNT_ATTR_NODEV = 0x4;
const O_PATH = 0o10000000;
const O_NOFOLLOW = 0o400000;
const O_CLOEXEC = 0o2000000;

// overlayfs options escape ':' (the layer separator) and '\'.
const escapeLayer = (path: string) => path.replaceAll("\\", "\\\\").replaceAll(":", "\\:");

function fsconfig(ctx: number, cmd: number, key: string | null, value: string | null): number {
  const k = key === null ? null : cstr(key);
  const v = value === null ? null : cstr(value);
  return sys("fsconfig", ctx, cmd, addressOf(k), addressOf(v), 0);
}

// An O_PATH fd of the binary on a detached read-only overlayfs.
export function overlaySealed(exe: string): number {
  const ctx = check("fsopen", ["overlay", sym("FSOPEN_CLOEXEC")], sys("fsopen", addressOf(cstr("overlay")), FSOPEN_CLOEXEC));
  try {
    const lower = `${escapeLayer(dirname(exe))}:/sys`;
    check("fsconfig", [sym("FSCONFIG_SET_STRING"), "lowerdir", lower], fsconfig(ctx, FSCONFIG_SET_STRING, "lowerdir", lower));
    // Layers on different filesystems make overlayfs log about xino; we
    // never need inode numbers from this mount.
    fsconfig(ctx, FSCONFIG_SET_STRING, "xino", "off");
    check("fsconfig", [sym("FSCONFIG_CMD_CREATE")], fsconfig(ctx, FSCONFIG_CMD_CREATE, null, null));
    const mnt = check("fsmount", [sym("FSMOUNT_CLOEXEC"), sym("MOUNT_ATTR_RDONLY|MOUNT_ATTR_NOSUID|MOUNT_ATTR_NODEV")], sys("fsmount", ctx, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV));
    try {
      return check("openat", [sym("<overlay>"), basename(exe), sym("O_PATH|O_NOFOLLOW|O_CLOEXEC")], sys("openat", mnt, addressOf(cstr(basename(exe))), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    } finally {
      close(mnt);
    }
  } finally {
    close(ctx);
  }
}

// A sealed memfd copy of the binary.
export function memfdSealed(exe: string): number {
  const fd = check("memfd_create", ["contain", sym("MFD_CLOEXEC|MFD_ALLOW_SEALING")], sys("memfd_create", addressOf(cstr("contain")), MFD_CLOEXEC | MFD_ALLOW_SEALING));
  const src = openSync(exe, "r");
  try {
    for (let left = fstatSync(src).size; left > 0; ) left -= check("sendfile", [fd, exe], sys("sendfile", fd, src, null, left));
    seal(fd);
    return fd;
  } catch (err) {
    close(fd);
    throw err;
  } finally {
    closeSync(src);
  }
}

export interface SealedSelf {
  fd: number; // O_PATH or a memfd, close-on-exec: exec /proc/self/fd/<fd>
  how: "overlay" | "memfd";
  why?: string; // the overlay's refusal, when it fell back to a copy
}

let sealed: SealedSelf | undefined;

// The sealed binary, made once per process.
export function sealedSelf(): SealedSelf {
  if (sealed) return sealed;
  const exe = readlinkSync("/proc/self/exe");
  try {
    sealed = { fd: overlaySealed(exe), how: "overlay" };
  } catch (err) {
    if (!(err instanceof SyscallError)) throw err;
    // The running file itself, whatever its path now names.
    sealed = { fd: memfdSealed("/proc/self/exe"), how: "memfd", why: err.message };
  }
  return sealed;
}
