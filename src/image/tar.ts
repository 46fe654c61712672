// Tar archives (POSIX.1-2001 pax, ustar, and GNU's long names), read as a
// stream and written for image layers and `contain save`.
//
// The reader is a push parser (TarParser): fed chunks as they arrive, it
// hands each entry's header and then its data, as views of those chunks, to
// a handler, so a layer of any size passes through in flat memory and the
// unpacker can write each piece the moment it comes. readTar is the same as
// an async iterator of entries. Formats, from man 5 tar and the pax
// definition in POSIX (XCU pax, "pax Interchange Format"):
//   - a header is one 512-byte block; data follows, padded to 512;
//   - ustar ("ustar\0" "00") splits a long name into prefix/name;
//   - GNU ("ustar  \0") has an 'L' (long name) or 'K' (long link) entry
//     before the one it names, and base-256 numbers (top bit set) where
//     octal does not fit;
//   - pax has an 'x' entry of "LEN key=value\n" records for the next entry
//     and 'g' for all that follow: path, linkpath, size, uid, gid, uname,
//     gname, mtime, atime, and SCHILY.xattr.NAME (the xattrs GNU tar, bsdtar
//     and Go's archive/tar write; values are raw bytes, security.capability
//     is binary);
//   - the archive ends at a zero block (two, by the standard; what follows
//     the first is not read).
import { ContainError } from "../errors.ts";
import { iterate, streamFrom, type ByteSource } from "./compression.ts";

export type TarEntryType = "file" | "dir" | "symlink" | "link" | "char" | "block" | "fifo";

export interface TarHeader {
  path: string; // as the archive names it (long names and pax applied), not normalized
  type: TarEntryType | "unsupported";
  typeflag: string; // the header's own type byte: "0", "5", "S", ...
  reason?: string; // an unsupported entry: what it is
  mode: number; // permission bits with setuid, setgid and sticky (07777)
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  size: number; // bytes of data that follow the header
  mtime: number; // seconds since the epoch (a pax fraction kept)
  mtimeNs: bigint; // the same, exact
  atimeNs?: bigint; // from pax, when the archive has it
  linkpath: string; // a symlink's target as written; a hard link's target path
  devmajor: number;
  devminor: number;
  xattrs: Record<string, Uint8Array>; // from pax SCHILY.xattr.*
  pax: Record<string, string>; // the other pax records that applied (global first)
}

export interface TarHandler {
  entry(header: TarHeader): void;
  // The entry's data, in pieces that are views of the pushed chunks.
  data(chunk: Uint8Array): void;
  // After the last piece (at once for an entry without data).
  end(): void;
}

const BLOCK = 512;
// Go's archive/tar limit on a pax or GNU long-name entry, here on all of
// those before one entry and on all global ones: a hostile archive cannot
// make the reader hold unbounded records.
const MAX_META = 1 << 20;
const XATTR = "SCHILY.xattr.";

const TYPES: Record<string, TarEntryType> = {
  "0": "file",
  "\0": "file",
  "7": "file", // contiguous file: a regular file (POSIX)
  "1": "link",
  "2": "symlink",
  "3": "char",
  "4": "block",
  "5": "dir",
  "6": "fifo",
};

const UNSUPPORTED: Record<string, string> = {
  S: "a GNU sparse file",
  D: "a GNU dump directory listing",
  M: "a GNU multi-volume continuation",
  V: "a GNU volume label",
  N: "an old GNU long-name record",
};

const decoder = new TextDecoder();

// A NUL-terminated text field.
function text(block: Uint8Array, at: number, length: number): string {
  let end = at;
  while (end < at + length && block[end] !== 0) end++;
  return end === at ? "" : decoder.decode(block.subarray(at, end));
}

