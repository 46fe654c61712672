// Namespaces (man 7 namespaces): the clone flags that create them, unshare,
// and the UTS namespace's hostname.
import { closeSync, constants, openSync } from "node:fs";
import { ContainError } from "../errors.ts";
import { addressOf, check, SyscallError, sym, sys } from "../ffi/index.ts";
import { errnoCodeOf } from "./file-error.ts";
import type { NamespaceType } from "../spec/schema.ts";

export const CLONE_NEWNS = 0x00020000;
export const CLONE_NEWCGROUP = 0x02000000;
export const CLONE_NEWUTS = 0x04000000;
export const CLONE_NEWIPC = 0x08000000;
export const CLONE_NEWUSER = 0x10000000;
export const CLONE_NEWPID = 0x20000000;
export const CLONE_NEWNET = 0x40000000;

export const NAMESPACES: Record<NamespaceType, { flag: number; name: string }> = {
  pid: { flag: CLONE_NEWPID, name: "CLONE_NEWPID" },
  uts: { flag: CLONE_NEWUTS, name: "CLONE_NEWUTS" },
  mount: { flag: CLONE_NEWNS, name: "CLONE_NEWNS" },
  ipc: { flag: CLONE_NEWIPC, name: "CLONE_NEWIPC" },
  network: { flag: CLONE_NEWNET, name: "CLONE_NEWNET" },
  cgroup: { flag: CLONE_NEWCGROUP, name: "CLONE_NEWCGROUP" },
  user: { flag: CLONE_NEWUSER, name: "CLONE_NEWUSER" },
};

export function cloneFlags(types: readonly NamespaceType[]): bigint {
  return types.reduce((flags, t) => flags | BigInt(NAMESPACES[t].flag), 0n);
}

export function flagNames(flags: number): string {
  return Object.values(NAMESPACES).filter((n) => flags & n.flag).map((n) => n.name).join("|") || "0";
}

export function unshare(flags: number): void {
  check("unshare", [sym(flagNames(flags))], sys("unshare", flags));
}

// Joins the namespace `fd` names (of type `flag`), from the calling thread.
export function setns(fd: number, flag: number): void {
  check("setns", [fd, sym(flagNames(flag))], sys("setns", fd, flag));
}

const O_CLOEXEC = 0o2000000;
const EINVAL = 22;
const ENOMEM = 12;

const hintOf = (type: NamespaceType) => `give the path of a live ${type} namespace, such as /proc/<pid>/ns/${type === "network" ? "net" : type}`;

// The namespace of `type` at `path`, opened (close-on-exec), with an error
// that names it.
export function openNamespace(type: NamespaceType, path: string): number {
  try {
    return openSync(path, constants.O_RDONLY | O_CLOEXEC);
  } catch (err) {
    throw new ContainError(`linux.namespaces: the ${type} namespace ${path} cannot be opened: ${errnoCodeOf(err) ?? String(err)}`, hintOf(type));
  }
}

// The kernel allocates no PID in a namespace whose init has exited.
export const noInit = (path: string) =>
  new ContainError(`linux.namespaces: the pid namespace ${path} has no init: its first process has exited`, "start the container whose namespace it is again, or give the path of a live one");

// Joins the namespace of `type` at `path` (an OCI caller's: a pod's, a CNI
// network namespace; another container's), from the calling thread, with
// errors that name it.
export function joinByPath(type: NamespaceType, path: string): void {
  const hint = hintOf(type);
  const fd = openNamespace(type, path);
  try {
    setns(fd, NAMESPACES[type].flag);
  } catch (err) {
    if (err instanceof SyscallError && err.errno === EINVAL) throw new ContainError(`linux.namespaces: ${path} is not a ${type} namespace`, hint);
    throw err;
  } finally {
    closeSync(fd);
  }
}

// Runs `fn` (a clone) with the children of this thread made in the PID
// namespace at `path`: no process can change its own PID namespace, so the
// one who clones joins it for the clone alone (setns sets only
// pid_for_children), then goes back to its own, which the kernel lets a
// thread re-enter because it is still the thread's active one.
export function inPidNamespace<T>(path: string | undefined, fn: () => T): T {
  if (path === undefined) return fn();
  const own = openSync("/proc/thread-self/ns/pid", constants.O_RDONLY | O_CLOEXEC);
  try {
    joinByPath("pid", path);
    try {
      return fn();
    } catch (err) {
      if (err instanceof SyscallError && err.errno === ENOMEM) throw noInit(path);
      throw err;
    } finally {
      setns(own, CLONE_NEWPID);
    }
  } finally {
    closeSync(own);
  }
}

export function sethostname(name: string): void {
  const buf = Buffer.from(name);
  check("sethostname", [name, buf.length], sys("sethostname", addressOf(buf), buf.length));
}

export function setdomainname(name: string): void {
  const buf = Buffer.from(name);
  check("setdomainname", [name, buf.length], sys("setdomainname", addressOf(buf), buf.length));
}

