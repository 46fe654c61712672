import { expect, test } from "bun:test";
import { netOf } from "../../src/cli/stats.ts";
import { siSize } from "../../src/cli/table.ts";
import { parseBlkioBytes } from "../../src/linux/cgroups/v1.ts";
import { parseIoStat } from "../../src/linux/cgroups/v2.ts";
import type { ContainerState } from "../../src/runtime/state.ts";

test("sizes as docker's NET I/O and BLOCK I/O print them", () => {
  expect(siSize(0)).toBe("0B");
  expect(siSize(648)).toBe("648B");
  expect(siSize(1234)).toBe("1.23kB");
  expect(siSize(12_345_678)).toBe("12.3MB");
  expect(siSize(1_000_000_000)).toBe("1GB");
});

test("block I/O: every device summed, v1's blkio and v2's io.stat", () => {
  const v1 = ["8:0 Read 4096", "8:0 Write 8192", "8:0 Sync 12288", "8:0 Async 0", "8:0 Total 12288", "8:16 Read 100", "8:16 Write 0", "Total 12388", ""].join("\n");
  expect(parseBlkioBytes(v1)).toEqual({ read: 4196, write: 8192 });
  // no device line: the kernel counted nothing (blk-throttle inactive on the disk)
  expect(parseBlkioBytes("Total 0\n")).toBeUndefined();
  const v2 = "254:0 rbytes=1048576 wbytes=4096 rios=3 wios=1 dbytes=0 dios=0\n7:1 rbytes=10 wbytes=20 rios=1 wios=1 dbytes=0 dios=0\n";
  expect(parseIoStat(v2)).toEqual({ read: 1048586, write: 4116 });
});

test("net I/O: the host end's counters, turned round to the container's side", () => {
  const files: Record<string, string> = { "/sys/class/net/vc-3a59f4ed6cbd/statistics/rx_bytes": "1500\n", "/sys/class/net/vc-3a59f4ed6cbd/statistics/tx_bytes": "90\n" };
  const read = (p: string) => files[p] ?? (() => { throw new Error(`ENOENT ${p}`); })();
  const state = { network: { veth: "vc-3a59f4ed6cbd" } } as ContainerState;
  expect(netOf(state, read)).toEqual({ rx: 90, tx: 1500 });
  expect(netOf({} as ContainerState, read)).toBeUndefined(); // --net none or host
  expect(netOf({ network: { veth: "gone" } } as ContainerState, read)).toBeUndefined();
});
