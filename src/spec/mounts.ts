// -v/--volume and --tmpfs, docker's syntax, to OCI `mounts` entries.
import { posix } from "node:path";
import { SpecError } from "../errors.ts";
import { parseSize } from "./units.ts";

export interface Mount {
  destination: string;
  type: "bind" | "tmpfs";
  source: string;
  options: string[];
}

// An absolute path inside the container, with no ".." that could climb out of
// the root before the mount target is resolved in it.
export function containerPath(flag: string, path: string, example: string): string {
  if (!path.startsWith("/")) throw new SpecError(flag, `container path ${JSON.stringify(path)} is not absolute`, `start it with /, e.g. ${example}`);
  if (path.split("/").includes("..")) throw new SpecError(flag, `container path ${JSON.stringify(path)} contains ".."`, `give the plain path, e.g. ${example}`);
  return posix.normalize(path).replace(/(.)\/$/, "$1");
}

// HOST:CONTAINER[:ro|rw]. A relative HOST is taken from `cwd`.
export function parseVolume(spec: string, cwd: string): Mount {
  const parts = spec.split(":");
  const example = "-v /srv/data:/data:ro";
  if (parts.length < 2 || parts.length > 3 || !parts[0] || !parts[1])
    throw new SpecError("--volume", `${JSON.stringify(spec)} is not HOST:CONTAINER[:ro|rw]`, `e.g. ${example}`);
  const [host = "", target = "", mode = "rw"] = parts;
  if (mode !== "ro" && mode !== "rw") throw new SpecError("--volume", `${JSON.stringify(spec)}: unknown mode ${JSON.stringify(mode)}`, `use ro or rw, e.g. ${example}`);
  return {
    destination: containerPath("--volume", target, example),
    type: "bind",
    source: posix.resolve(cwd, host),
    options: ["rbind", mode],
  };
}

// The mount options of OCI `mounts` and of docker's flags, as the mount flag
// each sets or clears. Applied in order, so a later option wins (`ro,rw` is
// read-write, `nosuid,suid` allows setuid), as in mount(8) and docker.
export const MOUNT_OPTIONS: Record<string, { set?: MountOptionFlag; clear?: MountOptionFlag; rec?: boolean }> = {
  bind: {},
  rbind: { rec: true },
  ro: { set: "MS_RDONLY" },
  rw: { clear: "MS_RDONLY" },
  nosuid: { set: "MS_NOSUID" },
  suid: { clear: "MS_NOSUID" },
  nodev: { set: "MS_NODEV" },
  dev: { clear: "MS_NODEV" },
  noexec: { set: "MS_NOEXEC" },
  exec: { clear: "MS_NOEXEC" },
};
export type MountOptionFlag = "MS_RDONLY" | "MS_NOSUID" | "MS_NODEV" | "MS_NOEXEC";

// PATH[:size=N,mode=OCTAL,ro,noexec,...], as docker's --tmpfs.
export function parseTmpfs(spec: string): Mount {
  const colon = spec.indexOf(":");
  const path = colon < 0 ? spec : spec.slice(0, colon);
  const example = "--tmpfs /scratch:size=64M";
  const options = ["nosuid", "nodev"];
  for (const opt of colon < 0 ? [] : spec.slice(colon + 1).split(",")) {
    const [key = "", value] = opt.split("=");
    if (key === "size" && value !== undefined) options.push(`size=${parseSize("--tmpfs", value)}`);
    else if (key === "mode" && value !== undefined && /^[0-7]{3,4}$/.test(value)) options.push(`mode=${value}`);
    else if (value === undefined && MOUNT_OPTIONS[key] && !key.endsWith("bind")) options.push(key);
    else throw new SpecError("--tmpfs", `${JSON.stringify(spec)}: unknown option ${JSON.stringify(opt)}`, `use size=N, mode=OCTAL, ro or noexec, e.g. ${example}`);
  }
  return { destination: containerPath("--tmpfs", path, example), type: "tmpfs", source: "tmpfs", options };
}
