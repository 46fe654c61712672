// Pull benchmark: `contain pull` of a ~50 MB image of five gzip layers from
// a registry on loopback, beside `podman pull` and `skopeo copy`, each into
// fresh temporary storage in every round (a cold pull), in one interleaved
// run. It measures and prints; it asserts nothing about speed.
//
//   node_modules/.bin/bun test/bench/pull.ts         (npm run bench:pull; as root)
//   ... pull.ts --rounds 9 --warmup 1
//   ... pull.ts --baseline OLD_CONTAIN      also times another contain binary
//                                           (an earlier commit's build), to show
//                                           what a change costs
//
// - The registry: distribution 2.8 (test/registry.ts) on 127.0.0.1, plain
//   HTTP, its storage in a temp dir. The image is made here, the same bytes
//   every time (seeded): the busybox root of rootfs/rootfs.tar.gz, then
//   layers of generated files, some compressible text and some random
//   bytes, gzip'd, with a config whose diff_ids are the digests of the
//   uncompressed tars, under an OCI manifest.
// - Who does what: `contain pull`, `podman pull` and `skopeo copy` to
//   containers-storage (podman's own library, c/image + c/storage, without
//   podman) download, verify, decompress and unpack each layer into a store
//   of overlay layers: those three are comparable. `skopeo copy` to an oci:
//   layout only downloads and verifies the blobs, as they are: the floor
//   that the registry and the loopback set, not a peer.
// - Storage: every run gets a fresh ext4 of its own (a sparse file on a
//   loop device, made and mounted untimed; see makeFilesystem for why not
//   the host's disk), and all its files are there: the store, TMPDIR and
//   podman's image_copy_tmp_dir (c/image's big temporary files).
// - Every run, and two floor rows (`true`, `contain --version`), runs in a
//   private mount namespace of its own (unshare) with tmpfs over /var/lib,
//   /run and /var/tmp: c/image keeps a blob-info cache in
//   /var/lib/containers/cache and podman state under /run, whatever the
//   flags say, and none of that may reach the host (each run's cache is
//   empty: cold). The end checks that none did.
// - Time: wall time of the whole command, wrapper included (the `true` row
//   shows its share). CPU: user + system of the command and its children.
//   Peak RSS: the largest maxrss among the command's processes (GNU time's
//   %M, from wait4: each process's own peak, not a sum), so the pages of
//   its binary it touched count too (`contain --version`: Bun's floor).
//   Store: what the run left on its filesystem (du).
// - Rounds: each runs every subject once, the order rotated round by
//   round; ratios are of the medians, with a 95% bootstrap interval that
//   resamples whole rounds, and the spread of the per-round ratios.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { BINARY, ensurePackages, ROOTFS } from "../../build.ts";
import { readTar, tarBytes, type TarEntryInput } from "../../src/image/tar.ts";
import { sha256, startRegistry, type TestRegistry } from "../registry.ts";
import { mustRun, note, spawn } from "./common.ts";
import { bootstrapRatio, median, quantile, rotate } from "./stats.ts";

const TOOLS = ["skopeo", "podman", "time", "e2fsprogs", "util-linux", "mount", "coreutils"];
const FS_SIZE = "2G";
const REPO = "bench/img";
const TAG = "1";
const RUN_TIMEOUT_MS = 180_000;
const MTIME = 1_700_000_000;

interface Options {
  rounds: number;
  warmup: number;
  baseline?: string;
}

const USAGE = "usage: pull.ts [--rounds N (5)] [--warmup N (1)] [--baseline CONTAIN_BINARY]";

function parseOptions(args: string[]): Options {
  const opts: Options = { rounds: 5, warmup: 1 };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--baseline") {
      const path = args[++i];
      if (!path || !existsSync(path)) throw new Error(`--baseline needs a contain binary${path ? `: ${path} does not exist` : ""}\n${USAGE}`);
      opts.baseline = path;
      continue;
    }
    if (arg !== "--rounds" && arg !== "--warmup") throw new Error(`unknown argument ${arg}\n${USAGE}`);
    const n = Number(args[++i]);
    if (!Number.isInteger(n) || n < (arg === "--rounds" ? 1 : 0)) throw new Error(`${arg} needs a whole number${arg === "--rounds" ? " >= 1" : ""}\n${USAGE}`);
    opts[arg.slice(2) as "rounds" | "warmup"] = n;
  }
  return opts;
}

// --- the image ---

