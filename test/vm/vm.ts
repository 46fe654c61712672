// Runs a shell script inside a pure cgroup v2 kernel under qemu, with the
// compiled ./contain in it, and returns what the guest printed. These machines
// run cgroups in hybrid mode; most users run pure v2 (shared/notes/cgroup-v2-vm.md).
//
// The guest is Debian's cloud kernel (downloaded once, cached under
// test/.cache/vm/) and an initramfs rebuilt at every run: a static busybox, the
// contain binary and the glibc files it loads, and an /init that mounts the
// kernel filesystems, runs the script and powers off.
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { ensurePackages } from "../setup.ts";

const REPO = resolve(import.meta.dir, "../..");
const CONTAIN = join(REPO, "contain");
const CACHE = join(REPO, "test/.cache/vm");
const BUSYBOX = "/bin/busybox";
const KERNEL_METAPACKAGE = "linux-image-cloud-amd64";
// What the host needs to build and boot the guest (busybox-static: a busybox
// that runs with no libraries at all).
const HOST_PACKAGES = ["qemu-system-x86", "cpio", "busybox-static"];

function log(line: string): void {
  console.error(`[vm] ${line}`);
}

async function run(cmd: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<string> {
  const proc = Bun.spawn(cmd, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`${cmd.join(" ")} failed with exit ${code}:\n${stderr}${stdout}`);
  return stdout;
}

const APT_ENV = { DEBIAN_FRONTEND: "noninteractive" };

async function kernelDependency(): Promise<string | undefined> {
  const depends = await run(["apt-cache", "depends", KERNEL_METAPACKAGE]).catch(() => "");
  return /Depends: linux-image-(\S+-cloud-amd64)$/m.exec(depends)?.[1];
}

// The kernel the metapackage points at today, e.g. 6.1.0-56-cloud-amd64.
async function kernelVersion(): Promise<string> {
  const found = await kernelDependency();
  if (found) return found;
  // A fresh machine may have no package lists yet.
  log(`apt-get update: the package lists know no ${KERNEL_METAPACKAGE}`);
  await run(["apt-get", "update", "-q"], { env: APT_ENV });
  const version = await kernelDependency();
  if (!version) throw new Error(`apt-cache depends ${KERNEL_METAPACKAGE} names no linux-image-*-cloud-amd64 package`);
  return version;
}

// Downloaded and unpacked, never installed: an install spends minutes building
// an initramfs for the host that nothing here uses. Older kernels are dropped.
// overlayfs is a module of this kernel: the copy-on-write root needs it.
async function cachedKernel(): Promise<{ vmlinuz: string; overlay: string }> {
  const version = await kernelVersion();
  const vmlinuz = join(CACHE, `vmlinuz-${version}`);
  const overlay = join(CACHE, `overlay-${version}.ko`);
  if (existsSync(vmlinuz) && existsSync(overlay)) return { vmlinuz, overlay };
  log(`downloading linux-image-${version}`);
  const tmp = mkdtempSync(join(CACHE, "kernel-"));
  try {
    await run(["apt-get", "download", "-q", `linux-image-${version}`], { cwd: tmp, env: APT_ENV });
    const deb = readdirSync(tmp).find((f) => f.endsWith(".deb"));
    if (!deb) throw new Error(`apt-get download linux-image-${version} left no .deb in ${tmp}`);
    await run(["dpkg", "-x", join(tmp, deb), join(tmp, "root")]);
    for (const old of readdirSync(CACHE).filter((f) => f.startsWith("vmlinuz-") || f.startsWith("overlay-"))) rmSync(join(CACHE, old));
    renameSync(join(tmp, "root/boot", `vmlinuz-${version}`), vmlinuz);
    renameSync(join(tmp, "root/lib/modules", version, "kernel/fs/overlayfs/overlay.ko"), overlay);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return { vmlinuz, overlay };
}

// The loader and libraries the dynamically linked Bun binary needs, as ldd
// lists them ("libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" and the
// loader's own line "/lib64/ld-linux-x86-64.so.2 (0x...)").
async function sharedLibraries(binary: string): Promise<string[]> {
  return [...(await run(["ldd", binary])).matchAll(/(\/\S+) \(0x[0-9a-f]+\)/g)].map((m) => m[1] ?? "");
}

// Mounts what contain expects of a booted machine, with cgroup2 alone at
// /sys/fs/cgroup, runs the script, and always powers off so qemu exits.
function initScript(): string {
  return `#!/bin/sh
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t cgroup2 none /sys/fs/cgroup
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
insmod /lib/modules/overlay.ko
# Kernel messages (an OOM kill report) would split the script's lines on the
# shared serial console.
echo 1 > /proc/sys/kernel/printk
# What the firmware or the kernel printed last may lack a newline.
echo
sh /guest.sh
echo "GUEST-EXIT $?"
poweroff -f
`;
}

function addFile(root: string, path: string, from: string, mode = 0o755): void {
  const dest = join(root, path);
  mkdirSync(dirname(dest), { recursive: true });
  copyFileSync(from, dest);
  chmodSync(dest, mode);
}

// A gzip -1 newc archive of a tree built at `root`: the kernel unpacks it as
// its root filesystem.
async function buildInitramfs(guestScript: string, overlayModule: string, root: string, out: string): Promise<void> {
  for (const dir of ["proc", "sys", "dev", "tmp", "run", "root", "var/lib/contain"]) mkdirSync(join(root, dir), { recursive: true });
  addFile(root, "bin/busybox", BUSYBOX);
  for (const applet of (await run([BUSYBOX, "--list-full"])).split("\n").filter((a) => a && a !== "bin/busybox")) {
    mkdirSync(join(root, dirname(applet)), { recursive: true });
    symlinkSync("/bin/busybox", join(root, applet));
  }
  addFile(root, "usr/bin/contain", CONTAIN);
  addFile(root, "lib/modules/overlay.ko", overlayModule, 0o644);
  for (const lib of await sharedLibraries(CONTAIN)) addFile(root, lib, lib);
  writeFileSync(join(root, "init"), initScript(), { mode: 0o755 });
  writeFileSync(join(root, "guest.sh"), guestScript, { mode: 0o644 });
  await run(["bash", "-o", "pipefail", "-c", 'find . | cpio -o -H newc -R 0:0 --quiet | gzip -1 > "$1"', "bash", out], { cwd: root });
}

// -cpu max: Bun needs instruction sets that qemu's default CPU model lacks.
// cgroup_no_v1=all: no v1 hierarchy can ever be mounted, as on a systemd
// machine in unified mode.
async function boot(kernel: string, initramfs: string, timeoutSeconds: number): Promise<string> {
  const cmd = [
    "timeout", "--kill-after=10", String(timeoutSeconds),
    "qemu-system-x86_64",
    "-kernel", kernel,
    "-initrd", initramfs,
    "-append", "console=ttyS0 quiet panic=-1 cgroup_no_v1=all",
    "-nographic", "-no-reboot", "-nic", "none",
    "-m", "2048", "-smp", "2", "-cpu", "max",
  ];
  const proc = Bun.spawn(cmd, { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  // The firmware clears the screen with escape sequences; the serial line ends lines with \r\n.
  const output = Bun.stripANSI(stdout).replaceAll("\r", "");
  if (code === 124 || code === 137) throw new Error(`the VM did not power off within ${timeoutSeconds}s; it printed:\n${output}`);
  if (code !== 0) throw new Error(`qemu failed with exit ${code}:\n${stderr}\n${output}`);
  return output;
}

// Boots the guest once and returns its console output (kernel lines included).
export async function runInVm(guestScript: string, timeoutSeconds = 300): Promise<string> {
  if (!existsSync(CONTAIN)) throw new Error(`${CONTAIN} is missing: build it first (bun build.ts)`);
  ensurePackages(HOST_PACKAGES);
  mkdirSync(CACHE, { recursive: true });
  const kernel = await cachedKernel();
  // Per run: concurrent runs must not share an initramfs.
  const work = mkdtempSync(join(CACHE, "run-"));
  try {
    const initramfs = join(work, "initramfs.cpio.gz");
    await buildInitramfs(guestScript, kernel.overlay, join(work, "root"), initramfs);
    return await boot(kernel.vmlinuz, initramfs, timeoutSeconds);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
