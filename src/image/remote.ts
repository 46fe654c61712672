// A pull by name, as `contain pull` and `run --pull` ask for it: the name
// normalized by docker's rules, the registry reached with the credentials,
// CAs and insecure list the caller gives, the platform the host's unless
// named, each layer unpacked by unpack.ts.
import { ContainError } from "../errors.ts";
import { format, normalize, type ImageReference } from "../spec/reference.ts";
import { formatPlatform, hostPlatform, parsePlatform, selectManifest, type Platform } from "../spec/platform.ts";
import { fileChunks } from "./compression.ts";
import { lookup } from "./credentials.ts";
import type { Progress } from "./progress.ts";
import { pullImage } from "./pull.ts";
import { Registry } from "./registry.ts";
import type { ImageRecord, ImageStore } from "./store.ts";
import { applyLayer } from "./unpack.ts";

export interface RemoteOptions {
  platform?: string; // --platform
  certsDir?: string; // --cert-dir
  insecure: readonly string[]; // --insecure-registry
  authFile: string; // contain's own credentials (login)
  progress?: Progress;
  note?: (message: string) => void;
}

export const platformOf = (text: string | undefined): Platform => (text === undefined ? hostPlatform(process.arch) : parsePlatform(text, hostPlatform(process.arch)));

export function registryFor(ref: ImageReference, opts: Pick<RemoteOptions, "certsDir" | "insecure" | "authFile" | "note">): Registry {
  const credential = lookup(ref.registry, opts.authFile, { ...(opts.note && { note: opts.note }) });
  return new Registry(ref.registry, {
    ...(opts.certsDir !== undefined && { certsDir: opts.certsDir }),
    insecure: opts.insecure,
    ...(credential && { credentials: { username: credential.username, password: credential.password } }),
  });
}

// What a pull of `text` asks for: refused here, before anything is made or
// said, when the name or the platform is no good.
export function pullTarget(text: string, platformText: string | undefined): { ref: ImageReference; platform: Platform; reference: string } {
  const ref = normalize(text);
  const platform = platformOf(platformText);
  const reference = ref.digest ?? ref.tag;
  if (reference === undefined) throw new ContainError(`${text} names no tag or digest`, "e.g. alpine:3.20");
  return { ref, platform, reference };
}

export async function pullByName(store: ImageStore, text: string, opts: RemoteOptions): Promise<{ image: ImageRecord; ref: ImageReference; name: string }> {
  const { ref, platform, reference } = pullTarget(text, opts.platform);
  const repoName = `${ref.registry}/${ref.repository}`;
  const name = format(ref);
  const image = await pullImage(store, registryFor(ref, opts), {
    repository: ref.repository,
    reference,
    // By digest, the image gets no tag: it is found by NAME@DIGEST.
    names: ref.digest === undefined ? [name] : [],
    repoName,
    platform: (index) => selectManifest(index.manifests, platform, name),
    platformName: formatPlatform(platform),
    unpack: (blob, dir) => applyLayer(fileChunks(blob), dir),
    ...(opts.progress && { progress: opts.progress }),
  });
  return { image, ref, name };
}
