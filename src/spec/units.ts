// Parsers and formatters for the values users type: sizes (64M), CPU amounts
// (0.5, 50000), counts. Pure; every failure is a SpecError naming the flag.
import { SpecError } from "../errors.ts";

const SIZE_UNITS: Record<string, number> = { "": 1, B: 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

// docker's forms: 1048576, 512k, 64M, 1g, 1.5G, 64 M (binary units,
// case-insensitive, optional trailing B). Nothing around the value: " 64M" is
// what an unquoted, half-empty variable gives, and docker refuses it too.
export function parseSize(field: string, value: string): number {
  const m = /^(\d+(?:\.\d+)?) ?([kmgt]?)b?$/i.exec(value);
  if (!m) throw new SpecError(field, `invalid size ${JSON.stringify(value)}`, "use bytes or a number with a K, M or G suffix, e.g. 64M");
  const bytes = Math.floor(Number(m[1]) * (SIZE_UNITS[(m[2] ?? "").toUpperCase()] ?? 1));
  if (!Number.isSafeInteger(bytes)) throw new SpecError(field, `size ${value} is too large`, "use a smaller size");
  return bytes;
}

// The shortest exact form: 67108864 -> 64M, 1536K -> 1536K, 1000 -> 1000.
export function formatSize(bytes: number): string {
  for (const unit of ["T", "G", "M", "K"]) {
    const size = SIZE_UNITS[unit] ?? 1;
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return String(bytes);
}

// Approximate, for reports: 1.5M, 312K.
export function humanSize(bytes: number): string {
  for (const unit of ["G", "M", "K"]) {
    const size = SIZE_UNITS[unit] ?? 1;
    if (bytes >= size) return `${Number((bytes / size).toFixed(1))}${unit}`;
  }
  return `${bytes}B`;
}

export function parseInteger(field: string, value: string, hint: string): number {
  if (!/^-?\d+$/.test(value)) throw new SpecError(field, `${JSON.stringify(value)} is not a whole number`, hint);
  // Past 2^53 a number is no longer the one typed: 99999999999999999999 reads as 1e20.
  if (!Number.isSafeInteger(Number(value))) throw new SpecError(field, `${value} is out of range`, hint);
  return Number(value);
}

// Decimal only, exactly as typed: Number() alone would also take "0x1",
// "0b1", " 1" (a half-empty variable) and "Infinity".
export function parseNumber(field: string, value: string, hint: string): number {
  const n = Number(value);
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(value) || !Number.isFinite(n)) throw new SpecError(field, `${JSON.stringify(value)} is not a number`, hint);
  return n;
}

export const CPU_PERIOD_US = 100_000;

// The rule that tells `--cpu` values apart: below 1000 the value is a number of
// CPUs (0.5 = half a CPU, 2 = two CPUs); from 1000 on it is a CFS quota in
// microseconds per 100 ms period (50000 = half a CPU). The kernel's smallest
// quota is 1000 us, and no machine has 1000 CPUs, so the two ranges never meet.
export const CPU_QUOTA_THRESHOLD = 1000;

export interface CpuQuota {
  quota: number;
  period: number;
}

export function parseCpu(field: string, value: string): CpuQuota {
  const n = parseNumber(field, value, "use a number of CPUs such as 0.5, or a quota in microseconds per 100ms such as 50000");
  if (n >= CPU_QUOTA_THRESHOLD) {
    if (!Number.isInteger(n)) throw new SpecError(field, `quota ${value} must be whole microseconds`, "e.g. --cpu 50000");
    return { quota: n, period: CPU_PERIOD_US };
  }
  return cpusToQuota(field, n);
}

// docker's --cpus: a fraction of CPUs.
export function cpusToQuota(field: string, cpus: number): CpuQuota {
  if (!(cpus > 0)) throw new SpecError(field, `${cpus} CPUs is not a limit`, "use a positive number of CPUs such as 0.5");
  const quota = Math.round(cpus * CPU_PERIOD_US);
  // validateSpec holds a quota to the machine's CPUs; one this large (1e308
  // CPUs) is not even a whole number of microseconds any more.
  if (!Number.isSafeInteger(quota)) throw new SpecError(field, `${cpus} CPUs is more than any machine has`, `use at most the number of CPUs here (nproc), e.g. ${field} 1`);
  return { quota, period: CPU_PERIOD_US };
}


const DURATION_UNITS_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, "µs": 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

// Go's time.ParseDuration, as runc's --interval takes it: 5s, 500ms, 1m30s,
// 1.5h. Milliseconds; "0" is the one number without a unit.
export function parseDuration(field: string, value: string): number {
  const hint = "a number with a unit (ns, us, ms, s, m, h), e.g. 5s or 500ms";
  if (value === "0") return 0;
  if (!/^((\d+\.?\d*|\.\d+)(ns|us|µs|ms|s|m|h))+$/.test(value)) throw new SpecError(field, `invalid duration ${JSON.stringify(value)}`, hint);
  let ms = 0;
  for (const m of value.matchAll(/(\d+\.?\d*|\.\d+)(ns|us|µs|ms|s|m|h)/g)) ms += Number(m[1]) * (DURATION_UNITS_MS[m[2] ?? ""] ?? 0);
  return ms;
}
