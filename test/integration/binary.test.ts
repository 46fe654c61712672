// CVE-2019-5736: a container must not be able to overwrite the host's contain
// binary. Every command here runs a copy of ./contain in a temp dir, so a
// runtime that has the hole damages only the copy.
//
// - exec: the image's /evil starts with "#!/proc/self/exe". The kernel looks
//   the interpreter up in the exec'ing process, which is contain's, so
//   `contain exec NAME /evil` runs the runtime's own binary inside the
//   container. A probe there (test/probes/exe-overwrite.c) spots the process
//   whose executable is not of the container's root, pins /proc/<pid>/exe
//   with O_PATH and writes through /proc/self/fd/N once the runtime has
//   exited. Shown: the probe found the runtime's process (a probe that missed
//   its window proves nothing) and the copy is still byte for byte the same.
// - init: the init stage (`contain init`, /proc/self/exe re-exec'd in the new
//   namespaces) runs the runtime's binary inside the container until it execs
//   the command. Caught from the host while it runs, its /proc/<pid>/exe must
//   not be the copy as a writable file: either another file (dev:ino), or a
//   write-open refused with EROFS or EPERM. ETXTBSY is not enough: any running
//   binary gives it, and it goes away the moment the runtime exits.
import { afterAll, expect, test } from "bun:test";
import { accessSync, chmodSync, closeSync, constants, copyFileSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { probe } from "../probes/build.ts";
import { BIN, busyboxTree, Harness, isAlive, waitFor } from "./harness.ts";

const O_PATH = 0o10000000;
const O_CLOEXEC = 0o2000000;

function sha256(path: string): string {
  return new Bun.CryptoHasher("sha256").update(readFileSync(path)).digest("hex");
}

const ORIGINAL = sha256(BIN);
const COPY_DIR = mkdtempSync("/tmp/contain-test-bin-");
const COPY = `${COPY_DIR}/contain`;

// Through a temp file and rename: a copy that some process still runs
// cannot be written (ETXTBSY), but its name can be replaced.
function restoreCopy(): void {
  copyFileSync(BIN, `${COPY}.new`);
  chmodSync(`${COPY}.new`, 0o755);
  renameSync(`${COPY}.new`, COPY);
}
restoreCopy();

const h = new Harness({ bin: COPY });
afterAll(() => {
  try {
    h.finish();
  } finally {
    rmSync(COPY_DIR, { recursive: true, force: true });
  }
  expect(sha256(BIN)).toBe(ORIGINAL); // the real ./contain was never at risk
});

// contain is linked against glibc: without the loader and the libraries
// `ldd` names, its exec in a busybox root fails with ENOENT. Any glibc image
// has them, so an attacker's would; here they let the runtime's binary start.
function addLoader(tree: string): void {
  const ldd = Bun.spawnSync(["ldd", COPY]).stdout.toString();
  for (const [, lib] of ldd.matchAll(/(\/\S+) \(0x/g)) {
    if (!lib) continue;
    mkdirSync(`${tree}${dirname(lib)}`, { recursive: true });
    copyFileSync(lib, `${tree}${lib}`); // the file a symlink names, not the link
  }
}

test("exec of a #!/proc/self/exe script: a process in the container cannot overwrite the runtime's binary", async () => {
  const before = sha256(COPY);
  expect(before).toBe(ORIGINAL);
  const tree = busyboxTree();
  const out = mkdtempSync("/tmp/contain-test-report-");
  const reportPath = `${out}/report`;
  const report = (): string[] => {
    try {
      return readFileSync(reportPath, "utf8").split("\n").filter(Boolean);
    } catch {
      return [];
    }
  };
  try {
    copyFileSync(probe("exe-overwrite"), `${tree}/exe-overwrite`);
    chmodSync(`${tree}/exe-overwrite`, 0o755);
    writeFileSync(`${tree}/evil`, "#!/proc/self/exe\n");
    chmodSync(`${tree}/evil`, 0o755);
    addLoader(tree);

    // --rm: the probe ends the container itself, and its monitor removes it.
    const run = h.run(["run", "-d", "-q", "--rm", "--net", "none", "--name", "target", "--rootfs", tree, "-v", `${out}:/out`, "--", "/exe-overwrite", "/out/report"]);
    expect(run.code).toBe(0);
    await waitFor("the probe to scan", () => report().includes("scanning"));
    // It fails or prints contain's usage: what counts is what the probe did meanwhile.
    h.run(["exec", "target", "/evil"]);
    const verdict = await waitFor("the probe's verdict", () => report().find((l) => /^(wrote|write errno|reopen errno|gave up|found nothing)/.test(l)), 30_000);
    const lines = report().join("\n");
    // Pinned, or at least seen: a runtime that makes itself non-dumpable
    // denies the probe its /proc/<pid>/exe, and that is a fix too.
    const seen = report().find((l) => l.startsWith("found pid=") || l.startsWith("denied pid="));
    expect(seen, `the probe missed the runtime's process:\n${lines}`).toMatch(/^(found pid=\d+ exe=.+? dev=\d+:\d+ ino=\d+ |denied pid=\d+ errno=E[A-Z]+ )/);
    expect(sha256(COPY), `the container overwrote the runtime's binary (${verdict}):\n${lines}`).toBe(before);
  } finally {
    if (sha256(COPY) !== ORIGINAL) restoreCopy(); // for the next test and the clean-up
    // The monitor reaps by exec'ing the inode of the copy it was given at
    // the start: an overwritten one fails, and leaves the container to a
    // sweep, which rm -f (by the restored copy) does.
    await waitFor("the container's monitor to end", () => h.monitors().length === 0, 30_000).catch(() => undefined);
    if (h.ids().length) h.run(["rm", "-f", ...h.ids()]);
    rmSync(tree, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
  }
}, 60_000);

interface Caught {
  pid: number;
  exe: string;
  sameFileAsCopy: boolean;
  writeOpen: string; // "opened" or the errno's name
  writeAccess: string; // access(W_OK): "ok" or the errno's name
}

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return undefined;
  }
}

// Ours, not another runtime's on this machine: a descendant of our command.
function descendsFrom(pid: number, ancestor: number): boolean {
  for (let p: number | undefined = pid, depth = 0; p && p > 1 && depth < 8; depth++) {
    p = parentOf(p);
    if (p === ancestor) return true;
  }
  return false;
}

function isInit(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "latin1").startsWith("contain\0init\0");
  } catch {
    return false;
  }
}

