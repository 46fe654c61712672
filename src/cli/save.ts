// `contain save [-o FILE] IMAGE...` (and `image save`): an OCI archive of the
// images, to FILE or to stdout (docker's: refused onto a terminal).
import { defineCommand } from "citty";
import { closeSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { resolve } from "node:path";
import { ContainError, EXIT } from "../errors.ts";
import { isTerminal } from "../linux/pty.ts";
import { findImage, fullName } from "../image/manage.ts";
import { saveImages, type Saved } from "../image/save.ts";
import { ImageStore } from "../image/store.ts";
import { commonFlags, str, toCittyArgs, type FlagDefs } from "./args.ts";
import { commandLine } from "./context.ts";

export const saveFlags = {
  output: { type: "string", alias: ["o"], description: "Write the archive to FILE instead of stdout", valueHint: "FILE" },
  "data-root": commonFlags["data-root"],
  debug: commonFlags.debug,
} satisfies FlagDefs;

export default defineCommand({
  meta: { name: "save", description: "Save images to an OCI archive (alias: image save)" },
  args: toCittyArgs(saveFlags, { name: "image", usage: "IMAGE [IMAGE...]", description: "Names or IDs", required: true }),
  async run({ rawArgs }) {
    const { flags, positionals, host } = commandLine(saveFlags, rawArgs, "save");
    if (!positionals.length) throw new ContainError("save: name at least one image", "e.g. contain save -o alpine.tar alpine", EXIT.failed);
    const output = str(flags, "output");
    if (output === undefined && isTerminal(1)) throw new ContainError("save: refusing to write an archive to a terminal", "use -o FILE, or redirect stdout to a file", EXIT.failed);
    host.requireRoot("save");
    const store = ImageStore.existing(host.dataRoot);
    const images: Saved[] = positionals.map((text) => {
      const image = store && findImage(store, text);
      if (!store || !image) throw new ContainError(`no such image: ${text}`, "see contain images", EXIT.failed);
      // Saved under the name given, when it is one of the image's.
      let name: string | undefined;
      try {
        name = store.namesOf(image.id).find((n) => n === fullName(text));
      } catch {}
      return { image, ...(name !== undefined && { name }) };
    });
    // Into a temporary file renamed at the end: a failed save leaves no half archive.
    const path = output === undefined ? undefined : resolve(output);
    const tmp = path === undefined ? undefined : `${path}.tmp-${process.pid}`;
    const fd = tmp === undefined ? 1 : openSync(tmp, "w", 0o644);
    try {
      for await (const chunk of saveImages(store as ImageStore, images)) {
        for (let off = 0; off < chunk.length; ) off += writeSync(fd, chunk, off);
      }
      if (tmp !== undefined && path !== undefined) renameSync(tmp, path);
    } catch (err) {
      if (tmp !== undefined) rmSync(tmp, { force: true });
      throw err;
    } finally {
      if (fd !== 1) closeSync(fd);
    }
    return 0;
  },
});