// An octal field (spaces or NULs around it), or GNU's base-256: the top bit
// of the first byte set, the rest a big-endian two's complement number.
function parseNumber(block: Uint8Array, at: number, length: number, field: string, offset: number): number {
  const first = block[at] ?? 0;
  if (first & 0x80) {
    let v = BigInt(first & 0x7f);
    for (let i = 1; i < length; i++) v = (v << 8n) | BigInt(block[at + i] ?? 0);
    if (first & 0x40) v -= 1n << BigInt(length * 8 - 1); // negative
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) throw formatError(`the ${field} field is out of range`, offset);
    return Number(v);
  }
  let i = at;
  const end = at + length;
  while (i < end && (block[i] === 0x20 || block[i] === 0)) i++;
  let v = 0;
  for (; i < end; i++) {
    const c = block[i] ?? 0;
    if (c === 0x20 || c === 0) break;
    if (c < 0x30 || c > 0x37) throw formatError(`the ${field} field is not an octal number`, offset);
    v = v * 8 + (c - 0x30);
  }
  return v;
}

function formatError(what: string, offset: number): ContainError {
  return new ContainError(`not a tar archive, or a damaged one: ${what} (the header at byte ${offset})`, "check that the file is a tar archive (tar -tvf FILE lists it), or download it again");
}

// The sum of the header's bytes with the checksum field as spaces; some old
// writers summed signed chars, which is also accepted (as GNU tar and Go do).
function checksumOk(block: Uint8Array): boolean {
  const want = parseNumber(block, 148, 8, "checksum", 0);
  let sum = 8 * 0x20;
  let high = 0; // bytes above 127, for the signed sum
  for (let i = 0; i < BLOCK; i++) {
    if (i === 148) i = 156;
    const b = block[i] as number;
    sum += b;
    if (b > 127) high++;
  }
  return want === sum || want === sum - 256 * high;
}

function isZero(block: Uint8Array): boolean {
  for (let i = 0; i < BLOCK; i++) if (block[i] !== 0) return false;
  return true;
}

// "SECONDS[.FRACTION]" of a pax time, as nanoseconds.
function paxTime(value: string): bigint | undefined {
  const m = /^(-?)(\d+)(?:\.(\d*))?$/.exec(value);
  if (!m) return undefined;
  const ns = BigInt(m[2] ?? "0") * 1_000_000_000n + BigInt((m[3] ?? "").slice(0, 9).padEnd(9, "0"));
  return m[1] ? -ns : ns;
}

// pax records: "LEN key=value\n", LEN counting the whole record. Values
// are bytes (an xattr's may hold anything, newlines too): kept raw.
function paxRecords(body: Uint8Array, offset: number): Map<string, Uint8Array> {
  const records = new Map<string, Uint8Array>();
  for (let at = 0; at < body.length; ) {
    if (body[at] === 0) break; // NUL padding some writers leave
    let space = at;
    while (space < body.length && body[space] !== 0x20) space++;
    const length = Number(decoder.decode(body.subarray(at, space)));
    const record = body.subarray(at, at + length);
    const eq = record.indexOf(0x3d, space - at);
    if (!Number.isInteger(length) || length <= space - at || at + length > body.length || record[length - 1] !== 0x0a || eq < 0)
      throw formatError("a pax record is malformed", offset);
    records.set(decoder.decode(record.subarray(space - at + 1, eq)), record.subarray(eq + 1, length - 1));
    at += length;
  }
  return records;
}

// What the pax records and GNU long names ahead of an entry say about it.
interface Overrides {
  pax: Map<string, Uint8Array>;
  longName?: string;
  longLink?: string;
}

