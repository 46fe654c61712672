// --config: the file's defaults and presets, and how they layer under the
// command line.
import { describe, expect, test } from "bun:test";
import { configFlags, overlay, parseConfig, type ConfigFlags } from "../../src/spec/config.ts";
import { chooseVerbosity } from "../../src/cli/output.ts";
import { refusal } from "./fixtures.ts";

describe("--config", () => {
  test("defaults, presets, lists adding up, env as a map", () => {
    const config = parseConfig({ defaults: { pids: 64, env: ["A=1"] }, presets: { big: { memory: "1G", env: { B: 2 }, init: true } } }, "c.yaml");
    expect(configFlags(config, undefined, "c.yaml")).toEqual({ pids: "64", env: ["A=1"] });
    expect(configFlags(config, "big", "c.yaml")).toEqual({ pids: "64", env: ["A=1", "B=2"], memory: "1G", init: true });
    expect(refusal(() => configFlags(config, "huge", "c.yaml")).message).toBe('--preset: no preset "huge" in c.yaml');
  });

  test("a wrong type or an unknown key names the field and the value", () => {
    expect(refusal(() => parseConfig({ presets: { s: { memory: [1] } } }, "c.yaml")).message).toBe("--config c.yaml: presets.s.memory: must be a string or a number (got [1])");
    expect(refusal(() => parseConfig({ defaults: { init: "yes" } }, "c.yaml")).message).toBe('--config c.yaml: defaults.init: must be true or false (got "yes")');
    expect(refusal(() => parseConfig({ defaults: { memroy: "1G" } }, "c.yaml")).message).toBe('--config c.yaml: defaults.memroy: unknown setting "memroy"');
  });

  test("env: a list of numbers is neither a list of KEY=VALUE nor a map", () => {
    for (const env of [[1, 2], ["A=1", 2]])
      expect(refusal(() => parseConfig({ defaults: { env } }, "c.yaml")).message).toBe(
        `--config c.yaml: defaults.env: must be a list of KEY=VALUE or a map of KEY: VALUE (got ${JSON.stringify(env)})`,
      );
  });

  test("a preset is one the file names, never a property every object has", () => {
    const config = parseConfig({ presets: { small: { memory: "64M" } } }, "c.yaml");
    for (const name of ["toString", "hasOwnProperty", "constructor", "__proto__", "valueOf"])
      expect(refusal(() => configFlags(config, name, "c.yaml")).message).toBe(`--preset: no preset ${JSON.stringify(name)} in c.yaml`);
  });
});

describe("layers: the preset over the defaults, the command line over both", () => {
  test("a flag of a setting replaces every flag of that setting below it", () => {
    const config = parseConfig({ defaults: { cpus: 1, memory: "1G" }, presets: { half: { cpu: "0.5" } } }, "c.yaml");
    expect(configFlags(config, "half", "c.yaml")).toEqual({ cpu: "0.5", memory: "1G" });
    expect(overlay<ConfigFlags[string]>(configFlags(config, undefined, "c.yaml"), { "cpu-quota": "50000" })).toEqual({ "cpu-quota": "50000", memory: "1G" });
  });

  test("pids and pids-limit, docker's name, are one setting", () => {
    const config = parseConfig({ defaults: { pids: 64 }, presets: { open: { "pids-limit": 0 } } }, "c.yaml");
    expect(configFlags(config, "open", "c.yaml")).toEqual({ "pids-limit": "0" });
    expect(overlay<ConfigFlags[string]>(configFlags(config, undefined, "c.yaml"), { "pids-limit": "-1" })).toEqual({ "pids-limit": "-1" });
  });
});

describe("the default verbosity", () => {
  test("log: in the config file", () => {
    expect(parseConfig({ log: "quiet" }, "c.yaml").log).toBe("quiet");
    expect(parseConfig({}, "c.yaml").log).toBeUndefined();
    expect(() => parseConfig({ log: "loud" }, "c.yaml")).toThrow("--config c.yaml: log: must be one of quiet, info, debug");
  });

  test("the line's -q/--debug, then CONTAIN_LOG, then the file, then info", () => {
    expect(chooseVerbosity({}, undefined, undefined)).toBe("info");
    expect(chooseVerbosity({}, "quiet", undefined)).toBe("quiet");
    expect(chooseVerbosity({}, "quiet", "debug")).toBe("debug");
    expect(chooseVerbosity({}, undefined, "")).toBe("info");
    expect(chooseVerbosity({ quiet: true }, "debug", "info")).toBe("quiet");
    expect(chooseVerbosity({ quiet: false }, undefined, "quiet")).toBe("info");
    expect(chooseVerbosity({ debug: true }, undefined, "quiet")).toBe("debug");
    expect(() => chooseVerbosity({}, undefined, "verbose")).toThrow('CONTAIN_LOG: "verbose" is not a log level');
  });
});
