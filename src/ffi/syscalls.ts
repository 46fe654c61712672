// System call numbers, by architecture. Only the calls contain makes; names
// are the kernel's (man 2 <name>). x86_64 from arch/x86/entry/syscalls/syscall_64.tbl,
// arm64 from the generic table (include/uapi/asm-generic/unistd.h).
const x64 = {
  read: 0, write: 1, close: 3, ioctl: 16, socket: 41, sendto: 44, recvfrom: 45, setsockopt: 54,
  bind: 49, wait4: 61, kill: 62, fcntl: 72, flock: 73, chdir: 80, umask: 95, geteuid: 107,
  setsid: 112, pivot_root: 155, prctl: 157, chroot: 161, mount: 165, umount2: 166,
  sethostname: 170, setdomainname: 171, unshare: 272, setns: 308, mknodat: 259, pipe2: 293, memfd_create: 319,
  pidfd_send_signal: 424, pidfd_open: 434, pidfd_getfd: 438, openat: 257, mkdirat: 258, openat2: 437,
  sendfile: 40, fsopen: 430, fsconfig: 431, fsmount: 432, bpf: 321, execve: 59, ptrace: 101,
  connect: 42, sendmsg: 46, getpgid: 121, dup3: 292,
  lseek: 8, unlinkat: 263, symlinkat: 266, readlinkat: 267, fchownat: 260, utimensat: 280,
  renameat2: 316, copy_file_range: 326, ftruncate: 77, ppoll: 271, recvmsg: 47, socketpair: 53,
  linkat: 265, setxattr: 188, lsetxattr: 189, fsetxattr: 190, getxattr: 191, lgetxattr: 192, listxattr: 194, llistxattr: 195,
} as const;

const arm64: Record<keyof typeof x64, number> = {
  read: 63, write: 64, close: 57, ioctl: 29, socket: 198, sendto: 206, recvfrom: 207, setsockopt: 208,
  bind: 200, wait4: 260, kill: 129, fcntl: 25, flock: 32, chdir: 49, umask: 166, geteuid: 175,
  setsid: 157, pivot_root: 41, prctl: 167, chroot: 51, mount: 40, umount2: 39,
  sethostname: 161, setdomainname: 162, unshare: 97, setns: 268, mknodat: 33, pipe2: 59, memfd_create: 279,
  pidfd_send_signal: 424, pidfd_open: 434, pidfd_getfd: 438, openat: 56, mkdirat: 34, openat2: 437,
  sendfile: 71, fsopen: 430, fsconfig: 431, fsmount: 432, bpf: 280, execve: 221, ptrace: 117,
  connect: 203, sendmsg: 211, getpgid: 155, dup3: 24,
  lseek: 62, unlinkat: 35, symlinkat: 36, readlinkat: 78, fchownat: 54, utimensat: 88,
  renameat2: 276, copy_file_range: 285, ftruncate: 46, ppoll: 73, recvmsg: 212, socketpair: 199,
  linkat: 37, setxattr: 5, lsetxattr: 6, fsetxattr: 7, getxattr: 8, lgetxattr: 9, listxattr: 11, llistxattr: 12,
};

export type SyscallName = keyof typeof x64;

export const NR: Record<SyscallName, number> = process.arch === "arm64" ? arm64 : x64;
