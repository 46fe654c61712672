// `contain logs`: a detached container's stdout and stderr, read back from its
// log. The monitor writes it in CRI's format (containerd's, what the kubelet
// reads), one entry a line:
//
//   2026-12-01T23:14:54.669794202Z stdout F hello world
//
// the time (RFC 3339 in UTC, always nine digits and Z, so that times compare
// as bytes), the stream, F (the entry ends a line, whose newline is not
// stored) or P (part of a line: the writer splits lines past 16 KiB, and a
// line still open when the container ends stays P), a space, the bytes.
// The files rotate as docker's `local` driver's: <dir>/log is being written,
// log.1 is the newest rotated one, log.(N-1) the oldest.
//
// No file is ever held whole: files are read 64 KiB at a time, forward to
// print and backward for --tail, and what is printed goes out 64 KiB at a time.
import { closeSync, fstatSync, openSync, readdirSync, readSync, statSync, writeSync } from "node:fs";
import { ContainError, SpecError } from "../errors.ts";
import { fileError } from "../linux/file-error.ts";
import { isRunning } from "../linux/process.ts";
import { LOG, type StateStore } from "./state.ts";
import { isActive, label, statusOf } from "./status.ts";

// A line of the file longer than a chunk (with its newline) is not an entry and
// is skipped: the writer's are at most 40 + 16 KiB + 1 bytes.
const CHUNK = 65536;

// ---- Entries

export type Stream = 0 | 1; // stdout, stderr: the index into the output fds

export interface Entry {
  stream: Stream;
  partial: boolean; // P: the line goes on in the stream's next entry
  stamp: Buffer; // the time and the space after it, as -t prints them
  message: Buffer;
}

const TIME_LEN = 30; // 2026-12-01T23:14:54.669794202Z
const TIME_SHAPE = "0000-00-00T00:00:00.000000000Z"; // 0: a digit
const HEADER_LEN = 40; // the time, " stdout F "
const STREAM_NAMES = [Buffer.from("stdout"), Buffer.from("stderr")];
const [SPACE, NL, F, P, DIGIT] = [0x20, 0x0a, 0x46, 0x50, 0x30];

// A line of the file as an entry, or null when it is none (a torn write, a
// file from before this format): checked byte by byte, since a 1 GB log has
// millions of them.
export function parseEntry(line: Buffer): Entry | null {
  if (line.length < HEADER_LEN) return null;
  for (let i = 0; i < TIME_LEN; i++) {
    const want = TIME_SHAPE.charCodeAt(i);
    const c = line[i] as number;
    if (want === DIGIT ? c < DIGIT || c > DIGIT + 9 : c !== want) return null;
  }
  if (line[30] !== SPACE || line[37] !== SPACE || line[39] !== SPACE) return null;
  const stream = line.compare(STREAM_NAMES[0] as Buffer, 0, 6, 31, 37) === 0 ? 0 : line.compare(STREAM_NAMES[1] as Buffer, 0, 6, 31, 37) === 0 ? 1 : -1;
  const tag = line[38];
  if (stream < 0 || (tag !== F && tag !== P)) return null;
  return { stream: stream as Stream, partial: tag === P, stamp: line.subarray(0, TIME_LEN + 1), message: line.subarray(HEADER_LEN) };
}

// ---- Times

// A time written as the entries write theirs: two compare as strings do.
export type LogTime = string;

const NS_PER_S = 1_000_000_000n;
const NS_PER_MS = 1_000_000n;
// The range four digits of year can write; anything outside is as good as its end.
const MAX_NS = 253402300799999999999n; // 9999-12-31T23:59:59.999999999Z

export function formatLogTime(ns: bigint): LogTime {
  const t = ns < 0n ? 0n : ns > MAX_NS ? MAX_NS : ns;
  const seconds = new Date(Number(t / NS_PER_S) * 1000).toISOString().slice(0, 19);
  return `${seconds}.${(t % NS_PER_S).toString().padStart(9, "0")}Z`;
}

