// `contain cp`'s rules, docker's, pure: which argument names the container
// (NAME:PATH) and where the copy lands in DEST.
import { posix } from "node:path";
import { ContainError, EXIT } from "../errors.ts";

export interface CopyRequest {
  direction: "in" | "out"; // into the container, or out of it
  container: string; // its name or ID
  containerPath: string; // absolute, inside its root
  hostPath: string;
  src: string; // as written, for messages
  dest: string;
}

const fail = (message: string, hint: string) => new ContainError(message, hint, EXIT.failed);

// docker's splitCpArg: NAME:PATH names a container unless the argument is
// an absolute path, or what comes before the first ':' starts with '.'
// (./a:b is a host file); the container's path is taken from its root.
function containerOf(arg: string): { container: string; path: string } | undefined {
  if (arg.startsWith("/")) return undefined;
  const colon = arg.indexOf(":");
  if (colon <= 0 || arg.startsWith(".")) return undefined;
  return { container: arg.slice(0, colon), path: arg.slice(colon + 1) };
}

export function copyRequest(src: string, dest: string): CopyRequest {
  const from = containerOf(src);
  const to = containerOf(dest);
  if (from && to) throw fail("copying between containers is not supported", `copy out to a host directory, then in: contain cp ${src} /tmp/x; contain cp /tmp/x ${dest}`);
  if (!from && !to) throw fail("neither SRC nor DEST names a container", `write one side as NAME:PATH, e.g. contain cp ${src} web:/tmp`);
  const side = (from ?? to) as { container: string; path: string };
  const host = from ? dest : src;
  if (side.path === "") throw fail(`no path in the container after "${side.container}:"`, `give one, e.g. ${side.container}:/`);
  if (host === "-") throw fail("tar streams on stdin or stdout (-) are not supported", "give a host path instead");
  if (host === "") throw fail("the host path is empty", "give a file or directory, e.g. .");
  // Relative to the container's / (docker's), its trailing "/" or "/." kept.
  const containerPath = side.path.startsWith("/") ? side.path : `/${side.path}`;
  return { direction: from ? "out" : "in", container: side.container, containerPath, hostPath: host, src, dest };
}

// A path as the rules read it: where its last name is, and whether it ends
// in "/" (a directory is meant) or "/." (a directory's contents are).
export interface PathParts {
  path: string; // without the trailing "/" or "/." ("/" stays "/")
  base: string; // the last name; "" for the root
  slash: boolean;
  dot: boolean;
}

export function pathParts(path: string): PathParts {
  const dot = path === "." || path.endsWith("/.");
  let p = dot ? path.slice(0, -1) : path;
  const slash = dot || (p.endsWith("/") && p !== "/") || p === "/";
  while (p.length > 1 && p.endsWith("/")) p = p.slice(0, -1);
  if (p === "") p = ".";
  const base = p === "/" ? "" : posix.basename(p);
  return { path: p, base: base === "." || base === ".." ? "" : base, slash, dot };
}

// What DEST is when the copy starts.
export type DestKind = "missing" | "dir" | "other";

// Where the source goes (docker's cp rules):
//   the source entry itself, named `name`, in DEST (an existing directory)
//   or in DEST's parent (DEST is missing, or a file to overwrite);
//   or only the entries of the source directory, in DEST.
export type Placement = { in: "dest" | "parent"; name: string } | { in: "dest"; contents: true };

export function placeCopy(src: PathParts, srcIsDir: boolean, srcLabel: string, dest: PathParts, destKind: DestKind, destLabel: string): Placement {
  if (!srcIsDir && src.slash) throw fail(`${srcLabel} is not a directory`, "leave out the trailing / to copy the file");
  if (destKind === "other" && dest.slash) throw fail(`${destLabel} is not a directory`, "leave out the trailing / to overwrite the file, or give a directory");
  if (srcIsDir) {
    if (destKind === "other") throw fail(`cannot copy a directory to a file: ${destLabel} is a file`, "give a directory, or a path that does not exist yet");
    if (destKind === "missing") return { in: "parent", name: dest.base };
    // The root has no name of its own: its entries are what is copied.
    return src.dot || src.base === "" ? { in: "dest", contents: true } : { in: "dest", name: src.base };
  }
  if (destKind === "dir") return { in: "dest", name: src.base };
  if (destKind === "missing" && dest.slash) throw fail(`the directory ${destLabel} does not exist`, `make it first, or leave out the trailing / to copy to a file named ${dest.base || dest.path}`);
  return { in: "parent", name: dest.base };
}
