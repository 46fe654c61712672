import { expect, test } from "bun:test";
import { exitCodeOf } from "../../src/cli/output.ts";
import { decodeWaitStatus, describeExit } from "../../src/linux/process.ts";

// The statuses as the kernel makes them (kernel/exit.c, kernel/signal.c) and
// glibc's macros read them.
test("wait statuses: exited, with the code (WIFEXITED, WEXITSTATUS)", () => {
  expect(decodeWaitStatus(0)).toEqual({ kind: "ended", exit: { exited: true, code: 0 } });
  expect(decodeWaitStatus(7 << 8)).toEqual({ kind: "ended", exit: { exited: true, code: 7 } });
  expect(decodeWaitStatus(255 << 8)).toEqual({ kind: "ended", exit: { exited: true, code: 255 } });
});

test("wait statuses: killed by a signal, with or without a core dump (WIFSIGNALED, WTERMSIG, WCOREDUMP)", () => {
  expect(decodeWaitStatus(9)).toEqual({ kind: "ended", exit: { exited: false, signal: 9, core: false } });
  expect(decodeWaitStatus(0x80 | 11)).toEqual({ kind: "ended", exit: { exited: false, signal: 11, core: true } });
  expect(decodeWaitStatus(64)).toEqual({ kind: "ended", exit: { exited: false, signal: 64, core: false } }); // SIGRTMAX
});

test("wait statuses: stopped, by the signal (WIFSTOPPED, WSTOPSIG): no end, and not signal 127", () => {
  expect(decodeWaitStatus((10 << 8) | 0x7f)).toEqual({ kind: "stopped", signal: 10 }); // SIGUSR1: a tracee's signal-delivery-stop
  expect(decodeWaitStatus((19 << 8) | 0x7f)).toEqual({ kind: "stopped", signal: 19 }); // SIGSTOP
  // A PTRACE_EVENT stop carries the event above the signal (status>>16).
  expect(decodeWaitStatus((4 << 16) | (5 << 8) | 0x7f)).toEqual({ kind: "stopped", signal: 5 });
});

test("wait statuses: continued (WIFCONTINUED) is no end", () => {
  expect(decodeWaitStatus(0xffff)).toEqual({ kind: "continued" });
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

test("exit codes as docker's CLI: 125 for a bad line and run's own errors, 1 when a management command fails, 126/127 kept", async () => {
  const { exitCodeFor } = await import("../../src/cli/output.ts");
  const { ContainError, SpecError, EXIT } = await import("../../src/errors.ts");
  const failed = new ContainError("no such container: web");
  const badLine = new SpecError("--time", '"soon" is not a number');
  const notFound = new ContainError("sh: executable file not found in $PATH", undefined, EXIT.notFound);
  expect([failed, badLine, notFound, new Error("unexpected")].map((e) => exitCodeFor(e, true))).toEqual([125, 125, 127, 125]);
  expect([failed, badLine, notFound, new Error("unexpected")].map((e) => exitCodeFor(e, false))).toEqual([1, 125, 127, 1]);
});