// Go's time.ParseDuration, which docker reads --since and --until with.
const DURATION = /^[-+]?(?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/;
const DURATION_TERM = /(\d*)\.?(\d*)(ns|us|µs|μs|ms|s|m|h)/g;
const UNIT_NS: Record<string, bigint> = { ns: 1n, us: 1000n, "µs": 1000n, "μs": 1000n, ms: NS_PER_MS, s: NS_PER_S, m: 60n * NS_PER_S, h: 3600n * NS_PER_S };

function durationNs(text: string): bigint | undefined {
  if (!DURATION.test(text)) return undefined;
  let total = 0n;
  for (const [, whole = "", fraction = "", unit = ""] of text.matchAll(DURATION_TERM)) {
    const per = UNIT_NS[unit] as bigint;
    total += BigInt(whole || "0") * per + (fraction ? (BigInt(fraction) * per) / 10n ** BigInt(fraction.length) : 0n);
  }
  return text.startsWith("-") ? -total : total;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:Z|([+-])(\d{2}):(\d{2}))$/;

function rfc3339Ns(text: string): bigint | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const [offHours, offMinutes] = [Number(m[9] ?? 0), Number(m[10] ?? 0)];
  if (hour > 23 || minute > 59 || second > 59 || offHours > 23 || offMinutes > 59) return undefined;
  // setUTCFullYear, since Date.UTC reads years 0-99 as 1900-1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return undefined; // 2026-02-30
  const offset = BigInt((offHours * 3600 + offMinutes * 60) * (m[8] === "-" ? -1 : 1));
  const seconds = BigInt(date.getTime() / 1000 + hour * 3600 + minute * 60 + second) - offset;
  return seconds * NS_PER_S + BigInt((m[7] ?? "").padEnd(9, "0"));
}

const UNIX_TIME = /^(\d+)(?:\.(\d{1,9}))?$/;

function unixNs(text: string): bigint | undefined {
  const m = UNIX_TIME.exec(text);
  return m ? BigInt(m[1] as string) * NS_PER_S + BigInt((m[2] ?? "").padEnd(9, "0")) : undefined;
}

// --since and --until, in docker's forms: a duration back from `nowMs` (10m,
// 1h30m, -5s is in the future; "0" alone is the Unix time 0, as in docker),
// an RFC 3339 time (with or without a fraction, Z or an offset), or a Unix
// time in seconds (1733094894, 1733094894.123456789).
export function parseLogTime(flag: string, value: string, nowMs: number): LogTime {
  const ago = durationNs(value);
  if (ago !== undefined) return formatLogTime(BigInt(nowMs) * NS_PER_MS - ago);
  const ns = rfc3339Ns(value) ?? unixNs(value);
  if (ns === undefined)
    throw new SpecError(flag, `${JSON.stringify(value)} is not a time`, `give an RFC 3339 time (${flag} 2026-12-01T23:14:54Z), a Unix time (${flag} 1733094894) or a duration back from now (${flag} 10m)`);
  return formatLogTime(ns);
}

// ---- Files

interface LogFile {
  fd: number;
  ino: number;
  size: number; // when it was opened: final for a rotated file
  base: number; // where it starts in the log as one sequence: the sizes of the older files
}

// The fds held open, closed however the reading ends.
class OpenFds implements Disposable {
  private readonly fds = new Set<number>();

  // undefined: no such file (rotated away, or not yet made).
  open(path: string): number | undefined {
    let fd: number;
    try {
      fd = openSync(path, "r");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw fileError(err, "open the log", path);
    }
    this.fds.add(fd);
    return fd;
  }

  close(fd: number): void {
    this.fds.delete(fd);
    closeSync(fd);
  }

  [Symbol.dispose](): void {
    for (const fd of this.fds) closeSync(fd);
    this.fds.clear();
  }
}

function inodeOf(path: string): number | undefined {
  try {
    return statSync(path).ino;
  } catch {
    return undefined; // mid-rotation (log renamed, the new one not yet made), or removed
  }
}

