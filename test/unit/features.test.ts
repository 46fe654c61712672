// `contain features` says what contain implements: each claim is checked
// against the code that parses and applies it, so the document cannot drift.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { planFromSpec, type PlanLayout } from "../../src/plan/plan.ts";
import { compileSeccomp } from "../../src/plan/seccomp/compile.ts";
import { parseSeccompProfile, SECCOMP_ACTIONS, SECCOMP_ARCHES, SECCOMP_FLAGS, SECCOMP_OPS } from "../../src/plan/seccomp/profile.ts";
import { features } from "../../src/spec/features.ts";
import { networkFromFlags } from "../../src/spec/network.ts";
import { specFromConfig } from "../../src/spec/oci.ts";
import { refusal } from "./fixtures.ts";

const host = { cpus: 2 };
const doc = features({ actions: SECCOMP_ACTIONS, operators: SECCOMP_OPS, archs: SECCOMP_ARCHES, flags: SECCOMP_FLAGS });
const sample = () => JSON.parse(readFileSync(`${import.meta.dir}/oci-samples/ctr-memory-limit.json`, "utf8"));
const withConfig = (edit: (c: ReturnType<typeof sample>) => void) => {
  const c = sample();
  edit(c);
  return c;
};
const LAYOUT: PlanLayout = { dir: "/s", overlayDir: "", cgroup: { version: "v1", paths: {} } };

describe("the features document", () => {
  // features-schema.json and features-linux.json of 1.2.1: features.md allows
  // no property of a later release.
  const SCHEMA_1_2_1 = {
    ociVersionMin: 1, ociVersionMax: 1, hooks: 1, mountOptions: 1, annotations: 1, potentiallyUnsafeConfigAnnotations: 1,
    linux: {
      namespaces: 1, capabilities: 1,
      cgroup: { v1: 1, v2: 1, systemd: 1, systemdUser: 1, rdma: 1 },
      seccomp: { enabled: 1, actions: 1, operators: 1, archs: 1, knownFlags: 1, supportedFlags: 1 },
      apparmor: { enabled: 1 }, selinux: { enabled: 1 }, intelRdt: { enabled: 1 },
      mountExtensions: { idmap: { enabled: 1 } },
    },
  };
  const outside = (value: unknown, schema: unknown, at: string): string[] =>
    value && typeof value === "object" && !Array.isArray(value)
      ? Object.entries(value).flatMap(([k, v]) => {
          const sub = (schema as Record<string, unknown>)[k];
          return sub === undefined ? [`${at}${k}`] : sub === 1 ? [] : outside(v, sub, `${at}${k}.`);
        })
      : [];

  test("has only the properties of ociVersionMax's release", () => {
    expect(outside(doc, SCHEMA_1_2_1, "")).toEqual([]);
  });

  test("every mount option listed is one a bind mount takes; one not listed is refused, not dropped", () => {
    const mount = (options: string[]) => {
      const spec = specFromConfig(withConfig((c) => c.mounts.push({ destination: "/mnt", type: "bind", source: "/srv", options })), "/b", host);
      return planFromSpec(spec, "c".repeat(64), LAYOUT, networkFromFlags({ net: "none" }));
    };
    for (const o of doc.mountOptions) expect(() => mount([o])).not.toThrow();
    // Not listed, and a bind mount refuses it rather than dropping it.
    expect(doc.mountOptions).not.toContain("tmpcopyup");
    expect(() => mount(["tmpcopyup"])).toThrow('unknown option "tmpcopyup" for a bind mount');
  });

  test("every namespace and capability listed is one a config.json may name", () => {
    const spec = specFromConfig(
      withConfig((c) => {
        c.linux.namespaces = doc.linux.namespaces.map((type) => ({ type }));
        c.process.capabilities = { bounding: doc.linux.capabilities, effective: [], permitted: [] };
      }),
      "/b",
      host,
    );
    expect(spec.linux.namespaces.length).toBe(7);
    expect(spec.process.capabilities?.bounding.length).toBe(doc.linux.capabilities.length);
    expect(doc.linux.namespaces).not.toContain("time");
    expect(refusal(() => specFromConfig(withConfig((c) => c.linux.namespaces.push({ type: "time" })), "/b", host)).message).toStartWith("linux.namespaces[5].type: ");
  });

  test("every seccomp action, operator, architecture and flag listed is parsed, and the actions and operators compile", () => {
    const { seccomp } = doc.linux;
    const compile = (profile: unknown) => compileSeccomp(parseSeccompProfile(profile, "p"), { arch: "x86_64", caps: [] });
    for (const action of seccomp.actions) expect(compile({ defaultAction: action, syscalls: [{ names: ["getpid"], action }] }).length).toBeGreaterThan(0);
    for (const op of seccomp.operators)
      expect(compile({ defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["getpid"], action: "SCMP_ACT_ERRNO", args: [{ index: 0, value: 1, op }] }] }).length).toBeGreaterThan(0);
    expect(parseSeccompProfile({ defaultAction: "SCMP_ACT_ALLOW", architectures: seccomp.archs, flags: seccomp.knownFlags }, "p").architectures.length).toBe(seccomp.archs.length);
    // A seccomp agent is not supported: not listed, and refused.
    expect(seccomp.actions).not.toContain("SCMP_ACT_NOTIFY");
    expect(() => parseSeccompProfile({ defaultAction: "SCMP_ACT_NOTIFY" }, "p")).toThrow("needs a seccomp agent");
    expect(seccomp.supportedFlags.every((f) => seccomp.knownFlags.includes(f))).toBe(true);
    expect(seccomp.supportedFlags).not.toContain("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV");
  });

  test("what it says contain does not do, specFromConfig refuses by name", () => {
    expect(doc.hooks).toEqual(["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"]);
    expect(doc.linux.cgroup.rdma).toBe(false);
    expect(doc.linux.intelRdt.enabled).toBe(false);
    expect(doc.linux.mountExtensions.idmap.enabled).toBe(false);
    const notYet = (edit: (c: ReturnType<typeof sample>) => void) => refusal(() => specFromConfig(withConfig(edit), "/b", host)).message;
    expect(notYet((c) => (c.linux.resources.rdma = { mlx5_1: { hcaHandles: 3 } }))).toBe("linux.resources.rdma: contain does not support this field yet");
    expect(notYet((c) => (c.linux.intelRdt = { closID: "a" }))).toBe("linux.intelRdt: contain does not support this field yet");
    expect(notYet((c) => (c.mounts[0].uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }]))).toBe("mounts[0].uidMappings: contain does not support this field yet");
  });

  test("and what it says contain does, it reads", () => {
    expect(doc.linux.seccomp.enabled).toBe(true);
    const spec = specFromConfig(withConfig((c) => (c.linux.seccomp = { defaultAction: "SCMP_ACT_ALLOW" })), "/b", host);
    expect(spec.linux.seccomp).toEqual({ defaultAction: "SCMP_ACT_ALLOW" });
    expect(doc.linux.cgroup).toEqual({ v1: true, v2: true, systemd: false, systemdUser: false, rdma: false });
  });
});
