// docker's --format: a subset of Go's text/template, with docker's functions
// and its `table` prefix. Pure. Used by ps, inspect and stats.
//
//   {{.Field}} {{.State.Status}} {{.}} {{$}}        fields of the data, the data, the root
//   {{json .Config}} {{index .Labels "k"}} {{len .X}} {{join .X ","}} {{split .X ","}}
//   {{upper .X}} {{lower .X}} {{title .X}} {{truncate .X 5}} {{print .A .B}}
//   {{eq .A "x"}} {{ne ...}} {{not ...}} {{and ...}} {{or ...}}   comparisons, logic
//   {{.X | upper}}  a pipeline: the value goes in as the last argument
//   {{if P}}...{{else if P}}...{{else}}...{{end}}  {{range P}}...{{else}}...{{end}}  {{with P}}...{{end}}
//   {{- trims the whitespace before, -}} after; {{/* a comment */}}
//
// Data is what the commands build: a plain object is a Go struct (a field
// it lacks is an error naming the fields it has), a Map is a Go map (a
// missing key is "<no value>", as Go prints it), an array is a slice.
import { ContainError, EXIT } from "../errors.ts";

export class TemplateError extends ContainError {
  constructor(flag: string, message: string, hint = "see docker's --format syntax: {{.Field}}, {{json .}}, table {{.ID}}\\t{{.Names}}") {
    super(`${flag}: ${message}`, hint, EXIT.failed);
    this.name = "TemplateError";
  }
}

type Node =
  | { kind: "text"; text: string }
  | { kind: "action"; pipe: Pipe; src: string }
  | { kind: "if" | "with" | "range"; pipe: Pipe; src: string; body: Node[]; otherwise: Node[] };

// A pipeline: commands joined by |; each command is its operands.
type Pipe = Operand[][];
type Operand =
  | { kind: "field"; base: "dot" | "root" | Pipe; path: string[] }
  | { kind: "func"; name: string }
  | { kind: "literal"; value: unknown };

const NO_VALUE = Symbol("no value");

export interface Template {
  execute(data: unknown): string;
}

// Go's fmt %v, which {{.X}} prints with.
export function show(v: unknown): string {
  if (v === NO_VALUE) return "<no value>";
  if (v === null || v === undefined) return "<nil>";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return String(v);
  if (Array.isArray(v)) return `[${v.map(show).join(" ")}]`;
  if (v instanceof Map) return `map[${sortedKeys(v).map((k) => `${k}:${show(v.get(k))}`).join(" ")}]`;
  return `{${Object.values(v as object).map(show).join(" ")}}`;
}

// Go's encoding/json, as docker's json function calls it: compact, no HTML
// escaping, maps as objects.
export function toJson(v: unknown): string {
  return JSON.stringify(v === NO_VALUE ? null : v, (_, x) => (x instanceof Map ? Object.fromEntries(x) : x)) ?? "null";
}

const sortedKeys = (m: Map<unknown, unknown>) => [...m.keys()].map(String).sort();

// Go's truth: false, 0, nil and empty strings, slices and maps are false.
function truthy(v: unknown): boolean {
  if (v === NO_VALUE || v === null || v === undefined || v === false || v === 0 || v === "") return false;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof Map) return v.size > 0;
  return true;
}

type Fn = (args: unknown[], err: (m: string) => never) => unknown;

const text = (v: unknown) => (typeof v === "string" ? v : show(v));

function arity(name: string, n: number, f: (...a: unknown[]) => unknown): Fn {
  return (args, err) => (args.length === n ? f(...args) : err(`${name} takes ${n} argument${n === 1 ? "" : "s"}, not ${args.length}`));
}

