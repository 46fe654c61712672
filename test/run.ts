// `npm test`: everything, in one command. Installs what the tests need
// (Debian packages), builds ./contain, type-checks, then runs the unit tests,
// the integration tests (root, the real kernel, the compiled binary) and the
// pure cgroup v2 VM test.
import { ensurePackages, TEST_PACKAGES } from "./setup.ts";
import { buildBinary } from "../build.ts";

const root = new URL("..", import.meta.url).pathname;

function step(name: string, cmd: string[]): void {
  console.error(`\n[test] ${name}: ${cmd.join(" ")}`);
  const r = Bun.spawnSync(cmd, { cwd: root, stdout: "inherit", stderr: "inherit", stdin: "ignore" });
  if (r.exitCode !== 0) {
    console.error(`[test] ${name} failed (exit ${r.exitCode})`);
    process.exit(r.exitCode ?? 1);
  }
}

// Containers need root; escalate once here rather than in every test.
if (process.geteuid?.() !== 0) {
  const sudo = Bun.which("sudo");
  if (!sudo) {
    console.error("[test] the tests run containers and must run as root; run npm test as root");
    process.exit(1);
  }
  const r = Bun.spawnSync([sudo, "--preserve-env=PATH", process.execPath, ...process.argv.slice(1)], { stdout: "inherit", stderr: "inherit", stdin: "inherit" });
  process.exit(r.exitCode ?? 1);
}

ensurePackages(TEST_PACKAGES);
buildBinary();
step("types", [`${root}node_modules/.bin/tsc`, "-p", "."]);
step("unit", [process.execPath, "test", "test/unit"]);
step("integration", [process.execPath, "test", "--timeout", "60000", "test/integration"]);
step("cgroup v2 VM", [process.execPath, "test", "--timeout", "600000", "test/vm"]);
console.error("\n[test] all passed");