function parseHeader(block: Uint8Array, offset: number, global: Map<string, Uint8Array>, over: Overrides): TarHeader {
  const num = (at: number, length: number, field: string) => parseNumber(block, at, length, field, offset);
  const magic = text(block, 257, 6);
  const version = text(block, 263, 2);
  const typeflag = String.fromCharCode(block[156] ?? 0);
  // Only POSIX ustar has a prefix field; GNU keeps other things there.
  const prefix = magic === "ustar" && version === "00" ? text(block, 345, 155) : "";
  const name = text(block, 0, 100);
  const h: TarHeader = {
    path: prefix ? `${prefix}/${name}` : name,
    type: TYPES[typeflag] ?? "unsupported",
    typeflag,
    mode: num(100, 8, "mode") & 0o7777,
    uid: num(108, 8, "uid"),
    gid: num(116, 8, "gid"),
    uname: text(block, 265, 32),
    gname: text(block, 297, 32),
    size: num(124, 12, "size"),
    mtime: 0,
    mtimeNs: BigInt(num(136, 12, "mtime")) * 1_000_000_000n,
    linkpath: text(block, 157, 100),
    devmajor: num(329, 8, "devmajor"),
    devminor: num(337, 8, "devminor"),
    xattrs: {},
    pax: {},
  };
  if (over.longName !== undefined) h.path = over.longName;
  if (over.longLink !== undefined) h.linkpath = over.longLink;
  // An entry's record overrides a global one; an empty value undoes it.
  const records = over.pax.size ? new Map([...global, ...over.pax]) : global;
  for (const [key, raw] of records) {
    if (raw.length === 0) continue;
    if (key.startsWith(XATTR)) {
      h.xattrs[key.slice(XATTR.length)] = raw;
      continue;
    }
    const value = decoder.decode(raw);
    h.pax[key] = value;
    const int = () => {
      const n = Number(value);
      if (!Number.isSafeInteger(n) || n < 0) throw formatError(`the pax record ${key}=${value} is not a number`, offset);
      return n;
    };
    if (key === "path") h.path = value;
    else if (key === "linkpath") h.linkpath = value;
    else if (key === "size") h.size = int();
    else if (key === "uid") h.uid = int();
    else if (key === "gid") h.gid = int();
    else if (key === "uname") h.uname = value;
    else if (key === "gname") h.gname = value;
    else if (key === "mtime" || key === "atime") {
      const ns = paxTime(value);
      if (ns === undefined) throw formatError(`the pax record ${key}=${value} is not a time`, offset);
      if (key === "mtime") h.mtimeNs = ns;
      else h.atimeNs = ns;
    } else if (key.startsWith("GNU.sparse.")) {
      h.type = "unsupported";
      h.reason = UNSUPPORTED.S;
    }
  }
  h.mtime = Number(h.mtimeNs / 1_000_000_000n) + Number(h.mtimeNs % 1_000_000_000n) / 1e9;
  // Old archives mark a directory by a trailing slash on a plain file (Go's rule).
  if (typeflag === "\0" && h.path.endsWith("/")) h.type = "dir";
  if (h.type === "unsupported") h.reason ??= UNSUPPORTED[typeflag] ?? `an entry of unknown type ${JSON.stringify(typeflag)}`;
  return h;
}

type State = "header" | "data" | "meta" | "pad" | "end";

export class TarParser {
  private state: State = "header";
  private readonly block = new Uint8Array(BLOCK);
  private filled = 0; // bytes of a header split across chunks
  private left = 0; // data or meta bytes still to come
  private pad = 0;
  private offset = 0; // bytes of the archive consumed
  private headerAt = 0;
  private metaType = "";
  private meta = new Uint8Array(0);
  private metaFilled = 0;
  private readonly global = new Map<string, Uint8Array>();
  private over: Overrides = { pax: new Map() };
  private pendingBytes = 0;
  private globalBytes = 0;

  constructor(private readonly handler: TarHandler) {}

  // The end-of-archive block has been read: what follows is not parsed.
  get done(): boolean {
    return this.state === "end";
  }

