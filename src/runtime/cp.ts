// `contain cp`: files and trees between a container and the host.
//
// The container's side is a directory fd of its root, and every path in it
// is looked up beneath that fd only: the path the user gives by openat2's
// RESOLVE_IN_ROOT (its links, absolute or with "..", resolve as they would
// inside the container), every name below it by RESOLVE_BENEATH|
// RESOLVE_NO_SYMLINKS one name at a time from the directory fd above it
// (resolve.ts's openBeneath). So no symlink in the container, nor one it
// swaps in while the copy runs, can lead cp to a host file. The host's side
// below DEST is walked the same way, so a link an earlier copy left there is
// never written through either.
//
// A running container's root is its init's /proc/<pid>/root. A stopped one
// keeps its writable layer until `rm` (docker's rule): its overlay is
// mounted, read-only to copy out, in a child of ours that has a private
// mount namespace of its own (copyInMountNamespace), so nothing is mounted
// on the host and nothing writes to a lower layer or to the raw upper
// directory; the mount goes when the child exits, however it exits.
//
// Every new entry is made under a temporary name in its directory and
// renamed into place once whole, so a failed copy leaves nothing half made.
import { chmodSync, closeSync, constants, existsSync, fchmodSync, openSync } from "node:fs";
import { posix } from "node:path";
import { ContainError, EXIT } from "../errors.ts";
import {
  chownFd,
  copyData,
  entryType,
  isMissing,
  listDir,
  mkdirAt,
  mknodAt,
  O_CREAT,
  O_DIRECTORY,
  O_EXCL,
  O_NOFOLLOW,
  O_PATH,
  O_RDONLY,
  O_WRONLY,
  openPath,
  readLink,
  removeTreeAt,
  renameAt,
  reopen,
  setTimesAt,
  setTimesFd,
  stat,
  symlinkAt,
  type EntryType,
} from "../linux/dirfd.ts";
import { attachLoop } from "../linux/loop.ts";
import { MS, mount } from "../linux/mount.ts";
import { mountOverlay } from "../linux/rootfs.ts";
import { linux } from "../linux/kernel.ts";
import { CLONE_NEWNS, unshare } from "../linux/namespaces.ts";
import { errnoReason } from "../linux/file-error.ts";
import { close, isRunning, SyscallError } from "../linux/process.ts";
import { openBeneath, openFileInRoot, openRoot } from "../linux/resolve.ts";
import { pathParts, placeCopy, type CopyRequest, type DestKind } from "../plan/copy.ts";
import { overlayOptions, overlayRoot, type RootPlan } from "../plan/plan.ts";
import { imageLowers } from "./image-root.ts";
import { containerOverlayDir, type ContainerState, type StateStore } from "./state.ts";
import { label as labelOf, statusOf, untilReleased } from "./status.ts";

export interface CopyOptions {
  archive: boolean; // -a: keep owners, set-id bits and special files
  followLink: boolean; // -L: SRC's own link is followed (inside the root)
}

export type Report = (line: string) => void;

const ENOTDIR = 20;
const S_ISUID_ISGID = 0o6000;

const fail = (message: string, hint: string) => new ContainError(message, hint, EXIT.failed);

// Why a call failed, in words that say what to do.
const ERRNO_HINT: Record<string, string> = {
  EROFS: "the path is on a read-only filesystem (run --read-only, or a :ro volume)",
  ENOSPC: "free some space on the destination's filesystem",
  EDQUOT: "free some space on the destination's filesystem",
  ELOOP: "a symbolic link took the place of a directory while copying: cp never follows one",
  EACCES: "check the permissions of the destination",
  ENAMETOOLONG: "use a shorter path",
};

function wrap(where: string, err: unknown): unknown {
  if (!(err instanceof SyscallError)) return err;
  const { name, text } = errnoReason(err.errno);
  return new ContainError(`cannot copy ${where}: ${text}`, ERRNO_HINT[name] ?? "run again with --debug to see the failing call", EXIT.failed, { cause: err });
}

// One side of the copy: the container's root (a directory fd whose paths
// resolve inside it) or the host's file system.
interface Side {
  rootFd: number | undefined; // undefined: the host
  label: (path: string) => string; // box:/etc, /tmp/x
}

