// bpf(2) for the cgroup v2 device filter: load the program that
// cgroups/device-filter.ts builds (BPF_PROG_TYPE_CGROUP_DEVICE) and attach it
// to a cgroup (BPF_CGROUP_DEVICE), as runc does.
//
// union bpf_attr is packed by hand; every command reads its own leading part
// of it, and the kernel takes a shorter attr as zero-filled (bpf(2)). Offsets
// from include/uapi/linux/bpf.h, checked with offsetof (linux-libc-dev 6.1).
//
// Kernels before 5.11 charged programs to RLIMIT_MEMLOCK, which all of root's
// processes share, and runc raises it before a load. We do not: the container
// would inherit it. There a load can fail with EPERM; 5.11 and later charge
// the memory cgroup instead.
import { ContainError } from "../errors.ts";
import { address64, addressOf, check, cstr, SyscallError, sym, sys } from "../ffi/index.ts";
import { close } from "./process.ts";

// enum bpf_cmd
const BPF_PROG_LOAD = 5;
const BPF_PROG_ATTACH = 8;
// enum bpf_prog_type
const BPF_PROG_TYPE_CGROUP_DEVICE = 15;
// enum bpf_attach_type
const BPF_CGROUP_DEVICE = 6;
// Programs of the cgroup and of its ancestors all run, and every one of them
// must allow; the cgroup may hold more than one (runc's flag too).
const BPF_F_ALLOW_MULTI = 1 << 1;
const BPF_LOG_LEVEL1 = 1;

const BPF_INSN_SIZE = 8;
const LICENSE = "Apache"; // as MODULE_LICENSE spells it; runc's
// bpftool prog and /proc/<pid>/fdinfo show it (at most BPF_OBJ_NAME_LEN - 1 characters).
const PROG_NAME = "contain_devices";
// At level 1 the verifier keeps the log of the path it is on only: on
// failure the failing path, a line or two per instruction. A log that does
// not fit fails the load itself (ENOSPC).
const LOG_SIZE = 1 << 20;

const O_RDONLY = 0;
const O_DIRECTORY = 0o200000;
const O_CLOEXEC = 0o2000000;
const AT_FDCWD = -100;

// Loads a device filter (struct bpf_insn[]) and returns its fd: attach it,
// then close it (the cgroup keeps the program). When the verifier refuses
// the program, the error carries what it said.
export function loadDeviceFilter(program: Uint8Array): number {
  const args = [sym("BPF_PROG_LOAD"), sym(`{prog_type=BPF_PROG_TYPE_CGROUP_DEVICE, insn_cnt=${program.byteLength / BPF_INSN_SIZE}}`)];
  const fd = progLoad(program);
  if (fd >= 0) return check("bpf", args, fd);
  // Only a failed load is made again with the verifier's log, to tell why
  // (libbpf does the same): writing the log costs ~0.2 ms at every load.
  const log = new Uint8Array(LOG_SIZE);
  const again = progLoad(program, log);
  if (again >= 0) return check("bpf", args, again);
  const said = new TextDecoder().decode(log.subarray(0, Math.max(0, log.indexOf(0)))).trim();
  try {
    return check("bpf", args, fd);
  } catch (err) {
    if (!(err instanceof SyscallError) || !said) throw err;
    throw new ContainError(`${err.message}; the verifier said:\n${said}`, "the kernel refused the device filter contain built from the container's device rules: a bug in contain; please report it with this message", undefined, { cause: err });
  }
}

// bpf(BPF_PROG_LOAD): the fd, or -errno.
function progLoad(program: Uint8Array, log?: Uint8Array): number {
  const license = cstr(LICENSE);
  // BPF_PROG_LOAD's part of union bpf_attr:
  //   0 u32 prog_type     4 u32 insn_cnt     8 u64 insns      16 u64 license
  //  24 u32 log_level    28 u32 log_size    32 u64 log_buf    40 u32 kern_version
  //  44 u32 prog_flags   48 char prog_name[BPF_OBJ_NAME_LEN]  (64: the rest, zero)
  const attr = new DataView(new ArrayBuffer(64));
  attr.setUint32(0, BPF_PROG_TYPE_CGROUP_DEVICE, true);
  attr.setUint32(4, program.byteLength / BPF_INSN_SIZE, true);
  attr.setBigUint64(8, address64(program), true);
  attr.setBigUint64(16, address64(license), true);
  if (log) {
    attr.setUint32(24, BPF_LOG_LEVEL1, true);
    attr.setUint32(28, log.byteLength, true);
    attr.setBigUint64(32, address64(log), true);
  }
  new TextEncoder().encodeInto(PROG_NAME, new Uint8Array(attr.buffer, 48, 15));
  return sys("bpf", BPF_PROG_LOAD, addressOf(attr), attr.byteLength);
}

// Attaches a loaded device filter to the cgroup at `cgroupDir` (a cgroup v2
// directory), beside the programs it already has.
export function attachDeviceFilter(cgroupDir: string, progFd: number): void {
  const dirFd = check(
    "openat",
    [sym("AT_FDCWD"), cgroupDir, sym("O_RDONLY|O_DIRECTORY|O_CLOEXEC")],
    sys("openat", AT_FDCWD, addressOf(cstr(cgroupDir)), O_RDONLY | O_DIRECTORY | O_CLOEXEC),
  );
  try {
    // BPF_PROG_ATTACH's part of union bpf_attr:
    //   0 u32 target_fd   4 u32 attach_bpf_fd   8 u32 attach_type   12 u32 attach_flags
    //  16 u32 replace_bpf_fd (zero: no BPF_F_REPLACE)
    const attr = new DataView(new ArrayBuffer(20));
    attr.setUint32(0, dirFd, true);
    attr.setUint32(4, progFd, true);
    attr.setUint32(8, BPF_CGROUP_DEVICE, true);
    attr.setUint32(12, BPF_F_ALLOW_MULTI, true);
    check(
      "bpf",
      [sym("BPF_PROG_ATTACH"), sym(`{target_fd=<${cgroupDir}>, attach_bpf_fd=${progFd}, attach_type=BPF_CGROUP_DEVICE, attach_flags=BPF_F_ALLOW_MULTI}`)],
      sys("bpf", BPF_PROG_ATTACH, addressOf(attr), attr.byteLength),
    );
  } finally {
    close(dirFd);
  }
}