  push(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length && this.state !== "end") {
      const avail = chunk.length - i;
      if (this.state === "header") {
        let block: Uint8Array;
        if (this.filled === 0 && avail >= BLOCK) {
          block = chunk.subarray(i, i + BLOCK);
          i += BLOCK;
        } else {
          const n = Math.min(BLOCK - this.filled, avail);
          this.block.set(chunk.subarray(i, i + n), this.filled);
          this.filled += n;
          i += n;
          if (this.filled < BLOCK) break;
          this.filled = 0;
          block = this.block;
        }
        this.headerAt = this.offset;
        this.offset += BLOCK;
        this.header(block);
      } else if (this.state === "data") {
        const n = Math.min(this.left, avail);
        this.handler.data(chunk.subarray(i, i + n));
        i += n;
        this.offset += n;
        this.left -= n;
        if (this.left === 0) this.endEntry();
      } else if (this.state === "meta") {
        const n = Math.min(this.left, avail);
        this.meta.set(chunk.subarray(i, i + n), this.metaFilled);
        this.metaFilled += n;
        i += n;
        this.offset += n;
        this.left -= n;
        if (this.left === 0) this.endMeta();
      } else {
        const n = Math.min(this.pad, avail);
        i += n;
        this.offset += n;
        this.pad -= n;
        if (this.pad === 0) this.state = "header";
      }
    }
  }

  // The input has ended: anything but a header boundary is a cut archive.
  finish(): void {
    if (this.state === "end" || (this.state === "header" && this.filled === 0 && !this.metaType)) return;
    throw new ContainError(`the tar archive ends in the middle of an entry (after ${this.offset} bytes)`, "the download or file is cut short: fetch it again");
  }

  private header(block: Uint8Array): void {
    if (isZero(block)) {
      this.state = "end";
      return;
    }
    if (!checksumOk(block)) throw formatError("the header checksum does not match", this.headerAt);
    const typeflag = String.fromCharCode(block[156] ?? 0);
    const size = parseNumber(block, 124, 12, "size", this.headerAt);
    this.pad = (BLOCK - (size % BLOCK)) % BLOCK;
    if (typeflag === "x" || typeflag === "g" || typeflag === "L" || typeflag === "K") {
      const held = typeflag === "g" ? (this.globalBytes += size) : (this.pendingBytes += size);
      if (held > MAX_META) throw formatError(`${typeflag === "g" ? "global pax records" : "the pax and long-name records of one entry"} exceed ${MAX_META} bytes`, this.headerAt);
      this.metaType = typeflag;
      this.meta = new Uint8Array(size);
      this.metaFilled = 0;
      this.left = size;
      if (size === 0) this.endMeta();
      else this.state = "meta";
      return;
    }
    const h = parseHeader(block, this.headerAt, this.global, this.over);
    this.over = { pax: new Map() };
    this.pendingBytes = 0;
    this.metaType = "";
    this.pad = (BLOCK - (h.size % BLOCK)) % BLOCK; // a pax size overrides the header's
    this.left = h.size;
    this.handler.entry(h);
    if (h.size === 0) this.endEntry();
    else this.state = "data";
  }

  private endEntry(): void {
    this.handler.end();
    this.state = this.pad ? "pad" : "header";
  }

  private endMeta(): void {
    const body = this.meta;
    if (this.metaType === "L") this.over.longName = text(body, 0, body.length);
    else if (this.metaType === "K") this.over.longLink = text(body, 0, body.length);
    else {
      const records = paxRecords(body, this.headerAt);
      // A global record's path, linkpath or size names no single entry.
      if (this.metaType === "g") for (const [k, v] of records) if (k !== "path" && k !== "linkpath" && k !== "size") this.global.set(k, v);
      if (this.metaType === "x") for (const [k, v] of records) this.over.pax.set(k, v);
    }
    this.meta = new Uint8Array(0);
    this.state = this.pad ? "pad" : "header";
  }
}

export interface TarEntry extends TarHeader {
  // The entry's data as it is read; what is not read is skipped when the
  // next entry is asked for. The pieces are views: copy what you keep.
  data(): AsyncIterable<Uint8Array>;
  bytes(): Promise<Uint8Array>;
}

type Event = { header: TarHeader } | { chunk: Uint8Array } | { end: true };

