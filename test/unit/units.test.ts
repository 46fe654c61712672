import { describe, expect, test } from "bun:test";
import { SpecError } from "../../src/errors.ts";
import { sharesToWeight } from "../../src/linux/cgroups/v2.ts";
import { cpusToQuota, formatSize, humanSize, parseCpu, parseDuration, parseInteger, parseNumber, parseSize } from "../../src/spec/units.ts";

describe("parseSize", () => {
  test.each([
    ["64M", 67108864],
    ["1G", 1073741824],
    ["512K", 524288],
    ["512k", 524288],
    ["1048576", 1048576],
    ["1.5G", 1610612736],
    ["64MB", 67108864],
    ["64 m", 67108864], // docker's one space before the unit
  ])("%p is %p bytes", (input, bytes) => {
    expect(parseSize("--memory", input)).toBe(bytes);
  });

  test.each(["64X", "-1", "", "M", "1e6", "64 MiB", "0x10", " 64M", "64M ", "64  M", "\t64M"])("%p is refused, naming the flag", (input) => {
    expect(() => parseSize("--memory", input)).toThrow(SpecError);
    expect(() => parseSize("--memory", input)).toThrow(/^--memory: invalid size/);
  });
});

describe("parseInteger and parseNumber: the decimal number as typed, nothing around it", () => {
  test.each([" 64", "64 "])("integer %p is refused", (input) => {
    expect(() => parseInteger("--pids", input, "e.g. --pids 64")).toThrow(/^--pids: ".*" is not a whole number$/);
  });

  test("an integer past 2^53, which Number() would round, is out of range", () => {
    expect(() => parseInteger("--pids", "99999999999999999999", "e.g. --pids 64")).toThrow(/^--pids: 99999999999999999999 is out of range$/);
  });

  test.each(["0x1", "0b1", "0o1", " 1", "1 "])("number %p is refused", (input) => {
    expect(() => parseNumber("--cpus", input, "e.g. --cpus 0.5")).toThrow(/^--cpus: ".*" is not a number$/);
  });

  test.each([
    ["0.5", 0.5],
    [".5", 0.5],
    ["2.", 2],
    ["+1", 1],
    ["1e308", 1e308],
    ["1.5E2", 150],
  ])("number %p is still %p: decimal forms stay", (input, n) => {
    expect(parseNumber("--cpus", input, "")).toBe(n);
  });
});

test("formatSize gives the shortest exact form", () => {
  expect(formatSize(67108864)).toBe("64M");
  expect(formatSize(1536 * 1024)).toBe("1536K");
  expect(formatSize(1000)).toBe("1000");
  expect(formatSize(2 * 1024 ** 3)).toBe("2G");
  expect(humanSize(1572864)).toBe("1.5M");
  expect(humanSize(512)).toBe("512B");
});

describe("parseCpu: below 1000 CPUs, from 1000 a quota per 100ms", () => {
  test.each([
    ["0.5", 50000],
    ["1", 100000],
    ["2", 200000],
    ["0.01", 1000],
    ["50000", 50000],
    ["1000", 1000],
    ["150000", 150000],
  ])("--cpu %p is a quota of %p us per 100000", (input, quota) => {
    expect(parseCpu("--cpu", input)).toEqual({ quota, period: 100000 });
  });

  test.each(["0", "-1", "abc", "", "1500.5", "0x1", " 1"])("--cpu %p is refused", (input) => {
    expect(() => parseCpu("--cpu", input)).toThrow(SpecError);
  });

  test("--cpus is always a number of CPUs", () => {
    expect(cpusToQuota("--cpus", 1.5)).toEqual({ quota: 150000, period: 100000 });
  });

  test("a number of CPUs whose quota is no longer a whole number is refused, saying so", () => {
    expect(() => cpusToQuota("--cpus", 1e308)).toThrow(/^--cpus: 1e\+308 CPUs is more than any machine has$/);
  });
});

test("shares map to cgroup v2 weight as runc and crun map them", () => {
  expect(sharesToWeight(2)).toBe(1);
  expect(sharesToWeight(1024)).toBe(39);
  expect(sharesToWeight(512)).toBe(20);
  expect(sharesToWeight(262144)).toBe(10000);
});

describe("parseDuration", () => {
  test("Go's durations, as runc's --interval takes them", () => {
    expect(parseDuration("--interval", "5s")).toBe(5000);
    expect(parseDuration("--interval", "500ms")).toBe(500);
    expect(parseDuration("--interval", "1m30s")).toBe(90_000);
    expect(parseDuration("--interval", "1.5h")).toBe(5_400_000);
    expect(parseDuration("--interval", "250us")).toBe(0.25);
    expect(parseDuration("--interval", "0")).toBe(0);
  });

  test.each(["5", "", "5 s", "-1s", "s", "1d", "0x10s"])("%p is refused, naming the flag", (input) => {
    expect(() => parseDuration("--interval", input)).toThrow(`--interval: invalid duration ${JSON.stringify(input)}`);
  });
});
