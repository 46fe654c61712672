// The command line as a docker user's hands type it, through the binary:
// what is contain's and what is the container's, help, unknown commands,
// exit codes.
import { afterAll, expect, test } from "bun:test";
import { BIN, Harness } from "./harness.ts";

const h = new Harness();
afterAll(() => {
  h.finish();
});

test("run: contain's flags end at the command, whose -h, --help and -q are its own", () => {
  const r = h.run(["run", "-q", "ls", "-h", "-d", "/proc/self"]);
  expect(r).toEqual({ code: 0, stdout: "/proc/self\n", stderr: "" });
  const sh = h.run(["run", "-q", "sh", "-c", 'echo "$@"', "sh", "--help", "-q"]);
  expect(sh).toEqual({ code: 0, stdout: "--help -q\n", stderr: "" });
  expect(h.run(["run", "-q", "-h", "myhost", "--", "hostname"]).stdout).toBe("myhost\n");
});

test("exec: the container's command keeps its --help", () => {
  h.run(["run", "-d", "-q", "--name", "cli-web", "--", "sleep", "60"]);
  expect(h.run(["exec", "cli-web", "sh", "-c", 'echo "$@"', "sh", "--help"])).toEqual({ code: 0, stdout: "--help\n", stderr: "" });
  const help = h.run(["exec", "--help", "cli-web", "sh"]);
  expect(help.code).toBe(0);
  expect(help.stdout).toStartWith("Usage: contain exec [OPTIONS] CONTAINER COMMAND [ARG...]\n");
  expect(h.run(["rm", "-f", "cli-web"]).code).toBe(0);
});

test("--help anywhere before the command, and after the arguments of the other commands", () => {
  for (const [args, usage] of [
    [["run", "-m", "64M", "--help"], "contain run [OPTIONS] [IMAGE] [--] COMMAND [ARG...]"],
    [["logs", "web", "--help"], "contain logs [OPTIONS] CONTAINER"],
    [["stop", "-h"], "contain stop [OPTIONS] CONTAINER [CONTAINER...]"],
    [["node", "create", "n1", "--help"], "contain node create [OPTIONS] NAME [-- COMMAND [ARG...]]"],
    [["help", "node", "rm"], "contain node rm [OPTIONS] NAME [NAME...]"],
    [["node"], "contain node COMMAND"],
    [["-h"], "contain [OPTIONS] COMMAND"],
    [[], "contain [OPTIONS] COMMAND"],
  ] as const) {
    const r = Bun.spawnSync([BIN, ...args], { stdout: "pipe", stderr: "pipe" });
    expect({ args, code: r.exitCode, first: r.stdout.toString().split("\n")[0], stderr: r.stderr.toString() }).toEqual({ args, code: 0, first: `Usage: ${usage}`, stderr: "" });
    // Not a terminal: 80 columns.
    for (const line of r.stdout.toString().split("\n")) expect(line.length).toBeLessThanOrEqual(80);
  }
});

test("an unknown command, with or without --help: one line naming the closest command, exit 1", () => {
  for (const [args, line] of [
    [["frobnicate", "a", "b"], `unknown command "frobnicate"; see 'contain --help'`],
    [["frobnicate", "--help"], `unknown command "frobnicate"; see 'contain --help'`],
    [["help", "exce"], `unknown command "exce"; did you mean "exec"? see 'contain --help'`],
    [["inspetc", "web"], `unknown command "inspetc"; did you mean "inspect"? see 'contain --help'`],
    [["node", "craete", "n1"], `unknown command "craete" for contain node; did you mean "create"? use contain node create, ls or rm`],
  ] as const) {
    const r = Bun.spawnSync([BIN, ...args], { stdout: "pipe", stderr: "pipe" });
    expect({ args, code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() }).toEqual({ args, code: 1, stdout: "", stderr: `[contain] error: ${line}\n` });
  }
});

test("an argument right before -- names an image: one the store lacks, with --pull never, is refused in one line, exit 125, nothing made", () => {
  const r = h.run(["run", "--pull", "never", "alpine", "--", "sh"]);
  expect(r).toEqual({
    code: 125,
    stdout: "",
    stderr: "[contain] error: image alpine is not in the store (--pull never); pull it first (contain pull alpine), or leave out --pull never\n",
  });
  h.expectClean();
});

test("exit codes as docker's: 1 when a management command fails, 125 for a bad line or run's own error", () => {
  expect(h.run(["stop", "ghost"]).code).toBe(1);
  expect(h.run(["stop", "--bogus", "ghost"]).code).toBe(125);
  expect(h.run(["run", "--name", "bad name!", "--", "true"]).code).toBe(125);
  h.run(["run", "-d", "-q", "--name", "cli-once", "--", "true"]);
  h.run(["wait", "cli-once"]);
  for (const args of [["kill", "cli-once"], ["pause", "cli-once"], ["exec", "cli-once", "true"], ["logs", "nothing-here"], ["inspect", "nothing-here"]]) expect({ args, code: h.run(args).code }).toEqual({ args, code: 1 });
  expect(h.run(["rm", "cli-once"]).code).toBe(0);
  h.expectClean();
});

test("-it without a terminal is refused as docker refuses it; -t alone is allowed", () => {
  const line = "the input device is not a TTY; leave out -t to give the command stdin as it is (-i), or run it from a terminal";
  expect(h.run(["run", "-it", "--", "tty"], { stdin: "" })).toEqual({ code: 125, stdout: "", stderr: `[contain] error: ${line}\n` });
  h.run(["run", "-d", "-q", "--name", "cli-tty", "--", "sleep", "60"]);
  expect(h.run(["exec", "-it", "cli-tty", "tty"], { stdin: "" })).toEqual({ code: 1, stdout: "", stderr: `[contain] error: ${line}\n` });
  expect(h.run(["exec", "-t", "cli-tty", "tty"], { stdin: "" }).stdout).toMatch(/^\/dev\/pts\/\d+\r\n$/);
  expect(h.run(["rm", "-f", "cli-tty"]).code).toBe(0);
  expect(h.run(["run", "-q", "-t", "--", "tty"], { stdin: "" }).stdout).toMatch(/^\/dev\/pts\/\d+\r\n$/);
  h.expectClean();
});