// The log's files, oldest first. They are opened newest first: a rotation
// meanwhile moves every file one number up, so going up the numbers meets
// each file at least once (twice is told by the inode). A rotation that
// completed meanwhile (`log` is another file now) may have put a newer file
// behind us: then again.
function openFiles(dir: string, fds: OpenFds): LogFile[] {
  for (;;) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw fileError(err, "read the log directory", dir);
    }
    const highest = Math.max(0, ...names.map((n) => Number(/^log\.([1-9]\d*)$/.exec(n)?.[1] ?? 0)));
    const current = inodeOf(`${dir}/${LOG}`);
    const newestFirst: LogFile[] = [];
    // One past the highest listed: a rotation since the listing made it.
    for (let i = 0; i <= highest + 1; i++) {
      const fd = fds.open(i === 0 ? `${dir}/${LOG}` : `${dir}/${LOG}.${i}`);
      if (fd === undefined) continue;
      const { ino, size } = fstatSync(fd);
      if (newestFirst.some((f) => f.ino === ino)) fds.close(fd);
      else newestFirst.push({ fd, ino, size, base: 0 });
    }
    if (inodeOf(`${dir}/${LOG}`) === current) {
      let base = 0;
      return newestFirst.reverse().map((f) => {
        const file = { ...f, base };
        base += f.size;
        return file;
      });
    }
    for (const f of newestFirst) fds.close(f.fd);
  }
}

// ---- Reading lines

// The complete lines of a file from an offset, a chunk at a time. A line
// comes back as a view into the chunk, good until the next call.
class LineReader {
  private readonly buf = Buffer.alloc(CHUNK);
  private start = 0; // buf[start, end) has been read and not yet returned
  private end = 0;
  private skipping = false; // in a line longer than a chunk: dropped up to its newline

  constructor(
    readonly file: LogFile,
    private offset: number, // the file's offset of buf[start]
    private readonly limit = Number.POSITIVE_INFINITY, // read no further: the end it had when asked
  ) {}

  // How far the file has been read.
  get readTo(): number {
    return this.offset + this.end - this.start;
  }

  // null: the end of the file for now. The bytes of a line without its
  // newline stay for the next call: it may be being written.
  next(): { line: Buffer; at: number } | null {
    for (;;) {
      const nl = this.buf.subarray(this.start, this.end).indexOf(NL);
      if (nl >= 0) {
        const line = this.buf.subarray(this.start, this.start + nl);
        const at = this.offset;
        this.start += nl + 1;
        this.offset += nl + 1;
        if (!this.skipping) return { line, at };
        this.skipping = false;
        continue;
      }
      if (this.end - this.start === CHUNK) {
        this.offset += CHUNK;
        this.start = this.end = 0;
        this.skipping = true;
      } else if (this.start > 0) {
        this.buf.copyWithin(0, this.start, this.end);
        this.end -= this.start;
        this.start = 0;
      }
      const want = Math.min(CHUNK - this.end, this.limit - (this.offset + this.end));
      const n = want > 0 ? readSync(this.file.fd, this.buf, this.end, want, this.offset + this.end) : 0;
      if (n === 0) return null;
      this.end += n;
    }
  }
}

// The complete lines of a file's first `size` bytes, last first, with their
// offsets, until `visit` returns false (then so does this). The bytes after
// the last newline are no line: being written, or torn.
function visitBackward(fd: number, size: number, visit: (line: Buffer, at: number) => boolean): boolean {
  // A chunk, and behind it the start of a line whose end has been read (the
  // head: shorter than a chunk, or dropped).
  const buf = Buffer.alloc(2 * CHUNK);
  let headLen = 0;
  let pos = size; // the file's offset of buf[0]
  let torn = true; // the line being cut out is the bytes after the last newline
  let overlong = false; // ... or one whose end was dropped, longer than a chunk
  const take = (line: Buffer, at: number): boolean => {
    if (torn || overlong) {
      torn = overlong = false;
      return true;
    }
    return line.length >= CHUNK || visit(line, at);
  };
  while (pos > 0) {
    const len = Math.min(CHUNK, pos);
    pos -= len;
    buf.copyWithin(len, 0, headLen);
    // Zeros, no newline, where the file shrank meanwhile.
    buf.fill(0, readSync(fd, buf, 0, len, pos), len);
    const data = buf.subarray(0, len + headLen);
    let end = data.length;
    for (let nl = data.lastIndexOf(NL, end - 1); nl >= 0; nl = end > 0 ? data.lastIndexOf(NL, end - 1) : -1) {
      if (!take(data.subarray(nl + 1, end), pos + nl + 1)) return false;
      end = nl;
    }
    headLen = end;
    if (headLen >= CHUNK) {
      headLen = 0;
      overlong = !torn;
    }
  }
  return headLen === 0 || take(buf.subarray(0, headLen), 0);
}

