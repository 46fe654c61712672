// Kubernetes' CRI as the kubelet drives it: containerd 1.6 (Debian 12) with
// its CRI plugin, started by the test in a sandbox (sandbox.ts) with a config
// of its own, and a small CRI v1 client (cri/api.proto) on its gRPC socket.
// Pods run through containerd-shim-runc-v2 with the runtime handler a pod
// names: `contain` (the runtime under test), `runc` and `crun`, each the
// shim's runc binary. Images are built here and imported, never pulled: the
// sandbox's network has no way out. A pod's cgroups are
// /clients-cri-<pid>/<id> (its cgroup_parent), its network a veth on a
// bridge of the sandbox's own.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import type { Subprocess } from "bun";
import { CLIENT_PACKAGES, ensurePackages } from "../setup.ts";
import { daemonConfig } from "./containerd.ts";
import { IMAGE, ociArchive } from "./image.ts";
import { type Result, runClient, RUNTIME, Sandbox, waitFor } from "./sandbox.ts";

export { IMAGE };

// The pod's pause image: the busybox root, waiting until SIGTERM, which it
// answers with exit 0 (a shell as pid 1 has no default action for it).
export const PAUSE = "localhost/pause:clients";
const PAUSE_CMD = ["/bin/sh", "-c", "trap 'exit 0' TERM INT; while :; do sleep 3600 & wait $!; done"];

export const BRIDGE = "crit0";
export const SUBNET = "10.99.0.0/24";

// The runtimes a pod can name, where installed.
export const HANDLERS: Record<string, string> = { contain: RUNTIME, runc: "/usr/sbin/runc", crun: "/usr/bin/crun" };
export const hasHandler = (name: string) => existsSync(HANDLERS[name] ?? "");

// containerd-shim-runc-v2 gives every runtime this root (its default, and the
// CRI's containerd namespace), whatever the config says.
const RUNTIME_ROOT = "/run/containerd/runc/k8s.io";

function config(dir: string): string {
  const runtimes = Object.entries(HANDLERS)
    .filter(([name]) => hasHandler(name))
    .map(
      ([name, bin]) => `
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.${name}]
  runtime_type = "io.containerd.runc.v2"
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.${name}.options]
  BinaryName = "${bin}"`,
    )
    .join("\n");
  return `${daemonConfig(dir)}
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${PAUSE}"
  # The sandbox asks for oom_score_adj -998, which needs CAP_SYS_RESOURCE,
  # missing here: this caps it at containerd's own.
  restrict_oom_score_adj = true
  # The plugin serves exec and attach streams from its start (ExecSync needs
  # none): on the sandbox's loopback, any free port.
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"

[plugins."io.containerd.grpc.v1.cri".containerd]
  default_runtime_name = "runc"

[plugins."io.containerd.grpc.v1.cri".cni]
  bin_dir = "/usr/lib/cni"
  conf_dir = "${dir}/cni"
  max_conf_num = 1
${runtimes}
`;
}

// The pods' network: a bridge in the sandbox's network namespace that is the
// pods' gateway, no masquerade (nothing is to leave the sandbox, and no
// iptables rules are made). The CRI plugin brings up each pod's loopback
// itself, with the same plugins' `loopback`.
function conflist(): string {
  return JSON.stringify({
    cniVersion: "1.0.0",
    name: "clients-cri",
    plugins: [{ type: "bridge", bridge: BRIDGE, isGateway: true, ipMasq: false, ipam: { type: "host-local", ranges: [[{ subnet: SUBNET }]] } }],
  });
}

// The CRI v1 messages the test sends and reads, as proto-loader gives them:
// field names as in the .proto, enums as their names, int64 as numbers.
export type NamespaceMode = "POD" | "CONTAINER" | "NODE" | "TARGET";

export interface PodSandboxConfig {
  metadata: { name: string; uid: string; namespace: string };
  hostname?: string;
  log_directory?: string;
  linux?: { cgroup_parent?: string; security_context?: { namespace_options?: { network?: NamespaceMode; pid?: NamespaceMode; ipc?: NamespaceMode } } };
}

export interface ContainerConfig {
  metadata: { name: string };
  image: { image: string };
  command?: string[];
  args?: string[];
  log_path?: string;
  linux?: { resources?: LinuxContainerResources };
}

