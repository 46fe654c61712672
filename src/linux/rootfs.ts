// Entering the container's root filesystem and building its /proc, /sys and
// /dev from the Plan's op list.
import { chmodSync, existsSync, lstatSync, mkdirSync, symlinkSync } from "node:fs";
import { SyscallError } from "../ffi/index.ts";
import type { SetupOp } from "../plan/plan.ts";
import { chdir, chroot, MNT_DETACH, mknod, mount, mountFlags, MS, MS_MOVE, pivotRoot, umount2 } from "./mount.ts";

const EINVAL = 22;

export type RootSwitch = "pivot_root" | "chroot";

// Run in the container's new mount namespace. Returns how the root was changed.
export function enterRoot(rootfs: string): RootSwitch {
  // Private first: nothing mounted from here on propagates back to the host,
  // and pivot_root refuses a shared current root.
  mount(null, "/", null, MS.MS_REC | MS.MS_PRIVATE);
  // pivot_root needs the new root to be a mount point of its own.
  mount(rootfs, rootfs, null, MS.MS_BIND | MS.MS_REC);
  chdir(rootfs);
  try {
    // pivot_root(".", "."): the old root ends up stacked on the new one, and
    // the detach below takes it away without a temporary directory (man 2 pivot_root).
    pivotRoot(".", ".");
    umount2(".", MNT_DETACH);
    chdir("/");
    return "pivot_root";
  } catch (err) {
    // EINVAL: the current root is the initramfs (rootfs), which can never be
    // unmounted, so it cannot be pivoted away. Move the new root over it and
    // chroot, as runc does with --no-pivot.
    if (!(err instanceof SyscallError && err.errno === EINVAL)) throw err;
    mount(rootfs, "/", null, MS_MOVE);
    chroot(".");
    chdir("/");
    return "chroot";
  }
}

function isPresent(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

export function runSetupOps(ops: readonly SetupOp[]): void {
  for (const op of ops) {
    switch (op.op) {
      case "mkdir":
        if (!existsSync(op.path)) {
          mkdirSync(op.path, { recursive: true });
          chmodSync(op.path, op.mode);
        }
        break;
      case "mount":
        mount(op.source, op.target, op.fstype, mountFlags(op.flags), op.data);
        break;
      case "mknod":
        mknod(op.path, op.mode, op.major, op.minor);
        break;
      case "symlink":
        if (!isPresent(op.path)) symlinkSync(op.target, op.path);
        break;
    }
  }
}
