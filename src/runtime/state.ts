// The state store: one directory per container under the state root
// (/run/contain: tmpfs, gone after a reboot, like runc's /run/runc).
// state.json is written to a temporary file and renamed, so it is never torn.
// Every resource is recorded here before it is created, so whatever a killed
// runtime left behind can be found and released.
//
// <root>/<id>/lock        flock(2): held by the container's owner for as long
//                         as it holds resources (the CLI during `run`, then a
//                         detached container's monitor and its clean-up), so
//                         a lock that can be taken means the owner is gone
// <root>/<id>/state.json  this file's ContainerState
// <root>/<id>/exit        written by the monitor when the init exits:
//                         "<wait status> <unix ms>"
// <root>/<id>/exec.fifo   `create`'s: the container's process waits at it
//                         until `start` opens it (runc's)
// <root>/<id>/stopped-by-user  written by stop, kill and rm -f, without the
//                         lock (its owner holds it): the restart policy
//                         does not undo them; a start removes it
// <root> itself            locked while a name is checked and taken
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { ContainError } from "../errors.ts";
import { fileError } from "../linux/file-error.ts";
import { FileLock } from "../linux/lock.ts";
import { decodeWaitStatus, isSameProcess, type ExitStatus } from "../linux/process.ts";
import { DEFAULT_STATE_ROOT } from "./host-context.ts";
import type { RestartPolicy } from "../spec/restart.ts";
import type { NetworkRequest } from "../spec/network.ts";
import type { Spec } from "../spec/schema.ts";
import type { NetworkState } from "./bridge.ts";

export interface ProcessRef {
  pid: number;
  startTime: number; // /proc/<pid>/stat field 22: tells the process from a reused pid
}

export interface ContainerState {
  id: string;
  name?: string;
  kind?: "node" | "oci"; // made by `contain node create`; by runc's `create` or `run --bundle`
  bundle?: string; // an OCI container's bundle directory
  // `create` has finished: the container is its caller's (podman,
  // containerd), alive as long as its init, released only by `delete`.
  handedOver?: boolean;
  created: string; // ISO 8601
  command: string[];
  rootfs: string;
  owner: ProcessRef; // the contain process that created it and holds its lock
  detached?: boolean; // supervised by a monitor, not by the CLI that ran it
  autoRemove?: boolean; // --rm: the entry goes when the container ends
  spec?: Spec; // the config: exec takes its env, cwd and user from it
  init?: ProcessRef;
  monitor?: ProcessRef;
  started?: string; // ISO 8601, once the command runs
  exit?: ExitRecord; // copied from the exit file once its resources are released
  released?: boolean; // cgroups and the rest are gone: only the record is left
  cgroup?: { version: "v1" | "v2"; paths: Record<string, string> };
  network?: NetworkState; // --net bridge
  dataDir?: string; // its files on disk: the writable layer, the /etc files (containerDataDir)
  // What a start of a stopped container plans from again: the network as
  // asked for (a random host port is chosen anew, as docker does).
  networkRequest?: NetworkRequest;
  restartPolicy?: RestartPolicy; // --restart, docker's HostConfig.RestartPolicy
  restartCount?: number; // restarts by the policy since the user's last start
  restartBackoffMs?: number; // the last wait before one
  restarting?: boolean; // its reap waits out the back-off, then starts it again
  cidfile?: string; // --cidfile: holds the ID, and goes with the entry
}

// A container's files under the data root, docker's layout. The directory
// names its state directory in OWNER, so that a sweep of the data root
// removes only what belongs to an entry that is gone (sweepDataDirs).
export const containerDataDir = (dataRoot: string, id: string) => `${dataRoot}/containers/${id}`;
// The copy-on-write root's directories (upper, work, merged) in it.
export const containerOverlayDir = (dataDir: string) => `${dataDir}/rootfs`;
export const OWNER = "owner";

