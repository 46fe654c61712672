// Image references by docker's rules: what each form normalizes to, how it is
// shown, and what is refused (each with one line that says why).
import { describe, expect, test } from "bun:test";
import { apiHost, credentialsKey, familiar, format, normalize, parseReference, registryHostname } from "../../src/spec/reference.ts";

const D = `sha256:${"a".repeat(64)}`;

describe("normalize", () => {
  test.each([
    ["alpine", "docker.io", "library/alpine", "latest", undefined],
    ["alpine:3.20", "docker.io", "library/alpine", "3.20", undefined],
    ["user/app", "docker.io", "user/app", "latest", undefined],
    ["docker.io/alpine", "docker.io", "library/alpine", "latest", undefined],
    ["index.docker.io/user/app:1", "docker.io", "user/app", "1", undefined],
    ["docker.io/library/alpine:latest", "docker.io", "library/alpine", "latest", undefined],
    ["127.0.0.1:5000/x/y:t", "127.0.0.1:5000", "x/y", "t", undefined],
    ["registry.example/team/app", "registry.example", "team/app", "latest", undefined],
    ["localhost/x", "localhost", "x", "latest", undefined],
    ["localhost:5000/x", "localhost:5000", "x", "latest", undefined],
    ["[::1]:5000/x:t", "[::1]:5000", "x", "t", undefined],
    ["Host/app", "Host", "app", "latest", undefined],
    ["a/b/c/d", "docker.io", "a/b/c/d", "latest", undefined],
    ["my_app.v2__x-y--z", "docker.io", "library/my_app.v2__x-y--z", "latest", undefined],
    [`alpine@${D}`, "docker.io", "library/alpine", undefined, D],
    [`alpine:3@${D}`, "docker.io", "library/alpine", "3", D],
    [`127.0.0.1:5000/x@${D}`, "127.0.0.1:5000", "x", undefined, D],
  ])("%s", (input, registry, repository, tag, digest) => {
    expect(normalize(input)).toEqual({ registry, repository, tag, digest });
  });

  test("parseReference adds no tag", () => {
    expect(parseReference("alpine")).toEqual({ registry: "docker.io", repository: "library/alpine" });
  });

  // A name without a slash is always Docker Hub's: `localhost:5000` alone is
  // the image localhost with tag 5000, as docker reads it.
  test("a lone host:port is a name and a tag", () => {
    expect(normalize("localhost:5000")).toEqual({ registry: "docker.io", repository: "library/localhost", tag: "5000" });
  });

  test("the longest tag is 128 characters", () => {
    expect(normalize(`a:${"t".repeat(128)}`).tag).toHaveLength(128);
  });
});

describe("refused", () => {
  test.each([
    ["", /the name is empty/],
    [":tag", /the name is empty/],
    ["Alpine", /repository names must be lowercase/],
    ["docker.io/User/app", /repository names must be lowercase/],
    ["alpine:", /"" is not a valid tag/],
    ["alpine:.x", /is not a valid tag/],
    [`alpine:${"t".repeat(129)}`, /is not a valid tag/],
    ["alpine@sha256:abc", /is not a digest/],
    [`alpine@sha256:${"A".repeat(64)}`, /is not a digest/],
    [`alpine@sha512:${"a".repeat(128)}`, /digest algorithm sha512 is not supported/],
    ["a.b:x:y/app", /is not a registry/],
    ["-bad.host/app", /is not a registry/],
    ["user//app", /"" is not a valid repository path component/],
    ["user/-app", /"-app" is not a valid repository path component/],
    ["user/a...b", /is not a valid repository path component/],
    ["a b", /is not a valid/],
    ["a".repeat(64).replace(/a/g, "f"), /image ID/],
    [`registry.example/${"a".repeat(240)}`, /longer than 255 characters/],
  ])("%p", (input, message) => {
    expect(() => normalize(input)).toThrow(message);
  });

  test("the error is one line with a fix", () => {
    try {
      normalize("Alpine:3");
      throw new Error("not refused");
    } catch (e) {
      expect((e as Error).message).toBe('invalid image reference "Alpine:3": repository names must be lowercase');
      expect((e as { hint?: string }).hint).toBe('write it as "alpine:3"');
    }
  });

  test("the name's limit counts the registry", () => {
    expect(normalize(`r.example/${"a".repeat(245)}`).repository).toHaveLength(245);
    expect(() => normalize(`r.example/${"a".repeat(246)}`)).toThrow(/longer than 255/);
  });
});

describe("display", () => {
  test.each([
    ["alpine", "docker.io/library/alpine:latest", "alpine:latest"],
    ["user/app:1", "docker.io/user/app:1", "user/app:1"],
    ["library/a/b", "docker.io/library/a/b:latest", "library/a/b:latest"],
    ["127.0.0.1:5000/x/y:t", "127.0.0.1:5000/x/y:t", "127.0.0.1:5000/x/y:t"],
    ["localhost/x", "localhost/x:latest", "localhost/x:latest"],
    [`alpine@${D}`, `docker.io/library/alpine@${D}`, `alpine@${D}`],
    [`alpine:3@${D}`, `docker.io/library/alpine:3@${D}`, `alpine:3@${D}`],
  ])("%s", (input, full, short) => {
    const ref = normalize(input);
    expect(format(ref)).toBe(full);
    expect(familiar(ref)).toBe(short);
    expect(normalize(format(ref))).toEqual(ref);
    expect(normalize(familiar(ref))).toEqual(ref);
  });

  test("Docker Hub's API host and credentials key", () => {
    expect(apiHost("docker.io")).toBe("registry-1.docker.io");
    expect(apiHost("127.0.0.1:5000")).toBe("127.0.0.1:5000");
    expect(credentialsKey("docker.io")).toBe("https://index.docker.io/v1/");
    expect(credentialsKey("registry.example:5000")).toBe("registry.example:5000");
  });

  test.each([
    ["127.0.0.1:5000", "127.0.0.1"],
    ["localhost", "localhost"],
    ["[::1]:5000", "::1"],
    ["[::1]", "::1"],
    ["registry.example", "registry.example"],
  ])("hostname of %s", (registry, host) => {
    expect(registryHostname(registry)).toBe(host);
  });
});
