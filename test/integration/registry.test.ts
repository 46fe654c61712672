// The registry client against the real registry (distribution 2.8): plain
// HTTP, TLS with token auth, htpasswd; manifests by tag and digest, an
// index's platform choice, blobs resumed after a cut, corruption refused,
// redirects that keep the Authorization at home; and the credentials file.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { lookup as dnsLookup } from "node:dns/promises";
import { hostname } from "node:os";
import { lookup, remove, store } from "../../src/image/credentials.ts";
import { checkLogin, MEDIA_TYPES, Registry } from "../../src/image/registry.ts";
import { hostPlatform, parsePlatform, selectManifest, type IndexEntry } from "../../src/spec/platform.ts";
import { corruptingProxy, cuttingProxy, redirectingProxy, sha256, startRegistry, type TestRegistry } from "../registry.ts";

const work = mkdtempSync("/tmp/contain-test-pull-");
let plain: TestRegistry;
let token: TestRegistry;
let basic: TestRegistry;
const started: number[] = [];
// Random bytes stand in for layers: the registry never looks inside a blob.
const layer = (n: number) => crypto.getRandomValues(new Uint8Array(n));
const small = layer(300_000);
let image: Awaited<ReturnType<TestRegistry["pushImage"]>>;

beforeAll(async () => {
  const timed = async (opts: Parameters<typeof startRegistry>[0]) => {
    const t = performance.now();
    const r = await startRegistry(opts);
    started.push(performance.now() - t);
    return r;
  };
  [plain, token, basic] = await Promise.all([timed({}), timed({ auth: "token" }), timed({ auth: "htpasswd" })]);
  image = await plain.pushImage("team/app", "1", [small, layer(1000)]);
  await token.pushImage("public/app", "1", [small]);
  await token.pushImage("private/app", "1", [small]);
  await basic.pushImage("app", "1", [small]);
});

afterAll(async () => {
  await Promise.all([plain?.stop(), token?.stop(), basic?.stop()]);
  rmSync(work, { recursive: true, force: true });
});

const partial = (name: string) => `${work}/${name}.partial`;

test("each registry starts well under a second", () => {
  console.error(`[registry] starts: ${started.map((t) => `${t.toFixed(0)} ms`).join(", ")}`);
  for (const t of started) expect(t).toBeLessThan(1000);
});

