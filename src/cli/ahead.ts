// Which command lines clone their init ahead (InitProcess.cloneAhead), read
// from the raw line before any of the CLI's modules load: `run` in the
// foreground with the default namespaces. A line this reads wrongly only
// loses the head start (the clone that runs discards an init that does not
// fit), so it errs towards no.
import type { NamespaceType } from "../spec/schema.ts";

// from-flags.ts DEFAULT_NAMESPACES (a unit test keeps them equal): not
// imported, as that module and its schema would load before the clone.
export const AHEAD_NAMESPACES: readonly NamespaceType[] = ["pid", "uts", "mount", "ipc", "network", "cgroup"];

// Flags that change the namespaces, run another front end, keep the command
// from starting (--help), start it elsewhere (the monitor's, -d), or ask to
// see every call (--debug: the clone would come before the trace begins).
const ELSEWHERE = new Set(["--pid", "--ipc", "--uts", "--config", "--preset", "-b", "--bundle", "--help", "-d", "--detach", "--debug"]);
const NETWORKS = new Set(["none", "bridge"]);

export function clonesAhead(args: readonly string[]): boolean {
  if (args[0] !== "run") return false;
  for (let i = 1; i < args.length; i++) {
    const arg = args[i] ?? "";
    if (arg === "--") break;
    const [name = "", value] = arg.split("=", 2);
    if (ELSEWHERE.has(name)) return false;
    // -dit: a cluster of short flags with -d in it
    if (/^-[a-zA-Z]+$/.test(arg) && arg.includes("d")) return false;
    if ((name === "--net" || name === "--network") && !NETWORKS.has(value ?? args[i + 1] ?? "")) return false;
  }
  return true;
}

export async function cloneAhead(args: readonly string[]): Promise<void> {
  if (!clonesAhead(args)) return;
  const [{ InitProcess }, { inBackground }] = await Promise.all([import("../runtime/init-process.ts"), import("../linux/pty.ts")]);
  // In the background of its terminal, run gives its command /dev/null for
  // stdin (cli/terminal.ts), which an init cloned now would not inherit.
  if (inBackground(0)) return;
  InitProcess.cloneAhead(AHEAD_NAMESPACES);
}