function errnoOf(call: () => void): string | undefined {
  try {
    call();
    return undefined;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? String(err);
  }
}

// Polls /proc, as fast as it can, while `cli` runs, for its `contain init`
// (alive ~20-40 ms), and examines the file that process runs. The file is
// pinned with O_PATH first and the process is checked to be the init still
// afterwards, so what is examined is the init's executable, not the
// container's command it may have exec'd meanwhile.
function catchInit(cli: number, copy: { dev: number; ino: number }): Caught | undefined {
  const deadline = Date.now() + 10_000;
  while (isAlive(cli) && Date.now() < deadline) {
    for (const name of readdirSync("/proc")) {
      const pid = Number(name);
      if (!pid || !isInit(pid) || !descendsFrom(pid, cli)) continue;
      let fd: number;
      try {
        fd = openSync(`/proc/${pid}/exe`, O_PATH | O_CLOEXEC);
      } catch {
        continue;
      }
      try {
        if (!isInit(pid)) continue;
        const pinned = `/proc/self/fd/${fd}`;
        const st = statSync(pinned);
        // No O_TRUNC and nothing written: only the errno is wanted.
        const writeOpen = errnoOf(() => closeSync(openSync(pinned, constants.O_WRONLY | O_CLOEXEC))) ?? "opened";
        const writeAccess = errnoOf(() => accessSync(pinned, constants.W_OK)) ?? "ok";
        return { pid, exe: readlinkSync(pinned), sameFileAsCopy: st.dev === copy.dev && st.ino === copy.ino, writeOpen, writeAccess };
      } finally {
        closeSync(fd);
      }
    }
  }
  return undefined;
}

test("the init stage: the process in the new namespaces does not run the runtime's binary as a writable file", async () => {
  const copy = statSync(COPY);
  let caught: Caught | undefined;
  let starts = 0;
  while (!caught && starts < 40) {
    starts++;
    const run = h.spawn(["run", "-q", "--net", "none", "--", "true"]);
    caught = catchInit(run.pid, copy);
    await run.exited;
  }
  expect(caught, `no contain init caught in ${starts} starts`).toBeDefined();
  // A file on a read-only mount answers a write-open with ETXTBSY while it
  // runs: the kernel takes the inode's write access before the mount's
  // (file_get_write_access). access(W_OK) asks the mount, and never ETXTBSY.
  const refused = [caught?.writeOpen, caught?.writeAccess].some((e) => e === "EROFS" || e === "EPERM");
  expect(caught?.sameFileAsCopy === false || refused, `the init runs the copy as a writable file: ${JSON.stringify(caught)} (after ${starts} starts)`).toBe(true);
  expect(sha256(COPY)).toBe(ORIGINAL);
}, 60_000);
