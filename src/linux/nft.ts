// nftables through Debian's `nft` tool: one `nft -f -` per change, which the
// kernel applies as one transaction. (nftables over netlink directly would be
// a project of its own: its expressions are a bytecode.) The rule text comes
// from src/plan/nft.ts.
import { traceCall } from "../ffi/index.ts";

export class NftError extends Error {
  constructor(
    message: string,
    readonly missing = false,
  ) {
    super(message);
    this.name = "NftError";
  }
}

let nftPath: string | null | undefined;

// sudo's secure_path has /usr/sbin; a plain root shell may not.
function findNft(): string | null {
  nftPath ??= Bun.which("nft", { PATH: `${process.env.PATH ?? ""}:/usr/sbin:/sbin:/usr/bin:/bin` });
  return nftPath;
}

export function nftAvailable(): boolean {
  return findNft() !== null;
}

export function nft(script: string): void {
  const path = findNft();
  if (!path) throw new NftError("the nft tool is not installed", true);
  traceCall("nft -f -", [script.trimEnd()]);
  const r = Bun.spawnSync([path, "-f", "-"], { stdin: Buffer.from(script), stdout: "pipe", stderr: "pipe", env: {} });
  if (r.exitCode !== 0) {
    const first = r.stderr.toString().split("\n").find((l) => l.startsWith("Error:")) ?? r.stderr.toString().trim();
    throw new NftError(`nft: ${first.replace(/^Error: /, "")}`);
  }
}
