// One error convention for the init's calls: a node:fs failure is a
// SyscallError like a raw call's (file-error.ts), through the real Kernel.
import { expect, test } from "bun:test";
import { thrown } from "./fixtures.ts";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { SyscallError } from "../../src/ffi/index.ts";
import { errnoCode, errnoCodeOf, errnoOf, fsCall } from "../../src/linux/file-error.ts";
import { linux } from "../../src/linux/kernel.ts";

test("a node:fs failure is a SyscallError naming the call, the path and the errno", () => {
  const err = thrown(() => linux.readFile("/nonexistent/x"));
  expect(err).toBeInstanceOf(SyscallError);
  expect(err).toMatchObject({ call: "read", args: ["/nonexistent/x"], errno: 2, code: "ENOENT" });
  expect((err as Error).message).toBe('read("/nonexistent/x"): no such file or directory (ENOENT)');
  expect(errnoOf((err as Error & { cause: unknown }).cause)).toBe(2); // node's, kept as the cause
  // A path with nothing there is an answer of stat's, not a failure.
  expect(linux.stat("/nonexistent/x")).toBeUndefined();
  expect(thrown(() => linux.stat("/etc/passwd/x"))).toMatchObject({ call: "stat", errno: 20 }); // ENOTDIR
});

test("the real Kernel's files: a directory made, a file written and its type", () => {
  const dir = mkdtempSync("/tmp/contain-unit-kernel-");
  try {
    linux.mkdirAll(`${dir}/a/b`);
    linux.writeFile(`${dir}/a/b/f`, "x");
    expect(linux.stat(`${dir}/a/b`)).toBe("dir");
    expect(linux.stat(`${dir}/a/b/f`)).toBe("file");
    expect(readFileSync(`${dir}/a/b/f`, "utf8")).toBe("x");
    linux.symlink("b/f", `${dir}/a/l`);
    expect([linux.stat(`${dir}/a/l`, true), linux.stat(`${dir}/a/l`), linux.readlink(`${dir}/a/l`)]).toEqual(["link", "file", "b/f"]);
    expect(thrown(() => linux.mkdirAll(`${dir}/a/b/f/c`))).toMatchObject({ call: "mkdir", errno: 20 }); // ENOTDIR
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("errnos by number and by name, whichever way the call failed", () => {
  expect(errnoOf(new SyscallError("mount", [], 16))).toBe(16);
  expect(errnoOf(Object.assign(new Error("x"), { code: "EBUSY" }))).toBe(16);
  expect(errnoOf(new Error("no errno"))).toBeUndefined();
  expect(errnoCode(34)).toBe("ERANGE"); // not in ffi/errno.ts's table: node's name
  expect(errnoCodeOf(new SyscallError("write", [], 22))).toBe("EINVAL");
  // A failure that is not a system call's passes through as it is.
  const odd = new TypeError("bad argument");
  const fail = () => {
    throw odd;
  };
  expect(thrown(() => fsCall("open", ["/x"], fail))).toBe(odd);
});
