// The reader of a container's log (src/runtime/logs.ts), against files in
// CRI's format written to temporary directories: each stream back on its own
// fd, partial lines joined, -t, --since and --until, --tail across rotated
// files, bad lines skipped, a big file read in bounded memory, and -f through
// appends and rotations with a fake liveness check.
import { afterAll, expect, test } from "bun:test";
import { appendFileSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync, writeSync } from "node:fs";
import logsCommand from "../../src/cli/logs.ts";
import { ContainError, SpecError } from "../../src/errors.ts";
import { formatLogTime, parseEntry, parseLogTime, readLogs, type LogQuery } from "../../src/runtime/logs.ts";

const tmp = mkdtempSync("/tmp/contain-unit-logs-");
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let dirs = 0;
function logDir(): string {
  const dir = `${tmp}/${++dirs}`;
  mkdirSync(dir);
  return dir;
}

const T0 = 1_764_630_894_000_000_000n; // 2025-12-01T23:14:54Z
// The i-th second after T0, as an entry writes it.
const at = (i: number) => formatLogTime(T0 + BigInt(i) * 1_000_000_000n);

type Name = "stdout" | "stderr";
const entry = (time: string, stream: Name, tag: "F" | "P", message: string | Buffer) => Buffer.concat([Buffer.from(`${time} ${stream} ${tag} `), Buffer.from(message), Buffer.from("\n")]);
const out = (i: number, message: string, tag: "F" | "P" = "F") => entry(at(i), "stdout", tag, message);
const err = (i: number, message: string, tag: "F" | "P" = "F") => entry(at(i), "stderr", tag, message);

// Runs readLogs with stdout and stderr going to two files (or one, `same`),
// and gives back what each got.
async function read(dir: string, query: Partial<LogQuery> = {}, same = false): Promise<{ stdout: string; stderr: string }> {
  const paths = [`${dir}.out`, same ? `${dir}.out` : `${dir}.err`];
  const first = openSync(`${dir}.out`, "w");
  const fds = [first, same ? first : openSync(`${dir}.err`, "w")] as const;
  try {
    await readLogs(dir, { follow: false, timestamps: false, ...query }, { stdout: fds[0], stderr: fds[1], alive: () => false });
  } finally {
    for (const fd of new Set(fds)) closeSync(fd);
  }
  return { stdout: readFileSync(paths[0] as string, "latin1"), stderr: readFileSync(paths[1] as string, "latin1") };
}

test("each stream goes back to its own fd, its newlines restored", async () => {
  const dir = logDir();
  writeFileSync(`${dir}/log`, Buffer.concat([out(0, "hello"), err(1, "oops"), out(2, ""), out(3, "world")]));
  expect(await read(dir)).toEqual({ stdout: "hello\n\nworld\n", stderr: "oops\n" });
  // One fd for both: the log's order.
  expect((await read(dir, {}, true)).stdout).toBe("hello\noops\n\nworld\n");
});

test("P entries are joined with their own stream's next ones, across the other stream's lines", async () => {
  const dir = logDir();
  writeFileSync(
    `${dir}/log`,
    Buffer.concat([out(0, "a", "P"), err(1, "x", "P"), out(2, "b", "P"), err(3, "y"), err(4, "z"), out(5, "c"), err(6, "never ended", "P")]),
  );
  expect(await read(dir)).toEqual({ stdout: "abc\n", stderr: "xy\nz\nnever ended" });
});

test("message bytes are kept as they are, spaces and all", async () => {
  const dir = logDir();
  const bytes = Buffer.from([0x00, 0x20, 0xff, 0x0d, 0x20, 0x46, 0x20]);
  writeFileSync(`${dir}/log`, entry(at(0), "stdout", "F", bytes));
  expect(Buffer.from((await read(dir)).stdout, "latin1")).toEqual(Buffer.concat([bytes, Buffer.from("\n")]));
});