describe("manifests", () => {
  test("by tag: the registry's bytes, type and digest", async () => {
    const m = await new Registry(plain.host).manifest("team/app", "1");
    expect(m.mediaType).toBe(MEDIA_TYPES.ociManifest);
    expect(m.digest).toBe(image.digest);
    expect(Buffer.from(m.bytes).equals(Buffer.from(image.manifest))).toBe(true);
  });

  test("by digest", async () => {
    const m = await new Registry(plain.host).manifest("team/app", image.digest);
    expect(m.digest).toBe(image.digest);
  });

  test("a docker schema 2 manifest keeps its type", async () => {
    const pushed = await plain.pushImage("team/docker", "1", [small], { oci: false });
    const m = await new Registry(plain.host).manifest("team/docker", "1");
    expect(m.mediaType).toBe(MEDIA_TYPES.dockerManifest);
    expect(m.digest).toBe(pushed.digest);
  });

  test("an unknown tag, repository or digest: image not found", async () => {
    const r = new Registry(plain.host);
    await expect(r.manifest("team/app", "nope")).rejects.toThrow(`image not found: ${plain.host}/team/app:nope`);
    await expect(r.manifest("team/none", "1")).rejects.toThrow(`image not found: ${plain.host}/team/none:1`);
    const missing = `sha256:${"0".repeat(64)}`;
    await expect(r.manifest("team/app", missing)).rejects.toThrow(`image not found: ${plain.host}/team/app@${missing}`);
  });

  test("bytes that do not hash to the digest asked for are refused", async () => {
    const proxy = corruptingProxy(plain);
    try {
      const r = new Registry(proxy.host);
      await expect(r.manifest("team/app", image.digest)).rejects.toThrow(/hashes to sha256:[0-9a-f]{64}: the registry or a proxy changed it/);
      // By tag, the registry's Docker-Content-Digest is what they must match.
      await expect(r.manifest("team/app", "1")).rejects.toThrow(`not to the ${image.digest} the registry gave for it`);
    } finally {
      proxy.stop();
    }
  });

  test("an index: the host's platform chosen, attestations skipped", async () => {
    const amd = await plain.pushImage("team/multi", "amd64", [layer(100)], { platform: { os: "linux", architecture: "amd64" } });
    const arm = await plain.pushImage("team/multi", "arm64", [layer(100)], { platform: { os: "linux", architecture: "arm64", variant: "v8" } });
    const entry = (d: typeof amd, platform: IndexEntry["platform"]) => ({ mediaType: MEDIA_TYPES.ociManifest, digest: d.digest, size: d.manifest.length, platform });
    const index = {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociIndex,
      manifests: [
        entry(arm, { os: "unknown", architecture: "unknown" }),
        entry(amd, { os: "linux", architecture: "amd64" }),
        entry(arm, { os: "linux", architecture: "arm64", variant: "v8" }),
      ],
    };
    await plain.pushManifest("team/multi", "latest", index, MEDIA_TYPES.ociIndex);
    const r = new Registry(plain.host);
    const got = await r.manifest("team/multi", "latest");
    expect(got.mediaType).toBe(MEDIA_TYPES.ociIndex);
    const entries = (JSON.parse(new TextDecoder().decode(got.bytes)) as { manifests: IndexEntry[] }).manifests;
    const host = hostPlatform(process.arch);
    const chosen = selectManifest(entries, host, "team/multi:latest");
    expect(chosen.digest).toBe(host.architecture === "arm64" ? arm.digest : amd.digest);
    expect(selectManifest(entries, parsePlatform("linux/arm64"), "x").digest).toBe(arm.digest);
    expect((await r.manifest("team/multi", selectManifest(entries, parsePlatform("linux/amd64"), "x").digest)).digest).toBe(amd.digest);
    expect(() => selectManifest(entries, parsePlatform("linux/s390x"), "team/multi:latest")).toThrow("it has linux/amd64, linux/arm64/v8");
  });

  test("schema 1 is refused by name", async () => {
    const proxy = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (req) =>
        new URL(req.url).pathname === "/v2/"
          ? Response.json({})
          : new Response(JSON.stringify({ schemaVersion: 1, name: "old", tag: "1", fsLayers: [] }), { headers: { "content-type": "application/vnd.docker.distribution.manifest.v1+prettyjws" } }),
    });
    try {
      await expect(new Registry(`127.0.0.1:${proxy.port}`).manifest("old", "1")).rejects.toThrow("is a docker schema 1 image");
    } finally {
      proxy.stop(true);
    }
  });
});