const FUNCS: Record<string, Fn> = {
  json: arity("json", 1, toJson),
  upper: arity("upper", 1, (s) => text(s).toUpperCase()),
  lower: arity("lower", 1, (s) => text(s).toLowerCase()),
  title: arity("title", 1, (s) => text(s).replace(/\b\w/g, (c) => c.toUpperCase())),
  join: (args, err) => {
    const [list, sep] = args;
    if (args.length !== 2 || !Array.isArray(list)) return err("join takes a list and a separator: {{join .X \",\"}}");
    return list.map(text).join(text(sep));
  },
  split: arity("split", 2, (s, sep) => text(s).split(text(sep))),
  truncate: (args, err) => {
    const [s, n] = args;
    if (args.length !== 2 || typeof n !== "number") return err("truncate takes a string and a length: {{truncate .ID 12}}");
    return [...text(s)].slice(0, n).join("");
  },
  len: arity("len", 1, (v) => (Array.isArray(v) ? v.length : v instanceof Map ? v.size : typeof v === "string" ? v.length : v && typeof v === "object" ? Object.keys(v).length : 0)),
  index: (args, err) => {
    if (args.length < 2) return err("index takes a map or list and at least one key: {{index .Labels \"k\"}}");
    let v = args[0];
    for (const key of args.slice(1)) {
      if (v instanceof Map) v = v.has(key) ? v.get(key) : v.has(String(key)) ? v.get(String(key)) : NO_VALUE;
      else if (Array.isArray(v) && typeof key === "number") v = key >= 0 && key < v.length ? v[key] : err(`index ${key} out of range (${v.length} items)`);
      else return err(`cannot index ${v === null || v === undefined || v === NO_VALUE ? "nil" : Array.isArray(v) ? "a list with a string" : typeof v === "object" ? "a struct (use .Field)" : `a ${typeof v}`}`);
    }
    return v;
  },
  print: (args) => args.map(text).join(""),
  not: arity("not", 1, (v) => !truthy(v)),
  and: (args, err) => (args.length ? (args.find((a) => !truthy(a)) ?? args.at(-1)) : err("and takes at least one argument")),
  or: (args, err) => (args.length ? (args.find(truthy) ?? args.at(-1)) : err("or takes at least one argument")),
  eq: (args, err) => (args.length >= 2 ? args.slice(1).some((b) => b === args[0]) : err("eq takes at least two arguments")),
  ne: arity("ne", 2, (a, b) => a !== b),
};

// --- lexing and parsing ----------------------------------------------------

type Token = { t: "field"; path: string[]; root: boolean } | { t: "ident"; name: string } | { t: "literal"; value: unknown } | { t: "pipe" } | { t: "open" } | { t: "close" } | { t: "dotted"; path: string[] };

const KEYWORDS = new Set(["if", "else", "end", "range", "with"]);

// The words of one action: `.A.B`, names, "strings", `raw`, numbers, | ( ).
function lex(src: string, fail: (m: string) => never): Token[] {
  const out: Token[] = [];
  let i = 0;
  const fieldPath = () => {
    const path: string[] = [];
    while (src[i] === ".") {
      i++;
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
      if (!m) break;
      path.push(m[0]);
      i += m[0].length;
    }
    return path;
  };
  while (i < src.length) {
    const c = src[i] ?? "";
    if (/\s/.test(c)) {
      i++;
    } else if (c === "|") {
      out.push({ t: "pipe" });
      i++;
    } else if (c === "(") {
      out.push({ t: "open" });
      i++;
    } else if (c === ")") {
      out.push({ t: "close" });
      i++;
      // (pipeline).Field
      if (src[i] === ".") out.push({ t: "dotted", path: fieldPath() });
    } else if (c === ".") {
      out.push({ t: "field", path: fieldPath(), root: false });
    } else if (c === "$") {
      i++;
      if (/[A-Za-z_]/.test(src[i] ?? "")) fail(`variables ($${/^\w+/.exec(src.slice(i))?.[0]}) are not supported; use $ for the whole data, or .Field`);
      out.push({ t: "field", path: fieldPath(), root: true });
    } else if (c === '"') {
      const m = /^"(?:[^"\\\n]|\\.)*"/.exec(src.slice(i));
      if (!m) fail(`unterminated string in ${src.trim()}`);
      try {
        out.push({ t: "literal", value: JSON.parse(m[0]) });
      } catch {
        fail(`bad string ${m[0]}`);
      }
      i += m[0].length;
    } else if (c === "`") {
      const end = src.indexOf("`", i + 1);
      if (end < 0) fail(`unterminated raw string in ${src.trim()}`);
      out.push({ t: "literal", value: src.slice(i + 1, end) });
      i = end + 1;
    } else if (/[-0-9]/.test(c)) {
      const m = /^-?\d+(\.\d+)?/.exec(src.slice(i));
      if (!m) fail(`unexpected "${c}" in ${src.trim()}`);
      out.push({ t: "literal", value: Number(m[0]) });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i)) as RegExpExecArray;
      i += m[0].length;
      const name = m[0];
      if (name === "true" || name === "false") out.push({ t: "literal", value: name === "true" });
      else if (name === "nil") out.push({ t: "literal", value: null });
      else out.push({ t: "ident", name });
    } else {
      fail(`unexpected "${c}" in ${src.trim()}`);
    }
  }
  return out;
}

