// A Kernel that records the init's calls and answers them from a made-up
// file tree, so the set-up runs without root (youki's syscall/test.rs). It
// models what the properties need: which host path each call reaches (fds,
// /proc/self/fd/N, the working directory, the root that pivot_root and
// chroot change, symlinks followed as the kernel follows them) and how each
// created name was found. A test scripts a failure with fail().
import { posix } from "node:path";
import { SyscallError } from "../../src/ffi/index.ts";
import type { FileType, Kernel } from "../../src/linux/kernel.ts";

const AT_FDCWD = -100;
const O_CREAT = 0o100;
const O_EXCL = 0o200;
const RESOLVE_IN_ROOT = 0x10;
const O_NOFOLLOW = 0o400000;
const ENOENT = 2;
const EEXIST = 17;
const ELOOP = 40;

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
  private readonly links = new Map<string, string>();
  private readonly fds = new Map<number, { path: string; root?: string }>();
  private readonly failures: { call: keyof Kernel; errno: number; when: (args: unknown[]) => boolean }[] = [];
  private nextFd = 100;
  private root = "/";
  private dir = "/";
  private pivoted = false;

  // `tree`: host paths and their types; `links`: symlinks and their targets.
  constructor(tree: Record<string, FileType>, links: Record<string, string> = {}) {
    for (const [path, type] of Object.entries(tree)) this.add(path, type);
    for (const [path, target] of Object.entries(links)) {
      this.add(path, "link");
      this.links.set(path, target);
    }
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

  // `path` looked up from `from` as the kernel does, its links followed
  // (the last one too with `followLast`); absolute names and ".." stop at
  // `root`: the process's root, or a dirfd's with RESOLVE_IN_ROOT.
  private lookup(from: string, path: string, root: string, followLast = true, depth = 0): string {
    if (depth > 40) throw new SyscallError("lookup", [path], ELOOP);
    let at = path.startsWith("/") ? root : from;
    const parts = path.split("/").filter((p) => p && p !== ".");
    parts.forEach((name, i) => {
      if (name === "..") {
        if (at !== root) at = posix.dirname(at);
        return;
      }
      const next = join(at, name);
      const target = this.links.get(next);
      at = target !== undefined && (followLast || i < parts.length - 1) ? this.lookup(at, target, root, true, depth + 1) : next;
    });
    return at;
  }

  // The host path `path` names: /proc/self/fd/N through the fd table, any
  // other from the current root and working directory.
  private host(path: string, followLast = true): string {
    const fd = /^\/proc\/self\/fd\/(\d+)(\/.*)?$/.exec(path);
    if (!fd) return this.lookup(this.dir, path, this.root, followLast);
    const open = this.fds.get(Number(fd[1]));
    if (!open) throw new Error(`${path}: fd ${fd[1]} is not open`);
    return fd[2] ? this.lookup(open.path, fd[2].slice(1), this.root, followLast) : open.path;
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
    const to = this.host(path, false);
    this.record("mknod", [path, mode, major, minor], { path: to, created: true });
    this.add(to, (mode & 0o170000) === 0o060000 ? "block" : "char");
  }
  openat(dirfd: number, path: string, flags: number, mode = 0): number {
    const at = this.dirOf(dirfd);
    const creates = (flags & O_CREAT) !== 0;
    // O_CREAT|O_EXCL never follows a last link.
    const to = this.lookup(at.path, path, this.root, !(flags & O_NOFOLLOW) && !(creates && flags & O_EXCL));
    const failed = this.record("openat", [dirfd, path, flags, mode], { path: to, ...(creates && { created: true, within: dirfd === AT_FDCWD ? undefined : (at.root ?? at.path) }) }, true);
    if (failed) return failed;
    if (this.tree.has(to) && creates && flags & O_EXCL) return -EEXIST;
    if (!this.tree.has(to) && !creates) return -ENOENT;
    if (creates) this.add(to, "file");
    return this.newFd(to);
  }
  openat2(dirfd: number, path: string, flags: number, resolve: number, mode = 0): number {
    const at = this.dirOf(dirfd);
    // RESOLVE_IN_ROOT: the dirfd is "/" for absolute names, links and "..".
    const to = this.lookup(at.path, path, resolve & RESOLVE_IN_ROOT ? at.path : this.root, !(flags & O_NOFOLLOW));
    const failed = this.record("openat2", [dirfd, path, flags, resolve, mode], { path: to }, true);
    if (failed) return failed;
    if (!this.tree.has(to)) return -ENOENT;
    return this.newFd(to, at.path);
  }
  mkdirat(dirfd: number, name: string, mode: number): number {
    const at = this.dirOf(dirfd);
    const to = this.lookup(at.path, name, this.root, false);
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
    const to = this.host(path, false);
    this.record("readlink", [path], { path: to });
    const target = this.links.get(to);
    if (target === undefined) throw new SyscallError("readlink", [path], ENOENT);
    return target;
  }
  stat(path: string, nofollow = false): FileType | undefined {
    const to = this.host(path, !nofollow);
    this.record("stat", [path, nofollow], { path: to });
    return this.tree.get(to);
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
    this.record("lchown", [path, uid, gid], { path: this.host(path, false) });
  }
  symlink(target: string, path: string): void {
    const to = this.host(path, false);
    this.record("symlink", [target, path], { path: to, created: true });
    this.add(to, "link");
    this.links.set(to, target);
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
