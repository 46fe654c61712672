// A layer or archive's compression, told by its first bytes (as docker and
// containerd do, whatever the media type claims), and undone as a stream:
// Bun's DecompressionStream does gzip and zstd natively (an 80 MB layer in
// ~0.1 s, memory flat). xz and bzip2 have no stream decoder in Bun; rather
// than a dependency, a message that says how to convert the file.
import { closeSync, openSync, readSync } from "node:fs";
import { ContainError } from "../errors.ts";
import { fileError } from "../linux/file-error.ts";

export type Compression = "gzip" | "zstd" | "xz" | "bzip2" | "none";

const MAGIC: [Compression, number[]][] = [
  ["gzip", [0x1f, 0x8b]],
  ["zstd", [0x28, 0xb5, 0x2f, 0xfd]],
  ["xz", [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ["bzip2", [0x42, 0x5a, 0x68]], // "BZh"
];

// The longest magic: what detectCompression needs to see.
export const MAGIC_LENGTH = 6;

export function detectCompression(head: Uint8Array): Compression {
  for (const [name, magic] of MAGIC) if (head.length >= magic.length && magic.every((b, i) => head[i] === b)) return name;
  return "none";
}

// Bytes in pieces: a ReadableStream, an async generator, or an array of
// chunks already in memory.
export type ByteSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

export function iterate(source: ByteSource): AsyncIterator<Uint8Array> {
  if (Symbol.asyncIterator in source) return source[Symbol.asyncIterator]();
  return (async function* () {
    yield* source;
  })();
}

const FILE_CHUNK = 128 << 10;

// A file's bytes in pieces read as they are asked for, each a buffer of its
// own (a decompressor may still hold a piece it was handed). For a blob
// being unpacked: Bun.file().stream() reads 512 KiB pieces and ahead of
// its reader, which raised a pull's peak RSS by ~25 MB (test/bench/pull.ts)
// for no time gained. The file is closed when the reading stops.
export async function* fileChunks(path: string, size = FILE_CHUNK): AsyncGenerator<Uint8Array> {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (err) {
    throw fileError(err, "open", path);
  }
  try {
    for (;;) {
      const buf = Buffer.allocUnsafe(size);
      let n: number;
      try {
        n = readSync(fd, buf, 0, size, null);
      } catch (err) {
        throw fileError(err, "read", path);
      }
      if (n === 0) return;
      yield buf.subarray(0, n);
    }
  } finally {
    closeSync(fd);
  }
}

// A ReadableStream of an async iterable, pulled as it is read; a cancel
// returns the iterator (the download or file behind it is released).
export function streamFrom(chunks: ByteSource): ReadableStream<Uint8Array> {
  const it = iterate(chunks);
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const r = await it.next();
      if (r.done) controller.close();
      else controller.enqueue(r.value);
    },
    async cancel() {
      await it.return?.();
    },
  });
}

export interface Decompressed {
  compression: Compression;
  chunks: AsyncIterable<Uint8Array>; // the uncompressed bytes
}

// `source` uncompressed. `label` names it in errors (a layer's digest, a
// file). A failure of the source itself (a download cut) passes through as
// it is; a damaged stream is a ContainError naming the label.
export async function decompress(source: ByteSource, label: string): Promise<Decompressed> {
  const it = iterate(source);
  const head: Uint8Array[] = [];
  let seen = 0;
  while (seen < MAGIC_LENGTH) {
    const r = await it.next();
    if (r.done) break;
    head.push(r.value);
    seen += r.value.length;
  }
  const compression = detectCompression(head.length === 1 ? (head[0] as Uint8Array) : Buffer.concat(head));
  if (compression === "xz" || compression === "bzip2") {
    await it.return?.();
    const tool = compression === "xz" ? "xz -d" : "bzip2 -d";
    throw new ContainError(`${label} is ${compression}-compressed, which contain cannot decompress`, `decompress it first (${tool} FILE) and use the plain tar, or recompress it with gzip or zstd (what registries and docker use)`);
  }
  let sourceError: { error: unknown } | undefined;
  async function* whole(): AsyncGenerator<Uint8Array> {
    yield* head;
    try {
      for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
    } catch (error) {
      sourceError = { error };
      throw error;
    } finally {
      await it.return?.();
    }
  }
  if (compression === "none") return { compression, chunks: whole() };
  // (Typed as Uint8Array in, Uint8Array out: its writable takes any BufferSource.)
  const stream = streamFrom(whole()).pipeThrough(new DecompressionStream(compression) as unknown as ReadableWritablePair<Uint8Array, Uint8Array>);
  async function* chunks(): AsyncGenerator<Uint8Array> {
    try {
      yield* stream;
    } catch (err) {
      if (sourceError) throw sourceError.error;
      throw new ContainError(`${label}: the ${compression} data is damaged (${(err as Error).message})`, "download or export it again", undefined, { cause: err });
    }
  }
  return { compression, chunks: chunks() };
}
