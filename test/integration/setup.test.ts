// The container's set-up is exact: every mount of one ordered list is seen
// through its path (the mount table lists a hidden mount too), a user mount
// at a default's place replaces it, the masks come last, and modes are the
// container's own whatever the caller's umask.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { BIN, Harness } from "./harness.ts";

const h = new Harness();
const dirs: string[] = [];
const temp = (name: string) => {
  const d = mkdtempSync(`/tmp/contain-test-${name}-`);
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  h.finish();
});

test("volumes under /dev and /run are reachable through their paths", () => {
  const dev = temp("devvol");
  const run = temp("runvol");
  writeFileSync(`${dev}/f`, "under dev\n");
  writeFileSync(`${run}/f`, "under run\n");
  const r = h.run(["run", "-q", "--net", "none", "-v", `${dev}:/dev/myvol`, "--tmpfs", "/run", "-v", `${run}:/run/sub`, "--", "/bin/sh", "-c", "cat /dev/myvol/f /run/sub/f"]);
  expect(r.stdout).toBe("under dev\nunder run\n");
  expect(r.code).toBe(0);
});

test("--tmpfs /dev/shm:size=1M is the one /dev/shm, of 1M", () => {
  const r = h.run(["run", "-q", "--net", "none", "--tmpfs", "/dev/shm:size=1M", "--", "/bin/sh", "-c", "grep -c ' /dev/shm ' /proc/mounts; df -k /dev/shm | tail -1"]);
  const [count, df] = r.stdout.trim().split("\n");
  expect(count).toBe("1");
  expect(df?.split(/\s+/)[1]).toBe("1024");
});

test("masks still hide /proc/kcore when the user mounts over a file of /proc (lxcfs's way)", () => {
  const fake = `${temp("meminfo")}/meminfo`;
  writeFileSync(fake, "MemTotal: 1 kB\n");
  const r = h.run(["run", "-q", "--net", "none", "-v", `${fake}:/proc/meminfo:ro`, "--", "/bin/sh", "-c", "cat /proc/meminfo; head -c 1 /proc/kcore | wc -c; head -c 1 /proc/timer_list | wc -c"]);
  expect(r.stdout).toBe("MemTotal: 1 kB\n0\n0\n");
});

test("--read-only with volumes: the root refuses, the volume takes writes, and the masks hold", () => {
  const vol = temp("rovol");
  const r = h.run(["run", "-q", "--net", "none", "--read-only", "-v", `${vol}:/data`, "--", "/bin/sh", "-c", "touch /x 2>&1; touch /data/y && echo wrote; head -c 1 /proc/kcore | wc -c"]);
  expect(r.stdout).toBe("touch: /x: Read-only file system\nwrote\n0\n");
});

// `contain run` from a shell with the given umask.
function runUnderUmask(umask: string, args: string[]) {
  const quoted = args.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
  const r = Bun.spawnSync(["sh", "-c", `umask ${umask}; exec ${BIN} run --root ${h.root} ${quoted}`], { stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

test.each(["077", "000"])("with the caller's umask %s: nodes are 0666, directories contain makes 0755, the command's umask 0022", (umask) => {
  const vol = temp("modes");
  const script = "ls -l /dev/null /dev/zero | cut -c1-10; stat -c %a / /made /work; umask; su -s /bin/sh nobody -c 'echo hi > /dev/null && echo nobody-wrote'";
  const r = runUnderUmask(umask, ["-q", "--net", "none", "-v", `${vol}:/made/here`, "-w", "/work", "--", "/bin/sh", "-c", script]);
  expect(r.stderr).toBe("");
  expect(r.stdout).toBe("crw-rw-rw-\ncrw-rw-rw-\n755\n755\n755\n0022\nnobody-wrote\n");
});
