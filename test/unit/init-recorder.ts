// A Kernel that records the init's calls and answers them from a made-up
// file tree, so the set-up runs without root (youki's syscall/test.rs). It
// models what the properties need: which host path each call reaches (fds,
// /proc/self/fd/N, the working directory, the root that pivot_root and
// chroot change) and how each created name was found. A test scripts a
// failure with fail().
import { posix } from "node:path";
import { SyscallError } from "../../src/ffi/index.ts";
import type { FileType, Kernel } from "../../src/linux/kernel.ts";

const AT_FDCWD = -100;
const O_CREAT = 0o100;
const O_EXCL = 0o200;
const RESOLVE_IN_ROOT = 0x10;
const ENOENT = 2;
const EEXIST = 17;

// posix.join without a trailing "/": one spelling per path.
const join = (...parts: string[]) => posix.join(...parts).replace(/(.)\/$/, "$1");

export interface Call {
  call: keyof Kernel | "mark";
  args: unknown[];
  // The host path the call acts on (a mount's target), as the kernel would
  // resolve it from the process's root and working directory.
  path?: string;
  // A creation's: the directory its name was resolved in, when it was
  // created relative to a directory fd (the root's own fd, or one resolved
  // inside it); absent for a creation by a path string.
  within?: string;
  created?: boolean;
  pivoted: boolean; // after pivot_root or chroot: paths are the container's
}

export class Recorder implements Kernel {
  readonly calls: Call[] = [];
  private readonly tree = new Map<string, FileType>([["/", "dir"]]);
  private readonly fds = new Map<number, { path: string; root?: string }>();
  private readonly failures: { call: keyof Kernel; errno: number; when: (args: unknown[]) => boolean }[] = [];
  private nextFd = 100;
  private root = "/";
  private dir = "/";
  private pivoted = false;

  constructor(tree: Record<string, FileType>) {
    for (const [path, type] of Object.entries(tree)) this.add(path, type);
  }

  // The next call of `call` whose arguments `when` accepts fails with `errno`.
  fail(call: keyof Kernel, errno: number, when: (args: unknown[]) => boolean = () => true): void {
    this.failures.push({ call, errno, when });
  }

  // A point of the test's own in the sequence (a hook ran here).
  mark(name: string): void {
    this.calls.push({ call: "mark", args: [name], pivoted: this.pivoted });
  }

  openFds(): number[] {
    return [...this.fds.keys()];
  }

  private add(path: string, type: FileType): void {
    for (let p = posix.dirname(path); p !== "/"; p = posix.dirname(p)) if (!this.tree.has(p)) this.tree.set(p, "dir");
    this.tree.set(path, type);
  }

  // The host path `path` names: /proc/self/fd/N through the fd table, an
  // absolute path from the current root, a relative one from the cwd.
  private host(path: string): string {
    const fd = /^\/proc\/self\/fd\/(\d+)(\/.*)?$/.exec(path);
    if (fd) {
      const open = this.fds.get(Number(fd[1]));
      if (!open) throw new Error(`${path}: fd ${fd[1]} is not open`);
      return join(open.path, fd[2] ?? "");
    }
    return join(path.startsWith("/") ? this.root : this.dir, path);
  }

  private dirOf(dirfd: number): { path: string; root?: string } {
    if (dirfd === AT_FDCWD) return { path: this.dir };
    const open = this.fds.get(dirfd);
    if (!open) throw new Error(`fd ${dirfd} is not open`);
    return open;
  }

  // Records the call; a scripted failure answers -errno (`raw`) or throws.
  private record(call: keyof Kernel, args: unknown[], extra: Partial<Call> = {}, raw = false): number {
    const i = this.failures.findIndex((f) => f.call === call && f.when(args));
    this.calls.push({ call, args, ...extra, pivoted: this.pivoted });
    const failure = i < 0 ? undefined : this.failures.splice(i, 1)[0];
    if (!failure) return 0;
    const { errno } = failure;
    if (raw) return -errno;
    throw new SyscallError(call, args, errno);
  }

  private newFd(path: string, root?: string): number {
    const fd = this.nextFd++;
    this.fds.set(fd, { path, root });
    return fd;
  }

