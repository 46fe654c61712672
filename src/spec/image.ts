// The OCI image format (opencontainers/image-spec) and docker's v2 schema 2,
// which it grew from: indexes, manifests, configs, as registries, `docker
// save` and OCI layouts hold them. Only what contain reads is checked; the
// rest of each document is kept as it came.
import * as v from "valibot";
import { ContainError } from "../errors.ts";

export const MEDIA = {
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  ociLayer: "application/vnd.oci.image.layer.v1.tar",
  ociLayerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  ociLayerZstd: "application/vnd.oci.image.layer.v1.tar+zstd",
  dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerConfig: "application/vnd.docker.container.image.v1+json",
  dockerLayer: "application/vnd.docker.image.rootfs.diff.tar.gzip",
} as const;

export const INDEX_TYPES: readonly string[] = [MEDIA.ociIndex, MEDIA.dockerList];
export const MANIFEST_TYPES: readonly string[] = [MEDIA.ociManifest, MEDIA.dockerManifest];

// The layer types whose blobs are tars (plain or compressed); "foreign" and
// "nondistributable" layers are tars too, fetched from their own URLs.
export const isLayerType = (t: string) => /^application\/vnd\.(oci\.image\.layer\.(nondistributable\.)?v1\.tar|docker\.image\.rootfs\.(foreign\.)?diff\.tar)/.test(t);

export const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;
const Digest = v.pipe(v.string(), v.regex(DIGEST_RE, (i) => `${JSON.stringify(i.input)} is not a sha256 digest`));

const PlatformSchema = v.looseObject({
  architecture: v.string(),
  os: v.string(),
  variant: v.optional(v.string()),
  "os.version": v.optional(v.string()),
});
export type Platform = v.InferOutput<typeof PlatformSchema>;

const DescriptorSchema = v.looseObject({
  mediaType: v.string(),
  digest: Digest,
  size: v.pipe(v.number(), v.integer(), v.minValue(0)),
  urls: v.optional(v.array(v.string())),
  annotations: v.optional(v.record(v.string(), v.string())),
  platform: v.optional(PlatformSchema),
});
export type Descriptor = v.InferOutput<typeof DescriptorSchema>;

const IndexSchema = v.looseObject({
  schemaVersion: v.literal(2),
  mediaType: v.optional(v.string()),
  manifests: v.array(DescriptorSchema),
  annotations: v.optional(v.record(v.string(), v.string())),
});
export type ImageIndex = v.InferOutput<typeof IndexSchema>;

const ManifestSchema = v.looseObject({
  schemaVersion: v.literal(2),
  mediaType: v.optional(v.string()),
  config: DescriptorSchema,
  layers: v.array(DescriptorSchema),
  annotations: v.optional(v.record(v.string(), v.string())),
});
export type ImageManifest = v.InferOutput<typeof ManifestSchema>;

const StringList = v.nullish(v.array(v.string()));
const ConfigSchema = v.looseObject({
  created: v.optional(v.string()),
  author: v.optional(v.string()),
  architecture: v.optional(v.string()),
  os: v.optional(v.string()),
  variant: v.optional(v.string()),
  config: v.nullish(
    v.looseObject({
      User: v.optional(v.string()),
      ExposedPorts: v.nullish(v.record(v.string(), v.unknown())),
      Env: StringList,
      Entrypoint: StringList,
      Cmd: StringList,
      Volumes: v.nullish(v.record(v.string(), v.unknown())),
      WorkingDir: v.optional(v.string()),
      Labels: v.nullish(v.record(v.string(), v.string())),
      StopSignal: v.optional(v.string()),
    }),
  ),
  rootfs: v.looseObject({ type: v.literal("layers"), diff_ids: v.array(Digest) }),
  history: v.optional(v.array(v.unknown())),
});
export type ImageConfig = v.InferOutput<typeof ConfigSchema>;

function parse<S extends v.GenericSchema>(schema: S, what: string, text: string | Uint8Array, where: string): v.InferOutput<S> {
  let json: unknown;
  try {
    json = JSON.parse(typeof text === "string" ? text : new TextDecoder().decode(text));
  } catch (err) {
    throw new ContainError(`${where}: the ${what} is not JSON (${(err as Error).message})`, "the image is damaged: pull or import it again");
  }
  const r = v.safeParse(schema, json);
  if (!r.success) {
    const issue = r.issues[0];
    const path = issue.path?.map((p: { key: unknown }) => String(p.key)).join(".") ?? "";
    throw new ContainError(`${where}: the ${what}'s ${path || "document"} is invalid: ${issue.message}`, "the image is damaged or of an unknown kind: pull or import it again");
  }
  return r.output;
}

export const parseIndex = (text: string | Uint8Array, where: string) => parse(IndexSchema, "image index", text, where);
export const parseManifest = (text: string | Uint8Array, where: string) => parse(ManifestSchema, "image manifest", text, where);
export const parseImageConfig = (text: string | Uint8Array, where: string) => parse(ConfigSchema, "image config", text, where);

// A document's kind: its mediaType field, or (docker save, old registries)
// its shape.
export function documentKind(json: { mediaType?: unknown; manifests?: unknown; layers?: unknown }, declared?: string): "index" | "manifest" | "unknown" {
  const t = declared ?? (typeof json.mediaType === "string" ? json.mediaType : undefined);
  if (t && INDEX_TYPES.includes(t)) return "index";
  if (t && MANIFEST_TYPES.includes(t)) return "manifest";
  if (Array.isArray(json.manifests)) return "index";
  if (Array.isArray(json.layers)) return "manifest";
  return "unknown";
}
