// nftables through Debian's `nft` tool: one `nft -f -` per change, which the
// kernel applies as one transaction. (nftables over netlink directly would be
// a project of its own: its expressions are a bytecode.) The rule text comes
// from src/plan/nft.ts.
import { SyscallError, traceCall } from "../ffi/index.ts";
import { attrString, concat, Netlink, NETLINK_NETFILTER } from "./netlink.ts";

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

const NFNL_SUBSYS_NFTABLES = 10;
const NFT_MSG_GETCHAIN = 4;
const NFPROTO_IPV4 = 2;
const NFTA_CHAIN_TABLE = 1;
const NFTA_CHAIN_NAME = 3;
const ENOENT = 2;

// Whether chain `name` of table `ip <table>` exists (ENOENT when the table
// or the chain is missing): one nfnetlink request (man 7 netlink), much
// cheaper than starting nft.
export function ipChainExists(table: string, name: string): boolean {
  using nl = new Netlink(NETLINK_NETFILTER);
  // struct nfgenmsg: family, version (NFNETLINK_V0), resource id.
  const nfgenmsg = Uint8Array.from([NFPROTO_IPV4, 0, 0, 0]);
  try {
    nl.query(`get nft chain ip ${table} ${name}`, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETCHAIN, 0, concat([nfgenmsg, attrString(NFTA_CHAIN_TABLE, table), attrString(NFTA_CHAIN_NAME, name)]));
    return true;
  } catch (err) {
    if (err instanceof SyscallError && err.errno === ENOENT) return false;
    throw err;
  }
}