test("-t begins each line with the time of its first entry", async () => {
  const dir = logDir();
  writeFileSync(`${dir}/log`, Buffer.concat([out(0, "one"), out(1, "tw", "P"), err(2, "e"), out(3, "o")]));
  expect(await read(dir, { timestamps: true })).toEqual({
    stdout: `${at(0)} one\n${at(1)} two\n`,
    stderr: `${at(2)} e\n`,
  });
  expect(at(1)).toBe("2025-12-01T23:14:55.000000000Z");
});

test("--since and --until: docker's forms of a time", () => {
  const now = Date.UTC(2026, 11, 1, 23, 14, 54, 669);
  const since = (value: string) => parseLogTime("--since", value, now);
  expect(since("2026-12-01T23:14:54Z")).toBe("2026-12-01T23:14:54.000000000Z");
  expect(since("2026-12-01T23:14:54.669794202Z")).toBe("2026-12-01T23:14:54.669794202Z");
  expect(since("2026-12-01T23:14:54.5Z")).toBe("2026-12-01T23:14:54.500000000Z");
  expect(since("2026-12-02T01:14:54+02:00")).toBe("2026-12-01T23:14:54.000000000Z");
  expect(since("2026-12-01T20:44:54.1-02:30")).toBe("2026-12-01T23:14:54.100000000Z");
  expect(since("0001-01-01T00:00:00Z")).toBe("1970-01-01T00:00:00.000000000Z"); // before any entry
  expect(since("1733094894")).toBe("2024-12-01T23:14:54.000000000Z");
  expect(since("1733094894.123456789")).toBe("2024-12-01T23:14:54.123456789Z");
  expect(since("1733094894.5")).toBe("2024-12-01T23:14:54.500000000Z");
  expect(since("0")).toBe("1970-01-01T00:00:00.000000000Z");
  expect(since("99999999999999")).toBe("9999-12-31T23:59:59.999999999Z");
  expect(since("10m")).toBe("2026-12-01T23:04:54.669000000Z");
  expect(since("1h30m")).toBe("2026-12-01T21:44:54.669000000Z");
  expect(since("2s")).toBe("2026-12-01T23:14:52.669000000Z");
  expect(since("1.5h")).toBe("2026-12-01T21:44:54.669000000Z");
  expect(since("250ms")).toBe("2026-12-01T23:14:54.419000000Z");
  expect(since("1us")).toBe("2026-12-01T23:14:54.668999000Z");
  expect(since("-5s")).toBe("2026-12-01T23:14:59.669000000Z"); // in the future, as in docker
  for (const bad of ["", "yesterday", "10x", "1h 30m", "2026-12-01", "2026-12-01T23:14:54", "2026-02-30T00:00:00Z", "2026-12-01T24:00:00Z", "2026-12-01T23:14:54.1234567890Z", "2026-12-01T23:14:54+0200", "-1", "1.2.3"]) {
    let error: unknown;
    try {
      parseLogTime("--until", bad, now);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SpecError);
    expect((error as SpecError).message).toBe(`--until: ${JSON.stringify(bad)} is not a time`);
    expect((error as SpecError).hint).toBe("give an RFC 3339 time (--until 2026-12-01T23:14:54Z), a Unix time (--until 1733094894) or a duration back from now (--until 10m)");
  }
  expect(parseLogTime("--until", "10", now)).toBe("1970-01-01T00:00:10.000000000Z"); // no unit: a Unix time
});