  mount(source: string | null, target: string, fstype: string | null, flags: number, data?: string): void {
    this.record("mount", [source, target, fstype, flags, data], { path: this.host(target) });
  }
  umount2(target: string, flags: number): void {
    this.record("umount2", [target, flags], { path: this.host(target) });
  }
  pivotRoot(newRoot: string, putOld: string): void {
    const path = this.host(newRoot);
    this.record("pivotRoot", [newRoot, putOld], { path });
    this.root = path;
    this.pivoted = true;
  }
  chroot(path: string): void {
    const to = this.host(path);
    this.record("chroot", [path], { path: to });
    this.root = to;
    this.pivoted = true;
  }
  chdir(path: string): void {
    const to = this.host(path);
    this.record("chdir", [path], { path: to });
    if (this.tree.get(to) !== "dir") throw new SyscallError("chdir", [path], ENOENT);
    this.dir = to;
  }
  cwd(): string {
    return posix.join("/", posix.relative(this.root, this.dir));
  }
  mknod(path: string, mode: number, major: number, minor: number): void {
    const to = this.host(path);
    this.record("mknod", [path, mode, major, minor], { path: to, created: true });
    this.add(to, (mode & 0o170000) === 0o060000 ? "block" : "char");
  }
  openat(dirfd: number, path: string, flags: number, mode = 0): number {
    const at = this.dirOf(dirfd);
    const to = path.startsWith("/") ? this.host(path) : join(at.path, path);
    const creates = (flags & O_CREAT) !== 0;
    const failed = this.record("openat", [dirfd, path, flags, mode], { path: to, ...(creates && { created: true, within: dirfd === AT_FDCWD ? undefined : (at.root ?? at.path) }) }, true);
    if (failed) return failed;
    if (this.tree.has(to) && creates && flags & O_EXCL) return -EEXIST;
    if (!this.tree.has(to) && !creates) return -ENOENT;
    if (creates) this.add(to, "file");
    return this.newFd(to);
  }
  openat2(dirfd: number, path: string, flags: number, resolve: number, mode = 0): number {
    const at = this.dirOf(dirfd);
    // RESOLVE_IN_ROOT: the dirfd is "/", and ".." stops there.
    const to = resolve & RESOLVE_IN_ROOT ? join(at.path, posix.normalize(`/${path}`)) : join(at.path, path);
    const failed = this.record("openat2", [dirfd, path, flags, resolve, mode], { path: to }, true);
    if (failed) return failed;
    if (!this.tree.has(to)) return -ENOENT;
    return this.newFd(to, at.path);
  }
  mkdirat(dirfd: number, name: string, mode: number): number {
    const at = this.dirOf(dirfd);
    const to = name.startsWith("/") ? this.host(name) : join(at.path, name);
    const failed = this.record("mkdirat", [dirfd, name, mode], { path: to, created: true, within: dirfd === AT_FDCWD ? undefined : (at.root ?? at.path) }, true);
    if (failed) return failed;
    if (this.tree.has(to)) return -EEXIST;
    this.add(to, "dir");
    return 0;
  }
  close(fd: number): void {
    this.record("close", [fd]);
    if (!this.fds.delete(fd)) throw new Error(`close(${fd}): not open`);
  }
  readlink(path: string): string {
    this.record("readlink", [path], { path: this.host(path) });
    throw new SyscallError("readlink", [path], ENOENT);
  }
  stat(path: string, nofollow = false): FileType {
    const to = this.host(path);
    this.record("stat", [path, nofollow], { path: to });
    const type = this.tree.get(to);
    if (type === undefined) throw new SyscallError(nofollow ? "lstat" : "stat", [path], ENOENT);
    return type;
  }
  mkdirAll(path: string): void {
    const to = this.host(path);
    this.record("mkdirAll", [path], { path: to, created: true });
    if (!this.tree.has(to)) this.add(to, "dir");
  }
  chmod(path: string, mode: number): void {
    this.record("chmod", [path, mode], { path: this.host(path) });
  }
  lchown(path: string, uid: number, gid: number): void {
    this.record("lchown", [path, uid, gid], { path: this.host(path) });
  }
  symlink(target: string, path: string): void {
    const to = this.host(path);
    this.record("symlink", [target, path], { path: to, created: true });
    this.add(to, "link");
  }
  readFile(path: string): string {
    this.record("readFile", [path], { path: this.host(path) });
    throw new SyscallError("read", [path], ENOENT);
  }
  writeFile(path: string, data: string): void {
    this.record("writeFile", [path, data], { path: this.host(path) });
  }
  attachLoop(image: string): { device: string; fd: number } {
    this.record("attachLoop", [image], { path: image });
    return { device: "/dev/loop0", fd: this.newFd("/dev/loop0") };
  }
  sethostname(name: string): void {
    this.record("sethostname", [name]);
  }
  setdomainname(name: string): void {
    this.record("setdomainname", [name]);
  }
}