// The entry at `path` as O_PATH: through links in the root (or the host's),
// the last one too when `follow`.
function openSide(side: Side, path: string, follow: boolean, flags = 0): number {
  const how = O_PATH | flags | (follow ? 0 : O_NOFOLLOW);
  return side.rootFd === undefined ? openPath(path, how) : openFileInRoot(side.rootFd, path, how);
}

interface Entry {
  fd: number; // O_PATH, the entry itself (a link's own)
  type: EntryType;
  st: ReturnType<typeof stat>;
  label: string;
}

class Copier {
  bytes = 0;
  constructor(
    private readonly opts: CopyOptions,
    private readonly out: boolean, // into the host
    private readonly warn: Report,
  ) {}

  // The mode a new entry gets: its source's, less the set-id bits when it
  // lands on the host without -a (a copy never plants a setuid file there).
  private mode(e: Entry): number {
    const perm = Number(e.st.mode) & 0o7777;
    return this.out && !this.opts.archive ? perm & ~S_ISUID_ISGID : perm;
  }

  // Owner (with -a, chown before chmod: it clears set-id bits), mode, times.
  private finishFd(fd: number, e: Entry): void {
    if (this.opts.archive) chownFd(fd, Number(e.st.uid), Number(e.st.gid));
    fchmodSync(fd, this.mode(e));
    setTimesFd(fd, e.st.atimeNs, e.st.mtimeNs);
  }

  // `e`, as `name` in the directory `dirFd`: a directory onto a directory
  // merges, as docker's does.
  copyEntry(e: Entry, dirFd: number, name: string, destLabel: string): void {
    let existing: EntryType | undefined;
    let existingFd = -1;
    try {
      existingFd = openBeneath(dirFd, name, O_PATH, destLabel);
      existing = entryType(stat(existingFd));
    } catch (err) {
      if (!isMissing(err)) throw wrap(destLabel, err);
    }
    try {
      if (e.type === "dir" && existing === "dir") {
        const dir = reopen(existingFd, O_RDONLY | O_DIRECTORY);
        try {
          this.copyChildren(e, dir, destLabel);
          this.finishFd(dir, e);
        } finally {
          close(dir);
        }
        return;
      }
      if (existing === "dir") throw fail(`cannot overwrite directory ${destLabel} with non-directory ${e.label}`, "remove it first, or copy into it");
      if (e.type === "dir" && existing !== undefined) throw fail(`cannot overwrite non-directory ${destLabel} with directory ${e.label}`, "remove it first, or give another destination");
    } finally {
      if (existingFd >= 0) close(existingFd);
    }
    // Web Crypto's global, not node:crypto: an import of that would be loaded at every start (see image/registry.ts).
    const tmp = `.contain-cp-${Buffer.from(crypto.getRandomValues(new Uint8Array(6))).toString("hex")}`;
    try {
      this.make(e, dirFd, tmp, destLabel);
      // A directory never lands on one made meanwhile; a file replaces
      // what has its name, a link as itself.
      renameAt(dirFd, tmp, name, e.type === "dir");
    } catch (err) {
      try {
        removeTreeAt(dirFd, tmp);
      } catch {}
      throw wrap(destLabel, err);
    }
  }

  // The new entry, whole, under the temporary name `tmp`.
  private make(e: Entry, dirFd: number, tmp: string, destLabel: string): void {
    if (e.type === "dir") {
      // 0700 until it is whole; its own mode comes last.
      mkdirAt(dirFd, tmp, 0o700);
      const dir = openBeneath(dirFd, tmp, O_RDONLY | O_DIRECTORY, destLabel);
      try {
        this.copyChildren(e, dir, destLabel);
        this.finishFd(dir, e);
      } finally {
        close(dir);
      }
    } else if (e.type === "file") {
      const dst = openBeneath(dirFd, tmp, O_WRONLY | O_CREAT | O_EXCL, destLabel, 0o600);
      try {
        // Through /proc/self/fd: the inode that was stat'ed, not a name.
        const src = reopen(e.fd, O_RDONLY);
        try {
          this.bytes += copyData(src, dst, Number(e.st.size));
        } finally {
          close(src);
        }
        this.finishFd(dst, e);
      } finally {
        close(dst);
      }
    } else {
      // A link is copied as the link (its target is text, never followed);
      // a device node, fifo or socket only out, and only with -a.
      if (e.type === "link") symlinkAt(readLink(e.fd), dirFd, tmp);
      else mknodAt(dirFd, tmp, Number(e.st.mode) & 0o170000, Number(e.st.rdev));
      const made = openBeneath(dirFd, tmp, O_PATH, destLabel);
      try {
        if (this.opts.archive) chownFd(made, Number(e.st.uid), Number(e.st.gid));
        // chmod through the O_PATH fd's /proc link reaches the node itself.
        if (e.type === "special") chmodSync(`/proc/self/fd/${made}`, this.mode(e));
      } finally {
        close(made);
      }
      setTimesAt(dirFd, tmp, e.st.atimeNs, e.st.mtimeNs);
    }
  }

