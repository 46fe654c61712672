import { expect, test } from "bun:test";
import { AHEAD_NAMESPACES, clonesAhead } from "../../src/cli/ahead.ts";
import { DEFAULT_NAMESPACES } from "../../src/spec/from-flags.ts";

test("the init cloned ahead has the namespaces of a default run", () => {
  expect(AHEAD_NAMESPACES).toEqual([...DEFAULT_NAMESPACES]);
});

test("only a run with its own namespaces clones ahead: the init, or detached its monitor", () => {
  expect(clonesAhead(["run", "-q", "--", "true"])).toBe("run");
  expect(clonesAhead(["run", "--net", "none", "--memory", "64M", "--", "true"])).toBe("run");
  expect(clonesAhead(["run", "--network=bridge", "-it", "alpine", "--", "sh"])).toBe("run");
  expect(clonesAhead(["run", "-d", "--", "sleep", "9"])).toBe("detach");
  expect(clonesAhead(["run", "--detach", "--net", "none", "--", "sleep", "9"])).toBe("detach");
  expect(clonesAhead(["run", "-dt", "--", "sh"])).toBe("detach");
  expect(clonesAhead(["run", "--detach=false", "--", "true"])).toBe("run");
  for (const line of [
    ["ps"],
    // -d -i: a stdin pipe for the init, made at the monitor's clone
    ["run", "-dit", "--", "sh"],
    ["run", "-d", "-i", "--", "sh"],
    ["run", "--net", "host", "--", "true"],
    ["run", "--network=container:web", "--", "true"],
    ["run", "--pid", "host", "--", "true"],
    ["run", "--uts=host", "--", "true"],
    ["run", "--config", "c.yaml", "--", "true"],
    ["run", "-b", "bundle", "id"],
    ["run", "--help"],
    ["run", "--debug", "--", "true"],
  ])
    expect(clonesAhead(line)).toBeUndefined();
  // after -- the command's own arguments
  expect(clonesAhead(["run", "--", "sh", "-d"])).toBe("run");
});
