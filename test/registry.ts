// A real registry for the tests: distribution 2.8 (Debian's docker-registry)
// on a free loopback port, with its storage in a temp dir, in three set-ups:
// plain HTTP; TLS with a test CA plus token auth from a token server of our
// own; htpasswd Basic auth. Helpers push blobs and manifests through the
// HTTP API, so a test can push any image, and three small misbehaving front
// proxies corrupt a blob, cut one halfway, or redirect blobs to a "storage"
// host. Everything listens on 127.0.0.1 only.
//
// Token auth: distribution 2.8 (registry/auth/token/token.go) takes the
// signing key from the JWT header's `x5c` chain, verified against the
// config's rootcertbundle, else from `kid` as a libtrust key ID. We send
// `x5c` with the token key's self-signed certificate (the bundle's one
// entry), and sign ES256 in JWS's raw r||s form. `iss` must be the
// configured issuer and `aud` the service, a plain string.
import { createPrivateKey, randomBytes, sign, X509Certificate } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server as NetServer, type Socket } from "node:net";
import { ensurePackages, IMAGE_PACKAGES } from "./setup.ts";

const REGISTRY = "/usr/bin/docker-registry";
export const SERVICE = "contain-test-registry";
const ISSUER = "contain-test-issuer";

export type Auth = "none" | "token" | "htpasswd";

export interface Credentials {
  username: string;
  password: string;
}

export interface StartOptions {
  tls?: boolean; // HTTPS with a test CA (forced by auth "token")
  auth?: Auth;
  clientCerts?: boolean; // TLS that demands a client certificate signed by the CA
  user?: Credentials; // who may pull and push (token and htpasswd)
  // With token auth, repositories anyone may pull (their names' prefixes).
  publicPrefixes?: string[];
}

export interface PushedImage {
  digest: string; // the manifest's
  manifest: Uint8Array;
  config: string;
  layers: string[];
}

export interface TestRegistry {
  host: string; // 127.0.0.1:PORT, as a reference names it
  url: string; // http(s)://127.0.0.1:PORT
  dir: string;
  ca?: string; // the test CA, PEM
  // A certs.d for contain: <certsDir>/<host>/ca.crt (and, with clientCerts,
  // the client certificate).
  certsDir?: string;
  user?: Credentials;
  tokenRequests: URL[]; // what the token server was asked, in order
  pushBlob(repo: string, bytes: Uint8Array): Promise<string>;
  pushManifest(repo: string, reference: string, body: Uint8Array | string | object, mediaType: string): Promise<string>;
  pushImage(repo: string, tag: string, layers: Uint8Array[], opts?: { platform?: { os: string; architecture: string; variant?: string }; oci?: boolean }): Promise<PushedImage>;
  // A fetch to the registry with its CA (and client certificate).
  fetch(path: string, init?: RequestInit & { auth?: string }): Promise<Response>;
  stop(): Promise<void>;
}

export function sha256(bytes: Uint8Array | string): string {
  return `sha256:${new Bun.CryptoHasher("sha256").update(bytes).digest("hex")}`;
}

const b64url = (bytes: Uint8Array | string) => Buffer.from(bytes).toString("base64url");

