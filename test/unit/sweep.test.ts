// The sweep every command starts with (runtime/sweep.ts openStore), over a
// temporary state root, data root and cgroup tree (v1: a directory per
// container, which rmdir removes as it would a real one), with real
// processes: this test's own for a live owner, a pid beyond pid_max for a
// dead one. Dead containers' resources are released; live ones are left.
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { processStartTime } from "../../src/linux/process.ts";
import { createLogger } from "../../src/log.ts";
import { openStore } from "../../src/runtime/sweep.ts";
import { containerDataDir, OWNER, StateStore, type ContainerState, type Entry } from "../../src/runtime/state.ts";

const tmp = mkdtempSync("/tmp/contain-unit-sweep-");
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// PID_MAX_LIMIT is 2^22: no process ever has this pid.
const DEAD = { pid: 2 ** 22 + 1, startTime: 1 };
const ME = { pid: process.pid, startTime: processStartTime(process.pid) ?? 0 };

const stateRoot = `${tmp}/run`;
const dataRoot = `${tmp}/lib`;
const cgroupRoot = `${tmp}/cgroup`;
const store = new StateStore(stateRoot);
const id = (n: number) => String(n).repeat(64);
const cgroupDir = (cid: string) => `${cgroupRoot}/memory/contain/${cid}`;

// A container's entry, its cgroup and its data directory, as run makes them.
function container(n: number, fields: Partial<ContainerState>): { cid: string; entry: Entry } {
  const cid = id(n);
  const dataDir = containerDataDir(dataRoot, cid);
  mkdirSync(cgroupDir(cid), { recursive: true });
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(`${dataDir}/${OWNER}`, store.dir(cid));
  const state: ContainerState = { id: cid, created: new Date().toISOString(), command: ["sh"], rootfs: "/r", owner: DEAD, cgroup: { version: "v1", paths: { memory: cgroupDir(cid) } }, dataDir, ...fields };
  return { cid, entry: store.create(state) };
}

test("the sweep releases what dead owners left and leaves what live ones hold", async () => {
  // A foreground run whose CLI was killed: its lock is free.
  const dead = container(1, {});
  dead.entry[Symbol.dispose]();
  // A run in progress: its owner holds the lock.
  const live = container(2, { owner: ME });
  // A detached container that ran, whose monitor died: its record stays for ps -a.
  const ran = container(3, { detached: true, started: new Date().toISOString() });
  ran.entry[Symbol.dispose]();
  // A detached start whose CLI died before the command ran: its monitor
  // holds the lock; the init is killed, and the monitor releases it.
  const init = Bun.spawn(["sleep", "30"]);
  const unfinished = container(4, { detached: true, init: { pid: init.pid, startTime: processStartTime(init.pid) ?? 0 } });
  // An OCI container handed to its caller: released only by delete.
  const oci = container(5, { kind: "oci", handedOver: true });
  oci.entry[Symbol.dispose]();
  // A create whose creator died before the rename, and one under way.
  mkdirSync(`${stateRoot}/.tmp-${DEAD.pid}-${DEAD.startTime}-${id(6)}`);
  mkdirSync(`${stateRoot}/.tmp-${ME.pid}-${ME.startTime}-${id(7)}`);
  // Data directories: one whose entry is gone (a reboot emptied /run), one being made.
  mkdirSync(containerDataDir(dataRoot, id(8)), { recursive: true });
  writeFileSync(`${containerDataDir(dataRoot, id(8))}/${OWNER}`, store.dir(id(8)));
  mkdirSync(containerDataDir(dataRoot, id(9)), { recursive: true });
  // Unpacks of the default rootfs: a killed one's, and one under way.
  mkdirSync(`${dataRoot}/rootfs/default-ab.tmp-${DEAD.pid}-${DEAD.startTime}`, { recursive: true });
  mkdirSync(`${dataRoot}/rootfs/default-ab.tmp-${ME.pid}-${ME.startTime}`, { recursive: true });

  const logged: string[] = [];
  const log = createLogger("info");
  log.setReporters([{ log: (o) => logged.push(o.args.join(" ")) }]);
  openStore(stateRoot, dataRoot, log);

  // released: the entry, its cgroup, its data
  expect(existsSync(store.dir(dead.cid))).toBe(false);
  expect(existsSync(cgroupDir(dead.cid))).toBe(false);
  expect(existsSync(containerDataDir(dataRoot, dead.cid))).toBe(false);
  // killed, and left to its monitor to release
  expect((await init.exited, init.signalCode)).toBe("SIGKILL");
  expect(existsSync(cgroupDir(unfinished.cid))).toBe(true);
  // released, its record kept with the exit its monitor could not record
  expect(existsSync(cgroupDir(ran.cid))).toBe(false);
  expect(store.read(ran.cid)).toMatchObject({ released: true, exit: { status: { exited: false, signal: 9 } } });
  // left: the live one and the OCI one, whole
  for (const cid of [live.cid, oci.cid]) {
    expect(store.read(cid)?.released).toBeUndefined();
    expect(existsSync(cgroupDir(cid))).toBe(true);
    expect(existsSync(containerDataDir(dataRoot, cid))).toBe(true);
  }
  expect(readdirSync(stateRoot).filter((n) => n.startsWith(".tmp-"))).toEqual([`.tmp-${ME.pid}-${ME.startTime}-${id(7)}`]);
  expect(existsSync(containerDataDir(dataRoot, id(8)))).toBe(false);
  expect(existsSync(containerDataDir(dataRoot, id(9)))).toBe(true);
  expect(readdirSync(`${dataRoot}/rootfs`)).toEqual([`default-ab.tmp-${ME.pid}-${ME.startTime}`]);
  expect(logged.filter((l) => l.startsWith("removed the leftovers")).sort()).toEqual([dead.cid, ran.cid].map((c) => `removed the leftovers of container ${c.slice(0, 12)}`).sort());

  // Once the live owner is gone, the next sweep takes its container too.
  live.entry[Symbol.dispose]();
  unfinished.entry[Symbol.dispose]();
  openStore(stateRoot, dataRoot, log);
  for (const cid of [live.cid, unfinished.cid]) {
    expect(existsSync(store.dir(cid))).toBe(false);
    expect(existsSync(cgroupDir(cid))).toBe(false);
  }
});
