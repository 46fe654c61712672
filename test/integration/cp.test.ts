// contain cp: both directions, docker's rules for where a copy lands, modes,
// times, owners and holes kept, a stopped container's kept layer, and hostile
// links (planted, climbing, swapped in while cp runs) that must never lead
// cp to a host file.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, chownSync, closeSync, existsSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync, ftruncateSync } from "node:fs";
import { busyboxTree, Harness, treeDigest } from "./harness.ts";

const h = new Harness();
const made: string[] = [];
const temp = (prefix: string) => {
  const dir = mkdtempSync(`/tmp/contain-test-cp-${prefix}-`);
  made.push(dir);
  return dir;
};

// A host directory no container has, holding a file cp must never read or write.
const secretDir = temp("secret");
const SECRET = "host secret\n";
writeFileSync(`${secretDir}/victim`, SECRET);

// The running container's root: busybox and hostile links.
const root = busyboxTree();
made.push(root);
symlinkSync("/etc", `${root}/out`); // absolute: the container's /etc
symlinkSync("/", `${root}/rootlink`);
symlinkSync(secretDir, `${root}/hostlink`); // a host path the container does not have
symlinkSync(`../../../../../../../..${secretDir}`, `${root}/climb`); // relative, climbing out
mkdirSync(`${root}/t/sub`, { recursive: true });
writeFileSync(`${root}/t/sub/file`, "in the tree\n");
symlinkSync("/etc", `${root}/t/esc`);
symlinkSync("../../../../../../etc/passwd", `${root}/t/rel`);
symlinkSync(`${secretDir}/victim`, `${root}/t/abs`);
// The same names, as directories, for a second copy over the first.
mkdirSync(`${root}/t2/t/esc`, { recursive: true });
writeFileSync(`${root}/t2/t/esc/pwn`, "must not reach the host's /etc\n");
mkdirSync(`${root}/s`);
writeFileSync(`${root}/s/suid`, "#!/bin/sh\n");
chownSync(`${root}/s/suid`, 1234, 2345); // before the chmod: a chown clears set-id bits
chmodSync(`${root}/s/suid`, 0o4755);
Bun.spawnSync(["mkfifo", `${root}/s/fifo`]);
const CONTAINER_PASSWD = readFileSync(`${root}/etc/passwd`, "utf8");

const cp = (...args: string[]) => h.run(["cp", "-q", ...args]);
const inBox = (...cmd: string[]) => h.run(["exec", "box", "--", ...cmd]);

// The one clear line of a refusal, and its exit code.
function expectRefusal(r: { code: number; stderr: string }, words: string): void {
  expect(r.code).toBe(1);
  expect(r.stderr.trim().split("\n")).toHaveLength(1);
  expect(r.stderr).toContain(words);
}

// Nothing half made: no temporary name left in a directory.
const leftovers = (dir: string) => readdirSync(dir).filter((n) => n.startsWith(".contain-cp-"));

beforeAll(() => {
  const r = h.run(["run", "-d", "-q", "--net", "none", "--name", "box", "--rootfs", root, "--", "sleep", "1000"]);
  expect(r.code).toBe(0);
});

afterAll(() => {
  h.run(["rm", "-f", "box", "stopped", "capped", "ro"]);
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
  h.finish();
});

