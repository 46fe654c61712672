// Which command lines clone their init ahead, read from the raw line before
// any of the CLI's modules load: `run` with the default namespaces, in the
// foreground (InitProcess.cloneAhead) or detached, then the monitor that
// clones its init (InitProcess.monitorAhead). A line this reads wrongly only
// loses the head start (the clone that runs discards an init that does not
// fit), so it errs towards no.
import type { NamespaceType } from "../spec/schema.ts";

// from-flags.ts DEFAULT_NAMESPACES (a unit test keeps them equal): not
// imported, as that module and its schema would load before the clone.
export const AHEAD_NAMESPACES: readonly NamespaceType[] = ["pid", "uts", "mount", "ipc", "network", "cgroup"];

// Flags that change the namespaces, run another front end, keep the command
// from starting (--help), or ask to see every call (--debug: the clone would
// come before the trace begins).
const ELSEWHERE = new Set(["--pid", "--ipc", "--uts", "--config", "--preset", "-b", "--bundle", "--help", "--debug"]);
const NETWORKS = new Set(["none", "bridge"]);

// What clones ahead: the init ("run"), the monitor ("detach"), or nothing.
export function clonesAhead(args: readonly string[]): "run" | "detach" | undefined {
  if (args[0] !== "run") return undefined;
  let detach = false;
  let stdin = false;
  for (let i = 1; i < args.length; i++) {
    const arg = args[i] ?? "";
    if (arg === "--") break;
    const [name = "", value] = arg.split("=", 2);
    if (ELSEWHERE.has(name)) return undefined;
    // -dit: a cluster of short flags
    const cluster = /^-[a-zA-Z]+$/.test(arg);
    if (name === "-d" || name === "--detach" || (cluster && arg.includes("d"))) detach = value !== "false";
    if (name === "-i" || name === "--interactive" || (cluster && arg.includes("i"))) stdin = value !== "false";
    if ((name === "--net" || name === "--network") && !NETWORKS.has(value ?? args[i + 1] ?? "")) return undefined;
  }
  // -d -i: the monitor gives the init a stdin pipe, which it makes at the clone.
  if (detach) return stdin ? undefined : "detach";
  return "run";
}

export async function cloneAhead(args: readonly string[]): Promise<void> {
  const what = clonesAhead(args);
  if (what === undefined) return;
  if (what === "detach") {
    const { InitProcess } = await import("../runtime/init-process.ts");
    InitProcess.monitorAhead(AHEAD_NAMESPACES);
    return;
  }
  const [{ InitProcess }, { inBackground }] = await Promise.all([import("../runtime/init-process.ts"), import("../linux/pty.ts")]);
  // In the background of its terminal, run gives its command /dev/null for
  // stdin (cli/terminal.ts), which an init cloned now would not inherit.
  if (inBackground(0)) return;
  InitProcess.cloneAhead(AHEAD_NAMESPACES);
}
