// config.md's hooks, run by whoever stands where the spec puts each: the
// CLI in the runtime's namespaces (prestart and createRuntime during create,
// once the namespaces exist and before pivot_root; poststart once the
// command runs; poststop once the container is deleted), the init in the
// container's mount namespace before pivot_root (createContainer).
// startContainer runs in ffi/helper.c, just before the command. Each gets
// the container's state on stdin; its output is kept for the error.
import { ContainError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { HookKind, Spec } from "../spec/schema.ts";

export type Hook = NonNullable<NonNullable<Spec["hooks"]>[HookKind]>[number];

function runHook(kind: HookKind, hook: Hook, state: string): string | undefined {
  const argv = hook.args?.length ? hook.args : [hook.path];
  let r: ReturnType<typeof Bun.spawnSync>;
  try {
    r = Bun.spawnSync([hook.path, ...argv.slice(1)], {
      argv0: argv[0],
      env: Object.fromEntries((hook.env ?? []).map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)])),
      stdin: Buffer.from(state),
      stdout: "pipe",
      stderr: "pipe",
      timeout: hook.timeout === undefined ? undefined : hook.timeout * 1000,
      killSignal: "SIGKILL",
    });
  } catch (err) {
    return `${kind} hook ${hook.path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
  }
  if (r.exitCode === 0) return undefined;
  const why = r.signalCode ? (hook.timeout !== undefined && r.signalCode === "SIGKILL" ? `timed out after ${hook.timeout}s` : `killed by ${r.signalCode}`) : `exit status ${r.exitCode}`;
  const said = (r.stderr?.toString().trim() || r.stdout?.toString().trim())?.split("\n").pop();
  return `${kind} hook ${hook.path}: ${why}${said ? `: ${said}` : ""}`;
}

// Runs the hooks of `kind` in order. The ones before the command (prestart,
// createRuntime) stop the start at the first failure; the ones after it
// only warn, as the spec says.
export function runHooks(hooks: readonly Hook[] | undefined, kind: HookKind, state: object, log: Logger): void {
  const json = JSON.stringify(state);
  for (const hook of hooks ?? []) {
    const failed = runHook(kind, hook, json);
    if (!failed) continue;
    if (kind === "poststart" || kind === "poststop") log.warn(failed);
    else throw new ContainError(failed, "fix the hook, or remove it from config.json");
  }
}
