import { describe, expect, test } from "bun:test";
import { v1Writes } from "../../src/linux/cgroups/v1.ts";
import { v2Writes } from "../../src/linux/cgroups/v2.ts";
import { describeLimits } from "../../src/plan/cgroup.ts";
import { MOUNT_DATA_MAX, overlayOptions, planFromSpec, type PlanLayout } from "../../src/plan/plan.ts";
import { specFromFlags } from "../../src/spec/from-flags.ts";
import { networkFromFlags } from "../../src/spec/network.ts";
import { validateSpec } from "../../src/spec/schema.ts";
import { CONTEXT, refusal } from "./fixtures.ts";

const ID = "f".repeat(64);
const LAYOUT: PlanLayout = { dir: `/run/contain/${ID}`, overlayDir: `/run/contain/${ID}/rootfs`, cgroup: { version: "v1", paths: { memory: `/sys/fs/cgroup/memory/contain/${ID}` } } };
const spec = validateSpec(
  specFromFlags({ command: ["sh", "-c", "true"], rootfs: "/r", tty: false, memory: "64M", pids: "64", cpu: "0.5", cpuShares: "512" }, ID, CONTEXT),
  { cpus: 2 },
);

test("one ordered mount list: the defaults as a config.json has them, then the user's, then contain's /etc files", () => {
  const s = validateSpec(specFromFlags({ command: ["sh"], rootfs: "/r", tty: false, volumes: ["/h:/dev/myvol"], tmpfs: ["/run"] }, ID, CONTEXT), { cpus: 2 });
  const plan = planFromSpec(s, ID, LAYOUT, networkFromFlags({ net: "none" }));
  expect(plan.mounts.map((m) => `${m.target}:${m.fstype ?? "bind"}:${m.flags.join("|")}${m.data ? `:${m.data}` : ""}`)).toEqual([
    "/proc:proc:MS_NOSUID|MS_NOEXEC|MS_NODEV",
    "/dev:tmpfs:MS_NOSUID|MS_STRICTATIME:mode=755,size=65536k",
    "/dev/pts:devpts:MS_NOSUID|MS_NOEXEC:newinstance,ptmxmode=0666,mode=0620,gid=5",
    "/dev/shm:tmpfs:MS_NOSUID|MS_NOEXEC|MS_NODEV:mode=1777,size=65536k",
    "/dev/mqueue:mqueue:MS_NOSUID|MS_NOEXEC|MS_NODEV",
    "/sys:sysfs:MS_NOSUID|MS_NOEXEC|MS_NODEV|MS_RDONLY",
    // the container's own cgroups (v1: a tmpfs holding each hierarchy's)
    "/sys/fs/cgroup:tmpfs:MS_NOSUID|MS_NOEXEC|MS_NODEV|MS_RELATIME:mode=755",
    "/sys/fs/cgroup/memory:bind:MS_BIND|MS_REC",
    // the user's, a parent before what is under it whatever the flags' order
    "/run:tmpfs:MS_NOSUID|MS_NODEV",
    "/dev/myvol:bind:MS_BIND|MS_REC",
    "/etc/hostname:bind:MS_BIND",
    "/etc/hosts:bind:MS_BIND",
    "/etc/resolv.conf:bind:MS_BIND",
  ]);
  // after pivot_root: /dev's nodes and links, then the masks, last
  const nodes = plan.ops.flatMap((o) => (o.op === "mknod" ? [`${o.path}=${o.major}:${o.minor}`] : []));
  expect(nodes).toEqual(["/dev/null=1:3", "/dev/zero=1:5", "/dev/full=1:7", "/dev/random=1:8", "/dev/urandom=1:9", "/dev/tty=5:0"]);
  const links = plan.ops.flatMap((o) => (o.op === "symlink" ? [`${o.path}->${o.target}`] : []));
  expect(links).toEqual(["/dev/ptmx->pts/ptmx", "/dev/fd->/proc/self/fd", "/dev/stdin->/proc/self/fd/0", "/dev/stdout->/proc/self/fd/1", "/dev/stderr->/proc/self/fd/2"]);
  const firstMask = plan.ops.findIndex((o) => o.op === "mask");
  expect(firstMask).toBeGreaterThan(0);
  expect(plan.ops.slice(firstMask).every((o) => o.op === "mask" || o.op === "readonly")).toBe(true);
  expect(plan.process.searchPath).toBe("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
});

// docker's view on v1 and v2 (its cgroupns private): read-only, nosuid,
// nodev, noexec; co-mounted controllers one directory with a link each.
describe("the container's own cgroups at /sys/fs/cgroup", () => {
  const layout = (cgroup: PlanLayout["cgroup"]): PlanLayout => ({ ...LAYOUT, cgroup });
  const cgroupMounts = (plan: ReturnType<typeof planFromSpec>) =>
    plan.mounts.filter((m) => m.target.startsWith("/sys/fs/cgroup")).map((m) => `${m.target}<-${m.source}:${m.fstype ?? "bind"}:${m.remount?.join("|") ?? ""}`);
  const dir = (c: string) => `/sys/fs/cgroup/${c}/user.slice/contain/${ID}`;

  test("v1: a directory per hierarchy, co-mounted ones named together with a link per controller, then sealed", () => {
    const paths = { memory: dir("memory"), cpu: dir("cpu,cpuacct"), cpuacct: dir("cpu,cpuacct"), pids: dir("pids") };
    const plan = planFromSpec(spec, ID, layout({ version: "v1", paths }), networkFromFlags({ net: "none" }));
    const ro = "MS_NOSUID|MS_NOEXEC|MS_NODEV|MS_RELATIME|MS_RDONLY";
    expect(cgroupMounts(plan)).toEqual([
      "/sys/fs/cgroup<-cgroup:tmpfs:",
      `/sys/fs/cgroup/memory<-${dir("memory")}:bind:${ro}`,
      `/sys/fs/cgroup/cpu,cpuacct<-${dir("cpu,cpuacct")}:bind:${ro}`,
      `/sys/fs/cgroup/pids<-${dir("pids")}:bind:${ro}`,
    ]);
    const after = plan.ops.slice(plan.ops.findIndex((o) => o.op === "symlink" && o.path.startsWith("/sys/")));
    expect(after.slice(0, 3)).toEqual([
      { op: "symlink", target: "cpu,cpuacct", path: "/sys/fs/cgroup/cpu" },
      { op: "symlink", target: "cpu,cpuacct", path: "/sys/fs/cgroup/cpuacct" },
      { op: "seal", path: "/sys/fs/cgroup" },
    ]);
  });

  test("v2: the container's one directory, read-only", () => {
    const plan = planFromSpec(spec, ID, layout({ version: "v2", paths: { unified: `/sys/fs/cgroup/contain/${ID}` } }), networkFromFlags({ net: "none" }));
    expect(cgroupMounts(plan)).toEqual([`/sys/fs/cgroup<-/sys/fs/cgroup/contain/${ID}:bind:MS_NOSUID|MS_NOEXEC|MS_NODEV|MS_RELATIME|MS_RDONLY`]);
    expect(plan.ops.some((o) => o.op === "seal")).toBe(false);
  });

  test("--privileged: writable, as docker mounts it for a privileged container", () => {
    const s = validateSpec(specFromFlags({ command: ["sh"], rootfs: "/r", tty: false, privileged: true }, ID, CONTEXT), { cpus: 2 });
    const v1 = planFromSpec(s, ID, layout({ version: "v1", paths: { memory: dir("memory") } }), networkFromFlags({ net: "none" }));
    expect(cgroupMounts(v1)).toEqual(["/sys/fs/cgroup<-cgroup:tmpfs:", `/sys/fs/cgroup/memory<-${dir("memory")}:bind:MS_NOSUID|MS_NOEXEC|MS_NODEV|MS_RELATIME`]);
    expect(v1.ops.some((o) => o.op === "seal")).toBe(false);
  });
});

test("a user mount at a default's destination takes its place: one /dev/shm, before anything under /dev", () => {
  const s = validateSpec(specFromFlags({ command: ["sh"], rootfs: "/r", tty: false, tmpfs: ["/dev/shm:size=1M", "/dev"] }, ID, CONTEXT), { cpus: 2 });
  const mounts = planFromSpec(s, ID, LAYOUT, networkFromFlags({ net: "none" })).mounts;
  expect(mounts.filter((m) => m.target === "/dev/shm").map((m) => m.data)).toEqual(["size=1048576"]);
  const targets = mounts.map((m) => m.target);
  expect(targets.filter((t) => t === "/dev")).toHaveLength(1);
  expect(targets.indexOf("/dev")).toBeLessThan(targets.indexOf("/dev/pts"));
});

test("--read-only remounts the root last, after the masks", () => {
  const s = validateSpec(specFromFlags({ command: ["sh"], rootfs: "/r", tty: false, readOnly: true }, ID, CONTEXT), { cpus: 2 });
  expect(planFromSpec(s, ID, LAYOUT, networkFromFlags({ net: "none" })).ops.at(-1)).toEqual({ op: "remount-root-readonly" });
});

test("OCI mount options: propagation apart, a filesystem's data passed on, a bind's unknown option refused", () => {
  const base = validateSpec(specFromFlags({ command: ["sh"], rootfs: "/r", tty: false }, ID, CONTEXT), { cpus: 2 });
  const withMounts = (mounts: NonNullable<typeof base.mounts>) => planFromSpec({ ...base, mounts }, ID, LAYOUT, networkFromFlags({ net: "none" })).mounts;
  const [bind, tmpfs] = withMounts([
    { destination: "/a", type: "bind", source: "/h", options: ["rbind", "rprivate", "ro", "nosuid"] },
    { destination: "/b", type: "tmpfs", source: "tmpfs", options: ["nodev", "uid=1000", "size=1m"] },
  ]);
  expect(bind).toEqual({ source: "/h", target: "/a", fstype: null, flags: ["MS_BIND", "MS_REC"], remount: ["MS_RDONLY", "MS_NOSUID"], propagation: ["MS_PRIVATE", "MS_REC"] });
  expect(tmpfs).toEqual({ source: "tmpfs", target: "/b", fstype: "tmpfs", flags: ["MS_NODEV"], data: "uid=1000,size=1m" });
  expect(() => validateSpec({ ...base, mounts: [{ destination: "/c", type: "bind", source: "/h", options: ["size=1m"] }] }, { cpus: 2 })).toThrow(/unknown option "size=1m" for a bind mount/);
});

test("limits become v2 files", () => {
  expect(v2Writes(spec.linux.resources)).toEqual([
    { controller: "unified", file: "memory.max", value: "67108864", optional: false },
    { controller: "unified", file: "memory.swap.max", value: "0", optional: true },
    { controller: "unified", file: "cpu.max", value: "50000 100000", optional: false },
    { controller: "unified", file: "cpu.weight", value: "20", optional: false },
    { controller: "unified", file: "pids.max", value: "64", optional: false },
  ]);
});

test("limits become v1 files, period before quota and memsw after the limit", () => {
  expect(v1Writes(spec.linux.resources).filter((w) => w.controller !== "devices")).toEqual([
    { controller: "memory", file: "memory.limit_in_bytes", value: "67108864", hint: expect.stringContaining("EBUSY") },
    { controller: "memory", file: "memory.memsw.limit_in_bytes", value: "67108864", optional: true },
    { controller: "cpu", file: "cpu.cfs_period_us", value: "100000" },
    { controller: "cpu", file: "cpu.cfs_quota_us", value: "50000" },
    { controller: "cpu", file: "cpu.shares", value: "512" },
    { controller: "pids", file: "pids.max", value: "64" },
  ]);
});

test("no limits, no writes", () => {
  expect(v1Writes({})).toEqual([]);
  expect(v2Writes({})).toEqual([]);
  expect(describeLimits({})).toBe("none");
});

test("the step log names the limits as the user wrote them", () => {
  expect(describeLimits(spec.linux.resources)).toBe("memory=64M cpu=0.5 cpu-shares=512 pids=64");
});

test("mounts: a later option wins, as in mount(8); a read-only bind is a remount", () => {
  const s = validateSpec(
    specFromFlags({ command: ["sh"], rootfs: "/r", tty: false, tmpfs: ["/t:suid,dev,ro,rw", "/u:ro,noexec"], volumes: ["/h:/v:ro"] }, ID, CONTEXT),
    { cpus: 2 },
  );
  const mounts = planFromSpec(s, ID, LAYOUT, networkFromFlags({ net: "none" })).mounts.filter((m) => ["/v", "/t", "/u"].includes(m.target));
  expect(mounts.map((m) => [m.target, m.flags.join("|"), m.remount?.join("|")])).toEqual([
    ["/v", "MS_BIND|MS_REC", "MS_RDONLY"],
    ["/t", "", undefined],
    ["/u", "MS_NOSUID|MS_NODEV|MS_RDONLY|MS_NOEXEC", undefined],
  ]);
});

// An image's root: its layers, by the store's short names relative to the
// store's directory, are the overlay's lower layers, top first.
describe("the root from an image's layers", () => {
  const STORE = "/var/lib/contain/images";
  const DATA = `/var/lib/contain/containers/${ID}`;
  const layout = (n: number, extra: Partial<PlanLayout> = {}): PlanLayout => ({
    ...LAYOUT,
    dir: DATA,
    overlayDir: `${DATA}/rootfs`,
    lowers: { dir: STORE, layers: Array.from({ length: n }, (_, i) => `l/${String(n - 1 - i).padStart(12, "A")}`) },
    ...extra,
  });
  const image = (n: number, flags: Partial<Parameters<typeof specFromFlags>[0]> = {}) =>
    validateSpec(
      specFromFlags(
        {
          command: [],
          rootfs: `${DATA}/rootfs/merged`,
          tty: false,
          image: { name: "app:1", id: `sha256:${"a".repeat(64)}`, layers: Array.from({ length: n }, (_, i) => `sha256:${i.toString(16).padStart(64, "0")}`), config: { Cmd: ["sh"] } },
          ...flags,
        },
        ID,
        CONTEXT,
      ),
      { cpus: 2 },
    );
  const none = networkFromFlags({ net: "none" });

  test("the layers top first, relative to the store; the container's upper and work absolute", () => {
    const plan = planFromSpec(image(3), ID, layout(3), none);
    expect(plan.root.path).toBe(`${DATA}/rootfs/merged`);
    expect(plan.root.overlay).toEqual({
      upper: `${DATA}/rootfs/upper`,
      work: `${DATA}/rootfs/work`,
      merged: `${DATA}/rootfs/merged`,
      lowers: { dir: STORE, layers: ["l/AAAAAAAAAAA2", "l/AAAAAAAAAAA1", "l/AAAAAAAAAAA0"] },
      options: `lowerdir=l/AAAAAAAAAAA2:l/AAAAAAAAAAA1:l/AAAAAAAAAAA0,upperdir=${DATA}/rootfs/upper,workdir=${DATA}/rootfs/work`,
    });
    // cp of a stopped container: the upper as the top lower layer, nothing writable
    expect(overlayOptions(plan.root.path, plan.root.overlay as NonNullable<typeof plan.root.overlay>, true)).toBe(`lowerdir=${DATA}/rootfs/upper:l/AAAAAAAAAAA2:l/AAAAAAAAAAA1:l/AAAAAAAAAAA0`);
  });

  test("128 layers fit mount(2)'s page; more than fit are refused by name", () => {
    const options = planFromSpec(image(128), ID, layout(128), none).root.overlay?.options ?? "";
    expect(options.length).toBeLessThanOrEqual(MOUNT_DATA_MAX);
    expect(options.length).toBeGreaterThan(128 * 15);
    const err = refusal(() => planFromSpec(image(300), ID, layout(300), none));
    expect(err.message).toMatch(/^image app:1: its 300 layers take \d+ bytes of overlay options, more than the 4095 mount\(2\) reads$/);
    expect(err.hint).toBe("use an image of fewer layers (squash it), or a shorter --data-root");
  });

  test("a layer the store lacks is refused; --storage-opt size= moves upper and work onto the capped layer", () => {
    expect(refusal(() => planFromSpec(image(3), ID, layout(2), none)).message).toBe("image app:1: its 3 layers are not all in the image store");
    const capped = planFromSpec(image(2, { storageOpts: ["size=64M"] }), ID, layout(2), none).root.overlay;
    expect(capped?.upper).toBe(`${DATA}/rootfs/layer/upper`);
    expect(capped?.layer).toEqual({ image: `${DATA}/rootfs/layer.img`, dir: `${DATA}/rootfs/layer`, size: 64 * 1024 * 1024 });
    expect(capped?.options).toStartWith("lowerdir=l/AAAAAAAAAAA1:l/AAAAAAAAAAA0,upperdir=");
  });

  test("a root directory keeps its absolute path as the one lower layer", () => {
    const plan = planFromSpec(spec, ID, LAYOUT, none);
    expect(plan.root.overlay?.lowers).toBeUndefined();
    expect(plan.root.overlay?.options).toBe(`lowerdir=/r,upperdir=/run/contain/${ID}/rootfs/upper,workdir=/run/contain/${ID}/rootfs/work`);
  });

  test("a layer that goes with its container is mounted volatile: its unmount syncs nothing", () => {
    const plan = planFromSpec(spec, ID, { ...LAYOUT, disposable: true }, none);
    expect(plan.root.overlay?.options).toBe(`lowerdir=/r,upperdir=/run/contain/${ID}/rootfs/upper,workdir=/run/contain/${ID}/rootfs/work,volatile`);
  });
});
