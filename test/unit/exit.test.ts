import { expect, test } from "bun:test";
import { exitCodeOf } from "../../src/cli/output.ts";
import { decodeWaitStatus, describeExit } from "../../src/linux/process.ts";

test("wait statuses decode as wait(2) lays them out", () => {
  expect(decodeWaitStatus(0)).toEqual({ exited: true, code: 0 });
  expect(decodeWaitStatus(7 << 8)).toEqual({ exited: true, code: 7 });
  expect(decodeWaitStatus(9)).toEqual({ exited: false, signal: 9, core: false });
  expect(decodeWaitStatus(0x80 | 11)).toEqual({ exited: false, signal: 11, core: true });
});

test("exit codes: the status, or 128+N for signal N", () => {
  expect(exitCodeOf({ exited: true, code: 0 })).toBe(0);
  expect(exitCodeOf({ exited: true, code: 7 })).toBe(7);
  expect(exitCodeOf({ exited: false, signal: 2, core: false })).toBe(130);
  expect(exitCodeOf({ exited: false, signal: 9, core: false })).toBe(137);
  expect(exitCodeOf({ exited: false, signal: 15, core: false })).toBe(143);
});

test("exits are described for the step log", () => {
  expect(describeExit({ exited: true, code: 3 })).toBe("exit status 3");
  expect(describeExit({ exited: false, signal: 9, core: false })).toBe("killed by signal 9 (SIGKILL)");
});