// The entries of a tar stream, one at a time. Stops reading at the end of
// the archive; the source is released (return()) when the iteration ends.
export async function* readTar(source: ByteSource): AsyncGenerator<TarEntry, void, undefined> {
  const events: Event[] = [];
  let next = 0;
  const parser = new TarParser({
    entry: (header) => events.push({ header }),
    data: (chunk) => events.push({ chunk }),
    end: () => events.push({ end: true }),
  });
  const it = iterate(source);
  let eof = false;
  const pull = async (): Promise<Event | undefined> => {
    while (next === events.length) {
      events.length = next = 0;
      if (eof || parser.done) return undefined;
      const r = await it.next();
      if (r.done) {
        eof = true;
        parser.finish();
      } else parser.push(r.value);
    }
    return events[next++];
  };
  let current = 0; // which entry's data may be read
  let open = false; // its data not read to the end yet
  try {
    for (let ev = await pull(); ev; ev = await pull()) {
      if (!("header" in ev)) continue;
      const id = ++current;
      open = true;
      async function* data(): AsyncGenerator<Uint8Array> {
        while (open && id === current) {
          const e = await pull();
          if (!e || "end" in e) open = false;
          else if ("chunk" in e) yield e.chunk;
        }
      }
      const entry: TarEntry = {
        ...ev.header,
        data,
        bytes: async () => {
          const parts: Uint8Array[] = [];
          for await (const c of data()) parts.push(c);
          return Buffer.concat(parts);
        },
      };
      yield entry;
      while (open) {
        const e = await pull();
        if (!e || "end" in e) open = false;
      }
    }
  } finally {
    current = -1;
    await it.return?.();
  }
}

// --- writing

export interface TarEntryInput {
  path: string;
  type?: TarEntryType; // "file" when left out
  data?: string | Uint8Array; // a file's content
  mode?: number; // 0644 for files, 0755 for directories, 0777 for symlinks
  uid?: number;
  gid?: number;
  uname?: string;
  gname?: string;
  mtime?: number; // seconds since the epoch (a fraction goes in pax); 0 when left out, for reproducible archives
  linkpath?: string; // a symlink's target; a hard link's target path
  devmajor?: number;
  devminor?: number;
  xattrs?: Record<string, string | Uint8Array>;
  pax?: Record<string, string>; // further pax records
}

export interface TarStreamInput extends Omit<TarEntryInput, "data"> {
  data?: string | Uint8Array | AsyncIterable<Uint8Array>;
  size?: number; // the length of a streamed `data`
}

const encoder = new TextEncoder();
const TYPEFLAG: Record<TarEntryType, string> = { file: "0", link: "1", symlink: "2", char: "3", block: "4", dir: "5", fifo: "6" };

function putText(block: Uint8Array, at: number, length: number, bytes: Uint8Array): void {
  block.set(bytes.subarray(0, length), at);
}

// Octal with a NUL when it fits, else false (the caller uses pax or base-256).
function putOctal(block: Uint8Array, at: number, length: number, value: number): boolean {
  if (!Number.isSafeInteger(value) || value < 0 || value >= 8 ** (length - 1)) return false;
  block.set(encoder.encode(value.toString(8).padStart(length - 1, "0")), at);
  block[at + length - 1] = 0;
  return true;
}

function putBase256(block: Uint8Array, at: number, length: number, value: number): void {
  let v = BigInt(value);
  for (let i = length - 1; i > 0; i--, v >>= 8n) block[at + i] = Number(v & 0xffn);
  block[at] = 0x80;
}

function paxRecord(key: string, value: Uint8Array): Uint8Array {
  const rest = encoder.encode(` ${key}=`).length + value.length + 1;
  let length = rest + 1;
  while (String(length).length + rest !== length) length = String(length).length + rest;
  return Buffer.concat([encoder.encode(`${length} ${key}=`), value, encoder.encode("\n")]);
}

function formatTime(seconds: number): string {
  return Number.isInteger(seconds) ? String(seconds) : seconds.toFixed(9).replace(/0+$/, "");
}