function parsePipe(tokens: Token[], src: string, fail: (m: string) => never): Pipe {
  let i = 0;
  const pipe = (inParens: boolean): Pipe => {
    const cmds: Operand[][] = [[]];
    for (;;) {
      const tok = tokens[i];
      if (!tok) {
        if (inParens) fail(`unclosed ( in {{${src}}}`);
        break;
      }
      i++;
      const cmd = cmds.at(-1) as Operand[];
      if (tok.t === "pipe") {
        if (!cmd.length) fail(`missing command before | in {{${src}}}`);
        cmds.push([]);
      } else if (tok.t === "close") {
        if (!inParens) fail(`unexpected ) in {{${src}}}`);
        break;
      } else if (tok.t === "open") {
        const inner = pipe(true);
        const next = tokens[i];
        if (next?.t === "dotted") {
          i++;
          cmd.push({ kind: "field", base: inner, path: next.path });
        } else cmd.push({ kind: "field", base: inner, path: [] });
      } else if (tok.t === "field") cmd.push({ kind: "field", base: tok.root ? "root" : "dot", path: tok.path });
      else if (tok.t === "literal") cmd.push({ kind: "literal", value: tok.value });
      else if (tok.t === "ident") {
        if (KEYWORDS.has(tok.name)) fail(`{{${tok.name}}} cannot be used here, in {{${src}}}`);
        if (!Object.hasOwn(FUNCS, tok.name)) fail(`function "${tok.name}" not defined (there are ${Object.keys(FUNCS).join(", ")})`);
        cmd.push({ kind: "func", name: tok.name });
      } else fail(`unexpected ${tok.t} in {{${src}}}`);
    }
    if (!cmds.every((c) => c.length)) fail(`missing command in {{${src}}}`);
    return cmds;
  };
  const p = pipe(false);
  if (!p.length) fail(`empty action {{${src}}}`);
  return p;
}

// Splits the text into text and {{actions}}, with Go's trim markers.
function scan(source: string, fail: (m: string) => never): ({ text: string } | { action: string })[] {
  const parts: ({ text: string } | { action: string })[] = [];
  let i = 0;
  while (i < source.length) {
    const open = source.indexOf("{{", i);
    if (open < 0) {
      parts.push({ text: source.slice(i) });
      break;
    }
    let before = source.slice(i, open);
    let start = open + 2;
    if (source.startsWith("- ", start) || source.startsWith("-\t", start) || source.startsWith("-\n", start)) {
      before = before.trimEnd();
      start += 1;
    }
    if (before) parts.push({ text: before });
    const comment = source.slice(start).trimStart().startsWith("/*");
    const close = comment ? source.indexOf("*/", start) : source.indexOf("}}", start);
    const end = close < 0 ? -1 : source.indexOf("}}", close);
    if (end < 0) fail(`unclosed action: ${source.slice(open, open + 20)}${source.length > open + 20 ? "..." : ""} has no }}`);
    let body = source.slice(start, end);
    i = end + 2;
    if (/[ \t\n]-$/.test(body)) {
      body = body.slice(0, -1);
      const rest = source.slice(i);
      i += rest.length - rest.trimStart().length;
    }
    if (!comment) parts.push({ action: body });
  }
  return parts;
}

