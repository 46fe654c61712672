// `contain tag SOURCE TARGET` (and `image tag`), docker's: one more name for
// an image; a name another image had moves to this one.
import { defineCommand } from "citty";
import { ContainError, EXIT } from "../errors.ts";
import { fullName, requireImage } from "../image/manage.ts";
import { ImageStore } from "../image/store.ts";
import { commonFlags, toCittyArgs, type FlagDefs } from "./args.ts";
import { commandLine } from "./context.ts";

export const tagFlags = { "data-root": commonFlags["data-root"], debug: commonFlags.debug } satisfies FlagDefs;

export default defineCommand({
  meta: { name: "tag", description: "Give an image another name (alias: image tag)" },
  args: toCittyArgs(tagFlags, { name: "source", usage: "SOURCE[:TAG]", description: "The image: a name, an ID", required: true }, { name: "target", usage: "TARGET[:TAG]", description: "Its new name", required: true }),
  run({ rawArgs }) {
    const { positionals, host } = commandLine(tagFlags, rawArgs, "tag");
    const [source, target, ...extra] = positionals;
    if (source === undefined || target === undefined || extra.length) throw new ContainError("tag: give an image and its new name", "e.g. contain tag alpine my/alpine:1", EXIT.failed);
    const name = fullName(target);
    if (name.includes("@")) throw new ContainError(`tag: ${target} names a digest`, "a tag is NAME[:TAG]; a digest is the manifest's own", EXIT.failed);
    host.requireRoot("tag");
    const store = ImageStore.existing(host.dataRoot);
    if (!store) throw new ContainError(`no such image: ${source}`, "see contain images", EXIT.failed);
    using _lock = store.lock();
    store.tag(name, requireImage(store, source, "tag").id);
    return 0;
  },
});
