// Devices: docker's flags to OCI nodes and rules, and the Plan's nodes and
// rules derived together from them.
import { describe, expect, test } from "bun:test";
import { v1Writes } from "../../src/linux/cgroups/v1.ts";
import { containerDevices } from "../../src/plan/devices.ts";
import { planFromSpec } from "../../src/plan/plan.ts";
import { specFromFlags, type RunFlags } from "../../src/spec/from-flags.ts";
import { networkFromFlags } from "../../src/spec/network.ts";
import { validateSpec } from "../../src/spec/schema.ts";
import { CONTEXT, refusal } from "./fixtures.ts";

const ID = "d".repeat(64);
const build = (flags: Partial<RunFlags>) => validateSpec(specFromFlags({ command: ["/bin/sh"], rootfs: "/r", tty: false, ...flags }, ID, CONTEXT), { cpus: 2 });
const plan = (flags: Partial<RunFlags>) => planFromSpec(build(flags), ID, { dir: "/s", overlayDir: "/s/rootfs", cgroup: { version: "v1", paths: {} } }, networkFromFlags({ net: "none" }));

describe("the default set", () => {
  test("runc's nodes, with exact modes and their rules after the Spec's deny-all", () => {
    const p = plan({});
    const nodes = p.ops.flatMap((o) => (o.op === "mknod" ? [`${o.path} ${o.type} ${o.major}:${o.minor} ${o.mode.toString(8)}`] : []));
    expect(nodes).toEqual(["/dev/null c 1:3 666", "/dev/zero c 1:5 666", "/dev/full c 1:7 666", "/dev/random c 1:8 666", "/dev/urandom c 1:9 666", "/dev/tty c 5:0 666"]);
    const v1 = v1Writes(p.resources).filter((w) => w.controller === "devices").map((w) => `${w.file} ${w.value}`);
    expect(v1).toEqual([
      "devices.deny a",
      "devices.deny a",
      "devices.allow c *:* m",
      "devices.allow b *:* m",
      "devices.allow c 136:* rwm",
      "devices.allow c 5:2 rwm",
      "devices.allow c 10:200 rwm",
      "devices.allow c 1:3 rwm",
      "devices.allow c 1:5 rwm",
      "devices.allow c 1:7 rwm",
      "devices.allow c 1:8 rwm",
      "devices.allow c 1:9 rwm",
      "devices.allow c 5:0 rwm",
    ]);
    // never the host's console, tty0 or kmsg
    expect(v1.some((w) => / (5:1|4:0|1:11) /.test(`${w} `))).toBe(false);
  });

  test("a node of the Spec's at a default's path replaces it, rule and all", () => {
    const spec = build({});
    const own = { ...spec, linux: { ...spec.linux, devices: [{ path: "/dev/null", type: "c" as const, major: 1, minor: 5, fileMode: 0o600 }] } };
    const { nodes, rules } = containerDevices(own);
    expect(nodes.filter((n) => n.path === "/dev/null")).toEqual([{ path: "/dev/null", type: "c", major: 1, minor: 5, fileMode: 0o600 }]);
    expect(rules.some((r) => r.major === 1 && r.minor === 3)).toBe(false);
  });
});

describe("--device", () => {
  test("the host's node, made with its numbers, mode and owner, and allowed", () => {
    const spec = build({ devices: ["/dev/sda:/dev/xvda:r", "/dev/fuse"] });
    expect(spec.linux.devices).toEqual([
      { path: "/dev/xvda", type: "b", major: 8, minor: 0, fileMode: 0o660, uid: 0, gid: 6 },
      { path: "/dev/fuse", type: "c", major: 10, minor: 229, fileMode: 0o666, uid: 0, gid: 0 },
    ]);
    expect(spec.linux.resources.devices).toEqual([
      { allow: false, access: "rwm" },
      { allow: true, type: "b", major: 8, minor: 0, access: "r" },
      { allow: true, type: "c", major: 10, minor: 229, access: "rwm" },
    ]);
    const mknods = plan({ devices: ["/dev/sda:/dev/xvda:r"] }).ops.filter((o) => o.op === "mknod" && o.path === "/dev/xvda");
    expect(mknods).toEqual([{ op: "mknod", path: "/dev/xvda", type: "b", mode: 0o660, major: 8, minor: 0, uid: 0, gid: 6 }]);
  });

  test("a host directory gives every node under it, its own directories made first", () => {
    const p = plan({ devices: ["/dev/net:/dev/net"] });
    const i = p.ops.findIndex((o) => o.op === "mknod" && o.path === "/dev/net/tun");
    expect(i).toBeGreaterThan(0);
    expect(p.ops[i - 1]).toEqual({ op: "mkdir", path: "/dev/net", mode: 0o755 });
  });

  test("PERMS as the second part, in any order", () => {
    expect(build({ devices: ["/dev/fuse:mrw"] }).linux.resources.devices?.at(-1)).toEqual({ allow: true, type: "c", major: 10, minor: 229, access: "mrw" });
  });

  test.each([
    ["/dev/nothere", /--device: \/dev\/nothere does not exist on the host/],
    ["/dev/empty", /is not a character or block device/],
    ["/dev/fuse:/fuse", /container path "\/fuse" is not under \/dev\//],
    ["/dev/fuse:/dev/fuse:rwx", /"rwx" is not a set of permissions/],
    ["/dev/fuse:/dev/fuse:rr", /"rr" is not a set of permissions/],
    ["/dev/fuse:/dev/../etc/x", /contains "\.\."/],
    [":/dev/x", /is not HOST\[:CONTAINER\]\[:PERMS\]/],
  ])("refuses %s", (flag, message) => {
    expect(refusal(() => build({ devices: [flag] })).message).toMatch(message);
  });
});

describe("--device-cgroup-rule", () => {
  test("docker's syntax, * for any number", () => {
    expect(build({ deviceCgroupRules: ["c 10:200 rwm", "b *:* r", "a *:* m"] }).linux.resources.devices).toEqual([
      { allow: false, access: "rwm" },
      { allow: true, type: "c", major: 10, minor: 200, access: "rwm" },
      { allow: true, type: "b", major: -1, minor: -1, access: "r" },
      { allow: true, type: "a", major: -1, minor: -1, access: "m" },
    ]);
  });

  test.each(["c 10:200", "x 1:3 rwm", "c 1:3 rwx", "c one:3 r", ""])("refuses %j", (rule) => {
    expect(refusal(() => build({ deviceCgroupRules: [rule] })).message).toContain("is not \"TYPE MAJOR:MINOR PERMS\"");
  });
});

describe("--privileged", () => {
  test("every device allowed, and the host's nodes but its ptys", () => {
    const spec = build({ privileged: true });
    expect(spec.linux.resources.devices).toEqual([{ allow: true, access: "rwm" }]);
    expect(spec.linux.devices?.map((d) => d.path)).toEqual(["/dev/fuse", "/dev/net/tun", "/dev/sda"]);
    expect(v1Writes(plan({ privileged: true }).resources).filter((w) => w.controller === "devices").slice(0, 2).map((w) => `${w.file} ${w.value}`)).toEqual(["devices.deny a", "devices.allow a"]);
  });
});
