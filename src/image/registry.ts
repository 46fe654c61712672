// The OCI distribution (registry v2) client: manifests and blobs over HTTPS,
// with docker's auth (the Bearer token flow of distribution's token spec, and
// Basic), docker's per-registry TLS files (certs.d), and resumable,
// verified blob downloads. Plain HTTP only where docker allows it without
// asking: a loopback registry, or one the caller marks insecure.
import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, openSync, readdirSync, readFileSync, readSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { ContainError } from "../errors.ts";
import { fileError } from "../linux/file-error.ts";
import { apiHost, familiar, isDigest, registryHostname } from "../spec/reference.ts";

export const MEDIA_TYPES = {
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
} as const;
const SCHEMA1 = ["application/vnd.docker.distribution.manifest.v1+json", "application/vnd.docker.distribution.manifest.v1+prettyjws"];
const ACCEPT = Object.values(MEDIA_TYPES).join(", ");
const MANIFEST_MAX = 4 << 20; // distribution refuses larger ones too
const MAX_REDIRECTS = 10;
const BLOB_ATTEMPTS = 3; // a broken-off download is resumed this many times in all
const LOOPBACK = ["localhost", "127.0.0.1", "::1"];

export const DEFAULT_CERTS_DIR = "/etc/contain/certs.d";

export interface Credentials {
  username: string;
  password: string;
}

export interface RegistryOptions {
  // docker's certs.d: <certsDir>/<host[:port]>/*.crt are CAs trusted for that
  // registry beside the system's, *.cert with its *.key a client certificate.
  certsDir?: string;
  // Registries (host[:port], or a host for all its ports) reached without
  // TLS verification, and over plain HTTP when they do not speak TLS.
  insecure?: readonly string[];
  credentials?: Credentials;
  timeoutMs?: number; // for each response to start, and for each pause in a body
  userAgent?: string;
}

export interface Manifest {
  bytes: Uint8Array;
  mediaType: string;
  digest: string;
}

export interface BlobOptions {
  size?: number;
  onProgress?: (done: number) => void;
  signal?: AbortSignal;
}

interface Challenge {
  scheme: string; // lowercase: bearer, basic
  params: Record<string, string>;
}

interface Token {
  value: string;
  until: number;
}

type TLS = NonNullable<BunFetchRequestInit["tls"]>;

