// Mounts (man 2 mount, umount2, pivot_root): flags by their kernel names, so a
// failure prints MS_BIND|MS_REC rather than a number.
import { addressOf, check, cstr, sym, sys } from "../ffi/index.ts";
import type { MountFlag } from "../plan/plan.ts";

export const MS: Record<MountFlag, number> = {
  MS_RDONLY: 0x1,
  MS_NOSUID: 0x2,
  MS_NODEV: 0x4,
  MS_NOEXEC: 0x8,
  MS_SYNCHRONOUS: 0x10,
  MS_REMOUNT: 0x20,
  MS_DIRSYNC: 0x80,
  MS_NOATIME: 0x400,
  MS_NODIRATIME: 0x800,
  MS_BIND: 0x1000,
  MS_REC: 0x4000,
  MS_UNBINDABLE: 0x20000,
  MS_PRIVATE: 0x40000,
  MS_SLAVE: 0x80000,
  MS_SHARED: 0x100000,
  MS_RELATIME: 0x200000,
  MS_STRICTATIME: 0x1000000,
};
export const MS_MOVE = 0x2000;
export const MNT_DETACH = 0x2;
const AT_FDCWD = -100;

export function mountFlags(names: readonly MountFlag[]): number {
  return names.reduce((f, n) => f | MS[n], 0);
}

export function mountFlagNames(flags: number): string {
  const names = Object.entries(MS).filter(([, bit]) => flags & bit).map(([n]) => n);
  if (flags & MS_MOVE) names.push("MS_MOVE");
  return names.join("|") || "0";
}

export function mount(source: string | null, target: string, fstype: string | null, flags: number, data?: string): void {
  const s = source === null ? null : cstr(source);
  const t = cstr(target);
  const f = fstype === null ? null : cstr(fstype);
  const d = data === undefined ? null : cstr(data);
  check("mount", [source, target, fstype, sym(mountFlagNames(flags)), data], sys("mount", addressOf(s), addressOf(t), addressOf(f), flags, addressOf(d)));
}

export function umount2(target: string, flags: number): void {
  check("umount2", [target, sym(flags & MNT_DETACH ? "MNT_DETACH" : String(flags))], sys("umount2", addressOf(cstr(target)), flags));
}

export function pivotRoot(newRoot: string, putOld: string): void {
  check("pivot_root", [newRoot, putOld], sys("pivot_root", addressOf(cstr(newRoot)), addressOf(cstr(putOld))));
}

export function chroot(path: string): void {
  check("chroot", [path], sys("chroot", addressOf(cstr(path))));
}

export function chdir(path: string): void {
  check("chdir", [path], sys("chdir", addressOf(cstr(path))));
}

export function mknod(path: string, mode: number, major: number, minor: number): void {
  // new_encode_dev: the kernel's dev_t layout for any major/minor.
  const dev = (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xff) << 12);
  check("mknodat", [sym("AT_FDCWD"), path, sym(`0${mode.toString(8)}`), sym(`makedev(${major}, ${minor})`)], sys("mknodat", AT_FDCWD, addressOf(cstr(path)), mode, dev));
}