export function parseTemplate(source: string, flag = "--format"): Template {
  const fail = (m: string): never => {
    throw new TemplateError(flag, m);
  };
  const parts = scan(source, fail);
  let at = 0;
  // Nodes until {{end}} or {{else}} (returned), or the end of the text.
  const block = (opener?: string): { nodes: Node[]; stop?: "end" | "else" | "elseif"; elseIf?: string } => {
    const nodes: Node[] = [];
    while (at < parts.length) {
      const part = parts[at++] as { text: string } | { action: string };
      if ("text" in part) {
        nodes.push({ kind: "text", text: part.text });
        continue;
      }
      const src = part.action.trim();
      const word = /^[a-z]+/.exec(src)?.[0] ?? "";
      if (src === "end" || src === "else" || (word === "else" && /^else\s+if\s/.test(src))) {
        if (!opener) fail(`unexpected {{${src}}}: there is no {{if}}, {{range}} or {{with}} to ${src === "end" ? "end" : "go with it"}`);
        if (src === "end") return { nodes, stop: "end" };
        if (src === "else") return { nodes, stop: "else" };
        return { nodes, stop: "elseif", elseIf: src.replace(/^else\s+/, "") };
      }
      if (word === "if" || word === "range" || word === "with") {
        if (src === word) fail(`{{${word}}} needs a value, e.g. {{${word} .Field}}`);
        nodes.push(control(word, src));
        continue;
      }
      nodes.push({ kind: "action", pipe: parsePipe(lex(src, fail), src, fail), src });
    }
    if (opener) fail(`{{${opener}}} has no {{end}}`);
    return { nodes };
  };
  const control = (word: "if" | "range" | "with", src: string): Node => {
    const pipe = parsePipe(lex(src.slice(word.length), fail), src, fail);
    const body = block(src);
    let otherwise: Node[] = [];
    if (body.stop === "else") {
      const rest = block(src);
      if (rest.stop !== "end") fail(`{{${src}}} has a second {{else}}`);
      otherwise = rest.nodes;
    } else if (body.stop === "elseif") {
      // {{else if P}} is {{else}}{{if P}}...{{end}}, sharing the one {{end}}.
      if (word !== "if") fail(`{{else if}} goes with {{if}}, not {{${word}}}`);
      otherwise = [control("if", body.elseIf ?? "")];
    }
    return { kind: word, pipe, src, body: body.nodes, otherwise };
  };
  const nodes = block().nodes;
  return { execute: (data) => run(nodes, data, data, flag) };
}

// --- execution ---------------------------------------------------------------

function fieldOf(v: unknown, name: string, shown: string, fail: (m: string, hint?: string) => never): unknown {
  if (v === NO_VALUE || v === null || v === undefined) return fail(`${shown}: ${shown.slice(0, -name.length - 1) || "."} is nil, it has no field ${name}`);
  if (v instanceof Map) return v.has(name) ? v.get(name) : NO_VALUE;
  if (typeof v === "object" && !Array.isArray(v)) {
    if (Object.hasOwn(v, name)) return (v as Record<string, unknown>)[name];
    const fields = Object.keys(v);
    return fail(`${shown}: no field ${name}`, fields.length ? `the fields there are ${fields.join(", ")}` : undefined);
  }
  return fail(`${shown}: ${Array.isArray(v) ? "a list" : `a ${typeof v}`} has no field ${name}${Array.isArray(v) ? " (use {{range}} or {{index}})" : ""}`);
}

