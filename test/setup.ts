// The Debian packages the tests drive, installed through the project's own
// code (build.ts), never by hand.
import { rmSync } from "node:fs";

export { ensurePackages } from "../build.ts";

// A bridge the tests made, with what contain keeps beside it: its nft table
// and its lease file. contain keeps a bridge after use, as docker keeps docker0.
export function removeBridge(name: string): void {
  Bun.spawnSync(["ip", "link", "del", name], { stdout: "ignore", stderr: "ignore" });
  Bun.spawnSync(["nft", "delete", "table", "ip", `contain-${name}`], { stdout: "ignore", stderr: "ignore" });
  for (const ext of ["json", "lock"]) rmSync(`/var/lib/contain/network/${name}.${ext}`, { force: true });
}

// tmux for the terminal test, util-linux's setpriv, procps's pgrep, iproute2's
// `ip`; nftables and curl for the network tests; e2fsprogs for --storage-opt;
// zsh and fish for the completion scripts.
export const TEST_PACKAGES = ["busybox-static", "tmux", "util-linux", "procps", "iproute2", "nftables", "curl", "e2fsprogs", "zsh", "fish"];

// The real OCI clients of test/clients: podman (through conmon) and containerd
// (ctr, through containerd-shim-runc-v2), runc to prove the tests, podman's CNI
// bridge and port plugins (which call iptables), tmux for the terminals, curl
// for the httpd, busybox-static for the image, util-linux's unshare and
// nsenter and iproute2's ip for the tests' own namespaces.
export const CLIENT_PACKAGES = ["podman", "conmon", "containerd", "runc", "containernetworking-plugins", "iptables", "tmux", "curl", "busybox-static", "util-linux", "iproute2"];

// The image tests (test/registry.ts): the real distribution registry (2.8,
// /usr/bin/docker-registry) to pull from, and openssl for its test CA and
// server certificate.
export const IMAGE_PACKAGES = ["docker-registry", "openssl"];
