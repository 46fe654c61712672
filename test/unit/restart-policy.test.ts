// --restart's parser and moby's rules for which exit is restarted, after how long.
import { expect, test } from "bun:test";
import { nextBackoff, parseRestartPolicy, shouldRestart } from "../../src/spec/restart.ts";

test("parseRestartPolicy: docker's four, on-failure's MAX; anything else refused, naming the value", () => {
  expect(parseRestartPolicy("no")).toEqual({ Name: "no", MaximumRetryCount: 0 });
  expect(parseRestartPolicy("on-failure")).toEqual({ Name: "on-failure", MaximumRetryCount: 0 });
  expect(parseRestartPolicy("on-failure:3")).toEqual({ Name: "on-failure", MaximumRetryCount: 3 });
  expect(parseRestartPolicy("unless-stopped")).toEqual({ Name: "unless-stopped", MaximumRetryCount: 0 });
  expect(() => parseRestartPolicy("sometimes")).toThrow('--restart: "sometimes" is not a restart policy');
  expect(() => parseRestartPolicy("on-failure:x")).toThrow('"x" is not a number of retries');
  expect(() => parseRestartPolicy("on-failure:-1")).toThrow("is not a number of retries");
  expect(() => parseRestartPolicy("always:1")).toThrow("only on-failure takes a maximum retry count");
  expect(() => parseRestartPolicy("on-failure:1:2")).toThrow("is not a restart policy");
});

test("shouldRestart: never after the user's stop; on-failure for a non-zero exit up to MAX", () => {
  const onFailure = parseRestartPolicy("on-failure:2");
  expect(shouldRestart(onFailure, 1, 0, false)).toBe(true);
  expect(shouldRestart(onFailure, 1, 2, false)).toBe(false);
  expect(shouldRestart(onFailure, 0, 0, false)).toBe(false);
  expect(shouldRestart(parseRestartPolicy("on-failure"), 137, 1000, false)).toBe(true);
  expect(shouldRestart(parseRestartPolicy("always"), 0, 5, false)).toBe(true);
  expect(shouldRestart(parseRestartPolicy("always"), 0, 5, true)).toBe(false);
  expect(shouldRestart(parseRestartPolicy("no"), 1, 0, false)).toBe(false);
  expect(shouldRestart(undefined, 1, 0, false)).toBe(false);
});

test("nextBackoff: 100 ms, doubling to a minute, 100 ms again after 10 s up", () => {
  expect(nextBackoff(undefined, 0)).toBe(100);
  expect(nextBackoff(100, 50)).toBe(200);
  expect(nextBackoff(400, 9_999)).toBe(800);
  expect(nextBackoff(800, 10_000)).toBe(100);
  expect(nextBackoff(51_200, 0)).toBe(60_000);
});
