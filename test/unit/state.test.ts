// The state store's file-system failures, in a temporary directory: each
// names its path and leaves nothing behind.
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { ContainError } from "../../src/errors.ts";
import { hostOf } from "../../src/cli/context.ts";
import { StateStore, writeAtomically, type ContainerState } from "../../src/runtime/state.ts";

const tmp = mkdtempSync("/tmp/contain-unit-state-");
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function thrown(fn: () => unknown): ContainError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ContainError) return err;
    throw err;
  }
  throw new Error("no error");
}

test("a write that fails removes its temporary file and names the path", () => {
  const dir = `${tmp}/write`;
  mkdirSync(`${dir}/state.json/taken`, { recursive: true }); // a directory in the way of the rename
  const err = thrown(() => writeAtomically(`${dir}/state.json`, { a: 1 }, () => "the hint"));
  expect(err.message).toBe(`cannot write ${dir}/state.json: is a directory (EISDIR)`);
  expect(err.hint).toBe("the hint");
  expect(readdirSync(dir)).toEqual(["state.json"]);
});

test("a state root that is a file: the path, the kernel's reason, --root", () => {
  const file = `${tmp}/file`;
  writeFileSync(file, "");
  const err = thrown(() => new StateStore(file).ids());
  expect(err.message).toBe(`cannot read the state directory ${file}: not a directory (ENOTDIR)`);
  expect(err.hint).toBe("give --root a directory this user can write (default /run/contain)");
});

test("the sweep removes a create whose creator died, and reports no container for it", () => {
  const root = `${tmp}/sweep`;
  // pid 4194305 is past PID_MAX_LIMIT: no process has it
  const building = `${root}/.tmp-4194305-1-${"a".repeat(64)}`;
  mkdirSync(building, { recursive: true });
  writeFileSync(`${building}/lock`, "");
  writeFileSync(`${building}/state.json.tmp`, "{");
  expect(new StateStore(root).sweep(() => undefined, () => undefined)).toEqual([]);
  expect(existsSync(building)).toBe(false);
});

test("--root: an empty path is refused; a relative one is made absolute, as other runs read the paths it records", () => {
  const err = thrown(() => hostOf({ root: "" }).stateRoot);
  expect(err.message).toBe("--root: the path is empty");
  const cwd = process.cwd();
  process.chdir(tmp);
  try {
    expect(hostOf({ root: "relative" }).stateRoot).toBe(`${tmp}/relative`);
  } finally {
    process.chdir(cwd);
  }
});

test("the sweep: an entry that cannot be released is reported, and the others are still swept", () => {
  const root = `${tmp}/sweep-failing`;
  const ids: string[] = ["a".repeat(64), "b".repeat(64)];
  for (const id of ids) {
    mkdirSync(`${root}/${id}`, { recursive: true });
    writeFileSync(`${root}/${id}/lock`, "");
    writeFileSync(`${root}/${id}/state.json`, JSON.stringify({ id }));
  }
  const failed: string[] = [];
  const swept = new StateStore(root).sweep(
    (state) => {
      if (state.id === ids[0]) throw new Error("ENOMEM");
      return undefined;
    },
    (id) => failed.push(id),
  );
  const [stuck = "", freed = ""] = ids;
  expect(failed).toEqual([stuck]);
  expect(swept).toEqual([freed]);
  expect(readdirSync(root)).toEqual([stuck]);
});

test("a state is read without its spec from the text before it, and found by name from that list", () => {
  const root = `${tmp}/heads`;
  const store = new StateStore(root);
  const id = "c".repeat(64);
  mkdirSync(`${root}/${id}`, { recursive: true });
  // A "spec" key inside the spec, and the key's text inside a string before it.
  const spec = { ociVersion: "1.2.1", annotations: { spec: "inner" }, process: { args: ['a,"spec":b'] } };
  const state = { id, name: "web", command: ['sh,"spec":{"x":1}'], spec, released: true } as unknown as ContainerState;
  store.write(state);
  const [head] = store.listWithoutSpecs();
  expect(head?.state).toEqual({ id, name: "web", command: ['sh,"spec":{"x":1}'], released: true } as unknown as ContainerState);
  expect(store.find("web").state).toEqual(state);
  // An older build's pretty-printed file is read whole.
  writeFileSync(`${root}/${id}/state.json`, JSON.stringify(state, null, 2));
  expect(store.listWithoutSpecs()[0]?.state).toEqual(state);
});