// ---- --tail

// Where the last `n` lines start, for each stream, as positions in the log
// as one sequence (LogFile.base + the offset). Lines are counted as docker
// counts them, both streams together, and in the order they end: an F entry
// ends a line, and so does the log's end for a stream whose last entries are
// P. Going back from the end, each line's start is its stream's entry after
// the stream's F before it. A stream with none of the `n` lines starts after
// the last complete line, where -f goes on.
function tailFrom(files: LogFile[], n: number): [number, number] {
  let lastEnd: number | undefined;
  let count = 0;
  const seen = [false, false];
  const from: (number | undefined)[] = [undefined, undefined]; // the stream's earliest entry so far in its earliest line of the tail
  const settled = [false, false]; // ... and that entry starts the line
  const done = () => count >= n && [0, 1].every((s) => from[s] === undefined || settled[s]);
  for (let i = files.length - 1; i >= 0; i--) {
    const file = files[i] as LogFile;
    const more = visitBackward(file.fd, file.size, (line, at) => {
      lastEnd ??= file.base + at + line.length + 1;
      const e = parseEntry(line);
      if (e && !settled[e.stream]) {
        const s = e.stream;
        const ends = !e.partial || !seen[s];
        seen[s] = true;
        if (ends && count < n) {
          count++;
          from[s] = file.base + at;
        } else if (ends) settled[s] = from[s] !== undefined;
        else if (from[s] !== undefined) from[s] = file.base + at;
      }
      return !done();
    });
    if (!more) break;
  }
  const rest = lastEnd ?? (files[files.length - 1] as LogFile).base;
  return [from[0] ?? rest, from[1] ?? rest];
}

// ---- Output

// One buffer for both fds, emptied whenever the fd changes: when stdout and
// stderr are one terminal, the lines stay in the log's order.
class Output {
  private readonly buf = Buffer.alloc(CHUNK);
  private len = 0;
  private fd = -1;

  constructor(private readonly fds: readonly [number, number]) {}

  write(stream: Stream, bytes: Buffer): void {
    const fd = this.fds[stream];
    if (fd !== this.fd) {
      this.flush();
      this.fd = fd;
    }
    // An entry's message is shorter than a chunk, so it fits once flushed.
    if (this.len + bytes.length > CHUNK) this.flush();
    this.len += bytes.copy(this.buf, this.len);
  }

  flush(): void {
    if (this.len > 0) writeAll(this.fd, this.buf.subarray(0, this.len));
    this.len = 0;
  }
}

function writeAll(fd: number, bytes: Buffer): void {
  for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done);
}

// Entries to lines: P entries are joined with their stream's next ones (the
// streams interleave, each with its own open line), and F gets its newline
// back. A line is printed whole or not at all, by its first entry's time.
class Printer {
  private readonly open = [false, false]; // the stream's last entry was P
  private readonly shown = [false, false]; // the stream's current line is printed

  constructor(
    private readonly out: Output,
    private readonly query: LogQuery,
  ) {}

  entry(e: Entry): void {
    const s = e.stream;
    if (!this.open[s]) {
      const { since, until } = this.query;
      const time = since === undefined && until === undefined ? "" : e.stamp.toString("latin1", 0, TIME_LEN);
      this.shown[s] = (since === undefined || time >= since) && (until === undefined || time < until);
      if (this.shown[s] && this.query.timestamps) this.out.write(s, e.stamp);
    }
    if (this.shown[s]) {
      this.out.write(s, e.message);
      if (!e.partial) this.out.write(s, NEWLINE);
    }
    this.open[s] = e.partial;
  }
}

const NEWLINE = Buffer.from("\n");

// ---- Reading a log

export interface LogQuery {
  follow: boolean;
  timestamps: boolean; // -t
  tail?: number; // the last N lines; undefined: all
  since?: LogTime; // from parseLogTime: lines from then on
  until?: LogTime; // lines before then; with follow, until then
}

export interface LogIO {
  stdout: number; // the fds stdout's and stderr's lines go to
  stderr: number;
  alive: () => boolean; // with follow: is the container still writing?
  now?: () => number; // ms since the epoch, for --until with follow (Date.now)
  pollMs?: number; // how often follow looks for more (100)
}

