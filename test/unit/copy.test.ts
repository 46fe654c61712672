// contain cp's rules, docker's: which side is the container, and where a
// copy lands for each kind of SRC and DEST.
import { describe, expect, test } from "bun:test";
import { ContainError } from "../../src/errors.ts";
import { copyRequest, pathParts, placeCopy, type DestKind } from "../../src/plan/copy.ts";

const failure = (fn: () => unknown): ContainError => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ContainError);
    return err as ContainError;
  }
  throw new Error("expected a failure");
};

describe("copyRequest", () => {
  test("NAME:PATH on one side names the container and the direction", () => {
    expect(copyRequest("web:/etc/hosts", ".")).toEqual({ direction: "out", container: "web", containerPath: "/etc/hosts", hostPath: ".", src: "web:/etc/hosts", dest: "." });
    expect(copyRequest("./app", "3a59f4ed6cbd:/srv/")).toMatchObject({ direction: "in", container: "3a59f4ed6cbd", containerPath: "/srv/", hostPath: "./app" });
  });

  test("a container path is taken from the container's root, its trailing /. kept", () => {
    expect(copyRequest("web:etc/.", "/tmp").containerPath).toBe("/etc/.");
  });

  test("an absolute path, or one starting with '.', is a host path even with a ':'", () => {
    expect(copyRequest("/tmp/a:b", "web:/x")).toMatchObject({ direction: "in", hostPath: "/tmp/a:b" });
    expect(copyRequest("./a:b", "web:/x")).toMatchObject({ direction: "in", hostPath: "./a:b" });
  });

  test("both sides, neither side, an empty path and - are refused with exit 1", () => {
    for (const [src, dest, words] of [
      ["a:/x", "b:/y", "between containers"],
      ["/a", "/b", "neither SRC nor DEST"],
      ["web:", "/tmp", "no path in the container"],
      ["web:/x", "-", "tar streams"],
    ] as const) {
      const err = failure(() => copyRequest(src, dest));
      expect(err.message).toContain(words);
      expect(err.hint).toBeTruthy();
      expect(err.exitCode).toBe(1);
    }
  });
});

describe("pathParts", () => {
  test("a trailing / means a directory, a trailing /. its contents", () => {
    expect(pathParts("/etc/")).toEqual({ path: "/etc", base: "etc", slash: true, dot: false });
    expect(pathParts("/etc/.")).toEqual({ path: "/etc", base: "etc", slash: true, dot: true });
    expect(pathParts("a/b")).toEqual({ path: "a/b", base: "b", slash: false, dot: false });
  });

  test("the root and . have no name of their own", () => {
    expect(pathParts("/")).toEqual({ path: "/", base: "", slash: true, dot: false });
    expect(pathParts(".")).toEqual({ path: ".", base: "", slash: true, dot: true });
  });
});

describe("placeCopy: docker's table", () => {
  const place = (src: string, srcIsDir: boolean, dest: string, kind: DestKind) => placeCopy(pathParts(src), srcIsDir, src, pathParts(dest), kind, dest);

  test("a file: to a missing path is that file; onto a file overwrites it; into a directory by its name", () => {
    expect(place("/etc/hosts", false, "/tmp/h", "missing")).toEqual({ in: "parent", name: "h" });
    expect(place("/etc/hosts", false, "/tmp/h", "other")).toEqual({ in: "parent", name: "h" });
    expect(place("/etc/hosts", false, "/tmp", "dir")).toEqual({ in: "dest", name: "hosts" });
    expect(place("/etc/hosts", false, "/tmp/", "dir")).toEqual({ in: "dest", name: "hosts" });
  });

  test("a directory: a missing DEST becomes it; an existing one takes it inside, or only its contents with /.", () => {
    expect(place("/etc", true, "/tmp/e", "missing")).toEqual({ in: "parent", name: "e" });
    expect(place("/etc", true, "/tmp", "dir")).toEqual({ in: "dest", name: "etc" });
    expect(place("/etc/", true, "/tmp", "dir")).toEqual({ in: "dest", name: "etc" });
    expect(place("/etc/.", true, "/tmp", "dir")).toEqual({ in: "dest", contents: true });
    expect(place("/", true, "/tmp", "dir")).toEqual({ in: "dest", contents: true });
  });

  test("refused as docker refuses them", () => {
    const cases: [string, boolean, string, DestKind, string][] = [
      ["/etc", true, "/tmp/f", "other", "cannot copy a directory to a file"],
      ["/etc/hosts", false, "/tmp/new/", "missing", "does not exist"],
      ["/etc/hosts/", false, "/tmp", "dir", "is not a directory"],
      ["/etc/hosts", false, "/tmp/f/", "other", "/tmp/f/ is not a directory"],
    ];
    for (const [src, isDir, dest, kind, words] of cases) {
      const err = failure(() => place(src, isDir, dest, kind));
      expect(err.message).toContain(words);
      expect(err.exitCode).toBe(1);
    }
  });
});