describe("a running container", () => {
  test("a tree in and out again keeps contents, modes, times and links; a sparse file stays sparse", () => {
    const src = temp("src");
    mkdirSync(`${src}/app/bin`, { recursive: true });
    writeFileSync(`${src}/app/bin/run`, "#!/bin/sh\necho run\n");
    chmodSync(`${src}/app/bin/run`, 0o750);
    writeFileSync(`${src}/app/conf`, "a=1\n");
    chmodSync(`${src}/app/conf`, 0o600);
    symlinkSync("bin/run", `${src}/app/link`);
    const big = openSync(`${src}/app/sparse`, "w");
    ftruncateSync(big, 10 * 1024 ** 3); // 10 GiB of hole
    closeSync(big);
    utimesSync(`${src}/app/conf`, 1_000_000_000, 1_234_567_890);
    utimesSync(`${src}/app/bin`, 1_000_000_000, 1_111_111_111);
    expect(cp(`${src}/app`, "box:/srv").code).toBe(0);
    expect(inBox("stat", "-c", "%a %Y %s", "/srv/conf", "/srv/bin/run", "/srv/bin", "/srv/sparse").stdout).toBe(`600 1234567890 4\n750 ${Math.floor(statSync(`${src}/app/bin/run`).mtimeMs / 1000)} 19\n755 1111111111 4096\n644 ${Math.floor(statSync(`${src}/app/sparse`).mtimeMs / 1000)} ${10 * 1024 ** 3}\n`);
    expect(inBox("readlink", "/srv/link").stdout).toBe("bin/run\n");
    const back = temp("back");
    expect(cp("box:/srv", `${back}/app`).code).toBe(0);
    for (const name of ["conf", "bin/run", "bin", "sparse"]) {
      const a = lstatSync(`${src}/app/${name}`, { bigint: true });
      const b = lstatSync(`${back}/app/${name}`, { bigint: true });
      expect([b.mode, b.mtimeNs, b.size]).toEqual([a.mode, a.mtimeNs, a.size]);
    }
    expect(readFileSync(`${back}/app/conf`, "utf8")).toBe("a=1\n");
    expect(readlinkSync(`${back}/app/link`)).toBe("bin/run");
    expect(statSync(`${back}/app/sparse`).blocks).toBeLessThan(64);
  });

  test("docker's rules: into an existing directory, a directory's contents with /., a file onto a file", () => {
    const dest = temp("rules");
    expect(cp("box:/t/sub", dest).code).toBe(0);
    expect(readFileSync(`${dest}/sub/file`, "utf8")).toBe("in the tree\n");
    mkdirSync(`${dest}/only`);
    expect(cp("box:/t/sub/.", `${dest}/only`).code).toBe(0);
    expect(readdirSync(`${dest}/only`)).toEqual(["file"]);
    writeFileSync(`${dest}/over`, "old\n");
    expect(cp("box:/t/sub/file", `${dest}/over`).code).toBe(0);
    expect(readFileSync(`${dest}/over`, "utf8")).toBe("in the tree\n");
    expect(cp("box:/t/sub/file", `${dest}/only`).code).toBe(0); // into it, by its name
    expect(readdirSync(`${dest}/only`)).toEqual(["file"]);
    expect(leftovers(dest)).toEqual([]);
  });

  test("every bad input: one line, exit 1, nothing made", () => {
    const dest = temp("bad");
    writeFileSync(`${dest}/file`, "x\n");
    expectRefusal(cp("nobox:/etc", dest), "no such container: nobox");
    expectRefusal(cp("box:/nonexistent", dest), "no such file or directory in container box: /nonexistent");
    expectRefusal(cp("box:/etc", "box:/tmp"), "copying between containers is not supported");
    expectRefusal(cp(dest, `${dest}/x`), "neither SRC nor DEST names a container");
    expectRefusal(cp("box:/etc/passwd", `${dest}/missing/passwd`), `the directory ${dest}/missing does not exist`);
    expectRefusal(cp("box:/etc", `${dest}/file`), "cannot copy a directory to a file");
    expectRefusal(cp("box:/etc/passwd", `${dest}/newdir/`), `the directory ${dest}/newdir does not exist`);
    expectRefusal(cp("box:/etc/passwd/", dest), "box:/etc/passwd is not a directory");
    expectRefusal(cp(`${dest}/file`, "box:/nonexistent/dir/file"), "the directory box:/nonexistent/dir does not exist");
    expectRefusal(cp(`${dest}/file`, "box:/etc/passwd/x"), "a parent of box:/etc/passwd/x is not a directory");
    expect(readdirSync(dest)).toEqual(["file"]);
  });

  test("a file onto a directory inside a tree, and a directory onto a file, are refused as docker refuses them", () => {
    const src = temp("clash");
    mkdirSync(`${src}/c/x`, { recursive: true });
    expect(inBox("sh", "-c", "mkdir -p /clash/c && echo f > /clash/c/x").code).toBe(0);
    expectRefusal(cp(`${src}/c`, "box:/clash"), "cannot overwrite non-directory box:/clash/c/x with directory");
    expectRefusal(cp("box:/clash/c/x", `${src}/c`), `cannot overwrite directory ${src}/c/x with non-directory`);
    expect(inBox("ls", "-a", "/clash/c").stdout).toBe(".\n..\nx\n");
  });
});

