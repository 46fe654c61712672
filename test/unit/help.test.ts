// The help of every command, pinned: a change to it is a visible diff.
import { expect, test } from "bun:test";
import { renderUsage } from "citty";
import { main } from "../../src/cli/main.ts";
import run from "../../src/cli/run.ts";

test("contain --help", async () => {
  expect(Bun.stripANSI(await renderUsage(main))).toMatchSnapshot();
});

test("contain run --help", async () => {
  expect(Bun.stripANSI(await renderUsage(run, main))).toMatchSnapshot();
});
