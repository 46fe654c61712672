import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { planFromSpec, type PlanLayout } from "../../src/plan/plan.ts";
import { specFromConfig } from "../../src/spec/oci.ts";
import { networkFromFlags } from "../../src/spec/network.ts";
import { refusal } from "./fixtures.ts";

const host = { cpus: 2 };
// config.json files that podman, ctr and containerd's CRI generated
const sample = (name: string) => JSON.parse(readFileSync(`${import.meta.dir}/oci-samples/${name}.json`, "utf8"));
const ID = "c".repeat(64);
const V1: PlanLayout = {
  dir: `/var/lib/contain/containers/${ID}`,
  overlayDir: "",
  cgroup: { version: "v1", paths: { memory: "/sys/fs/cgroup/memory/default/c", pids: "/sys/fs/cgroup/pids/default/c" } },
};

describe("specFromConfig", () => {
  test("podman's config.json: root under the bundle, its mounts in order, its hostname, annotations and limits", () => {
    const spec = specFromConfig(sample("podman-run"), "/b", host);
    expect(spec.root.path).toBe("/b/<state>/storage/overlay/<id>/merged");
    expect(spec.mounts?.map((m) => m.destination)).toEqual(["/proc", "/dev", "/sys", "/dev/pts", "/dev/mqueue", "/dev/shm", "/run/.containerenv", "/etc/hostname", "/sys/fs/cgroup"]);
    expect(spec.hostname).toBe("4e1f5fa4f9ea");
    expect(spec.process.terminal).toBe(false);
    expect(spec.process.user.umask).toBe(0o22);
    expect(Object.keys(spec.annotations ?? {}).length).toBe(8);
    expect(spec.linux.resources.pids).toEqual({ limit: 2048 });
    expect(spec.linux.cgroupsPath).toBe("/libpod_parent/libpod-<id>");
    expect(spec.contain).toBeUndefined();
  });

  test("an absolute root.path stays as it is", () => {
    const c = sample("ctr-memory-limit");
    c.root.path = "/srv/root";
    expect(specFromConfig(c, "/b", host).root.path).toBe("/srv/root");
  });

  test("a field of the spec contain does not implement is refused by its name, not dropped", () => {
    const c = sample("ctr-memory-limit");
    c.linux.resources.blockIO = { weight: 10 };
    const err = refusal(() => specFromConfig(c, "/b", host));
    expect(err.message).toBe("linux.resources.blockIO: contain does not support this field yet");
  });

  test("a field outside the spec is refused as unknown, with where it is", () => {
    const c = sample("ctr-memory-limit");
    c.mounts[2].propagation = "x";
    expect(refusal(() => specFromConfig(c, "/b", host)).message).toBe("mounts[2].propagation: is not a field of the OCI runtime spec");
  });

  test("a bad value names its JSON path", () => {
    const c = sample("ctr-memory-limit");
    c.linux.resources.memory.limit = "16M";
    expect(refusal(() => specFromConfig(c, "/b", host)).message).toStartWith("linux.resources.memory.limit: ");
    const d = sample("ctr-memory-limit");
    d.mounts[1].destination = "dev";
    expect(refusal(() => specFromConfig(d, "/b", host)).message).toStartWith("mounts[1].destination: ");
  });

  test("a pod's container joins the sandbox's pid, ipc, uts and network namespaces by path; a mount namespace path is refused by name", () => {
    const spec = specFromConfig(sample("cri-container"), "/b", host);
    expect(spec.linux.namespaces.map((n) => `${n.type}${n.path ? ` ${n.path}` : ""}`)).toEqual([
      "pid /proc/<sandbox-pid>/ns/pid",
      "ipc /proc/<sandbox-pid>/ns/ipc",
      "uts /proc/<sandbox-pid>/ns/uts",
      "mount",
      "network /proc/<sandbox-pid>/ns/net",
    ]);
    const c = sample("cri-container");
    c.linux.namespaces[3].path = "/proc/1/ns/mnt";
    expect(refusal(() => specFromConfig(c, "/b", host)).message).toBe("linux.namespaces[3].path: joining an existing mount namespace is not supported yet");
  });

  test("no root, no object, ambient capabilities: each refused by name", () => {
    const c = sample("ctr-memory-limit");
    delete c.root;
    expect(refusal(() => specFromConfig(c, "/b", host)).message).toBe("root.path: missing");
    expect(refusal(() => specFromConfig([], "/b", host)).message).toBe("config.json: is not a JSON object");
    const a = sample("ctr-memory-limit");
    a.process.capabilities.ambient = ["CAP_KILL"];
    expect(refusal(() => specFromConfig(a, "/b", host)).message).toStartWith("process.capabilities.ambient: ");
  });

  test("a sysctl that is not the container's own is refused: the host's, or one of a namespace it shares", () => {
    const withSysctl = (sysctl: Record<string, string>, drop?: string) => {
      const c = sample("ctr-memory-limit");
      c.linux.sysctl = sysctl;
      if (drop) c.linux.namespaces = c.linux.namespaces.filter((n: { type: string }) => n.type !== drop);
      return c;
    };
    expect(specFromConfig(withSysctl({ "net.ipv4.ip_forward": "1", "kernel.shmmax": "1", "fs.mqueue.msg_max": "9" }), "/b", host).linux.sysctl).toEqual({ "net.ipv4.ip_forward": "1", "kernel.shmmax": "1", "fs.mqueue.msg_max": "9" });
    expect(refusal(() => specFromConfig(withSysctl({ "vm.swappiness": "0" }), "/b", host)).message).toBe("linux.sysctl.vm.swappiness: is not namespaced: setting it would change the host's");
    expect(refusal(() => specFromConfig(withSysctl({ "net.ipv4.ip_forward": "1" }, "network"), "/b", host)).message).toStartWith("linux.sysctl.net.ipv4.ip_forward: needs the container's own network namespace");
    expect(refusal(() => specFromConfig(withSysctl({ "net/../../kernel/core_pattern": "|x" }), "/b", host)).message).toBe("linux.sysctl.net/../../kernel/core_pattern: is not a sysctl name");
  });

  test("a CPU quota above the machine's CPUs is an OCI caller's right, as with runc", () => {
    const c = sample("ctr-memory-limit");
    c.linux.resources.cpu = { quota: 800000, period: 100000 };
    expect(specFromConfig(c, "/b", host).linux.resources.cpu?.quota).toBe(800000);
  });
});

