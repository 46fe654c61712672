// containerd 1.6 (Debian 12), started by the test with a config of its own
// (root, state, gRPC socket and the opt plugin's directory in the sandbox,
// no CRI), and ctr, whose tasks run through containerd-shim-runc-v2 with the
// runtime under test as the shim's runc (`ctr run --runc-binary`). The
// namespace of every container is the sandbox's tag, so their cgroups are
// /clients-ctr-<pid>/<id>.
import { mkdirSync, writeFileSync } from "node:fs";
import type { Subprocess } from "bun";
import { CLIENT_PACKAGES, ensurePackages } from "../setup.ts";
import { IMAGE, ociArchive } from "./image.ts";
import { quote, requireRuntime, type Result, runClient, RUNTIME, Sandbox, waitFor } from "./sandbox.ts";

export { IMAGE };

// The daemon's own part of a config.toml: every path in the sandbox's `dir`,
// no snapshotter this machine cannot have, and `disabled` plugins.
export function daemonConfig(dir: string, disabled: string[] = []): string {
  return `version = 2
root = "${dir}/root"
state = "${dir}/state"
disabled_plugins = [
${disabled.map((p) => `  "${p}",\n`).join("")}  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs",
]

[grpc]
  address = "${dir}/containerd.sock"

[ttrpc]
  address = "${dir}/containerd.sock.ttrpc"

# Its default is /opt/containerd.
[plugins."io.containerd.internal.v1.opt"]
  path = "${dir}/opt"
`;
}

// No Kubernetes CRI for ctr (it would look for CNI and serve a port).
const config = (dir: string) => daemonConfig(dir, ["io.containerd.grpc.v1.cri"]);

export class Containerd {
  private readonly ids = new Set<string>();

  private constructor(
    readonly sandbox: Sandbox,
    private readonly daemon: Subprocess,
    private readonly bin: string,
  ) {}

  static async create(): Promise<Containerd> {
    ensurePackages(CLIENT_PACKAGES);
    requireRuntime();
    const sandbox = await Sandbox.create("ctr");
    const dir = sandbox.dir;
    for (const sub of ["root", "state", "opt", "tmp", "home", "oci"]) mkdirSync(`${dir}/${sub}`);
    writeFileSync(`${dir}/config.toml`, config(dir));
    const env = { TMPDIR: `${dir}/tmp`, HOME: `${dir}/home` };
    const daemon = Bun.spawn(sandbox.enter(["env", `TMPDIR=${env.TMPDIR}`, "containerd", "--config", `${dir}/config.toml`]), {
      stdin: "ignore",
      stdout: Bun.file(`${dir}/containerd.log`),
      stderr: Bun.file(`${dir}/containerd.log`),
    });
    const ctr = new Containerd(sandbox, daemon, sandbox.tool("ctr", ["ctr", "--address", `${dir}/containerd.sock`, "--namespace", sandbox.tag], env));
    try {
      await waitFor("containerd to serve", () => daemon.exitCode === null && ctr.run(["version"]).code === 0, 20_000);
      ociArchive(`${dir}/oci`, `${dir}/image.tar`);
      const r = ctr.run(["images", "import", `${dir}/image.tar`]);
      if (r.code !== 0) throw new Error(`ctr images import failed (${r.code}): ${r.stderr}`);
    } catch (e) {
      await ctr.finish();
      throw e;
    }
    return ctr;
  }

  // A container ID of this sandbox: <name>-<pid>, so the cgroup walk of
  // finish() knows it anywhere.
  id(name: string): string {
    const id = `${name}-${process.pid}`;
    this.ids.add(id);
    return id;
  }

  // ctr's argv: `run` gets the runtime under test as the shim's runc.
  argv(args: string[]): string[] {
    const [sub, ...rest] = args;
    if (sub === "run") return [this.bin, "run", "--runc-binary", RUNTIME, ...rest];
    return [this.bin, ...args];
  }

  // As a shell command line, for tmux.
  commandLine(args: string[]): string {
    return this.argv(args).map(quote).join(" ");
  }

  run(args: string[], opts: { stdin?: string; timeout?: number } = {}): Result {
    return runClient(this.argv(args), opts);
  }

  // The task's status in `ctr task ls`: RUNNING, PAUSED, STOPPED, or undefined.
  status(id: string): { pid: number; status: string } | undefined {
    const row = this.run(["task", "ls"])
      .stdout.split("\n")
      .map((l) => l.trim().split(/\s+/))
      .find((cols) => cols[0] === id);
    return row ? { pid: Number(row[1]), status: row[2] ?? "" } : undefined;
  }

  // Removes what the tests left (after a failure), stops containerd by its
  // pid, and returns what is left on the machine: see Sandbox.finish.
  async finish(): Promise<string[]> {
    if (this.daemon.exitCode === null) {
      for (const id of this.run(["containers", "ls", "-q"]).stdout.split("\n").filter(Boolean)) {
        this.run(["task", "kill", "--signal", "SIGKILL", id]);
        this.run(["task", "delete", "--force", id]);
        this.run(["containers", "rm", id]);
      }
      this.daemon.kill("SIGTERM");
      const exited = await Promise.race([this.daemon.exited, Bun.sleep(10_000).then(() => undefined)]);
      if (exited === undefined) this.daemon.kill("SIGKILL");
      await this.daemon.exited;
    }
    return this.sandbox.finish([...this.ids]);
  }
}