// xorshift32: the same files every time, so runs on two machines pull the same image.
function generator(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

function randomData(next: () => number, size: number): Uint8Array {
  const words = new Uint32Array(Math.ceil(size / 4));
  for (let i = 0; i < words.length; i++) words[i] = next();
  return new Uint8Array(words.buffer, 0, size);
}

// Lines of words drawn from a vocabulary: text that gzip shrinks about 3x, as it does source and docs.
function textData(next: () => number, vocabulary: readonly string[], size: number): Uint8Array {
  const lines: string[] = [];
  let length = 0;
  while (length < size) {
    const n = 4 + (next() % 10);
    const line = Array.from({ length: n }, () => vocabulary[next() % vocabulary.length]).join(" ");
    lines.push(line);
    length += line.length + 1;
  }
  return new TextEncoder().encode(`${lines.join("\n")}\n`).subarray(0, size);
}

// What the report says of a layer.
interface LayerInfo {
  what: string;
  compressed: number; // bytes of the blob
  files: number;
  bytes: number; // of the files' data
}

interface Layer extends Omit<LayerInfo, "compressed"> {
  blob: Uint8Array; // gzip'd tar
  diffId: string;
}

// Directory entries for every parent of the paths, as tar writers list them.
function withParents(entries: TarEntryInput[]): TarEntryInput[] {
  const dirs = new Set<string>();
  for (const e of entries) {
    const parts = e.path.split("/");
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join("/"));
  }
  return [...[...dirs].sort().map((path): TarEntryInput => ({ path, type: "dir", mtime: MTIME })), ...entries];
}

function layerOf(what: string, entries: TarEntryInput[]): Layer {
  const tar = tarBytes(withParents(entries));
  const files = entries.filter((e) => (e.type ?? "file") === "file");
  const bytes = files.reduce((sum, e) => sum + (typeof e.data === "string" ? e.data.length : (e.data?.length ?? 0)), 0);
  return { what, blob: Bun.gzipSync(tar), diffId: sha256(tar), files: files.length, bytes };
}

async function makeLayers(): Promise<Layer[]> {
  const next = generator(0x5eed);
  const vocabulary = Array.from({ length: 2048 }, () => Array.from({ length: 2 + (next() % 9) }, () => String.fromCharCode(97 + (next() % 26))).join(""));
  const sized = (lo: number, hi: number) => lo + (next() % (hi - lo));
  const file = (path: string, data: Uint8Array, mode = 0o644): TarEntryInput => ({ path, data, mode, mtime: MTIME });

  // The base: contain's own busybox root (a gzip'd tar already).
  const base = readFileSync(ROOTFS);
  const baseTar = Bun.gunzipSync(base);
  const layers: Layer[] = [{ what: "busybox base (rootfs/rootfs.tar.gz)", blob: base, diffId: sha256(baseTar), files: 0, bytes: 0 }];
  for await (const e of readTar([baseTar])) {
    if (e.type !== "file") continue;
    (layers[0] as Layer).files++;
    (layers[0] as Layer).bytes += e.size;
  }

  // Shared libraries: a few large files, incompressible.
  layers.push(layerOf("12 x 1 MiB random (libraries)", Array.from({ length: 12 }, (_, i) => file(`usr/lib/bench/lib${i}.so.1`, randomData(next, 1 << 20), 0o755))));
  // Sources and docs: many small text files.
  const docs = Array.from({ length: 3000 }, (_, i) => file(`usr/share/bench/doc/d${i % 50}/f${i}.txt`, textData(next, vocabulary, sized(2048, 16384))));
  layers.push(layerOf("3000 text files of 2-16 KiB (docs)", docs));
  // Assets: medium files, incompressible.
  layers.push(layerOf("200 random files of 20-200 KiB (assets)", Array.from({ length: 200 }, (_, i) => file(`srv/bench/assets/a${i % 10}/blob${i}.bin`, randomData(next, sized(20_000, 200_000))))));
  // The application: text and binaries, and whiteouts of docs the layer below had.
  const app = [
    ...Array.from({ length: 500 }, (_, i) => file(`opt/bench/app/src/m${i % 20}/s${i}.js`, textData(next, vocabulary, sized(4096, 16384)))),
    ...Array.from({ length: 20 }, (_, i) => file(`opt/bench/app/bin/tool${i}`, randomData(next, 256 << 10), 0o755)),
    ...Array.from({ length: 10 }, (_, i): TarEntryInput => ({ path: `usr/share/bench/doc/d${i}/.wh.f${i}.txt`, mtime: MTIME })),
  ];
  layers.push(layerOf("500 text files of 4-16 KiB, 20 x 256 KiB random, 10 whiteouts (app)", app));
  return layers;
}