export interface LinuxContainerResources {
  cpu_period?: number;
  cpu_quota?: number;
  cpu_shares?: number;
  memory_limit_in_bytes?: number;
  oom_score_adj?: number;
}

export type ContainerState = "CONTAINER_CREATED" | "CONTAINER_RUNNING" | "CONTAINER_EXITED" | "CONTAINER_UNKNOWN";

export interface PodSandboxStatus {
  state: "SANDBOX_READY" | "SANDBOX_NOTREADY";
  network: { ip: string } | null;
  runtime_handler: string;
}

export interface ContainerStatus {
  id: string;
  state: ContainerState;
  exit_code: number;
  reason: string;
  log_path: string;
}

export interface Container {
  id: string;
  state: ContainerState;
}

const PROTO = resolve(import.meta.dir, "cri/api.proto");

// A promise per unary call of runtime.v1, on one gRPC channel. `info` is
// containerd's verbose answer: JSON that holds the task's pid.
export class CriClient {
  private readonly client: grpc.Client;
  private readonly services: Record<"RuntimeService" | "ImageService", grpc.ServiceDefinition>;

  constructor(socket: string) {
    const def = protoLoader.loadSync(PROTO, { keepCase: true, longs: Number, enums: String, defaults: true });
    const v1 = (grpc.loadPackageDefinition(def).runtime as grpc.GrpcObject).v1 as grpc.GrpcObject;
    const service = (name: string) => (v1[name] as grpc.ServiceClientConstructor).service;
    this.services = { RuntimeService: service("RuntimeService"), ImageService: service("ImageService") };
    this.client = new grpc.Client(`unix://${socket}`, grpc.credentials.createInsecure());
  }

  private call<T>(service: "RuntimeService" | "ImageService", method: string, request: object, timeoutMs = 60_000): Promise<T> {
    const m = this.services[service][method];
    if (!m) throw new Error(`no method ${service}.${method} in ${PROTO}`);
    return new Promise((resolve, reject) =>
      this.client.makeUnaryRequest(m.path, m.requestSerialize, m.responseDeserialize, request, { deadline: Date.now() + timeoutMs }, (err, res) =>
        err ? reject(new Error(`${method}: ${err.details || err.message}`, { cause: err })) : resolve(res as T),
      ),
    );
  }

  version(): Promise<{ version: string; runtime_name: string; runtime_version: string; runtime_api_version: string }> {
    return this.call("RuntimeService", "Version", { version: "v1" }, 5_000);
  }

  async imageStatus(image: string): Promise<{ id: string } | null> {
    return (await this.call<{ image: { id: string } | null }>("ImageService", "ImageStatus", { image: { image } }, 5_000)).image;
  }

  async runPodSandbox(config: PodSandboxConfig, handler: string): Promise<string> {
    return (await this.call<{ pod_sandbox_id: string }>("RuntimeService", "RunPodSandbox", { config, runtime_handler: handler })).pod_sandbox_id;
  }

  async stopPodSandbox(id: string): Promise<void> {
    await this.call("RuntimeService", "StopPodSandbox", { pod_sandbox_id: id });
  }

  async removePodSandbox(id: string): Promise<void> {
    await this.call("RuntimeService", "RemovePodSandbox", { pod_sandbox_id: id });
  }

  podSandboxStatus(id: string): Promise<{ status: PodSandboxStatus; info: Record<string, string> }> {
    return this.call("RuntimeService", "PodSandboxStatus", { pod_sandbox_id: id, verbose: true });
  }

  async createContainer(podId: string, config: ContainerConfig, podConfig: PodSandboxConfig): Promise<string> {
    return (await this.call<{ container_id: string }>("RuntimeService", "CreateContainer", { pod_sandbox_id: podId, config, sandbox_config: podConfig })).container_id;
  }

  async startContainer(id: string): Promise<void> {
    await this.call("RuntimeService", "StartContainer", { container_id: id });
  }

  // `timeout` in seconds: how long SIGTERM has before SIGKILL.
  async stopContainer(id: string, timeout: number): Promise<void> {
    await this.call("RuntimeService", "StopContainer", { container_id: id, timeout }, (timeout + 60) * 1000);
  }

  async removeContainer(id: string): Promise<void> {
    await this.call("RuntimeService", "RemoveContainer", { container_id: id });
  }

