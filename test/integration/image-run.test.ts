// Running a container from an image in the store: an image made by hand
// (test/images.ts) of busybox and two layers over it, one of which hides a
// lower file with a whiteout and a lower directory's files with an opaque
// directory. Its config applies (Entrypoint, Cmd, Env, WorkingDir, a User
// from its own passwd, ExposedPorts for -P); writes go to the container's
// own layer; the store's layers never change.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { extractTar } from "../../src/runtime/image.ts";
import { ImageStore, layerDirs, type ImageRecord } from "../../src/image/store.ts";
import { readInLayers } from "../../src/linux/layers.ts";
import { claimImage } from "../../src/runtime/image-root.ts";
import type { Spec } from "../../src/spec/schema.ts";
import { linkIn, makeImage, opaque, whiteout, writeIn } from "../images.ts";
import { removeBridge } from "../setup.ts";
import { Harness, treeDigest, waitFor } from "./harness.ts";

const h = new Harness();
const tag = String(process.pid % 100000);
const octet = 100 + ((process.pid + 37) % 100);
const BR = `ctim${tag}`;
const NET = ["--bridge", BR, "--subnet", `10.${octet}.7.0/24`];
const IMG = `ctest${tag}`; // stored as docker.io/library/ctest<tag>:latest, run by its bare name
const DEEP = `127.0.0.1:5000/deep${tag}:1`;
const LAYERS = `${h.dataRoot}/images/layers`;
const out = mkdtempSync("/tmp/contain-test-image-out-");

const SHOW = `#!/bin/sh
echo "args=$*"
echo "foo=$FOO"
echo "path=$PATH"
echo "pwd=$(pwd)"
echo "user=$(id -u):$(id -g):$(id -G)"
echo "home=$HOME"
`;

const base = { key: "busybox", fill: (dir: string) => extractTar(Bun.gunzipSync(readFileSync(`${import.meta.dir}/../../rootfs/rootfs.tar.gz`)), dir) };
let layersBefore = "";

beforeAll(async () => {
  await makeImage(
    h.dataRoot,
    [`docker.io/library/${IMG}:latest`],
    [
      {
        key: `lower ${tag}`,
        fill: (dir) => {
          base.fill(dir);
          writeIn(dir, "/data/hidden.txt", "must be hidden\n");
          writeIn(dir, "/data/kept.txt", "kept\n");
          writeIn(dir, "/opq/a.txt", "must be hidden\n");
          writeIn(dir, "/lower/only.txt", "from the bottom\n");
          writeIn(dir, "/x/y.txt", "under a directory the top layer makes a file\n");
        },
      },
      {
        // The user and its groups: /etc/group a link to a file of this layer.
        key: `users ${tag}`,
        fill: (dir) => {
          writeIn(dir, "/etc/passwd", "root:x:0:0:root:/root:/bin/sh\napp:x:1234:2345:app:/home/app:/bin/sh\n");
          writeIn(dir, "/usr/share/base/group", "root:x:0:\napp:x:2345:\naudio:x:29:app\n");
          linkIn(dir, "/etc/group", "/usr/share/base/group");
        },
      },
      {
        key: `top ${tag}`,
        fill: (dir) => {
          whiteout(dir, "/data/hidden.txt");
          opaque(dir, "/opq");
          writeIn(dir, "/opq/b.txt", "b\n");
          writeIn(dir, "/usr/local/bin/show", SHOW, 0o755);
          writeIn(dir, "/x", "a file now\n");
          // Links resolve inside the image: ".." stops at its root.
          linkIn(dir, "/etc/climb", "../../../../lower/only.txt");
          linkIn(dir, "/d", "/data");
        },
      },
    ],
    {
      Entrypoint: ["/usr/local/bin/show"],
      Cmd: ["default-cmd"],
      Env: ["PATH=/usr/local/bin:/usr/bin:/bin", "FOO=from-image"],
      WorkingDir: "/work/here",
      User: "app",
      ExposedPorts: { "80/tcp": {} },
      Labels: { "org.test": "image" },
      StopSignal: "SIGQUIT",
    },
  );
  // 128 layers: busybox, then 127 of a file each.
  const deep = Array.from({ length: 127 }, (_, i) => ({ key: `deep ${tag} ${i}`, fill: (dir: string) => writeIn(dir, `/deep/${i}`, `${i}\n`) }));
  await makeImage(h.dataRoot, [DEEP], [{ ...base, key: `deep base ${tag}` }, ...deep], { Cmd: ["sleep", "30"] });
  layersBefore = treeDigest(LAYERS);
});