function run(cmd: string[], cwd: string): void {
  const r = Bun.spawnSync(cmd, { cwd, stdout: "ignore", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")} failed: ${r.stderr.toString().trim()}`);
}

// A test CA, a server certificate for 127.0.0.1 and localhost, a client
// certificate, and the token server's signing key with its self-signed
// certificate: EC P-256 throughout (fast to make).
export function makeCertificates(dir: string): void {
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  run(["openssl", "req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=contain test CA", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"], dir);
  writeFileSync(`${dir}/server.ext`, "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
  writeFileSync(`${dir}/client.ext`, "extendedKeyUsage=clientAuth\n");
  for (const [name, subject] of [
    ["server", "/CN=127.0.0.1"],
    ["client", "/CN=contain test client"],
  ]) {
    run(["openssl", "req", ...ec, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", subject ?? ""], dir);
    run(["openssl", "x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", `${name}.crt`, "-days", "2", "-extfile", `${name}.ext`], dir);
  }
  run(["openssl", "req", "-x509", ...ec, "-keyout", "token.key", "-out", "token.crt", "-days", "2", "-subj", "/CN=contain test token issuer"], dir);
}

interface Grant {
  type: string;
  name: string;
  actions: string[];
}

// An ES256 JWT as distribution 2.8 verifies it (see the top of the file).
function mintToken(dir: string, subject: string, access: Grant[]): string {
  const cert = new X509Certificate(readFileSync(`${dir}/token.crt`));
  const header = { typ: "JWT", alg: "ES256", x5c: [cert.raw.toString("base64")] };
  const now = Math.floor(Date.now() / 1000);
  const claims = { iss: ISSUER, sub: subject, aud: SERVICE, exp: now + 300, nbf: now - 10, iat: now, jti: randomBytes(8).toString("hex"), access };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const signature = sign("sha256", Buffer.from(input), { key: createPrivateKey(readFileSync(`${dir}/token.key`)), dsaEncoding: "ieee-p1363" });
  return `${input}.${b64url(signature)}`;
}

function parseBasic(header: string | null): Credentials | undefined {
  const m = /^Basic\s+(\S+)$/i.exec(header ?? "");
  if (!m) return undefined;
  const text = Buffer.from(m[1] ?? "", "base64").toString();
  const colon = text.indexOf(":");
  return colon < 0 ? undefined : { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

// The token server: the configured user gets pull and push on anything,
// anyone pull on the public repositories; wrong credentials get a 401.
function startTokenServer(dir: string, user: Credentials, publicPrefixes: string[], requests: URL[]) {
  return Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    tls: { cert: readFileSync(`${dir}/server.crt`, "utf8"), key: readFileSync(`${dir}/server.key`, "utf8") },
    fetch(req) {
      const url = new URL(req.url);
      requests.push(url);
      if (url.pathname !== "/token") return new Response("not found", { status: 404 });
      const given = parseBasic(req.headers.get("authorization"));
      if (given && (given.username !== user.username || given.password !== user.password))
        return Response.json({ errors: [{ code: "UNAUTHORIZED", message: "incorrect username or password" }] }, { status: 401 });
      const access: Grant[] = [];
      for (const scope of url.searchParams.getAll("scope").flatMap((s) => s.split(" "))) {
        const [type = "", name = "", actions = ""] = scope.split(":");
        const wanted = actions.split(",");
        const granted = given ? wanted.filter((a) => a === "pull" || a === "push") : publicPrefixes.some((p) => name.startsWith(p)) ? wanted.filter((a) => a === "pull") : [];
        access.push({ type, name, actions: granted });
      }
      const token = mintToken(dir, given?.username ?? "", access);
      return Response.json({ token, access_token: token, expires_in: 300, issued_at: new Date().toISOString() });
    },
  });
}

// A port the kernel just had free. The registry binds it a moment later; a
// race lost to another process shows as the registry's bind error, and the
// start is tried again.
async function freePort(): Promise<number> {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = s.port;
  s.stop(true);
  return port;
}

function config(dir: string, port: number, opts: Required<Pick<StartOptions, "tls" | "auth" | "clientCerts">>, realm?: string): string {
  const lines = [
    "version: 0.1",
    "log:",
    "  level: warn",
    "  accesslog:",
    "    disabled: true",
    "storage:",
    "  filesystem:",
    `    rootdirectory: ${dir}/data`,
    "  delete:",
    "    enabled: true",
    "http:",
    `  addr: 127.0.0.1:${port}`,
    `  secret: ${randomBytes(16).toString("hex")}`,
  ];
  if (opts.tls) {
    lines.push("  tls:", `    certificate: ${dir}/server.crt`, `    key: ${dir}/server.key`);
    if (opts.clientCerts) lines.push("    clientcas:", `      - ${dir}/ca.crt`);
  }
  if (opts.auth === "token") lines.push("auth:", "  token:", `    realm: ${realm}`, `    service: ${SERVICE}`, `    issuer: ${ISSUER}`, `    rootcertbundle: ${dir}/token.crt`);
  if (opts.auth === "htpasswd") lines.push("auth:", "  htpasswd:", "    realm: contain-test", `    path: ${dir}/htpasswd`);
  return `${lines.join("\n")}\n`;
}

let installed = false;

export async function startRegistry(opts: StartOptions = {}): Promise<TestRegistry> {
  if (!installed) ensurePackages(IMAGE_PACKAGES);
  installed = true;
  const auth = opts.auth ?? "none";
  const tls = opts.tls === true || auth === "token" || opts.clientCerts === true;
  const clientCerts = opts.clientCerts ?? false;
  const user = auth === "none" ? undefined : (opts.user ?? { username: "tester", password: "secret-pw" });
  const dir = mkdtempSync("/tmp/contain-test-registry-");
  const tokenRequests: URL[] = [];
  let tokenServer: ReturnType<typeof startTokenServer> | undefined;
  let proc: ReturnType<typeof Bun.spawn> | undefined;
  try {
    if (tls) makeCertificates(dir);
    if (auth === "htpasswd" && user) writeFileSync(`${dir}/htpasswd`, `${user.username}:${await Bun.password.hash(user.password, { algorithm: "bcrypt", cost: 4 })}\n`);
    if (auth === "token" && user) tokenServer = startTokenServer(dir, user, opts.publicPrefixes ?? ["public/"], tokenRequests);
    const ca = tls ? readFileSync(`${dir}/ca.crt`, "utf8") : undefined;
    const fetchTLS = tls ? { ca, ...(clientCerts ? { cert: readFileSync(`${dir}/client.crt`, "utf8"), key: readFileSync(`${dir}/client.key`, "utf8") } : {}) } : undefined;
    let host = "";
    for (let attempt = 0; ; attempt++) {
      const port = await freePort();
      host = `127.0.0.1:${port}`;
      writeFileSync(`${dir}/config.yml`, config(dir, port, { tls, auth, clientCerts }, tokenServer && `https://127.0.0.1:${tokenServer.port}/token`));
      proc = Bun.spawn([REGISTRY, "serve", `${dir}/config.yml`], { stdin: "ignore", stdout: "ignore", stderr: Bun.file(`${dir}/registry.log`) });
      if (await ready(`${tls ? "https" : "http"}://${host}/v2/`, proc, fetchTLS)) break;
      const log = readFileSync(`${dir}/registry.log`, "utf8");
      if (attempt < 3 && /address already in use/.test(log)) continue;
      throw new Error(`docker-registry did not start on ${host}: ${log.trim().split("\n").slice(-3).join(" | ")}`);
    }
    const url = `${tls ? "https" : "http"}://${host}`;
    let certsDir: string | undefined;
    if (tls) {
      certsDir = `${dir}/certs.d`;
      mkdirSync(`${certsDir}/${host}`, { recursive: true });
      writeFileSync(`${certsDir}/${host}/ca.crt`, ca ?? "");
      if (clientCerts) {
        writeFileSync(`${certsDir}/${host}/client.cert`, readFileSync(`${dir}/client.crt`));
        writeFileSync(`${certsDir}/${host}/client.key`, readFileSync(`${dir}/client.key`));
      }
    }
    // What a push needs: the user's Basic credentials, or a token with push
    // minted here (the token server would give the same).
    const pushAuth = (repo: string): string | undefined => {
      if (auth === "htpasswd" && user) return `Basic ${Buffer.from(`${user.username}:${user.password}`).toString("base64")}`;
      if (auth === "token") return `Bearer ${mintToken(dir, user?.username ?? "", [{ type: "repository", name: repo, actions: ["pull", "push"] }])}`;
      return undefined;
    };
    const registryFetch = (path: string, init: RequestInit & { auth?: string } = {}) => {
      const headers = new Headers(init.headers);
      if (init.auth) headers.set("authorization", init.auth);
      return fetch(path.startsWith("http") ? path : `${url}${path}`, { ...init, headers, ...(fetchTLS ? { tls: fetchTLS } : {}) });
    };
    const expect = async (res: Response, status: number, what: string) => {
      if (res.status !== status) throw new Error(`${what}: ${res.status} ${await res.text()}`);
      await res.body?.cancel();
    };
    const pushBlob = async (repo: string, bytes: Uint8Array) => {
      const digest = sha256(bytes);
      const a = pushAuth(repo);
      const start = await registryFetch(`/v2/${repo}/blobs/uploads/`, { method: "POST", auth: a });
      await expect(start, 202, `POST /v2/${repo}/blobs/uploads/`);
      const location = new URL(start.headers.get("location") ?? "", url);
      location.searchParams.set("digest", digest);
      await expect(await registryFetch(location.href, { method: "PUT", body: bytes, auth: a, headers: { "content-type": "application/octet-stream" } }), 201, `PUT blob ${digest}`);
      return digest;
    };
    const pushManifest = async (repo: string, reference: string, body: Uint8Array | string | object, mediaType: string) => {
      const bytes = body instanceof Uint8Array ? body : new TextEncoder().encode(typeof body === "string" ? body : JSON.stringify(body));
      await expect(await registryFetch(`/v2/${repo}/manifests/${reference}`, { method: "PUT", body: bytes, auth: pushAuth(repo), headers: { "content-type": mediaType } }), 201, `PUT manifest ${repo}:${reference}`);
      return sha256(bytes);
    };
    const pushImage = async (repo: string, tag: string, layers: Uint8Array[], o: { platform?: { os: string; architecture: string; variant?: string }; oci?: boolean } = {}) => {
      const oci = o.oci ?? true;
      const platform = o.platform ?? { os: "linux", architecture: "amd64" };
      const layerDigests = await Promise.all(layers.map((l) => pushBlob(repo, l)));
      const configBytes = new TextEncoder().encode(JSON.stringify({ ...platform, config: { Cmd: ["/bin/sh"] }, rootfs: { type: "layers", diff_ids: layerDigests }, history: [] }));
      const configDigest = await pushBlob(repo, configBytes);
      const mediaType = oci ? "application/vnd.oci.image.manifest.v1+json" : "application/vnd.docker.distribution.manifest.v2+json";
      const manifest = new TextEncoder().encode(
        JSON.stringify({
          schemaVersion: 2,
          mediaType,
          config: { mediaType: oci ? "application/vnd.oci.image.config.v1+json" : "application/vnd.docker.container.image.v1+json", digest: configDigest, size: configBytes.length },
          layers: layers.map((l, i) => ({ mediaType: oci ? "application/vnd.oci.image.layer.v1.tar+gzip" : "application/vnd.docker.image.rootfs.diff.tar.gzip", digest: layerDigests[i], size: l.length })),
        }),
      );
      const digest = await pushManifest(repo, tag, manifest, mediaType);
      return { digest, manifest, config: configDigest, layers: layerDigests };
    };
    const running = proc;
    return {
      host,
      url,
      dir,
      ...(ca ? { ca } : {}),
      ...(certsDir ? { certsDir } : {}),
      ...(user ? { user } : {}),
      tokenRequests,
      pushBlob,
      pushManifest,
      pushImage,
      fetch: registryFetch,
      async stop() {
        running.kill("SIGKILL");
        await running.exited;
        tokenServer?.stop(true);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    proc?.kill("SIGKILL");
    tokenServer?.stop(true);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

// Polls GET /v2/ until the registry answers (200, or 401 with auth).
async function ready(url: string, proc: ReturnType<typeof Bun.spawn>, tls?: { ca?: string; cert?: string; key?: string }): Promise<boolean> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && proc.exitCode === null) {
    try {
      const res = await fetch(url, tls ? { tls } : {});
      await res.body?.cancel();
      if (res.status === 200 || res.status === 401) return true;
    } catch {}
    await Bun.sleep(10);
  }
  if (proc.exitCode === null) proc.kill("SIGKILL");
  await proc.exited;
  return false;
}

export interface ProxyRequest {
  method: string;
  path: string;
  range?: string;
  authorization?: string;
}

export interface TestProxy {
  host: string; // 127.0.0.1:PORT, a registry name for the client
  requests: ProxyRequest[];
  stop(): void;
}

const isBlobGet = (method: string, path: string) => method === "GET" && /\/blobs\/sha256:/.test(path);

// The upstream's answer, with the headers a proxy passes on.
async function forward(upstream: TestRegistry, method: string, path: string, headers: Headers): Promise<{ status: number; headers: Headers; body: Uint8Array }> {
  const sent = new Headers(headers);
  for (const h of ["host", "connection", "accept-encoding", "content-length"]) sent.delete(h);
  const res = await upstream.fetch(path, { method, headers: sent, redirect: "manual" });
  const body = new Uint8Array(await res.arrayBuffer());
  const back = new Headers(res.headers);
  for (const h of ["content-length", "content-encoding", "transfer-encoding", "connection", "date"]) back.delete(h);
  return { status: res.status, headers: back, body };
}

function record(requests: ProxyRequest[], method: string, path: string, headers: Headers): void {
  const range = headers.get("range");
  const authorization = headers.get("authorization");
  requests.push({ method, path, ...(range ? { range } : {}), ...(authorization ? { authorization } : {}) });
}

// Flips one byte in the middle of every blob and manifest it passes on,
// keeping the upstream's headers (its Docker-Content-Digest among them).
// With `only`, of that blob alone (a pull then gets as far as it).
export function corruptingProxy(upstream: TestRegistry, opts: { only?: string } = {}): TestProxy {
  const requests: ProxyRequest[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      record(requests, req.method, url.pathname, req.headers);
      const res = await forward(upstream, req.method, `${url.pathname}${url.search}`, req.headers);
      const middle = res.body.length >> 1;
      const target = opts.only === undefined ? /\/(blobs|manifests)\//.test(url.pathname) : url.pathname.endsWith(`/blobs/${opts.only}`);
      if (req.method === "GET" && res.status < 300 && target && res.body.length > 0) res.body[middle] = (res.body[middle] ?? 0) ^ 0xff;
      return new Response(res.body, { status: res.status, headers: res.headers });
    },
  });
  return { host: `127.0.0.1:${server.port}`, requests, stop: () => server.stop(true) };
}

// Sends half of every whole-blob GET (with the full Content-Length) and closes
// the connection; ranged GETs and everything else pass whole. Raw TCP: an
// HTTP server library would not send a short body on purpose.
export async function cuttingProxy(upstream: TestRegistry): Promise<TestProxy> {
  const requests: ProxyRequest[] = [];
  const serve = async (socket: Socket, head: string) => {
    const [requestLine = "", ...headerLines] = head.split("\r\n");
    const [method = "GET", path = "/"] = requestLine.split(" ");
    const headers = new Headers();
    for (const line of headerLines) {
      const colon = line.indexOf(":");
      if (colon > 0) headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    }
    record(requests, method, path, headers);
    const res = await forward(upstream, method, path, headers);
    const cut = isBlobGet(method, path) && !headers.has("range") && res.status === 200;
    const lines = [`HTTP/1.1 ${res.status} ${res.status === 200 ? "OK" : "Status"}`, `Content-Length: ${res.body.length}`, "Connection: close"];
    res.headers.forEach((v, k) => lines.push(`${k}: ${v}`));
    socket.write(`${lines.join("\r\n")}\r\n\r\n`);
    if (method === "HEAD") return socket.end();
    if (!cut) return socket.end(res.body);
    // The half, and a moment later a FIN, not a reset: the client has read
    // the half by then (Bun's fetch drops body bytes it still holds when the
    // connection fails, and a reset would drop the socket's buffer).
    socket.write(res.body.subarray(0, res.body.length >> 1));
    setTimeout(() => socket.end(), 100);
  };
  const server: NetServer = createServer((socket) => {
    let buffered = "";
    socket.on("data", (data) => {
      // A TLS ClientHello (a client trying HTTPS first): answered as Go's
      // HTTP server answers one, a 400 that is no TLS record.
      if (buffered === "" && data[0] === 0x16) return socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
      buffered += data.toString("latin1");
      const end = buffered.indexOf("\r\n\r\n");
      if (end < 0) return;
      socket.removeAllListeners("data");
      serve(socket, buffered.slice(0, end)).catch(() => socket.destroy());
    });
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return { host: `127.0.0.1:${port}`, requests, stop: () => server.close() };
}

// Passes everything on, blob bodies in `chunk`-byte pieces `delayMs` apart
// while `slow` is set (a pull to kill halfway), at once when it is not;
// Range headers pass too, so a resumed download shows in `requests`.
export function throttlingProxy(upstream: TestRegistry, opts: { chunk?: number; delayMs?: number } = {}): TestProxy & { slow: boolean } {
  const requests: ProxyRequest[] = [];
  const chunk = opts.chunk ?? 32 * 1024;
  const delay = opts.delayMs ?? 20;
  const proxy = { slow: true };
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      record(requests, req.method, url.pathname, req.headers);
      const res = await forward(upstream, req.method, `${url.pathname}${url.search}`, req.headers);
      if (!isBlobGet(req.method, url.pathname) || res.status >= 300 || !proxy.slow) return new Response(res.body, { status: res.status, headers: res.headers });
      let at = 0;
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (proxy.slow) await Bun.sleep(delay);
          const end = proxy.slow ? at + chunk : res.body.length;
          controller.enqueue(res.body.slice(at, end));
          at = end;
          if (at >= res.body.length) controller.close();
        },
      });
      return new Response(body, { status: res.status, headers: res.headers });
    },
  });
  return Object.assign(proxy, { host: `127.0.0.1:${server.port}`, requests, stop: () => server.stop(true) });
}

// Answers blob GETs with a 307 to a "storage" server on another port (as
// registries on S3 or GCS do); the storage records what it was sent, so a
// test sees whether the registry's Authorization followed. The rest passes
// to the upstream, its Authorization included.
export function redirectingProxy(upstream: TestRegistry): TestProxy & { storage: ProxyRequest[] } {
  const requests: ProxyRequest[] = [];
  const storageRequests: ProxyRequest[] = [];
  const admin = upstream.user && `Basic ${Buffer.from(`${upstream.user.username}:${upstream.user.password}`).toString("base64")}`;
  const storage = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      record(storageRequests, req.method, url.pathname, req.headers);
      const headers = new Headers(req.headers);
      headers.delete("authorization");
      if (admin) headers.set("authorization", admin);
      const res = await forward(upstream, req.method, `${url.pathname}${url.search}`, headers);
      return new Response(res.body, { status: res.status, headers: res.headers });
    },
  });
  const front = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      record(requests, req.method, url.pathname, req.headers);
      if (isBlobGet(req.method, url.pathname)) return new Response(null, { status: 307, headers: { location: `http://127.0.0.1:${storage.port}${url.pathname}` } });
      const res = await forward(upstream, req.method, `${url.pathname}${url.search}`, req.headers);
      return new Response(res.body, { status: res.status, headers: res.headers });
    },
  });
  return {
    host: `127.0.0.1:${front.port}`,
    requests,
    storage: storageRequests,
    stop() {
      front.stop(true);
      storage.stop(true);
    },
  };
}
