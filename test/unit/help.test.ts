// The help of every command, pinned: a change to it is a visible diff.
import { expect, test } from "bun:test";
import { renderUsage, type CommandDef } from "citty";
import create from "../../src/cli/create.ts";
import del from "../../src/cli/delete.ts";
import events from "../../src/cli/events.ts";
import exec from "../../src/cli/exec.ts";
import features from "../../src/cli/features.ts";
import inspect from "../../src/cli/inspect.ts";
import kill from "../../src/cli/kill.ts";
import list from "../../src/cli/list.ts";
import logs from "../../src/cli/logs.ts";
import { main } from "../../src/cli/main.ts";
import node, { nodeCommands } from "../../src/cli/node.ts";
import pause, { unpause } from "../../src/cli/pause.ts";
import prune from "../../src/cli/prune.ts";
import ps from "../../src/cli/ps.ts";
import rm from "../../src/cli/rm.ts";
import run from "../../src/cli/run.ts";
import spec from "../../src/cli/spec.ts";
import start from "../../src/cli/start.ts";
import state from "../../src/cli/state.ts";
import stats from "../../src/cli/stats.ts";
import stop from "../../src/cli/stop.ts";
import update from "../../src/cli/update.ts";
import wait from "../../src/cli/wait.ts";

test("contain --help", async () => {
  expect(Bun.stripANSI(await renderUsage(main))).toMatchSnapshot();
});

const commands: [string, CommandDef][] = Object.entries({ run, ps, exec, logs, stats, inspect, kill, stop, pause, unpause, rm, wait, prune, node, create, start, state, delete: del, list, update, events, features, spec });
test.each(commands)("contain %s --help", async (_, cmd) => {
  expect(Bun.stripANSI(await renderUsage(cmd, main))).toMatchSnapshot();
});

test.each(Object.entries(nodeCommands))("contain node %s --help", async (_, cmd) => {
  expect(Bun.stripANSI(await renderUsage(cmd, node))).toMatchSnapshot();
});
