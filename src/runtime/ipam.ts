// IP leases of a bridge network, persistent under the default data root
// (/var/lib/contain/network/<bridge>.json) so they outlive the runtime that
// took them, and guarded by a file lock against concurrent runs. Whoever
// holds the lock may also change the bridge and its nft table.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { FileLock } from "../linux/lock.ts";
import type { PortMapping } from "../spec/network.ts";
import { DEFAULT_DATA_ROOT } from "./image.ts";
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
  ports: PortMapping[];
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
      return new LeaseDb(path, lock, data);
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
