// `contain attach`: a detached container's output, and its terminal (run
// -dit) whose pty master its monitor (ffi/monitor.c) holds, served on
// attach.sock in the state directory. Both ways go frames: a type byte, a
// u16 length (little endian), the bytes. A client writes 'i' (input) and 'w'
// (the window's rows and cols), and reads 'o' (stdout, or the pty) and 'e'
// (stderr); several may be attached at once.
import { closeSync, constants, openSync } from "node:fs";
import { sendConsole } from "../linux/console.ts";

export const ATTACH_SOCKET = "attach.sock";
const O_PATH = 0o10000000;
const O_CLOEXEC = 0o2000000;
const FRAME_MAX = 4096;

// sun_path holds 108 bytes and a state root may be longer: the socket is
// reached through a descriptor of its directory, /proc/self/fd/N/.
function openDir(dir: string): number {
  return openSync(dir, O_PATH | constants.O_DIRECTORY | O_CLOEXEC);
}

// `run -dit`: the master, from the init, to the monitor that will hold it.
export function handOverTerminal(dir: string, master: number): void {
  const fd = openDir(dir);
  try {
    sendConsole(`/proc/self/fd/${fd}/${ATTACH_SOCKET}`, master);
  } finally {
    closeSync(fd);
  }
}

export function frames(type: "i" | "w", payload: Uint8Array): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at === 0 || at < payload.length; at += FRAME_MAX) {
    const part = payload.subarray(at, at + FRAME_MAX);
    const f = Buffer.alloc(3 + part.length);
    f[0] = type.charCodeAt(0);
    f.writeUInt16LE(part.length, 1);
    f.set(part, 3);
    out.push(f);
  }
  return out;
}

export function sizeFrame(rows: number, cols: number): Buffer {
  const size = Buffer.alloc(4);
  size.writeUInt16LE(rows, 0);
  size.writeUInt16LE(cols, 2);
  return frames("w", size)[0] as Buffer;
}

export interface Attachment {
  send(frame: Buffer): void;
  close(): void;
  closed: Promise<void>; // the monitor let go: the container has ended
}

// Frames out of a byte stream that may split or join them.
export class FrameReader {
  private pending: Buffer = Buffer.alloc(0);
  constructor(private readonly onFrame: (type: string, data: Buffer) => void) {}

  push(chunk: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (this.pending.length >= 3) {
      const len = this.pending.readUInt16LE(1);
      if (this.pending.length < 3 + len) break;
      this.onFrame(String.fromCharCode(this.pending[0] ?? 0), this.pending.subarray(3, 3 + len));
      this.pending = this.pending.subarray(3 + len);
    }
  }
}

// Connects to the container; `output` gets what it prints, by stream.
export function attachTo(dir: string, output: (stream: "stdout" | "stderr", data: Buffer) => void): Promise<Attachment> {
  const fd = openDir(dir);
  const reader = new FrameReader((type, data) => output(type === "e" ? "stderr" : "stdout", data));
  return new Promise((resolve, reject) => {
    // Required, not imported: the bundle would load node:net at every start (see image/registry.ts).
    const { connect } = require("node:net") as typeof import("node:net");
    const socket = connect({ path: `/proc/self/fd/${fd}/${ATTACH_SOCKET}` });
    const closed = new Promise<void>((done) => socket.once("close", () => done()));
    void closed.then(() => closeSync(fd));
    socket.once("error", reject);
    socket.on("data", (chunk: Buffer) => reader.push(chunk));
    socket.once("connect", () => {
      socket.off("error", reject);
      socket.on("error", () => {});
      resolve({ send: (f) => void socket.write(f), close: () => socket.destroy(), closed });
    });
  });
}
