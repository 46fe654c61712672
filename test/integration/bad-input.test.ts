// Every bad input: one clear line on stderr naming the problem and the fix,
// exit 125, and nothing left behind.
import { afterAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { BIN, Harness } from "./harness.ts";

const h = new Harness();
const notADir = `${h.root}.file`;
writeFileSync(notADir, "");
afterAll(() => {
  Bun.spawnSync(["rm", "-f", notADir]);
  h.expectClean();
  h.dispose();
});

test.each<[string, string[], RegExp]>([
  ["a missing rootfs", ["--rootfs", "/nonexistent/root", "--", "sh"], /^\[contain\] error: --rootfs: \/nonexistent\/root does not exist; pass a directory/],
  ["a rootfs that is a file", ["--rootfs", notADir, "--", "sh"], /^\[contain\] error: --rootfs: \S+ is not a directory; /],
  ["--memory 64X", ["--memory", "64X", "--", "sh"], /^\[contain\] error: --memory: invalid size "64X"; use bytes or a number with a K, M or G suffix/],
  ["--memory -1", ["--memory", "-1", "--", "sh"], /^\[contain\] error: --memory: invalid size "-1"; /],
  ["--memory 0", ["--memory", "0", "--", "sh"], /^\[contain\] error: --memory: 0 is below the smallest limit that works \(1M\); use at least 1M/],
  ["--memory below the smallest limit", ["--memory", "512K", "--", "sh"], /^\[contain\] error: --memory: 512K is below the smallest limit that works/],
  ["--pids 0", ["--pids", "0", "--", "sh"], /^\[contain\] error: --pids: 0 allows no process at all; use at least 1/],
  ["--cpu 0", ["--cpu", "0", "--", "sh"], /^\[contain\] error: --cpu: 0 CPUs is not a limit; /],
  ["more CPUs than the machine has", ["--cpu", "64", "--", "sh"], /^\[contain\] error: --cpu: \d+(\.\d+)? CPUs is more than this machine has \(\d+\); use at most --cpu \d+/],
  ["a hostname over 64 characters", ["--hostname", "h".repeat(65), "--", "sh"], /^\[contain\] error: --hostname: "h+" is longer than 64 characters; /],
  ["a hostname with invalid characters", ["--hostname", "my_box!", "--", "sh"], /^\[contain\] error: --hostname: "my_box!" has invalid characters/],
  ["an unknown flag", ["--memroy", "64M", "--", "sh"], /^\[contain\] error: --memroy: unknown flag; see 'contain run --help'/],
  ["no command", ["--memory", "64M"], /^\[contain\] error: command: no command given; give the command after --/],
])("%s", (_, args, message) => {
  const r = h.run(["run", ...args]);
  expect(r.code).toBe(125);
  expect(r.stdout).toBe("");
  expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
  expect(r.stderr).toMatch(message);
});

test("a command that is not in the rootfs: 127, naming what was searched", () => {
  const r = h.run(["run", "-q", "--", "definitely-not-here"]);
  expect(r.code).toBe(127);
  expect(r.stderr.trimEnd().split("\n")).toEqual([
    "[contain] error: definitely-not-here: command not found in the container (searched PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin); check the name, or give the full path",
  ]);
});

test("an unknown command", () => {
  const r = h.run(["frobnicate"]);
  expect(r.code).toBe(125);
  expect(r.stderr).toBe(`[contain] error: unknown command "frobnicate"; see 'contain --help'\n`);
});

test("not root: says so, and that rootless mode does not exist yet", () => {
  const r = Bun.spawnSync(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", BIN, "run", "--root", h.root, "--", "true"]);
  expect(r.exitCode).toBe(125);
  expect(r.stderr.toString()).toBe(
    "[contain] error: contain run must run as root (rootless mode does not exist yet); run it with sudo: sudo contain run ...\n",
  );
});
