import { expect, test } from "bun:test";
import { HelpWanted, parseFlags } from "../../src/cli/args.ts";
import { execFlags } from "../../src/cli/exec.ts";
import { logsFlags } from "../../src/cli/logs.ts";
import { nodeCreateFlags } from "../../src/cli/node.ts";
import run, { runFlags } from "../../src/cli/run.ts";
import { stopFlags } from "../../src/cli/stop.ts";
import { closest, distance } from "../../src/cli/suggest.ts";
import { SpecError } from "../../src/errors.ts";

const parse = (...raw: string[]) => parseFlags(runFlags, raw, "run", true);

test("flags, aliases and the command after --", () => {
  const { flags, positionals } = parse("-m", "64M", "--pids-limit=10", "--cpu", "0.5", "-e", "A=1", "--env=B=2", "--", "sh", "-c", "echo --memory");
  expect(flags).toMatchObject({ memory: "64M", "pids-limit": "10", cpu: "0.5", env: ["A=1", "B=2"] });
  expect(positionals).toEqual(["sh", "-c", "echo --memory"]);
});

test("the command starts at the first positional: its own flags stay its own", () => {
  const { flags, positionals } = parse("--quiet", "sh", "-c", "true", "--help");
  expect(flags.quiet).toBe(true);
  expect(positionals).toEqual(["sh", "-c", "true", "--help"]);
});

test("booleans: bundled short forms, --no-, =true/false", () => {
  expect(parse("-it", "sh").flags).toMatchObject({ interactive: true, tty: true });
  expect(parse("--no-tty", "sh").flags.tty).toBe(false);
  expect(parse("--tty=false", "sh").flags.tty).toBe(false);
  expect(() => parse("--tty=maybe", "sh")).toThrow(/--tty: takes true or false/);
});

test("an unknown flag is an error that points at the help", () => {
  expect(() => parse("--memroy", "64M", "sh")).toThrow(SpecError);
  expect(() => parse("--memroy", "64M", "sh")).toThrow("--memroy: unknown flag");
  expect(() => parse("-z", "sh")).toThrow("-z: unknown flag");
});

test("a flag without its value is an error", () => {
  expect(() => parse("--memory")).toThrow(/--memory: needs a value/);
});

// The help a line asks for, or undefined when it asks for none.
function helpOf(parse: () => unknown): string | undefined {
  try {
    parse();
    return undefined;
  } catch (err) {
    if (err instanceof HelpWanted) return err.command;
    throw err;
  }
}

test("run and exec: everything after the command is the command's, -h, --help and -q included", () => {
  expect(parse("-q", "ls", "-h", "/")).toEqual({ flags: { quiet: true }, positionals: ["ls", "-h", "/"], dashDash: false });
  expect(parse("--", "ls", "--help")).toEqual({ flags: {}, positionals: ["ls", "--help"], dashDash: true });
  const exec = (...raw: string[]) => parseFlags(execFlags, raw, "exec", true);
  expect(exec("-it", "web", "ls", "--help", "-q")).toEqual({ flags: { interactive: true, tty: true }, positionals: ["web", "ls", "--help", "-q"], dashDash: false });
  expect(helpOf(() => exec("web", "ls", "--help"))).toBeUndefined();
});

test("--help before the command means help; so does -h, but for run, where it is --hostname", () => {
  expect(helpOf(() => parse("-m", "64M", "--help", "sh"))).toBe("run");
  expect(helpOf(() => parse("--help"))).toBe("run");
  expect(parse("-h", "myhost", "--", "hostname")).toEqual({ flags: { hostname: "myhost" }, positionals: ["hostname"], dashDash: true });
  expect(helpOf(() => parseFlags(execFlags, ["-h", "web", "sh"], "exec", true))).toBe("exec");
  expect(helpOf(() => parseFlags(logsFlags, ["web", "-h"], "logs"))).toBe("logs");
  expect(helpOf(() => parseFlags(nodeCreateFlags, ["n1", "--mem", "64", "--help"], "node create"))).toBe("node create");
  // A value is a value, even one that looks like --help.
  expect(parse("--name", "--help", "sh").flags.name).toBe("--help");
});

test("the other commands take flags after their arguments, as docker's do", () => {
  expect(parseFlags(logsFlags, ["web", "-f"], "logs")).toEqual({ flags: { follow: true }, positionals: ["web"], dashDash: false });
  expect(parseFlags(stopFlags, ["web", "-t", "0"], "stop")).toEqual({ flags: { time: "0" }, positionals: ["web"], dashDash: false });
  expect(parseFlags(nodeCreateFlags, ["node-1", "--mem", "256", "--", "sleep", "--help"], "node create")).toEqual({ flags: { mem: "256" }, positionals: ["node-1", "sleep", "--help"], dashDash: true });
});

// The line the CLI prints for an error: its message and its hint.
async function lineOf(act: () => unknown): Promise<string> {
  try {
    await act();
  } catch (err) {
    if (err instanceof SpecError) return `${err.message}; ${err.hint}`;
    throw err;
  }
  throw new Error("no error");
}

test("the image rule: an argument right before -- names an image; what rules one out is refused before anything is read", async () => {
  expect(parse("alpine", "--", "sh")).toEqual({ flags: {}, positionals: ["alpine", "--", "sh"], dashDash: false });
  expect(parse("--image", "alpine", "--", "sh")).toEqual({ flags: { image: "alpine" }, positionals: ["sh"], dashDash: true });
  const runLine = (...rawArgs: string[]) => lineOf(() => run.run?.({ rawArgs, args: { _: [] } as never, cmd: run }));
  expect(await runLine("--rootfs", "/r", "alpine", "--", "sh")).toBe("--rootfs: and the image alpine both give the container's root; leave out one of them");
  expect(await runLine("--rootfs", "/r", "--image", "alpine", "--", "sh")).toBe("--rootfs: and the image alpine both give the container's root; leave out one of them");
  expect(await runLine("--no-overlay", "alpine", "--")).toBe("--no-overlay: would write into the layers of image alpine, which its other containers share; leave out --no-overlay: the container's writes go to a layer of its own");
  expect(await runLine("--image", "a", "b", "--", "sh")).toBe('--image: and "b" before -- both name an image; give one of them');
  expect(await runLine("--pull", "sometimes", "alpine", "--")).toBe('--pull: unknown policy "sometimes"; use missing, always, never, e.g. --pull never');
  expect(await runLine("--pull", "never", "--", "sh")).toBe("--pull: pulls an image, and none is given; name one before --, e.g. contain run alpine -- sh, or leave out --pull");
  expect(await runLine("--image", "", "--", "sh")).toBe("--image: the reference is empty; name an image, e.g. --image alpine (is a variable unset?)");
});

test("an unknown flag names the closest known one", async () => {
  expect(await lineOf(() => parse("--memroy", "64M", "sh"))).toBe("--memroy: unknown flag; did you mean --memory? see 'contain run --help'");
  expect(await lineOf(() => parse("--zzz", "sh"))).toBe("--zzz: unknown flag; see 'contain run --help'");
});

test("suggestions: one edit for short words (a swap counts as one), two from five letters", () => {
  expect(distance("exce", "exec")).toBe(1);
  expect(distance("kitten", "sitting")).toBe(3);
  expect(closest("exce", ["run", "exec", "ps"])).toBe("exec");
  expect(closest("inspetc", ["inspect", "exec"])).toBe("inspect");
  expect(closest("cp", ["ps", "rm", "run"])).toBeUndefined();
  expect(closest("stpo", ["stop", "start"])).toBe("stop");
});
