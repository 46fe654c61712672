/*
 * contain's native shim: the few instructions JavaScript cannot run safely.
 *
 * Why C at all. Bun is multithreaded (JIT, GC and I/O threads). After a
 * fork-like clone of a multithreaded process, the child holds only the calling
 * thread, and any lock another thread held is held forever: the child may only
 * make async-signal-safe calls until it execs. JavaScript cannot keep that
 * promise (the engine allocates and takes locks at will), so the window between
 * clone and execve lives here, in C, with raw system calls only (the clone
 * itself is clone.c's, which the monitor and the helper share). The
 * container's own last steps (its cgroups, user, capabilities, seccomp
 * filter and execve: exec.c) belong to the static helper (ffi/helper.c),
 * which the init stage execs and `exec` clones with contain_clone: setns
 * into a mount namespace is refused to a multithreaded process, and no
 * process in a container may run the contain binary itself.
 *
 * Everything else is TypeScript through bun:ffi. contain_syscall gives it raw
 * system calls that return -errno instead of touching errno, which is fragile to
 * read through FFI. The init's command lookup is the helper's (lookup.c,
 * linked in), so that `run` and `exec` find a command alike. Keep this file tiny: no malloc, no stdio, no state.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "clone.h"

/* A raw system call: returns the kernel's answer, -errno on failure. */
long contain_syscall(long nr, long a, long b, long c, long d, long e, long f)
{
	long r = syscall(nr, a, b, c, d, e, f);
	return r == -1 ? -errno : r;
}

struct child {
	const char *exe;
	char *const *argv;
	char *const *envp;
	const int *keep;
	int nkeep;
};

/* The child (clone.c): raw system calls only. */
static int exec_child(void *arg)
{
	const struct child *c = arg;
	sigset_t none;
	for (int i = 0; i < c->nkeep; i++)
		syscall(SYS_fcntl, c->keep[i], F_SETFD, 0);
	sigemptyset(&none);
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, 0, _NSIG / 8);
	syscall(SYS_execve, c->exe, c->argv, c->envp);
	return 125;
}

/*
 * Clone a child into new namespaces (flags) and exec `exe` there at once,
 * through the one clone (clone.c).
 *
 * keep[0..nkeep): file descriptors the child must keep across execve (the sync
 * and status pipes, the shim's own memfd); the parent opened them O_CLOEXEC so
 * no other child of Bun inherits them. pidfd_out receives a pidfd for the child.
 * pdeathsig: the signal the child gets when this thread dies, 0 for none.
 * This is the caller's (main) thread, so the container dies with the
 * runtime, not with some worker thread; 0 for a child that outlives the
 * runtime on purpose (`create`: the caller, a subreaper, inherits it).
 *
 * Returns the child's pid, or -errno. If execve fails the child exits 125 and
 * the parent sees the status pipe close without a message.
 */
long contain_clone(uint64_t flags, const char *exe, char *const argv[], char *const envp[],
		   const int *keep, int nkeep, int *pidfd_out, int pdeathsig)
{
	struct child c = { exe, argv, envp, keep, nkeep };
	struct clone_request req = { flags, -1, pdeathsig, pidfd_out, exec_child, &c };
	return clone_child(&req);
}
