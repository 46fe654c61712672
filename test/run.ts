// `npm test`: everything, in one command. Installs what the tests need
// (Debian packages), builds ./contain, type-checks, then runs the unit tests,
// the integration tests (root, the real kernel, the compiled binary), podman
// and containerd driving it, and the pure cgroup v2 VM test.
import { existsSync } from "node:fs";
import { ensurePackages, removeBridge, TEST_PACKAGES } from "./setup.ts";
import { buildBinary } from "../build.ts";

const root = new URL("..", import.meta.url).pathname;

function step(name: string, cmd: string[]): void {
  console.error(`\n[test] ${name}: ${cmd.join(" ")}`);
  const r = Bun.spawnSync(cmd, { cwd: root, stdout: "inherit", stderr: "inherit", stdin: "ignore" });
  if (r.exitCode !== 0) {
    console.error(`[test] ${name} failed (exit ${r.exitCode})`);
    throw r.exitCode ?? 1;
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
// Containers in the default mode make the default bridge on first use and
// contain keeps it; if the suite made it, the suite takes it away.
const hadDefaultBridge = existsSync("/sys/class/net/contain0");
try {
  step("types", [`${root}node_modules/.bin/tsc`, "-p", "."]);
  step("unit", [process.execPath, "test", "test/unit"]);
  try {
    step("integration", [process.execPath, "test", "--timeout", "60000", "test/integration"]);
  } finally {
    if (!hadDefaultBridge) removeBridge("contain0");
  }
  // podman (through conmon) and containerd (through its runc shim) driving
  // ./contain, each in a sandbox of its own state (test/clients/sandbox.ts).
  step("clients", [process.execPath, "test", "--timeout", "120000", "test/clients"]);
  step("cgroup v2 VM", [process.execPath, "test", "--timeout", "600000", "test/vm"]);
  console.error("\n[test] all passed");
} catch (code) {
  process.exit(typeof code === "number" ? code : 1);
}