describe("an OCI container's plan", () => {
  test("namespaces by path are joined, not made; no hostname, no /etc files of contain's", () => {
    const c = sample("ctr-memory-limit");
    c.linux.namespaces[4] = { type: "network", path: "/var/run/netns/cni-1" };
    const plan = planFromSpec(specFromConfig(c, "/b", host), ID, V1, networkFromFlags({ net: "none" }));
    expect(plan.namespaces).toEqual(["pid", "ipc", "uts", "mount"]);
    expect(plan.joins).toEqual([{ type: "network", path: "/var/run/netns/cni-1" }]);
    expect(plan.hostname).toBeUndefined();
    expect(plan.mounts.map((m) => m.target)).toEqual(["/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/run"]);
    expect(plan.resources.memory).toEqual({ limit: 16777216 });
  });

  test("a cgroup mount on v1: a tmpfs of the controllers' own cgroups, bound, then sealed read-only", () => {
    const plan = planFromSpec(specFromConfig(sample("podman-run"), "/b", host), ID, V1, networkFromFlags({ net: "none" }));
    const cg = plan.mounts.filter((m) => m.target.startsWith("/sys/fs/cgroup"));
    expect(cg.map((m) => `${m.target}:${m.source}:${m.fstype ?? "bind"}:${[...m.flags, ...(m.remount ?? [])].join("|")}`)).toEqual([
      "/sys/fs/cgroup:cgroup:tmpfs:MS_NOSUID|MS_NOEXEC|MS_NODEV|MS_RELATIME",
      "/sys/fs/cgroup/memory:/sys/fs/cgroup/memory/default/c:bind:MS_BIND|MS_REC|MS_NOSUID|MS_NOEXEC|MS_NODEV|MS_RELATIME|MS_RDONLY",
      "/sys/fs/cgroup/pids:/sys/fs/cgroup/pids/default/c:bind:MS_BIND|MS_REC|MS_NOSUID|MS_NOEXEC|MS_NODEV|MS_RELATIME|MS_RDONLY",
    ]);
    // sealed after pivot_root, before the masks
    const ops = plan.ops.map((o) => o.op);
    expect(plan.ops.filter((o) => o.op === "seal")).toEqual([{ op: "seal", path: "/sys/fs/cgroup" }]);
    expect(ops.indexOf("seal")).toBeGreaterThan(ops.lastIndexOf("mknod"));
    expect(ops.indexOf("seal")).toBeLessThan(ops.indexOf("mask"));
  });

  test("a cgroup mount on v2: the container's own cgroup, bound", () => {
    const v2: PlanLayout = { ...V1, cgroup: { version: "v2", paths: { unified: "/sys/fs/cgroup/libpod_parent/x" } } };
    const plan = planFromSpec(specFromConfig(sample("podman-run"), "/b", host), ID, v2, networkFromFlags({ net: "none" }));
    expect(plan.mounts.filter((m) => m.target === "/sys/fs/cgroup").map((m) => m.source)).toEqual(["/sys/fs/cgroup/libpod_parent/x"]);
  });

  test("sysctls are set in the container's namespaces, before the masks", () => {
    const c = sample("ctr-memory-limit");
    c.linux.sysctl = { "net.ipv4.ip_forward": "1" };
    const plan = planFromSpec(specFromConfig(c, "/b", host), ID, V1, networkFromFlags({ net: "none" }));
    const ops = plan.ops.map((o) => o.op);
    expect(ops.indexOf("sysctl")).toBeLessThan(ops.indexOf("mask"));
  });
});

test("a mount's source and options may be left out, as config.md allows; a bind still needs its source", () => {
  const c = sample("ctr-memory-limit");
  c.mounts[0] = { destination: "/proc", type: "proc" };
  expect(specFromConfig(c, "/b", host).mounts?.[0]).toEqual({ destination: "/proc", type: "proc", source: "proc", options: [] });
  c.mounts[0] = { destination: "/data", type: "bind", options: ["rbind"] };
  expect(refusal(() => specFromConfig(c, "/b", host)).message).toStartWith("mounts[0]: a bind mount needs a source");
});