test("contain logs refuses a bad --since, --until or --tail with one line, before anything is read", async () => {
  const refusal = async (...rawArgs: string[]) => {
    const error = await Promise.resolve(logsCommand.run?.({ rawArgs, args: { _: [] } as never, cmd: logsCommand })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpecError);
    return `${(error as SpecError).message}; ${(error as SpecError).hint}`;
  };
  expect(await refusal("--since", "yesterday", "web")).toStartWith('--since: "yesterday" is not a time; give an RFC 3339 time (--since 2026-12-01T23:14:54Z)');
  expect(await refusal("-t", "--until=1h 30m", "web")).toStartWith('--until: "1h 30m" is not a time; give an RFC 3339 time (--until');
  expect(await refusal("-n", "-1", "web")).toBe("--tail: -1 is not a number of lines; e.g. --tail 20, or --tail all");
  expect(await refusal("--tail", "last", "web")).toBe('--tail: "last" is not a whole number; a number of lines or all, e.g. --tail 20');
});

test("--since is inclusive, --until exclusive, and a line goes by the time of its first entry", async () => {
  const dir = logDir();
  writeFileSync(`${dir}/log`, Buffer.concat([out(0, "zero"), out(1, "one"), err(2, "two"), out(3, "thr", "P"), out(4, "ee"), out(5, "five")]));
  expect(await read(dir, { since: at(1), until: at(3) })).toEqual({ stdout: "one\n", stderr: "two\n" });
  expect(await read(dir, { since: at(3) })).toEqual({ stdout: "three\nfive\n", stderr: "" });
  expect(await read(dir, { since: at(4) })).toEqual({ stdout: "five\n", stderr: "" }); // not the end of line three
  expect(await read(dir, { until: at(4) })).toEqual({ stdout: "zero\none\nthree\n", stderr: "two\n" });
  expect(await read(dir, { since: formatLogTime(T0 + 1n), until: at(1) })).toEqual({ stdout: "", stderr: "" });
  // --tail picks the last lines, then the times filter them (docker's order).
  expect(await read(dir, { tail: 2, since: at(5) })).toEqual({ stdout: "five\n", stderr: "" });
});

test("lines that are no entries are skipped: other formats, torn writes, overlong lines", async () => {
  const dir = logDir();
  const bad = [
    "plain text from before the format\n",
    `${at(9)} stdin F no such stream\n`,
    `${at(9)} stdout X no such tag\n`,
    `${at(9)} stdout F`.slice(0, 38) + "\n",
    `${at(9)}stdout F no space\n`,
    `2025-12-01T23:14:54.66979420Z stdout F eight digits\n`,
    `2025-12-01 23:14:54.669794202Z stdout F no T\n`,
    // Past a chunk: dropped whole, not read on from 64 KiB in as an entry.
    `${at(9)} stdout F ${"x".repeat(65_536 - 40)}${at(9)} stdout F smuggled\n`,
    `${at(9)} stdout F ${"y".repeat(200_000)}\n`, // more than a chunk of no newline, either way
    "\n",
  ];
  writeFileSync(`${dir}/log`, Buffer.concat([out(0, "first"), Buffer.from(bad.join("")), err(1, "second"), out(2, "third"), Buffer.from(`${at(3)} stdout F torn, no newl`)]));
  expect(await read(dir)).toEqual({ stdout: "first\nthird\n", stderr: "second\n" });
  expect(await read(dir, { tail: 2 })).toEqual({ stdout: "third\n", stderr: "second\n" });
  expect(await read(dir, { tail: 3 })).toEqual({ stdout: "first\nthird\n", stderr: "second\n" });
  // And the torn line is read once whole.
  appendFileSync(`${dir}/log`, "ine\n");
  expect(await read(dir, { tail: 1 })).toEqual({ stdout: "torn, no newline\n", stderr: "" });
  expect(parseEntry(Buffer.from(`${at(0)} stderr P x`))).toMatchObject({ stream: 1, partial: true });
  expect(parseEntry(Buffer.from(`${at(0)} stderr P`))).toBeNull();
});

