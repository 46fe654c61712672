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
  hostname: "thehost",
  canLowerOomScore: false,
  // One running container, "web".
  container: (flag, ref, type) => {
    if (ref !== "web") throw new SpecError(flag, `no such container: ${ref}`);
    return { id: "a".repeat(64), path: `/proc/42/ns/${type === "network" ? "net" : type}`, hostname: "webhost" };
  },
  // A host /dev with fuse, a tun under /dev/net, and a disk.
  hostDevices: (path) => {
    const all = [
      { path: "/dev/fuse", type: "c" as const, major: 10, minor: 229, mode: 0o666, uid: 0, gid: 0 },
      { path: "/dev/net/tun", type: "c" as const, major: 10, minor: 200, mode: 0o666, uid: 0, gid: 0 },
      { path: "/dev/sda", type: "b" as const, major: 8, minor: 0, mode: 0o660, uid: 0, gid: 6 },
      { path: "/dev/pts/0", type: "c" as const, major: 136, minor: 0, mode: 0o620, uid: 1000, gid: 5 },
    ];
    const found = all.filter((d) => d.path === path || d.path.startsWith(`${path}/`));
    return found.length || path === "/dev/empty" ? found : undefined;
  },
  // Every host path exists but these.
  pathExists: (path) => !path.startsWith("/nonexistent"),
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

// Whatever `fn` throws; fails the test if it throws nothing.
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("no error");
}
