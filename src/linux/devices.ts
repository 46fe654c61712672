// The host's device nodes, for --device and --privileged: type, numbers,
// mode and owner. The path given is followed if it is a symlink (as docker
// does: /dev/disk/by-id/...); links met inside a directory are not.
import { lstatSync, readdirSync, statSync, type Stats } from "node:fs";
import type { HostDevice } from "../spec/devices.ts";

// glibc's gnu_dev_major/minor: the kernel's 64-bit dev_t layout.
const major = (rdev: number) => ((rdev >>> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
const minor = (rdev: number) => (rdev & 0xff) | ((rdev >>> 12) & ~0xff);

function deviceOf(path: string, st: Stats): HostDevice | undefined {
  const type = st.isCharacterDevice() ? "c" : st.isBlockDevice() ? "b" : undefined;
  if (!type) return undefined;
  return { path, type, major: major(st.rdev), minor: minor(st.rdev), mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
}

// The node at `path`, or every node under it when it is a directory;
// undefined when nothing is there.
export function hostDevices(path: string, follow = true): HostDevice[] | undefined {
  let st: Stats;
  try {
    st = follow ? statSync(path) : lstatSync(path);
  } catch {
    return undefined;
  }
  if (!st.isDirectory()) {
    const d = deviceOf(path, st);
    return d ? [d] : [];
  }
  return readdirSync(path).flatMap((name) => hostDevices(`${path}/${name}`, false) ?? []);
}
