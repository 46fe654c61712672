// An OCI bundle (runtime.md): its config.json as the Spec, checked against
// this host before anything is made.
import { existsSync, readFileSync, statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { ContainError, SpecError } from "../errors.ts";
import { hostControllers, refuseUnusable } from "../linux/cgroups/index.ts";
import type { Logger } from "../log.ts";
import { specFromConfig } from "../spec/oci.ts";
import type { Spec } from "../spec/schema.ts";

// runc's rule for container IDs.
const ID_RE = /^[\w+.-]+$/;

export function checkOciId(id: string | undefined): string {
  if (!id) throw new SpecError("container id", "cannot be empty", "give the container's ID, e.g. contain create --bundle DIR mycontainer");
  if (!ID_RE.test(id) || id === "." || id === "..") throw new SpecError("container id", `${JSON.stringify(id)}: invalid container ID format`, "use letters, digits and _ + - .");
  return id;
}

// A profile or label contain cannot apply is refused where the host would
// enforce one; on a host without that LSM there is nothing to apply (runc
// does the same).
function checkSecurityLabels(spec: Spec, log: Logger): void {
  const apparmor = readOptional("/sys/module/apparmor/parameters/enabled")?.trim() === "Y";
  const selinux = existsSync("/sys/fs/selinux/enforce");
  const p = spec.process;
  if (p.apparmorProfile) {
    if (apparmor) throw new SpecError("process.apparmorProfile", "contain cannot apply AppArmor profiles yet, and this host enforces AppArmor", "remove it, or use runc for this container");
    log.debug(`process.apparmorProfile ${p.apparmorProfile}: ignored, this host has no AppArmor`);
  }
  for (const [field, label] of [["process.selinuxLabel", p.selinuxLabel], ["linux.mountLabel", spec.linux.mountLabel]] as const) {
    if (!label) continue;
    if (selinux) throw new SpecError(field, "contain cannot apply SELinux labels yet, and this host has SELinux", "remove it, or use runc for this container");
    log.debug(`${field} ${label}: ignored, this host has no SELinux`);
  }
}

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

export function readBundle(dir: string, log: Logger): { bundle: string; spec: Spec } {
  const bundle = resolve(dir);
  const file = `${bundle}/config.json`;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ContainError(`open ${file}: ${code === "ENOENT" ? "no such file or directory" : code}`, "give the bundle's directory with --bundle (it holds config.json; contain spec makes one)");
  }
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (err) {
    throw new SpecError("config.json", `is not valid JSON: ${(err as Error).message}`, `fix ${file}`);
  }
  const spec = specFromConfig(config, bundle, { cpus: availableParallelism() });
  let isDir = false;
  try {
    isDir = statSync(spec.root.path).isDirectory();
  } catch {}
  if (!isDir) throw new SpecError("root.path", `${spec.root.path}: no such directory`, "unpack the root filesystem there, or fix root.path (relative to the bundle)");
  checkSecurityLabels(spec, log);
  // What this machine's cgroups cannot take is refused before anything is made.
  const { version, controllers } = hostControllers();
  refuseUnusable(spec.linux.resources, version, controllers);
  return { bundle, spec };
}
