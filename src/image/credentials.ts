// Registry credentials in docker's config.json format, which podman's
// auth.json shares: { "auths": { "HOST[:PORT]": { "auth": base64("user:pass") } } },
// Docker Hub under "https://index.docker.io/v1/". contain keeps its own file
// (the CLI passes <data-root>/auth.json) and reads docker's read-only, so a
// `docker login` done before works here too. Credential helpers (credsStore,
// credHelpers) are programs docker runs: contain runs none, and says so.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { ContainError } from "../errors.ts";
import { fileError } from "../linux/file-error.ts";
import { credentialsKey } from "../spec/reference.ts";

export interface Credential {
  username: string;
  password: string;
  source: string; // the file it came from
}

interface AuthEntry {
  auth?: string;
  identitytoken?: string;
  [field: string]: unknown;
}

interface ConfigFile {
  auths?: Record<string, AuthEntry>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
  [field: string]: unknown;
}

const HUB_HOSTS = ["index.docker.io", "docker.io", "registry-1.docker.io"];

// docker's ConvertToHostname: a key may be a URL ("https://host:5000/v1/");
// Docker Hub has several names.
function keyHost(key: string): string {
  const host = key.replace(/^https?:\/\//, "").split("/")[0] ?? "";
  return HUB_HOSTS.includes(host) ? "index.docker.io" : host;
}

function readConfig(path: string, mine: boolean): ConfigFile | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw fileError(err, "read credentials from", path);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // docker's file is not ours to mend; ours is, and a login rewrites it.
    if (!mine) return undefined;
    throw new ContainError(`credentials file ${path} is not valid JSON`, `fix it, or remove it and run contain login again`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    if (!mine) return undefined;
    throw new ContainError(`credentials file ${path} does not hold a JSON object`, `fix it, or remove it and run contain login again`);
  }
  return parsed as ConfigFile;
}

function decode(entry: AuthEntry): { username: string; password: string } | undefined {
  if (typeof entry.auth !== "string" || entry.auth === "") return undefined;
  const text = Buffer.from(entry.auth, "base64").toString("utf8");
  const colon = text.indexOf(":");
  return colon <= 0 ? undefined : { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

function findEntry(config: ConfigFile, host: string): [string, AuthEntry] | undefined {
  return Object.entries(config.auths ?? {}).find(([key]) => keyHost(key) === host);
}

// docker's own config: $DOCKER_CONFIG/config.json, else ~/.docker/config.json.
export function dockerConfigPath(env: Record<string, string | undefined> = process.env): string | undefined {
  if (env.DOCKER_CONFIG) return join(env.DOCKER_CONFIG, "config.json");
  return env.HOME ? join(env.HOME, ".docker", "config.json") : undefined;
}

// The credentials for a registry (as a reference names it: docker.io,
// host:5000): contain's own file first, then docker's.
export function lookup(registry: string, ownFile: string, opts: { env?: Record<string, string | undefined>; note?: (msg: string) => void } = {}): Credential | undefined {
  const host = keyHost(credentialsKey(registry));
  const sources: [string | undefined, boolean][] = [
    [ownFile, true],
    [dockerConfigPath(opts.env), false],
  ];
  for (const [path, mine] of sources) {
    if (!path) continue;
    const config = readConfig(path, mine);
    if (!config) continue;
    const found = findEntry(config, host);
    const creds = found && decode(found[1]);
    if (creds) return { ...creds, source: path };
    if (found?.[1].identitytoken) opts.note?.(`${path} holds an identity token for ${registry}, which contain does not use: run contain login ${registry}`);
    // With a credsStore, docker writes an empty entry for each host it holds.
    const helper = Object.entries(config.credHelpers ?? {}).find(([key]) => keyHost(key) === host)?.[1] ?? (found ? config.credsStore : undefined);
    if (helper) opts.note?.(`${path} keeps credentials in docker-credential-${helper}, a helper contain does not run: run contain login ${registry}`);
  }
  return undefined;
}

// Written whole to a temporary file, then renamed: a reader never sees half a
// file, and a crash leaves the old one. 0600: it holds passwords.
function writeConfig(path: string, config: ConfigFile): void {
  const dir = dirname(path);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw fileError(err, "create the directory", dir);
  }
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    rmSync(tmp, { force: true }); // a crashed write's, whatever its mode
    const fd = openSync(tmp, "wx", 0o600);
    try {
      writeSync(fd, `${JSON.stringify(config, null, "\t")}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw fileError(err, "write credentials to", path);
  }
}

export function store(registry: string, username: string, password: string, ownFile: string): void {
  if (username === "" || username.includes(":")) throw new ContainError(`invalid user name ${JSON.stringify(username)} for ${registry}`, "a user name is not empty and has no colon");
  const config = readConfig(ownFile, true) ?? {};
  const key = credentialsKey(registry);
  const auths = Object.fromEntries(Object.entries(config.auths ?? {}).filter(([k]) => keyHost(k) !== keyHost(key)));
  auths[key] = { auth: Buffer.from(`${username}:${password}`).toString("base64") };
  writeConfig(ownFile, { ...config, auths });
}

// Whether there was anything to remove (docker's logout says "Not logged in").
export function remove(registry: string, ownFile: string): boolean {
  const config = readConfig(ownFile, true);
  if (!config) return false;
  const host = keyHost(credentialsKey(registry));
  const auths = Object.entries(config.auths ?? {});
  const kept = auths.filter(([k]) => keyHost(k) !== host);
  if (kept.length === auths.length) return false;
  writeConfig(ownFile, { ...config, auths: Object.fromEntries(kept) });
  return true;
}