test("--tail counts lines of both streams by where they end, across rotated files", async () => {
  const dir = logDir();
  // log.2 (oldest), log.1, log: line "ab" starts in log.1 and ends in log.
  writeFileSync(`${dir}/log.2`, Buffer.concat([out(0, "old"), err(1, "old err")]));
  writeFileSync(`${dir}/log.1`, Buffer.concat([out(2, "a", "P"), err(3, "x")]));
  writeFileSync(`${dir}/log`, Buffer.concat([out(4, "b"), err(5, "y", "P")]));
  expect(await read(dir, { tail: 0 })).toEqual({ stdout: "", stderr: "" });
  expect(await read(dir, { tail: 1 })).toEqual({ stdout: "", stderr: "y" }); // a line never ended counts where it stops
  expect(await read(dir, { tail: 2 })).toEqual({ stdout: "ab\n", stderr: "y" });
  expect(await read(dir, { tail: 3 })).toEqual({ stdout: "ab\n", stderr: "x\ny" });
  expect(await read(dir, { tail: 4 })).toEqual({ stdout: "ab\n", stderr: "old err\nx\ny" });
  expect(await read(dir, { tail: 5 })).toEqual({ stdout: "old\nab\n", stderr: "old err\nx\ny" });
  expect(await read(dir, { tail: 50 })).toEqual(await read(dir));
});

// A small deterministic generator (mulberry32), so a failure can be replayed.
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test("--tail N matches the last N lines of the whole log, with lines across chunks and files", async () => {
  const rnd = random(7);
  const streams: Name[] = ["stdout", "stderr"];
  const entries: { stream: Name; partial: boolean; message: Buffer }[] = [];
  for (let i = 0; i < 400; i++) {
    // Lengths up to the writer's 16 KiB, so that lines straddle the 64 KiB chunks.
    const len = rnd() < 0.3 ? Math.floor(rnd() * 16384) : Math.floor(rnd() * 80);
    const message = Buffer.alloc(len);
    for (let j = 0; j < len; j++) message[j] = 0x20 + Math.floor(rnd() * 0x5f);
    entries.push({ stream: streams[rnd() < 0.6 ? 0 : 1] as Name, partial: rnd() < 0.3, message });
  }
  const lines = entries.map((e, i) => entry(at(i), e.stream, e.partial ? "P" : "F", e.message));
  const dir = logDir();
  writeFileSync(`${dir}/log.2`, Buffer.concat(lines.slice(0, 120)));
  writeFileSync(`${dir}/log.1`, Buffer.concat(lines.slice(120, 260)));
  writeFileSync(`${dir}/log`, Buffer.concat(lines.slice(260)));
  // The oracle: the log's lines in the order they end, from all of it in memory.
  const whole: { stream: Name; text: string; end: number }[] = [];
  const open: Record<Name, string | undefined> = { stdout: undefined, stderr: undefined };
  const last: Record<Name, number> = { stdout: -1, stderr: -1 };
  entries.forEach((e, i) => {
    open[e.stream] = (open[e.stream] ?? "") + e.message.toString("latin1");
    last[e.stream] = i;
    if (!e.partial) {
      whole.push({ stream: e.stream, text: `${open[e.stream]}\n`, end: i });
      open[e.stream] = undefined;
    }
  });
  for (const s of streams) if (open[s] !== undefined) whole.push({ stream: s, text: open[s] as string, end: last[s] });
  whole.sort((a, b) => a.end - b.end);
  const expected = (n: number) => {
    const chosen = n === 0 ? [] : whole.slice(-n);
    const of = (s: Name) => chosen.filter((l) => l.stream === s).map((l) => l.text).join("");
    return { stdout: of("stdout"), stderr: of("stderr") };
  };
  for (const n of [0, 1, 2, 3, 10, 57, 150, 200, whole.length - 1, whole.length, whole.length + 10]) expect({ n, ...(await read(dir, { tail: n })) }).toEqual({ n, ...expected(n) });
  expect(await read(dir)).toEqual(expected(whole.length));
});

