// The one list of checks every front end's Spec passes through: each named
// check refuses its bad Spec and lets the default ones through (`run`'s
// defaults and `contain spec`'s config.json).
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { hostControllers } from "../../src/linux/cgroups/index.ts";
import { HOST_CHECKS, type HostTarget } from "../../src/runtime/host-checks.ts";
import { defaultConfig } from "../../src/spec/default-config.ts";
import { specFromFlags, typedFlags, type RunFlags } from "../../src/spec/from-flags.ts";
import { networkFromFlags } from "../../src/spec/network.ts";
import { specFromConfig } from "../../src/spec/oci.ts";
import { SpecSchema, validateSpec, type Spec } from "../../src/spec/schema.ts";
import { SPEC_CHECKS, type SpecTarget } from "../../src/spec/validate.ts";
import * as v from "valibot";
import { CONTEXT, refusal } from "./fixtures.ts";

const ID = "c".repeat(64);
const host = { cpus: 2 };
const RUN: RunFlags = { command: ["sh"], rootfs: "/r", tty: false };
// Through the schema only, so that each check alone is what refuses it.
const fromFlags = (flags: Partial<RunFlags> = {}): Spec => v.parse(SpecSchema, specFromFlags({ ...RUN, ...flags }, ID, CONTEXT));
const dir = mkdtempSync(`${tmpdir()}/contain-validate-`);
const fromConfig = (): Spec => specFromConfig(JSON.parse(JSON.stringify(defaultConfig())), dir, host);
const ociAt = (path: string): Spec => ({ ...fromConfig(), root: { path, readonly: true } });

const specCheck = (name: string) => {
  const c = SPEC_CHECKS.find((x) => x.name === name);
  if (!c) throw new Error(`no check ${name}`);
  return (target: SpecTarget) => c.check(target);
};
const hostCheck = (name: string) => {
  const c = HOST_CHECKS.find((x) => x.name === name);
  if (!c) throw new Error(`no check ${name}`);
  return (target: HostTarget) => c.check(target);
};

// Each check's bad Spec and the field its refusal names.
const SPEC_CASES: Record<string, { bad: () => SpecTarget; field: string }> = {
  "cpu quota within the machine": { bad: () => ({ spec: fromFlags({ cpus: "3" }), host, typed: typedFlags({ ...RUN, cpus: "3" }) }), field: "--cpus" },
  "device numbers": {
    bad: () => {
      const spec = fromConfig();
      return { spec: { ...spec, linux: { ...spec.linux, devices: [{ path: "/dev/x", type: "c" }] } }, host, typed: "json" };
    },
    field: "linux.devices[0]",
  },
  "bind mount options": { bad: () => ({ spec: { ...fromFlags(), mounts: [{ destination: "/c", type: "bind", source: "/h", options: ["size=1m"] }] }, host, typed: {} }), field: "mounts /c" },
  "overlay root path": { bad: () => ({ spec: fromFlags({ rootfs: "/a,b" }), host, typed: {} }), field: "--rootfs" },
};

describe("the Spec's checks", () => {
  test("every check has a bad Spec here", () => {
    expect(SPEC_CHECKS.map((c) => c.name).sort()).toEqual(Object.keys(SPEC_CASES).sort());
  });
  for (const [name, { bad, field }] of Object.entries(SPEC_CASES))
    test(`${name}: refuses its bad Spec, passes the default ones`, () => {
      expect(refusal(() => specCheck(name)(bad())).field).toBe(field);
      expect(() => specCheck(name)({ spec: fromFlags(), host, typed: {} })).not.toThrow();
      expect(() => specCheck(name)({ spec: fromConfig(), host, typed: "json" })).not.toThrow();
    });

  test("validateSpec runs them in order, after the schema", () => {
    // Both a device without numbers and an unknown bind option: the device's is first.
    const spec = SPEC_CASES["device numbers"]?.bad().spec as Spec;
    const both = { ...spec, mounts: [{ destination: "/c", type: "bind", source: "/h", options: ["size=1m"] }] };
    expect(refusal(() => validateSpec(both, host, "json")).field).toBe("linux.devices[0]");
    expect(refusal(() => validateSpec({ ...both, process: { ...both.process, args: [] } }, host, "json")).field).toBe("process.args");
  });
});

// On a cgroup v1 host, v2 files; on v2, a controller the host does not have.
function unusableResources(): Spec["linux"]["resources"] | undefined {
  const { version, controllers } = hostControllers();
  if (version === "v1") return { unified: { "memory.high": "1" } };
  return controllers.includes("hugetlb") ? undefined : { hugepageLimits: [{ pageSize: "2MB", limit: 0 }] };
}

const none = networkFromFlags({ net: "none" });
const HOST_CASES: Record<string, { bad: () => HostTarget | undefined; field: string }> = {
  "root directory": { bad: () => ({ spec: ociAt(`${dir}/nonexistent`), network: none }), field: "root.path" },
  // Refused only where the host has AppArmor, which an unapplied profile would leave unenforced.
  "security labels": {
    bad: () => (readOptional("/sys/module/apparmor/parameters/enabled")?.trim() === "Y" ? { spec: { ...ociAt(dir), process: { ...fromConfig().process, apparmorProfile: "p" } }, network: none } : undefined),
    field: "process.apparmorProfile",
  },
  "cgroup support": {
    bad: () => {
      const resources = unusableResources();
      const spec = ociAt(dir);
      return resources && { spec: { ...spec, linux: { ...spec.linux, resources } }, network: none };
    },
    field: `linux.resources.${hostControllers().version === "v1" ? "unified" : "hugepageLimits"}`,
  },
  // A deny that would punch a hole in a wider allow, as runc refuses it.
  "device rules": {
    bad: () => {
      const spec = fromFlags();
      const devices = [{ allow: false }, { allow: true, type: "c" as const, major: 1, access: "rw" }, { allow: false, type: "c" as const, major: 1, minor: 3, access: "w" }];
      return { spec: { ...spec, linux: { ...spec.linux, resources: { ...spec.linux.resources, devices } } }, network: none };
    },
    field: "linux.resources.devices[2]",
  },
  "bridge network": { bad: () => ({ spec: fromFlags(), network: networkFromFlags({ bridge: "lo" }) }), field: "--bridge" },
};

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

describe("the host's checks", () => {
  test("every check has a bad Spec here", () => {
    expect(HOST_CHECKS.map((c) => c.name).sort()).toEqual(Object.keys(HOST_CASES).sort());
  });
  for (const [name, { bad, field }] of Object.entries(HOST_CASES))
    test(`${name}: refuses its bad Spec (where this host can tell), passes the default ones`, () => {
      const target = bad();
      if (target) expect(refusal(() => hostCheck(name)(target)).field).toStartWith(field);
      expect(() => hostCheck(name)({ spec: fromFlags(), network: none })).not.toThrow();
      expect(() => hostCheck(name)({ spec: ociAt(dir), network: none })).not.toThrow();
    });

  test("a label this host has no LSM for is ignored, and said so", () => {
    if (readOptional("/sys/module/apparmor/parameters/enabled")?.trim() === "Y") return;
    const said: string[] = [];
    const log = { debug: (m: string) => said.push(m) } as unknown as HostTarget["log"];
    hostCheck("security labels")({ spec: { ...ociAt(dir), process: { ...fromConfig().process, apparmorProfile: "p" } }, network: none, log });
    expect(said).toEqual(["process.apparmorProfile p: ignored, this host has no AppArmor"]);
  });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));
