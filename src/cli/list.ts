// `contain list [--format table|json] [-q]`: runc's list of the containers
// in the state root, every kind, with their OCI status.
import { defineCommand } from "citty";
import { SpecError } from "../errors.ts";
import { ociState } from "../runtime/oci.ts";
import { commonFlags, parseFlags, str, toCittyArgs, type FlagDefs } from "./args.ts";
import { sweptStore } from "./containers.ts";
import { hostOf } from "./context.ts";
import { loggerFor, print } from "./output.ts";
import { formatTable } from "./table.ts";

export const listFlags = {
  format: { type: "string", alias: ["f"], description: "table (default) or json", valueHint: "FORMAT" },
  quiet: { type: "boolean", alias: ["q"], description: "Print the IDs only" },
  root: commonFlags.root,
  "data-root": commonFlags["data-root"],
  debug: commonFlags.debug,
} satisfies FlagDefs;

export default defineCommand({
  meta: { name: "list", description: "List the containers as runc does: ID PID STATUS BUNDLE CREATED OWNER" },
  args: toCittyArgs(listFlags),
  run({ rawArgs }) {
    const { flags } = parseFlags(listFlags, rawArgs, "list");
    const format = str(flags, "format") ?? "table";
    if (format !== "table" && format !== "json") throw new SpecError("--format", `${JSON.stringify(format)} is not a format`, "use table or json");
    const { log } = loggerFor({ debug: flags.debug });
    const store = sweptStore({ command: "list", host: hostOf(flags), log });
    const states = store
      .list()
      .map(({ state }) => ociState(store, state))
      .sort((a, b) => Date.parse(a.created) - Date.parse(b.created));
    if (flags.quiet === true) print(states.map((s) => `${s.id}\n`).join(""));
    else if (format === "json") print(`${JSON.stringify(states)}\n`);
    else print(formatTable(["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"], states.map((s) => [s.id, String(s.pid), s.status, s.bundle, s.created, s.owner || "root"])));
    return 0;
  },
});
