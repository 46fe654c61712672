// The containers on a bridge know each other by name: each one's /etc/hosts
// holds its own lines and a line per other container on the bridge.
import { writeFileSync } from "node:fs";
import { peerLine } from "../plan/dns.ts";
import { LeaseDb } from "./ipam.ts";
import type { NetworkState } from "./bridge.ts";

// Written from the bridge's leases (ipam.ts), under its lock, and never read:
// a container can write its own (it is bind-mounted), so what it holds is
// nobody else's business, and its own edits are lost at the next rewrite.
// Written in place, never renamed, since the bind mount holds the inode.
export function writeHostsFiles(db: LeaseDb): void {
  for (const lease of db.leases) {
    if (!lease.hosts) continue;
    const peers = db.leases.filter((p) => p.id !== lease.id && p.names?.length).map((p) => peerLine(p.address, p.names ?? [], p.id));
    try {
      writeFileSync(lease.hosts.file, lease.hosts.own + peers.join(""));
    } catch {
      // Its state is gone (a stale lease about to be reclaimed), or its
      // disk is full: the others' files are still written.
    }
  }
}

// The container's /etc/hosts and its own lines, once written: from now on
// the bridge's rewrites keep it up to date, and the others learn its names.
export function announceNames(state: NetworkState, id: string, hosts: { file: string; own: string }): void {
  if (!state.address) return;
  using db = LeaseDb.open(state.dataRoot, state.bridge);
  db.update(id, { hosts });
  writeHostsFiles(db);
}
