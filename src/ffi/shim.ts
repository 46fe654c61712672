// Loads the C shim (ffi/shim.c): its raw system call and its clone.
//
// In the compiled binary the shim is embedded under /$bunfs, which dlopen
// cannot read. Bun's own fallback extracts it to $TMPDIR and reuses any file of
// the same name and size without checking it, so a root-run binary must not
// use it: copy the bytes into a sealed memfd (never on disk) and dlopen
// /proc/self/fd/N. Its copy goes through libc: the shim is not loaded yet.
import { dlopen } from "bun:ffi";
import { readFileSync, writeSync } from "node:fs";
import shimPath from "../../ffi/shim.so" with { type: "file" };

const SHIM_SYMBOLS = {
  contain_syscall: { args: ["i64", "i64", "i64", "i64", "i64", "i64", "i64"], returns: "i64" },
  contain_clone: { args: ["u64", "ptr", "ptr", "ptr", "ptr", "i32", "ptr", "i32"], returns: "i64" },
  contain_lookup: { args: ["ptr", "ptr", "ptr", "u64"], returns: "i32" },
} as const;

export const MFD_CLOEXEC = 1;
export const MFD_ALLOW_SEALING = 2;
export const F_ADD_SEALS = 1033;
// F_SEAL_SEAL|F_SEAL_SHRINK|F_SEAL_GROW|F_SEAL_WRITE: the content is fixed
// for good, whoever holds the file (runc seals its copies the same way).
export const SEALS = 0xf;

// The memfd holding the shim, -1 when it was loaded from a file (source runs).
let memfd = -1;

// The init receives the parent's memfd (see shimFd) and loads from it,
// skipping libc's dlopen, memfd_create and the copy: ~2 ms of every start.
let inherited: number | undefined;
export function adoptShim(fd: number): void {
  if (fd >= 0) inherited = fd;
}

export function shimFd(): number {
  shim();
  return memfd;
}

function libcMemfd(name: string, path: string): number {
  const libc = dlopen("libc.so.6", { memfd_create: { args: ["ptr", "u32"], returns: "i32" }, fcntl: { args: ["i32", "i32", "i32"], returns: "i32" } });
  const fd = libc.symbols.memfd_create(Buffer.from(`${name}\0`), MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd >= 0) writeSync(fd, readFileSync(path));
  const sealed = fd >= 0 && libc.symbols.fcntl(fd, F_ADD_SEALS, SEALS) === 0;
  libc.close();
  if (!sealed) throw new Error(`memfd_create failed: cannot load the embedded ${name}`);
  return fd;
}

function loadShim() {
  if (inherited !== undefined) {
    memfd = inherited;
    return dlopen(`/proc/self/fd/${inherited}`, SHIM_SYMBOLS).symbols;
  }
  if (!shimPath.startsWith("/$bunfs/")) return dlopen(shimPath, SHIM_SYMBOLS).symbols;
  memfd = libcMemfd("contain-shim", shimPath);
  return dlopen(`/proc/self/fd/${memfd}`, SHIM_SYMBOLS).symbols;
}

// Loaded on first use, so importing a module costs nothing until a call is made.
let loaded: ReturnType<typeof loadShim> | undefined;
export function shim(): ReturnType<typeof loadShim> {
  loaded ??= loadShim();
  return loaded;
}
