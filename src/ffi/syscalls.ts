// The system calls contain makes through sys(), by the kernel's names (man 2
// <name>); their numbers come from the one table the seccomp compiler reads
// too (src/syscall-table.ts). A name either architecture lacks is a type error.
import { SYSCALLS_AARCH64, SYSCALLS_X86_64 } from "../syscall-table.ts";

type Native = keyof typeof SYSCALLS_X86_64 & keyof typeof SYSCALLS_AARCH64;

export const SYSCALL_NAMES = [
  "read", "write", "close", "ioctl", "socket", "sendto", "recvfrom", "setsockopt", "bind", "wait4", "kill", "fcntl",
  "flock", "chdir", "umask", "geteuid", "setsid", "pivot_root", "prctl", "chroot", "mount", "umount2", "sethostname",
  "setdomainname", "unshare", "setns", "mknodat", "pipe2", "memfd_create", "pidfd_send_signal", "pidfd_open",
  "pidfd_getfd", "openat", "mkdirat", "openat2", "sendfile", "fsopen", "fsconfig", "fsmount", "bpf", "execve", "ptrace",
  "connect", "sendmsg", "getpgid", "dup3", "lseek", "unlinkat", "symlinkat", "readlinkat", "fchownat", "utimensat",
  "renameat2", "copy_file_range", "ftruncate", "ppoll", "recvmsg", "socketpair", "linkat", "setxattr", "lsetxattr",
  "fsetxattr", "getxattr", "lgetxattr", "listxattr", "llistxattr",
] as const satisfies readonly Native[];

export type SyscallName = (typeof SYSCALL_NAMES)[number];

export const NR: Readonly<Record<SyscallName, number>> = process.arch === "arm64" ? SYSCALLS_AARCH64 : SYSCALLS_X86_64;