// The image into the registry; only what the report needs stays in memory.
async function pushImage(registry: TestRegistry): Promise<{ ref: string; layers: LayerInfo[] }> {
  const layers = await makeLayers();
  const digests = await Promise.all(layers.map((l) => registry.pushBlob(REPO, l.blob)));
  const config = {
    created: new Date(MTIME * 1000).toISOString(),
    architecture: process.arch === "arm64" ? "arm64" : "amd64",
    os: "linux",
    config: { Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], Cmd: ["/bin/sh"] },
    rootfs: { type: "layers", diff_ids: layers.map((l) => l.diffId) },
    history: layers.map((l) => ({ created: new Date(MTIME * 1000).toISOString(), created_by: `bench: ${l.what}` })),
  };
  const configBytes = new TextEncoder().encode(JSON.stringify(config));
  const configDigest = await registry.pushBlob(REPO, configBytes);
  const manifest = {
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: configDigest, size: configBytes.length },
    layers: layers.map((l, i) => ({ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: digests[i], size: l.blob.length })),
  };
  await registry.pushManifest(REPO, TAG, manifest, manifest.mediaType);
  return { ref: `${registry.host}/${REPO}:${TAG}`, layers: layers.map((l) => ({ what: l.what, compressed: l.blob.length, files: l.files, bytes: l.bytes })) };
}

// --- the subjects ---

interface Subject {
  name: string;
  // contain; another build of it (--baseline); a peer that downloads and
  // unpacks as it does; the download alone; a floor (what every run or
  // every contain run pays).
  role: "contain" | "baseline" | "peer" | "download" | "floor";
  // The command for a run in `dir` (fresh, empty); `check` says whether it did the work.
  argv(dir: string): string[];
  check?(dir: string, stdout: string): string | undefined; // what is wrong, or nothing
}

interface Run {
  ms: number;
  cpuMs: number;
  rssKiB: number;
  storeKiB: number;
}

// The private namespace of every run (see the top of the file), and GNU
// time inside it: its child's rusage is the command's own. (Bun's own
// resourceUsage would not do: a child forked from this process, which
// holds the image, starts with its pages counted in its maxrss.)
const NAMESPACE = [
  "mount -t tmpfs -o mode=0755 tmpfs /var/lib",
  "mount -t tmpfs -o mode=0755 tmpfs /run",
  "mount -t tmpfs -o mode=1777 tmpfs /var/tmp",
  'out=$1 && shift && exec /usr/bin/time -o "$out" -f "%M %U %S" "$@"',
].join(" && ");
const wrap = (usage: string, argv: string[]) => ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", NAMESPACE, "sh", usage, ...argv];

// podman's and c/storage's configuration: all state in the run's directory.
function writeConfigs(dir: string): Record<string, string> {
  for (const sub of ["etc", "root", "run", "tmp", "home", "networks"]) mkdirSync(join(dir, sub));
  writeFileSync(
    join(dir, "etc/containers.conf"),
    `[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "${dir}/events.log"
tmp_dir = "${dir}/tmp"
image_copy_tmp_dir = "${dir}/tmp"

[network]
network_backend = "cni"
network_config_dir = "${dir}/networks"
`,
  );
  writeFileSync(join(dir, "etc/storage.conf"), `[storage]\ndriver = "overlay"\ngraphroot = "${dir}/root"\nrunroot = "${dir}/run"\n`);
  writeFileSync(join(dir, "etc/registries.conf"), "unqualified-search-registries = []\n");
  writeFileSync(join(dir, "etc/policy.json"), JSON.stringify({ default: [{ type: "insecureAcceptAnything" }] }));
  return {
    PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin",
    HOME: join(dir, "home"),
    TMPDIR: join(dir, "tmp"),
    CONTAINERS_CONF: join(dir, "etc/containers.conf"),
    CONTAINERS_STORAGE_CONF: join(dir, "etc/storage.conf"),
    CONTAINERS_REGISTRIES_CONF: join(dir, "etc/registries.conf"),
  };
}