describe("hostile links in the container", () => {
  test("copying out through /out -> /etc reads the container's /etc, never the host's", () => {
    const dest = temp("out");
    expect(cp("box:/out/passwd", dest).code).toBe(0);
    expect(readFileSync(`${dest}/passwd`, "utf8")).toBe(CONTAINER_PASSWD);
    expect(readFileSync(`${dest}/passwd`, "utf8")).not.toBe(readFileSync("/etc/passwd", "utf8"));
  });

  test("a link to a host path, absolute or climbing with .., resolves inside the root: the host's file is not there", () => {
    const dest = temp("climb");
    for (const link of ["hostlink", "climb"]) {
      expectRefusal(cp(`box:/${link}/victim`, dest), "no such file or directory in container box");
      expectRefusal(cp(`${secretDir}/victim`, `box:/${link}/victim`), "does not exist");
    }
    expect(readdirSync(dest)).toEqual([]);
    expect(readdirSync(secretDir)).toEqual(["victim"]);
    expect(readFileSync(`${secretDir}/victim`, "utf8")).toBe(SECRET);
  });

  test("copying in through /rootlink -> / lands in the container's root, not the host's", () => {
    const src = temp("in");
    writeFileSync(`${src}/contain-cp-landed`, "inside\n");
    expect(cp(`${src}/contain-cp-landed`, "box:/rootlink/").code).toBe(0);
    expect(inBox("cat", "/contain-cp-landed").stdout).toBe("inside\n");
    expect(existsSync("/contain-cp-landed")).toBe(false);
  });

  test("links inside a tree are copied as links and never followed; -L follows SRC's own link inside the root only", () => {
    const dest = temp("tree");
    expect(cp("box:/t", dest).code).toBe(0);
    expect(readlinkSync(`${dest}/t/esc`)).toBe("/etc");
    expect(readlinkSync(`${dest}/t/rel`)).toBe("../../../../../../etc/passwd");
    expect(readlinkSync(`${dest}/t/abs`)).toBe(`${secretDir}/victim`);
    // A second copy whose esc is a directory must not write through the
    // link the first one left on the host.
    expectRefusal(cp("box:/t2/t", dest), `cannot overwrite non-directory ${dest}/t/esc with directory`);
    expect(existsSync("/etc/pwn")).toBe(false);
    expect(cp("-L", "box:/t/rel", `${dest}/passwd`).code).toBe(0);
    expect(readFileSync(`${dest}/passwd`, "utf8")).toBe(CONTAINER_PASSWD);
    expect(cp("-L", "box:/t/esc", `${dest}/etc`).code).toBe(0);
    expect(readFileSync(`${dest}/etc/passwd`, "utf8")).toBe(CONTAINER_PASSWD);
    expectRefusal(cp("-L", "box:/t/abs", `${dest}/victim`), "no such file or directory in container box");
  });

  test("a directory swapped for a link to the host's files in a loop while cp runs: the host file is never read nor written", () => {
    const r = h.run(["exec", "-d", "box", "--", "sh", "-c", `exec >/dev/null 2>&1; echo $$ > /race.pid; mkdir -p /race/d && echo inside > /race/d/victim; while :; do mv /race/d /race/x; ln -s ${secretDir} /race/d; rm /race/d; mv /race/x /race/d; done`]);
    expect(r.code).toBe(0);
    const src = temp("race-src");
    writeFileSync(`${src}/victim`, "written by cp\n");
    const dest = temp("race-dest");
    let landed = 0;
    // 20 rounds at least, and on until one copy in landed (the race was
    // really run), which a loaded machine may take longer to let happen.
    for (let i = 0; i < 200 && (i < 20 || landed === 0); i++) {
      const into = cp(`${src}/victim`, "box:/race/d/victim");
      if (into.code === 0) landed++;
      else expect(into.stderr).toContain("[contain] error:");
      cp("box:/race/d/victim", `${dest}/victim-${i}`);
      cp("box:/race", `${dest}/tree-${i}`);
    }
    expect(landed).toBeGreaterThan(0);
    expect(inBox("sh", "-c", "kill $(cat /race.pid)").code).toBe(0);
    expect(readdirSync(secretDir)).toEqual(["victim"]);
    expect(readFileSync(`${secretDir}/victim`, "utf8")).toBe(SECRET);
    const contents = Bun.spawnSync(["grep", "-r", "host secret", dest]);
    expect(contents.stdout.toString()).toBe("");
    expect(contents.exitCode).toBe(1);
  });
});

