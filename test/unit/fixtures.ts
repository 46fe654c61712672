// What specFromFlags reads from the machine, made up for unit tests.
import type { FlagContext } from "../../src/spec/from-flags.ts";

export const CONTEXT: FlagContext = {
  hostEnv: { FROM_HOST: "yes" },
  cwd: "/home/me",
  passwd: "root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n",
  group: "root:x:0:\nalice:x:1000:\nwheel:x:10:alice,bob\nstaff:x:50:alice\n",
  readProfile: () => ({ defaultAction: "SCMP_ACT_ALLOW" }),
  defaultSeccomp: undefined,
};