function subjects(contain: string, ref: string, baseline?: string): Subject[] {
  const layerCount = (dir: string, want: number) => {
    const r = spawn(["find", dir, "-mindepth", "1", "-maxdepth", "1", "-type", "d"]);
    const n = r.stdout.split("\n").filter((l) => l && !l.endsWith("/l")).length;
    return n === want ? undefined : `${n} layer directories in ${dir}, not ${want}`;
  };
  const pull = (name: string, role: Subject["role"], binary: string): Subject => ({
    name,
    role,
    argv: (dir) => [binary, "pull", "--data-root", join(dir, "data"), ref],
    check: (dir, stdout) => (stdout.trim() === ref ? layerCount(join(dir, "data/images/layers"), 5) : `it printed ${JSON.stringify(stdout.trim())}`),
  });
  return [
    pull("contain pull", "contain", contain),
    ...(baseline ? [pull("contain pull (baseline)", "baseline", baseline)] : []),
    {
      name: "podman pull (overlay)",
      role: "peer",
      argv: (dir) => ["podman", "--root", join(dir, "root"), "--runroot", join(dir, "run"), "--tmpdir", join(dir, "tmp"), "--storage-driver", "overlay", "pull", "--quiet", "--tls-verify=false", "--signature-policy", join(dir, "etc/policy.json"), ref],
      check: (dir) => layerCount(join(dir, "root/overlay"), 5),
    },
    {
      name: "skopeo copy to containers-storage (overlay)",
      role: "peer",
      argv: (dir) => ["skopeo", "--policy", join(dir, "etc/policy.json"), "copy", "--quiet", "--src-tls-verify=false", `docker://${ref}`, `containers-storage:[overlay@${join(dir, "root")}+${join(dir, "run")}]${ref}`],
      check: (dir) => layerCount(join(dir, "root/overlay"), 5),
    },
    {
      name: "skopeo copy to oci: (download only)",
      role: "download",
      argv: (dir) => ["skopeo", "--policy", join(dir, "etc/policy.json"), "copy", "--quiet", "--src-tls-verify=false", `docker://${ref}`, `oci:${join(dir, "oci")}:img`],
      check: (dir) => (existsSync(join(dir, "oci/index.json")) ? undefined : "no oci/index.json"),
    },
    { name: "contain --version (the binary's own start)", role: "floor", argv: () => [contain, "--version"] },
    { name: "true (the wrapper alone: unshare, sh, 3 mounts, time)", role: "floor", argv: () => ["true"] },
  ];
}

function duKiB(dir: string): number {
  const r = spawn(["du", "-sk", dir]);
  return Number(r.stdout.split("\t")[0] ?? NaN);
}

// A fresh ext4 for every run, on a sparse file through a loop device:
// every command starts on the same empty, journaled filesystem. Not the
// host's root: it has no journal here, and ext4 without one will not reuse
// an inode freed in the last minutes (recently_deleted()), so after the
// deletes of the rounds before (and the neighbours') every file created
// there costs ~0.7 ms: the benchmark would time the machine's history.
function makeFilesystem(image: string, dir: string): void {
  mkdirSync(dir);
  writeFileSync(image, "");
  mustRun(["truncate", "-s", FS_SIZE, image]);
  // Inode tables and journal written now, not by ext4lazyinit during a run.
  mustRun(["mkfs.ext4", "-q", "-F", "-E", "lazy_itable_init=0,lazy_journal_init=0,nodiscard", image]);
  mustRun(["mount", "-o", "loop", image, dir]);
}

// Unmounts `dir` and what a command left mounted below it (c/storage binds
// its overlay directory onto itself), then removes the filesystem. The
// run's own namespace may take a moment to go, and its copy of the mount
// with it: EBUSY is retried. An error says what is left.
async function removeFilesystem(image: string, dir: string): Promise<string | undefined> {
  for (let attempt = 0; mounted(dir); attempt++) {
    const r = spawn(["umount", "-R", dir]);
    if (r.code === 0) continue;
    if (attempt >= 50) return `${dir} is still mounted: ${r.stderr.trim()}`;
    await Bun.sleep(100);
  }
  rmSync(image, { force: true });
  rmSync(dir, { recursive: true, force: true });
  return undefined;
}

const mounted = (dir: string) => readFileSync("/proc/self/mountinfo", "utf8").split("\n").some((l) => l.split(" ")[4] === dir);

// What a run could not clean up: reported at the end, and the benchmark fails.
const leftovers: string[] = [];

