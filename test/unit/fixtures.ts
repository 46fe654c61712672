// What specFromFlags reads from the machine, made up for unit tests.
import { SpecError } from "../../src/errors.ts";
import type { FlagContext } from "../../src/spec/from-flags.ts";

export const CONTEXT: FlagContext = {
  hostEnv: { FROM_HOST: "yes" },
  cwd: "/home/me",
  passwd: "root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n",
  group: "root:x:0:\nalice:x:1000:\nwheel:x:10:alice,bob\nstaff:x:50:alice\n",
  readProfile: () => ({ defaultAction: "SCMP_ACT_ALLOW" }),
  defaultSeccomp: undefined,
};

// The SpecError `fn` throws; fails the test if it throws none.
export function refusal(fn: () => unknown): SpecError {
  try {
    fn();
  } catch (err) {
    if (err instanceof SpecError) return err;
    throw err;
  }
  throw new Error("accepted");
}
