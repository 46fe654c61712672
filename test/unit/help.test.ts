// The help of every command: pinned at 80 columns (a change to it is a visible
// diff), and held to the rules a snapshot alone would not keep: every line
// fits, no trailing spaces, the usage line names the arguments the command
// needs, every flag is listed as it is written.
import { expect, test } from "bun:test";
import type { ArgsDef, CommandDef } from "citty";
import completion from "../../src/cli/completion.ts";
import cp from "../../src/cli/cp.ts";
import create from "../../src/cli/create.ts";
import del from "../../src/cli/delete.ts";
import events from "../../src/cli/events.ts";
import exec from "../../src/cli/exec.ts";
import features from "../../src/cli/features.ts";
import { renderHelp, wrap } from "../../src/cli/help.ts";
import inspect from "../../src/cli/inspect.ts";
import attach from "../../src/cli/attach.ts";
import kill from "../../src/cli/kill.ts";
import list from "../../src/cli/list.ts";
import logs from "../../src/cli/logs.ts";
import { commandGroups, main } from "../../src/cli/main.ts";
import node, { nodeCommands } from "../../src/cli/node.ts";
import image, { imageCommands } from "../../src/cli/image.ts";
import images from "../../src/cli/images.ts";
import rmi from "../../src/cli/rmi.ts";
import tag from "../../src/cli/tag.ts";
import pull from "../../src/cli/pull.ts";
import importCommand from "../../src/cli/import.ts";
import save from "../../src/cli/save.ts";
import login from "../../src/cli/login.ts";
import logout from "../../src/cli/logout.ts";
import pause, { unpause } from "../../src/cli/pause.ts";
import port from "../../src/cli/port.ts";
import prune from "../../src/cli/prune.ts";
import ps from "../../src/cli/ps.ts";
import rm from "../../src/cli/rm.ts";
import run from "../../src/cli/run.ts";
import spec from "../../src/cli/spec.ts";
import start from "../../src/cli/start.ts";
import state from "../../src/cli/state.ts";
import stats from "../../src/cli/stats.ts";
import restart from "../../src/cli/restart.ts";
import stop from "../../src/cli/stop.ts";
import update from "../../src/cli/update.ts";
import wait from "../../src/cli/wait.ts";

const commands: [string, CommandDef][] = Object.entries({ run, ps, exec, attach, logs, stats, inspect, port, cp, kill, stop, restart, pause, unpause, rm, wait, prune, node, pull, images, import: importCommand, save, tag, rmi, image, login, logout, create, start, state, delete: del, list, update, events, features, spec, completion });
const every: [string, CommandDef][] = [["contain", main], ...commands.map(([name, cmd]): [string, CommandDef] => [`contain ${name}`, cmd]), ...Object.entries(nodeCommands).map(([name, cmd]): [string, CommandDef] => [`contain node ${name}`, cmd]), ...Object.entries(imageCommands).map(([name, cmd]): [string, CommandDef] => [`contain image ${name}`, cmd])];

const help = (path: string, cmd: CommandDef, width = 80) => renderHelp(cmd, path.split(" "), width, cmd === main ? commandGroups : undefined);

test.each(every)("%s --help", async (path, cmd) => {
  expect(await help(path, cmd)).toMatchSnapshot();
});

test.each(every)("%s --help: every line fits 80 columns, none ends in a space", async (path, cmd) => {
  for (const line of (await help(path, cmd)).split("\n")) {
    expect(line.length).toBeLessThanOrEqual(80);
    expect(line).not.toMatch(/\s$/);
  }
});

// Narrower, only a word that no line could hold (a value's syntax such as
// [IP:]HOSTPORT:CONTAINERPORT[/tcp|/udp]) may stand out.
test.each(every)("%s --help wraps to a 50-column terminal", async (path, cmd) => {
  for (const line of (await help(path, cmd, 50)).split("\n")) {
    if (line.length > 50) expect(line.trim()).not.toContain(" ");
  }
});

test.each(every)("%s --help lists every flag as it is written", async (path, cmd) => {
  const text = await help(path, cmd);
  for (const [name, d] of Object.entries((cmd.args ?? {}) as ArgsDef)) {
    if (d.type === "positional") continue;
    const written = d.type === "boolean" && d.negativeDescription !== undefined ? `--no-${name}` : `--${name}`;
    expect(text).toMatch(new RegExp(`^ {2}(-\\w, | {4})${written}\\b`, "m"));
  }
});