async function runOnce(s: Subject, work: string, n: number): Promise<Run> {
  const dir = join(work, `run-${n}`);
  const image = join(work, `run-${n}.ext4`);
  try {
    makeFilesystem(image, dir);
    const env = writeConfigs(dir);
    const configKiB = duKiB(dir);
    const t0 = performance.now();
    const usage = join(dir, "usage");
    const r = Bun.spawnSync(wrap(usage, s.argv(dir)), { env, stdin: "ignore", stdout: "pipe", stderr: "pipe", timeout: RUN_TIMEOUT_MS, killSignal: "SIGKILL" });
    const ms = performance.now() - t0;
    const stderr = r.stderr.toString().trim();
    if (r.exitCode !== 0) throw new Error(`${s.name} failed (${r.signalCode ?? `exit ${r.exitCode}`}): ${stderr}`);
    const wrong = s.check?.(dir, r.stdout.toString());
    if (wrong) throw new Error(`${s.name} did not pull the image: ${wrong}${stderr ? `; it said: ${stderr}` : ""}`);
    // GNU time's last line (a killed command's status comes first).
    const [rss, user, sys] = (readFileSync(usage, "utf8").trim().split("\n").pop() ?? "").split(" ").map(Number);
    if (rss === undefined || user === undefined || sys === undefined || [rss, user, sys].some(Number.isNaN)) throw new Error(`${s.name}: /usr/bin/time wrote no usage to ${usage}`);
    rmSync(usage);
    return { ms, cpuMs: (user + sys) * 1000, rssKiB: rss, storeKiB: duKiB(dir) - configKiB };
  } finally {
    const left = await removeFilesystem(image, dir);
    if (left) leftovers.push(left);
  }
}

// --- the report ---

const ms0 = (ms: number) => ms.toFixed(0);
const s2 = (ms: number) => (ms / 1000).toFixed(2);
const mib = (kib: number) => (kib / 1024).toFixed(1);
const mb = (bytes: number) => (bytes / 1e6).toFixed(1);

const ROLE: Record<Subject["role"], string> = { contain: "download + unpack", baseline: "download + unpack", peer: "download + unpack", download: "download only", floor: "-" };

function firstLine(argv: string[]): string {
  const r = spawn(argv);
  return ((r.stdout || r.stderr).split("\n")[0] ?? "?").trim();
}

function ratioLine(label: string, a: readonly number[], b: readonly number[]): string {
  const ratio = median(a) / median(b);
  const [lo, hi] = bootstrapRatio(a, b);
  const perRound = a.map((x, i) => x / (b[i] ?? NaN));
  return `${label}: ${ratio.toFixed(2)} (95% bootstrap interval ${lo.toFixed(2)}-${hi.toFixed(2)}; per-round ratios ${quantile(perRound, 0).toFixed(2)}-${quantile(perRound, 1).toFixed(2)})`;
}

function report(started: Date, opts: Options, layers: LayerInfo[], list: Subject[], runs: Map<string, Run[]>, load: [number[], number[]]): void {
  console.log(`# Pull of a ${mb(layers.reduce((s, l) => s + l.compressed, 0))} MB image of ${layers.length} layers from a local registry (${started.toISOString().slice(0, 16).replace("T", " ")} UTC)\n`);
  console.log("distribution 2.8 on 127.0.0.1, plain HTTP; every run into fresh, empty storage (a cold pull), in a private mount namespace. A noisy shared VM: compare within one run.\n");
  console.log("| layer | compressed MB | uncompressed files | files' MB |");
  console.log("|---|---:|---:|---:|");
  for (const l of layers) console.log(`| ${l.what} | ${mb(l.compressed)} | ${l.files} | ${mb(l.bytes)} |`);
  console.log(`\n${opts.rounds} interleaved rounds after ${opts.warmup} warm-up round(s); medians, with [min-max] of the rounds\n`);
  console.log("| command | does | wall ms | CPU s (user+sys) | peak RSS MiB | store on disk MiB |");
  console.log("|---|---|---:|---:|---:|---:|");
  for (const s of list) {
    const rs = runs.get(s.name) ?? [];
    const col = (f: (r: Run) => number, fmt: (x: number) => string) => `${fmt(median(rs.map(f)))} [${fmt(Math.min(...rs.map(f)))}-${fmt(Math.max(...rs.map(f)))}]`;
    console.log(`| ${s.name} | ${ROLE[s.role]} | ${col((r) => r.ms, ms0)} | ${col((r) => r.cpuMs, s2)} | ${col((r) => r.rssKiB, mib)} | ${mib(median(rs.map((r) => r.storeKiB)))} |`);
  }
  const contain = runs.get("contain pull") ?? [];
  console.log("");
  for (const s of list.filter((x) => x.role === "baseline" || x.role === "peer" || x.role === "download")) {
    const other = runs.get(s.name) ?? [];
    const short = s.role === "baseline" ? "baseline" : s.name.replace(/ \(.*\)$/, "").replace(/copy to /, "→");
    console.log(`- ${ratioLine(`time contain/${short}`, contain.map((r) => r.ms), other.map((r) => r.ms))}`);
    console.log(`- ${ratioLine(`peak RSS contain/${short}`, contain.map((r) => r.rssKiB), other.map((r) => r.rssKiB))}`);
  }
  console.log(
    "\nComparable: podman pull and skopeo to containers-storage download, verify, decompress and unpack every layer into overlay layers, as contain does;" +
      " contain also keeps the compressed blobs (its store holds both), c/storage keeps the layers and their tar-split metadata only." +
      " skopeo to oci: only downloads and verifies: the floor of the registry and the loopback.",
  );
  console.log(`\nLoad average at the start ${load[0].map((x) => x.toFixed(2)).join(" ")}, at the end ${load[1].map((x) => x.toFixed(2)).join(" ")}; ${cpus().length} CPUs.\n`);
  console.log("## Versions\n");
  console.log(`- ${firstLine([BINARY, "--version"])}`);
  console.log(`- ${firstLine(["podman", "--version"])}`);
  console.log(`- ${firstLine(["skopeo", "--version"])}`);
  console.log(`- ${firstLine(["/usr/bin/docker-registry", "--version"])}`);
  console.log(`- kernel ${firstLine(["uname", "-r"])}`);
}

