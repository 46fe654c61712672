// The one command lookup (ffi/lookup.c), called through the shim as the init
// calls it: execvp's search, with the failures named.
import { afterAll, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { commandError, EXIT } from "../../src/errors.ts";
import { lookupCommand } from "../../src/ffi/index.ts";

const dir = mkdtempSync("/tmp/contain-lookup-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const at = (...parts: string[]) => join(dir, ...parts);
for (const d of ["a", "b", "c"]) mkdirSync(at(d));
writeFileSync(at("a", "tool"), "#!/bin/sh\n");
chmodSync(at("a", "tool"), 0o644); // found first, but not executable
writeFileSync(at("b", "tool"), "#!/bin/sh\n");
chmodSync(at("b", "tool"), 0o755);
mkdirSync(at("c", "tool")); // a directory in PATH is skipped

const ENOENT = 2;
const EACCES = 13;
const EISDIR = 21;

test("PATH: the first executable regular file; directories and files that may not run are passed over", () => {
  expect(lookupCommand("tool", [at("c"), at("a"), at("b")].join(":"))).toEqual({ errno: 0, path: at("b", "tool") });
});

test("PATH: only files that may not run: EACCES names the first one", () => {
  expect(lookupCommand("tool", [at("c"), at("a")].join(":"))).toEqual({ errno: EACCES, path: at("a", "tool") });
  expect(commandError("tool", "x", EACCES, at("a", "tool")).message).toBe(`${at("a", "tool")}: permission denied (not executable)`);
});

test("PATH: none at all is ENOENT, and the message names the PATH searched", () => {
  expect(lookupCommand("tool", at("c")).errno).toBe(ENOENT);
  expect(lookupCommand("tool", "").errno).toBe(ENOENT);
  const err = commandError("tool", at("c"), ENOENT);
  expect([err.message, err.exitCode]).toEqual([`tool: executable file not found in $PATH (searched PATH=${at("c")})`, EXIT.notFound]);
});

test("an empty PATH entry is the working directory", () => {
  const cwd = process.cwd();
  process.chdir(at("b"));
  try {
    expect(lookupCommand("tool", `${at("c")}::/nowhere`)).toEqual({ errno: 0, path: "./tool" });
  } finally {
    process.chdir(cwd);
  }
});

test("a path with '/' is taken as it is: a directory is EISDIR (126), a missing file ENOENT (127)", () => {
  expect(lookupCommand(at("b", "tool"), "")).toEqual({ errno: 0, path: at("b", "tool") });
  expect(lookupCommand(at("a", "tool"), "").errno).toBe(EACCES);
  expect(lookupCommand(at("c", "tool"), "").errno).toBe(EISDIR);
  expect(commandError(at("c", "tool"), "", EISDIR).exitCode).toBe(EXIT.cannotExecute);
  expect(lookupCommand(at("nothing"), "").errno).toBe(ENOENT);
  expect(commandError(at("nothing"), "", ENOENT).exitCode).toBe(EXIT.notFound);
});

test("a name longer than the buffer is refused, not cut", () => {
  expect(lookupCommand(`/${"x".repeat(5000)}`, "").errno).toBe(36); // ENAMETOOLONG
  expect(lookupCommand("x".repeat(5000), "/bin").errno).toBe(ENOENT);
});
