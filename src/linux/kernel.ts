// The calls the init's set-up makes to the kernel (mounts, pivot_root, the
// files of the new root), behind one interface, so that a test runs the whole
// set-up against a recorder without root (youki's syscall/test.rs); `linux`
// is the real one, the functions of mount.ts and node:fs as they were.
//
// One error convention for both kinds of call: a failure is a SyscallError
// (the call, its arguments, the errno), whether the call was raw (check) or
// went through node:fs, whose ErrnoException fsCall (file-error.ts) converts.
import { chmodSync, closeSync, lchownSync, lstatSync, mkdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync, type Stats } from "node:fs";
import { addressOf, cstr, sys } from "../ffi/index.ts";
import { fsCall } from "./file-error.ts";
import { attachLoop } from "./loop.ts";
import { chdir, chroot, mknod, mount, pivotRoot, umount2 } from "./mount.ts";
import { setdomainname, sethostname } from "./namespaces.ts";

export type FileType = "dir" | "file" | "link" | "char" | "block" | "other";

export interface Kernel {
  mount(source: string | null, target: string, fstype: string | null, flags: number, data?: string): void;
  umount2(target: string, flags: number): void;
  pivotRoot(newRoot: string, putOld: string): void;
  chroot(path: string): void;
  chdir(path: string): void;
  cwd(): string;
  mknod(path: string, mode: number, major: number, minor: number): void;
  // These three answer -errno as sys() does: ENOENT and EEXIST are answers
  // the lookups in a root act on, not failures.
  openat(dirfd: number, path: string, flags: number, mode?: number): number;
  openat2(dirfd: number, path: string, flags: number, resolve: number, mode?: number): number;
  mkdirat(dirfd: number, name: string, mode: number): number;
  close(fd: number): void;
  readlink(path: string): string;
  // The type of what `path` names, its last symlink followed unless
  // `nofollow`; undefined where nothing is (ENOENT), an answer the set-up
  // acts on at every start (masked paths a kernel lacks), not a failure.
  stat(path: string, nofollow?: boolean): FileType | undefined;
  mkdirAll(path: string): void;
  chmod(path: string, mode: number): void;
  lchown(path: string, uid: number, gid: number): void;
  symlink(target: string, path: string): void;
  readFile(path: string): string;
  writeFile(path: string, data: string): void;
  attachLoop(image: string): { device: string; fd: number };
  sethostname(name: string): void;
  setdomainname(name: string): void;
}

function typeOf(st: Stats): FileType {
  if (st.isDirectory()) return "dir";
  if (st.isFile()) return "file";
  if (st.isSymbolicLink()) return "link";
  if (st.isCharacterDevice()) return "char";
  if (st.isBlockDevice()) return "block";
  return "other";
}

export const linux: Kernel = {
  mount,
  umount2,
  pivotRoot,
  chroot,
  chdir,
  cwd: () => process.cwd(),
  mknod,
  openat: (dirfd, path, flags, mode = 0) => sys("openat", dirfd, addressOf(cstr(path)), flags, mode),
  openat2(dirfd, path, flags, resolve, mode = 0) {
    // struct open_how { u64 flags; u64 mode; u64 resolve; }
    const how = new BigUint64Array([BigInt(flags), BigInt(mode), BigInt(resolve)]);
    return sys("openat2", dirfd, addressOf(cstr(path)), addressOf(how), how.byteLength);
  },
  mkdirat: (dirfd, name, mode) => sys("mkdirat", dirfd, addressOf(cstr(name)), mode),
  close: (fd) => closeSync(fd),
  readlink: (path) => fsCall("readlink", [path], () => readlinkSync(path)),
  stat(path, nofollow = false) {
    const st = fsCall(nofollow ? "lstat" : "stat", [path], () => (nofollow ? lstatSync : statSync)(path, { throwIfNoEntry: false }));
    return st && typeOf(st);
  },
  mkdirAll: (path) => void fsCall("mkdir", [path], () => mkdirSync(path, { recursive: true })),
  chmod: (path, mode) => fsCall("chmod", [path, mode], () => chmodSync(path, mode)),
  lchown: (path, uid, gid) => fsCall("lchown", [path, uid, gid], () => lchownSync(path, uid, gid)),
  symlink: (target, path) => fsCall("symlink", [target, path], () => symlinkSync(target, path)),
  readFile: (path) => fsCall("read", [path], () => readFileSync(path, "utf8")),
  writeFile: (path, data) => fsCall("write", [path, data], () => writeFileSync(path, data)),
  attachLoop,
  sethostname,
  setdomainname,
};
