// A file of an image's tree read straight from its unpacked layers, without
// mounting them (the user a config names, looked up in its /etc/passwd
// before the container exists), by overlayfs's rules: a name's topmost entry
// wins; a whiteout (a 0:0 character device) hides the name in the layers
// below; an opaque directory (xattr trusted.overlay.opaque=y) hides what the
// layers below hold under it, and so does a non-directory. Links are
// followed inside the image's tree, as in a root (resolve.ts): an absolute
// target starts at its root, ".." stops there.
import { lstatSync, readFileSync, readlinkSync, type Stats } from "node:fs";
import { addressOf, cstr, sys } from "../ffi/index.ts";

// The kernel's own limit on links followed in one lookup (MAXSYMLINKS).
const MAX_LINKS = 40;
const OPAQUE = cstr("trusted.overlay.opaque");

function entry(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined; // ENOENT, or ENOTDIR under a layer's file
  }
}

const isWhiteout = (st: Stats) => st.isCharacterDevice() && st.rdev === 0;

function isOpaque(dir: string): boolean {
  const value = new Uint8Array(2);
  // One byte, "y": a longer value is ERANGE, and no opaque mark either.
  return sys("lgetxattr", addressOf(cstr(dir)), addressOf(OPAQUE), addressOf(value), value.length) === 1 && value[0] === 0x79;
}

// The real directories that make up the merged directory `name` in `parent`
// (itself such a list, top first), from the topmost entry `from` down.
function mergedDir(parent: readonly string[], from: number, name: string): string[] {
  const dirs: string[] = [];
  for (let i = from; i < parent.length; i++) {
    const path = `${parent[i]}/${name}`;
    const st = entry(path);
    if (!st) continue;
    if (!st.isDirectory()) break; // a whiteout, or a file the directory above hides
    dirs.push(path);
    if (isOpaque(path)) break;
  }
  return dirs;
}

// The real path of the file at `path` in the merged tree of `top` (the
// layers' directories, top first), or undefined when there is none.
function lookup(top: readonly string[], path: string): string | undefined {
  const todo = path.split("/").filter((p) => p && p !== ".");
  let stack: string[][] = [[...top]]; // the merged directories from the root down
  let links = 0;
  for (;;) {
    const name = todo.shift();
    if (name === undefined) return undefined; // a directory, not a file
    if (name === "..") {
      if (stack.length > 1) stack = stack.slice(0, -1);
      continue;
    }
    if (name === ".") continue;
    const dir = stack[stack.length - 1] ?? [];
    const i = dir.findIndex((d) => entry(`${d}/${name}`));
    if (i < 0) return undefined;
    const real = `${dir[i]}/${name}`;
    const st = entry(real);
    if (!st || isWhiteout(st)) return undefined;
    if (st.isSymbolicLink()) {
      if (++links > MAX_LINKS) return undefined;
      const target = readlinkSync(real);
      if (target.startsWith("/")) stack = stack.slice(0, 1);
      todo.unshift(...target.split("/").filter(Boolean));
      continue;
    }
    if (st.isDirectory()) {
      stack = [...stack, mergedDir(dir, i, name)];
      continue;
    }
    return todo.length === 0 && st.isFile() ? real : undefined;
  }
}

// The text of `path` in the image whose layer directories are `layers`
// (bottom first, as the store lists them); "" when it has no such file.
export function readInLayers(layers: readonly string[], path: string): string {
  const real = lookup(layers.toReversed(), path);
  return real === undefined ? "" : readFileSync(real, "utf8");
}