afterAll(() => {
  // Whatever ran, the store's layers are as they were made, and no container holds them.
  const layersAfter = treeDigest(LAYERS);
  const claims = ImageStore.existing(h.dataRoot)?.claims();
  try {
    rmSync(`${h.dataRoot}/images`, { recursive: true, force: true });
    h.finish();
  } finally {
    removeBridge(BR);
    rmSync(out, { recursive: true, force: true });
  }
  expect(layersAfter).toBe(layersBefore);
  expect(claims).toEqual([]);
});

test("readInLayers: a file of the image by overlayfs's rules, from its layer directories, nothing mounted", () => {
  const store = ImageStore.existing(h.dataRoot) as ImageStore;
  const dirs = layerDirs(store, store.find(`docker.io/library/${IMG}:latest`) as ImageRecord);
  const read = (path: string) => readInLayers(dirs, path);
  expect(read("/etc/passwd")).toContain("app:x:1234:2345:");
  expect(read("/etc/group")).toBe("root:x:0:\napp:x:2345:\naudio:x:29:app\n"); // an absolute link, to its own layer's file
  expect(read("/data/kept.txt")).toBe("kept\n");
  expect(read("/data/hidden.txt")).toBe(""); // a whiteout
  expect(read("/opq/a.txt")).toBe(""); // under an opaque directory
  expect(read("/opq/b.txt")).toBe("b\n");
  expect(read("/x/y.txt")).toBe(""); // under what is a file now
  expect(read("/x")).toBe("a file now\n");
  expect(read("/etc/climb")).toBe("from the bottom\n");
  expect(read("/d/kept.txt")).toBe("kept\n");
  expect(read("/d/../lower/./only.txt")).toBe("from the bottom\n");
  expect(read("/data")).toBe(""); // a directory
  expect(read("/nope/passwd")).toBe("");
});