// The peak resident set while `fn` runs, over what it was before (kB).
// clear_refs 5 resets the peak (VmHWM): a whole file loaded and freed
// again would not show in process.memoryUsage().rss afterwards.
async function peakGrowth(fn: () => Promise<unknown>): Promise<number> {
  const kB = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync("/proc/self/status", "utf8"))?.[1]);
  Bun.gc(true);
  writeFileSync("/proc/self/clear_refs", "5");
  const before = kB("VmRSS");
  await fn();
  return kB("VmHWM") - before;
}

test("a 64 MiB log: --tail 1 and a whole read, in memory far below its size", async () => {
  const dir = logDir();
  const block = Buffer.concat(Array.from({ length: 10_000 }, (_, i) => (i % 3 ? out(i, `line ${i} of a block that is repeated`) : err(i, "a line on stderr, also repeated, of some length"))));
  const fd = openSync(`${dir}/log`, "w");
  let size = 0;
  while (size < 64 << 20) size += writeSync(fd, block);
  size += writeSync(fd, Buffer.concat([out(0, "the end is n", "P"), err(1, "in between"), out(2, "ear")]));
  closeSync(fd);
  let tail: { stdout: string; stderr: string } | undefined;
  const tailGrowth = await peakGrowth(async () => (tail = await read(dir, { tail: 1 })));
  expect(tail).toEqual({ stdout: "the end is near\n", stderr: "" });
  const nul = openSync("/dev/null", "w");
  const wholeGrowth = await peakGrowth(() => readLogs(dir, { follow: false, timestamps: true }, { stdout: nul, stderr: nul, alive: () => false }));
  closeSync(nul);
  console.log(`64 MiB log: peak RSS grew ${tailGrowth} kB for --tail 1, ${wholeGrowth} kB for a whole read`);
  expect(tailGrowth).toBeLessThan(size / 1024 / 8);
  expect(wholeGrowth).toBeLessThan(size / 1024 / 2);
});

// Waits for `ok`, checking every few ms; fails after 10 s.
async function until(what: string, ok: () => boolean): Promise<void> {
  for (const deadline = Date.now() + 10_000; !ok(); await Bun.sleep(5)) if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
}

// readLogs with follow, its output in files, its liveness a switch.
function follow(dir: string, query: Partial<LogQuery> = {}, now?: () => number) {
  const fds = [openSync(`${dir}.out`, "w"), openSync(`${dir}.err`, "w")] as const;
  let running = true;
  let checks = 0;
  const done = readLogs(dir, { follow: true, timestamps: false, ...query }, { stdout: fds[0], stderr: fds[1], pollMs: 5, now, alive: () => (checks++, running) }).finally(() => fds.forEach((fd) => closeSync(fd)));
  return {
    done,
    stdout: () => readFileSync(`${dir}.out`, "latin1"),
    stderr: () => readFileSync(`${dir}.err`, "latin1"),
    // Two more looks at the files: what was written before is surely read.
    settle: async () => {
      const seen = checks;
      await until("two polls", () => checks >= seen + 2);
    },
    stop: () => {
      running = false;
      return done;
    },
  };
}

test("-f prints what is appended, a line written in pieces once, and ends when the container stops", async () => {
  const dir = logDir();
  writeFileSync(`${dir}/log`, Buffer.concat([out(0, "one"), err(1, "e1")]));
  const f = follow(dir, { tail: 1 });
  await until("the tail", () => f.stderr() === "e1\n");
  expect(f.stdout()).toBe("");
  appendFileSync(`${dir}/log`, out(2, "two"));
  await until("two", () => f.stdout() === "two\n");
  // A torn write is waited out: the entry arrives in two writes.
  const three = out(3, "three");
  appendFileSync(`${dir}/log`, three.subarray(0, 20));
  await f.settle();
  appendFileSync(`${dir}/log`, Buffer.concat([three.subarray(20), out(4, "fo", "P")]));
  await until("three", () => f.stdout() === "two\nthree\nfo");
  appendFileSync(`${dir}/log`, Buffer.concat([err(5, "e2"), out(6, "ur")]));
  await f.stop();
  expect(f.stdout()).toBe("two\nthree\nfour\n");
  expect(f.stderr()).toBe("e1\ne2\n");
});

