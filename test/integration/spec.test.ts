// The commands that describe the runtime, as runc has them: `contain spec`
// writes a config.json that runc itself runs, `contain features` prints the
// runtime-spec's Features JSON, `--version` the spec it goes up to.
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { BIN, busyboxTree, findCgroups, type Result } from "./harness.ts";

const RUNC = "/usr/sbin/runc";
const made: string[] = [];
const tempDir = (prefix: string) => {
  const dir = mkdtempSync(`/tmp/contain-test-${prefix}-`);
  made.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function sh(argv: string[], cwd?: string): Result {
  const r = Bun.spawnSync(argv, { cwd, stdin: "ignore", timeout: 30_000, killSignal: "SIGKILL", env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } });
  return { code: r.exitCode ?? 128, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}
const contain = (args: string[], cwd?: string) => sh([BIN, ...args], cwd);

// Cgroup directories by that name anywhere near the top of the hierarchies
// (runc makes them under its own cgroup of each controller).
const cgroupsNamed = (name: string) => findCgroups((n) => n === name);

test("contain spec writes config.json into the bundle, and never over one", () => {
  const bundle = tempDir("bundle");
  const first = contain(["spec", "--bundle", bundle]);
  expect(first).toEqual({ code: 0, stdout: "", stderr: "" });
  const text = readFileSync(`${bundle}/config.json`, "utf8");
  expect(JSON.parse(text)).toMatchObject({ process: { terminal: true, args: ["sh"] }, root: { path: "rootfs" } });

  const again = contain(["spec", "-b", bundle]);
  expect(again.code).toBe(1); // runc's, as for every failure but a bad command line
  expect(again.stderr).toBe(`[contain] error: ${bundle}/config.json exists; remove it first, or give another bundle with --bundle DIR\n`);
  expect(readFileSync(`${bundle}/config.json`, "utf8")).toBe(text);

  // Without --bundle: the current directory, as runc's.
  const here = tempDir("bundle");
  expect(contain(["spec"], here).code).toBe(0);
  expect(readFileSync(`${here}/config.json`, "utf8")).toBe(text);
});

test("contain spec --rootless is refused in one line, and writes nothing", () => {
  const bundle = tempDir("bundle");
  const r = contain(["spec", "--rootless", "--bundle", bundle]);
  expect(r.code).toBe(125);
  expect(r.stderr.trimEnd().split("\n")).toEqual(["[contain] error: --rootless: contain does not run rootless containers yet; leave it out; the config is for a container run as root"]);
  expect(readdirSync(bundle)).toEqual([]);
});

test("runc runs a bundle of contain spec's config.json and a busybox rootfs", () => {
  const bundle = tempDir("bundle");
  const root = tempDir("runc-root");
  const id = `contain-spec-test-${process.pid}`;
  expect(contain(["spec", "--bundle", bundle]).code).toBe(0);
  renameSync(busyboxTree(), `${bundle}/rootfs`);
  const config = JSON.parse(readFileSync(`${bundle}/config.json`, "utf8"));
  config.process.terminal = false;
  config.process.args = ["echo", "hi"];
  writeFileSync(`${bundle}/config.json`, JSON.stringify(config));
  try {
    const r = sh([RUNC, "--root", root, "run", "--bundle", bundle, id]);
    expect(r).toEqual({ code: 0, stdout: "hi\n", stderr: "" });
    // `runc run` deletes the container when it exits: nothing of it is left.
    expect(sh([RUNC, "--root", root, "list", "-q"]).stdout).toBe("");
    expect(cgroupsNamed(id)).toEqual([]);
  } finally {
    if (existsSync(`${root}/${id}`)) sh([RUNC, "--root", root, "delete", "--force", id]);
  }
});

test("contain features prints the Features JSON; its lists agree with runc's where both implement the same", () => {
  const r = contain(["features"]);
  expect(r.code).toBe(0);
  const ours = JSON.parse(r.stdout);
  const runc = JSON.parse(sh([RUNC, "features"]).stdout);
  expect(ours.ociVersionMin).toBe("1.0.0");
  expect(ours.linux.namespaces).toEqual(runc.linux.namespaces);
  expect(ours.linux.capabilities).toEqual(runc.linux.capabilities);
  expect(ours.linux.seccomp.operators).toEqual(runc.linux.seccomp.operators);
  expect(ours.mountOptions.filter((o: string) => !runc.mountOptions.includes(o))).toEqual([]);
  expect(ours.linux.seccomp.actions.filter((a: string) => !runc.linux.seccomp.actions.includes(a))).toEqual([]);

  // `--version` and `version`: contain's own first, then the newest spec, as runc's `spec:` line.
  const version = contain(["--version"]);
  expect(version.code).toBe(0);
  expect(version.stdout).toMatch(new RegExp(`^contain \\d+\\.\\d+\\.\\d+\\nspec: ${ours.ociVersionMax.replaceAll(".", "\\.")}\\n$`));
  expect(contain(["version"]).stdout).toBe(version.stdout);
});