  // The entries of the directory `e` into the open directory `dirFd`.
  copyChildren(e: Entry, dirFd: number, destLabel: string): void {
    const src = reopen(e.fd, O_RDONLY | O_DIRECTORY);
    try {
      for (const name of listDir(src).sort()) {
        const childLabel = `${e.label === "/" || e.label.endsWith(":/") ? e.label : `${e.label}/`}${name}`;
        let fd: number;
        try {
          fd = openBeneath(src, name, O_PATH, e.label);
        } catch (err) {
          if (isMissing(err)) continue; // removed while we copy
          throw wrap(childLabel, err);
        }
        try {
          const st = stat(fd);
          const child: Entry = { fd, st, type: entryType(st), label: childLabel };
          if (child.type === "special" && !this.out) throw specialIn(childLabel);
          if (child.type === "special" && !this.opts.archive) {
            this.warn(`skipped ${childLabel}: a device node, fifo or socket is copied out only with -a`);
            continue;
          }
          this.copyEntry(child, dirFd, name, `${destLabel}/${name}`);
        } finally {
          close(fd);
        }
      }
    } finally {
      close(src);
    }
  }
}

const specialIn = (where: string) => fail(`cannot copy ${where} into a container: it is a device node, fifo or socket`, "copy regular files, directories and links only");

// A device node, fifo or socket anywhere in a host tree about to be copied
// in: refused before anything is written.
function findSpecial(fd: number, where: string): string | undefined {
  const st = stat(fd);
  const type = entryType(st);
  if (type === "special") return where;
  if (type !== "dir") return undefined;
  const dir = reopen(fd, O_RDONLY | O_DIRECTORY);
  try {
    for (const name of listDir(dir)) {
      const child = openBeneath(dir, name, O_PATH, where);
      try {
        const found = findSpecial(child, `${where}/${name}`);
        if (found) return found;
      } finally {
        close(child);
      }
    }
  } finally {
    close(dir);
  }
  return undefined;
}

