// `contain images` (and `image ls`), docker's: a row per name of each image,
// newest first: REPOSITORY, TAG, IMAGE ID, CREATED, SIZE; -q for the IDs,
// --digests, --no-trunc, --format (docker's templates, table, json).
import { defineCommand } from "citty";
import { fullName, imageSize } from "../image/manage.ts";
import { ImageStore, type ImageRecord } from "../image/store.ts";
import { familiarName, parseReference } from "../spec/reference.ts";
import { commonFlags, str, toCittyArgs, type FlagDefs } from "./args.ts";
import { commandLine } from "./context.ts";
import { print } from "./output.ts";
import { goTime } from "./docker-fields.ts";
import { formatTable, humanDuration, siSize } from "./table.ts";
import { parseFormat, renderItems, toJson } from "./template.ts";

export const imagesFlags = {
  quiet: { type: "boolean", alias: ["q"], description: "Print the image IDs only, one a line" },
  all: { type: "boolean", alias: ["a"], description: "Show all images (contain keeps no intermediate images: the same list)" },
  digests: { type: "boolean", description: "Show the digest each was pulled by (an index's, for a multi-platform image)" },
  "no-trunc": { type: "boolean", description: "Print full IDs" },
  format: { type: "string", description: "table, json (one object a line), or a template: 'table {{.Repository}}\\t{{.Tag}}'", valueHint: "FORMAT" },
  "data-root": commonFlags["data-root"],
  debug: commonFlags.debug,
} satisfies FlagDefs;

interface Row {
  image: ImageRecord;
  name?: string; // full, with its tag
}

// docker's formatter.ImageContext: every field a string.
function dockerRow(r: Row, now: number, noTrunc: boolean) {
  const ref = r.name ? parseReference(r.name) : undefined;
  // docker's: the digest the image was pulled by under this name (an
  // index's, for a multi-platform image), else its manifest's.
  const repo = ref ? `${ref.registry}/${ref.repository}@` : undefined;
  const digest = (repo && r.image.repoDigests.find((d) => d.startsWith(repo))?.slice(repo.length)) || r.image.manifest || "";
  const created = r.image.created ? Date.parse(r.image.created) : NaN;
  return {
    Repository: ref ? familiarName(ref) : "<none>",
    Tag: ref?.tag ?? "<none>",
    ID: noTrunc ? r.image.id : r.image.id.slice(7, 19),
    Digest: digest || "<none>",
    CreatedSince: Number.isNaN(created) ? "N/A" : `${humanDuration(now - created)} ago`,
    CreatedAt: Number.isNaN(created) ? "" : goTime(new Date(created)),
    Size: siSize(imageSize(r.image)),
  };
}

const HEADERS: Record<keyof ReturnType<typeof dockerRow>, string> = {
  Repository: "REPOSITORY",
  Tag: "TAG",
  ID: "IMAGE ID",
  Digest: "DIGEST",
  CreatedSince: "CREATED",
  CreatedAt: "CREATED AT",
  Size: "SIZE",
};

export const imageRows = (store: ImageStore | undefined): Row[] => {
  if (!store) return [];
  const names = store.names();
  const byId = new Map<string, string[]>();
  for (const [n, id] of Object.entries(names)) byId.set(id, [...(byId.get(id) ?? []), n]);
  return store
    .images()
    .sort((a, b) => Date.parse(b.created ?? b.added) - Date.parse(a.created ?? a.added))
    .flatMap((image) => {
      const own = (byId.get(image.id) ?? []).sort();
      return own.length ? own.map((name) => ({ image, name })) : [{ image }];
    });
};

export default defineCommand({
  meta: { name: "images", description: "List the images in the store (alias: image ls)" },
  args: toCittyArgs(imagesFlags, { name: "repository", usage: "REPOSITORY[:TAG]", description: "Only the images of this name" }),
  run({ rawArgs }) {
    const { flags, positionals, host } = commandLine(imagesFlags, rawArgs, "images");
    const format = parseFormat(str(flags, "format"));
    host.requireRoot("images");
    const now = Date.now();
    const noTrunc = flags["no-trunc"] === true;
    let list = imageRows(ImageStore.existing(host.dataRoot));
    const [wanted] = positionals;
    if (wanted !== undefined) {
      // docker's reference filter: a name alone matches each of its tags.
      const ref = parseReference(wanted);
      const full = ref.tag === undefined ? fullName(wanted).replace(/:latest$/, "") : fullName(wanted);
      list = list.filter((r) => r.name !== undefined && (r.name === full || (ref.tag === undefined && r.name.startsWith(`${full}:`))));
    }
    if (flags.quiet === true) {
      print([...new Set(list.map((r) => (noTrunc ? r.image.id : r.image.id.slice(7, 19))))].map((id) => `${id}\n`).join(""));
      return 0;
    }
    const rows = list.map((r) => dockerRow(r, now, noTrunc));
    if (format.kind === "json") print(rows.map((r) => `${toJson(r)}\n`).join(""));
    else if (format.kind === "template") print(renderItems(format, rows, HEADERS));
    else {
      const digests = flags.digests === true;
      const header = ["REPOSITORY", "TAG", ...(digests ? ["DIGEST"] : []), "IMAGE ID", "CREATED", "SIZE"];
      print(formatTable(header, rows.map((r) => [r.Repository, r.Tag, ...(digests ? [r.Digest] : []), r.ID, r.CreatedSince, r.Size])));
    }
    return 0;
  },
});