// Written out by hand: what each usage line must say.
const USAGE: Record<string, string> = {
  contain: "contain [OPTIONS] COMMAND",
  "contain run": "contain run [OPTIONS] [IMAGE] [--] COMMAND [ARG...]",
  "contain ps": "contain ps [OPTIONS] [ID]",
  "contain inspect": "contain inspect [OPTIONS] CONTAINER [CONTAINER...]",
  "contain port": "contain port [OPTIONS] CONTAINER [PORT[/PROTO]]",
  "contain stats": "contain stats [OPTIONS] [CONTAINER...]",
  "contain exec": "contain exec [OPTIONS] CONTAINER COMMAND [ARG...]",
  "contain logs": "contain logs [OPTIONS] CONTAINER",
  "contain cp": "contain cp [OPTIONS] SRC DEST",
  "contain attach": "contain attach [OPTIONS] CONTAINER",
  "contain kill": "contain kill [OPTIONS] CONTAINER [CONTAINER...]",
  "contain stop": "contain stop [OPTIONS] CONTAINER [CONTAINER...]",
  "contain start": "contain start [OPTIONS] CONTAINER [CONTAINER...]",
  "contain restart": "contain restart [OPTIONS] CONTAINER [CONTAINER...]",
  "contain pause": "contain pause [OPTIONS] CONTAINER [CONTAINER...]",
  "contain unpause": "contain unpause [OPTIONS] CONTAINER [CONTAINER...]",
  "contain rm": "contain rm [OPTIONS] CONTAINER [CONTAINER...]",
  "contain wait": "contain wait [OPTIONS] CONTAINER [CONTAINER...]",
  "contain prune": "contain prune [OPTIONS]",
  "contain node": "contain node COMMAND",
  "contain node create": "contain node create [OPTIONS] NAME [-- COMMAND [ARG...]]",
  "contain node ls": "contain node ls [OPTIONS]",
  "contain node rm": "contain node rm [OPTIONS] NAME [NAME...]",
  "contain images": "contain images [OPTIONS] [REPOSITORY[:TAG]]",
  "contain pull": "contain pull [OPTIONS] NAME[:TAG|@DIGEST]",
  "contain import": "contain import [OPTIONS] FILE|DIR [NAME[:TAG]]",
  "contain save": "contain save [OPTIONS] IMAGE [IMAGE...]",
  "contain login": "contain login [OPTIONS] [SERVER]",
  "contain logout": "contain logout [OPTIONS] [SERVER]",
  "contain tag": "contain tag [OPTIONS] SOURCE[:TAG] TARGET[:TAG]",
  "contain rmi": "contain rmi [OPTIONS] IMAGE [IMAGE...]",
  "contain image": "contain image COMMAND",
  "contain image inspect": "contain image inspect [OPTIONS] IMAGE [IMAGE...]",
  "contain image prune": "contain image prune [OPTIONS]",
  "contain create": "contain create [OPTIONS] ID",
  "contain state": "contain state [OPTIONS] ID",
  "contain delete": "contain delete [OPTIONS] ID",
  "contain list": "contain list [OPTIONS]",
  "contain update": "contain update [OPTIONS] CONTAINER",
  "contain events": "contain events [OPTIONS] CONTAINER",
  "contain features": "contain features",
  "contain spec": "contain spec [OPTIONS]",
  "contain completion": "contain completion bash|zsh|fish",
};

test.each(every.filter(([path]) => USAGE[path] !== undefined))("%s --help: the usage line names the arguments it needs", async (path, cmd) => {
  expect((await help(path, cmd)).split("\n")[0]).toBe(`Usage: ${USAGE[path]}`);
});

test("the top-level help lists every command once, in its groups", async () => {
  const listed: string[] = commandGroups.flatMap(([, names]) => [...names]);
  expect([...listed].sort()).toEqual(Object.keys(main.subCommands as object).sort());
  const text = await help("contain", main);
  for (const name of listed) expect(text).toMatch(new RegExp(`^  ${name} +\\S`, "m"));
});

test("run's -h is --hostname, and --overlay is shown as the --no-overlay that turns it off", async () => {
  const text = await help("contain run", run);
  expect(text).toMatch(/^ {2}-h, --hostname NAME /m);
  expect(text).toMatch(/^ {6}--no-overlay +Write straight into the rootfs/m);
  expect(text).not.toContain("--overlay");
});

test("wrap: words to the width, a longer word on a line of its own", () => {
  expect(wrap("a bb ccc dddd", 6)).toEqual(["a bb", "ccc", "dddd"]);
  expect(wrap("a verylongword b", 4)).toEqual(["a", "verylongword", "b"]);
  expect(wrap("  spaced \n out ", 80)).toEqual(["spaced out"]);
});
