// `contain features`: what this runtime implements, as the runtime-spec's
// Features JSON (spec/features.ts), as `runc features` prints it.
import { defineCommand } from "citty";
import { SECCOMP_ACTIONS, SECCOMP_ARCHES, SECCOMP_FLAGS, SECCOMP_OPS } from "../plan/seccomp/profile.ts";
import { SpecError } from "../errors.ts";
import { features } from "../spec/features.ts";
import { parseFlags, toCittyArgs, type FlagDefs } from "./args.ts";
import { print } from "./output.ts";

export const featuresFlags = {} satisfies FlagDefs;

export default defineCommand({
  meta: { name: "features", description: "Print the OCI runtime features contain implements, as JSON" },
  args: toCittyArgs(featuresFlags),
  async run({ rawArgs }) {
    const { positionals } = parseFlags(featuresFlags, rawArgs, "features");
    if (positionals.length) throw new SpecError("features", `takes no arguments, not ${JSON.stringify(positionals[0])}`, "run contain features alone");
    const doc = features({ actions: SECCOMP_ACTIONS, operators: SECCOMP_OPS, archs: SECCOMP_ARCHES, flags: SECCOMP_FLAGS });
    print(`${JSON.stringify(doc, null, 4)}\n`);
    return 0;
  },
});