describe("blobs", () => {
  test("downloaded whole, verified, progress reported", async () => {
    const seen: number[] = [];
    const digest = sha256(small);
    await new Registry(plain.host).blob("team/app", digest, partial("whole"), { size: small.length, onProgress: (n) => seen.push(n) });
    expect(sha256(readFileSync(partial("whole")))).toBe(digest);
    expect(seen.at(-1)).toBe(small.length);
  });

  test("a partial file is resumed with a Range", async () => {
    const proxy = await cuttingProxy(plain);
    try {
      const path = partial("resume");
      writeFileSync(path, small.subarray(0, 1000));
      await new Registry(proxy.host).blob("team/app", sha256(small), path, { size: small.length });
      expect(sha256(readFileSync(path))).toBe(sha256(small));
      expect(proxy.requests.filter((r) => r.path.includes("/blobs/")).map((r) => r.range)).toEqual(["bytes=1000-"]);
    } finally {
      proxy.stop();
    }
  });

  test("a partial file that is no prefix of the blob is replaced", async () => {
    const path = partial("wrong-prefix");
    writeFileSync(path, new Uint8Array(1000).fill(9));
    await expect(new Registry(plain.host).blob("team/app", sha256(small), path, { size: small.length })).rejects.toThrow("does not match its digest");
    expect(existsSync(path)).toBe(false);
    // The next pull starts afresh.
    await new Registry(plain.host).blob("team/app", sha256(small), path, { size: small.length });
    expect(sha256(readFileSync(path))).toBe(sha256(small));
  });

  test("a connection cut halfway is resumed where it stopped", async () => {
    const proxy = await cuttingProxy(plain);
    try {
      const path = partial("cut");
      await new Registry(proxy.host).blob("team/app", sha256(small), path, { size: small.length });
      expect(sha256(readFileSync(path))).toBe(sha256(small));
      const blobGets = proxy.requests.filter((r) => r.path.includes("/blobs/"));
      expect(blobGets.map((r) => r.range)).toEqual([undefined, `bytes=${small.length >> 1}-`]);
    } finally {
      proxy.stop();
    }
  });

  test("a body that stalls is broken off after the timeout and resumed", async () => {
    const digest = sha256(small);
    const ranges: (string | null)[] = [];
    const stalling = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch(req) {
        if (new URL(req.url).pathname === "/v2/") return Response.json({});
        const range = req.headers.get("range");
        ranges.push(range);
        if (range) {
          const from = Number(/bytes=(\d+)-/.exec(range)?.[1]);
          return new Response(small.subarray(from), { status: 206, headers: { "content-range": `bytes ${from}-${small.length - 1}/${small.length}` } });
        }
        // A first part, then silence.
        return new Response(
          new ReadableStream({
            start: (c) => c.enqueue(small.subarray(0, 1000)),
            pull: () => new Promise(() => {}),
          }),
        );
      },
    });
    try {
      const path = partial("stall");
      await new Registry(`127.0.0.1:${stalling.port}`, { timeoutMs: 200 }).blob("x", digest, path, { size: small.length });
      expect(sha256(readFileSync(path))).toBe(digest);
      expect(ranges).toEqual([null, "bytes=1000-"]);
    } finally {
      stalling.stop(true);
    }
  });

  test("a corrupted blob is refused and nothing is kept", async () => {
    const proxy = corruptingProxy(plain);
    try {
      const path = partial("corrupt");
      await expect(new Registry(proxy.host).blob("team/app", sha256(small), path, { size: small.length })).rejects.toThrow(
        `blob ${sha256(small)} from ${proxy.host} does not match its digest: the registry or a proxy corrupted it; nothing was kept`,
      );
      expect(existsSync(path)).toBe(false);
    } finally {
      proxy.stop();
    }
  });

  test("a missing blob is named", async () => {
    const missing = `sha256:${"1".repeat(64)}`;
    await expect(new Registry(plain.host).blob("team/app", missing, partial("missing"))).rejects.toThrow(`blob ${missing} not found in ${plain.host}/team/app`);
  });

  test("a redirect to storage is followed without the registry's Authorization", async () => {
    const proxy = redirectingProxy(basic);
    try {
      const path = partial("redirect");
      await new Registry(proxy.host, { credentials: basic.user }).blob("app", sha256(small), path, { size: small.length });
      expect(sha256(readFileSync(path))).toBe(sha256(small));
      expect(proxy.requests.find((r) => r.path.includes("/blobs/"))?.authorization).toMatch(/^Basic /);
      expect(proxy.storage.map((r) => r.authorization)).toEqual([undefined]);
    } finally {
      proxy.stop();
    }
  });

  test("a 50 MB blob streams to disk in flat memory", async () => {
    const size = 50 * 1024 * 1024;
    // Pushed from a scope of its own, so that the bytes are garbage before
    // the download's memory is measured.
    const digest = await (async () => plain.pushBlob("team/big", layer(size)))();
    const path = partial("big");
    Bun.gc(true);
    await Bun.sleep(50);
    Bun.gc(true);
    const before = process.memoryUsage().rss;
    let peak = before;
    const t = performance.now();
    await new Registry(plain.host).blob("team/big", digest, path, { size, onProgress: () => (peak = Math.max(peak, process.memoryUsage.rss())) });
    const ms = performance.now() - t;
    expect(statSync(path).size).toBe(size);
    console.error(`[registry] 50 MB blob: ${ms.toFixed(0)} ms, RSS ${(before / 1e6).toFixed(0)} MB before, peak ${(peak / 1e6).toFixed(0)} MB`);
    // Buffers, not the blob: a 200 MB one adds as little (~25 MB here).
    expect(peak - before).toBeLessThan(40e6);
    rmSync(path);
  });
});