  async listContainers(podId = ""): Promise<Container[]> {
    return (await this.call<{ containers: Container[] }>("RuntimeService", "ListContainers", { filter: { pod_sandbox_id: podId } })).containers;
  }

  containerStatus(id: string): Promise<{ status: ContainerStatus; info: Record<string, string> }> {
    return this.call("RuntimeService", "ContainerStatus", { container_id: id, verbose: true });
  }

  // `timeout` in seconds.
  async execSync(id: string, cmd: string[], timeout = 10): Promise<Result> {
    const r = await this.call<{ stdout: Buffer; stderr: Buffer; exit_code: number }>("RuntimeService", "ExecSync", { container_id: id, cmd, timeout }, (timeout + 10) * 1000);
    return { code: r.exit_code, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
  }

  close(): void {
    this.client.close();
  }
}

// The task's pid in containerd's verbose info.
const infoPid = (info: Record<string, string>): number => JSON.parse(info.info ?? "{}").pid ?? 0;

export interface Pod {
  id: string;
  config: PodSandboxConfig;
  handler: string;
  // The pause process, on the host.
  pid: number;
  ip: string;
}

export class Cri {
  private readonly ids = new Set<string>();
  private readonly pods = new Set<string>();

  private constructor(
    readonly sandbox: Sandbox,
    private readonly daemon: Subprocess,
    readonly client: CriClient,
  ) {}

  static async create(): Promise<Cri> {
    ensurePackages(CLIENT_PACKAGES);
    const sandbox = await Sandbox.create("cri");
    const dir = sandbox.dir;
    for (const sub of ["root", "state", "opt", "tmp", "home", "cni", "logs", "oci-pause", "oci-busybox"]) mkdirSync(`${dir}/${sub}`);
    writeFileSync(`${dir}/config.toml`, config(dir));
    writeFileSync(`${dir}/cni/10-clients-cri.conflist`, conflist());
    const env = { TMPDIR: `${dir}/tmp`, HOME: `${dir}/home` };
    const daemon = Bun.spawn(sandbox.enter(["env", `TMPDIR=${env.TMPDIR}`, "containerd", "--config", `${dir}/config.toml`]), {
      stdin: "ignore",
      stdout: Bun.file(`${dir}/containerd.log`),
      stderr: Bun.file(`${dir}/containerd.log`),
    });
    const cri = new Cri(sandbox, daemon, new CriClient(`${dir}/containerd.sock`));
    try {
      // What the test needs of containerd: its CRI plugin, loaded.
      const ctr = sandbox.tool("ctr", ["ctr", "--address", `${dir}/containerd.sock`, "--namespace", "k8s.io"], env);
      await waitFor("containerd's CRI to serve", async () => daemon.exitCode === null && (await cri.client.version().then(() => true, () => false)), 20_000);
      ociArchive(`${dir}/oci-pause`, `${dir}/pause.tar`, PAUSE, PAUSE_CMD);
      ociArchive(`${dir}/oci-busybox`, `${dir}/busybox.tar`, IMAGE);
      for (const [image, tar] of [[PAUSE, "pause.tar"], [IMAGE, "busybox.tar"]] as const) {
        const r = runClient([ctr, "images", "import", `${dir}/${tar}`]);
        if (r.code !== 0) throw new Error(`ctr images import ${tar} failed (${r.code}): ${r.stderr}`);
        // The plugin learns of an import from containerd's events, and pulls
        // an image it does not know.
        await waitFor(`the CRI plugin to see ${image}`, async () => (await cri.client.imageStatus(image)) !== null, 10_000);
      }
    } catch (e) {
      await cri.finish();
      throw e;
    }
    return cri;
  }

  // A pod's config as a kubelet gives it (no network namespace of its own
  // with `hostNetwork`: the pod is in containerd's).
  private podConfig(name: string, opts: { hostNetwork?: boolean }): PodSandboxConfig {
    const logs = `${this.sandbox.dir}/logs/${name}`;
    // The kubelet makes the log directory, not the runtime.
    mkdirSync(logs, { recursive: true });
    return {
      metadata: { name, uid: `${this.sandbox.tag}-${name}`, namespace: "clients" },
      hostname: opts.hostNetwork ? "" : name,
      log_directory: logs,
      linux: {
        cgroup_parent: `/${this.sandbox.tag}`,
        security_context: { namespace_options: { network: opts.hostNetwork ? "NODE" : "POD", pid: "POD", ipc: "POD" } },
      },
    };
  }

