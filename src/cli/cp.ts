// `contain cp [-a] [-L] SRC DEST`, docker's: NAME:PATH on one side, a host
// path on the other. src/runtime/cp.ts does the copy.
import { defineCommand } from "citty";
import { SpecError } from "../errors.ts";
import { copyInMountNamespace, copyWithContainer, type CopyOptions, type MountedCopy } from "../runtime/cp.ts";
import { copyRequest } from "../plan/copy.ts";
import { humanSize } from "../spec/units.ts";
import { commonFlags, toCittyArgs, type FlagDefs, type FlagValues } from "./args.ts";
import { sweptStore } from "./containers.ts";
import { commandLine } from "./context.ts";
import { loggerFor, printErr, reportError } from "./output.ts";

export const cpFlags = {
  archive: { type: "boolean", alias: ["a"], description: "Archive mode: keep owners, setuid and setgid bits, device nodes, fifos and sockets" },
  "follow-link": { type: "boolean", alias: ["L"], description: "Follow SRC if it is a symbolic link (in a container: inside its root)" },
  ...commonFlags,
} satisfies FlagDefs;

// docker's last line, on stderr; -q leaves it out.
function reportCopied(flags: FlagValues, bytes: number, dest: string): void {
  if (flags.quiet !== true) printErr(`Successfully copied ${humanSize(bytes)} to ${dest}\n`);
}

const warnTo = (line: string) => printErr(`[contain] warning: ${line}\n`);

export default defineCommand({
  meta: { name: "cp", description: "Copy files and directories between a container and the host" },
  args: toCittyArgs(
    cpFlags,
    { name: "src", usage: "SRC", description: "What to copy: CONTAINER:PATH or a host path (PATH/. copies a directory's contents)", required: true },
    { name: "dest", usage: "DEST", description: "Where to: a host path or CONTAINER:PATH (an existing directory takes the copy inside it)", required: true },
  ),
  async run({ rawArgs }) {
    const c = commandLine(cpFlags, rawArgs, "cp");
    const { flags, positionals } = c;
    if (positionals.length !== 2) throw new SpecError("cp", `takes SRC and DEST, not ${positionals.length} argument${positionals.length === 1 ? "" : "s"}`, "e.g. contain cp web:/etc/hosts . or contain cp ./app web:/srv");
    const [src = "", dest = ""] = positionals;
    const req = copyRequest(src, dest);
    const opts: CopyOptions = { archive: flags.archive === true, followLink: flags["follow-link"] === true };
    const store = sweptStore(c);
    const childArgs = [...(flags.quiet === true ? ["--quiet"] : []), ...(flags.debug === true ? ["--debug"] : [])];
    const result = await copyWithContainer(store, req, opts, warnTo, childArgs);
    if ("childExit" in result) return result.childExit;
    reportCopied(flags, result.bytes, dest);
    return 0;
  },
});

// `contain cp-mounted JOB [--quiet] [--debug]`: internal, the child that
// copies a stopped container's layer in a mount namespace of its own
// (src/runtime/cp.ts); it reports itself, success or error.
export function runMounted(args: readonly string[]): number {
  const flags: FlagValues = { quiet: args.includes("--quiet"), debug: args.includes("--debug") };
  try {
    loggerFor(flags);
    const job = JSON.parse(args[0] ?? "") as MountedCopy;
    reportCopied(flags, copyInMountNamespace(job, warnTo), job.req.dest);
    return 0;
  } catch (err) {
    return reportError(err, flags.debug === true);
  }
}
