// --platform, the host's platform, and the choice of one manifest from an
// index, by containerd's rules.
import { describe, expect, test } from "bun:test";
import { formatPlatform, hostPlatform, type IndexEntry, parsePlatform, platformMatches, selectManifest } from "../../src/spec/platform.ts";

const amd64 = { os: "linux", architecture: "amd64" };
const arm64 = { os: "linux", architecture: "arm64", variant: "v8" };

describe("parsePlatform", () => {
  test.each([
    ["linux/amd64", amd64],
    ["linux/x86_64", amd64],
    ["linux/amd64/v1", amd64],
    ["linux/amd64/v3", { os: "linux", architecture: "amd64", variant: "v3" }],
    ["linux/arm64", arm64],
    ["linux/arm64/v8", arm64],
    ["linux/aarch64", arm64],
    ["linux/arm", { os: "linux", architecture: "arm", variant: "v7" }],
    ["linux/arm/v7", { os: "linux", architecture: "arm", variant: "v7" }],
    ["linux/arm/6", { os: "linux", architecture: "arm", variant: "v6" }],
    ["linux/armhf", { os: "linux", architecture: "arm", variant: "v7" }],
    ["linux/386", { os: "linux", architecture: "386" }],
    ["Linux/AMD64", amd64],
    ["amd64", amd64],
    ["arm64", arm64],
  ])("%s", (value, platform) => {
    expect(parsePlatform(value)).toEqual(platform);
  });

  test("a lone os takes the host's arch", () => {
    expect(parsePlatform("linux", arm64)).toEqual(arm64);
    expect(() => parsePlatform("linux")).toThrow(/names no architecture/);
  });

  test.each(["", "linux/", "/amd64", "linux/amd64/v8/x", "linux/amd 64", "linux/amd64:v8"])("refuses %p", (value) => {
    expect(() => parsePlatform(value)).toThrow(/invalid platform/);
  });

  test("formats back", () => {
    expect(formatPlatform(parsePlatform("linux/arm/v7"))).toBe("linux/arm/v7");
    expect(formatPlatform(parsePlatform("linux/amd64"))).toBe("linux/amd64");
  });
});

describe("hostPlatform", () => {
  test.each([
    ["x64", amd64],
    ["arm64", arm64],
    ["arm", { os: "linux", architecture: "arm", variant: "v7" }],
    ["ia32", { os: "linux", architecture: "386" }],
    ["ppc64", { os: "linux", architecture: "ppc64le" }],
    ["s390x", { os: "linux", architecture: "s390x" }],
    ["riscv64", { os: "linux", architecture: "riscv64" }],
  ])("%s", (arch, platform) => {
    expect(hostPlatform(arch)).toEqual(platform);
  });

  test("an unknown arch names the flag", () => {
    expect(() => hostPlatform("vax")).toThrow(/"vax"/);
  });
});

describe("platformMatches", () => {
  test("arm64 with no variant is v8", () => {
    expect(platformMatches(arm64, { os: "linux", architecture: "arm64" })).toBe(true);
    expect(platformMatches({ os: "linux", architecture: "arm64" }, { os: "linux", architecture: "arm64", variant: "v8" })).toBe(true);
  });
  test("arm/v7 runs v6 but not v8", () => {
    const v7 = parsePlatform("linux/arm/v7");
    expect(platformMatches(v7, parsePlatform("linux/arm/v6"))).toBe(true);
    expect(platformMatches(v7, parsePlatform("linux/arm/v8"))).toBe(false);
    expect(platformMatches(parsePlatform("linux/arm/v6"), v7)).toBe(false);
  });
  test("amd64/v3 runs plain amd64; plain amd64 does not run v3", () => {
    expect(platformMatches(parsePlatform("linux/amd64/v3"), amd64)).toBe(true);
    expect(platformMatches(amd64, parsePlatform("linux/amd64/v3"))).toBe(false);
  });
  test("the os must agree", () => {
    expect(platformMatches(amd64, { os: "windows", architecture: "amd64" })).toBe(false);
  });
});

describe("selectManifest", () => {
  const entry = (digest: string, platform?: IndexEntry["platform"], annotations?: Record<string, string>): IndexEntry => ({
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    digest,
    size: 100,
    ...(platform ? { platform } : {}),
    ...(annotations ? { annotations } : {}),
  });
  // What docker buildx pushes: images, and an attestation manifest per image.
  const index = [
    entry("sha256:amd64", { os: "linux", architecture: "amd64" }),
    entry("sha256:armv6", { os: "linux", architecture: "arm", variant: "v6" }),
    entry("sha256:arm64", { os: "linux", architecture: "arm64", variant: "v8" }),
    entry("sha256:att1", { os: "unknown", architecture: "unknown" }, { "vnd.docker.reference.type": "attestation-manifest" }),
    entry("sha256:nop"),
  ];

  test("exact os and arch", () => {
    expect(selectManifest(index, amd64, "x").digest).toBe("sha256:amd64");
  });
  test("arm64 v8 matches an entry without a variant, and the other way round", () => {
    expect(selectManifest(index, { os: "linux", architecture: "arm64" }, "x").digest).toBe("sha256:arm64");
    expect(selectManifest([entry("sha256:a", { os: "linux", architecture: "arm64" })], arm64, "x").digest).toBe("sha256:a");
  });
  test("the exact variant before an older one", () => {
    const both = [entry("sha256:v6", { os: "linux", architecture: "arm", variant: "v6" }), entry("sha256:v7", { os: "linux", architecture: "arm", variant: "v7" })];
    expect(selectManifest(both, parsePlatform("linux/arm/v7"), "x").digest).toBe("sha256:v7");
    expect(selectManifest(index, parsePlatform("linux/arm/v7"), "x").digest).toBe("sha256:armv6");
  });
  test("the first of equals", () => {
    const twice = [entry("sha256:first", amd64), entry("sha256:second", amd64)];
    expect(selectManifest(twice, amd64, "x").digest).toBe("sha256:first");
  });
  test("none: the error lists what the index has, never the attestations", () => {
    expect(() => selectManifest(index, { os: "linux", architecture: "s390x" }, "alpine:latest")).toThrow(
      "no image for linux/s390x in alpine:latest: it has linux/amd64, linux/arm/v6, linux/arm64/v8",
    );
    expect(() => selectManifest([index[3]!], amd64, "x")).toThrow("no image for linux/amd64 in x: its index lists no platform");
  });
});
