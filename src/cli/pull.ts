// `contain pull NAME[:TAG|@DIGEST]` (and `image pull`), docker's: the image
// from its registry into the store, a line per layer on a terminal, the
// image's full name on stdout at the end.
import { defineCommand } from "citty";
import { ContainError, EXIT } from "../errors.ts";
import { isTerminal } from "../linux/pty.ts";
import { progress, type Progress } from "../image/progress.ts";
import { pullByName, pullTarget, type RemoteOptions } from "../image/remote.ts";
import type { Logger } from "../log.ts";
import { ImageStore } from "../image/store.ts";
import { authFileIn } from "../runtime/host-context.ts";
import { commonFlags, list, str, toCittyArgs, type FlagDefs, type FlagValues } from "./args.ts";
import { commandLine } from "./context.ts";
import { print, printErr } from "./output.ts";

// Shared with run and login: how a registry is reached.
export const registryFlags = {
  platform: { type: "string", description: "The platform of an image index to take (default: the host's, e.g. linux/amd64)", valueHint: "OS/ARCH[/VARIANT]" },
  "cert-dir": { type: "string", description: "docker's certs.d: DIR/HOST:PORT/ca.crt trusted for that registry (default /etc/contain/certs.d)", valueHint: "DIR" },
  "insecure-registry": { type: "string", description: "Reach this registry without verifying its certificate, or over plain HTTP", valueHint: "HOST[:PORT]", repeat: true },
} satisfies FlagDefs;

// How a registry is reached, from registryFlags and the data root.
export function remoteOf(flags: FlagValues, data: string, log: Logger, quiet = false): RemoteOptions & { progress: Progress } {
  return {
    platform: str(flags, "platform"),
    certsDir: str(flags, "cert-dir"),
    insecure: list(flags, "insecure-registry"),
    authFile: authFileIn(data),
    progress: progress({ write: (t: string) => printErr(t) }, !quiet && isTerminal(2), { columns: process.stderr.columns ?? 80 }),
    note: (m) => log.warn(m),
  };
}

export const pullFlags = {
  ...registryFlags,
  quiet: { type: "boolean", alias: ["q"], description: "Print nothing but the image's name" },
  "data-root": commonFlags["data-root"],
  debug: commonFlags.debug,
} satisfies FlagDefs;

export default defineCommand({
  meta: { name: "pull", description: "Pull an image from a registry (alias: image pull)" },
  args: toCittyArgs(pullFlags, { name: "image", usage: "NAME[:TAG|@DIGEST]", description: "e.g. alpine, alpine:3.20, registry.example:5000/team/app:1", required: true }),
  async run({ rawArgs }) {
    const { flags, positionals, log, host } = commandLine(pullFlags, rawArgs, "pull");
    const [text, ...extra] = positionals;
    if (text === undefined || extra.length) throw new ContainError("pull: name one image", "e.g. contain pull alpine:3.20", EXIT.failed);
    // Checked before the store is opened (made): a bad name leaves nothing.
    pullTarget(text, str(flags, "platform"));
    host.requireRoot("pull");
    const data = host.dataRoot;
    const store = ImageStore.open(data);
    const remote = remoteOf(flags, data, log, flags.quiet === true);
    try {
      const { image, name } = await pullByName(store, text, remote);
      remote.progress.done();
      if (flags.quiet !== true && isTerminal(2)) printErr(`Digest: ${image.manifest}\n`);
      print(`${name}\n`);
    } catch (err) {
      remote.progress.done();
      throw err;
    }
    return 0;
  },
});