describe("token auth over TLS", () => {
  test("anonymous pull of a public repository, the CA from certs.d", async () => {
    const r = new Registry(token.host, { certsDir: token.certsDir });
    expect((await r.manifest("public/app", "1")).mediaType).toBe(MEDIA_TYPES.ociManifest);
    await r.blob("public/app", sha256(small), partial("token-public"), { size: small.length });
    const asked = token.tokenRequests.at(-1);
    expect(asked?.searchParams.get("scope")).toBe("repository:public/app:pull");
    expect(asked?.searchParams.get("service")).toBe("contain-test-registry");
  });

  test("the token is kept for its lifetime, per scope", async () => {
    const r = new Registry(token.host, { certsDir: token.certsDir });
    const before = token.tokenRequests.length;
    await r.manifest("public/app", "1");
    await r.manifest("public/app", "1");
    await r.blob("public/app", sha256(small), partial("token-cached"), { size: small.length });
    expect(token.tokenRequests.length - before).toBe(1);
  });

  test("without the CA: refused, with the file to add named", async () => {
    const empty = `${work}/no-certs`;
    mkdirSync(empty, { recursive: true });
    await expect(new Registry(token.host, { certsDir: empty }).manifest("public/app", "1")).rejects.toThrow(/^x509: the certificate of 127\.0\.0\.1:\d+ is signed by an unknown authority/);
    try {
      await new Registry(token.host, { certsDir: empty }).manifest("public/app", "1");
    } catch (e) {
      expect((e as { hint?: string }).hint).toBe(`add the registry's CA as ${empty}/${token.host}/ca.crt`);
    }
  });

  test("a private repository needs credentials", async () => {
    await expect(new Registry(token.host, { certsDir: token.certsDir }).manifest("private/app", "1")).rejects.toThrow(`unauthorized: pulling ${token.host}/private/app needs credentials, or it does not exist`);
  });

  test("with the user's credentials", async () => {
    const r = new Registry(token.host, { certsDir: token.certsDir, credentials: token.user });
    expect((await r.manifest("private/app", "1")).mediaType).toBe(MEDIA_TYPES.ociManifest);
    const asked = token.tokenRequests.at(-1);
    expect(asked?.searchParams.get("account")).toBe(token.user?.username ?? "");
  });

  test("bad credentials: the token server's refusal, in one line", async () => {
    const r = new Registry(token.host, { certsDir: token.certsDir, credentials: { username: "tester", password: "wrong" } });
    await expect(r.manifest("private/app", "1")).rejects.toThrow(`unauthorized: ${token.host} refused the credentials of tester (incorrect username or password (UNAUTHORIZED))`);
  });

  test("checkLogin", async () => {
    await checkLogin(token.host, token.user ?? { username: "", password: "" }, { certsDir: token.certsDir });
    await expect(checkLogin(token.host, { username: "tester", password: "wrong" }, { certsDir: token.certsDir })).rejects.toThrow("refused the credentials of tester");
  });
});

describe("basic auth", () => {
  test("anonymous is refused", async () => {
    await expect(new Registry(basic.host).manifest("app", "1")).rejects.toThrow(`unauthorized: pulling ${basic.host}/app needs credentials`);
  });

  test("the right credentials pull", async () => {
    const r = new Registry(basic.host, { credentials: basic.user });
    expect((await r.manifest("app", "1")).mediaType).toBe(MEDIA_TYPES.ociManifest);
    await r.blob("app", sha256(small), partial("basic"), { size: small.length });
  });

  test("wrong credentials are refused", async () => {
    await expect(new Registry(basic.host, { credentials: { username: "tester", password: "wrong" } }).manifest("app", "1")).rejects.toThrow(`unauthorized: ${basic.host} refused the credentials of tester`);
  });

  test("checkLogin", async () => {
    await checkLogin(basic.host, basic.user ?? { username: "", password: "" });
    await expect(checkLogin(basic.host, { username: "tester", password: "wrong" })).rejects.toThrow("refused the credentials of tester");
  });
});

// This machine's own name, when it resolves to 127.0.0.1: a name that is
// not one of the loopback names plain HTTP is allowed for.
const name = hostname();
const local = await dnsLookup(name, 4).then(
  (a) => a.address === "127.0.0.1" && !["localhost", "127.0.0.1"].includes(name),
  () => false,
);

