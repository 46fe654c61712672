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

const TMPFS_OPTIONS = new Set(["ro", "rw", "exec", "noexec", "suid", "nosuid", "dev", "nodev"]);

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
    else if (value === undefined && TMPFS_OPTIONS.has(key)) options.push(key);
    else throw new SpecError("--tmpfs", `${JSON.stringify(spec)}: unknown option ${JSON.stringify(opt)}`, `use size=N, mode=OCTAL, ro or noexec, e.g. ${example}`);
  }
  return { destination: containerPath("--tmpfs", path, example), type: "tmpfs", source: "tmpfs", options };
}
