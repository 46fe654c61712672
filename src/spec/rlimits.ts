// --ulimit NAME=SOFT[:HARD], docker's syntax; the names of setrlimit(2).
import { SpecError } from "../errors.ts";

export const RLIMIT_TYPES = {
  cpu: "RLIMIT_CPU",
  fsize: "RLIMIT_FSIZE",
  data: "RLIMIT_DATA",
  stack: "RLIMIT_STACK",
  core: "RLIMIT_CORE",
  rss: "RLIMIT_RSS",
  nproc: "RLIMIT_NPROC",
  nofile: "RLIMIT_NOFILE",
  memlock: "RLIMIT_MEMLOCK",
  as: "RLIMIT_AS",
  locks: "RLIMIT_LOCKS",
  sigpending: "RLIMIT_SIGPENDING",
  msgqueue: "RLIMIT_MSGQUEUE",
  nice: "RLIMIT_NICE",
  rtprio: "RLIMIT_RTPRIO",
  rttime: "RLIMIT_RTTIME",
} as const;

export type RlimitType = (typeof RLIMIT_TYPES)[keyof typeof RLIMIT_TYPES];

// The resource numbers of asm-generic/resource.h, the same on x86_64 and arm64.
export const RLIMIT_NUMBER: Record<RlimitType, number> = {
  RLIMIT_CPU: 0,
  RLIMIT_FSIZE: 1,
  RLIMIT_DATA: 2,
  RLIMIT_STACK: 3,
  RLIMIT_CORE: 4,
  RLIMIT_RSS: 5,
  RLIMIT_NPROC: 6,
  RLIMIT_NOFILE: 7,
  RLIMIT_MEMLOCK: 8,
  RLIMIT_AS: 9,
  RLIMIT_LOCKS: 10,
  RLIMIT_SIGPENDING: 11,
  RLIMIT_MSGQUEUE: 12,
  RLIMIT_NICE: 13,
  RLIMIT_RTPRIO: 14,
  RLIMIT_RTTIME: 15,
};

export const RLIM_INFINITY = -1; // in the Spec; the shim passes it as ~0

export interface Rlimit {
  type: RlimitType;
  soft: number;
  hard: number;
}

function limitValue(text: string, spec: string): number {
  if (text === "unlimited" || text === "-1") return RLIM_INFINITY;
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text)))
    throw new SpecError("--ulimit", `${JSON.stringify(spec)}: ${JSON.stringify(text)} is not a number`, "e.g. --ulimit nofile=1024:4096");
  return Number(text);
}

export function parseUlimit(spec: string): Rlimit {
  const eq = spec.indexOf("=");
  const name = spec.slice(0, eq).toLowerCase();
  const type = RLIMIT_TYPES[name as keyof typeof RLIMIT_TYPES];
  if (eq <= 0 || !type)
    throw new SpecError("--ulimit", `${JSON.stringify(spec)} is not NAME=SOFT[:HARD] with a known name`, `names: ${Object.keys(RLIMIT_TYPES).join(", ")}; e.g. --ulimit nofile=1024:4096`);
  const [softText = "", hardText, extra] = spec.slice(eq + 1).split(":");
  if (extra !== undefined) throw new SpecError("--ulimit", `${JSON.stringify(spec)} has too many values`, "use NAME=SOFT:HARD, e.g. --ulimit nofile=1024:4096");
  const soft = limitValue(softText, spec);
  const hard = hardText === undefined ? soft : limitValue(hardText, spec);
  const above = (a: number, b: number) => (a === RLIM_INFINITY ? b !== RLIM_INFINITY : b !== RLIM_INFINITY && a > b);
  if (above(soft, hard)) throw new SpecError("--ulimit", `${JSON.stringify(spec)}: the soft limit is above the hard limit`, "give SOFT <= HARD, e.g. --ulimit nofile=1024:4096");
  return { type, soft, hard };
}
