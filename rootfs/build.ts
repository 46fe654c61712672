// The recipe of the default root filesystem that `contain` embeds: a static
// busybox (Debian's busybox-static), a link for each of its applets, and the
// files under rootfs/files (/etc/passwd, /etc/group, /etc/hostname).
// Driven by build.ts, which installs busybox-static first.
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { dirname, join, relative } from "node:path";

const BUSYBOX = "/bin/busybox";

// A static binary has no PT_INTERP program header: it runs in any root.
function isStaticElf(path: string): boolean {
  let elf: Buffer;
  try {
    elf = readFileSync(path);
  } catch {
    return false;
  }
  if (elf.readUInt32BE(0) !== 0x7f454c46) return false;
  const phoff = Number(elf.readBigUInt64LE(0x20));
  const phentsize = elf.readUInt16LE(0x36);
  const phnum = elf.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i++) if (elf.readUInt32LE(phoff + i * phentsize) === 3 /* PT_INTERP */) return false;
  return true;
}

function run(cmd: string[]): string {
  const r = Bun.spawnSync(cmd, { stderr: "inherit" });
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")} failed with exit ${r.exitCode}`);
  return r.stdout.toString();
}

// Names the unpacked root (src/runtime/image.ts), so a changed rootfs is
// unpacked anew.
export function archiveHash(archive: Uint8Array): string {
  return Bun.hash(archive).toString(16);
}

export function buildRootfs(out: string): void {
  if (!isStaticElf(BUSYBOX)) throw new Error(`${BUSYBOX} is missing or not static: install Debian's busybox-static`);
  const tree = mkdtempSync("/tmp/contain-rootfs-");
  try {
    chmodSync(tree, 0o755);
    for (const dir of ["bin", "sbin", "usr/bin", "usr/sbin", "etc", "root", "home", "proc", "sys", "dev", "var/tmp", "run"])
      mkdirSync(join(tree, dir), { recursive: true });
    mkdirSync(join(tree, "tmp"));
    chmodSync(join(tree, "tmp"), 0o1777);
    chmodSync(join(tree, "root"), 0o700);
    cpSync(BUSYBOX, join(tree, "bin/busybox"));
    chmodSync(join(tree, "bin/busybox"), 0o755);
    // Relative links: the root stays whole wherever it is unpacked.
    for (const applet of run([BUSYBOX, "--list-full"]).split("\n").filter(Boolean)) {
      const link = join(tree, applet);
      if (applet === "bin/busybox") continue;
      mkdirSync(dirname(link), { recursive: true });
      symlinkSync(relative(dirname(link), join(tree, "bin/busybox")), link);
    }
    cpSync(join(import.meta.dir, "files"), tree, { recursive: true });
    // Reproducible (fixed owner, order and times): the same busybox gives the
    // same archive, so installs keep reusing the rootfs they unpacked.
    const tar = ["tar", "--format=ustar", "--owner=0", "--group=0", "--numeric-owner", "--sort=name", "--mtime=@0", "-C", tree, "-cf", "-", "."];
    run(["sh", "-c", `${tar.map((a) => `'${a}'`).join(" ")} | gzip -n -9 > '${out}'`]);
  } finally {
    rmSync(tree, { recursive: true, force: true });
  }
}
