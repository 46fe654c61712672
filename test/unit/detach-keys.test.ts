import { expect, test } from "bun:test";
import { DetachScanner, parseDetachKeys } from "../../src/cli/detach-keys.ts";

test("docker's --detach-keys: ctrl-<key> and single characters; anything else refused by name", () => {
  expect(parseDetachKeys("ctrl-p,ctrl-q")).toEqual([0x10, 0x11]);
  expect(parseDetachKeys("ctrl-@,x,ctrl-[")).toEqual([0x00, 0x78, 0x1b]);
  expect(() => parseDetachKeys("ctrl-pp")).toThrow('--detach-keys: "ctrl-pp" is not a key');
  expect(() => parseDetachKeys("")).toThrow("is not a key");
});

test("the scanner passes input on, holds a beginning back, and detaches on the whole sequence only", () => {
  const s = new DetachScanner([0x10, 0x11]);
  const bytes = (...b: number[]) => Uint8Array.from(b);
  expect(s.scan(bytes(0x61, 0x10))).toEqual({ pass: bytes(0x61), detach: false });
  // A broken-off beginning is passed on whole, in order.
  expect(s.scan(bytes(0x62))).toEqual({ pass: bytes(0x10, 0x62), detach: false });
  // Ctrl-P twice: the first was not the start after all.
  expect(s.scan(bytes(0x10, 0x10))).toEqual({ pass: bytes(0x10), detach: false });
  expect(s.scan(bytes(0x11, 0x63))).toEqual({ pass: bytes(), detach: true });
});
