// The init's whole set-up of the container's file system (setUpRoot), run
// against the recorder for Plans from the real planner. The tests assert
// properties of the calls, not a recorded sequence, which would bless
// whatever order the code has (the /dev bug: a volume under /dev mounted
// before the /dev tmpfs that then hid it).
import { describe, expect, test } from "bun:test";
import { posix } from "node:path";
import { ContainError } from "../../src/errors.ts";
import { enterWorkdir, setUpRoot } from "../../src/init/init.ts";
import type { FileType } from "../../src/linux/kernel.ts";
import { MS, MS_MOVE } from "../../src/linux/mount.ts";
import { bindConsole } from "../../src/linux/pty.ts";
import { createLogger } from "../../src/log.ts";
import { planFromSpec, type Plan, type PlanLayout } from "../../src/plan/plan.ts";
import { specFromFlags, type RunFlags } from "../../src/spec/from-flags.ts";
import { networkFromFlags } from "../../src/spec/network.ts";
import { validateSpec } from "../../src/spec/schema.ts";
import { CONTEXT } from "./fixtures.ts";
import { Recorder, type Call } from "./init-recorder.ts";

const ID = "f".repeat(64);
const STATE_DIR = `/run/contain/${ID}`;
const LAYOUT: PlanLayout = { dir: STATE_DIR, overlayDir: `${STATE_DIR}/rootfs`, cgroup: { version: "v1", paths: { memory: `/sys/fs/cgroup/memory/contain/${ID}` } } };
const log = createLogger("quiet");
const EINVAL = 22;
const ENOTDIR = 20;

function planOf(flags: Partial<RunFlags>): Plan {
  const spec = validateSpec(specFromFlags({ command: ["sh"], rootfs: "/r", tty: false, ...flags }, ID, CONTEXT), { cpus: 2 });
  return planFromSpec(spec, ID, LAYOUT, networkFromFlags({ net: "none" }));
}

// The directory that becomes the root, as the host names it.
const rootOf = (plan: Plan) => plan.root.overlay?.merged ?? plan.root.path;

// A root filesystem with a shell, /etc, /proc, /sys and /dev, and every path
// the Plan masks or makes read-only; the host's side of each bind: the
// state directory's files, and directories elsewhere; and the host's own
// /etc, where a link resolved on the host would lead.
function kernelFor(plan: Plan, links: Record<string, string> = {}): Recorder {
  const root = rootOf(plan);
  const tree: Record<string, FileType> = { "/etc/passwd": "file", [`${root}/bin/sh`]: "file", [`${root}/etc`]: "dir", [`${root}/proc`]: "dir", [`${root}/sys`]: "dir", [`${root}/dev`]: "dir" };
  for (const op of plan.ops) if (op.op === "mask" || op.op === "readonly") tree[`${root}${op.path}`] = "dir";
  for (const m of plan.mounts) if (m.fstype === null && m.source !== null) tree[m.source] = m.source.startsWith(STATE_DIR) ? "file" : "dir";
  return new Recorder(tree, Object.fromEntries(Object.entries(links).map(([path, target]) => [`${root}${path}`, target])));
}

function setUp(plan: Plan): Recorder {
  const k = kernelFor(plan);
  setUpRoot(k, plan, log, () => k.mark("createContainer"));
  return k;
}

const PROPAGATION = MS.MS_REC | MS.MS_PRIVATE | MS.MS_SLAVE | MS.MS_SHARED | MS.MS_UNBINDABLE;
const mounts = (k: Recorder) => k.calls.flatMap((c, i) => (c.call === "mount" ? [{ ...c, i, source: c.args[0] as string | null, fstype: c.args[2] as string | null, flags: c.args[3] as number, data: c.args[4] as string | undefined }] : []));
type Mount = ReturnType<typeof mounts>[number];
// A change of propagation only: no mount is made.
const onlyPropagation = (m: Mount) => m.source === null && (m.flags & ~PROPAGATION) === 0;
// A new mount (not a remount, not a propagation change).
const isNew = (m: Mount) => m.source !== null && !(m.flags & MS.MS_REMOUNT) && !(m.flags & MS_MOVE);
const under = (path: string, dir: string) => path === dir || path.startsWith(dir === "/" ? "/" : `${dir}/`);
const isMask = (m: Mount) => (m.fstype === "tmpfs" && m.data === "size=0") || (m.source === "/dev/null" && m.pivoted);
const isReadOnlyRemount = (m: Mount) => (m.flags & MS.MS_REMOUNT) !== 0 && (m.flags & MS.MS_RDONLY) !== 0;

// Each mount goes after every mount at a directory above it: a mount at a
// parent made later would cover it. A recursive bind of a path onto itself
// (a read-only path) carries what is below along, and covers nothing.
function coverViolations(k: Recorder): string[] {
  const made = mounts(k).filter(isNew);
  return made.flatMap((later, j) =>
    made.slice(0, j).flatMap((earlier) => {
      const selfBind = later.source !== null && later.fstype === null && later.flags & MS.MS_REC && k.calls[later.i]?.args[0] === k.calls[later.i]?.args[1];
      return later.path !== earlier.path && under(earlier.path ?? "", later.path ?? "") && !selfBind ? [`${earlier.path} then ${later.path} over it`] : [];
    }),
  );
}