// The entry's state directory and its files on disk, gone together.
export function removeContainerFiles(dir: string, state: ContainerState | undefined): void {
  if (state?.cidfile) rmSync(state.cidfile, { force: true });
  if (state?.dataDir) rmSync(state.dataDir, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
}

// The data directories whose owner's state directory is gone: their runtime
// died and the entry went without them (a reboot empties /run). `inUse`:
// those that entries just listed record as theirs (dataDir), whose owner is
// known to be there without reading it.
export function sweepDataDirs(dataRoot: string, inUse: ReadonlySet<string> = new Set()): string[] {
  const root = `${dataRoot}/containers`;
  if (!existsSync(root)) return [];
  const gone: string[] = [];
  for (const id of readdirSync(root)) {
    const dir = `${root}/${id}`;
    if (inUse.has(dir)) continue;
    let owner: string;
    try {
      owner = readFileSync(`${dir}/${OWNER}`, "utf8");
    } catch {
      continue; // being made right now: the owner is written first
    }
    if (!owner || existsSync(owner)) continue;
    rmSync(dir, { recursive: true, force: true });
    gone.push(dir);
  }
  return gone;
}

export interface ExitRecord {
  status: ExitStatus;
  finished: string; // ISO 8601
  oomKilled?: boolean; // SIGKILLed by the kernel's OOM killer (its cgroup counted one)
}

const LOCK = "lock";
const STATE = "state.json";
const EXIT = "exit";
export const LOG = "log";
export const EXEC_FIFO = "exec.fifo";
const STOPPED_BY_USER = "stopped-by-user";

// docker's rule for names.
export const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;

// A container's directory, held locked by its owner for as long as it lives.
export interface Entry extends Disposable {
  readonly dir: string;
  readonly lockFd: number; // handed to the monitor, which keeps the lock
  state: ContainerState;
  save(): void;
  remove(): void;
}

export interface Found {
  dir: string;
  state: ContainerState;
}

export class StateStore {
  constructor(readonly root: string = DEFAULT_STATE_ROOT) {}

  // The names and IDs of the last list(): find resolves a reference with it
  // and reads that one entry, not every one again. A guess, checked: an
  // entry that went or changed since sends it back to a full list.
  private index?: { byName: Map<string, string>; ids: string[] };

  // What to do about a failed file-system call on the state: the path is in
  // the message, the flag that chose it in the hint.
  private readonly hint = (err: unknown): string => {
    const code = (err as NodeJS.ErrnoException).code;
    return code === "ENOSPC" || code === "EDQUOT"
      ? `free space in ${this.root}, or give another state directory with --root`
      : `give --root a directory this user can write (default ${DEFAULT_STATE_ROOT})`;
  };

  private attempt<T>(action: string, path: string, call: () => T): T {
    try {
      return call();
    } catch (err) {
      throw err instanceof ContainError ? err : fileError(err, action, path, this.hint(err));
    }
  }

  // Where a container's files live: state.json, the lock, its generated /etc
  // files and, with a copy-on-write root, the overlay's upper layer.
  dir(id: string): string {
    return `${this.root}/${id}`;
  }

  // Creates <root>/<id> whole: built and locked under a temporary name, then
  // renamed, so a sweeper never sees it unlocked. A name is checked and taken
  // under the store's lock, so of two runs with one name exactly one wins.
  create(state: ContainerState): Entry {
    this.attempt("create the state directory", this.root, () => mkdirSync(this.root, { recursive: true, mode: 0o711 }));
    using _ = this.attempt("lock the state directory", this.root, () => FileLock.acquire(this.root, true, true) as FileLock);
    if (state.name !== undefined) {
      const holder = this.list().find((c) => c.state.name === state.name);
      if (holder)
        throw new ContainError(
          `the name "${state.name}" is already in use by container ${holder.state.id.slice(0, 12)}`,
          `remove that container (contain rm -f ${state.name}) or choose another name`,
        );
    }
    // The temporary name carries its creator, so a sweeper can tell one still
    // being built from one whose creator died before it could lock it.
    const tmp = `${this.root}/.tmp-${state.owner.pid}-${state.owner.startTime}-${state.id}`;
    const dir = this.dir(state.id);
    let lock: FileLock | undefined;
    try {
      this.attempt("create", tmp, () => mkdirSync(tmp, { mode: 0o700 }));
      lock = this.attempt("create", `${tmp}/${LOCK}`, () => FileLock.acquire(`${tmp}/${LOCK}`) as FileLock);
      writeState(`${tmp}/${STATE}`, state, this.hint);
      this.attempt("rename", `${tmp} to ${dir}`, () => renameSync(tmp, dir));
    } catch (err) {
      // Nothing is left of a create that failed (a full --root): no resource
      // exists yet, so the directory is all there is.
      lock?.release();
      rmSync(tmp, { recursive: true, force: true });
      throw err;
    }
    return this.entryOf(dir, state, lock);
  }

  // An entry whose lock is held: its state saved, or its files removed, by it.
  private entryOf(dir: string, state: ContainerState, lock: { fd: number; release(): void }): Entry {
    const { hint } = this;
    return {
      dir,
      lockFd: lock.fd,
      state,
      save() {
        writeState(`${dir}/${STATE}`, this.state, hint);
      },
      remove() {
        removeContainerFiles(dir, this.state);
      },
      [Symbol.dispose]() {
        lock.release();
      },
    };
  }

  // `withSpec` false: without its spec, for a caller that does not use it
  // (readState).
  read(id: string, withSpec = true): ContainerState | undefined {
    return readState(this.dir(id), withSpec);
  }

  // For whoever holds the container's lock (the monitor's clean-up, a sweeper).
  write(state: ContainerState): void {
    writeState(`${this.dir(state.id)}/${STATE}`, state, this.hint);
  }

  // Every name in the root; none when there is no root yet.
  private names(): string[] {
    if (!existsSync(this.root)) return [];
    return this.attempt("read the state directory", this.root, () => readdirSync(this.root));
  }

  ids(): string[] {
    return this.names().filter((n) => !n.startsWith("."));
  }

  list(): Found[] {
    return this.indexed(this.ids().flatMap((id) => {
      const state = this.read(id);
      return state ? [{ dir: this.dir(id), state }] : [];
    }));
  }

  // Every entry without its spec (most of the file: the seccomp profile),
  // which a sweep and a lookup do not need: ~4 times less to parse.
  listWithoutSpecs(): Found[] {
    return this.indexed(this.ids().flatMap((id) => {
      const state = readState(this.dir(id), false);
      return state ? [{ dir: this.dir(id), state }] : [];
    }));
  }

  private indexed(all: Found[]): Found[] {
    this.index = { byName: new Map(all.flatMap((c) => (c.state.name === undefined ? [] : [[c.state.name, c.state.id] as const]))), ids: all.map((c) => c.state.id) };
    return all;
  }

  // A container by name, full ID or unique ID prefix (docker's order);
  // without its spec if `withSpec` is false.
  find(ref: string, withSpec = true): Found {
    const guessed = this.guess(ref, withSpec);
    if (guessed) return guessed;
    const all = withSpec ? this.list() : this.listWithoutSpecs();
    const exact = all.find((c) => c.state.name === ref) ?? all.find((c) => c.state.id === ref);
    if (exact) return exact;
    const matches = /^[0-9a-f]+$/.test(ref) ? all.filter((c) => c.state.id.startsWith(ref)) : [];
    if (matches.length === 1 && matches[0]) return matches[0];
    if (matches.length > 1)
      throw new ContainError(`the ID prefix "${ref}" matches ${matches.length} containers`, "give more characters of the ID, or the name");
    throw new ContainError(`no such container: ${ref}`, "see 'contain ps -a' for the names and IDs");
  }

  // find's answer from the last list's names and IDs, read again now; or
  // undefined, for a full list to decide.
  private guess(ref: string, withSpec: boolean): Found | undefined {
    if (!this.index) return undefined;
    const byName = this.index.byName.get(ref);
    const prefixed = /^[0-9a-f]+$/.test(ref) ? this.index.ids.filter((id) => id.startsWith(ref)) : [];
    // A name, else the one ID it is or begins (docker's order).
    const id = byName ?? (prefixed.length === 1 ? prefixed[0] : undefined);
    if (id === undefined) return undefined;
    const state = this.read(id, withSpec);
    if (!state || (byName !== undefined && state.name !== ref)) return undefined;
    return { dir: this.dir(id), state };
  }

  // What the monitor recorded when the init exited, if it has: a wait status
  // that is an end (a monitor before ffi/wait-status.h could record a
  // ptrace-stop, which tells no exit).
  exitRecord(id: string): ExitRecord | undefined {
    try {
      const [status, ms] = readFileSync(`${this.dir(id)}/${EXIT}`, "utf8").trim().split(" ");
      const w = decodeWaitStatus(Number(status));
      return w.kind === "ended" ? { status: w.exit, finished: new Date(Number(ms)).toISOString() } : undefined;
    } catch {
      return undefined;
    }
  }

  // Beside the state, not in it: the container's owner holds its lock (and
  // writes its state) while the user stops it.
  markStoppedByUser(id: string): void {
    try {
      writeFileSync(`${this.dir(id)}/${STOPPED_BY_USER}`, "");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw fileError(err, "write", `${this.dir(id)}/${STOPPED_BY_USER}`, this.hint(err));
    }
  }

  stoppedByUser(id: string): boolean {
    return existsSync(`${this.dir(id)}/${STOPPED_BY_USER}`);
  }

  // The entry of a stopped container, for a start by whoever holds its lock
  // (`lock`, let go of when the entry is disposed): its last exit is
  // forgotten (and the user's stop, unless `keepUserStop`), its state is `state`.
  reopen(state: ContainerState, lock: { fd: number; release(): void }, keepUserStop: boolean): Entry {
    const dir = this.dir(state.id);
    for (const f of keepUserStop ? [EXIT] : [EXIT, STOPPED_BY_USER]) rmSync(`${dir}/${f}`, { force: true });
    writeState(`${dir}/${STATE}`, state, this.hint);
    return this.entryOf(dir, state, lock);
  }

  // The container's lock if no owner holds it, else null.
  tryLock(id: string): FileLock | null {
    return tryLock(`${this.dir(id)}/${LOCK}`);
  }

  // Entries whose owner is gone (their lock can be taken) and that still hold
  // resources. `release` frees what the state records and returns the
  // state to keep (a detached container's exit record), or undefined to
  // remove the entry. One entry that cannot be released is left to `failed`
  // and the next sweep; the others still are. Returns the IDs swept.
  // `listed`: the entries as just read (list()), not read again here.
  sweep(release: (state: ContainerState, store: StateStore) => ContainerState | undefined, failed: (id: string, err: unknown) => void, listed: readonly Found[] = []): string[] {
    const swept: string[] = [];
    const known = new Map(listed.map((c) => [c.state.id, c.state]));
    for (const name of this.names()) {
      const dir = `${this.root}/${name}`;
      const building = /^\.tmp-(\d+)-(\d+)-/.exec(name);
      if (building) {
        // A create that never finished: no resource exists before the
        // rename, so there is nothing to release and no container to report.
        if (!isSameProcess(Number(building[1]), Number(building[2]))) rmSync(dir, { recursive: true, force: true });
        continue;
      }
      const state = known.get(name) ?? readState(dir);
      if (state?.released || state?.handedOver) continue;
      const lock = tryLock(`${dir}/${LOCK}`);
      if (!lock) continue;
      try {
        // Read again under the lock: its owner may have released it (and
        // kept its record for ps -a) between the first read and the lock.
        const current = readState(dir);
        if (current?.released || current?.handedOver) continue;
        const kept = current ? release(current, this) : undefined;
        if (kept) this.write(kept);
        else removeContainerFiles(dir, current);
        swept.push(current?.id ?? name);
      } catch (err) {
        failed(state?.id ?? name, err);
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

// `withSpec` false: the state without its spec, parsed from the text before
// it. writeState puts the spec last, and its key's first match is the top
// level's: before it come only fields whose strings escape their quotes and
// whose objects have no key "spec". A file without that shape (an older
// build's, pretty-printed) is parsed whole.
// Without it, only the file's head is read (the fields before the spec are
// ~1.5 KB of its ~13): a sweep reads every entry's, and the reading and the
// decoding of the rest was most of its time.
function readState(dir: string, withSpec = true): ContainerState | undefined {
  try {
    const text = withSpec ? readFileSync(`${dir}/${STATE}`, "utf8") : readHead(`${dir}/${STATE}`);
    const at = withSpec ? -1 : text.indexOf(',"spec":');
    return JSON.parse(at < 0 ? text : `${text.slice(0, at)}}`) as ContainerState;
  } catch {
    return undefined;
  }
}

// The file's first HEAD bytes, or all of it when its spec begins later (or
// it has none). A character cut at the end of the head comes after the spec's
// key, where nothing is parsed.
const HEAD = 4096;
const head = Buffer.allocUnsafe(HEAD);
function readHead(path: string): string {
  const fd = openSync(path, "r");
  let n: number;
  try {
    n = readSync(fd, head, 0, HEAD, 0);
  } finally {
    closeSync(fd);
  }
  const text = head.toString("utf8", 0, n);
  return n < HEAD || text.includes(',"spec":') ? text : readFileSync(path, "utf8");
}

// The spec last, for readState's reading without it.
function writeState(path: string, state: ContainerState, hint: (err: unknown) => string): void {
  const { spec, ...rest } = state;
  writeAtomically(path, spec === undefined ? rest : { ...rest, spec }, hint);
}

// A failed write leaves no temporary file, and names the path; `hint` says
// what to do about the error. Compact, as runc's: every command reads every
// entry's state once (the sweep), and the parse is most of that.
export function writeAtomically(path: string, data: unknown, hint?: (err: unknown) => string): void {
  try {
    writeFileSync(`${path}.tmp`, JSON.stringify(data));
    renameSync(`${path}.tmp`, path);
  } catch (err) {
    rmSync(`${path}.tmp`, { force: true });
    throw fileError(err, "write", path, hint?.(err));
  }
}