const EVERYWHERE: readonly [number, number] = [0, 0];

// Prints the log in `dir` (log.(N-1) ... log.1, log) as `query` asks.
export async function readLogs(dir: string, query: LogQuery, io: LogIO): Promise<void> {
  using fds = new OpenFds();
  const files = openFiles(dir, fds);
  if (files.length === 0) throw new ContainError(`no log in ${dir}`, "the container was removed meanwhile");
  const out = new Output([io.stdout, io.stderr]);
  const printer = new Printer(out, query);
  const drain = (reader: LineReader, from = EVERYWHERE) => {
    for (let l = reader.next(); l; l = reader.next()) {
      const e = parseEntry(l.line);
      if (e && reader.file.base + l.at >= from[e.stream]) printer.entry(e);
    }
  };
  try {
    const from = query.tail === undefined ? EVERYWHERE : tailFrom(files, query.tail);
    const start = Math.min(...from);
    const first = files.findLastIndex((f) => f.base <= start);
    // Without -f, the log as it was when asked: a container that keeps
    // writing must not keep `logs` (or `logs --tail 1`) going.
    const limit = (f: LogFile) => (query.follow ? undefined : f.size);
    const firstFile = files[first] as LogFile;
    let reader = new LineReader(firstFile, start - firstFile.base, limit(firstFile));
    drain(reader, from);
    for (const file of files.slice(first + 1)) {
      reader = new LineReader(file, 0, limit(file));
      drain(reader, from);
    }
    out.flush();
    if (!query.follow) return;
    const now = io.now ?? Date.now;
    for (;;) {
      // Asked before reading: what a container wrote before it stopped is read after.
      const more = io.alive() && (query.until === undefined || formatLogTime(BigInt(now()) * NS_PER_MS) < query.until);
      reader = catchUp(dir, fds, reader, drain);
      out.flush();
      if (!more) return;
      await Bun.sleep(io.pollMs ?? 100);
    }
  } catch (err) {
    // The reader of a pipe has gone (logs | head): nothing more to say.
    if ((err as NodeJS.ErrnoException).code === "EPIPE") return;
    throw err;
  }
}

// With follow: reads what `log` got since; returns the reader to go on with.
function catchUp(dir: string, fds: OpenFds, reader: LineReader, drain: (r: LineReader) => void): LineReader {
  const current = inodeOf(`${dir}/${LOG}`);
  if (current === undefined || current === reader.file.ino) {
    // Truncated in place (copytruncate): what it holds now is new.
    const again = fstatSync(reader.file.fd).size < reader.readTo ? new LineReader(reader.file, 0) : reader;
    drain(again);
    return again;
  }
  // Rotated: the writer renamed it before it wrote to the new `log`, so it is
  // whole; the files after it follow, oldest first (all of them if it was
  // itself rotated away).
  drain(reader);
  const files = openFiles(dir, fds);
  const at = files.findIndex((f) => f.ino === reader.file.ino);
  for (const f of files.slice(0, at + 1)) fds.close(f.fd);
  const newer = files.slice(at + 1);
  if (newer.length === 0) return reader; // `log` was being rotated again: next time
  fds.close(reader.file.fd);
  let next = reader;
  for (const file of newer) {
    next = new LineReader(file, 0);
    drain(next);
  }
  return next;
}

export interface LogOptions extends LogQuery {
  stdout: number;
  stderr: number;
}

export async function showLogs(store: StateStore, ref: string, opts: LogOptions): Promise<void> {
  const { state } = store.find(ref);
  if (!state.detached || !state.dataDir) throw new ContainError(`container ${label(state)} runs in the foreground: its output goes to its terminal`, "run it with -d to keep a log");
  // Until the container stops and its monitor has written the last of its
  // output (it drains the pipes after the init's end), or its entry goes.
  const alive = () => {
    const current = store.read(state.id);
    const pumping = current?.monitor !== undefined && isRunning(current.monitor.pid, current.monitor.startTime);
    return current !== undefined && (isActive(statusOf(store, current)) || pumping);
  };
  await readLogs(state.dataDir, opts, { stdout: opts.stdout, stderr: opts.stderr, alive });
}
