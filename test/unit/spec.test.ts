import { describe, expect, test } from "bun:test";
import { SpecError } from "../../src/errors.ts";
import { specFromFlags, typedFlags, type FlagContext, type RunFlags } from "../../src/spec/from-flags.ts";
import { CONTEXT, refusal } from "./fixtures.ts";
import { validateSpec } from "../../src/spec/schema.ts";

const ID = "0123456789abcdef".repeat(4);
const host = { cpus: 2 };

function build(flags: Partial<RunFlags>, ctx: Partial<FlagContext> = {}) {
  const all: RunFlags = { command: ["/bin/sh"], rootfs: "/r", tty: false, ...flags };
  return validateSpec(specFromFlags(all, ID, { ...CONTEXT, ...ctx }), host, typedFlags(all));
}

const refused = (flags: Partial<RunFlags>, ctx: Partial<FlagContext> = {}): SpecError => refusal(() => build(flags, ctx));

describe("specFromFlags", () => {
  test("builds an OCI-shaped spec with the defaults", () => {
    const spec = build({});
    expect(spec.process.args).toEqual(["/bin/sh"]);
    expect(spec.hostname).toBe("0123456789ab");
    expect(spec.process.env).toContain("HOSTNAME=0123456789ab");
    expect(spec.process.env).toContain("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    expect(spec.process.env.some((e) => e.startsWith("TERM="))).toBe(false);
    expect(spec.linux.namespaces.map((n) => n.type)).toEqual(["pid", "uts", "mount", "ipc", "network", "cgroup"]);
    // docker's devices: every one denied, beyond the runtime's own set;
    // podman's process limit
    expect(spec.linux.resources).toEqual({ pids: { limit: 2048 }, devices: [{ allow: false, access: "rwm" }] });
    expect(spec.linux.devices).toEqual([]);
  });

  test("limits land where OCI puts them", () => {
    const spec = build({ memory: "64M", pids: "64", cpu: "0.5", cpuShares: "512", hostname: "box", env: ["A=1", "PATH=/bin"], tty: true });
    expect(spec.linux.resources).toEqual({
      memory: { limit: 67108864, swap: 67108864 },
      cpu: { quota: 50000, period: 100000, shares: 512 },
      pids: { limit: 64 },
      devices: [{ allow: false, access: "rwm" }],
    });
    expect(spec.hostname).toBe("box");
    expect(spec.process.env).toContain("A=1");
    expect(spec.process.env).toContain("PATH=/bin");
    expect(spec.process.env).toContain("TERM=xterm");
  });

  test("the process limit: --pids N, docker's --pids-limit N, and no limit at all", () => {
    expect(build({ pids: "100" }).linux.resources.pids).toEqual({ limit: 100 });
    expect(build({ pidsLimit: "100" }).linux.resources.pids).toEqual({ limit: 100 });
    // docker's "unlimited": no pids.max written
    for (const flags of [{ pids: "-1" }, { pidsLimit: "-1" }, { pidsLimit: "0" }]) expect(build(flags).linux.resources.pids).toBeUndefined();
  });

  test("docker's CPU names", () => {
    expect(build({ cpus: "1.5" }).linux.resources.cpu).toEqual({ quota: 150000, period: 100000 });
    expect(build({ cpuQuota: "25000", cpuPeriod: "50000" }).linux.resources.cpu).toEqual({ quota: 25000, period: 50000 });
    // a fraction keeps its meaning under another period
    expect(build({ cpu: "0.5", cpuPeriod: "50000" }).linux.resources.cpu).toEqual({ quota: 25000, period: 50000 });
    // docker's "no quota"
    expect(build({ cpuQuota: "-1" }).linux.resources.cpu).toBeUndefined();
    expect(build({ cpuQuota: "-1", cpuPeriod: "50000" }).linux.resources.cpu).toEqual({ period: 50000 });
    expect(build({ cpusetCpus: "0-1,3", cpusetMems: "0", cpuShares: "512" }).linux.resources.cpu).toEqual({ cpus: "0-1,3", mems: "0", shares: 512 });
  });
});

describe("bad input is refused with the flag, the value and a fix", () => {
  test.each<[string, Partial<RunFlags>, RegExp]>([
    ["memory with a bad unit", { memory: "64X" }, /^--memory: invalid size "64X"/],
    ["negative memory", { memory: "-1" }, /^--memory: invalid size "-1"/],
    ["zero memory", { memory: "0" }, /^--memory: 0 is below the smallest limit that works \(1M\)/],
    ["memory below the minimum", { memory: "1000K" }, /^--memory: 1000K is below the smallest limit/],
    ["zero pids", { pids: "0" }, /^--pids: 0 allows no process at all/],
    ["a cpuset that is no list", { cpusetCpus: "0;1" }, /^--cpuset-cpus: "0;1" is not a list such as "0-3,7"$/],
    ["pids below -1", { pidsLimit: "-2" }, /^--pids-limit: -2 is not a number of processes$/],
    ["pids above the kernel's limit", { pidsLimit: "4194305" }, /^--pids-limit: 4194305 is above the kernel's limit of 4194304 processes$/],
    ["pids past 2^53", { pids: "99999999999999999999" }, /^--pids: 99999999999999999999 is out of range$/],
    ["both --pids and --pids-limit", { pids: "10", pidsLimit: "20" }, /^--pids and --pids-limit: both set the process limit$/],
    ["zero CPUs", { cpu: "0" }, /^--cpu: 0 CPUs is not a limit/],
    ["more CPUs than the machine has", { cpu: "3" }, /^--cpu: 3 CPUs is more than this machine has \(2\)/],
    ["a quota of more CPUs than the machine has", { cpu: "300000" }, /^--cpu: 3 CPUs is more than this machine has/],
    ["two CPU quotas", { cpu: "0.5", cpus: "1" }, /^--cpu and --cpus: both set the CPU quota/],
    ["more CPUs than the machine has, by docker's name", { cpus: "3" }, /^--cpus: 3 CPUs is more than this machine has \(2\)$/],
    ["a quota of more CPUs than the machine has, by docker's name", { cpuQuota: "300000" }, /^--cpu-quota: 3 CPUs is more than this machine has \(2\)$/],
    ["a quota below the kernel's minimum, by docker's name", { cpuQuota: "999" }, /^--cpu-quota: quota 999us is below the kernel's minimum of 1000us$/],
    ["CPUs whose quota is past any number", { cpus: "1e308" }, /^--cpus: 1e\+308 CPUs is more than any machine has$/],
    ["a long hostname", { hostname: "a".repeat(65) }, /^--hostname: "a+" is longer than 64 characters/],
    ["a hostname with bad characters", { hostname: "bad_name!" }, /^--hostname: "bad_name!" has invalid characters/],
    ["a hostname starting with a hyphen", { hostname: "-x" }, /^--hostname: "-x" has invalid characters/],
    ["no command", { command: [] }, /^command: no command given/],
    ["an env without a key", { env: ["=value"] }, /^--env: "=value" is not KEY=VALUE/],
    ["an env key with a space", { env: ["MY KEY=1"] }, /^--env: "MY KEY=1" is not KEY=VALUE/],
  ])("%s", (_, flags, message) => {
    const err = refused(flags);
    expect(err.message).toMatch(message);
    expect(err.hint ?? "").not.toBe("");
    expect(err.exitCode).toBe(125);
  });

  test("the machine's limit in the units of the flag given", () => {
    expect(refused({ cpus: "3" }).hint).toBe("use at most --cpus 2");
    expect(refused({ cpuQuota: "300000" }).hint).toBe("use at most --cpu-quota 200000");
  });

  test("a hostname of exactly 64 characters is fine", () => {
    expect(build({ hostname: "a".repeat(64) }).hostname).toHaveLength(64);
  });
});

test("exec --cap adds to every set of a process with sets, and names a bad one", async () => {
  const { withCapabilities } = await import("../../src/spec/capabilities.ts");
  const p = { capabilities: { bounding: ["CAP_KILL"], effective: ["CAP_KILL"], permitted: ["CAP_KILL"] } };
  expect(withCapabilities(p, ["net_admin"]).capabilities).toEqual({ bounding: ["CAP_KILL", "CAP_NET_ADMIN"], effective: ["CAP_KILL", "CAP_NET_ADMIN"], permitted: ["CAP_KILL", "CAP_NET_ADMIN"] });
  expect(withCapabilities({}, ["CAP_KILL"])).toEqual({}); // all kept already
  expect(refusal(() => withCapabilities(p, ["CAP_NOPE"])).message).toBe('--cap: unknown capability "CAP_NOPE"');
});

describe("docker's everyday run flags (issue 16, part A)", () => {
  test("--mount: docker's keys and aliases into OCI mounts, beside -v and --tmpfs, parents first", () => {
    const spec = build({ mounts: ["type=tmpfs,dst=/data/tmp,tmpfs-size=1M,tmpfs-mode=700", "type=bind,src=rel,destination=/data,ro,bind-propagation=rslave"], tmpfs: ["/t"] });
    const user = (spec.mounts ?? []).filter((m) => ["/data", "/data/tmp", "/t"].includes(m.destination));
    expect(user).toEqual([
      { destination: "/t", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev"] },
      { destination: "/data", type: "bind", source: "/home/me/rel", options: ["rbind", "ro", "rslave"] },
      { destination: "/data/tmp", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", "size=1048576", "mode=700"] },
    ]);
    expect(refused({ mounts: ["type=bind,src=/a,dst=/d,readonly=maybe"] }).message).toBe('--mount: "type=bind,src=/a,dst=/d,readonly=maybe": readonly=maybe is not true or false');
    expect(refused({ mounts: ["type=tmpfs,src=/a,dst=/d"] }).message).toBe('--mount: "type=tmpfs,src=/a,dst=/d": unknown key "source" for type=tmpfs');
    expect(refused({ mounts: ["type=bind,dst=/d"] }).message).toBe('--mount: "type=bind,dst=/d": a bind mount needs a source');
    expect(refused({ mounts: ["type=tmpfs,dst=/d"], tmpfs: ["/d"] }).message).toBe("--mount: /d is mounted twice");
  });

  test("--shm-size replaces the default /dev/shm's size, in its place", () => {
    const shm = build({ shmSize: "1G" }).mounts?.filter((m) => m.destination === "/dev/shm");
    expect(shm).toEqual([{ destination: "/dev/shm", type: "tmpfs", source: "shm", options: ["nosuid", "noexec", "nodev", "mode=1777", "size=1073741824"] }]);
  });

  test("--sysctl into linux.sysctl, held to the container's namespaces", () => {
    expect(build({ sysctls: ["net.core.somaxconn=1024", "kernel.msgmax=65536", "fs.mqueue.msg_max=20"] }).linux.sysctl).toEqual({ "net.core.somaxconn": "1024", "kernel.msgmax": "65536", "fs.mqueue.msg_max": "20" });
    expect(refused({ sysctls: ["vm.swappiness=1"] }).field).toBe("--sysctl vm.swappiness");
    expect(refused({ sysctls: ["net.core.somaxconn=1"], hostNetwork: true }).hint).toBe("leave out --net host, or this sysctl");
  });

  test("--group-add, --entrypoint, --domainname, --stop-signal, --stop-timeout", () => {
    const spec = build({ user: "alice", groupAdd: ["staff", "root", "777"], entrypoint: "/bin/echo", command: ["a"], domainname: "example.com", stopSignal: "SIGUSR1", stopTimeout: "0" });
    expect(spec.process.user.additionalGids).toEqual([10, 50, 0, 777]); // the user's own groups, then the added ones, once each
    expect(spec.process.args).toEqual(["/bin/echo", "a"]);
    expect(spec.domainname).toBe("example.com");
    expect(spec.contain).toMatchObject({ groupAdd: ["staff", "root", "777"], entrypoint: ["/bin/echo"], stopSignal: "SIGUSR1", stopTimeout: 0 });
    expect(build({ entrypoint: "" }).process.args).toEqual(["/bin/sh"]);
    expect(refused({ groupAdd: ["99999999999"] }).message).toBe("--group-add: 99999999999 is out of range");
  });
});

describe("memory beyond the limit, the OOM score, labels, shared namespaces", () => {
  test("--memory-swap, --memory-reservation, --oom-kill-disable, --oom-score-adj", () => {
    const spec = build({ memory: "64M", memorySwap: "-1", memoryReservation: "32M", oomKillDisable: true, oomScoreAdj: "500" });
    expect(spec.linux.resources.memory).toEqual({ limit: 64 << 20, swap: -1, reservation: 32 << 20, disableOOMKiller: true });
    expect(spec.process.oomScoreAdj).toBe(500);
    // 0 is docker's "not given": swap stays at the limit.
    expect(build({ memory: "64M", memorySwap: "0" }).linux.resources.memory).toEqual({ limit: 64 << 20, swap: 64 << 20 });
    expect(build({ oomScoreAdj: "-5" }, { canLowerOomScore: true }).process.oomScoreAdj).toBe(-5);
    expect(refusal(() => build({ oomScoreAdj: "-5" })).field).toBe("--oom-score-adj");
  });

  test("labels are the annotations: the file's lines first, a bare key empty", () => {
    expect(build({ labels: ["a=1", "b", "a=2", "c=x=y"] }).annotations).toEqual({ a: "2", b: "", c: "x=y" });
    expect(build({}).annotations).toBeUndefined();
  });

  test("host modes leave the namespace out; --uts host sets no hostname, HOSTNAME is the host's", () => {
    const spec = build({ pid: "host", ipc: "host", uts: "host" });
    expect(spec.linux.namespaces.map((n) => n.type)).toEqual(["mount", "network", "cgroup"]);
    expect(spec.hostname).toBeUndefined();
    expect(spec.process.env).toContain("HOSTNAME=thehost");
  });

  test("container:NAME joins by path, records the ID, and takes the network's name", () => {
    const spec = build({ pid: "container:web", ipc: "container:web", netContainer: "web" });
    const web = "a".repeat(64);
    expect(spec.linux.namespaces.filter((n) => n.path)).toEqual([
      { type: "pid", path: "/proc/42/ns/pid" },
      { type: "ipc", path: "/proc/42/ns/ipc" },
      { type: "network", path: "/proc/42/ns/net" },
    ]);
    expect(spec.contain?.joined).toEqual({ pid: web, ipc: web, network: web });
    expect(spec.hostname).toBe("webhost");
    expect(refusal(() => build({ pid: "container:db" })).message).toBe("--pid: no such container: db");
  });
});
