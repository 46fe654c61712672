// The Debian packages the tests drive, installed through the project's own
// code (build.ts), never by hand.
export { ensurePackages } from "../build.ts";

// tmux for the terminal test, util-linux's setpriv, procps's pgrep, iproute2's
// `ip`; nftables and curl for the network tests.
export const TEST_PACKAGES = ["busybox-static", "tmux", "util-linux", "procps", "iproute2", "nftables", "curl"];
