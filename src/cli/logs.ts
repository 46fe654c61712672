// `contain logs [-f] [-t] [--since T] [--until T] [--tail N|all] CONTAINER`
import { defineCommand } from "citty";
import { SpecError } from "../errors.ts";
import { parseLogTime, showLogs } from "../runtime/logs.ts";
import { parseInteger } from "../spec/units.ts";
import { commonFlags, str, toCittyArgs, type FlagDefs } from "./args.ts";
import { sweptStore } from "./containers.ts";
import { containerArg, namedContainer } from "./context.ts";

export const logsFlags = {
  follow: { type: "boolean", alias: ["f"], description: "Keep printing new output until the container stops" },
  timestamps: { type: "boolean", alias: ["t"], description: "Begin each line with its time (RFC 3339, nanoseconds)" },
  since: { type: "string", description: "Only lines from this time on: RFC 3339 (2026-12-01T23:14:54Z), Unix seconds, or a duration back from now (10m, 1h30m)", valueHint: "TIME" },
  until: { type: "string", description: "Only lines before this time, in the forms of --since", valueHint: "TIME" },
  tail: { type: "string", alias: ["n"], description: "Only the last N lines, stdout's and stderr's together (default: all)", valueHint: "N" },
  ...commonFlags,
} satisfies FlagDefs;

export default defineCommand({
  meta: { name: "logs", description: "Print the output of a detached container" },
  args: toCittyArgs(logsFlags, containerArg),
  async run({ rawArgs }) {
    const c = namedContainer(logsFlags, rawArgs, "logs");
    const { flags, ref } = c;
    const tailText = str(flags, "tail");
    const tail = tailText === undefined || tailText === "all" ? undefined : parseInteger("--tail", tailText, "a number of lines or all, e.g. --tail 20");
    if (tail !== undefined && tail < 0) throw new SpecError("--tail", `${tail} is not a number of lines`, "e.g. --tail 20, or --tail all");
    const now = Date.now();
    const time = (flag: "since" | "until") => {
      const text = str(flags, flag);
      return text === undefined ? undefined : parseLogTime(`--${flag}`, text, now);
    };
    const [since, until] = [time("since"), time("until")];
    await showLogs(sweptStore(c), ref, { follow: flags.follow === true, timestamps: flags.timestamps === true, tail, since, until, stdout: 1, stderr: 2 });
    return 0;
  },
});
