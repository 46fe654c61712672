// Platforms (`--platform linux/arm64/v8`), the host's own, and the choice of
// one manifest from an image index or a docker manifest list, by containerd's
// rules (platforms/database.go normalizes the names, platforms.Only orders
// what a host can run). Pure: the caller passes process.arch.
import { ContainError } from "../errors.ts";

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

// An entry of an index's `manifests` (the OCI descriptor's fields we read).
export interface IndexEntry {
  mediaType?: string;
  digest: string;
  size?: number;
  platform?: { os?: string; architecture?: string; variant?: string };
  annotations?: Record<string, string>;
}

const HINT = "write a platform as os/arch[/variant], e.g. linux/amd64, linux/arm64/v8 or linux/arm/v7";
const COMPONENT = /^[A-Za-z0-9_-]+$/;

// Node's process.arch to GOARCH, the names images use (Node's ppc64 is the
// little-endian one: Node builds for no big-endian PowerPC Linux).
const NODE_ARCH: Record<string, string> = {
  x64: "amd64",
  arm64: "arm64",
  arm: "arm",
  ia32: "386",
  ppc64: "ppc64le",
  s390x: "s390x",
  riscv64: "riscv64",
  loong64: "loong64",
  mips: "mips",
  mipsel: "mipsle",
};

// containerd's normalizeArch: aliases to GOARCH, and each arch's default
// variant made explicit (arm64 is v8, arm is v7), so equal platforms compare
// equal whichever way they were written.
function normalizeArch(arch: string, variant: string | undefined): { architecture: string; variant?: string } {
  const a = arch.toLowerCase();
  const v = variant?.toLowerCase() ?? "";
  switch (a) {
    case "i386":
    case "386":
      return { architecture: "386" };
    case "x86_64":
    case "x86-64":
    case "amd64":
      return v === "" || v === "v1" ? { architecture: "amd64" } : { architecture: "amd64", variant: v };
    case "aarch64":
    case "arm64":
      return { architecture: "arm64", variant: v === "" || v === "8" || v === "v8" || v === "v8.0" ? "v8" : /^\d/.test(v) ? `v${v}` : v };
    case "armhf":
      return { architecture: "arm", variant: "v7" };
    case "armel":
      return { architecture: "arm", variant: "v6" };
    case "arm":
      return { architecture: "arm", variant: v === "" ? "v7" : /^\d+$/.test(v) ? `v${v}` : v };
    default:
      return v === "" ? { architecture: a } : { architecture: a, variant: v };
  }
}

function normalizeOS(os: string): string {
  const o = os.toLowerCase();
  return o === "macos" ? "darwin" : o;
}

export function normalizePlatform(p: { os?: string; architecture?: string; variant?: string }): Platform {
  return { os: normalizeOS(p.os ?? ""), ...normalizeArch(p.architecture ?? "", p.variant) };
}

export function formatPlatform(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ""}`;
}

// The platform this host runs, from Node's process.arch.
export function hostPlatform(nodeArch: string): Platform {
  const arch = NODE_ARCH[nodeArch];
  if (!arch) throw new ContainError(`no image platform is known for this host's architecture ${JSON.stringify(nodeArch)}`, "name one with --platform, e.g. --platform linux/amd64");
  return normalizePlatform({ os: "linux", architecture: arch });
}

// `--platform`: os/arch[/variant]; a lone arch (amd64) means linux/arch, a
// lone os (linux) the host's arch, as containerd's platforms.Parse reads them.
export function parsePlatform(value: string, host?: Platform): Platform {
  const parts = value.split("/");
  if (parts.length > 3 || parts.some((p) => !COMPONENT.test(p))) throw new ContainError(`invalid platform ${JSON.stringify(value)}`, HINT);
  const [first = "", arch, variant] = parts;
  if (arch !== undefined) return normalizePlatform({ os: first, architecture: arch, variant });
  if (normalizeOS(first) === "linux") {
    if (!host) throw new ContainError(`invalid platform ${JSON.stringify(value)}: it names no architecture`, HINT);
    return { ...host, os: "linux" };
  }
  return normalizePlatform({ os: "linux", architecture: first });
}

// What a host of platform `want` runs, best first, as containerd's
// platforms.Only: the exact platform, then, for arm and amd64, the older
// variants of the same arch (arm/v7 runs v6 and v5 images; amd64/v3 runs v2
// and plain amd64).
function ranked(want: Platform): Platform[] {
  const { os, architecture, variant } = normalizePlatform(want);
  const out: Platform[] = [{ os, architecture, ...(variant ? { variant } : {}) }];
  const n = /^v(\d+)$/.exec(variant ?? "");
  if (n && (architecture === "arm" || architecture === "amd64")) {
    const lowest = architecture === "arm" ? 5 : 2;
    for (let i = Number(n[1]) - 1; i >= lowest; i--) out.push({ os, architecture, variant: `v${i}` });
    if (architecture === "amd64") out.push({ os, architecture });
  }
  return out;
}

function same(a: Platform, b: Platform): boolean {
  return a.os === b.os && a.architecture === b.architecture && (a.variant ?? "") === (b.variant ?? "");
}

// Whether an image built for `have` runs on `want` (the exact platform or a
// compatible older variant).
export function platformMatches(want: Platform, have: Platform): boolean {
  const h = normalizePlatform(have);
  return ranked(want).some((p) => same(p, h));
}

// One manifest of an index for `want`: the best-ranked platform, the first of
// equals in the index's order. Entries without a platform, and buildx's
// attestation manifests (platform unknown/unknown), are no image to run.
export function selectManifest<E extends IndexEntry>(entries: readonly E[], want: Platform, image: string): E {
  const runnable = entries.filter((e) => e.platform?.os && e.platform.architecture && e.platform.os !== "unknown");
  for (const p of ranked(want)) {
    const found = runnable.find((e) => e.platform && same(normalizePlatform(e.platform), p));
    if (found) return found;
  }
  const has = [...new Set(runnable.map((e) => formatPlatform(normalizePlatform(e.platform ?? {}))))];
  throw new ContainError(
    `no image for ${formatPlatform(normalizePlatform(want))} in ${image}: ${has.length ? `it has ${has.join(", ")}` : "its index lists no platform"}`,
    has.length ? `choose one of those with --platform, e.g. --platform ${has[0]}` : "ask the image's publisher for a build for your platform",
  );
}
