// Extended attributes (man 2 setxattr, getxattr, listxattr), reached through
// fds only: an open file by fsetxattr, a name in a directory held by an fd
// through /proc/self/fd/N/NAME with the l- calls, which act on the entry
// itself (a symlink's own attributes, never its target's). The magic link
// leads to that directory's inode, so nothing is looked up again by a path
// an archive or a container could redirect.
import { addressOf, check, cstr, sym, sys } from "../ffi/index.ts";

const ENODATA = 61;
const ERANGE = 34;

// `name` in the directory `dirFd`; "" is the directory itself.
const at = (dirFd: number, name: string) => (name ? `/proc/self/fd/${dirFd}/${name}` : `/proc/self/fd/${dirFd}`);

// An empty value is legal; bun:ffi has no pointer for an empty buffer.
const bytes = (value: Uint8Array) => (value.length ? addressOf(value) : null);

export function setXattrFd(fd: number, key: string, value: Uint8Array): void {
  check("fsetxattr", [fd, key, sym(`<${value.length} bytes>`), 0], sys("fsetxattr", fd, addressOf(cstr(key)), bytes(value), value.length, 0));
}

export function setXattrAt(dirFd: number, name: string, key: string, value: Uint8Array): void {
  const path = at(dirFd, name);
  // The directory itself: the call that follows takes the magic link to the
  // fd's inode (an l- call would act on the link in /proc).
  const call = name ? "lsetxattr" : "setxattr";
  check(call, [path, key, sym(`<${value.length} bytes>`), 0], sys(call, addressOf(cstr(path)), addressOf(cstr(key)), bytes(value), value.length, 0));
}

// The value, or undefined when the entry has no such attribute (ENODATA).
export function getXattrAt(dirFd: number, name: string, key: string): Uint8Array | undefined {
  const path = at(dirFd, name);
  const call = name ? "lgetxattr" : "getxattr";
  for (let size = 256; ; size *= 4) {
    const buf = new Uint8Array(size);
    const r = sys(call, addressOf(cstr(path)), addressOf(cstr(key)), addressOf(buf), size);
    if (r === -ENODATA) return undefined;
    if (r === -ERANGE && size < 1 << 20) continue;
    return buf.slice(0, check(call, [path, key], r));
  }
}

export function listXattrAt(dirFd: number, name: string): string[] {
  const path = at(dirFd, name);
  const call = name ? "llistxattr" : "listxattr";
  for (let size = 1024; ; size *= 4) {
    const buf = new Uint8Array(size);
    const r = sys(call, addressOf(cstr(path)), addressOf(buf), size);
    if (r === -ERANGE && size < 1 << 20) continue;
    const n = check(call, [path], r);
    return new TextDecoder().decode(buf.subarray(0, n)).split("\0").filter(Boolean);
  }
}