// RFC 7235's challenge: `Bearer realm="...",service="...",scope="..."`.
function parseChallenge(header: string | null): Challenge | undefined {
  const m = header ? /^\s*([A-Za-z]+)\s*(.*)$/.exec(header) : null;
  if (!m) return undefined;
  const params: Record<string, string> = {};
  for (const p of (m[2] ?? "").matchAll(/([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g))
    params[(p[1] ?? "").toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, "$1") : (p[3] ?? "");
  return { scheme: (m[1] ?? "").toLowerCase(), params };
}

// distribution's error body, {"errors":[{"code","message","detail"}]}, as one line.
function registryErrorText(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { errors?: { code?: string; message?: string }[]; details?: string; error?: string };
    const errors = parsed.errors?.map((e) => [e.message, e.code && `(${e.code})`].filter(Boolean).join(" ")).filter(Boolean);
    if (errors?.length) return errors.join("; ");
    return parsed.details ?? parsed.error;
  } catch {
    const line = body.trim().split("\n")[0]?.slice(0, 200);
    return line || undefined;
  }
}

async function errorCodes(res: Response): Promise<{ codes: string[]; text: string | undefined }> {
  const body = await res.text().catch(() => "");
  let codes: string[] = [];
  try {
    codes = ((JSON.parse(body) as { errors?: { code?: string }[] }).errors ?? []).map((e) => e.code ?? "");
  } catch {}
  return { codes, text: registryErrorText(body) };
}

let systemRoots: string[] | undefined;
// The CAs Bun trusts by default (Mozilla's, NODE_EXTRA_CA_CERTS) and the
// system's store: a `ca` option replaces them all, so they are passed along.
// node:tls is required here, not imported: the one-file bundle hoists every
// module's static imports of Node's modules to its top, so an import would
// load node:tls (and net, crypto, streams) at every start of every command.
function roots(): string[] {
  const { getCACertificates } = require("node:tls") as typeof import("node:tls");
  systemRoots ??= [...new Set([...getCACertificates("default"), ...getCACertificates("system")])];
  return systemRoots;
}

// A request that failed below HTTP: no connection, no TLS, no answer.
class TransportError extends ContainError {
  constructor(
    readonly code: string,
    message: string,
    hint: string,
    cause: unknown,
  ) {
    super(message, hint, undefined, { cause });
  }
}

// A blob's body that stopped early: what arrived is kept, to be resumed.
class BrokenOff extends Error {
  constructor(
    readonly done: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

const CERT_UNTRUSTED = ["UNABLE_TO_VERIFY_LEAF_SIGNATURE", "SELF_SIGNED_CERT_IN_CHAIN", "DEPTH_ZERO_SELF_SIGNED_CERT", "UNABLE_TO_GET_ISSUER_CERT", "UNABLE_TO_GET_ISSUER_CERT_LOCALLY", "CERT_UNTRUSTED", "CERT_SIGNATURE_FAILURE"];

function hashExisting(fd: number, length: number): Bun.CryptoHasher {
  const hasher = new Bun.CryptoHasher("sha256");
  const buf = Buffer.allocUnsafe(1 << 20);
  for (let pos = 0; pos < length; ) {
    const n = readSync(fd, buf, 0, Math.min(buf.length, length - pos), pos);
    if (n === 0) break;
    hasher.update(buf.subarray(0, n));
    pos += n;
  }
  return hasher;
}

async function readCapped(res: Response, max: number, what: string): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of res.body ?? []) {
    total += chunk.length;
    if (total > max) throw new ContainError(`${what} is more than ${max} bytes`, "check the image: no real manifest is that large");
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export class Registry {
  readonly host: string; // where the API is: registry-1.docker.io for docker.io
  private readonly certsDir: string;
  private readonly timeoutMs: number;
  private readonly tlsCache = new Map<string, TLS>();
  private base?: Promise<string>;
  private challenge?: Challenge;
  private readonly tokens = new Map<string, Promise<Token>>();

  constructor(
    readonly registry: string, // as a reference names it: docker.io, 127.0.0.1:5000
    private readonly opts: RegistryOptions = {},
  ) {
    this.host = apiHost(registry);
    this.certsDir = opts.certsDir ?? DEFAULT_CERTS_DIR;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  private insecure(host: string): boolean {
    return (this.opts.insecure ?? []).some((i) => i === host || i === registryHostname(host));
  }

  private plainAllowed(host: string): boolean {
    return LOOPBACK.includes(registryHostname(host)) || this.insecure(host);
  }

  // The files of <certsDir>/<host>/: CAs (*.crt) and a client certificate
  // (*.cert with its *.key), as docker reads them.
  private certFiles(host: string): { cas: string[]; cert?: string; key?: string } {
    const dir = join(this.certsDir, host);
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return { cas: [] };
      throw fileError(err, "read the certificates directory", dir);
    }
    const read = (name: string) => {
      try {
        return readFileSync(join(dir, name), "utf8");
      } catch (err) {
        throw fileError(err, "read", join(dir, name));
      }
    };
    const cas = names.filter((n) => n.endsWith(".crt")).map(read);
    const cert = names.find((n) => n.endsWith(".cert"));
    if (!cert) return { cas };
    const key = `${cert.slice(0, -".cert".length)}.key`;
    if (!names.includes(key)) throw new ContainError(`client certificate ${join(dir, cert)} has no key beside it`, `put its private key at ${join(dir, key)}`);
    return { cas, cert: read(cert), key: read(key) };
  }

  // TLS for a host: the system's roots and its certs.d files, and those of
  // `also` (the registry, for its token realm, as docker shares them).
  private tls(host: string, also?: string): TLS {
    const cacheKey = `${host} ${also ?? ""}`;
    const known = this.tlsCache.get(cacheKey);
    if (known) return known;
    const own = this.certFiles(host);
    const other = also && also !== host ? this.certFiles(also) : { cas: [] };
    const insecure = this.insecure(host);
    const tls: TLS = insecure ? { rejectUnauthorized: false } : { ca: [...roots(), ...own.cas, ...other.cas] };
    const client = own.cert ? own : other;
    if (client.cert && client.key) Object.assign(tls, { cert: client.cert, key: client.key });
    this.tlsCache.set(cacheKey, tls);
    return tls;
  }

  private transportError(err: unknown, url: URL): TransportError {
    const e = err as { code?: unknown; name?: string; message?: string };
    const code = typeof e.code === "string" ? e.code : (e.name ?? "Error");
    const text = e.message ?? String(err);
    const host = url.host;
    const fail = (message: string, hint: string) => new TransportError(code, message, hint, err);
    if (code === "TimeoutError") return fail(`${host} did not answer within ${this.timeoutMs / 1000}s (GET ${url.pathname})`, "check the network and the registry, then try again");
    if (CERT_UNTRUSTED.includes(code)) return fail(`x509: the certificate of ${host} is signed by an unknown authority (${text})`, `add the registry's CA as ${join(this.certsDir, host, "ca.crt")}`);
    if (code === "ERR_TLS_CERT_ALTNAME_INVALID") return fail(`x509: the certificate of ${host} is not valid for ${url.hostname}`, `reach the registry by a name its certificate holds, or have it reissued for ${url.hostname}`);
    if (code === "CERT_HAS_EXPIRED" || code === "CERT_NOT_YET_VALID") return fail(`x509: the certificate of ${host} is not valid now (${code})`, "have the registry's certificate renewed, or check this machine's clock");
    // Bun says no more: a server that speaks no TLS, or one that wants a
    // client certificate, fail alike.
    if (code === "EPROTO") return fail(`the TLS handshake with ${host} failed (${text})`, `if the registry asks for a client certificate, put it at ${join(this.certsDir, host, "client.cert")} with its client.key`);
    if (code === "ENOTFOUND") return fail(`cannot resolve the registry's host ${url.hostname}`, "check the registry's name and this machine's DNS");
    if (code === "ECONNREFUSED") return fail(`cannot connect to ${host}: connection refused`, "check the registry's name and port, and that it runs");
    return fail(`cannot reach ${host}: ${text} (${code})`, "check the network and the registry, then try again");
  }

  // One request, redirects followed by hand: a blob GET is often sent on to
  // a storage host, which must never see the registry's Authorization. The
  // timeout covers the wait for the response's head only: a body's pauses
  // are the caller's to time.
  private async request(url: URL, headers: Record<string, string>, opts: { signal?: AbortSignal; tlsAlso?: string } = {}): Promise<Response> {
    let current = url;
    let sent: Record<string, string> = { ...headers, "user-agent": this.opts.userAgent ?? "contain" };
    for (let hop = 0; ; hop++) {
      const timer = new AbortController();
      const timeout = setTimeout(() => timer.abort(Object.assign(new Error("timed out"), { name: "TimeoutError" })), this.timeoutMs);
      let res: Response;
      try {
        res = await fetch(current, {
          headers: sent,
          redirect: "manual",
          decompress: false,
          signal: opts.signal ? AbortSignal.any([opts.signal, timer.signal]) : timer.signal,
          ...(current.protocol === "https:" ? { tls: this.tls(current.host, hop === 0 ? opts.tlsAlso : undefined) } : {}),
        });
      } catch (err) {
        if (opts.signal?.aborted) throw opts.signal.reason;
        throw this.transportError(err, current);
      } finally {
        clearTimeout(timeout);
      }
      const location = res.headers.get("location");
      if (res.status < 300 || res.status >= 400 || res.status === 304 || !location) return res;
      await res.body?.cancel();
      if (hop >= MAX_REDIRECTS) throw new ContainError(`${url.host} redirected ${url.pathname} more than ${MAX_REDIRECTS} times`, "check the registry's storage configuration");
      const next = new URL(location, current);
      if (next.protocol !== "https:" && next.protocol !== "http:") throw new ContainError(`${url.host} redirected ${url.pathname} to ${next.protocol} ${next.host}`, "a registry must redirect to an http(s) URL");
      if (next.protocol === "http:" && current.protocol === "https:" && !this.plainAllowed(next.host))
        throw new ContainError(`${url.host} redirected ${url.pathname} from HTTPS to plain HTTP at ${next.host}`, "configure the registry's storage redirects with https");
      if (next.origin !== current.origin) {
        const { authorization: _, ...rest } = sent;
        sent = rest;
      }
      current = next;
    }
  }

  // The API's base URL, found once by GET /v2/ (docker's ping), which also
  // brings the auth challenge. HTTPS first; plain HTTP for a loopback
  // registry that does not speak TLS, or an insecure one HTTPS fails for.
  // Another registry that answers plain HTTP is refused by name.
  private baseURL(signal?: AbortSignal): Promise<string> {
    this.base ??= (async () => {
      const ping = async (scheme: string) => {
        const res = await this.request(new URL(`${scheme}://${this.host}/v2/`), {}, { signal });
        await res.body?.cancel();
        if (res.status === 401) this.challenge = parseChallenge(res.headers.get("www-authenticate"));
        else if (!res.ok) throw new ContainError(`${this.host} is not a registry: GET /v2/ answered ${res.status} ${res.statusText}`, "check the registry's name and port");
        return `${scheme}://${this.host}/v2/`;
      };
      try {
        return await ping("https");
      } catch (err) {
        if (!(err instanceof TransportError) || (err.code !== "EPROTO" && !this.insecure(this.host))) throw err;
        let plain: string;
        try {
          plain = await ping("http");
        } catch {
          throw err;
        }
        if (this.plainAllowed(this.host)) return plain;
        throw new ContainError(`${this.host} serves plain HTTP, not HTTPS`, "contain uses plain HTTP only for loopback registries and those marked insecure: mark it insecure if the network to it is trusted");
      }
    })();
    this.base.catch(() => (this.base = undefined));
    return this.base;
  }

  private basic(creds: Credentials): string {
    return `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString("base64")}`;
  }

  // A token for a scope from the challenge's realm (distribution's token
  // spec), kept for its expires_in; concurrent pulls of one scope share one.
  private async token(scope: string | undefined, signal?: AbortSignal): Promise<string> {
    const key = scope ?? "";
    const cached = this.tokens.get(key);
    if (cached) {
      const t = await cached.catch(() => undefined);
      if (t && t.until > Date.now()) return t.value;
      if (this.tokens.get(key) === cached) this.tokens.delete(key);
    }
    const fresh = this.fetchToken(scope, signal);
    this.tokens.set(key, fresh);
    fresh.catch(() => this.tokens.get(key) === fresh && this.tokens.delete(key));
    return (await fresh).value;
  }

  private async fetchToken(scope: string | undefined, signal?: AbortSignal): Promise<Token> {
    const params = this.challenge?.params ?? {};
    if (!params.realm) throw new ContainError(`${this.host} asks for a Bearer token but names no realm`, "check the registry's auth configuration");
    let realm: URL;
    try {
      realm = new URL(params.realm);
    } catch {
      throw new ContainError(`${this.host} names an invalid token realm ${JSON.stringify(params.realm)}`, "check the registry's auth.token.realm");
    }
    if (params.service) realm.searchParams.set("service", params.service);
    if (scope) realm.searchParams.set("scope", scope);
    const creds = this.opts.credentials;
    if (creds) realm.searchParams.set("account", creds.username);
    if (creds && realm.protocol !== "https:" && !this.plainAllowed(realm.host))
      throw new ContainError(`${this.host}'s token realm ${realm.origin} is plain HTTP, where contain sends no password`, "configure the registry's token realm with https");
    const res = await this.request(realm, creds ? { authorization: this.basic(creds) } : {}, { signal, tlsAlso: this.host });
    if (res.status === 401 || res.status === 403) {
      const { text } = await errorCodes(res);
      const said = text ? ` (${text})` : "";
      throw creds
        ? new ContainError(`unauthorized: ${this.registry} refused the credentials of ${creds.username}${said}`, `check the user name and password, and log in again with contain login ${this.registry}`)
        : new ContainError(`unauthorized: ${this.registry} gives no anonymous access${said}`, `log in with contain login ${this.registry}`);
    }
    if (!res.ok) {
      const { text } = await errorCodes(res);
      throw new ContainError(`${this.host}'s token server ${realm.host} answered ${res.status} ${res.statusText}${text ? `: ${text}` : ""}`, "try again later, or check the registry's auth configuration");
    }
    let body: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      body = (await res.json()) as typeof body;
    } catch {
      throw new ContainError(`${this.host}'s token server ${realm.host} sent no JSON`, "check the registry's token realm");
    }
    const value = typeof body.token === "string" && body.token ? body.token : typeof body.access_token === "string" ? body.access_token : "";
    if (!value) throw new ContainError(`${this.host}'s token server ${realm.host} sent no token`, "check the registry's token realm");
    // The spec's default lifetime is 60 s, and a shorter one is read as that;
    // a token is renewed a little before it expires.
    const life = Math.max(60, typeof body.expires_in === "number" ? body.expires_in : 60);
    return { value, until: Date.now() + (life - 10) * 1000 };
  }

  private async authorization(scope: string | undefined, signal?: AbortSignal): Promise<Record<string, string>> {
    const ch = this.challenge;
    if (!ch) return {};
    if (ch.scheme === "basic") return this.opts.credentials ? { authorization: this.basic(this.opts.credentials) } : {};
    if (ch.scheme === "bearer") return { authorization: `Bearer ${await this.token(scope, signal)}` };
    throw new ContainError(`${this.host} asks for ${ch.scheme} authentication, which contain does not speak`, "use a registry with Bearer token or Basic auth");
  }

  private unauthorized(repository: string, text: string | undefined): ContainError {
    const said = text ? ` (${text})` : "";
    const creds = this.opts.credentials;
    const name = `${this.registry}/${repository}`;
    if (creds && this.challenge?.scheme === "basic")
      return new ContainError(`unauthorized: ${this.registry} refused the credentials of ${creds.username}${said}`, `check the user name and password, and log in again with contain login ${this.registry}`);
    return creds
      ? new ContainError(`unauthorized: ${creds.username} may not pull ${name}, or it does not exist${said}`, `check the name and ${creds.username}'s access, or log in as another user with contain login ${this.registry}`)
      : new ContainError(`unauthorized: pulling ${name} needs credentials, or it does not exist${said}`, `log in with contain login ${this.registry}`);
  }

  // A GET under /v2/ with auth, retried once after a 401 that brings a
  // challenge: a registry may ask for auth on a repository's paths alone,
  // or a cached token may have been revoked.
  private async get(repository: string, path: string, headers: Record<string, string>, signal?: AbortSignal): Promise<Response> {
    const url = new URL(path, await this.baseURL(signal));
    const scope = `repository:${repository}:pull`;
    for (let attempt = 0; ; attempt++) {
      const res = await this.request(url, { ...headers, ...(await this.authorization(scope, signal)) }, { signal });
      if (res.status !== 401) return res;
      const fresh = parseChallenge(res.headers.get("www-authenticate"));
      const retry = attempt === 0 && fresh !== undefined && (fresh.scheme === "bearer" || (fresh.scheme === "basic" && this.challenge?.scheme !== "basic" && this.opts.credentials !== undefined));
      if (!retry) throw this.unauthorized(repository, (await errorCodes(res)).text);
      await res.body?.cancel();
      this.challenge = fresh;
      this.tokens.delete(scope);
    }
  }

  private async failed(res: Response, what: string, repository: string, notFound: () => ContainError): Promise<ContainError> {
    const { codes, text } = await errorCodes(res);
    if (res.status === 404 || codes.some((c) => c === "MANIFEST_UNKNOWN" || c === "NAME_UNKNOWN" || c === "BLOB_UNKNOWN")) return notFound();
    if (res.status === 403 || codes.includes("DENIED")) return new ContainError(`denied: ${this.registry}/${repository}${text ? ` (${text})` : ""}`, `check your access to it, or log in with contain login ${this.registry}`);
    if (res.status === 429) return new ContainError(`${this.registry} limits requests: it answered 429 Too Many Requests for ${what}`, `wait and try again; logging in (contain login ${this.registry}) may raise the limit`);
    return new ContainError(`${this.registry} answered ${res.status} ${res.statusText} for ${what}${text ? `: ${text}` : ""}`, res.status >= 500 ? "the registry failed: try again later" : "check the image's name and the registry");
  }

  // `contain login`'s check: the auth flow against /v2/ with the
  // credentials. A registry that asks for none accepts any, as with docker.
  async checkLogin(signal?: AbortSignal): Promise<void> {
    const url = new URL(await this.baseURL(signal));
    if (!this.challenge) return;
    const res = await this.request(url, await this.authorization(undefined, signal), { signal });
    const { text } = res.ok ? { text: await res.body?.cancel() } : await errorCodes(res);
    const user = this.opts.credentials?.username ?? "";
    if (res.status === 401) throw new ContainError(`unauthorized: ${this.registry} refused the credentials of ${user}${text ? ` (${text})` : ""}`, `check the user name and password, and log in again with contain login ${this.registry}`);
    if (!res.ok) throw new ContainError(`${this.registry} answered ${res.status} ${res.statusText} for GET /v2/${text ? `: ${text}` : ""}`, "check the registry's name, and try again later");
  }

  // A manifest or an index by tag or digest, as the registry's bytes: their
  // digest is computed here and checked, so the bytes are what was named.
  async manifest(repository: string, reference: string, signal?: AbortSignal): Promise<Manifest> {
    const named = familiar({ registry: this.registry, repository, ...(reference.includes(":") ? { digest: reference } : { tag: reference }) });
    const res = await this.get(repository, `${repository}/manifests/${reference}`, { accept: ACCEPT }, signal);
    if (!res.ok) throw await this.failed(res, `the manifest of ${named}`, repository, () => new ContainError(`image not found: ${named}`, `check the name and tag: is ${named} in ${this.registry}?`));
    const bytes = await readCapped(res, MANIFEST_MAX, `the manifest of ${named}`);
    const digest = `sha256:${new Bun.CryptoHasher("sha256").update(bytes).digest("hex")}`;
    if (reference.includes(":") && digest !== reference)
      throw new ContainError(`the manifest ${this.registry} sent for ${named} hashes to ${digest}: the registry or a proxy changed it; nothing was kept`, "check the registry and any proxy between");
    const claimed = res.headers.get("docker-content-digest");
    if (claimed && claimed !== digest)
      throw new ContainError(`the manifest of ${named} hashes to ${digest}, not to the ${claimed} the registry gave for it`, "a proxy may have changed it: check the network path to the registry");
    let parsed: { mediaType?: unknown; schemaVersion?: unknown };
    try {
      parsed = JSON.parse(new TextDecoder().decode(bytes)) as typeof parsed;
    } catch {
      throw new ContainError(`the manifest of ${named} is not JSON`, "check the image in the registry");
    }
    // The header first; a registry that sends a generic one (application/json)
    // leaves the manifest's own field to say.
    const header = (res.headers.get("content-type") ?? "").split(";")[0]?.trim() ?? "";
    const known: string[] = Object.values(MEDIA_TYPES);
    const mediaType = known.includes(header) || SCHEMA1.includes(header) || typeof parsed.mediaType !== "string" ? header : parsed.mediaType;
    if (SCHEMA1.includes(mediaType) || parsed.schemaVersion === 1)
      throw new ContainError(`${named} is a docker schema 1 image, a format contain does not pull`, "push it again with a current docker, buildah or skopeo, which write schema 2 or OCI");
    if (!known.includes(mediaType)) throw new ContainError(`${named} has a manifest of unknown type ${JSON.stringify(mediaType)}`, "contain pulls OCI and docker schema 2 images");
    return { bytes, mediaType, digest };
  }

  // A blob into partialPath, resumed from what is already there, retried
  // when the connection breaks. On success the file holds exactly the blob;
  // on a mismatch it is removed; after a failure of the network it keeps
  // what arrived, for the next pull to resume.
  async blob(repository: string, digest: string, partialPath: string, opts: BlobOptions = {}): Promise<void> {
    if (!isDigest(digest)) throw new ContainError(`invalid blob digest ${JSON.stringify(digest)}`, "a digest is sha256: followed by 64 lowercase hex digits");
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.blobAttempt(repository, digest, partialPath, opts);
      } catch (err) {
        if (opts.signal?.aborted) throw opts.signal.reason;
        if (!(err instanceof BrokenOff || err instanceof TransportError)) throw err;
        if (attempt >= BLOB_ATTEMPTS) {
          if (err instanceof TransportError) throw err;
          const of = opts.size === undefined ? "" : ` of ${opts.size}`;
          throw new ContainError(`the download of blob ${digest} from ${this.registry} broke off at ${err.done}${of} bytes (${err.reason})`, "run the pull again: it resumes where it stopped");
        }
        await Bun.sleep(200 * attempt);
      }
    }
  }

  private async blobAttempt(repository: string, digest: string, partialPath: string, opts: BlobOptions): Promise<void> {
    const { size, signal } = opts;
    let fd: number;
    try {
      fd = openSync(partialPath, existsSync(partialPath) ? "r+" : "w", 0o644);
    } catch (err) {
      throw fileError(err, "open", partialPath);
    }
    let open = true;
    const close = () => {
      if (open) closeSync(fd);
      open = false;
    };
    try {
      let have = fstatSync(fd).size;
      if (size !== undefined && have > size) {
        ftruncateSync(fd, 0);
        have = 0;
      }
      let hasher = hashExisting(fd, have);
      if (size === undefined || have < size) {
        opts.onProgress?.(have);
        const res = await this.get(repository, `${repository}/blobs/${digest}`, { "accept-encoding": "identity", ...(have > 0 ? { range: `bytes=${have}-` } : {}) }, signal);
        const start = res.status === 206 ? Number(/^bytes (\d+)-/.exec(res.headers.get("content-range") ?? "")?.[1] ?? -1) : 0;
        // A range past the blob's end (416), or another range than asked:
        // what is here is no prefix of it. Start over.
        if (have > 0 && (res.status === 416 || (res.status === 206 && start !== have))) {
          await res.body?.cancel();
          ftruncateSync(fd, 0);
          close();
          return await this.blobAttempt(repository, digest, partialPath, opts);
        }
        if (!res.ok) throw await this.failed(res, `blob ${digest}`, repository, () => new ContainError(`blob ${digest} not found in ${this.registry}/${repository}`, "the image's manifest names a blob the registry does not have: push the image again"));
        if (res.status === 200 && have > 0) {
          // No ranges served: the whole blob comes again.
          ftruncateSync(fd, 0);
          have = 0;
          hasher = new Bun.CryptoHasher("sha256");
        }
        have = await this.stream(res, fd, partialPath, hasher, have, opts);
      }
      if ((size !== undefined && have !== size) || `sha256:${hasher.digest("hex")}` !== digest) {
        close();
        rmSync(partialPath, { force: true });
        throw new ContainError(`blob ${digest} from ${this.registry} does not match its digest: the registry or a proxy corrupted it; nothing was kept`, "pull again; if it fails again, check the registry and any proxy between");
      }
      fsyncSync(fd);
    } finally {
      close();
    }
  }

  // The body to disk as it arrives, hashed on the way: memory stays flat
  // whatever the blob's size. A pause longer than the timeout breaks it off.
  private async stream(res: Response, fd: number, path: string, hasher: Bun.CryptoHasher, from: number, opts: BlobOptions): Promise<number> {
    const length = res.headers.get("content-length");
    const expected = opts.size ?? (length === null ? undefined : from + Number(length));
    const reader = (res.body ?? new ReadableStream<Uint8Array>()).getReader();
    let have = from;
    try {
      for (;;) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const stalled = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new BrokenOff(have, `nothing arrived for ${this.timeoutMs / 1000}s`)), this.timeoutMs);
        });
        let chunk: Awaited<ReturnType<typeof reader.read>>;
        try {
          chunk = await Promise.race([reader.read(), stalled]);
        } catch (err) {
          if (opts.signal?.aborted) throw opts.signal.reason;
          throw err instanceof BrokenOff ? err : new BrokenOff(have, (err as Error).message ?? String(err));
        } finally {
          clearTimeout(timer);
        }
        if (chunk.done) break;
        const bytes = chunk.value;
        // A body longer than the blob is no blob: no need to write it all.
        if (expected !== undefined && have + bytes.length > expected) return have + bytes.length;
        for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off, have + off);
        hasher.update(bytes);
        have += bytes.length;
        opts.onProgress?.(have);
      }
    } catch (err) {
      if (err instanceof BrokenOff || opts.signal?.aborted) throw err;
      throw fileError(err, "write", path);
    } finally {
      reader.cancel().catch(() => {});
    }
    if (expected !== undefined && have < expected) throw new BrokenOff(have, `the connection closed after ${have} of ${expected} bytes`);
    return have;
  }
}

// `contain login`'s check, as docker's: throws when the registry refuses
// the credentials, before they are stored.
export async function checkLogin(registry: string, credentials: Credentials, opts: Omit<RegistryOptions, "credentials"> = {}): Promise<void> {
  await new Registry(registry, { ...opts, credentials }).checkLogin();
}
