import { expect, test } from "bun:test";
import { alignColumns, parseFormat, parseTemplate, renderItems, show, TemplateError } from "../../src/cli/template.ts";

const data = {
  ID: "3a59f4ed6cbd",
  Names: "web",
  State: { Status: "running", Pid: 4242, ExitCode: 0, OOMKilled: false, Running: true },
  Config: { Cmd: ["httpd", "-f"], Labels: new Map([["tier", "front"], ["app", "shop"]]), Env: [] as string[] },
  Mounts: [
    { Source: "/srv", Destination: "/www" },
    { Source: "/tmp/a", Destination: "/a" },
  ],
};
const render = (src: string, d: unknown = data) => parseTemplate(src).execute(d);

test("fields, nested fields, the data and the root", () => {
  expect(render("{{.ID}} {{.Names}}")).toBe("3a59f4ed6cbd web");
  expect(render("{{.State.Status}}/{{.State.Pid}}/{{.State.ExitCode}}/{{.State.OOMKilled}}")).toBe("running/4242/0/false");
  expect(render("{{.}}", "x")).toBe("x");
  expect(render("{{range .Mounts}}{{$.Names}}:{{.Destination}} {{end}}")).toBe("web:/www web:/a ");
  expect(render("plain text")).toBe("plain text");
});

test("values print as Go's %v does", () => {
  expect(render("{{.Config.Cmd}}")).toBe("[httpd -f]");
  expect(render("{{.Config.Labels}}")).toBe("map[app:shop tier:front]");
  expect(render("{{.State}}")).toBe("{running 4242 0 false true}");
  expect(show(null)).toBe("<nil>");
  expect(render("{{.Config.Labels.none}}")).toBe("<no value>");
});

test("json: compact, maps as objects, no HTML escaping", () => {
  expect(JSON.parse(render("{{json .Config}}"))).toEqual({ Cmd: ["httpd", "-f"], Labels: { tier: "front", app: "shop" }, Env: [] });
  expect(render("{{json .Names}}")).toBe('"web"');
  expect(render("{{json .}}", { a: "<&>" })).toBe('{"a":"<&>"}');
});

test("index, len, join, split, upper, lower, title, truncate, print", () => {
  expect(render('{{index .Config.Labels "tier"}}')).toBe("front");
  expect(render('{{index .Config.Labels "missing"}}')).toBe("<no value>");
  expect(render("{{index .Config.Cmd 1}}")).toBe("-f");
  expect(render("{{len .Mounts}} {{len .Config.Labels}} {{len .Names}}")).toBe("2 2 3");
  expect(render('{{join .Config.Cmd ","}}')).toBe("httpd,-f");
  expect(render('{{range split "a:b" ":"}}<{{.}}>{{end}}')).toBe("<a><b>");
  expect(render("{{upper .Names}} {{lower \"AB\"}} {{title \"hello world\"}}")).toBe("WEB ab Hello World");
  expect(render("{{truncate .ID 4}}")).toBe("3a59");
  expect(render('{{print .Names "-" .State.Pid}}')).toBe("web-4242");
});

test("pipelines pass the value as the last argument", () => {
  expect(render("{{.Names | upper}}")).toBe("WEB");
  expect(render('{{.Config.Labels | len}} {{"x" | print "a"}}')).toBe("2 ax");
  expect(render("{{(index .Mounts 1).Destination}}")).toBe("/a");
});

test("if, else if, else, with, range with else, comparisons", () => {
  expect(render('{{if eq .State.Status "running"}}up{{else}}down{{end}}')).toBe("up");
  expect(render('{{if eq .State.Status "exited"}}a{{else if .State.Running}}b{{else}}c{{end}}')).toBe("b");
  expect(render('{{if ne .State.ExitCode 0}}failed{{else}}ok{{end}}')).toBe("ok");
  expect(render("{{if not .State.OOMKilled}}fine{{end}}")).toBe("fine");
  expect(render("{{if and .State.Running .Names}}y{{end}}{{if or .Config.Env .Names}}z{{end}}")).toBe("yz");
  expect(render("{{with .State}}{{.Pid}}{{end}}")).toBe("4242");
  expect(render("{{range .Config.Env}}x{{else}}none{{end}}")).toBe("none");
  // A map ranges in key order, as Go's does.
  expect(render("{{range .Config.Labels}}{{.}} {{end}}")).toBe("shop front ");
  expect(render("{{if .Config.Env}}y{{else}}empty{{end}}")).toBe("empty");
});

