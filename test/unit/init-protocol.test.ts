// The parent <-> init protocol (plan/protocol.ts) over real pipes, without
// root: the init's turns (takeTurns) with the set-up and the exec stubbed,
// and the parent's side played by this test in strict turns: the test's
// channel lets the parent take its turn each time the init sends.
import { afterEach, expect, test } from "bun:test";
import { ContainError, EXIT } from "../../src/errors.ts";
import { SyscallError } from "../../src/ffi/index.ts";
import { takeTurns, type Prepared } from "../../src/init/init.ts";
import { Channel } from "../../src/linux/channel.ts";
import { close, pipe } from "../../src/linux/process.ts";
import { planFromSpec, type PlanLayout } from "../../src/plan/plan.ts";
import type { FromInit, ToInit } from "../../src/plan/protocol.ts";
import { specFromFlags } from "../../src/spec/from-flags.ts";
import { networkFromFlags } from "../../src/spec/network.ts";
import { validateSpec } from "../../src/spec/schema.ts";
import { CONTEXT } from "./fixtures.ts";

const ID = "e".repeat(64);
const LAYOUT: PlanLayout = { dir: `/run/contain/${ID}`, overlayDir: `/run/contain/${ID}/rootfs`, cgroup: { version: "v1", paths: { memory: `/sys/fs/cgroup/memory/contain/${ID}` } } };
const plan = planFromSpec(validateSpec(specFromFlags({ command: ["sh", "-c", "true"], rootfs: "/r", tty: true, volumes: ["/h:/dev/myvol"] }, ID, CONTEXT), { cpus: 2 }), ID, LAYOUT, networkFromFlags({ net: "none" }));
const PLAN: ToInit = { type: "plan", plan, verbosity: "quiet", cgroups: [`/sys/fs/cgroup/memory/contain/${ID}`], eth0: { address: "10.88.0.2", prefixLen: 16, gateway: "10.88.0.1", mtu: 1500 } };
const GO: ToInit = { type: "go", seccomp: { filter: "AAAA", flags: 1 } };
const PREPARED: Prepared = { path: "/bin/sh", ptyMaster: 9, tty: 10, initFd: -1, cgroupFds: [11], fifoFd: -1 };

// The init's channel, which hands the turn to the parent after each message.
class Turns extends Channel<ToInit, FromInit> {
  constructor(readFd: number, writeFd: number, private readonly parentTurn: (msg: FromInit) => void) {
    super(readFd, writeFd);
  }
  override send(msg: FromInit): void {
    super.send(msg);
    this.parentTurn(msg);
  }
}

const open: number[] = [];
const hangUps: (() => void)[] = [];
afterEach(() => {
  for (const fd of open.splice(0)) close(fd);
  for (const hangUp of hangUps.splice(0)) hangUp();
});

// The two pipes: sync (parent -> init) and status (init -> parent).
function pipes() {
  const sync = pipe();
  const status = pipe();
  open.push(sync.read, status.write, status.read);
  const parent = new Channel<FromInit, ToInit>(status.read, sync.write);
  // The parent's death, or its end closed: EOF at the init.
  let up = true;
  const hangUp = () => {
    if (up) close(sync.write);
    up = false;
  };
  hangUps.push(hangUp);
  return { parent, hangUp, init: (parentTurn: (msg: FromInit) => void) => new Turns(sync.read, status.write, parentTurn) };
}

test("plan, set-up, ready, go, exec: each side waits for the other's message", () => {
  const { parent, init, hangUp } = pipes();
  const seen: string[] = [];
  parent.send(PLAN);
  const code = takeTurns(
    init((msg) => {
      // The parent reads ready, applies the limits, takes the pty, then sends go.
      expect(parent.receive()).toEqual(msg);
      seen.push(`parent got ${msg.type}`);
      parent.send(GO);
    }),
    (start) => {
      expect(start).toEqual(PLAN as typeof start); // the Plan crosses whole
      seen.push("set-up");
      return PREPARED;
    },
    (_, prepared, go) => {
      expect(prepared).toBe(PREPARED);
      expect(go).toEqual(GO as typeof go);
      seen.push("exec");
    },
  );
  hangUp();
  expect(code).toBe(0);
  expect(seen).toEqual(["set-up", "parent got ready", "exec"]);
});

test("ready names the command as found and the pty's master", () => {
  const { parent, init, hangUp } = pipes();
  parent.send(PLAN);
  const got: (FromInit | null)[] = [];
  takeTurns(
    init(() => {
      got.push(parent.receive());
      hangUp();
    }),
    () => PREPARED,
    () => {},
  );
  expect(got).toEqual([{ type: "ready", ptyMaster: 9, path: "/bin/sh" }]);
});

test("EOF before the plan: the parent is gone, the init exits without a set-up", () => {
  const { init, hangUp } = pipes();
  hangUp();
  let setUp = false;
  const code = takeTurns(init(() => {}), () => ((setUp = true), PREPARED), () => {});
  expect(code).toBe(EXIT.runtime);
  expect(setUp).toBe(false);
});

test("EOF instead of go: the init exits and never execs", () => {
  const { parent, init, hangUp } = pipes();
  parent.send(PLAN);
  let execd = false;
  const code = takeTurns(
    init(() => {
      parent.receive();
      hangUp(); // the parent died while applying the limits
    }),
    () => PREPARED,
    () => void (execd = true),
  );
  expect(code).toBe(EXIT.runtime);
  expect(execd).toBe(false);
});

test("a set-up that fails sends its error, hint and exit code instead of ready", () => {
  const { parent, init, hangUp } = pipes();
  parent.send(PLAN);
  const got: (FromInit | null)[] = [];
  const code = takeTurns(
    init(() => got.push(parent.receive())),
    () => {
      throw new ContainError("sh: executable file not found", "check the name", EXIT.notFound);
    },
    () => {},
  );
  hangUp();
  expect(code).toBe(EXIT.notFound);
  expect(got).toEqual([{ type: "error", message: "sh: executable file not found", hint: "check the name", exitCode: EXIT.notFound }]);
});

test("an exec that fails after the go is an error with the call, exit 125", () => {
  const { parent, init } = pipes();
  parent.send(PLAN);
  const got: (FromInit | null)[] = [];
  const code = takeTurns(
    init((msg) => {
      got.push(parent.receive());
      if (msg.type === "ready") parent.send(GO);
    }),
    () => PREPARED,
    () => {
      throw new SyscallError("execve", ["contain-helper"], 2);
    },
  );
  expect(code).toBe(EXIT.runtime);
  expect(got.map((m) => m?.type)).toEqual(["ready", "error"]);
  expect(got[1]).toMatchObject({ message: 'execve("contain-helper"): no such file or directory (ENOENT)', exitCode: EXIT.runtime });
});
