// The state store: one directory per container under the state root
// (/run/contain: tmpfs, gone after a reboot, like runc's /run/runc).
// state.json is written to a temporary file and renamed, so it is never torn.
// Every resource is recorded here before it is created, so whatever a killed
// runtime left behind can be found and released.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { FileLock } from "../linux/lock.ts";
import { isSameProcess } from "../linux/process.ts";
import type { NetworkState } from "./network.ts";

export interface ProcessRef {
  pid: number;
  startTime: number; // /proc/<pid>/stat field 22: tells the process from a reused pid
}

export interface ContainerState {
  id: string;
  created: string; // ISO 8601
  command: string[];
  rootfs: string;
  owner: ProcessRef; // the contain process that created it and holds its lock
  init?: ProcessRef;
  cgroup?: { version: "v1" | "v2"; paths: Record<string, string> };
  network?: NetworkState; // --net bridge
}

export const DEFAULT_STATE_ROOT = "/run/contain";

const LOCK = "lock";
const STATE = "state.json";

// A container's directory, held locked by its owner for as long as it lives.
export interface Entry extends Disposable {
  readonly dir: string;
  state: ContainerState;
  save(): void;
  remove(): void;
}

export class StateStore {
  constructor(readonly root: string = DEFAULT_STATE_ROOT) {}

  // Where a container's files live: state.json, the lock, its generated /etc
  // files and, with a copy-on-write root, the overlay's upper layer.
  dir(id: string): string {
    return `${this.root}/${id}`;
  }

  // Creates <root>/<id> whole: built and locked under a temporary name, then
  // renamed, so a sweeper never sees it unlocked.
  create(state: ContainerState): Entry {
    mkdirSync(this.root, { recursive: true, mode: 0o711 });
    // The temporary name carries its creator, so a sweeper can tell one still
    // being built from one whose creator died before it could lock it.
    const tmp = `${this.root}/.tmp-${state.owner.pid}-${state.owner.startTime}-${state.id}`;
    mkdirSync(tmp, { mode: 0o700 });
    const lock = FileLock.acquire(`${tmp}/${LOCK}`) as FileLock;
    writeAtomically(`${tmp}/${STATE}`, state);
    renameSync(tmp, this.dir(state.id));
    const dir = this.dir(state.id);
    return {
      dir,
      state,
      save() {
        writeAtomically(`${dir}/${STATE}`, this.state);
      },
      remove() {
        rmSync(dir, { recursive: true, force: true });
      },
      [Symbol.dispose]() {
        lock.release();
      },
    };
  }

  read(id: string): ContainerState | undefined {
    return readState(this.dir(id));
  }

  ids(): string[] {
    if (!existsSync(this.root)) return [];
    return readdirSync(this.root).filter((n) => !n.startsWith("."));
  }

  // Entries whose owner is gone: their lock can be taken. `release` frees
  // what the state records; then the directory goes. Returns what was swept.
  sweep(release: (state: ContainerState) => void): string[] {
    if (!existsSync(this.root)) return [];
    const swept: string[] = [];
    for (const name of readdirSync(this.root)) {
      const dir = `${this.root}/${name}`;
      const building = /^\.tmp-(\d+)-(\d+)-/.exec(name);
      if (building && isSameProcess(Number(building[1]), Number(building[2]))) continue;
      const lock = tryLock(`${dir}/${LOCK}`);
      if (!lock) continue;
      try {
        const state = readState(dir);
        if (state) release(state);
        rmSync(dir, { recursive: true, force: true });
        swept.push(state?.id ?? name);
      } finally {
        lock.release();
      }
    }
    return swept;
  }
}

// null when the owner holds the lock, or the directory went away meanwhile.
function tryLock(path: string): FileLock | null {
  try {
    return FileLock.acquire(path, false);
  } catch {
    return null;
  }
}

function readState(dir: string): ContainerState | undefined {
  try {
    return JSON.parse(readFileSync(`${dir}/${STATE}`, "utf8")) as ContainerState;
  } catch {
    return undefined;
  }
}

function writeAtomically(path: string, data: unknown): void {
  writeFileSync(`${path}.tmp`, JSON.stringify(data, null, 2));
  renameSync(`${path}.tmp`, path);
}
