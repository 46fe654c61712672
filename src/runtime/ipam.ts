// IP leases of a bridge network, persistent under the default data root
// (/var/lib/contain/network/<bridge>.json) so they outlive the runtime that
// took them, and guarded by a file lock against concurrent runs. Whoever
// holds the lock may also change the bridge and its nft table. A host port
// is one per host, whatever the bridge: the directory's own lock orders the
// choice and the recording of host ports across bridges (lockHostPorts).
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { FileLock } from "../linux/lock.ts";
import type { PortMapping } from "../spec/network.ts";
import { DEFAULT_DATA_ROOT } from "./host-context.ts";
import type { HeldPort } from "./ports.ts";
import { writeAtomically } from "./state.ts";

// The data root of every bridge's leases, whatever --data-root a command is
// given. A bridge is one per host, whatever --root or --data-root a start
// has, so its leases are one file per host too: two data roots that each
// kept leases for one bridge would hand out the same address twice, and
// their two locks would not order changes to the bridge and its nft table.
export const LEASE_DATA_ROOT = DEFAULT_DATA_ROOT;

export interface Lease {
  id: string; // the container
  address: string;
  stateDir: string; // the container's state directory: gone means the lease is stale
  veth: string;
  ports: PortMapping[]; // the host ports chosen, recorded before their nft elements exist
  names?: string[]; // its hostname and name, for the other containers' /etc/hosts
  // Its /etc/hosts (the file bind-mounted into it) and the lines of its own
  // that contain wrote there: the file is rewritten from these, never read.
  hosts?: { file: string; own: string };
}

interface LeaseFile {
  bridge: string;
  leases: Lease[];
}

export const leaseDir = (dataRoot: string) => `${dataRoot}/network`;

export class LeaseDb implements Disposable {
  private constructor(
    readonly dataRoot: string,
    readonly path: string,
    private readonly lock: FileLock,
    readonly data: LeaseFile,
  ) {}

  // Waits for the bridge's lock. `dataRoot`: the one a container's network
  // state recorded (LEASE_DATA_ROOT, for all that this version starts).
  static open(dataRoot: string, bridge: string): LeaseDb {
    const dir = leaseDir(dataRoot);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const lock = FileLock.acquire(`${dir}/${bridge}.lock`) as FileLock;
    const path = `${dir}/${bridge}.json`;
    try {
      const data = existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as LeaseFile) : { bridge, leases: [] };
      return new LeaseDb(dataRoot, path, lock, data);
    } catch (err) {
      lock.release();
      throw new Error(`cannot read the leases in ${path}: ${(err as Error).message}`, { cause: err });
    }
  }

  get leases(): Lease[] {
    return this.data.leases;
  }

  find(id: string): Lease | undefined {
    return this.data.leases.find((l) => l.id === id);
  }

  add(lease: Lease): void {
    this.data.leases.push(lease);
    this.save();
  }

  update(id: string, change: Partial<Lease>): void {
    const lease = this.find(id);
    if (!lease) return;
    Object.assign(lease, change);
    this.save();
  }

  remove(id: string): void {
    this.data.leases = this.data.leases.filter((l) => l.id !== id);
    this.save();
  }

  // Held, inside a bridge's lock (always in that order), from the choice of
  // a start's host ports until its lease records them.
  lockHostPorts(): FileLock {
    return FileLock.acquire(leaseDir(this.dataRoot), true, true) as FileLock;
  }

  // The host ports of every lease, this bridge's and the others': theirs
  // as their files are (each renamed into place whole), under lockHostPorts.
  // A stale lease of another bridge still holds its ports: its nft elements
  // stay until that bridge's next start reclaims it.
  heldPorts(): HeldPort[] {
    const own = this.data.leases;
    const others = readdirSync(leaseDir(this.dataRoot))
      .filter((f) => f.endsWith(".json") && f !== `${this.data.bridge}.json`)
      .flatMap((f) => {
        try {
          return (JSON.parse(readFileSync(`${leaseDir(this.dataRoot)}/${f}`, "utf8")) as LeaseFile).leases;
        } catch {
          return []; // unreadable: its own bridge's next start says so
        }
      });
    return [...own, ...others].flatMap((l) => l.ports.map((port) => ({ id: l.id, port })));
  }

  // Leases whose container's state is gone: its runtime died and its state
  // root went without a sweep (a reboot empties /run).
  stale(): Lease[] {
    return this.data.leases.filter((l) => !existsSync(l.stateDir));
  }

  private save(): void {
    writeAtomically(this.path, this.data);
  }

  [Symbol.dispose](): void {
    this.lock.release();
  }
}
