// podman 4.3 (Debian 12) driving the runtime under test through conmon, with
// all its state in a sandbox (sandbox.ts): --root, --runroot and --tmpdir
// there, and containers.conf, storage.conf and registries.conf written there
// and named by CONTAINERS_CONF, CONTAINERS_STORAGE_CONF and
// CONTAINERS_REGISTRIES_CONF, so nothing of /etc/containers or
// /var/lib/containers is used.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename } from "node:path";
import { CLIENT_PACKAGES, ensurePackages } from "../setup.ts";
import { busyboxTarball, IMAGE } from "./image.ts";
import { quote, requireRuntime, type Result, runClient, RUNTIME, Sandbox } from "./sandbox.ts";

export { IMAGE };

function containersConf(dir: string): string {
  return `[containers]
# podman asks for RLIMIT_NOFILE and RLIMIT_NPROC of 1048576 by default, above
# this machine's hard limits (nofile 20000, nproc 96363): setrlimit fails with
# EPERM in the runtime ("error setting rlimit type 7"; type 6 once nofile is
# lowered). These are within them.
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
log_driver = "k8s-file"
# No network unless a test asks for one (--network NAME): the runtime makes
# an empty network namespace itself.
netns = "none"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "${dir}/events.log"
tmp_dir = "${dir}/tmp"
hooks_dir = ["${dir}/hooks"]
pull_policy = "never"
# podman passes --log-format=json (and reads errors as JSON) to the runtimes
# it knows; the one under test is treated as runc is.
runtime_supports_json = ["crun", "runc", "kata", "runsc", "krun", "${basename(RUNTIME)}"]

[network]
# Not netavark: as root it keeps its address database in
# /run/containers/networks whatever the config says.
network_backend = "cni"
cni_plugin_dirs = ["/usr/lib/cni"]
network_config_dir = "${dir}/networks"
`;
}

function storageConf(dir: string): string {
  return `[storage]
driver = "overlay"
graphroot = "${dir}/root"
runroot = "${dir}/run"
`;
}

export class Podman {
  private constructor(
    readonly sandbox: Sandbox,
    private readonly bin: string,
  ) {}

  static async create(): Promise<Podman> {
    ensurePackages(CLIENT_PACKAGES);
    requireRuntime();
    const sandbox = await Sandbox.create("podman");
    const dir = sandbox.dir;
    for (const sub of ["etc", "root", "run", "tmp", "hooks", "networks", "home"]) mkdirSync(`${dir}/${sub}`);
    writeFileSync(`${dir}/etc/containers.conf`, containersConf(dir));
    writeFileSync(`${dir}/etc/storage.conf`, storageConf(dir));
    writeFileSync(`${dir}/etc/registries.conf`, "unqualified-search-registries = []\n");
    const env = {
      CONTAINERS_CONF: `${dir}/etc/containers.conf`,
      CONTAINERS_STORAGE_CONF: `${dir}/etc/storage.conf`,
      CONTAINERS_REGISTRIES_CONF: `${dir}/etc/registries.conf`,
      HOME: `${dir}/home`,
      TMPDIR: `${dir}/tmp`,
    };
    const global = ["--root", `${dir}/root`, "--runroot", `${dir}/run`, "--tmpdir", `${dir}/tmp`, "--storage-driver", "overlay", "--runtime", RUNTIME];
    const podman = new Podman(sandbox, sandbox.tool("podman", ["podman", ...global], env));
    const r = podman.run(["import", busyboxTarball(), IMAGE]);
    if (r.code !== 0) {
      await sandbox.finish([]);
      throw new Error(`podman import failed (${r.code}): ${r.stderr}`);
    }
    return podman;
  }

  // The cgroups of this sandbox's containers: /clients-podman-<pid>/libpod-<id>,
  // and /clients-podman-<pid>/conmon for conmon.
  get cgroupParent(): string {
    return `/${this.sandbox.tag}`;
  }

  // podman's argv: `run` and `create` get the sandbox's cgroup parent first.
  argv(args: string[]): string[] {
    const [sub, ...rest] = args;
    if (sub === "run" || sub === "create") return [this.bin, sub, "--cgroup-parent", this.cgroupParent, ...rest];
    return [this.bin, ...args];
  }

  // As a shell command line, for tmux.
  commandLine(args: string[]): string {
    return this.argv(args).map(quote).join(" ");
  }

  run(args: string[], opts: { stdin?: string; timeout?: number } = {}): Result {
    return runClient(this.argv(args), opts);
  }

  // Every container this podman made, by podman's event log.
  containerIds(): string[] {
    let log = "";
    try {
      log = readFileSync(`${this.sandbox.dir}/events.log`, "utf8");
    } catch {
      return [];
    }
    const ids = new Set<string>();
    for (const line of log.split("\n").filter(Boolean)) {
      try {
        const e = JSON.parse(line);
        if (e.Type === "container" && typeof e.ID === "string") ids.add(e.ID);
      } catch {
        // a line being written
      }
    }
    return [...ids];
  }

  // Removes what the tests left (after a failure) and returns what is left
  // on the machine: see Sandbox.finish.
  async finish(networks: string[] = []): Promise<string[]> {
    this.run(["rm", "--all", "--force", "--time", "0"]);
    for (const n of networks) this.run(["network", "rm", "--force", n]);
    return this.sandbox.finish(this.containerIds(), ["conmon"]);
  }
}
