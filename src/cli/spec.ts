// `contain spec [--bundle DIR]`: writes a starter config.json into a bundle,
// as `runc spec` does (spec/default-config.ts), and never over one that is
// there.
import { defineCommand } from "citty";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ContainError, SpecError } from "../errors.ts";
import { fileError } from "../linux/file-error.ts";
import { defaultConfig } from "../spec/default-config.ts";
import { parseFlags, toCittyArgs, str, type FlagDefs } from "./args.ts";

export const specFlags = {
  bundle: { type: "string", alias: ["b"], description: "The bundle directory to write config.json into (default: the current one)", valueHint: "DIR" },
  rootless: { type: "boolean", description: "A config for a rootless container (not supported yet)" },
} satisfies FlagDefs;

export default defineCommand({
  meta: { name: "spec", description: "Write a default OCI config.json into a bundle" },
  args: toCittyArgs(specFlags),
  async run({ rawArgs }) {
    const { flags, positionals } = parseFlags(specFlags, rawArgs, "spec");
    if (positionals.length) throw new SpecError("spec", `takes no arguments, not ${JSON.stringify(positionals[0])}`, "give the bundle as --bundle DIR");
    if (flags.rootless === true) throw new SpecError("--rootless", "contain does not run rootless containers yet", "leave it out; the config is for a container run as root");
    const path = join(str(flags, "bundle") ?? ".", "config.json");
    // runc's mode, and O_EXCL: a bundle's config.json is the user's work.
    try {
      writeFileSync(path, `${JSON.stringify(defaultConfig(), null, "\t")}\n`, { flag: "wx", mode: 0o666 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EEXIST") throw new ContainError(`${path} exists`, "remove it first, or give another bundle with --bundle DIR", undefined, { cause: err });
      throw fileError(err, "write", path, "give an existing bundle directory with --bundle DIR");
    }
    return 0;
  },
});