test("-f goes on through rotations, one or several between two looks, with nothing lost or repeated", async () => {
  const dir = logDir();
  writeFileSync(`${dir}/log`, out(0, "a"));
  const f = follow(dir);
  await until("a", () => f.stdout() === "a\n");
  // A rotation, as the writer does it: older ones up a number, then log, then a new log.
  const rotate = (next: Buffer) => {
    for (let i = 4; i >= 1; i--) if (existsSync(`${dir}/log.${i}`)) renameSync(`${dir}/log.${i}`, `${dir}/log.${i + 1}`);
    renameSync(`${dir}/log`, `${dir}/log.1`);
    writeFileSync(`${dir}/log`, next);
  };
  appendFileSync(`${dir}/log`, out(1, "b", "P")); // a line that goes on in the next file
  rotate(out(2, "c"));
  await until("bc", () => f.stdout() === "a\nbc\n");
  // Caught mid-rotation: no log for a while.
  appendFileSync(`${dir}/log`, out(3, "d"));
  renameSync(`${dir}/log.1`, `${dir}/log.2`);
  renameSync(`${dir}/log`, `${dir}/log.1`);
  await f.settle();
  writeFileSync(`${dir}/log`, err(4, "e"));
  await until("e", () => f.stderr() === "e\n");
  expect(f.stdout()).toBe("a\nbc\nd\n");
  // Three rotations while the follower sleeps: appended to, then rotated.
  appendFileSync(`${dir}/log`, err(5, "f"));
  rotate(err(6, "g"));
  rotate(err(7, "h"));
  rotate(err(8, "i"));
  appendFileSync(`${dir}/log`, err(9, "j"));
  await until("j", () => f.stderr().endsWith("j\n"));
  expect(f.stderr()).toBe("e\nf\ng\nh\ni\nj\n");
  // Truncated in place: what it holds from then on is new.
  await f.settle();
  truncateSync(`${dir}/log`, 0);
  await f.settle();
  appendFileSync(`${dir}/log`, out(10, "k"));
  await f.stop();
  expect(f.stdout()).toBe("a\nbc\nd\nk\n");
  expect(f.stderr()).toBe("e\nf\ng\nh\ni\nj\n");
});

test("-f with --until stops once the clock passes it, the container still running", async () => {
  const dir = logDir();
  writeFileSync(`${dir}/log`, Buffer.concat([out(0, "before"), out(5, "after")]));
  let clock = Number(T0 / 1_000_000n);
  const f = follow(dir, { until: at(5) }, () => clock);
  await f.settle();
  expect(f.stdout()).toBe("before\n");
  clock += 5000;
  await f.done;
  expect(f.stdout()).toBe("before\n");
});

test("a reader that went away ends the output quietly; no log at all is an error with the path", async () => {
  const dir = logDir();
  writeFileSync(`${dir}/log`, Buffer.concat(Array.from({ length: 5000 }, (_, i) => out(i, "x".repeat(100)))));
  const fifo = `${dir}/fifo`;
  expect(Bun.spawnSync(["mkfifo", fifo]).exitCode).toBe(0);
  const reader = openSync(fifo, "r+"); // r+ opens a FIFO without waiting for a writer
  const writer = openSync(fifo, "w");
  closeSync(reader);
  await readLogs(dir, { follow: false, timestamps: false }, { stdout: writer, stderr: writer, alive: () => false });
  closeSync(writer);
  const empty = logDir();
  const error = await readLogs(empty, { follow: false, timestamps: false }, { stdout: 1, stderr: 2, alive: () => false }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ContainError);
  expect((error as ContainError).message).toBe(`no log in ${empty}`);
});
