// Help, rendered from the commands' definitions (citty's renderer
// right-aligns the flags and pads every line to the longest): a usage line
// with the arguments the command needs, then left-aligned flags, each
// description wrapped to the terminal's width. Loaded only when help is asked
// for.
import type { ArgDef, ArgsDef, CommandDef, CommandMeta, Resolvable } from "citty";

// A group of commands under its own title, for the top-level help.
export type CommandGroups = readonly (readonly [title: string, names: readonly string[]])[];

const resolve = async <T,>(value: Resolvable<T> | undefined): Promise<T | undefined> => (typeof value === "function" ? await (value as () => T | Promise<T>)() : await value);

// `text` in lines of at most `width` columns; a word longer than that stands alone.
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

// Rows of `label  description`, the descriptions in one column; a label too
// wide for the column puts its description on the next line.
function table(rows: readonly (readonly [string, string])[], width: number): string[] {
  const widest = Math.max(0, ...rows.map(([label]) => label.length));
  const column = Math.min(widest, Math.max(12, Math.floor(width * 0.4))) + 4;
  const out: string[] = [];
  for (const [label, description] of rows) {
    const text = wrap(description, Math.max(20, width - column));
    const pad = " ".repeat(column);
    if (label.length + 4 > column) out.push(`  ${label}`, ...text.map((t) => pad + t));
    else out.push(...text.map((t, i) => (i === 0 ? `  ${label.padEnd(column - 2)}${t}` : pad + t)));
  }
  return out;
}

// A flag's names as they are written: -m, --memory; --net, --network; and
// --no-overlay for a flag on by default. The completion scripts take them too.
export function flagNames(name: string, def: ArgDef): string[] {
  if (def.type === "boolean" && def.negativeDescription !== undefined) return [`--no-${name}`];
  const alias = "alias" in def ? def.alias : undefined;
  const aliases: string[] = typeof alias === "string" ? [alias] : (alias ?? []);
  return [...aliases.filter((a) => a.length === 1).map((a) => `-${a}`), `--${name}`, ...aliases.filter((a) => a.length > 1).map((a) => `--${a}`)];
}

// What a flag's line says of it: its help, or its --no- form's.
export const flagDescription = (def: ArgDef): string => (def.type === "boolean" && def.negativeDescription) || def.description || "";

function flagLabel(name: string, def: ArgDef): string {
  const names = flagNames(name, def);
  const short = names.filter((n) => !n.startsWith("--"));
  const long = names.filter((n) => n.startsWith("--")).join(", ");
  const value = def.type === "string" ? ` ${def.valueHint ?? "VALUE"}` : "";
  return `${short.map((n) => `${n}, `).join("") || "    "}${long}${value}`;
}

export async function renderHelp(cmd: CommandDef, path: readonly string[], width: number, groups?: CommandGroups): Promise<string> {
  const meta = (await resolve<CommandMeta>(cmd.meta)) ?? {};
  const args = (await resolve<ArgsDef>(cmd.args)) ?? {};
  const subs = (await resolve(cmd.subCommands)) as Record<string, Resolvable<CommandDef>> | undefined;
  const entries = Object.entries(args);
  const positionals = entries.filter(([, d]) => d.type === "positional");
  const flags = entries.filter(([, d]) => d.type !== "positional");
  const words = positionals.map(([name, d]) => {
    const usage = d.valueHint ?? name.toUpperCase();
    return d.required ? usage : `[${usage}]`;
  });
  const usage = [...path, ...(flags.length ? ["[OPTIONS]"] : []), ...(subs ? ["COMMAND"] : []), ...words].join(" ");
  const out = [...wrap(`Usage: ${usage}`, width), ""];
  if (meta.description) out.push(...wrap(meta.description, width), "");
  if (subs) {
    const described = async (name: string): Promise<[string, string]> => {
      const sub = await resolve(subs[name]);
      return [name, (await resolve<CommandMeta>(sub?.meta))?.description ?? ""];
    };
    for (const [title, names] of groups ?? [["Commands", Object.keys(subs)]]) {
      out.push(`${title}:`, ...table(await Promise.all(names.map(described)), width), "");
    }
  }
  if (positionals.length) out.push("Arguments:", ...table(positionals.map(([name, d]) => [name.toUpperCase(), d.description ?? ""]), width), "");
  if (flags.length) {
    const rows = flags.map(([name, d]): [string, string] => [flagLabel(name, d), flagDescription(d)]);
    out.push("Options:", ...table(rows, width), "");
  }
  if (subs) out.push(...wrap(`Run '${path.join(" ")} COMMAND --help' for more information on a command.`, width), "");
  return `${out.join("\n").trimEnd()}\n`;
}
