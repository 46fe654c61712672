// Loop devices (man 4 loop), for a container's capped writable layer: a
// sparse image file with a filesystem of its own, attached to a free loop
// device with LOOP_CONFIGURE and LO_FLAGS_AUTOCLEAR, so the device detaches
// by itself once the filesystem on it is unmounted and no fd is left (the
// container's mount namespace going is enough). The image is made by
// mkfs.ext4 (e2fsprogs), ext4 because every kernel has it and its ENOSPC is
// a disk's, not RAM's.
import { closeSync, openSync } from "node:fs";
import { ContainError } from "../errors.ts";
import { addressOf, check, sym, SyscallError, sys } from "../ffi/index.ts";

const LOOP_CTL_GET_FREE = 0x4c82;
const EBUSY = 16;
const LOOP_CONFIGURE = 0x4c0a;
const LO_FLAGS_AUTOCLEAR = 4;

// An image of `size` bytes (sparse: only what is written takes disk) with an
// empty ext4 on it: no journal (the layer is the container's scratch), and
// its inode tables and journal zeroed lazily, so making it is quick.
export function makeLayerImage(image: string, size: number): void {
  const mkfs = Bun.which("mkfs.ext4", { PATH: `${process.env.PATH ?? ""}:/usr/sbin:/sbin` });
  if (!mkfs) throw new ContainError("--storage-opt size= needs mkfs.ext4, which is not installed", "install it (apt-get install e2fsprogs), or leave --storage-opt out");
  const r = Bun.spawnSync([mkfs, "-q", "-F", "-O", "^has_journal", "-E", "lazy_itable_init=1,nodiscard", image, `${Math.floor(size / 1024)}k`], { stdout: "ignore", stderr: "pipe", env: {} });
  if (r.exitCode !== 0) throw new ContainError(`mkfs.ext4 ${image} failed: ${r.stderr.toString().trim().split("\n").at(-1)}`, "check the space on the data root's disk");
}

// Attaches `image` to a free loop device; returns its path and an fd that
// holds it until the filesystem is mounted (close it then). A start beside
// this one may take the same free device first (EBUSY): then the next.
export function attachLoop(image: string): { device: string; fd: number } {
  for (let attempt = 0; ; attempt++) {
    try {
      return tryAttach(image);
    } catch (err) {
      if (!(err instanceof SyscallError && err.errno === EBUSY) || attempt >= 20) throw err;
    }
  }
}

function tryAttach(image: string): { device: string; fd: number } {
  const control = openSync("/dev/loop-control", "r+");
  let n: number;
  try {
    n = check("ioctl", [sym("/dev/loop-control"), sym("LOOP_CTL_GET_FREE")], sys("ioctl", control, LOOP_CTL_GET_FREE));
  } finally {
    closeSync(control);
  }
  const device = `/dev/loop${n}`;
  const fd = openSync(device, "r+");
  const backing = openSync(image, "r+");
  try {
    // struct loop_config { u32 fd; u32 block_size; struct loop_info64 info
    // (lo_flags at 52 of its 232 bytes); u64 reserved[8]; }
    const config = new DataView(new ArrayBuffer(304));
    config.setUint32(0, backing, true);
    config.setUint32(8 + 52, LO_FLAGS_AUTOCLEAR, true);
    check("ioctl", [sym(device), sym("LOOP_CONFIGURE"), sym(`{fd=<${image}>, lo_flags=LO_FLAGS_AUTOCLEAR}`)], sys("ioctl", fd, LOOP_CONFIGURE, addressOf(config)));
    return { device, fd };
  } catch (err) {
    closeSync(fd);
    throw err;
  } finally {
    // The device holds the image now.
    closeSync(backing);
  }
}

