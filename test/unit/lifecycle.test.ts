// The pure parts of the lifecycle commands: docker's human times, tables,
// log tails, --user and signal names.
import { expect, test } from "bun:test";
import { describeStatus } from "../../src/cli/ps.ts";
import { formatTable, humanDuration, shortCommand } from "../../src/cli/table.ts";
import { parseSignal } from "../../src/linux/process.ts";

test("humanDuration follows docker's units.HumanDuration", () => {
  const s = 1000;
  expect(humanDuration(200)).toBe("Less than a second");
  expect(humanDuration(1 * s)).toBe("1 second");
  expect(humanDuration(42 * s)).toBe("42 seconds");
  expect(humanDuration(90 * s)).toBe("About a minute");
  expect(humanDuration(3 * 60 * s)).toBe("3 minutes");
  expect(humanDuration(65 * 60 * s)).toBe("About an hour");
  expect(humanDuration(5 * 3600 * s)).toBe("5 hours");
  expect(humanDuration(3 * 86400 * s)).toBe("3 days");
  expect(humanDuration(21 * 86400 * s)).toBe("3 weeks");
  expect(humanDuration(90 * 86400 * s)).toBe("3 months");
  expect(humanDuration(800 * 86400 * s)).toBe("2 years");
});

test("ps's STATUS as docker words it, a paused container's included", () => {
  const started = "2026-01-01T00:00:00.000Z";
  const state = { id: "c1", created: started, started, command: ["sh"], rootfs: "/", owner: { pid: 1, startTime: 1 } };
  const now = Date.parse(started) + 42_000;
  expect(describeStatus({ kind: "running" }, state, now)).toBe("Up 42 seconds");
  expect(describeStatus({ kind: "paused" }, state, now)).toBe("Up 42 seconds (Paused)");
  expect(describeStatus({ kind: "created" }, state, now)).toBe("Created");
});

test("tables pad every column but the last; commands are quoted and cut", () => {
  expect(formatTable(["ID", "NAME"], [["abc", "web"], ["d", ""]])).toBe("ID    NAME\nabc   web\nd\n");
  expect(shortCommand(["sleep", "60"])).toBe('"sleep 60"');
  expect(shortCommand(["sh", "-c", "a very long command line indeed"], 10)).toBe('"sh -c a v…"');
});

test("signals by name, SIG-name, any case, or number", () => {
  expect(parseSignal("TERM")).toBe(15);
  expect(parseSignal("SIGKILL")).toBe(9);
  expect(parseSignal("usr1")).toBe(10);
  expect(parseSignal("9")).toBe(9);
  expect(parseSignal("0")).toBeUndefined();
  expect(parseSignal("SIGFOO")).toBeUndefined();
});
