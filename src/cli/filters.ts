// `ps --filter KEY=VALUE`, docker's: values of one key are alternatives,
// different keys must all match. Pure.
import { ContainError, EXIT } from "../errors.ts";
import type { StatusKind } from "../runtime/status.ts";

// What a filter looks at in a container.
export interface Candidate {
  id: string;
  name?: string;
  status: StatusKind;
  exitCode?: number; // once exited, when known
  labels: Readonly<Record<string, string>>;
}

export const FILTER_KEYS = ["id", "name", "status", "label", "exited"] as const;
type Key = (typeof FILTER_KEYS)[number];

// docker's statuses. contain never removes in the background or leaves a
// dead container, so those two match nothing here.
const STATUSES = ["created", "restarting", "running", "removing", "paused", "exited", "dead"];

export type Filters = Map<Key, string[]>;

const bad = (message: string, hint: string) => new ContainError(`--filter: ${message}`, hint, EXIT.failed);

export function parseFilters(given: readonly string[]): Filters {
  const filters: Filters = new Map();
  for (const f of given) {
    const eq = f.indexOf("=");
    if (eq <= 0) throw bad(`${JSON.stringify(f)} is not KEY=VALUE`, "e.g. --filter status=exited, --filter name=web");
    const key = f.slice(0, eq).toLowerCase();
    const value = f.slice(eq + 1);
    if (!(FILTER_KEYS as readonly string[]).includes(key)) throw bad(`unknown filter ${JSON.stringify(key)}`, `the filters are ${FILTER_KEYS.join(", ")}`);
    if (key === "status" && !STATUSES.includes(value)) throw bad(`${JSON.stringify(value)} is not a status`, `use one of ${STATUSES.join(", ")}`);
    if (key === "exited" && !/^\d+$/.test(value)) throw bad(`exited=${value}: the exit code is a number`, "e.g. --filter exited=0");
    if (key === "name") {
      try {
        new RegExp(value);
      } catch {
        throw bad(`name=${value} is not a regular expression`, "escape the special characters, e.g. name=web\\.1");
      }
    }
    if (key === "label" && value === "") throw bad("label= needs a KEY or KEY=VALUE", "e.g. --filter label=tier=front");
    filters.set(key as Key, [...(filters.get(key as Key) ?? []), value]);
  }
  return filters;
}

function matchesOne(key: Key, value: string, c: Candidate): boolean {
  switch (key) {
    case "id":
      return c.id.startsWith(value);
    case "name":
      // docker's: a regular expression anywhere in the name
      return c.name !== undefined && new RegExp(value).test(c.name);
    case "status":
      return c.status === value;
    case "exited":
      return c.status === "exited" && c.exitCode === Number(value);
    case "label": {
      const eq = value.indexOf("=");
      return eq < 0 ? Object.hasOwn(c.labels, value) : c.labels[value.slice(0, eq)] === value.slice(eq + 1);
    }
  }
}

export function matches(filters: Filters, c: Candidate): boolean {
  return [...filters].every(([key, values]) => values.some((v) => matchesOne(key, v, c)));
}

// docker lists stopped containers too when the filter asks for a status or
// an exit code, without -a.
export const wantsStopped = (filters: Filters) => filters.has("status") || filters.has("exited");
