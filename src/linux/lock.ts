// Advisory locks (man 2 flock). A lock lives as long as its open file
// description: the kernel drops it when the holder dies, however it dies, so a
// lock that can be taken marks state whose owner is gone.
import { closeSync, constants, openSync } from "node:fs";
import { sys } from "../ffi/index.ts";

const LOCK_SH = 1;
const LOCK_EX = 2;
const LOCK_NB = 4;
const EWOULDBLOCK = 11;
const O_CLOEXEC = 0o2000000;

export class FileLock implements Disposable {
  private constructor(readonly fd: number) {}

  // Takes the lock, waiting for it unless `wait` is false (then null if held).
  // A directory can be locked too (its fd opened read-only): nothing is created.
  // `shared`: many holders at once, none while an exclusive one holds it.
  static acquire(path: string, wait = true, directory = false, shared = false): FileLock | null {
    const fd = directory ? openSync(path, constants.O_RDONLY | constants.O_DIRECTORY | O_CLOEXEC) : openSync(path, constants.O_RDWR | constants.O_CREAT | O_CLOEXEC, 0o600);
    for (;;) {
      const r = sys("flock", fd, (shared ? LOCK_SH : LOCK_EX) | (wait ? 0 : LOCK_NB));
      if (r === 0) return new FileLock(fd);
      if (r === -4) continue; // EINTR
      closeSync(fd);
      if (r === -EWOULDBLOCK) return null;
      throw new Error(`flock ${path}: errno ${-r}`);
    }
  }

  private released = false;

  // Once: a second close could close another file that reused the fd.
  release(): void {
    if (this.released) return;
    this.released = true;
    closeSync(this.fd);
  }

  [Symbol.dispose](): void {
    this.release();
  }
}
