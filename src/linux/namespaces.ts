// Namespaces (man 7 namespaces): the clone flags that create them, unshare,
// and the UTS namespace's hostname.
import { addressOf, check, sym, sys } from "../ffi/index.ts";
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

export function sethostname(name: string): void {
  const buf = Buffer.from(name);
  check("sethostname", [name, buf.length], sys("sethostname", addressOf(buf), buf.length));
}

