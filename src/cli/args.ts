// Argument definitions shared by commands, and the strict parser every command
// uses: unknown flags are errors (citty's own parser lets them through), a
// flag may repeat where that makes sense (-e A -e B), and the container's
// command starts at `--` or at the first positional argument, so
// `contain run sh -c 'echo hi'` keeps its -c.
import type { ArgsDef } from "citty";
import { SpecError } from "../errors.ts";
import { NAME_RE } from "../runtime/state.ts";

export interface FlagDef {
  type: "string" | "boolean";
  description: string;
  alias?: string[];
  valueHint?: string;
  repeat?: boolean; // may be given more than once; the value is a list
}

export type FlagDefs = Record<string, FlagDef>;

export const commonFlags = {
  root: { type: "string", description: "Directory of the container state", valueHint: "DIR" },
  "data-root": { type: "string", description: "Directory of the persistent data: the unpacked default rootfs (default /var/lib/contain)", valueHint: "DIR" },
  debug: { type: "boolean", description: "Log every step and every system call with its arguments" },
  quiet: { type: "boolean", alias: ["q"], description: "Log nothing but errors" },
} satisfies FlagDefs;

// citty renders the help from its own ArgsDef.
// `usage` names the positional part for the help line, e.g. COMMAND.
export function toCittyArgs(defs: FlagDefs, usage?: { name: string; description: string }): ArgsDef {
  const out: ArgsDef = {};
  if (usage) out[usage.name] = { type: "positional", description: usage.description, required: false };
  for (const [name, d] of Object.entries(defs)) {
    // citty prints every alias with one dash: long aliases go in the text.
    const long = (d.alias ?? []).filter((a) => a.length > 1).map((a) => `--${a}`);
    const notes = [long.length ? `alias ${long.join(", ")}` : "", d.repeat ? "repeatable" : ""].filter(Boolean);
    out[name] = {
      type: d.type,
      description: notes.length ? `${d.description} (${notes.join("; ")})` : d.description,
      alias: (d.alias ?? []).filter((a) => a.length === 1),
      valueHint: d.valueHint,
    };
  }
  return out;
}

export type FlagValues = Record<string, string | boolean | string[] | undefined>;

export interface ParsedLine {
  flags: FlagValues;
  positionals: string[];
}

// `stopAtPositional`: everything from the first positional on is the
// command, taken verbatim.
export function parseFlags(defs: FlagDefs, raw: readonly string[], command: string, stopAtPositional = false): ParsedLine {
  const byName = new Map<string, [string, FlagDef]>();
  for (const [name, d] of Object.entries(defs)) {
    byName.set(name, [name, d]);
    for (const a of d.alias ?? []) byName.set(a, [name, d]);
  }
  const flags: FlagValues = {};
  const positionals: string[] = [];
  const set = (name: string, def: FlagDef, value: string | boolean) => {
    if (def.repeat) flags[name] = [...((flags[name] as string[] | undefined) ?? []), String(value)];
    else flags[name] = value;
  };
  for (let i = 0; i < raw.length; i++) {
    const arg = raw[i] ?? "";
    if (arg === "--") {
      positionals.push(...raw.slice(i + 1));
      break;
    }
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
    if (!found) throw new SpecError(`${long ? "--" : "-"}${key}`, "unknown flag", `see 'contain ${command} --help'`);
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
  return { flags, positionals };
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
