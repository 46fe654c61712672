// The pure parsers behind the filesystem and process flags.
import { describe, expect, test } from "bun:test";
import { capabilityMask, capabilitySet, DEFAULT_CAPABILITIES } from "../../src/spec/capabilities.ts";
import { parseEnvFile } from "../../src/spec/env.ts";
import { parseTmpfs, parseVolume } from "../../src/spec/mounts.ts";
import { parseUlimit } from "../../src/spec/rlimits.ts";
import { resolveUser } from "../../src/spec/users.ts";
import { CONTEXT, refusal } from "./fixtures.ts";

describe("capabilities", () => {
  test("docker's default set is mask 0xa80425fb", () => {
    expect(capabilityMask(DEFAULT_CAPABILITIES)).toBe("0xa80425fb");
  });
  test("drops first, then adds; ALL and lower-case names", () => {
    expect(capabilitySet(["net_admin"], ["CAP_CHOWN"])).toContain("CAP_NET_ADMIN");
    expect(capabilitySet(["net_admin"], ["CAP_CHOWN"])).not.toContain("CAP_CHOWN");
    expect(capabilitySet(["KILL"], ["ALL"])).toEqual(["CAP_KILL"]);
    expect(capabilitySet(["ALL"], ["SYS_ADMIN"])).not.toContain("CAP_SYS_ADMIN");
    expect(capabilitySet(["ALL"], []).length).toBeGreaterThan(40);
  });
  test("an unknown name is refused with the flag", () => {
    expect(refusal(() => capabilitySet([], ["CAP_NOPE"])).message).toBe('--cap-drop: unknown capability "CAP_NOPE"');
  });
});

describe("users", () => {
  test("names, ids, groups and HOME", () => {
    expect(resolveUser("alice", CONTEXT.passwd, CONTEXT.group)).toEqual({ uid: 1000, gid: 1000, additionalGids: [10, 50], home: "/home/alice" });
    expect(resolveUser("1000:wheel", CONTEXT.passwd, CONTEXT.group)).toEqual({ uid: 1000, gid: 10, additionalGids: [50], home: "/home/alice" });
    expect(resolveUser("4321", CONTEXT.passwd, CONTEXT.group)).toEqual({ uid: 4321, gid: 4321, additionalGids: [] });
    expect(resolveUser("0", CONTEXT.passwd, CONTEXT.group).gid).toBe(0);
  });
  test("unknown names and bad syntax are refused", () => {
    expect(refusal(() => resolveUser("bob", CONTEXT.passwd, CONTEXT.group)).message).toMatch(/no user "bob"/);
    expect(refusal(() => resolveUser("alice:", CONTEXT.passwd, CONTEXT.group)).message).toMatch(/is not USER\[:GROUP\]/);
    expect(refusal(() => resolveUser("1:2:3", "", "")).message).toMatch(/is not USER\[:GROUP\]/);
    expect(refusal(() => resolveUser("4294967295", "", "")).message).toMatch(/out of range/);
  });
});

describe("mounts", () => {
  test("volumes: modes, relative host paths, normalized targets", () => {
    expect(parseVolume("./data:/srv/data/:ro", "/home/me")).toEqual({ destination: "/srv/data", type: "bind", source: "/home/me/data", options: ["rbind", "ro"] });
    expect(parseVolume("/a:/b", "/").options).toEqual(["rbind", "rw"]);
    expect(refusal(() => parseVolume("/a:/b:rx", "/")).message).toMatch(/unknown mode "rx"/);
    expect(refusal(() => parseVolume("/a", "/")).message).toMatch(/is not HOST:CONTAINER/);
  });
  test("tmpfs: size in bytes, mode, flags", () => {
    expect(parseTmpfs("/t:size=64M,mode=1777,noexec")).toEqual({ destination: "/t", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", `size=${64 << 20}`, "mode=1777", "noexec"] });
    expect(refusal(() => parseTmpfs("t")).message).toMatch(/is not absolute/);
  });
});

describe("env files and ulimits", () => {
  test("env file: comments, blanks, bare keys from the host, CRLF", () => {
    expect(parseEnvFile("# c\nA=1\r\n\nFROM_HOST\nUNSET\nB= spaced \n", "f", { FROM_HOST: "yes" })).toEqual(["A=1", "FROM_HOST=yes", "B= spaced "]);
    expect(refusal(() => parseEnvFile("A=1\nBAD KEY=2\n", "app.env", {})).message).toBe('--env-file: app.env:2: "BAD KEY=2" is not KEY=VALUE');
  });
  test("ulimits: soft, hard, unlimited", () => {
    expect(parseUlimit("nofile=1024:4096")).toEqual({ type: "RLIMIT_NOFILE", soft: 1024, hard: 4096 });
    expect(parseUlimit("core=unlimited")).toEqual({ type: "RLIMIT_CORE", soft: -1, hard: -1 });
    expect(refusal(() => parseUlimit("nofile=unlimited:10")).message).toMatch(/soft limit is above the hard limit/);
    expect(refusal(() => parseUlimit("nofile=ten")).message).toMatch(/"ten" is not a number/);
  });
});