// The masks and read-only remounts of the Plan's paths, and the read-only
// root, after every mount of the Plan's list.
function lateViolations(k: Recorder, plan: Plan): string[] {
  const root = rootOf(plan);
  const planTargets = new Set(plan.mounts.map((m) => posix.join(root, m.target)));
  const all = mounts(k);
  const lastPlanMount = Math.max(...all.filter((m) => planTargets.has(m.path ?? "")).map((m) => m.i));
  const readOnlyPaths = new Set(plan.ops.flatMap((o) => (o.op === "readonly" ? [posix.join(root, o.path)] : [])));
  const late = all.filter((m) => isMask(m) || (isReadOnlyRemount(m) && (readOnlyPaths.has(m.path ?? "") || m.path === root)));
  const found = late.filter((m) => m.i < lastPlanMount).map((m) => `${m.path} masked or made read-only before the mount at ${k.calls[lastPlanMount]?.path}`);
  if (plan.root.readonly) {
    const last = all.filter((m) => !onlyPropagation(m)).at(-1);
    if (!(last && last.path === root && isReadOnlyRemount(last))) found.push(`the root's read-only remount is not the last mount (${last?.path})`);
  }
  return found;
}

// Nothing is mounted outside the new root (propagation changes aside).
function outsideViolations(k: Recorder, plan: Plan): string[] {
  const root = rootOf(plan);
  return mounts(k)
    .filter((m) => !onlyPropagation(m) && !under(m.path ?? "", root))
    .map((m) => `mount at ${m.path}`);
}

// Every name made inside the new root before pivot_root is made relative to
// a directory resolved inside it (openat2 RESOLVE_IN_ROOT from the root's
// fd), one name at a time; after pivot_root the root is the container's.
function creationViolations(k: Recorder, plan: Plan): string[] {
  const root = rootOf(plan);
  return k.calls
    .filter((c: Call) => c.created && !c.pivoted)
    .filter((c) => !under(c.path ?? "", root) || c.within === undefined || !under(c.within, root) || String(c.args[1]).includes("/"))
    .map((c) => `${c.call}(${c.args.join(", ")}) at ${c.path}`);
}

const PLANS: Record<string, Partial<RunFlags>> = {
  default: {},
  "volumes under /dev and a tmpfs": { volumes: ["/h:/dev/myvol", "/h2:/data:ro"], tmpfs: ["/run", "/dev/shm:size=1M"] },
  "a read-only root": { readOnly: true, volumes: ["/h:/data"] },
  devices: { devices: ["/dev/fuse", "/dev/net/tun:/dev/net/tun"] },
  "no copy-on-write layer, with a hostname": { overlay: false, hostname: "box" },
};

describe.each(Object.entries(PLANS))("the set-up of %s", (_, flags) => {
  const plan = planOf(flags);
  const k = setUp(plan);

  test("every mount of the Plan is made, each after the mounts above it", () => {
    const root = rootOf(plan);
    const made = new Set(mounts(k).map((m) => m.path));
    for (const m of plan.mounts) expect(made.has(posix.join(root, m.target))).toBe(true);
    expect(coverViolations(k)).toEqual([]);
  });

  test("masks and read-only remounts come after every mount", () => {
    expect(lateViolations(k, plan)).toEqual([]);
  });

  test("nothing is mounted outside the new root", () => {
    expect(outsideViolations(k, plan)).toEqual([]);
  });

  test("every created path is resolved in the root", () => {
    expect(creationViolations(k, plan)).toEqual([]);
  });

  test("the hooks run after the mounts, before pivot_root; no fd is left open", () => {
    const at = (call: string) => k.calls.findIndex((c) => c.call === call);
    expect(at("mark")).toBeGreaterThan(Math.max(...mounts(k).filter((m) => !m.pivoted).map((m) => m.i)));
    expect(at("mark")).toBeLessThan(at("pivotRoot"));
    expect(k.openFds()).toEqual([]);
  });
});

// A root filesystem is the image's: its links may point anywhere, and the
// kernel resolves them inside the root (RESOLVE_IN_ROOT), never on the host.
describe("a root whose links point out of it", () => {
  const plan = planOf({ volumes: ["/h:/data", "/h2:/up/x"] });
  const root = rootOf(plan);
  const links = { "/data": "/etc", "/up": "../../../../etc", "/etc/resolv.conf": "../run/systemd/resolve/stub-resolv.conf" };
  const k = kernelFor(plan, links);
  setUpRoot(k, plan, log, () => {});
  const targets = mounts(k).filter(isNew).map((m) => m.path);

  test("a volume at an absolute or a climbing link lands inside the root", () => {
    expect(targets).toContain(`${root}/etc`);
    expect(targets).toContain(`${root}/etc/x`);
    expect(outsideViolations(k, plan)).toEqual([]);
  });

  test("a link to nothing has its target made inside the root, as runc does", () => {
    expect(targets).toContain(`${root}/run/systemd/resolve/stub-resolv.conf`);
    expect(creationViolations(k, plan)).toEqual([]);
  });
});

