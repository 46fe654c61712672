// --config FILE (YAML or JSON): defaults and named presets for `contain run`
// flags, e.g.
//   defaults: { pids: 256 }          (pids: -1 lifts the default of 2048)
//   presets:
//     small: { memory: 64M, cpus: 0.5, pids: 64, env: { MODE: small } }
// Keys are the long flag names. On the command line a flag wins over the
// preset, and the preset over the defaults; lists (env, volume, ...) add up.
import * as v from "valibot";
import { SpecError } from "../errors.ts";
import { VERBOSITIES, type Verbosity } from "../log.ts";

const scalar = v.pipe(
  v.union([v.string(), v.number()], "must be a string or a number"),
  v.transform((x) => String(x)),
);
const flag = v.boolean("must be true or false");
const list = v.array(v.string(), "must be a list of strings");

const SCALARS = ["rootfs", "hostname", "memory", "cpu", "cpus", "cpu-quota", "cpu-period", "cpu-shares", "cpuset-cpus", "cpuset-mems", "pids", "pids-limit", "workdir", "user", "net", "bridge", "subnet"] as const;
const FLAGS = ["privileged", "read-only", "overlay", "init"] as const;
const LISTS = ["insecure-registry", "env-file", "volume", "tmpfs", "ulimit", "cap-add", "cap-drop", "security-opt", "publish", "dns", "add-host", "device", "device-cgroup-rule", "storage-opt", "log-opt"] as const;

const PresetSchema = v.strictObject(
  {
    ...Object.fromEntries(SCALARS.map((k) => [k, v.optional(scalar)])),
    ...Object.fromEntries(FLAGS.map((k) => [k, v.optional(flag)])),
    ...Object.fromEntries(LISTS.map((k) => [k, v.optional(list)])),
    // env as a list of KEY=VALUE or as a map; v.record alone would take a
    // list of numbers as the map {0: 1, 1: 2}
    env: v.optional(
      v.union(
        [
          list,
          v.pipe(
            v.custom<object>((x) => typeof x === "object" && x !== null && !Array.isArray(x)),
            v.record(v.string(), scalar),
            v.transform((m) => Object.entries(m).map(([k, x]) => `${k}=${x}`)),
          ),
        ],
        "must be a list of KEY=VALUE or a map of KEY: VALUE",
      ),
    ),
  } as Record<string, v.GenericSchema<unknown, string | boolean | string[]>>,
  (i) => `unknown setting ${JSON.stringify(i.input && typeof i.input === "object" ? "" : i.input)}`,
);

const ConfigSchema = v.strictObject({
  // the default verbosity (CONTAIN_LOG and -q/--debug win over it)
  log: v.optional(v.picklist(VERBOSITIES, `must be one of ${VERBOSITIES.join(", ")}`)),
  defaults: v.optional(PresetSchema),
  presets: v.optional(v.record(v.string(), PresetSchema)),
});

export type ConfigFlags = Record<string, string | boolean | string[]>;

// Flags that set one thing: where a layer (the preset over the defaults, the
// command line over both) gives one of them, the others below it go, so
// `cpus: 1` in a file and --cpu 0.5 on the line is --cpu 0.5, not a conflict.
const SAME_SETTING = [
  ["pids", "pids-limit"],
  ["cpu", "cpus", "cpu-quota"],
];

// `over` on top of `under`: a scalar replaces, a list adds up.
export function overlay<T extends string | boolean | string[] | undefined>(under: Record<string, T>, over: Record<string, T>): Record<string, T> {
  const merged = { ...under };
  for (const group of SAME_SETTING) if (group.some((k) => over[k] !== undefined)) for (const k of group) delete merged[k];
  for (const [k, x] of Object.entries(over)) merged[k] = (Array.isArray(x) ? [...((merged[k] as string[] | undefined) ?? []), ...x] : x) as T;
  return merged;
}

export interface Config {
  log?: Verbosity;
  defaults: ConfigFlags;
  presets: Record<string, ConfigFlags>;
}

export function parseConfig(input: unknown, file: string): Config {
  const result = v.safeParse(ConfigSchema, input ?? {});
  if (!result.success) {
    const issue = result.issues[0];
    const path = v.getDotPath(issue) ?? "";
    const unknownKey = issue.kind === "schema" && issue.type === "strict_object" ? ` ${JSON.stringify(issue.path?.at(-1)?.key)}` : "";
    // The value as the file has it, when short: a list or map too (env: [1, 2]).
    const shown = issue.input === undefined ? undefined : JSON.stringify(issue.input);
    const value = shown === undefined || shown.length > 60 ? "" : ` (got ${shown})`;
    throw new SpecError(
      `--config ${file}`,
      `${path || "top level"}: ${unknownKey ? `unknown setting${unknownKey}` : issue.message}${unknownKey ? "" : value}`,
      "settings are contain run's long flag names under defaults: or presets.NAME:, and log: quiet|info|debug",
    );
  }
  return { log: result.output.log, defaults: (result.output.defaults ?? {}) as ConfigFlags, presets: (result.output.presets ?? {}) as Record<string, ConfigFlags> };
}

// The flags a config gives for `preset` (defaults when none).
export function configFlags(config: Config, preset: string | undefined, file: string): ConfigFlags {
  if (preset === undefined) return config.defaults;
  // Own names only: "toString" or "__proto__" is no preset of the file's.
  const p = Object.hasOwn(config.presets, preset) ? config.presets[preset] : undefined;
  if (!p) {
    const names = Object.keys(config.presets);
    throw new SpecError("--preset", `no preset ${JSON.stringify(preset)} in ${file}`, names.length ? `presets there: ${names.join(", ")}` : "add it under presets: in the file");
  }
  return overlay(config.defaults, p);
}