  private async runPodSandbox(config: PodSandboxConfig, handler: string): Promise<string> {
    const id = await this.client.runPodSandbox(config, handler);
    this.ids.add(id);
    this.pods.add(id);
    return id;
  }

  // A container of the pod `podId` made and started; its log is <pod's log
  // dir>/<name>.log.
  private async createAndStart(podId: string, pod: PodSandboxConfig, name: string, command: string[], resources: LinuxContainerResources): Promise<string> {
    const config: ContainerConfig = { metadata: { name }, image: { image: IMAGE }, command, log_path: `${name}.log`, linux: { resources } };
    const id = await this.client.createContainer(podId, config, pod);
    this.ids.add(id);
    await this.client.startContainer(id);
    return id;
  }

  // A pod of `handler`'s, ready, with its pause process and address (none
  // with `hostNetwork`).
  async runPod(name: string, handler: string, opts: { hostNetwork?: boolean } = {}): Promise<Pod> {
    const config = this.podConfig(name, opts);
    const id = await this.runPodSandbox(config, handler);
    const { status, info } = await this.client.podSandboxStatus(id);
    return { id, config, handler, pid: infoPid(info), ip: status.network?.ip ?? "" };
  }

  startContainer(pod: Pod, name: string, command: string[], resources: LinuxContainerResources = {}): Promise<string> {
    return this.createAndStart(pod.id, pod.config, name, command, resources);
  }

  // A pod of one container started as a kubelet starts it, and no more:
  // RunPodSandbox, CreateContainer, StartContainer (what the client
  // benchmark times). Returns the pod's ID.
  async startPod(name: string, handler: string, command: string[]): Promise<string> {
    const config = this.podConfig(name, {});
    const id = await this.runPodSandbox(config, handler);
    await this.createAndStart(id, config, "main", command, {});
    return id;
  }

  // StopPodSandbox and RemovePodSandbox: its containers go with it.
  async removePod(id: string): Promise<void> {
    await this.client.stopPodSandbox(id);
    await this.client.removePodSandbox(id);
    this.pods.delete(id);
  }

  // The container's status, and its task's pid on the host (0 once exited).
  async status(id: string): Promise<ContainerStatus & { pid: number }> {
    const { status, info } = await this.client.containerStatus(id);
    return { ...status, pid: infoPid(info) };
  }

  // The IDs `handler` lists in the shims' root, as the runtime itself keeps them.
  runtimeState(handler: string): string[] {
    const r = runClient(this.sandbox.enter([HANDLERS[handler] ?? handler, "--root", RUNTIME_ROOT, "list", "-q"]));
    if (r.code !== 0) return [`${handler} list failed (${r.code}): ${r.stderr.trim()}`];
    return r.stdout.split("\n").filter(Boolean);
  }

  // The network namespaces the CRI plugin holds open (in the sandbox's /run/netns).
  netns(): string[] {
    const dir = `/proc/${this.sandbox.pid}/root/run/netns`;
    return existsSync(dir) ? readdirSync(dir) : [];
  }

  // Stops and removes the pods the tests left (after a failure; their
  // containers go with them), checks every runtime's state is empty, stops
  // containerd by its pid, removes the pods' bridge, and returns what is
  // left on the machine: see Sandbox.finish.
  async finish(): Promise<string[]> {
    const left: string[] = [];
    if (this.daemon.exitCode === null) {
      for (const id of this.pods) {
        await this.client.stopPodSandbox(id).catch(() => undefined);
        await this.client.removePodSandbox(id).catch(() => undefined);
      }
      for (const handler of Object.keys(HANDLERS).filter(hasHandler)) {
        for (const id of this.runtimeState(handler)) left.push(`${handler} state ${id}`);
      }
      this.client.close();
      this.daemon.kill("SIGTERM");
      const exited = await Promise.race([this.daemon.exited, Bun.sleep(10_000).then(() => undefined)]);
      if (exited === undefined) this.daemon.kill("SIGKILL");
      await this.daemon.exited;
    }
    runClient(this.sandbox.enter(["ip", "link", "del", BRIDGE]));
    return [...left, ...(await this.sandbox.finish([...this.ids]))];
  }
}
