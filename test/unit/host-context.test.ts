// The host context: each part resolved at its first use, once; one rule for
// the roots; the one root check.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { hostOf } from "../../src/cli/context.ts";
import { globals } from "../../src/cli/globals.ts";
import { ContainError } from "../../src/errors.ts";
import { DEFAULT_DATA_ROOT, DEFAULT_STATE_ROOT, hostContext } from "../../src/runtime/host-context.ts";

const tmp = mkdtempSync("/tmp/contain-unit-host-");
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

test("the defaults, and --root moves the state only, as runc's --root does", () => {
  expect(hostOf({}).stateRoot).toBe(DEFAULT_STATE_ROOT);
  expect(hostOf({}).dataRoot).toBe(DEFAULT_DATA_ROOT);
  const host = hostOf({ root: `${tmp}/state` });
  expect(host.stateRoot).toBe(`${tmp}/state`);
  expect(host.dataRoot).toBe(DEFAULT_DATA_ROOT);
  expect(hostOf({ "data-root": `${tmp}/data` }).authFile).toBe(`${tmp}/data/auth.json`);
});

test("runc's global --root is the default of a command's own", () => {
  globals.root = `${tmp}/global`;
  try {
    expect(hostOf({}).stateRoot).toBe(`${tmp}/global`);
    expect(hostOf({ root: `${tmp}/own` }).stateRoot).toBe(`${tmp}/own`);
  } finally {
    delete globals.root;
  }
});

test("a root is checked at its first use: a bad --data-root fails only what reads it", () => {
  writeFileSync(`${tmp}/file`, "");
  const host = hostOf({ root: `${tmp}/state`, "data-root": `${tmp}/file/data` });
  expect(host.stateRoot).toBe(`${tmp}/state`);
  expect(() => host.dataRoot).toThrow(`--data-root: ${tmp}/file/data cannot be made: ${tmp}/file is not a directory`);
  expect(() => hostOf({ "data-root": `${tmp}/a:b` }).dataRoot).toThrow("which overlayfs options cannot hold");
});

test("the cgroup layout is read once, and only when asked", () => {
  let reads = 0;
  const host = hostContext({
    euid: 0,
    stateRoot: () => "/s",
    dataRoot: () => "/d",
    mountinfo: () => {
      reads++;
      return "30 25 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw\n";
    },
  });
  expect(host.stateRoot).toBe("/s");
  expect(reads).toBe(0);
  expect(host.cgroups).toEqual({ mode: "v2", v2Mount: "/sys/fs/cgroup", v1Mounts: {} });
  expect(host.cgroups.mode).toBe("v2");
  expect(reads).toBe(1);
});

test("requireRoot names the command, for any user but root", () => {
  const as = (euid: number) => hostContext({ euid, stateRoot: () => "/s", dataRoot: () => "/d" });
  expect(() => as(0).requireRoot("rm")).not.toThrow();
  let err: unknown;
  try {
    as(1000).requireRoot("rm");
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ContainError);
  expect((err as ContainError).message).toBe("contain rm must run as root (rootless mode does not exist yet)");
  expect((err as ContainError).hint).toBe("run it with sudo: sudo contain rm ...");
});
