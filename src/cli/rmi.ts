// `contain rmi [-f] IMAGE...` (and `image rm`), docker's: a name of an image
// with other names is untagged; the last name takes the image with it; an
// image a container uses stays (-f takes its names, the container keeps it).
// Layers and blobs no image or container holds go at once.
import { defineCommand } from "citty";
import { ContainError, EXIT } from "../errors.ts";
import { removeImage } from "../image/manage.ts";
import { ImageStore } from "../image/store.ts";
import { commonFlags, toCittyArgs, type FlagDefs } from "./args.ts";
import { commandLine } from "./context.ts";
import { print, reportError } from "./output.ts";

export const rmiFlags = {
  force: { type: "boolean", alias: ["f"], description: "Remove an image with several names, or untag one a container uses" },
  "data-root": commonFlags["data-root"],
  debug: commonFlags.debug,
} satisfies FlagDefs;

export default defineCommand({
  meta: { name: "rmi", description: "Remove images (alias: image rm)" },
  args: toCittyArgs(rmiFlags, { name: "image", usage: "IMAGE [IMAGE...]", description: "Names, IDs or ID prefixes", required: true }),
  run({ rawArgs }) {
    const { flags, positionals, host } = commandLine(rmiFlags, rawArgs, "rmi");
    if (!positionals.length) throw new ContainError("rmi: name at least one image", "e.g. contain rmi alpine", EXIT.failed);
    host.requireRoot("rmi");
    const store = ImageStore.existing(host.dataRoot);
    // docker's: each argument on its own; the exit is 1 if any failed.
    let failed = 0;
    using _quiet = store?.quiet();
    using _lock = store?.lock();
    for (const text of positionals) {
      try {
        if (!store) throw new ContainError(`no such image: ${text}`, "see contain images", EXIT.failed);
        print(removeImage(store, text, flags.force === true).map((l) => `${l}\n`).join(""));
      } catch (err) {
        failed = reportError(err);
      }
    }
    store?.collect(false);
    return failed;
  },
});
