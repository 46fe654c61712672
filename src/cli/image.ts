// `contain image ls|rm|prune|inspect|tag|pull|import|save`: docker's image
// group. ls, rm, tag, pull, import and save are the top-level commands of
// those names; inspect and prune live here.
import { defineCommand, type CommandDef } from "citty";
import { ContainError, EXIT } from "../errors.ts";
import { pruneImages, requireImage } from "../image/manage.ts";
import { imageInspectOf } from "./image-inspect.ts";
import { ImageStore } from "../image/store.ts";
import { commonFlags, HelpWanted, str, toCittyArgs, type FlagDefs } from "./args.ts";
import { commandLine } from "./context.ts";
import { print, reportError } from "./output.ts";
import images from "./images.ts";
import importCommand from "./import.ts";
import pull from "./pull.ts";
import save from "./save.ts";
import rmi from "./rmi.ts";
import { closest } from "./suggest.ts";
import tag from "./tag.ts";
import { siSize } from "./table.ts";
import { parseFormat, renderItems, TemplateError } from "./template.ts";

export const imageInspectFlags = {
  format: { type: "string", alias: ["f"], description: "A template of each image, docker's: '{{.Id}}', '{{json .Config}}', '{{.Os}}/{{.Architecture}}'", valueHint: "TEMPLATE" },
  "data-root": commonFlags["data-root"],
  debug: commonFlags.debug,
} satisfies FlagDefs;

export const imagePruneFlags = {
  all: { type: "boolean", alias: ["a"], description: "Remove every image no container uses, not only the nameless ones" },
  force: { type: "boolean", alias: ["f"], description: "Do not ask (contain never asks: accepted for docker's scripts)" },
  "data-root": commonFlags["data-root"],
  debug: commonFlags.debug,
} satisfies FlagDefs;

export const inspect = defineCommand({
  meta: { name: "inspect", description: "Print images' config as JSON, or through a template" },
  args: toCittyArgs(imageInspectFlags, { name: "image", usage: "IMAGE [IMAGE...]", description: "Names, IDs or ID prefixes", required: true }),
  run({ rawArgs }) {
    const { flags, positionals, host } = commandLine(imageInspectFlags, rawArgs, "image inspect");
    if (!positionals.length) throw new ContainError("image inspect: name at least one image", "e.g. contain image inspect alpine", EXIT.failed);
    const format = str(flags, "format") === undefined ? undefined : parseFormat(str(flags, "format"), "--format");
    host.requireRoot("image inspect");
    const store = ImageStore.existing(host.dataRoot);
    const describe = (text: string) => {
      if (!store) throw new ContainError(`no such image: ${text}`, "see contain images", EXIT.failed);
      return imageInspectOf(store, requireImage(store, text, "image inspect"));
    };
    if (format?.kind !== "template") {
      print(`${JSON.stringify(positionals.map(describe), null, 2)}\n`);
      return 0;
    }
    let code = 0;
    for (const text of positionals) {
      try {
        print(renderItems(format, [describe(text)]));
      } catch (err) {
        if (positionals.length === 1 || err instanceof TemplateError) throw err;
        code = reportError(err);
      }
    }
    return code;
  },
});

export const prune = defineCommand({
  meta: { name: "prune", description: "Remove nameless images no container uses (-a: every unused image), and what killed pulls left" },
  args: toCittyArgs(imagePruneFlags),
  run({ rawArgs }) {
    const { flags, host } = commandLine(imagePruneFlags, rawArgs, "image prune");
    host.requireRoot("image prune");
    const store = ImageStore.existing(host.dataRoot);
    if (!store) {
      print("Total reclaimed space: 0B\n");
      return 0;
    }
    using _quiet = store.quiet();
    using _lock = store.lock();
    const gone = pruneImages(store, flags.all === true);
    // The layers and blobs no image left holds (a shared one stays).
    const { bytes } = store.collect();
    if (gone.length) print(`Deleted Images:\n${gone.map((id) => `deleted: ${id}\n`).join("")}\n`);
    print(`Total reclaimed space: ${siSize(bytes)}\n`);
    return 0;
  },
});

export const imageCommands: Record<string, CommandDef> = { ls: images, pull, import: importCommand, save, rm: rmi, tag, inspect, prune };

export default defineCommand({
  meta: { name: "image", description: "Manage images (ls, pull, import, save, rm, inspect, prune, tag)" },
  subCommands: imageCommands,
  async run({ rawArgs }) {
    const [sub, ...rest] = rawArgs;
    if (sub === undefined || sub === "--help" || sub === "-h") throw new HelpWanted("image");
    const cmd = imageCommands[sub];
    if (!cmd) {
      const near = closest(sub, Object.keys(imageCommands));
      throw new ContainError(`unknown command ${JSON.stringify(sub)} for contain image`, `${near ? `did you mean ${JSON.stringify(near)}? ` : ""}use contain image ls, pull, import, save, rm, inspect, prune or tag`, EXIT.failed);
    }
    return cmd.run?.({ rawArgs: rest, args: { _: [] } as never, cmd });
  },
});
