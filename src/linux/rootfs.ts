// Entering the container's root filesystem and building its /proc, /sys and
// /dev from the Plan's op list.
// Every call goes through the Kernel it is given (kernel.ts), so a test can
// record the set-up.
import { dirname } from "node:path";
import { ContainError } from "../errors.ts";
import { SyscallError } from "../ffi/index.ts";
import type { MountFlag, RootMount, RootPlan, SetupOp } from "../plan/plan.ts";
import type { Kernel } from "./kernel.ts";
import { MNT_DETACH, mountFlags, MS, MS_MOVE } from "./mount.ts";
import { fdPath, openInRoot, openRoot } from "./resolve.ts";

const ENOENT = 2;
const EINVAL = 22;

export type RootSwitch = "pivot_root" | "chroot";

const ENODEV = 19;

// Run in the container's new mount namespace, first. Returns the directory
// that becomes the root: root.path, or the overlay merged over it.
export function prepareRoot(k: Kernel, root: RootPlan): string {
  // Private first: nothing mounted from here on propagates back to the host,
  // and pivot_root refuses a shared current root. An OCI caller may ask for
  // another (rslave: the host's new mounts reach the container).
  k.mount(null, "/", null, root.propagation ? mountFlags(root.propagation) : MS.MS_REC | MS.MS_PRIVATE);
  // pivot_root refuses a new root whose parent mount is shared.
  if (root.propagation?.includes("MS_SHARED")) k.mount(null, mountPointOf(k, dirname(root.path)), null, MS.MS_PRIVATE);
  let dir = root.path;
  if (root.overlay?.layer) mountLayer(k, root.overlay.layer.image, root.overlay.layer.dir, [root.overlay.upper, root.overlay.work]);
  if (root.overlay) {
    try {
      mountVolatileOrNot(k, root.overlay);
    } catch (err) {
      if (!(err instanceof SyscallError)) throw err;
      if (err.errno === ENODEV) throw new ContainError("copy-on-write root: this kernel has no overlayfs (mount: ENODEV)", "load it (modprobe overlay), or run with --no-overlay", undefined, { cause: err });
      if (err.errno === EINVAL && root.overlay.lowers)
        throw new ContainError(`copy-on-write root: overlayfs refused the image's layers in ${root.overlay.lowers.dir} (mount: EINVAL)`, "the data root's filesystem may not support overlayfs: give --data-root a directory on ext4 or xfs", undefined, { cause: err });
      if (err.errno === EINVAL)
        throw new ContainError(`copy-on-write root: overlayfs refused ${root.path} as its lower layer (mount: EINVAL)`, "its filesystem may not support overlayfs; run with --no-overlay", undefined, { cause: err });
      throw err;
    }
    dir = root.overlay.merged;
  }
  // pivot_root needs the new root to be a mount point of its own.
  k.mount(dir, dir, null, MS.MS_BIND | MS.MS_REC);
  return dir;
}

// A kernel before 5.10 refuses overlayfs' volatile (EINVAL), which the Plan
// asks for a layer that goes with its container (plan.ts, PlanLayout):
// mounted without it, the layer is synced at its unmount, as any other.
function mountVolatileOrNot(k: Kernel, overlay: NonNullable<RootPlan["overlay"]>): void {
  try {
    mountOverlay(k, overlay, 0);
  } catch (err) {
    const plain = overlay.options.replace(/,volatile$/, "");
    if (!(err instanceof SyscallError && err.errno === EINVAL) || plain === overlay.options) throw err;
    mountOverlay(k, overlay, 0, plain);
  }
}

// The overlay at its merged directory, with its options or `data`. An
// image's layers are named relative to its store's directory (LayerStack),
// so the mount is made from there, and the working directory put back.
export function mountOverlay(k: Kernel, overlay: NonNullable<RootPlan["overlay"]>, flags: number, data = overlay.options): void {
  const from = overlay.lowers?.dir;
  if (from === undefined) return k.mount("overlay", overlay.merged, "overlay", flags, data);
  const back = k.cwd();
  k.chdir(from);
  try {
    k.mount("overlay", overlay.merged, "overlay", flags, data);
  } finally {
    k.chdir(back);
  }
}

// The capped writable layer's filesystem, in this (the container's) mount
// namespace only: the loop device detaches by itself when it goes.
function mountLayer(k: Kernel, image: string, dir: string, dirs: readonly string[]): void {
  const loop = k.attachLoop(image);
  try {
    k.mount(loop.device, dir, "ext4", MS.MS_NOSUID | MS.MS_NODEV);
  } finally {
    k.close(loop.fd);
  }
  for (const d of dirs) k.mkdirAll(d);
}