async function main(): Promise<number> {
  const opts = parseOptions(process.argv.slice(2));
  if (process.getuid?.() !== 0) throw new Error("the benchmark unpacks images as root: run it as root");
  if (!existsSync(BINARY)) throw new Error(`${BINARY} is missing: build it first with \`bun build.ts\``);
  if (!existsSync(ROOTFS)) throw new Error(`${ROOTFS} is missing: build it first with \`bun build.ts\``);
  ensurePackages(TOOLS);
  // Nothing of c/image or c/storage may reach the host: checked at the end.
  const hostState = ["/var/lib/containers", "/run/containers"].map((p) => [p, existsSync(p)] as const);

  const work = mkdtempSync("/tmp/contain-bench-pull-");
  let registry: TestRegistry | undefined;
  try {
    const started = new Date();
    note("making the image");
    registry = await startRegistry();
    const { ref, layers } = await pushImage(registry);
    Bun.gc(true);
    note(`pushed ${ref}: ${layers.map((l) => `${mb(l.compressed)} MB`).join(" + ")}`);
    // A private copy: a rebuild during the run must not mix two binaries.
    const contain = join(work, "contain");
    writeFileSync(contain, readFileSync(BINARY), { mode: 0o755 });
    let baseline: string | undefined;
    if (opts.baseline) {
      baseline = join(work, "contain-baseline");
      writeFileSync(baseline, readFileSync(opts.baseline), { mode: 0o755 });
    }
    const list = subjects(contain, ref, baseline);
    const runs = new Map<string, Run[]>(list.map((s) => [s.name, []]));
    const load: [number[], number[]] = [loadavg(), []];
    let n = 0;
    for (let round = -opts.warmup; round < opts.rounds; round++) {
      note(round < 0 ? `warm-up round ${round + opts.warmup + 1} of ${opts.warmup}` : `round ${round + 1} of ${opts.rounds}`);
      for (const s of rotate(list, round + opts.warmup)) {
        const r = await runOnce(s, work, n++);
        if (leftovers.length) throw new Error(`a run left its filesystem mounted: ${leftovers.join("; ")}`);
        if (round >= 0) runs.get(s.name)?.push(r);
      }
    }
    load[1] = loadavg();
    report(started, opts, layers, list, runs, load);
  } finally {
    await registry?.stop();
    rmSync(work, { recursive: true, force: true });
  }
  for (const [p, was] of hostState) if (!was && existsSync(p)) leftovers.push(`${p} appeared on the host during the run`);
  if (leftovers.length) console.error(`[bench] FAILED: left behind on the machine:\n${leftovers.map((l) => `  ${l}`).join("\n")}`);
  return leftovers.length ? 1 : 0;
}

// Ctrl-C reaches the command being timed too (same process group) and makes
// its run fail: the failure then unwinds through the clean-up instead of
// Bun exiting at once with a filesystem mounted.
process.on("SIGINT", () => note("interrupted"));
process.exitCode = await main();
