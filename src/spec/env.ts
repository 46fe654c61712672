// Environment variables: -e/--env and --env-file, docker's syntax.
import { SpecError } from "../errors.ts";

export type HostEnv = Record<string, string | undefined>;

// Here, not with the flags (from-flags.ts): the plan's search path needs it,
// and importing that module would load the whole Spec's parsing with it.
export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// KEY=VALUE, or a bare KEY that takes the host's value (skipped when unset).
export function parseEnv(flag: string, item: string, hostEnv: HostEnv, where = JSON.stringify(item)): string | undefined {
  const eq = item.indexOf("=");
  const key = eq < 0 ? item : item.slice(0, eq);
  if (!/^[^\s=]+$/.test(key)) throw new SpecError(flag, `${where} is not KEY=VALUE`, flag === "--env" ? "e.g. --env MODE=test" : "write one KEY=VALUE per line");
  if (eq >= 0) return item;
  const value = hostEnv[key];
  return value === undefined ? undefined : `${key}=${value}`;
}

// KEY=VALUE lists, later keys winning, with the -e items on top (parsed by
// parseEnv, so a bare KEY takes the host's value): `run` and `exec` alike.
export function mergeEnv(base: readonly string[], given: readonly string[], hostEnv: HostEnv): string[] {
  const env = new Map<string, string>();
  for (const kv of [...base, ...given.flatMap((item) => parseEnv("--env", item, hostEnv) ?? [])]) {
    const eq = kv.indexOf("=");
    env.set(kv.slice(0, eq), kv.slice(eq + 1));
  }
  return [...env].map(([k, v]) => `${k}=${v}`);
}

// --env-file: KEY=VALUE lines; a bare KEY takes the host's value (docker's rule);
// blank lines and # comments are skipped.
export function parseEnvFile(text: string, file: string, hostEnv: HostEnv): string[] {
  const env: string[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.replace(/\r$/, "");
    if (!line.trim() || line.trimStart().startsWith("#")) return;
    const kv = parseEnv("--env-file", line.trimStart(), hostEnv, `${file}:${i + 1}: ${JSON.stringify(line)}`);
    if (kv !== undefined) env.push(kv);
  });
  return env;
}
