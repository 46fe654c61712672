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

test("attach's frames: split on 4 KiB, a type byte and a little-endian length; read back across any cut", async () => {
  const { FrameReader, frames, sizeFrame } = await import("../../src/runtime/attach.ts");
  const big = new Uint8Array(5000).fill(7);
  const out = frames("i", big);
  expect(out.map((f) => [String.fromCharCode(f[0] ?? 0), f.readUInt16LE(1), f.length])).toEqual([
    ["i", 4096, 4099],
    ["i", 904, 907],
  ]);
  expect([...sizeFrame(25, 90)]).toEqual([0x77, 4, 0, 25, 0, 90, 0]);
  const got: [string, string][] = [];
  const reader = new FrameReader((type, data) => got.push([type, data.toString()]));
  const stream = Buffer.concat([Buffer.from([0x6f, 3, 0]), Buffer.from("out"), Buffer.from([0x65, 2, 0]), Buffer.from("er")]);
  for (const byte of stream) reader.push(Buffer.from([byte]));
  expect(got).toEqual([["o", "out"], ["e", "er"]]);
});
