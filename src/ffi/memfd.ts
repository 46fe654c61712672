// The embedded static programs (ffi/monitor.c, helper.c, init.c), each copied
// into a sealed close-on-exec memfd: a container that reaches one (as the exe
// of a process in its namespaces) cannot change it. The copies go through
// the shim's raw calls, so the init need not load libc for --init.
import { readFileSync, writeSync } from "node:fs";
import initPath from "../../ffi/init.elf" with { type: "file" };
import monitorPath from "../../ffi/monitor.elf" with { type: "file" };
import helperPath from "../../ffi/helper.elf" with { type: "file" };
import { F_ADD_SEALS, MFD_ALLOW_SEALING, MFD_CLOEXEC, SEALS } from "./shim.ts";
import { addressOf, check, cstr, sym, sys } from "./syscall.ts";

export { MFD_ALLOW_SEALING, MFD_CLOEXEC } from "./shim.ts";

// Seals a memfd made with MFD_ALLOW_SEALING.
export function seal(fd: number): void {
  check("fcntl", [fd, sym("F_ADD_SEALS"), sym("F_SEAL_SEAL|F_SEAL_SHRINK|F_SEAL_GROW|F_SEAL_WRITE")], sys("fcntl", fd, F_ADD_SEALS, SEALS));
}

function memfdOf(name: string, path: string): number {
  const fd = check("memfd_create", [name, sym("MFD_CLOEXEC|MFD_ALLOW_SEALING")], sys("memfd_create", addressOf(cstr(name)), MFD_CLOEXEC | MFD_ALLOW_SEALING));
  writeSync(fd, readFileSync(path));
  seal(fd);
  return fd;
}

// The path to execve: the kernel opens it before it closes the close-on-exec
// fds, so the memfd need not stay open in the program. From a source
// checkout (tests) they are copied too: exec's helper must never be a file a
// container could write.
const programs = new Map<string, string>();
function programPath(name: string, path: string): string {
  let exe = programs.get(name);
  if (!exe) programs.set(name, (exe = `/proc/self/fd/${memfdOf(name, path)}`));
  return exe;
}

// The monitor of detached containers (ffi/monitor.c).
export const monitorPathForExec = () => programPath("contain-monitor", monitorPath);

// The single-threaded steps of a start and of exec (ffi/helper.c).
export const helperPathForExec = () => programPath("contain-helper", helperPath);

// The tiny init (ffi/init.c) in a memfd, for --init: the init stage passes it
// to the shim, which execs it with execveat, so it needs no path in any root.
export function initProgramFd(): number {
  return memfdOf("contain-init", initPath);
}
