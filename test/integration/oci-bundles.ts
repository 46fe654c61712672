// OCI bundles for the tests of runc's command line (oci*.test.ts): a work
// directory, a busybox root, bundles as ctr makes them, and the calls as
// conmon makes them.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { busyboxTree, type Harness } from "./harness.ts";

export function ociBundles(h: Harness, name: string) {
  const work = mkdtempSync(`/tmp/contain-test-${name}-`);
  const rootfs = busyboxTree();

  // A bundle as ctr makes one (test/unit/oci-samples: 16M of memory), with
  // the busybox root, the given command, and the caller's changes.
  const bundle = (id: string, args: string[], change: (c: Record<string, any>) => void = () => {}): string => {
    const dir = `${work}/${id}`;
    mkdirSync(dir, { recursive: true });
    const config = JSON.parse(readFileSync(`${import.meta.dir}/../unit/oci-samples/ctr-memory-limit.json`, "utf8"));
    config.root = { path: rootfs, readonly: true };
    config.process.args = args;
    delete config.linux.cgroupsPath;
    change(config);
    writeFileSync(`${dir}/config.json`, JSON.stringify(config));
    return dir;
  };

  // A command whose stdout and stderr the container inherits, as conmon's
  // pipes: files here, since a pipe would stay open as long as the container.
  const withFiles = (id: string, args: string[]) => {
    const [out, err] = [`${work}/${id}.out`, `${work}/${id}.err`];
    const r = Bun.spawnSync([h.bin, args[0] ?? "", ...h.rootFlags, ...args.slice(1)], { stdout: Bun.file(out), stderr: Bun.file(err), stdin: "ignore", timeout: 30_000 });
    const read = (f: string) => (existsSync(f) ? readFileSync(f, "utf8") : "");
    return { code: r.exitCode, stderr: read(err), out: () => read(out) };
  };

  return {
    work,
    rootfs,
    bundle,
    withFiles,
    // `create` as conmon runs it.
    create: (id: string, dir: string, extra: string[] = []) => withFiles(id, ["create", "--bundle", dir, "--pid-file", `${work}/${id}.pid`, ...extra, id]),
    state: (id: string) => JSON.parse(h.run(["state", id]).stdout),
    // A container's cgroup of a v1 controller: under ours, as runc nests them.
    cgroupDir: (controller: string, id: string) =>
      `/sys/fs/cgroup/${controller}${readFileSync("/proc/self/cgroup", "utf8").match(new RegExp(`:${controller}:(.*)`))?.[1]?.replace(/\/$/, "") ?? ""}/contain/${id}`,
    dispose: () => {
      rmSync(work, { recursive: true, force: true });
      rmSync(rootfs, { recursive: true, force: true });
    },
  };
}
