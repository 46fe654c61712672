// runc's global flags, which OCI callers put before the command
// (containerd's shim: `--root R --log L --log-format json create ...`).
// They set the defaults of every command's own flags; --log also gets every
// error line, in the format asked, for the caller to show (containerd shows
// the last one).
import { appendFileSync } from "node:fs";
import { SpecError } from "../errors.ts";

export interface Globals {
  root?: string;
  log?: string;
  logFormat: "text" | "json";
  debug: boolean;
}

export const globals: Globals = { logFormat: "text", debug: false };

const VALUED = new Set(["root", "log", "log-format", "rootless", "criu"]);
const BOOLEAN = new Set(["debug", "systemd-cgroup"]);

// Takes the global flags off the front of `args` into `globals`; returns the
// command and what follows. Only flags runc knows are taken: anything else
// (--help, --version) is left for the command table.
export function takeGlobals(args: readonly string[]): string[] {
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i] ?? "";
    const m = /^--?([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m || !(VALUED.has(m[1] ?? "") || BOOLEAN.has(m[1] ?? ""))) break;
    const name = m[1] ?? "";
    let value = m[2];
    if (VALUED.has(name) && value === undefined) {
      value = args[++i];
      if (value === undefined) throw new SpecError(`--${name}`, "needs a value", `e.g. contain --${name} VALUE COMMAND`);
    }
    setGlobal(name, value);
  }
  return args.slice(i);
}

function setGlobal(name: string, value: string | undefined): void {
  const on = value === undefined || value === "true";
  switch (name) {
    case "root":
      globals.root = value;
      break;
    case "log":
      globals.log = value;
      break;
    case "log-format":
      if (value !== "text" && value !== "json") throw new SpecError("--log-format", `${JSON.stringify(value)} is not a log format`, "use text or json");
      globals.logFormat = value;
      break;
    case "debug":
      globals.debug = on;
      break;
    case "systemd-cgroup":
      if (on) throw new SpecError("--systemd-cgroup", "contain manages cgroups itself (cgroupfs); it has no systemd driver", "leave it out: containerd SystemdCgroup = false, podman cgroup_manager = \"cgroupfs\"");
      break;
    case "rootless":
      if (value === "true") throw new SpecError("--rootless", "rootless mode is not supported yet", "run as root with --rootless false or auto");
      if (value !== "false" && value !== "auto") throw new SpecError("--rootless", `${JSON.stringify(value)} is not true, false or auto`, "use --rootless auto");
      break;
    case "criu":
      break; // the path of criu, for checkpoints, which contain does not make
  }
}

// One line in the --log file, as runc writes it: logrus's JSON or text.
export function logToFile(level: "error" | "warning" | "debug", msg: string): void {
  if (!globals.log) return;
  const time = new Date().toISOString();
  const line = globals.logFormat === "json" ? JSON.stringify({ level, msg, time }) : `time="${time}" level=${level} msg=${JSON.stringify(msg)}`;
  try {
    appendFileSync(globals.log, `${line}\n`);
  } catch {}
}
