// What docker's output calls a container's labels, ports and times, read
// from contain's state. Pure.
import type { ContainerState } from "../runtime/state.ts";
import type { PortMapping } from "../spec/network.ts";

// contain has no --label yet: a container's labels are its OCI annotations
// (what an OCI bundle's config.json, or podman and containerd, give it).
export function labelsOf(state: ContainerState): Record<string, string> {
  return state.spec?.annotations ?? {};
}

export function portsOf(state: ContainerState): PortMapping[] {
  return state.network?.ports ?? [];
}

// Go's time.Time.String(), which docker's CreatedAt prints:
// "2024-05-01 12:34:56 +0000 UTC", in the local time zone.
export function goTime(d: Date): string {
  const pad = (n: number, w = 2) => String(Math.abs(n)).padStart(w, "0");
  const off = -d.getTimezoneOffset();
  const zone = new Intl.DateTimeFormat("en-US", { timeZoneName: "short" }).formatToParts(d).find((p) => p.type === "timeZoneName")?.value ?? "";
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${off < 0 ? "-" : "+"}${pad(Math.floor(Math.abs(off) / 60))}${pad(Math.abs(off) % 60)} ${zone}`;
}
