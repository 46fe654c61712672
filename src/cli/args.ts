// Argument definitions shared by commands, and the strict parser every command
// uses: unknown flags are errors (citty's own parser lets them through), a
// flag may repeat where that makes sense (-e A -e B), and the container's
// command starts at `--` or at the first positional argument, so
// `contain run sh -c 'echo hi'` keeps its -c. Other commands take flags
// after their arguments too (`logs web -f`, `stop web -t 0`), as docker's.
import type { ArgsDef } from "citty";
import { SpecError } from "../errors.ts";
import { DEFAULT_DATA_ROOT } from "../runtime/host-context.ts";
import { NAME_RE } from "../runtime/state.ts";
import { closest } from "./suggest.ts";

export interface FlagDef {
  type: "string" | "boolean";
  description: string;
  alias?: string[];
  valueHint?: string;
  repeat?: boolean; // may be given more than once; the value is a list
  // On by default: the help shows the flag as it is written, --no-NAME, with this text.
  negativeDescription?: string;
}

export type FlagDefs = Record<string, FlagDef>;

export const commonFlags = {
  root: { type: "string", description: "Directory of the container state", valueHint: "DIR" },
  "data-root": { type: "string", description: `Directory of the persistent data: images, containers' layers, the default rootfs (default ${DEFAULT_DATA_ROOT})`, valueHint: "DIR" },
  debug: { type: "boolean", description: "Log every step and every system call with its arguments" },
  quiet: { type: "boolean", alias: ["q"], description: "Log nothing but errors" },
} satisfies FlagDefs;

// A positional argument, as the usage line writes it: `usage` defaults to
// the name in capitals, e.g. CONTAINER [CONTAINER...] or COMMAND [ARG...].
export interface Positional {
  name: string;
  description: string;
  usage?: string;
  required?: boolean;
}

// The commands' definitions, in citty's shape, which src/cli/help.ts renders.
export function toCittyArgs(defs: FlagDefs, ...positionals: Positional[]): ArgsDef {
  const out: ArgsDef = {};
  for (const p of positionals) out[p.name] = { type: "positional", description: p.description, required: p.required === true, valueHint: p.usage ?? p.name.toUpperCase() };
  for (const [name, d] of Object.entries(defs)) {
    const description = d.repeat ? `${d.description} (repeatable)` : d.description;
    if (d.type === "boolean") out[name] = { type: "boolean", description, alias: d.alias ?? [], ...(d.negativeDescription !== undefined && { default: true, negativeDescription: d.negativeDescription }) };
    else out[name] = { type: "string", description, alias: d.alias ?? [], valueHint: d.valueHint };
  }
  return out;
}

// Thrown by parseFlags at --help (or -h, where no flag of the command takes
// it): src/cli/main.ts prints the help of `command` (`node create`).
export class HelpWanted extends Error {
  constructor(readonly command: string) {
    super(`help for ${command}`);
    this.name = "HelpWanted";
  }
}

export type FlagValues = Record<string, string | boolean | string[] | undefined>;

export interface ParsedLine {
  flags: FlagValues;
  positionals: string[];
  // `--` ended the flags (with stopAtPositional: before any positional).
  dashDash: boolean;
}

// `stopAtPositional` (run, exec): the flags end at the first positional or
// at `--`, and everything after is the container's command, taken verbatim
// (its -h, --help and -q included).
export function parseFlags(defs: FlagDefs, raw: readonly string[], command: string, stopAtPositional = false): ParsedLine {
  const byName = new Map<string, [string, FlagDef]>();
  for (const [name, d] of Object.entries(defs)) {
    byName.set(name, [name, d]);
    for (const a of d.alias ?? []) byName.set(a, [name, d]);
  }
  const flags: FlagValues = {};
  const positionals: string[] = [];
  let dashDash = false;
  const set = (name: string, def: FlagDef, value: string | boolean) => {
    if (def.repeat) flags[name] = [...((flags[name] as string[] | undefined) ?? []), String(value)];
    else flags[name] = value;
  };
  for (let i = 0; i < raw.length; i++) {
    const arg = raw[i] ?? "";
    if (arg === "--") {
      positionals.push(...raw.slice(i + 1));
      dashDash = true;
      break;
    }
    if (arg === "--help" || (arg === "-h" && !byName.has("h"))) throw new HelpWanted(command);
    if (!arg.startsWith("-") || arg === "-") {
      if (stopAtPositional) {
        positionals.push(...raw.slice(i));
        break;
      }
      positionals.push(arg);
      continue;
    }
    const long = arg.startsWith("--");
    const body = arg.slice(long ? 2 : 1);
    const eq = body.indexOf("=");
    const key = eq < 0 ? body : body.slice(0, eq);
    const inline = eq < 0 ? undefined : body.slice(eq + 1);
    // Bundled short booleans, as in `-it`.
    if (!long && inline === undefined && key.length > 1 && !byName.has(key) && [...key].every((c) => byName.get(c)?.[1].type === "boolean")) {
      for (const c of key) {
        const [name, def] = byName.get(c) as [string, FlagDef];
        set(name, def, true);
      }
      continue;
    }
    const negated = long && key.startsWith("no-") && byName.get(key.slice(3))?.[1].type === "boolean";
    const found = byName.get(negated ? key.slice(3) : key);
    if (!found) {
      const near = long ? closest(key, Object.keys(defs)) : undefined;
      throw new SpecError(`${long ? "--" : "-"}${key}`, "unknown flag", `${near ? `did you mean --${near}? ` : ""}see 'contain ${command} --help'`);
    }
    const [name, def] = found;
    if (def.type === "boolean") {
      if (inline !== undefined && inline !== "true" && inline !== "false")
        throw new SpecError(`--${name}`, `takes true or false, not ${JSON.stringify(inline)}`);
      set(name, def, (inline ?? "true") === "true" && !negated);
      continue;
    }
    const value = inline ?? raw[++i];
    if (value === undefined) throw new SpecError(`--${name}`, "needs a value", `e.g. --${name} ${def.valueHint ?? "VALUE"}`);
    set(name, def, value);
  }
  return { flags, positionals, dashDash };
}

export function str(flags: FlagValues, name: string): string | undefined {
  const v = flags[name];
  return typeof v === "string" ? v : undefined;
}

export function list(flags: FlagValues, name: string): string[] {
  const v = flags[name];
  return Array.isArray(v) ? v : [];
}

// --name, and the name of `node create`.
export function checkName(name: string | undefined): string | undefined {
  if (name !== undefined && !NAME_RE.test(name))
    throw new SpecError("--name", `${JSON.stringify(name)} is not a valid name`, "use letters, digits and _ . - (starting with a letter or digit)");
  return name;
}
