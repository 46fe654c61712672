// The preamble of the commands on named containers: the names checked
// first, then the root check, then one store for every container.
import { afterAll, expect, test } from "bun:test";
import { thrown } from "./fixtures.ts";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { eachContainer, sweptStore } from "../../src/cli/containers.ts";
import { namedContainer, namedContainers, unsweptStore } from "../../src/cli/context.ts";
import { ContainError, SpecError } from "../../src/errors.ts";
import { createLogger } from "../../src/log.ts";
import { hostContext } from "../../src/runtime/host-context.ts";
import type { StateStore } from "../../src/runtime/state.ts";

const tmp = mkdtempSync("/tmp/contain-unit-containers-");
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const log = createLogger("quiet");
const hostAs = (euid: number, name: string) => hostContext({ euid, stateRoot: () => `${tmp}/${name}/state`, dataRoot: () => `${tmp}/${name}/data` });

test("the names are checked before anything else, each command naming itself", () => {
  const none = thrown(() => namedContainers({}, [], "rm"));
  expect(none).toBeInstanceOf(SpecError);
  expect((none as SpecError).message).toBe("container: missing");
  expect((none as SpecError).hint).toBe("e.g. contain rm web");
  expect((thrown(() => namedContainer({}, ["a", "b"], "logs")) as SpecError).message).toBe("container: takes one container, not 2");
  expect(namedContainers({}, ["a", "b"], "rm").refs).toEqual(["a", "b"]);
  expect(namedContainer({}, ["a"], "logs").ref).toBe("a");
});

test("no store is opened, nor its root made, for a user who is not root", () => {
  const err = thrown(() => sweptStore({ command: "rm", host: hostAs(1000, "user"), log }));
  expect(err).toBeInstanceOf(ContainError);
  expect((err as ContainError).message).toBe("contain rm must run as root (rootless mode does not exist yet)");
  expect(() => unsweptStore({ command: "state", host: hostAs(1000, "user") })).toThrow("contain state must run as root");
  expect(existsSync(`${tmp}/user`)).toBe(false);
});

test("each container is acted on through one store; a single one's failure is the command's", async () => {
  const host = hostAs(0, "root");
  expect(unsweptStore({ command: "state", host }).root).toBe(`${tmp}/root/state`);
  const stores = new Set<StateStore>();
  const failing = { command: "rm", host, log, flags: {}, positionals: ["a"], verbosity: "quiet" as const, refs: ["a"] };
  const err = await eachContainer(failing, (store) => {
    stores.add(store);
    throw new ContainError("no such container: a");
  }).catch((e: unknown) => e);
  expect((err as ContainError).message).toBe("no such container: a");
  expect([...stores].map((s) => s.root)).toEqual([`${tmp}/root/state`]);
});