// The Plan's mounts, in order, onto targets resolved inside `rootDir` (see
// resolve.ts), before pivot_root while host paths can still be reached.
export function mountInRoot(k: Kernel, rootDir: string, mounts: readonly RootMount[]): void {
  const rootFd = openRoot(rootDir, k);
  try {
    for (const m of mounts) {
      const kind = m.fstype === null && m.source !== null && sourceType(k, m.source) !== "dir" ? "file" : "dir";
      if (m.source !== null) {
        const fd = openInRoot(k, rootFd, m.target, kind);
        try {
          k.mount(m.source, fdPath(fd), m.fstype, mountFlags(m.flags), m.data);
        } finally {
          k.close(fd);
        }
      }
      // The new mount is what the target path leads to now: a bind takes its
      // per-mount flags (ro, nosuid, ...) only on a remount of it, and
      // propagation is a change of its own.
      // (A remount of a filesystem, not of a bind, when there is no source.)
      const remount = m.remount && [...(m.source === null ? [] : (["MS_BIND"] as const)), "MS_REMOUNT", ...m.remount];
      for (const flags of [remount, m.propagation]) {
        if (!flags) continue;
        const top = openInRoot(k, rootFd, m.target, kind);
        try {
          k.mount(null, fdPath(top), null, mountFlags(flags as MountFlag[]));
        } finally {
          k.close(top);
        }
      }
    }
  } finally {
    k.close(rootFd);
  }
}

// Returns how the root was changed.
export function enterRoot(k: Kernel, rootfs: string): RootSwitch {
  k.chdir(rootfs);
  try {
    // pivot_root(".", "."): the old root ends up stacked on the new one, and
    // the detach below takes it away without a temporary directory (man 2 pivot_root).
    k.pivotRoot(".", ".");
    // A slave first, so that detaching the old root never propagates to the
    // host's mounts (a shared tree would take them with it).
    k.mount(null, ".", null, MS.MS_SLAVE | MS.MS_REC);
    k.umount2(".", MNT_DETACH);
    k.chdir("/");
    return "pivot_root";
  } catch (err) {
    // EINVAL: the current root is the initramfs (rootfs), which can never be
    // unmounted, so it cannot be pivoted away. Move the new root over it and
    // chroot, as runc does with --no-pivot.
    if (!(err instanceof SyscallError && err.errno === EINVAL)) throw err;
    k.mount(rootfs, "/", null, MS_MOVE);
    k.chroot(".");
    k.chdir("/");
    return "chroot";
  }
}

// The mount point under which `path` lies: the longest of mountinfo's.
function mountPointOf(k: Kernel, path: string): string {
  const points = k.readFile("/proc/self/mountinfo").split("\n").map((l) => l.split(" ")[4] ?? "");
  return points.filter((p) => p && (path === p || path.startsWith(p === "/" ? "/" : `${p}/`))).sort((a, b) => b.length - a.length)[0] ?? "/";
}

// A bind's source, which must be there.
function sourceType(k: Kernel, source: string): string {
  const type = k.stat(source);
  if (type === undefined) throw new SyscallError("stat", [source], ENOENT);
  return type;
}

// What `path` names (a link itself with `nofollow`), or undefined.
function typeAt(k: Kernel, path: string, nofollow = false): string | undefined {
  try {
    return k.stat(path, nofollow);
  } catch {
    return undefined;
  }
}

// runc's masking: a directory gets an empty read-only tmpfs, a file /dev/null.
function maskPath(k: Kernel, path: string): void {
  const type = typeAt(k, path);
  if (type === undefined) return;
  if (type === "dir") k.mount("tmpfs", path, "tmpfs", MS.MS_RDONLY, "size=0");
  else k.mount("/dev/null", path, null, MS.MS_BIND);
}

const S_IFMT = { c: 0o020000, b: 0o060000, p: 0o010000 } as const;

export function runSetupOps(k: Kernel, ops: readonly SetupOp[]): void {
  for (const op of ops) {
    switch (op.op) {
      case "mkdir":
        if (typeAt(k, op.path) === undefined) {
          k.mkdirAll(op.path);
          k.chmod(op.path, op.mode);
        }
        break;
      case "remount-root-readonly":
        k.mount(null, "/", null, MS.MS_BIND | MS.MS_REMOUNT | MS.MS_RDONLY);
        break;
      case "mknod":
        k.mknod(op.path, S_IFMT[op.type] | op.mode, op.major, op.minor);
        // mknod's mode passes through the umask: set the exact one.
        k.chmod(op.path, op.mode);
        if (op.uid !== 0 || op.gid !== 0) k.lchown(op.path, op.uid, op.gid);
        break;
      case "symlink":
        if (typeAt(k, op.path, true) === undefined) k.symlink(op.target, op.path);
        break;
      case "sysctl":
        // Dots are sysctl(8)'s separators; the key was checked to be namespaced.
        k.writeFile(`/proc/sys/${op.key.replaceAll(".", "/")}`, op.value);
        break;
      case "mask":
        maskPath(k, op.path);
        break;
      case "seal":
        k.mount(null, op.path, null, MS.MS_BIND | MS.MS_REMOUNT | MS.MS_RDONLY | MS.MS_NOSUID | MS.MS_NODEV | MS.MS_NOEXEC);
        break;
      case "readonly":
        if (typeAt(k, op.path, true) === undefined) break;
        k.mount(op.path, op.path, null, MS.MS_BIND | MS.MS_REC);
        k.mount(null, op.path, null, MS.MS_BIND | MS.MS_REMOUNT | MS.MS_RDONLY | MS.MS_NOSUID | MS.MS_NODEV | MS.MS_NOEXEC);
        break;
    }
  }
}
