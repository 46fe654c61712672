// What the tests need from the machine, installed through the project's own
// code (Debian's packages), never by hand.
import { buildBinary } from "../build.ts";

function installed(pkg: string): boolean {
  return Bun.spawnSync(["dpkg-query", "-W", "-f=${Status}", pkg]).stdout.toString().includes("install ok installed");
}

export function ensurePackages(packages: string[]): void {
  const missing = packages.filter((p) => !installed(p));
  if (missing.length === 0) return;
  console.error(`[setup] installing ${missing.join(" ")}`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  // --no-install-recommends: qemu's recommends pull in a desktop.
  const install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", ...missing];
  let r = Bun.spawnSync(install, { env, stdout: "inherit", stderr: "inherit" });
  if (r.exitCode !== 0) {
    // A fresh machine may have no package lists yet.
    Bun.spawnSync(["apt-get", "update", "-q"], { env, stdout: "inherit", stderr: "inherit" });
    r = Bun.spawnSync(install, { env, stdout: "inherit", stderr: "inherit" });
  }
  if (r.exitCode !== 0) throw new Error(`apt-get install ${missing.join(" ")} failed`);
}

// The tools the integration tests drive: tmux for the terminal test,
// util-linux's setpriv, procps's pgrep, iproute2 for `ip` checks.
export const TEST_PACKAGES = ["busybox-static", "tmux", "util-linux", "procps", "iproute2"];

if (import.meta.main) {
  ensurePackages(TEST_PACKAGES);
  buildBinary();
}