test("a claim is made under the store's lock with the choice made again: an image removed, or a layer unpacked anew, since is refused", () => {
  const store = ImageStore.existing(h.dataRoot) as ImageStore;
  const record = store.find(`docker.io/library/${IMG}:latest`) as ImageRecord;
  const image = { name: IMG, id: record.id, layers: record.layers.map((l) => l.diffId) };
  const specOf = (i: typeof image) => ({ contain: { image: i } }) as unknown as Spec;
  const lowers = { dir: store.dir, layers: store.lowers(image.layers) };
  const id = "0".repeat(64);
  const dir = `${h.dataRoot}/containers/${id}`;
  mkdirSync(dir, { recursive: true });
  try {
    const gone = `image ${IMG} was removed while the container was being made`;
    expect(() => claimImage(specOf({ ...image, id: `sha256:${"e".repeat(64)}` }), dir, lowers)).toThrow(gone);
    expect(() => claimImage(specOf(image), dir, { ...lowers, layers: lowers.layers.toReversed() })).toThrow(gone);
    expect(existsSync(`${dir}/image.json`)).toBe(false);
    claimImage(specOf(image), dir, lowers);
    expect(store.claims()).toEqual([{ container: id, claim: { image: record.id, name: IMG, layers: image.layers } }]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const lines = (text: string) => Object.fromEntries(text.trim().split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));

// Nothing of a refused run: no state entry, no data directory.
function expectNothingLeft(): void {
  expect(h.ids()).toEqual([]);
  expect(existsSync(`${h.dataRoot}/containers`) ? readdirSync(`${h.dataRoot}/containers`) : []).toEqual([]);
}

describe("the image's config", () => {
  test("run IMAGE -- runs its Entrypoint and Cmd with its Env, WorkingDir (made) and User (a name of its passwd)", () => {
    const r = h.run(["run", "-q", "--net", "none", IMG, "--"]);
    expect(r.stderr).toBe("");
    expect(lines(r.stdout)).toEqual({ args: "default-cmd", foo: "from-image", path: "/usr/local/bin:/usr/bin:/bin", pwd: "/work/here", user: "1234:2345:2345 29", home: "/home/app" });
    expect(r.code).toBe(0);
  });

  test("a command replaces Cmd; -e, -w, -u and --entrypoint override", () => {
    expect(lines(h.run(["run", "-q", "--net", "none", IMG, "--", "a", "b"]).stdout).args).toBe("a b");
    const r = h.run(["run", "-q", "--net", "none", "-e", "FOO=cli", "-w", "/tmp", "-u", "0", IMG, "--", "x"]);
    expect(lines(r.stdout)).toEqual({ args: "x", foo: "cli", path: "/usr/local/bin:/usr/bin:/bin", pwd: "/tmp", user: "0:0:0", home: "/root" });
    const ep = h.run(["run", "-q", "--net", "none", "--entrypoint", "/bin/sh", "--image", IMG, "--", "-c", "echo ep $FOO"]);
    expect(ep.stdout).toBe("ep from-image\n");
  });

  test("a whiteout hides a lower file, an opaque directory a lower directory's files; a lower layer's file shows", () => {
    const r = h.run(["run", "-q", "--net", "none", "--entrypoint", "/bin/sh", IMG, "--", "-c", "ls /data /opq; cat /lower/only.txt; test -e /data/hidden.txt && echo visible; true"]);
    expect(r.stdout).toBe("/data:\nkept.txt\n\n/opq:\nb.txt\nfrom the bottom\n");
  });
});

test("writes go to the container's own layer: two containers of one image see their own only", async () => {
  const write = (who: string) => ["run", "-d", "-q", "--net", "none", "-u", "0", "--entrypoint", "/bin/sh", IMG, "--", "-c", `echo ${who} > /lower/only.txt; echo ${who} > /mine; exec sleep 30`];
  const a = h.run(write("A")).stdout.trim();
  const b = h.run(write("B")).stdout.trim();
  try {
    const read = (id: string) => h.run(["exec", id, "--", "cat", "/lower/only.txt", "/mine"]).stdout;
    expect(await waitFor("A's writes", () => read(a) === "A\nA\n" && read(a))).toBe("A\nA\n");
    expect(await waitFor("B's writes", () => read(b) === "B\nB\n" && read(b))).toBe("B\nB\n");
    expect(treeDigest(LAYERS)).toBe(layersBefore);
    // Each holds the image: its claim is in its data directory.
    expect(JSON.parse(readFileSync(`${h.dataRoot}/containers/${a}/image.json`, "utf8")).name).toBe(IMG);
  } finally {
    h.run(["rm", "-f", a, b]);
  }
  expect(ImageStore.existing(h.dataRoot)?.claims()).toEqual([]);
});

describe("refused: one line, exit 125, nothing left", () => {
  test("--no-overlay with an image", () => {
    const r = h.run(["run", "--no-overlay", IMG, "--", "true"]);
    expect(r.stderr).toBe(`[contain] error: --no-overlay: would write into the layers of image ${IMG}, which its other containers share; leave out --no-overlay: the container's writes go to a layer of its own\n`);
    expect(r.code).toBe(125);
    expectNothingLeft();
  });

  test("an image the store lacks: with --pull never, and without from a registry that is not there", () => {
    const never = h.run(["run", "--pull", "never", "127.0.0.1:5000/x:1", "--", "true"]);
    expect(never.stderr).toBe("[contain] error: image 127.0.0.1:5000/x:1 is not in the store (--pull never); pull it first (contain pull 127.0.0.1:5000/x:1), or leave out --pull never\n");
    expect(never.code).toBe(125);
    // Pulled first (docker's --pull missing), from a loopback port nothing
    // listens on: a bare name would go to docker.io.
    const missing = h.run(["run", "127.0.0.1:9/nosuch:1", "--"]);
    expect(missing.stderr).toBe("Unable to find image '127.0.0.1:9/nosuch:1' locally\n[contain] error: cannot connect to 127.0.0.1:9: connection refused; check the registry's name and port, and that it runs\n");
    expect(missing.code).toBe(125);
    expectNothingLeft();
  });

  test("an image and --rootfs", () => {
    const r = h.run(["run", "--rootfs", out, IMG, "--", "true"]);
    expect(r.stderr).toBe(`[contain] error: --rootfs: and the image ${IMG} both give the container's root; leave out one of them\n`);
    expect(r.code).toBe(125);
    expectNothingLeft();
  });
});

test("-P publishes an exposed port on a free host port, which a connection on the host's loopback reaches", async () => {
  const server = "mkdir -p /www && echo hello > /www/index.html && exec httpd -f -p 80 -h /www";
  const id = h.run(["run", "-d", "-q", ...NET, "-P", "-u", "0", "--entrypoint", "/bin/sh", IMG, "--", "-c", server]).stdout.trim();
  try {
    const port = h.run(["port", id, "80"]).stdout.trim();
    expect(port).toMatch(/^0\.0\.0\.0:\d+$/);
    const get = () => Bun.spawnSync(["curl", "-sS", "-m", "3", `http://127.0.0.1:${port.split(":")[1]}/`]).stdout.toString();
    expect(await waitFor("httpd through the published port", get, 10_000)).toBe("hello\n");
  } finally {
    h.run(["rm", "-f", id]);
  }
});

test("ps and inspect name the image; its StopSignal and Labels apply; rm takes its claim", () => {
  const id = h.run(["run", "-d", "-q", "--net", "none", "-l", "mine=1", "--entrypoint", "sleep", IMG, "--", "30"]).stdout.trim();
  try {
    expect(h.run(["ps", "--filter", `id=${id}`, "--format", "{{.Image}}"]).stdout).toBe(`${IMG}\n`);
    const record = ImageStore.existing(h.dataRoot)?.find(`docker.io/library/${IMG}:latest`);
    const shown = h.run(["inspect", "-f", "{{.Config.Image}} {{.Image}} {{.Config.StopSignal}} {{json .Config.Labels}} {{json .Config.Entrypoint}} {{json .Config.Cmd}}", id]).stdout;
    expect(shown).toBe(`${IMG} ${record?.id} SIGQUIT {"org.test":"image","mine":"1"} ["sleep"] ["30"]\n`);
    expect(existsSync(`${h.dataRoot}/containers/${id}/image.json`)).toBe(true);
  } finally {
    h.run(["rm", "-f", id]);
  }
  expect(ImageStore.existing(h.dataRoot)?.claims()).toEqual([]);
});

test("inspect of a name no container has shows the image of that name, as docker's; of neither, one line", () => {
  const record = ImageStore.existing(h.dataRoot)?.find(`docker.io/library/${IMG}:latest`);
  expect(h.run(["inspect", "-f", "{{.Id}} {{json .RepoTags}} {{.Os}}", IMG]).stdout).toBe(`${record?.id} ["${IMG}:latest"] linux\n`);
  const none = h.run(["inspect", `nothing${tag}`]);
  expect(none.code).toBe(1);
  expect(none.stderr.trim().split("\n")).toEqual([`[contain] error: no such object: nothing${tag}; see contain ps -a and contain images`]);
});

test("an image of 128 layers mounts; node create --image runs its Cmd", () => {
  const r = h.run(["run", "-q", "--net", "none", "--entrypoint", "/bin/sh", DEEP, "--", "-c", "ls /deep | wc -l; cat /deep/0 /deep/126"]);
  expect(r.stderr).toBe("");
  expect(r.stdout.split("\n").map((l) => l.trim())).toEqual(["127", "0", "126", ""]);
  const node = h.run(["node", "create", `deep${tag}`, "--mem", "64", "--net", "none", "--image", DEEP]);
  try {
    expect(node.code).toBe(0);
    expect(h.run(["exec", `deep${tag}`, "--", "cat", "/proc/1/cmdline"]).stdout).toBe("sleep\u000030\u0000");
  } finally {
    h.run(["node", "rm", `deep${tag}`]);
  }
});

test("cp out of a stopped image container reads a lower layer's file and its own writes, cp in writes its layer; --storage-opt size= caps it; start mounts it again", () => {
  const id = h.run(["run", "-d", "-q", "--net", "none", "-u", "0", "--storage-opt", "size=16M", "--entrypoint", "/bin/sh", IMG, "--", "-c", "echo mine > /mine; head -c 20M /dev/zero > /big; echo $? > /big.status"]).stdout.trim();
  try {
    expect(h.run(["wait", id]).stdout).toBe("0\n");
    expect(h.run(["cp", `${id}:/lower/only.txt`, `${out}/only.txt`]).code).toBe(0);
    expect(readFileSync(`${out}/only.txt`, "utf8")).toBe("from the bottom\n");
    expect(h.run(["cp", `${id}:/mine`, `${out}/mine`]).code).toBe(0);
    expect(readFileSync(`${out}/mine`, "utf8")).toBe("mine\n");
    expect(h.run(["cp", `${id}:/big.status`, `${out}/big.status`]).code).toBe(0);
    expect(readFileSync(`${out}/big.status`, "utf8")).toBe("1\n");
    // In, over a lower layer's directory, and out again.
    expect(h.run(["cp", `${out}/mine`, `${id}:/lower/copied`]).code).toBe(0);
    expect(h.run(["cp", `${id}:/lower`, `${out}/lower`]).code).toBe(0);
    expect(readdirSync(`${out}/lower`).sort()).toEqual(["copied", "only.txt"]);
    // A start plans its root from the image's layers again.
    expect(h.run(["start", id]).code).toBe(0);
    expect(h.run(["wait", id]).stdout).toBe("0\n");
  } finally {
    h.run(["rm", "-f", id]);
  }
});