describe("set-id bits, owners and special files", () => {
  test("without -a: no set-id bit, the caller's owner, special files skipped; with -a all kept", () => {
    const plain = temp("plain");
    const r = h.run(["cp", "box:/s", plain]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("skipped box:/s/fifo: a device node, fifo or socket is copied out only with -a");
    const st = statSync(`${plain}/s/suid`);
    expect([st.mode & 0o7777, st.uid, st.gid]).toEqual([0o755, 0, 0]);
    expect(readdirSync(`${plain}/s`)).toEqual(["suid"]);
    expectRefusal(cp("box:/dev/null", plain), "box:/dev/null is a device node, fifo or socket");
    const archive = temp("archive");
    expect(cp("-a", "box:/s", archive).code).toBe(0);
    const a = statSync(`${archive}/s/suid`);
    expect([a.mode & 0o7777, a.uid, a.gid]).toEqual([0o4755, 1234, 2345]);
    expect(lstatSync(`${archive}/s/fifo`).isFIFO()).toBe(true);
    expect(cp("-a", "box:/dev/null", archive).code).toBe(0);
    expect(statSync(`${archive}/null`).isCharacterDevice()).toBe(true);
  });

  test("a special file is refused going in, alone or in a tree, before anything is written", () => {
    const src = temp("fifo-in");
    mkdirSync(`${src}/tree`);
    writeFileSync(`${src}/tree/a`, "a\n");
    Bun.spawnSync(["mkfifo", `${src}/tree/z-fifo`]);
    expectRefusal(cp(`${src}/tree/z-fifo`, "box:/tmp/"), "it is a device node, fifo or socket");
    expectRefusal(cp(`${src}/tree`, "box:/tmp/"), `cannot copy ${src}/tree/z-fifo into a container`);
    expect(inBox("ls", "-a", "/tmp").stdout).toBe(".\n..\n");
  });
});

describe("a stopped container", () => {
  test("its kept layer is copied from and into through its overlay: whiteouts hold, the lower layer is untouched, nothing stays mounted", () => {
    const lower = busyboxTree();
    made.push(lower);
    const before = treeDigest(lower);
    const run = h.run(["run", "-d", "-q", "--net", "none", "--name", "stopped", "--rootfs", lower, "--", "sh", "-c", "mkdir /data && echo kept > /data/a && rm /etc/group"]);
    expect(run.code).toBe(0);
    const id = run.stdout.trim();
    expect(h.run(["wait", "stopped"]).stdout).toBe("0\n");
    const dest = temp("stopped");
    expect(cp("stopped:/data", dest).code).toBe(0);
    expect(readFileSync(`${dest}/data/a`, "utf8")).toBe("kept\n");
    expect(cp("stopped:/etc", dest).code).toBe(0);
    expect(existsSync(`${dest}/etc/passwd`)).toBe(true);
    expect(existsSync(`${dest}/etc/group`)).toBe(false); // deleted in the layer
    writeFileSync(`${dest}/new`, "copied in\n");
    expect(cp(`${dest}/new`, "stopped:/data/").code).toBe(0);
    expect(cp(`${dest}/new`, "stopped:/etc/passwd").code).toBe(0);
    expect(readFileSync(`${h.dataRoot}/containers/${id}/rootfs/upper/data/new`, "utf8")).toBe("copied in\n");
    expect(cp("stopped:/etc/passwd", `${dest}/passwd`).code).toBe(0);
    expect(readFileSync(`${dest}/passwd`, "utf8")).toBe("copied in\n");
    expect(treeDigest(lower)).toBe(before);
    expectRefusal(cp("stopped:/nonexistent", dest), "no such file or directory in container stopped");
    expectRefusal(cp("stopped:/proc/1", dest), "is on the container's mount /proc");
    expect(Bun.spawnSync(["pgrep", "-f", "cp-mounted"]).stdout.toString()).toBe("");
  });

  test.skipIf(!Bun.which("mkfs.ext4", { PATH: "/usr/sbin:/sbin:/usr/bin:/bin" }))("a capped layer (--storage-opt size=) is mounted from its own image for the copy, and its loop device goes with it", () => {
    const run = h.run(["run", "-d", "-q", "--net", "none", "--name", "capped", "--storage-opt", "size=64M", "--", "sh", "-c", "echo capped > /capped"]);
    expect(run.code).toBe(0);
    const image = `${h.dataRoot}/containers/${run.stdout.trim()}/rootfs/layer.img`;
    expect(h.run(["wait", "capped"]).stdout).toBe("0\n");
    const dest = temp("capped");
    expect(cp("capped:/capped", dest).code).toBe(0);
    expect(readFileSync(`${dest}/capped`, "utf8")).toBe("capped\n");
    expect(cp(`${dest}/capped`, "capped:/again").code).toBe(0);
    expect(cp("capped:/again", `${dest}/again`).code).toBe(0);
    expect(readFileSync(`${dest}/again`, "utf8")).toBe("capped\n");
    expect(Bun.spawnSync(["losetup", "-j", image]).stdout.toString()).toBe("");
  });

  test("a read-only one refuses a copy in with EROFS, and still copies out", () => {
    expect(h.run(["run", "-d", "-q", "--net", "none", "--name", "ro", "--read-only", "--", "true"]).code).toBe(0);
    expect(h.run(["wait", "ro"]).stdout).toBe("0\n");
    const dest = temp("ro");
    writeFileSync(`${dest}/f`, "x\n");
    expectRefusal(cp(`${dest}/f`, "ro:/tmp/"), "read-only file system (EROFS)");
    expect(cp("ro:/etc/passwd", dest).code).toBe(0);
  });
});
