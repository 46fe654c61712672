// `contain import FILE|DIR [NAME[:TAG]]`: a root filesystem tarball (.tar,
// .tar.gz, .tar.zst), a `docker save` archive, or an OCI image layout
// (directory) or archive, into the store. Prints the image's ID, as docker.
import { defineCommand } from "citty";
import { resolve } from "node:path";
import { ContainError, EXIT } from "../errors.ts";
import { importImage } from "../image/archive.ts";
import { fileChunks } from "../image/compression.ts";
import { fullName } from "../image/manage.ts";
import { platformOf } from "../image/remote.ts";
import { ImageStore } from "../image/store.ts";
import { applyLayer } from "../image/unpack.ts";
import { selectManifest } from "../spec/platform.ts";
import { commonFlags, str, toCittyArgs, type FlagDefs } from "./args.ts";
import { commandLine } from "./context.ts";
import { print } from "./output.ts";

export const importFlags = {
  platform: { type: "string", description: "The platform to take from an OCI layout of several (default: the host's); a rootfs tarball is recorded as this platform's", valueHint: "OS/ARCH[/VARIANT]" },
  "data-root": commonFlags["data-root"],
  debug: commonFlags.debug,
} satisfies FlagDefs;

export default defineCommand({
  meta: { name: "import", description: "Import a rootfs tarball, a docker save archive or an OCI layout as an image (alias: image import)" },
  args: toCittyArgs(importFlags, { name: "file", usage: "FILE|DIR", description: "The tarball, archive or layout directory", required: true }, { name: "name", usage: "NAME[:TAG]", description: "The image's name (default: the archive's own names; none for a tarball)" }),
  async run({ rawArgs }) {
    const { flags, positionals, host } = commandLine(importFlags, rawArgs, "import");
    const [file, nameText, ...extra] = positionals;
    if (file === undefined || extra.length) throw new ContainError("import: give a file and, if you like, a name", "e.g. contain import alpine-minirootfs-3.19.0-x86_64.tar.gz alpine:3.19", EXIT.failed);
    // Checked before anything is read: a bad name leaves nothing behind.
    const name = nameText === undefined ? undefined : fullName(nameText);
    if (name?.includes("@")) throw new ContainError(`import: ${nameText} names a digest`, "name the image NAME[:TAG]", EXIT.failed);
    const platform = platformOf(str(flags, "platform"));
    host.requireRoot("import");
    const store = ImageStore.open(host.dataRoot);
    const { image } = await importImage(store, {
      path: resolve(file),
      names: name === undefined ? [] : [name],
      platform,
      choose: (index, where) => selectManifest(index.manifests, platform, where),
      unpack: (path, dir) => applyLayer(fileChunks(path), dir),
      normalize: fullName,
    });
    print(`${image.id}\n`);
    return 0;
  },
});