// name/prefix for a ustar header: the name alone, or split at a slash so
// that the prefix holds at most 155 bytes and the name 100.
function splitName(path: Uint8Array): { name: Uint8Array; prefix: Uint8Array } | undefined {
  if (path.length <= 100) return { name: path, prefix: new Uint8Array(0) };
  for (let i = Math.min(path.length - 2, 155); i > 0; i--) {
    if (path[i] === 0x2f && path.length - i - 1 <= 100) return { prefix: path.subarray(0, i), name: path.subarray(i + 1) };
  }
  return undefined;
}

function ustarBlock(fields: { name: Uint8Array; prefix: Uint8Array; typeflag: string; mode: number; uid: number; gid: number; size: number; mtime: number; linkpath: Uint8Array; uname: string; gname: string; devmajor: number; devminor: number }): Uint8Array {
  const b = new Uint8Array(BLOCK);
  putText(b, 0, 100, fields.name);
  putOctal(b, 100, 8, fields.mode);
  // What does not fit is in the pax records; the field says 0.
  for (const [at, length, value] of [[108, 8, fields.uid], [116, 8, fields.gid], [124, 12, fields.size], [136, 12, Math.trunc(fields.mtime)]] as const)
    if (!putOctal(b, at, length, value)) putOctal(b, at, length, 0);
  b[156] = fields.typeflag.charCodeAt(0);
  putText(b, 157, 100, fields.linkpath);
  b.set(encoder.encode("ustar\x0000"), 257);
  putText(b, 265, 32, encoder.encode(fields.uname));
  putText(b, 297, 32, encoder.encode(fields.gname));
  if (!putOctal(b, 329, 8, fields.devmajor)) putBase256(b, 329, 8, fields.devmajor);
  if (!putOctal(b, 337, 8, fields.devminor)) putBase256(b, 337, 8, fields.devminor);
  putText(b, 345, 155, fields.prefix);
  b.fill(0x20, 148, 156);
  const sum = b.reduce((s, x) => s + x, 0);
  b.set(encoder.encode(`${sum.toString(8).padStart(6, "0")}\0 `), 148);
  return b;
}

// The zeros that pad `size` bytes of data to a whole block.
export function tarPadding(size: number): Uint8Array {
  return new Uint8Array((BLOCK - (size % BLOCK)) % BLOCK);
}

// The end of an archive: two zero blocks.
export function tarEnd(): Uint8Array {
  return new Uint8Array(2 * BLOCK);
}

