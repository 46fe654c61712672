// The buffers whose addresses go to the kernel outlive a collection that
// starts before the call is made (src/ffi/index.ts's addressOf): what an
// address points at is still the name it was made from, after a full
// collection and allocations that would take its memory.
import { expect, test } from "bun:test";
import { ptr, read } from "bun:ffi";
import { addressOf, cstr } from "../../src/ffi/index.ts";

const NAME = "a-name-the-kernel-must-read";
const at = (p: ReturnType<typeof ptr>) => Array.from(NAME, (_, i) => String.fromCharCode(read.u8(p, i))).join("");

// A call's arguments in order: the name's address, then a collection and
// allocations of the same size (a later argument's buffer, in a real call).
function readAfterCollection(address: (buf: Buffer) => ReturnType<typeof ptr>): number {
  let changed = 0;
  for (let i = 0; i < 50; i++) {
    const p = address(cstr(NAME));
    Bun.gc(true);
    const others = Array.from({ length: 2000 }, () => Buffer.alloc(NAME.length + 1, 0x41));
    if (at(p) !== NAME) changed++;
    expect(others.length).toBe(2000);
  }
  return changed;
}

test("a buffer passed by addressOf alone is still there when the call reads it", () => {
  expect(readAfterCollection((b) => addressOf(b) as ReturnType<typeof ptr>)).toBe(0);
});

test("the test can fail: a bare ptr() of a buffer nothing holds is reused", () => {
  expect(readAfterCollection((b) => ptr(b))).toBeGreaterThan(0);
});
