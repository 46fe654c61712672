// Opening a path inside another root (a running container's, through
// /proc/<pid>/root) with openat2(RESOLVE_IN_ROOT): ".." and symlinks resolve
// as they would inside that root, so nothing the container put there can lead
// outside it (man 2 openat2; crun resolves paths the same way).
import { closeSync, readFileSync } from "node:fs";
import { addressOf, check, cstr, sym, sys } from "../ffi/index.ts";

const O_CLOEXEC = 0o2000000;
const RESOLVE_NO_MAGICLINKS = 0x02;
const RESOLVE_IN_ROOT = 0x10;

export function openInRoot(rootFd: number, path: string, flags: number): number {
  // struct open_how { u64 flags; u64 mode; u64 resolve; }
  const how = new BigUint64Array([BigInt(flags | O_CLOEXEC), 0n, BigInt(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)]);
  return check("openat2", [rootFd, path, sym("RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS")], sys("openat2", rootFd, addressOf(cstr(path)), addressOf(how), how.byteLength));
}

export function readFileInRoot(rootFd: number, path: string): string {
  const fd = openInRoot(rootFd, path, 0);
  try {
    return readFileSync(fd, "utf8");
  } finally {
    closeSync(fd);
  }
}