// The header of an entry with `size` bytes of data: a pax entry first when
// ustar cannot hold it all (a long name or link, a large number, a fraction
// of a second, xattrs), then the ustar block.
export function tarHeader(entry: Omit<TarEntryInput, "data">, size: number): Uint8Array {
  const type = entry.type ?? "file";
  if (!entry.path) throw new ContainError("a tar entry needs a path");
  if (entry.path.includes("\0") || entry.linkpath?.includes("\0")) throw new ContainError(`tar entry ${JSON.stringify(entry.path)}: a name holds a NUL byte`);
  if ((type === "symlink" || type === "link") && !entry.linkpath) throw new ContainError(`tar entry ${entry.path}: a ${type} needs a linkpath`);
  const path = type === "dir" && !entry.path.endsWith("/") ? `${entry.path}/` : entry.path;
  const records: Uint8Array[] = [];
  const pax = (key: string, value: string | Uint8Array) => records.push(paxRecord(key, typeof value === "string" ? encoder.encode(value) : value));
  const pathBytes = encoder.encode(path);
  const split = splitName(pathBytes);
  if (!split) pax("path", path);
  const linkBytes = encoder.encode(entry.linkpath ?? "");
  if (linkBytes.length > 100) pax("linkpath", entry.linkpath ?? "");
  const mode = entry.mode ?? (type === "dir" ? 0o755 : type === "symlink" ? 0o777 : 0o644);
  const uid = entry.uid ?? 0;
  const gid = entry.gid ?? 0;
  const mtime = entry.mtime ?? 0;
  const probe = new Uint8Array(12);
  if (!putOctal(probe, 0, 8, uid)) pax("uid", String(uid));
  if (!putOctal(probe, 0, 8, gid)) pax("gid", String(gid));
  if (!putOctal(probe, 0, 12, size)) pax("size", String(size));
  if (!Number.isInteger(mtime) || !putOctal(probe, 0, 12, mtime)) pax("mtime", formatTime(mtime));
  for (const [key, value] of [["uname", entry.uname ?? ""], ["gname", entry.gname ?? ""]] as const) if (encoder.encode(value).length > 32) pax(key, value);
  for (const [key, value] of Object.entries(entry.xattrs ?? {})) pax(`${XATTR}${key}`, value);
  for (const [key, value] of Object.entries(entry.pax ?? {})) pax(key, value);
  const ustar = ustarBlock({
    ...(split ?? { name: pathBytes.subarray(0, 100), prefix: new Uint8Array(0) }),
    typeflag: TYPEFLAG[type],
    mode: mode & 0o7777,
    uid,
    gid,
    size,
    mtime: mtime < 0 ? 0 : mtime,
    linkpath: linkBytes,
    uname: entry.uname ?? "",
    gname: entry.gname ?? "",
    devmajor: entry.devmajor ?? 0,
    devminor: entry.devminor ?? 0,
  });
  if (!records.length) return ustar;
  const body = Buffer.concat(records);
  const base = path.replace(/\/+$/, "").split("/").pop() ?? "";
  const paxHeader = ustarBlock({ name: encoder.encode(`PaxHeader/${base}`).subarray(0, 100), prefix: new Uint8Array(0), typeflag: "x", mode: 0o644, uid: 0, gid: 0, size: body.length, mtime: 0, linkpath: new Uint8Array(0), uname: "", gname: "", devmajor: 0, devminor: 0 });
  return Buffer.concat([paxHeader, body, tarPadding(body.length), ustar]);
}

const dataOf = (data: string | Uint8Array | undefined) => (typeof data === "string" ? encoder.encode(data) : (data ?? new Uint8Array(0)));

// A whole archive in memory (tests, small archives).
export function tarBytes(entries: Iterable<TarEntryInput>): Uint8Array<ArrayBuffer> {
  const parts: Uint8Array[] = [];
  for (const entry of entries) {
    const data = dataOf(entry.data);
    parts.push(tarHeader(entry, data.length), data, tarPadding(data.length));
  }
  parts.push(tarEnd());
  return Buffer.concat(parts);
}

// An archive as chunks, each entry's streamed data passed through as it
// comes (a layer blob for `contain save`): flat memory for any size.
export async function* tarChunks(entries: Iterable<TarStreamInput> | AsyncIterable<TarStreamInput>): AsyncGenerator<Uint8Array> {
  for await (const entry of entries) {
    const { data } = entry;
    if (data === undefined || typeof data === "string" || data instanceof Uint8Array) {
      const bytes = dataOf(data);
      yield tarHeader(entry, bytes.length);
      if (bytes.length) yield bytes;
      yield tarPadding(bytes.length);
      continue;
    }
    const size = entry.size;
    if (size === undefined) throw new ContainError(`tar entry ${entry.path}: streamed data needs its size`);
    yield tarHeader(entry, size);
    let sent = 0;
    for await (const chunk of data) {
      sent += chunk.length;
      if (sent > size) throw new ContainError(`tar entry ${entry.path}: its data is longer than the ${size} bytes given`);
      yield chunk;
    }
    if (sent !== size) throw new ContainError(`tar entry ${entry.path}: its data ended after ${sent} of ${size} bytes`);
    yield tarPadding(size);
  }
  yield tarEnd();
}

export function tarStream(entries: Iterable<TarStreamInput> | AsyncIterable<TarStreamInput>): ReadableStream<Uint8Array> {
  return streamFrom(tarChunks(entries));
}
