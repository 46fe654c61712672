/*
 * contain's native shim: the few instructions JavaScript cannot run safely.
 *
 * Why C at all. Bun is multithreaded (JIT, GC and I/O threads). After a
 * fork-like clone of a multithreaded process, the child holds only the calling
 * thread, and any lock another thread held is held forever: the child may only
 * make async-signal-safe calls until it execs. JavaScript cannot keep that
 * promise (the engine allocates and takes locks at will), so the window between
 * clone3 and execve lives here, in C, with raw system calls only. The same goes
 * for the last step before the container's command runs: resetting signal
 * dispositions (Bun ignores SIGPIPE and SIGXFSZ, and an ignored disposition
 * survives execve), taking the terminal, and the execve itself. Later, `exec`
 * into a running container needs setns into a mount namespace, which the kernel
 * refuses to a multithreaded process, and the extra fork a PID namespace needs;
 * that also belongs here.
 *
 * Everything else is TypeScript through bun:ffi. contain_syscall gives it raw
 * system calls that return -errno instead of touching errno, which is fragile to
 * read through FFI. Keep this file tiny: no allocation, no stdio, no state.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* A raw system call: returns the kernel's answer, -errno on failure. */
long contain_syscall(long nr, long a, long b, long c, long d, long e, long f)
{
	long r = syscall(nr, a, b, c, d, e, f);
	return r == -1 ? -errno : r;
}

/* Reset every signal to its default disposition and unblock all of them, so
 * the next program starts as if from a clean fork+exec. */
static void reset_signals(void)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;
	for (int sig = 1; sig < _NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &dfl, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, 0);
}

/*
 * clone3 a child into new namespaces (flags) and exec `exe` there at once.
 *
 * keep[0..nkeep): file descriptors the child must keep across execve (the sync
 * and status pipes, the shim's own memfd); the parent opened them O_CLOEXEC so
 * no other child of Bun inherits them. cgroup_fd >= 0 places the child with CLONE_INTO_CGROUP (cgroup
 * v2 only). pidfd_out receives a pidfd for the child when non-null.
 *
 * Returns the child's pid, or -errno. In the child only raw, async-signal-safe
 * calls run; if execve fails it exits 125 and the parent sees the status pipe
 * close without a message.
 */
long contain_clone(uint64_t flags, int cgroup_fd, const char *exe, char *const argv[],
		   char *const envp[], const int *keep, int nkeep, int *pidfd_out)
{
	struct clone_args args = {
		.flags = flags | (pidfd_out ? CLONE_PIDFD : 0),
		.pidfd = (uint64_t)(uintptr_t)pidfd_out,
		.exit_signal = SIGCHLD,
	};
	if (cgroup_fd >= 0) {
		args.flags |= CLONE_INTO_CGROUP;
		args.cgroup = (uint64_t)cgroup_fd;
	}
	long pid = syscall(SYS_clone3, &args, sizeof(args));
	if (pid < 0)
		return -errno;
	if (pid > 0)
		return pid;

	/* The child. PDEATHSIG is per thread: this is the caller's (main) thread,
	 * so the container dies with the runtime, not with some worker thread. */
	syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	/* Had the parent died before PDEATHSIG was armed, the child still learns
	 * it: its first read of the sync pipe returns EOF (getppid() cannot tell,
	 * it is 0 in a new PID namespace). */
	for (int i = 0; i < nkeep; i++)
		syscall(SYS_fcntl, keep[i], F_SETFD, 0);
	sigset_t none;
	sigemptyset(&none);
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, 0, _NSIG / 8);
	syscall(SYS_execve, exe, argv, envp);
	syscall(SYS_exit_group, 125);
	return 0; /* not reached */
}

/*
 * The container's last step: make the process look freshly exec'd and become
 * `path`. With tty_fd >= 0 it starts a new session, takes tty_fd as its
 * controlling terminal and as stdin/stdout/stderr. Returns -errno only if
 * execve failed (the caller reports it: 126 or 127).
 */
long contain_exec(const char *path, char *const argv[], char *const envp[], int tty_fd)
{
	reset_signals();
	if (tty_fd >= 0) {
		if (setsid() < 0 || ioctl(tty_fd, TIOCSCTTY, 0) < 0)
			return -errno;
		for (int fd = 0; fd < 3; fd++)
			if (dup2(tty_fd, fd) < 0)
				return -errno;
		if (tty_fd > 2)
			close(tty_fd);
	}
	execve(path, argv, envp);
	return -errno;
}
