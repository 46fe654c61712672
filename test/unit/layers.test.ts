// Keeps the layer rules of shared/DESIGN.md honest: who may import whom.
// Type-only imports are free (they vanish at build time).
import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";

const SRC = resolve(import.meta.dir, "../../src");

// Layer of a file under src/: its first directory, or the file itself.
function layerOf(file: string): string {
  const rel = relative(SRC, file);
  return rel.includes("/") ? (rel.split("/")[0] ?? rel) : rel;
}

const NEUTRAL = ["errors.ts", "log.ts", "syscall-table.ts"]; // import nothing of ours, usable everywhere
const ALLOWED: Record<string, string[]> = {
  "main.ts": ["cli", "init"],
  cli: ["cli", "runtime", "image", "init", "linux", "ffi", "spec", "plan"],
  runtime: ["runtime", "image", "linux", "spec", "plan"],
  // images: references, the registry client, the store, layer unpacking
  image: ["image", "linux", "spec"],
  init: ["init", "linux", "plan"],
  linux: ["linux", "ffi"],
  ffi: ["ffi"],
  spec: ["spec"],
  plan: ["plan", "spec"],
};
const PURE = ["spec", "plan"]; // no side effects: no node: or bun: modules

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [join(dir, e.name)] : [],
  );
}

function valueImports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const found: string[] = [];
  for (const m of text.matchAll(/^(?:import|export)\s+(type\s+)?[^;]*?from\s+"([^"]+)"/gms)) if (!m[1]) found.push(m[2] ?? "");
  for (const m of text.matchAll(/^import\s+"([^"]+)"/gm)) found.push(m[1] ?? "");
  return found;
}

test("every import follows the layer rules", () => {
  const broken: string[] = [];
  for (const file of files(SRC)) {
    const from = layerOf(file);
    for (const spec of valueImports(file)) {
      if (!spec.startsWith(".")) {
        // node:path computes strings only; everything else of node: and bun: has effects.
        if (PURE.includes(from) && /^(node|bun):/.test(spec) && spec !== "node:path") broken.push(`${relative(SRC, file)} (pure) imports ${spec}`);
        if (spec === "bun:ffi" && from !== "ffi") broken.push(`${relative(SRC, file)} imports bun:ffi`);
        continue;
      }
      const target = resolve(file, "..", spec);
      if (!target.startsWith(SRC)) continue; // embedded assets (the shim, the rootfs)
      const to = layerOf(target);
      if (NEUTRAL.includes(to)) {
        if (NEUTRAL.includes(from)) broken.push(`${relative(SRC, file)} imports ${to}`);
        continue;
      }
      if (!(ALLOWED[from] ?? []).includes(to)) broken.push(`${relative(SRC, file)} (${from}) imports ${relative(SRC, target)} (${to})`);
    }
  }
  expect(broken).toEqual([]);
});

// The binary is one bundle, which hoists every static import of Node's own
// modules to its top: each is loaded at every start of every command (and of
// the init stage), whichever module asked. These cost milliseconds there
// (node:tls alone loads net, crypto and the streams): require them where used.
const HEAVY = ["node:tls", "node:net", "node:crypto", "node:http", "node:https", "node:util", "node:stream", "node:child_process", "node:zlib"];

test("no module imports a heavy Node module statically", () => {
  const heavy = files(SRC).flatMap((file) => valueImports(file).filter((spec) => HEAVY.includes(spec)).map((spec) => `${relative(SRC, file)} imports ${spec}`));
  expect(heavy).toEqual([]);
});
