// Static C probes that tests put inside a container's root: small programs that
// act as a hostile image would (crun's tests/init.c is the model) and report
// what the kernel answered. Each is test/probes/<name>.c, compiled once per
// change with gcc -static into test/.cache/probes/<name>, so it runs in any
// root, even one without a C library.
import { existsSync, mkdirSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { ensurePackages } from "../setup.ts";

const SOURCES = import.meta.dir;
const OUT = resolve(import.meta.dir, "../.cache/probes");

export function probe(name: string): string {
  const source = `${SOURCES}/${name}.c`;
  const out = `${OUT}/${name}`;
  if (existsSync(out) && statSync(out).mtimeMs >= statSync(source).mtimeMs) return out;
  ensurePackages(["gcc", "libc6-dev"]);
  mkdirSync(OUT, { recursive: true });
  const r = Bun.spawnSync(["gcc", "-O2", "-static", "-Wall", "-Werror", "-o", out, source], { stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`gcc ${name}.c failed:\n${r.stderr.toString()}`);
  return out;
}
