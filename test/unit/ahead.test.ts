import { expect, test } from "bun:test";
import { AHEAD_NAMESPACES, clonesAhead } from "../../src/cli/ahead.ts";
import { DEFAULT_NAMESPACES } from "../../src/spec/from-flags.ts";

test("the init cloned ahead has the namespaces of a default run", () => {
  expect(AHEAD_NAMESPACES).toEqual([...DEFAULT_NAMESPACES]);
});

test("only a foreground run with its own namespaces clones ahead", () => {
  expect(clonesAhead(["run", "-q", "--", "true"])).toBe(true);
  expect(clonesAhead(["run", "--net", "none", "--memory", "64M", "--", "true"])).toBe(true);
  expect(clonesAhead(["run", "--network=bridge", "-it", "alpine", "--", "sh"])).toBe(true);
  for (const line of [
    ["ps"],
    ["run", "-d", "--", "sleep", "9"],
    ["run", "-dit", "--", "sh"],
    ["run", "--detach", "--", "sleep", "9"],
    ["run", "--net", "host", "--", "true"],
    ["run", "--network=container:web", "--", "true"],
    ["run", "--pid", "host", "--", "true"],
    ["run", "--uts=host", "--", "true"],
    ["run", "--config", "c.yaml", "--", "true"],
    ["run", "-b", "bundle", "id"],
    ["run", "--help"],
    ["run", "--debug", "--", "true"],
  ])
    expect(clonesAhead(line)).toBe(false);
  // after -- the command's own arguments
  expect(clonesAhead(["run", "--", "sh", "-d"])).toBe(true);
});
