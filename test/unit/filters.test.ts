import { expect, test } from "bun:test";
import { matches, parseFilters, wantsStopped, type Candidate } from "../../src/cli/filters.ts";
import { ContainError } from "../../src/errors.ts";

const web: Candidate = { id: "3a59f4ed6cbd0c5b", name: "web-1", status: "running", labels: { tier: "front", app: "" } };
const job: Candidate = { id: "77aa00bb11cc22dd", name: "batch", status: "exited", exitCode: 3, labels: {} };
const anon: Candidate = { id: "3a00000000000000", status: "created", labels: {} };
const pick = (...f: string[]) => [web, job, anon].filter((c) => matches(parseFilters(f), c)).map((c) => c.name ?? c.id);

test("id is a prefix, name a regular expression anywhere in the name", () => {
  expect(pick("id=3a")).toEqual(["web-1", anon.id]);
  expect(pick("id=3a59")).toEqual(["web-1"]);
  expect(pick("id=59f4")).toEqual([]);
  expect(pick("name=web")).toEqual(["web-1"]);
  expect(pick("name=^b.*h$")).toEqual(["batch"]);
  expect(pick("name=eb-")).toEqual(["web-1"]);
});

test("status, exited, label KEY and KEY=VALUE", () => {
  expect(pick("status=exited")).toEqual(["batch"]);
  expect(pick("status=created")).toEqual([anon.id]);
  expect(pick("status=dead")).toEqual([]);
  expect(pick("exited=3")).toEqual(["batch"]);
  expect(pick("exited=0")).toEqual([]);
  expect(pick("label=tier")).toEqual(["web-1"]);
  expect(pick("label=app")).toEqual(["web-1"]);
  expect(pick("label=tier=front")).toEqual(["web-1"]);
  expect(pick("label=tier=back")).toEqual([]);
});

test("one key's values are alternatives; different keys all hold", () => {
  expect(pick("status=running", "status=exited")).toEqual(["web-1", "batch"]);
  expect(pick("status=running", "name=batch")).toEqual([]);
  expect(pick("id=3a", "status=created")).toEqual([anon.id]);
  expect(pick()).toEqual(["web-1", "batch", anon.id]);
});

test("a status or exited filter lists stopped containers without -a", () => {
  expect(wantsStopped(parseFilters(["status=exited"]))).toBe(true);
  expect(wantsStopped(parseFilters(["exited=0"]))).toBe(true);
  expect(wantsStopped(parseFilters(["name=x"]))).toBe(false);
});

test("bad filters: one line naming the filter and the fix, exit 1", () => {
  const error = (f: string) => {
    try {
      parseFilters([f]);
    } catch (err) {
      expect(err).toBeInstanceOf(ContainError);
      expect((err as ContainError).exitCode).toBe(1);
      return `${(err as ContainError).message}; ${(err as ContainError).hint}`;
    }
    throw new Error(`${f} was taken`);
  };
  expect(error("status")).toBe('--filter: "status" is not KEY=VALUE; e.g. --filter status=exited, --filter name=web');
  expect(error("colour=red")).toBe('--filter: unknown filter "colour"; the filters are id, name, status, label, exited');
  expect(error("status=up")).toContain('"up" is not a status; use one of created, restarting, running');
  expect(error("exited=x")).toContain("the exit code is a number");
  expect(error("name=(")).toContain("is not a regular expression");
  expect(error("label=")).toContain("label= needs a KEY or KEY=VALUE");
});