function run(nodes: Node[], dot: unknown, root: unknown, flag: string): string {
  const fail = (m: string, hint?: string): never => {
    throw new TemplateError(flag, m, hint);
  };
  const operand = (o: Operand, d: unknown): unknown => {
    if (o.kind === "literal") return o.value;
    if (o.kind === "func") return fail(`${o.name} is a function, not a value`);
    let v = o.base === "dot" ? d : o.base === "root" ? root : evalPipe(o.base, d);
    let shown = o.base === "root" ? "$" : "";
    for (const name of o.path) {
      shown += `.${name}`;
      v = fieldOf(v, name, shown, fail);
    }
    return v;
  };
  const evalPipe = (pipe: Pipe, d: unknown): unknown => {
    let value: unknown;
    pipe.forEach((cmd, n) => {
      const [head, ...rest] = cmd as [Operand, ...Operand[]];
      const piped = n > 0 ? [value] : [];
      if (head.kind === "func") {
        const fn = FUNCS[head.name] as Fn;
        value = fn([...rest.map((o) => operand(o, d)), ...piped], (m) => fail(m));
      } else {
        if (rest.length || piped.length) fail(`${rest.length ? "a value" : "a piped value"} cannot take arguments: start the command with a function`);
        value = operand(head, d);
      }
    });
    return value;
  };
  let out = "";
  for (const node of nodes) {
    if (node.kind === "text") out += node.text;
    else if (node.kind === "action") out += show(evalPipe(node.pipe, dot));
    else {
      const v = evalPipe(node.pipe, dot);
      if (node.kind === "if") out += run(truthy(v) ? node.body : node.otherwise, dot, root, flag);
      else if (node.kind === "with") out += truthy(v) ? run(node.body, v, root, flag) : run(node.otherwise, dot, root, flag);
      else {
        const items = Array.isArray(v) ? v : v instanceof Map ? sortedKeys(v).map((k) => v.get(k)) : v === null || v === undefined || v === NO_VALUE ? [] : fail(`{{${node.src}}}: cannot range over ${show(v)}: it is not a list or a map`);
        out += items.length ? items.map((item) => run(node.body, item, root, flag)).join("") : run(node.otherwise, dot, root, flag);
      }
    }
  }
  return out;
}

// --- docker's formats ---------------------------------------------------------

// A --format as docker reads it: `table` alone or `table TEMPLATE` (a header,
// then aligned columns), `json`, or a template printed once per item; \t and
// \n written in the shell's quotes mean a tab and a newline.
export type Format = { kind: "default" } | { kind: "json" } | { kind: "template"; table: boolean; template: Template };

export function parseFormat(format: string | undefined, flag = "--format"): Format {
  if (format === undefined || format === "table") return { kind: "default" };
  if (format === "json") return { kind: "json" };
  const table = /^table(\s|$)/.test(format);
  const body = (table ? format.slice(5) : format).trim().replaceAll("\\t", "\t").replaceAll("\\n", "\n");
  return { kind: "template", table, template: parseTemplate(body, flag) };
}

// Each item through the template, one per line; with `table`, a header
// first: the template run on `header`, the column names of the fields.
export function renderItems(format: Extract<Format, { kind: "template" }>, items: readonly unknown[], header?: unknown): string {
  const lines = items.map((item) => format.template.execute(item));
  if (!format.table) return lines.map((l) => `${l}\n`).join("");
  return alignColumns([format.template.execute(header ?? {}), ...lines]);
}

// docker's tabwriter (minwidth 10, padding 3): the cells between tabs of all
// lines, each column as wide as its widest cell; the last cell unpadded.
export function alignColumns(lines: readonly string[]): string {
  const rows = lines.flatMap((l) => l.split("\n")).map((l) => l.split("\t"));
  const widths: number[] = [];
  for (const r of rows) r.slice(0, -1).forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, Math.max(10, c.length + 3))));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join("").trimEnd() + "\n").join("");
}
