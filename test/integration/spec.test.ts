// The commands that describe the runtime, as runc has them: `contain features`
// prints the runtime-spec's Features JSON.
import { expect, test } from "bun:test";
import { BIN, type Result } from "./harness.ts";

const RUNC = "/usr/sbin/runc";

function sh(argv: string[], cwd?: string): Result {
  const r = Bun.spawnSync(argv, { cwd, stdin: "ignore", timeout: 30_000, killSignal: "SIGKILL", env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } });
  return { code: r.exitCode ?? 128, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}
const contain = (args: string[], cwd?: string) => sh([BIN, ...args], cwd);

test("contain features prints the Features JSON; its lists agree with runc's where both implement the same", () => {
  const r = contain(["features"]);
  expect(r.code).toBe(0);
  const ours = JSON.parse(r.stdout);
  const runc = JSON.parse(sh([RUNC, "features"]).stdout);
  expect(ours.ociVersionMin).toBe("1.0.0");
  expect(ours.linux.namespaces).toEqual(runc.linux.namespaces);
  expect(ours.linux.capabilities).toEqual(runc.linux.capabilities);
  expect(ours.linux.seccomp.operators).toEqual(runc.linux.seccomp.operators);
  expect(ours.mountOptions.filter((o: string) => !runc.mountOptions.includes(o))).toEqual([]);
  expect(ours.linux.seccomp.actions.filter((a: string) => !runc.linux.seccomp.actions.includes(a))).toEqual([]);
});
