// contain's default seccomp profile: docker's, so a container is refused at
// least what docker refuses it (default.json is moby/profiles'
// seccomp/default.json v0.2.3, Apache-2.0, as vendored by github.com/moby/moby
// at b985e231, byte for byte, so an update is a file copy and a diff), and
// the terminal ioctls that let a process type into or take over a terminal
// it holds (TIOCSTI: CVE-2017-5226; TIOCLINUX), a second wall behind the
// container's own session.
import DOCKER_DEFAULT from "./default.json";

const TIOCSTI = 0x5412;
const TIOCLINUX = 0x541c;

// The kernel reads ioctl's request as 32 bits while seccomp sees 64, so the
// low 32 bits are compared under a mask: 0x100005412 is TIOCSTI to the
// kernel and must not walk past a plain equality (CVE-2019-10063).
const lowBits = (request: number) => ({ index: 1, value: 0xffffffff, valueTwo: request, op: "SCMP_CMP_MASKED_EQ" });

export const DEFAULT_SECCOMP = {
  ...DOCKER_DEFAULT,
  syscalls: [...DOCKER_DEFAULT.syscalls, { names: ["ioctl"], action: "SCMP_ACT_ERRNO", errnoRet: 1, args: [lowBits(TIOCSTI), lowBits(TIOCLINUX)] }],
};