test("the /dev volume is made inside the /dev tmpfs", () => {
  const plan = planOf({ volumes: ["/h:/dev/myvol"] });
  const k = setUp(plan);
  const root = rootOf(plan);
  const at = (path: string) => mounts(k).findIndex((m) => isNew(m) && m.path === `${root}${path}`);
  expect(at("/dev")).toBeGreaterThanOrEqual(0);
  expect(at("/dev/myvol")).toBeGreaterThan(at("/dev"));
});

test("the hostname is set in the new root's UTS namespace, after the mounts", () => {
  const k = setUp(planOf({ hostname: "box" }));
  const i = k.calls.findIndex((c) => c.call === "sethostname");
  expect(k.calls[i]?.args).toEqual(["box"]);
  expect(k.calls[i]?.pivoted).toBe(true);
});

test("a root pivot_root refuses (an initramfs) is moved over / and chroot'ed into", () => {
  const plan = planOf({});
  const k = kernelFor(plan);
  k.fail("pivotRoot", EINVAL);
  const warnings: string[] = [];
  setUpRoot(k, plan, createLogger("quiet", (msg) => warnings.push(msg)), () => {});
  const moved = mounts(k).find((m) => m.flags & MS_MOVE);
  expect(moved?.source).toBe(rootOf(plan));
  expect(k.calls.some((c) => c.call === "chroot" && c.args[0] === ".")).toBe(true);
  // the /dev nodes are made in the new root all the same
  expect(k.calls.find((c) => c.call === "mknod")?.path).toBe(`${rootOf(plan)}/dev/null`);
});

test("an overlay that refuses volatile (a kernel before 5.10) is mounted without it", () => {
  const plan = planOf({});
  if (!plan.root.overlay) throw new Error("no overlay");
  const overlay = { ...plan.root.overlay, options: `${plan.root.overlay.options},volatile` };
  const k = kernelFor(plan);
  k.fail("mount", EINVAL, (args) => args[2] === "overlay" && String(args[4]).endsWith(",volatile"));
  setUpRoot(k, { ...plan, root: { ...plan.root, overlay } }, log, () => {});
  const tries = mounts(k).filter((m) => m.fstype === "overlay").map((m) => m.data);
  expect(tries).toEqual([overlay.options, plan.root.overlay.options]);
});

test("a working directory that is a file is refused by name, whatever the call's errno came as", () => {
  const k = new Recorder({ "/etc/passwd": "file" });
  k.fail("mkdirAll", ENOTDIR);
  expect(() => enterWorkdir(k, "/etc/passwd/x")).toThrow(new ContainError("--workdir /etc/passwd/x: not a directory in the container"));
  const missing = new Recorder({});
  expect(() => enterWorkdir(missing, "/new")).not.toThrow();
  expect(missing.calls.map((c) => c.call)).toEqual(["mkdirAll", "chdir"]);
  expect(k.stat("/nowhere")).toBeUndefined();
});

// CVE-2025-52565: the bind goes through an fd opened O_NOFOLLOW, never a name
// a container could have made a link.
describe("the console is the pty's slave, bound onto /dev/console through its fd", () => {
  const O_NOFOLLOW = 0o400000;
  const boundOnto = (k: Recorder) => mounts(k).map((m) => `${m.source} -> ${m.path}`);

  test("made in the container's /dev, then bound", () => {
    const k = new Recorder({ "/dev": "dir" });
    bindConsole(k, 5);
    const opens = k.calls.filter((c) => c.call === "openat");
    expect(opens.every((c) => (c.args[2] as number) & O_NOFOLLOW)).toBe(true);
    expect(opens.map((c) => c.created ?? false)).toEqual([true, false]);
    expect(boundOnto(k)).toEqual(["/proc/self/fd/5 -> /dev/console"]);
    expect(mounts(k)[0]?.args[1]).toMatch(/^\/proc\/self\/fd\/\d+$/);
    expect(k.openFds()).toEqual([]);
  });

  test("one already there is used; a directory there is refused", () => {
    const there = new Recorder({ "/dev/console": "char" });
    bindConsole(there, 5);
    expect(boundOnto(there)).toEqual(["/proc/self/fd/5 -> /dev/console"]);
    const dir = new Recorder({ "/dev/console": "dir" });
    expect(() => bindConsole(dir, 5)).toThrow("/dev/console in the container is neither a file nor a device");
    expect(mounts(dir)).toEqual([]);
    expect(dir.openFds()).toEqual([]);
  });
});
