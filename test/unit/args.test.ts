import { expect, test } from "bun:test";
import { parseFlags } from "../../src/cli/args.ts";
import { runFlags } from "../../src/cli/run.ts";
import { SpecError } from "../../src/errors.ts";

const parse = (...raw: string[]) => parseFlags(runFlags, raw, "run", true);

test("flags, aliases and the command after --", () => {
  const { flags, positionals } = parse("-m", "64M", "--pids-limit=10", "--cpu", "0.5", "-e", "A=1", "--env=B=2", "--", "sh", "-c", "echo --memory");
  expect(flags).toMatchObject({ memory: "64M", "pids-limit": "10", cpu: "0.5", env: ["A=1", "B=2"] });
  expect(positionals).toEqual(["sh", "-c", "echo --memory"]);
});

test("the command starts at the first positional: its own flags stay its own", () => {
  const { flags, positionals } = parse("--quiet", "sh", "-c", "true", "--help");
  expect(flags.quiet).toBe(true);
  expect(positionals).toEqual(["sh", "-c", "true", "--help"]);
});

test("booleans: bundled short forms, --no-, =true/false", () => {
  expect(parse("-it", "sh").flags).toMatchObject({ interactive: true, tty: true });
  expect(parse("--no-tty", "sh").flags.tty).toBe(false);
  expect(parse("--tty=false", "sh").flags.tty).toBe(false);
  expect(() => parse("--tty=maybe", "sh")).toThrow(/--tty: takes true or false/);
});

test("an unknown flag is an error that points at the help", () => {
  expect(() => parse("--memroy", "64M", "sh")).toThrow(SpecError);
  expect(() => parse("--memroy", "64M", "sh")).toThrow("--memroy: unknown flag");
  expect(() => parse("-z", "sh")).toThrow("-z: unknown flag");
});

test("a flag without its value is an error", () => {
  expect(() => parse("--memory")).toThrow(/--memory: needs a value/);
});
