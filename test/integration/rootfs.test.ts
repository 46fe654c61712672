// --rootfs with the trees users bring: a busybox tree and a Debian
// (debootstrap) tree; and the embedded default, unpacked on first use.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { resolve } from "node:path";
import { ensurePackages } from "../setup.ts";
import { BIN, busyboxTree, Harness } from "./harness.ts";

const h = new Harness();
const CACHE = resolve(import.meta.dir, "../.cache");
const DEBIAN = `${CACHE}/debian-bookworm`;
let busybox: string;

beforeAll(() => {
  busybox = busyboxTree();
});

afterAll(() => {
  rmSync(busybox, { recursive: true, force: true });
  h.finish();
});

// A minimal Debian made once with debootstrap from Debian's mirror (~1 min),
// then reused from test/.cache.
function debianRoot(): string {
  if (existsSync(`${DEBIAN}/bin/bash`)) return DEBIAN;
  ensurePackages(["debootstrap"]);
  mkdirSync(CACHE, { recursive: true });
  const tmp = `${DEBIAN}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  const r = Bun.spawnSync(["debootstrap", "--variant=minbase", "bookworm", tmp, "http://deb.debian.org/debian"], { stdout: "ignore", stderr: "inherit" });
  if (r.exitCode !== 0) throw new Error(`debootstrap failed (exit ${r.exitCode})`);
  renameSync(tmp, DEBIAN);
  return DEBIAN;
}

test("the embedded default rootfs is busybox, unpacked under the data root", () => {
  const r = h.run(["run", "-q", "--hostname", "box", "--", "/bin/sh", "-c", "cat /etc/hostname; head -1 /etc/passwd; busybox | head -1"]);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/^box\nroot:x:0:0:root:\/root:\/bin\/sh\nBusyBox v/);
  expect(readdirSync(`${h.dataRoot}/rootfs`).some((d) => d.startsWith("default-"))).toBe(true);
});

test("a busybox tree given with --rootfs", () => {
  const r = h.run(["run", "-q", "--rootfs", busybox, "--", "/bin/sh", "-c", "echo $$; ls /bin/busybox"]);
  expect(r.stdout).toBe("1\n/bin/busybox\n");
});

test("a Debian tree (debootstrap): glibc, bash, apt, under the default hardening (caps, seccomp, no_new_privs)", () => {
  const root = debianRoot();
  const r = h.run(["run", "-q", "--rootfs", root, "--", "/bin/bash", "-c", 'echo "$$ $BASH_VERSION"; . /etc/os-release; echo $ID $VERSION_CODENAME; apt-get --version | head -1'], { timeout: 60_000 });
  expect(r.code).toBe(0);
  const [pid, os, apt] = r.stdout.trim().split("\n");
  expect(pid).toMatch(/^1 5\./);
  expect(os).toBe("debian bookworm");
  expect(apt).toMatch(/^apt \d/);
}, 300_000);

test("in the Debian tree, apt's _apt user can write /dev/null, even when the caller's umask is 077", () => {
  const root = debianRoot();
  const cmd = `umask 077; exec ${BIN} run -q --root ${h.root} --net none --rootfs ${root} -- su -s /bin/sh _apt -c 'echo > /dev/null && echo written'`;
  const r = Bun.spawnSync(["sh", "-c", cmd], { stdout: "pipe", stderr: "pipe" });
  expect(r.stderr.toString()).toBe("");
  expect(r.stdout.toString()).toBe("written\n");
}, 300_000);