test("trim markers and comments", () => {
  expect(render("a  {{- .Names -}}  b")).toBe("awebb");
  expect(render("a{{/* note */}}b")).toBe("ab");
});

test("errors name the problem in one line, with exit 1", () => {
  const fails = (src: string, d: unknown = data) => {
    try {
      render(src, d);
    } catch (err) {
      expect(err).toBeInstanceOf(TemplateError);
      expect((err as TemplateError).exitCode).toBe(1);
      const e = err as TemplateError;
      expect(`${e.message}; ${e.hint}`).not.toContain("\n");
      return `${e.message}; ${e.hint}`;
    }
    throw new Error(`${src} did not fail`);
  };
  expect(fails("{{.Nope}}")).toContain("--format: .Nope: no field Nope; the fields there are ID, Names, State, Config, Mounts");
  expect(fails("{{.State.Nope}}")).toContain(".State.Nope: no field Nope; the fields there are Status, Pid");
  expect(fails("{{.ID")).toContain("unclosed action: {{.ID has no }}");
  expect(fails("{{if .ID}}x")).toContain("{{if .ID}} has no {{end}}");
  expect(fails("x{{end}}")).toContain("unexpected {{end}}");
  expect(fails("{{nope .ID}}")).toContain('function "nope" not defined');
  expect(fails("{{range .ID}}{{end}}")).toContain("cannot range over 3a59f4ed6cbd");
  expect(fails("{{.ID.X}}")).toContain(".ID.X: a string has no field X");
  expect(fails('{{index .State "Pid"}}')).toContain("cannot index a struct");
  expect(fails("{{json}}")).toContain("json takes 1 argument, not 0");
  expect(fails('{{"a}}')).toContain("unterminated string");
  expect(fails("{{$x := 1}}")).toContain("variables ($x) are not supported");
  expect(fails("{{.ID .Names}}")).toContain("a value cannot take arguments");
  expect(fails("{{.Names | .ID}}")).toContain("a piped value cannot take arguments");
  expect(fails("{{if}}{{end}}")).toContain("{{if}} needs a value");
});

test("--format: table, json, and a template with \\t and \\n written out", () => {
  expect(parseFormat(undefined)).toEqual({ kind: "default" });
  expect(parseFormat("table")).toEqual({ kind: "default" });
  expect(parseFormat("json")).toEqual({ kind: "json" });
  const rows = [
    { ID: "3a59f4ed6cbd", Names: "web" },
    { ID: "0011aabbccdd", Names: "a-much-longer-name" },
  ];
  const plain = parseFormat("{{.ID}}\\t{{.Names}}");
  if (plain.kind !== "template") throw new Error("not a template");
  expect(renderItems(plain, rows)).toBe("3a59f4ed6cbd\tweb\n0011aabbccdd\ta-much-longer-name\n");
  const table = parseFormat("table {{.ID}}\\t{{.Names}}");
  if (table.kind !== "template") throw new Error("not a template");
  expect(renderItems(table, rows, { ID: "CONTAINER ID", Names: "NAMES" })).toBe(
    ["CONTAINER ID   NAMES", "3a59f4ed6cbd   web", "0011aabbccdd   a-much-longer-name", ""].join("\n"),
  );
});

test("columns: docker's tabwriter, 10 wide at least, 3 spaces apart, no trailing spaces", () => {
  expect(alignColumns(["A\tB\tC", "long cell here\tx\t"])).toBe(`${"A".padEnd(17)}${"B".padEnd(10)}C\n${"long cell here".padEnd(17)}x\n`);
});