describe("transport", () => {

  test.skipIf(!local)("plain HTTP to a non-loopback name is refused unless insecure", async () => {
    const host = `${name}:${plain.host.split(":")[1]}`;
    await expect(new Registry(host).manifest("team/app", "1")).rejects.toThrow(`${host} serves plain HTTP, not HTTPS`);
    expect((await new Registry(host, { insecure: [host] }).manifest("team/app", "1")).digest).toBe(image.digest);
    expect((await new Registry(host, { insecure: [name] }).manifest("team/app", "1")).digest).toBe(image.digest);
  });

  test("localhost is reached over plain HTTP", async () => {
    const host = `localhost:${plain.host.split(":")[1]}`;
    expect((await new Registry(host).manifest("team/app", "1")).digest).toBe(image.digest);
  });

  test("nothing listening: one line", async () => {
    await expect(new Registry("127.0.0.1:1").manifest("x", "1")).rejects.toThrow("cannot connect to 127.0.0.1:1: connection refused");
  });

  test("a client certificate from certs.d", async () => {
    const mtls = await startRegistry({ clientCerts: true });
    try {
      await mtls.pushImage("x", "1", [small]);
      expect((await new Registry(mtls.host, { certsDir: mtls.certsDir }).manifest("x", "1")).mediaType).toBe(MEDIA_TYPES.ociManifest);
      const caOnly = `${work}/ca-only`;
      mkdirSync(`${caOnly}/${mtls.host}`, { recursive: true });
      writeFileSync(`${caOnly}/${mtls.host}/ca.crt`, mtls.ca ?? "");
      await expect(new Registry(mtls.host, { certsDir: caOnly }).manifest("x", "1")).rejects.toThrow(`the TLS handshake with ${mtls.host} failed`);
      rmSync(`${mtls.certsDir}/${mtls.host}/client.key`);
      await expect(new Registry(mtls.host, { certsDir: mtls.certsDir }).manifest("x", "1")).rejects.toThrow("has no key beside it");
    } finally {
      await mtls.stop();
    }
  });
});

describe("credentials", () => {
  test("store writes 0600 in a 0700 directory; lookup and remove", () => {
    const file = `${work}/creds/sub/auth.json`;
    store("127.0.0.1:5000", "me", "p:w", file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(`${work}/creds/sub`).mode & 0o777).toBe(0o700);
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({ auths: { "127.0.0.1:5000": { auth: Buffer.from("me:p:w").toString("base64") } } });
    store("docker.io", "hub", "x", file);
    expect(Object.keys(JSON.parse(readFileSync(file, "utf8")).auths)).toEqual(["127.0.0.1:5000", "https://index.docker.io/v1/"]);
    const env = { HOME: `${work}/nohome` };
    expect(lookup("127.0.0.1:5000", file, { env })).toEqual({ username: "me", password: "p:w", source: file });
    expect(lookup("docker.io", file, { env })?.username).toBe("hub");
    expect(remove("127.0.0.1:5000", file)).toBe(true);
    expect(remove("127.0.0.1:5000", file)).toBe(false);
    expect(lookup("127.0.0.1:5000", file, { env })).toBeUndefined();
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  test("docker's config.json is read after contain's; helpers are skipped with a note", () => {
    const dockerDir = `${work}/docker-config`;
    mkdirSync(dockerDir, { recursive: true });
    writeFileSync(
      `${dockerDir}/config.json`,
      JSON.stringify({
        auths: { "https://index.docker.io/v1/": { auth: Buffer.from("dhub:pw").toString("base64") }, "helped.example": {}, "http://reg.example:5000/v2/": { auth: Buffer.from("u:p").toString("base64") } },
        credsStore: "desktop",
      }),
    );
    const own = `${work}/own-auth.json`;
    const env = { DOCKER_CONFIG: dockerDir };
    expect(lookup("docker.io", own, { env })).toEqual({ username: "dhub", password: "pw", source: `${dockerDir}/config.json` });
    expect(lookup("reg.example:5000", own, { env })?.username).toBe("u");
    const notes: string[] = [];
    expect(lookup("helped.example", own, { env, note: (n) => notes.push(n) })).toBeUndefined();
    expect(notes).toEqual([`${dockerDir}/config.json keeps credentials in docker-credential-desktop, a helper contain does not run: run contain login helped.example`]);
    store("docker.io", "mine", "pw2", own);
    expect(lookup("docker.io", own, { env })?.username).toBe("mine");
  });

  test("a broken file of contain's is named", () => {
    const bad = `${work}/bad-auth.json`;
    writeFileSync(bad, "{");
    expect(() => lookup("x.example", bad, { env: {} })).toThrow(`credentials file ${bad} is not valid JSON`);
  });
});
