/*
 * contain's native shim: the few instructions JavaScript cannot run safely.
 *
 * Why C at all. Bun is multithreaded (JIT, GC and I/O threads). After a
 * fork-like clone of a multithreaded process, the child holds only the calling
 * thread, and any lock another thread held is held forever: the child may only
 * make async-signal-safe calls until it execs. JavaScript cannot keep that
 * promise (the engine allocates and takes locks at will), so the window between
 * clone and execve lives here, in C, with raw system calls only. The same goes
 * for the last step before the container's command runs: resetting signal
 * dispositions (Bun ignores SIGPIPE and SIGXFSZ, and an ignored disposition
 * survives execve), taking the terminal, and the execve itself (contain_exec,
 * in exec.c, which the exec helper ffi/nsexec.c shares). `exec` into a
 * running container needs setns into a mount namespace, which the kernel
 * refuses to a multithreaded process: the CLI clones and execs that helper
 * with contain_clone, so that no process in the container ever runs the
 * contain binary itself.
 *
 * Everything else is TypeScript through bun:ffi. contain_syscall gives it raw
 * system calls that return -errno instead of touching errno, which is fragile to
 * read through FFI. Keep this file tiny: no malloc, no stdio, no state.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

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
	int pdeathsig;
};

/* The child, on its own stack in the parent's memory (CLONE_VM): raw system
 * calls only, and no Bun signal handler may run here. */
static int child_main(void *arg)
{
	const struct child *c = arg;
	struct sigaction old, dfl = { .sa_handler = SIG_DFL };
	sigset_t none;

	/* Handlers are a copy (no CLONE_SIGHAND), but they point at the parent's
	 * code: back to the default before any signal is unblocked. Ignored
	 * signals stay ignored until the init resets them before its own exec. */
	for (int sig = 1; sig < _NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP && sigaction(sig, 0, &old) == 0 &&
		    old.sa_handler != SIG_IGN && old.sa_handler != SIG_DFL)
			sigaction(sig, &dfl, 0);
	/* PDEATHSIG is per thread: this is the caller's (main) thread, so the
	 * container dies with the runtime, not with some worker thread. Had the
	 * parent died before it was armed, the child still learns it: its first
	 * read of the sync pipe returns EOF (getppid() cannot tell, it is 0 in a
	 * new PID namespace). 0 for a child that outlives the runtime on purpose
	 * (`create`: the caller, a subreaper, inherits it). */
	if (c->pdeathsig)
		syscall(SYS_prctl, PR_SET_PDEATHSIG, c->pdeathsig, 0, 0, 0);
	for (int i = 0; i < c->nkeep; i++)
		syscall(SYS_fcntl, c->keep[i], F_SETFD, 0);
	sigemptyset(&none);
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, 0, _NSIG / 8);
	syscall(SYS_execve, c->exe, c->argv, c->envp);
	syscall(SYS_exit_group, 125);
	return 0;
}

/*
 * Clone a child into new namespaces (flags) and exec `exe` there at once.
 *
 * CLONE_VM|CLONE_VFORK, as posix_spawn does: the child borrows the parent's
 * memory until its execve, so the kernel copies none of Bun's page tables
 * and the parent takes no copy-on-write faults afterwards (a plain fork of
 * Bun cost ~3 ms more per container). All signals stay blocked in the
 * parent across the clone, so no handler of Bun's can run in the child.
 *
 * keep[0..nkeep): file descriptors the child must keep across execve (the sync
 * and status pipes, the shim's own memfd); the parent opened them O_CLOEXEC so
 * no other child of Bun inherits them. pidfd_out receives a pidfd for the child.
 * pdeathsig: the signal the child gets when this thread dies, 0 for none.
 *
 * Returns the child's pid, or -errno. If execve fails the child exits 125 and
 * the parent sees the status pipe close without a message.
 */
long contain_clone(uint64_t flags, const char *exe, char *const argv[], char *const envp[],
		   const int *keep, int nkeep, int *pidfd_out, int pdeathsig)
{
	const size_t stack_size = 64 * 1024;
	struct child c = { exe, argv, envp, keep, nkeep, pdeathsig };
	sigset_t all, old;
	char *stack = mmap(0, stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED)
		return -errno;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	/* The stack grows down: the child starts at its top. */
	long pid = clone(child_main, stack + stack_size, (int)flags | CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD, &c,
			 pidfd_out);
	long err = pid < 0 ? -errno : pid;
	pthread_sigmask(SIG_SETMASK, &old, 0);
	munmap(stack, stack_size);
	return err;
}
