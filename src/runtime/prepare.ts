// What every container needs before any resource is taken: a root user, an
// ID, a root filesystem that exists.
import { statSync } from "node:fs";
import { resolve } from "node:path";
import { ContainError, SpecError } from "../errors.ts";
import { geteuid, processStartTime } from "../linux/process.ts";
import { defaultRootfs } from "./image.ts";

export function requireRoot(command: string): void {
  if (geteuid() !== 0)
    throw new ContainError(`contain ${command} must run as root (rootless mode does not exist yet)`, `run it with sudo: sudo contain ${command} ...`);
}

// 64 hex digits, as docker's IDs; the first 12 are the short form.
export function newContainerId(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("hex");
}

export function resolveRootfs(flag: string | undefined, dataRoot: string): string {
  if (flag === undefined) return defaultRootfs(dataRoot, { pid: process.pid, startTime: processStartTime(process.pid) ?? 0 });
  const path = resolve(flag);
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    throw new SpecError("--rootfs", `${path} does not exist`, "pass a directory holding an unpacked root filesystem, or leave --rootfs out for the default");
  }
  if (!isDir) throw new SpecError("--rootfs", `${path} is not a directory`, "unpack the root filesystem into a directory and pass that");
  return path;
}