// The copy itself, with the container's root open as `rootFd`. Returns the
// bytes of file data copied.
export function copyPaths(req: CopyRequest, rootFd: number, opts: CopyOptions, warn: Report): number {
  const container: Side = { rootFd, label: (p) => `${req.container}:${p}` };
  const host: Side = { rootFd: undefined, label: (p) => p };
  const out = req.direction === "out";
  const [from, to] = out ? [container, host] : [host, container];
  const [srcPath, destPath] = out ? [req.containerPath, req.hostPath] : [req.hostPath, req.containerPath];
  const src = pathParts(srcPath);
  const dest = pathParts(destPath);
  const owned: number[] = [];
  const own = (fd: number) => (owned.push(fd), fd);
  try {
    // SRC: its own link followed with -L, or when "/" or "/." says a directory is meant.
    let srcFd: number;
    try {
      srcFd = own(openSide(from, src.path, opts.followLink || src.slash));
    } catch (err) {
      if (isMissing(err) || (err instanceof SyscallError && err.errno === ENOTDIR))
        throw fail(out ? `no such file or directory in container ${req.container}: ${src.path}` : `no such file or directory: ${src.path}`, out ? `see what is there with contain exec ${req.container} -- ls -la ${posix.dirname(src.path)}` : "check the path");
      throw wrap(from.label(src.path), err);
    }
    const st = stat(srcFd);
    const entry: Entry = { fd: srcFd, st, type: entryType(st), label: from.label(src.path) };
    if (!out) {
      const special = findSpecial(srcFd, src.path);
      if (special) throw specialIn(special);
    }
    // Out of the container (going in, findSpecial refused it already).
    if (entry.type === "special" && !opts.archive) throw fail(`${entry.label} is a device node, fifo or socket`, "copy it with -a (archive mode) to make it on the host");
    // DEST: its links followed, in the container inside its root.
    let destFd = -1;
    let destKind: DestKind = "missing";
    try {
      destFd = own(openSide(to, dest.path, true));
      destKind = entryType(stat(destFd)) === "dir" ? "dir" : "other";
    } catch (err) {
      if (err instanceof SyscallError && err.errno === ENOTDIR) throw fail(`a parent of ${to.label(dest.path)} is not a directory`, "give a path under a directory");
      if (!isMissing(err)) throw wrap(to.label(dest.path), err);
    }
    const place = placeCopy(src, entry.type === "dir", entry.label, dest, destKind, to.label(dest.path));
    const copier = new Copier(opts, out, warn);
    if ("contents" in place) {
      const dir = own(reopen(destFd, O_RDONLY | O_DIRECTORY));
      copier.copyChildren(entry, dir, to.label(dest.path));
      return copier.bytes;
    }
    if (place.in === "dest") {
      copier.copyEntry(entry, destFd, place.name, to.label(`${dest.path === "/" ? "" : dest.path}/${place.name}`));
      return copier.bytes;
    }
    const parent = posix.dirname(dest.path);
    let parentFd: number;
    try {
      parentFd = own(openSide(to, parent, true, O_DIRECTORY));
    } catch (err) {
      if (isMissing(err) || (err instanceof SyscallError && err.errno === ENOTDIR))
        throw fail(`the directory ${to.label(parent)} does not exist`, `make it first${out ? ` (mkdir -p ${parent})` : ` (contain exec ${req.container} -- mkdir -p ${parent})`}, or give an existing directory`);
      throw wrap(to.label(parent), err);
    }
    copier.copyEntry(entry, parentFd, place.name, to.label(dest.path));
    return copier.bytes;
  } catch (err) {
    throw wrap(`${req.src} to ${req.dest}`, err);
  } finally {
    for (const fd of owned) close(fd);
  }
}

// What a stopped container's copy mounts, in the child's own namespace.
export interface MountedCopy {
  req: CopyRequest;
  opts: CopyOptions;
  root: RootPlan & { overlay: NonNullable<RootPlan["overlay"]> };
  writable: boolean;
}

// The child's side (`contain cp-mounted JOB`, from main.ts): its own mount
// namespace, the overlay in it, the copy. unshare moves only the calling
// thread of this (multithreaded) process, the one every call below is made
// from: the copy is synchronous throughout.
export function copyInMountNamespace(job: MountedCopy, warn: Report): number {
  unshare(CLONE_NEWNS);
  // Private first: the mounts below must not propagate to the host's
  // namespace (its / is usually shared).
  mount(null, "/", null, MS.MS_REC | MS.MS_PRIVATE);
  const { root, writable } = job;
  const ro = writable ? 0 : MS.MS_RDONLY;
  const { layer } = root.overlay;
  if (layer) {
    // The capped layer's own filesystem (loop.ts: detached with the mount).
    const loop = attachLoop(layer.image);
    try {
      mount(loop.device, layer.dir, "ext4", MS.MS_NOSUID | MS.MS_NODEV | ro);
    } finally {
      closeSync(loop.fd);
    }
  }
  // Read-only: the writable layer as the top lower layer, so overlayfs has
  // no upper to write to at all (no copy-up, no work dir); writable: the
  // container's own mount, as its init makes it.
  mountOverlay(linux, root.overlay, MS.MS_NOSUID | MS.MS_NODEV | ro, writable ? root.overlay.options : overlayOptions(root.path, root.overlay, true));
  const rootFd = openRoot(root.overlay.merged);
  try {
    return copyPaths(job.req, rootFd, job.opts, warn);
  } finally {
    close(rootFd);
  }
}

