// Kubernetes' CRI (containerd 1.6's CRI plugin, through containerd-shim-runc-v2)
// running pods with each runtime handler: runc first, so a failure of
// contain's can be told from a quirk of the machine, then contain. Each check
// reads what the kernel did: addresses and namespaces of the processes, their
// output, the exit status of a process the memory cgroup killed, and what is
// left on the machine at the end.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, readlinkSync } from "node:fs";
import { BRIDGE, Cri, hasHandler, HANDLERS, type Pod, SUBNET } from "./cri.ts";
import { findCgroups } from "../integration/harness.ts";
import { requireRuntime, runClient, waitFor } from "./sandbox.ts";

const prefix = SUBNET.split(".").slice(0, 3).join(".");
const ns = (pid: number, kind: string) => readlinkSync(`/proc/${pid}/ns/${kind}`);

for (const handler of ["runc", "contain"]) {
  // runc proves the checks; without it they are skipped, and say why. A
  // missing ./contain fails, as in every client test.
  const skip = handler === "runc" && !hasHandler(handler);
  describe.skipIf(skip)(`CRI pods with the ${handler} handler${skip ? ` (skipped: no ${HANDLERS[handler]})` : ""}`, () => {
    let cri: Cri;
    let pod: Pod;
    let main = "";
    // Every container of `pod`, for the cgroup check at its removal.
    const ids: string[] = [];

    beforeAll(async () => {
      if (handler === "contain") requireRuntime();
      cri = await Cri.create();
    }, 60_000);

    afterAll(async () => {
      if (cri) expect(await cri.finish()).toEqual([]);
    }, 60_000);

    test("a pod sandbox runs, with an address on the test's subnet", async () => {
      pod = await cri.runPod("web", handler);
      ids.push(pod.id);
      // The handler's runtime made it: it keeps the pod in its state.
      expect((await cri.client.podSandboxStatus(pod.id)).status).toMatchObject({ state: "SANDBOX_READY", runtime_handler: handler });
      expect(cri.runtimeState(handler)).toContain(pod.id);
      expect(pod.ip.startsWith(`${prefix}.`)).toBe(true);
      expect(readFileSync(`/proc/${pod.pid}/cmdline`, "utf8")).toContain("trap 'exit 0' TERM INT");
      // The address as the pause's network namespace has it.
      const addr = runClient(["nsenter", "-t", String(pod.pid), "-n", "ip", "-4", "-o", "addr", "show", "eth0"]);
      expect(addr.stdout).toContain(`inet ${pod.ip}/24`);
      // Its loopback is up: the CRI plugin's own loopback plugin ran.
      expect(runClient(["nsenter", "-t", String(pod.pid), "-n", "ip", "-o", "link", "show", "lo"]).stdout).toContain("UP");
    });

    test("a container shares the pod's network, pid, ipc and uts namespaces, and has its hostname", async () => {
      main = await cri.startContainer(pod, "main", ["sh", "-c", "echo started-ok; echo to-stderr >&2; exec sleep 1000"]);
      ids.push(main);
      const status = await cri.status(main);
      expect(status.state).toBe("CONTAINER_RUNNING");
      expect(status.pid).toBeGreaterThan(0);
      for (const kind of ["net", "pid", "uts", "ipc"]) expect(ns(status.pid, kind)).toBe(ns(pod.pid, kind));
      expect(ns(status.pid, "mnt")).not.toBe(ns(pod.pid, "mnt"));

      const inside = await cri.client.execSync(main, ["sh", "-c", "ip -4 -o addr show eth0; readlink /proc/self/ns/net; readlink /proc/self/ns/pid; hostname; ps -o pid,args"]);
      expect(inside.code).toBe(0);
      expect(inside.stdout).toContain(`inet ${pod.ip}/24`);
      expect(inside.stdout).toContain(`${ns(pod.pid, "net")}\n${ns(pod.pid, "pid")}\nweb\n`);
      // The pause is pid 1 of the pod's pid namespace, and the container sees it.
      expect(inside.stdout).toMatch(/^\s*1 \/bin\/sh -c trap 'exit 0' TERM INT/m);
      expect(inside.stdout).toContain("sleep 1000");
    });

    test("ExecSync: the command's stdout, stderr and exit code", async () => {
      const r = await cri.client.execSync(main, ["sh", "-c", "echo out; echo err >&2; exit 3"]);
      expect(r).toEqual({ code: 3, stdout: "out\n", stderr: "err\n" });
    });

    test("the container's log holds its stdout and stderr in the CRI log format", async () => {
      const path = `${pod.config.log_directory}/main.log`;
      expect((await cri.status(main)).log_path).toBe(path);
      const read = () => readFileSync(path, "utf8");
      await waitFor("both lines in the log", () => read().split("\n").length > 2, 5_000);
      // <RFC 3339 nano time> <stream> <F: full line, P: partial> <text>
      const lines = read().trim().split("\n").map((l) => l.split(" ").slice(1).join(" "));
      expect(lines.sort()).toEqual(["stderr F to-stderr", "stdout F started-ok"]);
      expect(read()).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+(Z|[+-]\d\d:\d\d) stdout F started-ok$/m);
    });

    test("a container over its 16 MiB memory limit is OOMKilled, exit code 137", async () => {
      // dd's buffer is one block: 64 MiB of touched memory.
      const hog = await cri.startContainer(pod, "hog", ["dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"], { memory_limit_in_bytes: 16 * 1024 * 1024 });
      ids.push(hog);
      const exited = async () => {
        const s = await cri.status(hog);
        return s.state === "CONTAINER_EXITED" && s;
      };
      await waitFor("the hog to exit", exited, 10_000);
      // containerd handles the shim's OOM event and the exit apart: on a
      // loaded machine the exit may be seen first, the reason a moment later.
      const status = await waitFor("its reason", async () => {
        const s = await exited();
        return s && s.reason === "OOMKilled" && s;
      }, 3_000).catch(() => waitFor("the hog's status", exited, 1_000));
      expect({ reason: status.reason, exit_code: status.exit_code }).toEqual({ reason: "OOMKilled", exit_code: 137 });
      await cri.client.removeContainer(hog);
    });

    // What a kubelet sends for a container with requests and limits: shares,
    // a CFS quota, a memory limit, an OOM score. Its hugepage limits (0 for
    // every page size) containerd 1.6 drops on a host without a v1 hugetlb
    // hierarchy ("hugetlb cgroup controller is absent"), as this one.
    test("a kubelet's resources are the kernel's: cpu shares and quota, memory, oom_score_adj", async () => {
      const limited = await cri.startContainer(pod, "limited", ["sleep", "1000"], {
        cpu_shares: 512,
        cpu_quota: 50_000,
        cpu_period: 100_000,
        memory_limit_in_bytes: 64 * 1024 * 1024,
        oom_score_adj: 500,
      });
      ids.push(limited);
      const { pid } = await cri.status(limited);
      // The process's directory in a v1 hierarchy.
      const read = (controller: string, file: string) => {
        const path = readFileSync(`/proc/${pid}/cgroup`, "utf8").match(new RegExp(`^\\d+:${controller}:(.*)$`, "m"))?.[1];
        return readFileSync(`/sys/fs/cgroup/${controller}${path}/${file}`, "utf8").trim();
      };
      expect(read("cpu", "cpu.shares")).toBe("512");
      expect(read("cpu", "cpu.cfs_quota_us")).toBe("50000");
      expect(read("memory", "memory.limit_in_bytes")).toBe(String(64 * 1024 * 1024));
      expect(readFileSync(`/proc/${pid}/oom_score_adj`, "utf8").trim()).toBe("500");
      await cri.client.stopContainer(limited, 0);
      await cri.client.removeContainer(limited);
    });

    test("StopContainer: a container that ignores SIGTERM is killed after the timeout (137)", async () => {
      const stubborn = await cri.startContainer(pod, "stubborn", ["sh", "-c", "trap '' TERM; echo ready; exec sleep 1000"]);
      ids.push(stubborn);
      const { pid } = await cri.status(stubborn);
      await waitFor("the trap to be set", () => readFileSync(`${pod.config.log_directory}/stubborn.log`, "utf8").includes("ready"), 5_000);
      const start = Date.now();
      await cri.client.stopContainer(stubborn, 1);
      expect(Date.now() - start).toBeGreaterThanOrEqual(1_000);
      const status = await cri.status(stubborn);
      expect({ state: status.state, exit_code: status.exit_code }).toEqual({ state: "CONTAINER_EXITED", exit_code: 137 });
      expect(existsSync(`/proc/${pid}`)).toBe(false);
    });

    test("removing the containers and the pod leaves no process, cgroup, netns, veth or runtime state", async () => {
      const cgroups = () => findCgroups((name) => ids.includes(name));
      expect(cgroups().length).toBeGreaterThan(0);
      await cri.client.stopContainer(main, 0);
      for (const c of await cri.client.listContainers(pod.id)) await cri.client.removeContainer(c.id);
      expect(await cri.client.listContainers(pod.id)).toEqual([]);
      // The pod's veth, until the pod stops.
      const veths = () => cri.sandbox.links().filter((l) => l !== "lo" && l !== BRIDGE);
      expect(veths().length).toBe(1);
      await cri.client.stopPodSandbox(pod.id);
      expect(existsSync(`/proc/${pod.pid}`)).toBe(false);
      expect(cri.netns()).toEqual([]);
      expect(veths()).toEqual([]);
      await cri.client.removePodSandbox(pod.id);
      expect(cri.runtimeState(handler)).toEqual([]);
      expect(cgroups()).toEqual([]);
    });

    test("a host-network pod: its container is in containerd's network namespace, no veth made", async () => {
      const before = cri.sandbox.links();
      const host = await cri.runPod("host", handler, { hostNetwork: true });
      const c = await cri.startContainer(host, "main", ["sleep", "1000"]);
      const { pid } = await cri.status(c);
      expect(ns(pid, "net")).toBe(ns(cri.sandbox.pid, "net"));
      expect(ns(host.pid, "net")).toBe(ns(cri.sandbox.pid, "net"));
      expect((await cri.client.execSync(c, ["readlink", "/proc/self/ns/net"])).stdout).toBe(`${ns(cri.sandbox.pid, "net")}\n`);
      expect(cri.sandbox.links()).toEqual(before);
      expect(cri.netns()).toEqual([]);
      await cri.client.stopPodSandbox(host.id);
      await cri.client.removePodSandbox(host.id);
      expect(await cri.client.listContainers(host.id)).toEqual([]);
      expect(cri.runtimeState(handler)).toEqual([]);
    });
  });
}
