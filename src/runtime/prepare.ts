// What every container needs before any resource is taken: an ID, a root
// filesystem that exists.
import { statSync, type Stats } from "node:fs";
import { resolve } from "node:path";
import { SpecError } from "../errors.ts";
import { processStartTime } from "../linux/process.ts";
import { defaultRootfs } from "./image.ts";

// 64 hex digits, as docker's IDs; the first 12 are the short form.
export function newContainerId(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("hex");
}

// A relative path is taken from the current directory (--rootfs ./rootfs).
export function resolveRootfs(flag: string | undefined, dataRoot: string): string {
  if (flag === undefined) return defaultRootfs(dataRoot, { pid: process.pid, startTime: processStartTime(process.pid) ?? 0 });
  // resolve("") is the current directory: `--rootfs "$ROOT"` with ROOT unset
  // would run it as the container's root.
  if (flag === "") throw new SpecError("--rootfs", "the path is empty", "give the directory of an unpacked root filesystem (is a variable unset?), or leave --rootfs out for the default");
  const path = resolve(flag);
  let st: Stats;
  try {
    st = statSync(path);
  } catch {
    throw new SpecError("--rootfs", `${path} does not exist`, "pass a directory holding an unpacked root filesystem, or leave --rootfs out for the default");
  }
  if (!st.isDirectory()) throw new SpecError("--rootfs", `${path} is not a directory`, "unpack the root filesystem into a directory and pass that");
  // By device and inode, not by name: /., //, a symlink to / and a bind mount
  // of / are the host's root too, and a container on it would write the host's files.
  const host = statSync("/");
  if (st.dev === host.dev && st.ino === host.ino)
    throw new SpecError("--rootfs", `${path} is the host's root directory`, "give the directory of an unpacked root filesystem, or leave --rootfs out for the default");
  return path;
}
