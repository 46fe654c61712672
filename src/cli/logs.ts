// `contain logs [-f] [--tail N] CONTAINER`
import { defineCommand } from "citty";
import { SpecError } from "../errors.ts";
import { requireRoot } from "../runtime/prepare.ts";
import { showLogs } from "../runtime/logs.ts";
import { openStore } from "../runtime/sweep.ts";
import { parseInteger } from "../spec/units.ts";
import { commonFlags, parseFlags, str, toCittyArgs, type FlagDefs } from "./args.ts";
import { dataRoot, loggerFor, oneContainer, stateRoot } from "./output.ts";

export const logsFlags = {
  follow: { type: "boolean", alias: ["f"], description: "Keep printing new output until the container stops" },
  tail: { type: "string", description: "Only the last N lines, stdout's and stderr's together (default: all)", valueHint: "N" },
  ...commonFlags,
} satisfies FlagDefs;

export default defineCommand({
  meta: { name: "logs", description: "Print the output of a detached container" },
  args: toCittyArgs(logsFlags, { name: "container", description: "The container (name or ID)" }),
  async run({ rawArgs }) {
    const { flags, positionals } = parseFlags(logsFlags, rawArgs, "logs");
    const { log } = loggerFor(flags);
    const ref = oneContainer(positionals, "logs");
    const tailText = str(flags, "tail");
    const tail = tailText === undefined || tailText === "all" ? undefined : parseInteger("--tail", tailText, "a number of lines, e.g. --tail 20");
    if (tail !== undefined && tail < 0) throw new SpecError("--tail", `${tail} is not a number of lines`, "e.g. --tail 20");
    requireRoot("logs");
    const store = openStore(stateRoot(flags), dataRoot(flags), log);
    await showLogs(store, ref, { follow: flags.follow === true, timestamps: false, tail, stdout: 1, stderr: 2 });
    return 0;
  },
});
