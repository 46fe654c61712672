// `--restart`, docker's restart policies, and the rules that apply them
// (moby's restartmanager): which exit is restarted, after how long. Pure.
import { SpecError } from "../errors.ts";

export type RestartPolicyName = "no" | "on-failure" | "always" | "unless-stopped";

// docker's HostConfig.RestartPolicy, as inspect shows it.
export interface RestartPolicy {
  Name: RestartPolicyName;
  MaximumRetryCount: number; // on-failure's MAX; 0: no limit
}

const HINT = "use no, on-failure[:MAX], always or unless-stopped, e.g. --restart on-failure:3";

export function parseRestartPolicy(value: string): RestartPolicy {
  const [name = "", max, ...rest] = value.split(":");
  if (rest.length || (name !== "no" && name !== "on-failure" && name !== "always" && name !== "unless-stopped"))
    throw new SpecError("--restart", `${JSON.stringify(value)} is not a restart policy`, HINT);
  if (max === undefined) return { Name: name, MaximumRetryCount: 0 };
  if (name !== "on-failure") throw new SpecError("--restart", `${JSON.stringify(value)}: only on-failure takes a maximum retry count`, HINT);
  if (!/^\d{1,9}$/.test(max)) throw new SpecError("--restart", `${JSON.stringify(value)}: ${JSON.stringify(max)} is not a number of retries`, HINT);
  return { Name: name, MaximumRetryCount: Number(max) };
}

// moby's rule: never after a stop or kill by the user; on-failure only for a
// non-zero exit, and at most MAX times; always and unless-stopped whatever
// the exit (they differ at a daemon's restart, and contain has no daemon:
// its state does not survive a reboot).
export function shouldRestart(policy: RestartPolicy | undefined, exitCode: number, restartCount: number, stoppedByUser: boolean): boolean {
  if (!policy || stoppedByUser) return false;
  switch (policy.Name) {
    case "no":
      return false;
    case "on-failure":
      return exitCode !== 0 && (policy.MaximumRetryCount === 0 || restartCount < policy.MaximumRetryCount);
    case "always":
    case "unless-stopped":
      return true;
  }
}

export const BACKOFF_FIRST_MS = 100;
export const BACKOFF_MAX_MS = 60_000;
// Up this long, a container's next restart starts the back-off over.
export const BACKOFF_RESET_AFTER_MS = 10_000;

// The wait before the next restart: 100 ms, doubling at each restart, at
// most a minute (moby's maxRestartTimeout), and 100 ms again after a run
// of 10 s or more. `previousMs`: the last wait, if there was one.
export function nextBackoff(previousMs: number | undefined, upMs: number): number {
  if (previousMs === undefined || upMs >= BACKOFF_RESET_AFTER_MS) return BACKOFF_FIRST_MS;
  return Math.min(previousMs * 2, BACKOFF_MAX_MS);
}
