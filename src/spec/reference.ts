// Image references, by docker's rules (distribution/reference: its grammar in
// regexp.go, its normalization in normalize.go), so a name means here what it
// means to `docker pull`: `alpine` is docker.io/library/alpine:latest, and the
// first component names a registry only when it has a `.` or a `:`, is
// `localhost`, or has capitals. Pure.
import { ContainError } from "../errors.ts";

export interface ImageReference {
  registry: string; // host[:port], as written: docker.io, 127.0.0.1:5000, [::1]:5000
  repository: string; // library/alpine, user/app
  tag?: string;
  digest?: string; // sha256:<64 hex>
}

export const DOCKER_HUB = "docker.io";
// Docker Hub answers its API on another host than its name, and docker keeps
// its credentials under the v1 index's URL (config.json's "auths" key).
const DOCKER_HUB_API = "registry-1.docker.io";
const DOCKER_HUB_AUTH_KEY = "https://index.docker.io/v1/";
const LEGACY_HUB = "index.docker.io";
const OFFICIAL = "library/";
const NAME_MAX = 255;

// distribution/reference's regexp.go, piece by piece.
const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const HOST = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])`;
const DOMAIN = new RegExp(`^${HOST}(?::[0-9]+)?$`);
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const SHA256 = /^sha256:[a-f0-9]{64}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const IMAGE_ID = /^[a-f0-9]{64}$/;

const HINT = "write an image as NAME[:TAG][@DIGEST], e.g. alpine, alpine:3.20, registry.example:5000/team/app:1";

function invalid(input: string, why: string, hint = HINT): ContainError {
  return new ContainError(`invalid image reference ${JSON.stringify(input)}: ${why}`, hint);
}

export function isDigest(value: string): boolean {
  return SHA256.test(value);
}

function checkDigest(input: string, digest: string): string {
  if (SHA256.test(digest)) return digest;
  if (DIGEST.test(digest) && !digest.startsWith("sha256:"))
    throw invalid(input, `digest algorithm ${digest.split(":")[0]} is not supported`, "use a sha256 digest: sha256: and 64 lowercase hex digits");
  throw invalid(input, `${JSON.stringify(digest)} is not a digest`, "a digest is sha256: followed by 64 lowercase hex digits");
}

// Splits `[domain/]path` as docker does: a first component is a registry when
// it holds `.` or `:`, is localhost, or is not all lowercase (so `Foo/bar` is
// a host, and `foo` alone never is).
function splitDomain(name: string): [string, string] {
  const slash = name.indexOf("/");
  const first = name.slice(0, slash);
  let [domain, rest] = slash === -1 || (!/[.:]/.test(first) && first !== "localhost" && first.toLowerCase() === first) ? [DOCKER_HUB, name] : [first, name.slice(slash + 1)];
  if (domain === LEGACY_HUB) domain = DOCKER_HUB;
  if (domain === DOCKER_HUB && !rest.includes("/")) rest = OFFICIAL + rest;
  return [domain, rest];
}

// A reference as written: no tag added. `normalize` adds docker's `latest`.
export function parseReference(input: string): ImageReference {
  if (input === "") throw invalid(input, "the name is empty", "name an image, e.g. alpine or docker.io/library/alpine:3.20");
  if (IMAGE_ID.test(input)) throw invalid(input, "a 64-digit hex string is an image ID, not a repository name", "use the image's name, or sha256:ID for a local image");
  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at !== -1) {
    digest = checkDigest(input, rest.slice(at + 1));
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  // A tag follows the last colon after the last slash: `host:5000/app` has none.
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw invalid(input, `${JSON.stringify(tag)} is not a valid tag`, "a tag is 1 to 128 letters, digits, _, . and -, and does not start with . or -");
  }
  if (rest === "") throw invalid(input, "the name is empty", "name an image, e.g. alpine or docker.io/library/alpine:3.20");
  const [registry, repository] = splitDomain(rest);
  if (!DOMAIN.test(registry)) throw invalid(input, `${JSON.stringify(registry)} is not a registry host[:port]`);
  if (repository.toLowerCase() !== repository)
    throw invalid(input, "repository names must be lowercase", `write it as ${JSON.stringify(familiar({ registry, repository: repository.toLowerCase(), tag, digest }))}`);
  const bad = repository.split("/").find((c) => !PATH_COMPONENT.test(c));
  if (bad !== undefined)
    throw invalid(input, `${JSON.stringify(bad)} is not a valid repository path component`, "each part between slashes is lowercase letters and digits, joined by single ., _, __ or dashes");
  if (registry.length + 1 + repository.length > NAME_MAX)
    throw invalid(input, `the name is longer than ${NAME_MAX} characters`, `shorten the registry and repository to at most ${NAME_MAX} characters`);
  return { registry, repository, ...(tag === undefined ? {} : { tag }), ...(digest === undefined ? {} : { digest }) };
}

// docker's rule: `latest` only when neither a tag nor a digest was given.
export function normalize(input: string): ImageReference {
  const ref = parseReference(input);
  return ref.tag === undefined && ref.digest === undefined ? { ...ref, tag: "latest" } : ref;
}

function suffix(ref: ImageReference): string {
  return `${ref.tag === undefined ? "" : `:${ref.tag}`}${ref.digest === undefined ? "" : `@${ref.digest}`}`;
}

// The full name: docker.io/library/alpine:latest.
export function format(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}${suffix(ref)}`;
}

// docker's short display (FamiliarString): alpine:latest, user/app:1,
// 127.0.0.1:5000/x/y:t.
export function familiar(ref: ImageReference): string {
  return `${familiarName(ref)}${suffix(ref)}`;
}

// The name alone, without tag or digest: alpine, user/app, 127.0.0.1:5000/x/y.
export function familiarName(ref: ImageReference): string {
  if (ref.registry !== DOCKER_HUB) return `${ref.registry}/${ref.repository}`;
  return ref.repository.startsWith(OFFICIAL) && !ref.repository.slice(OFFICIAL.length).includes("/") ? ref.repository.slice(OFFICIAL.length) : ref.repository;
}

// The host[:port] that serves a registry's /v2/ API.
export function apiHost(registry: string): string {
  return registry === DOCKER_HUB ? DOCKER_HUB_API : registry;
}

// The key of a registry's credentials in docker's config.json.
export function credentialsKey(registry: string): string {
  return registry === DOCKER_HUB || registry === LEGACY_HUB || registry === DOCKER_HUB_API ? DOCKER_HUB_AUTH_KEY : registry;
}

// The host part of a registry name, without its port: for the loopback rule.
export function registryHostname(registry: string): string {
  if (registry.startsWith("[")) return registry.slice(1, registry.indexOf("]"));
  const colon = registry.lastIndexOf(":");
  return colon === -1 ? registry : registry.slice(0, colon);
}
