// `contain spec`'s config.json: read back by specFromConfig, planned, and
// made of the same defaults `contain run` gives a container.
import { expect, test } from "bun:test";
import { planFromSpec } from "../../src/plan/plan.ts";
import { defaultConfig } from "../../src/spec/default-config.ts";
import { specFromFlags } from "../../src/spec/from-flags.ts";
import { networkFromFlags } from "../../src/spec/network.ts";
import { specFromConfig } from "../../src/spec/oci.ts";
import { OCI_VERSION_MAX } from "../../src/spec/version.ts";
import type { Spec } from "../../src/spec/schema.ts";
import { CONTEXT } from "./fixtures.ts";

const host = { cpus: 2 };
const ID = "c".repeat(64);
// As written to disk and read back.
const written = () => JSON.parse(JSON.stringify(defaultConfig()));

test("specFromConfig accepts it: sh on a terminal, the bundle's rootfs read-only", () => {
  const spec = specFromConfig(written(), "/bundle", host);
  expect(spec.ociVersion).toBe(OCI_VERSION_MAX);
  expect(spec.process).toMatchObject({ terminal: true, args: ["sh"], cwd: "/", user: { uid: 0, gid: 0 }, noNewPrivileges: true });
  expect(spec.root).toEqual({ path: "/bundle/rootfs", readonly: true });
  const plan = planFromSpec(spec, ID, { dir: "/s", overlayDir: "", cgroup: { version: "v1", paths: {} } }, networkFromFlags({ net: "none" }));
  // v1 with no controllers: the cgroup tmpfs alone
  expect(plan.mounts.map((m) => m.target)).toEqual(["/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/sys/fs/cgroup"]);
});

test("its mounts, paths, namespaces, capabilities and limits are contain run's defaults", () => {
  const config = written();
  const run = specFromFlags({ command: ["sh"], rootfs: "/r", tty: true }, ID, CONTEXT) as Spec;
  expect(config.mounts).toEqual(run.mounts);
  expect(config.linux.namespaces).toEqual(run.linux.namespaces);
  expect(config.linux.maskedPaths).toEqual(run.linux.maskedPaths);
  expect(config.linux.readonlyPaths).toEqual(run.linux.readonlyPaths);
  expect(config.linux.resources).toEqual({ devices: run.linux.resources.devices, pids: run.linux.resources.pids });
  const caps = run.process.capabilities;
  expect(config.process.capabilities).toEqual({ bounding: caps?.bounding, effective: caps?.effective, permitted: caps?.permitted });
  expect(config.process.env).toEqual(run.process.env.filter((e) => e.startsWith("PATH=") || e.startsWith("TERM=")));
});

test("each call is a fresh object: editing one leaves the defaults alone", () => {
  const before = written();
  const a = defaultConfig();
  a.mounts[0]?.options.push("ro");
  a.linux.maskedPaths.pop();
  a.process.capabilities.bounding.pop();
  expect(written()).toEqual(before);
});