// The root of a stopped container, or why there is none to copy with.
function stoppedRoot(state: ContainerState, req: CopyRequest): { dir: string } | { overlay: MountedCopy["root"] } {
  const spec = state.spec;
  if (!spec) throw fail(`container ${labelOf(state)} has no recorded configuration`, "it was made by an older contain");
  // Its volumes and tmpfs are not mounted while it is stopped: a copy
  // there would reach the layer beneath them, not what the container sees.
  const mounted = (spec.mounts ?? []).map((m) => m.destination).find((d) => req.containerPath === d || req.containerPath.startsWith(d.endsWith("/") ? d : `${d}/`));
  if (mounted) throw fail(`${req.container}:${req.containerPath} is on the container's mount ${mounted}, which is there only while it runs`, "copy while it runs, or to or from a volume's host directory directly");
  if (!spec.contain?.overlay && !spec.contain?.image) return { dir: spec.root.path };
  if (!state.dataDir) throw fail(`container ${labelOf(state)} has no writable layer on record`, "remove it and run a new one");
  const root = overlayRoot(spec, containerOverlayDir(state.dataDir), imageLowers(spec, state.dataDir));
  const { overlay } = root;
  if (!existsSync(overlay.layer ? overlay.layer.image : overlay.upper)) throw fail(`the writable layer of container ${labelOf(state)} is gone`, "remove the container");
  return { overlay: root };
}

// How this binary runs itself again: the compiled one is one file; a source
// run is bun and the entry script.
function selfArgv(): string[] {
  const script = process.argv[1] ?? "";
  return script.startsWith("/$bunfs/") ? [process.execPath] : [process.execPath, script];
}

// What became of the copy: the bytes of file data it copied, or the exit
// code of the child that copied a stopped container (it reported itself).
export type CopyResult = { bytes: number } | { childExit: number };

// The copy, with the container found by `req.container` in `store`;
// `childArgs` go to the child of a stopped container's copy (its verbosity).
export async function copyWithContainer(store: StateStore, req: CopyRequest, opts: CopyOptions, warn: Report, childArgs: string[]): Promise<CopyResult> {
  const { state } = store.find(req.container);
  const status = statusOf(store, state);
  const init = state.init;
  if (status.kind !== "exited" && init && isRunning(init.pid, init.startTime)) {
    // The init's root, opened once: everything resolves beneath this fd.
    const rootFd = openSync(`/proc/${init.pid}/root`, O_PATH | constants.O_DIRECTORY);
    try {
      // Opened by pid, then checked: that pid was still the container's init.
      if (!isRunning(init.pid, init.startTime)) throw fail(`container ${labelOf(state)} stopped while cp started`, "run cp again: a stopped container is copied from its writable layer");
      return { bytes: copyPaths(req, rootFd, opts, warn) };
    } finally {
      closeSync(rootFd);
    }
  }
  if (status.kind !== "exited") throw fail(`container ${labelOf(state)} has not started yet`, "wait for it to run");
  // Its lock, once its monitor's clean-up is done with it: no start, rm or
  // sweep touches the layer while it is mounted.
  const lock = await untilReleased(store, state.id, 10_000);
  if (lock === "gone") throw fail(`no such container: ${req.container}`, "it was removed just now");
  if (!lock) throw fail(`container ${labelOf(state)} is being started or removed`, "try again in a moment");
  using _ = lock;
  const root = stoppedRoot(state, req);
  if ("dir" in root) {
    const rootFd = openRoot(root.dir);
    try {
      return { bytes: copyPaths(req, rootFd, opts, warn) };
    } finally {
      close(rootFd);
    }
  }
  // A read-only root stays read-only: a copy in fails with EROFS, as a write inside would.
  const job: MountedCopy = { req, opts, root: root.overlay, writable: req.direction === "in" && !state.spec?.root.readonly };
  // The child holds the lock too (its fd 3, the same open file): were this
  // process killed, the layer stays locked until the child has unmounted it.
  const child = Bun.spawnSync([...selfArgv(), "cp-mounted", JSON.stringify(job), ...childArgs], { stdio: ["ignore", "inherit", "inherit", lock.fd], env: process.env });
  if (child.exitCode === null) throw fail(`the copy of container ${labelOf(state)}'s layer was killed (${child.signalCode})`, "run cp again: nothing of it is left mounted");
  return { childExit: child.exitCode };
}
