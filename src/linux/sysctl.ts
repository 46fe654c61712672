// Kernel parameters (man 5 proc: /proc/sys). Writes are skipped when the value
// is already there, so a read-only /proc/sys that holds the right value is fine.
import { readFileSync, writeFileSync } from "node:fs";
import { traceCall } from "../ffi/index.ts";

export function setSysctl(name: string, value: string): void {
  const path = `/proc/sys/${name.replaceAll(".", "/")}`;
  if (readFileSync(path, "utf8").trim() === value) return;
  traceCall("write", [path, value]);
  writeFileSync(path, value);
}

// A link's own IPv4 setting: net.ipv4.conf.<link>.<key> (a link name may hold
// dots, so the path is built here rather than from a dotted name).
export function setLinkSysctl(link: string, key: string, value: string): void {
  const path = `/proc/sys/net/ipv4/conf/${link}/${key}`;
  if (readFileSync(path, "utf8").trim() === value) return;
  traceCall("write", [path, value]);
  writeFileSync(path, value);
}
