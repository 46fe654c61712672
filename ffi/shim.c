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
 * survives execve), taking the terminal, and the execve itself. Later, `exec`
 * into a running container needs setns into a mount namespace, which the kernel
 * refuses to a multithreaded process, and the extra fork a PID namespace needs;
 * that also belongs here (contain_nsexec).
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
#include <string.h>
#include <pthread.h>
#include <sched.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "signals.h"

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
	 * new PID namespace). */
	syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
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
 *
 * Returns the child's pid, or -errno. If execve fails the child exits 125 and
 * the parent sees the status pipe close without a message.
 */
long contain_clone(uint64_t flags, const char *exe, char *const argv[], char *const envp[],
		   const int *keep, int nkeep, int *pidfd_out)
{
	const size_t stack_size = 64 * 1024;
	struct child c = { exe, argv, envp, keep, nkeep };
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

/*
 * The attributes of the container's command (Plan.process), packed by
 * src/ffi/index.ts. Every field is 64 bits wide, so the layout is the same on
 * x86_64 and arm64 without padding rules.
 */
struct contain_proc {
	uint64_t uid, gid;
	uint64_t ngroups;
	const uint32_t *groups;
	uint64_t nrlimits;
	const uint64_t *rlimits; /* (resource, soft, hard) triples */
	uint64_t set_caps;	 /* 0: keep the caller's capabilities (--privileged) */
	uint64_t bounding, effective, permitted, inheritable;
	uint64_t no_new_privs;
	uint64_t seccomp_len; /* instructions; 0: no filter */
	const struct sock_filter *seccomp;
	uint64_t seccomp_flags; /* SECCOMP_FILTER_FLAG_*, from the profile */
	int64_t init_fd; /* >= 0: exec this program (ffi/init.c) instead of path */
	int64_t tty_fd;
};

static long neg_errno(void)
{
	return -errno;
}

static int load_seccomp(const struct contain_proc *p)
{
	struct sock_fprog prog = { .len = (unsigned short)p->seccomp_len, .filter = (struct sock_filter *)p->seccomp };
	if (!p->seccomp_len)
		return 0;
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, (unsigned)p->seccomp_flags, &prog);
}

/* The kernel's capability sets are two 32-bit words each (version 3). A set
 * can only shrink: what the runtime itself lacks (a runtime in a container
 * may lack some) is left out rather than failing with EPERM. */
static int set_capabilities(const struct contain_proc *p)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct have[2], data[2];
	if (syscall(SYS_capget, &hdr, have) < 0)
		return -1;
	for (int i = 0; i < 2; i++) {
		data[i].effective = (uint32_t)(p->effective >> (32 * i)) & have[i].permitted;
		data[i].permitted = (uint32_t)(p->permitted >> (32 * i)) & have[i].permitted;
		data[i].inheritable = (uint32_t)(p->inheritable >> (32 * i)) & have[i].permitted;
	}
	return (int)syscall(SYS_capset, &hdr, data);
}

/* Switch user and drop capabilities, in runc's order: the bounding set first
 * (PR_CAPBSET_DROP needs CAP_SETPCAP), then the ids with PR_SET_KEEPCAPS so
 * that setuid to a non-root user keeps the permitted set for capset. */
static int drop_privileges(const struct contain_proc *p)
{
	if (p->set_caps) {
		for (int cap = 0; cap < 64; cap++)
			if (!(p->bounding >> cap & 1) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
				return -1; /* EINVAL: a capability this kernel does not have */
		if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
			return -1;
	}
	/* Raw calls: glibc's wrappers would broadcast the change to every thread
	 * it knows of, and `contain exec` runs this in a child that shares the
	 * caller's memory (and so glibc's idea of its threads). Per-thread
	 * credentials are enough: execve follows. */
	if (syscall(SYS_setgroups, p->ngroups, p->groups) < 0 || syscall(SYS_setresgid, p->gid, p->gid, p->gid) < 0 ||
	    syscall(SYS_setresuid, p->uid, p->uid, p->uid) < 0)
		return -1;
	if (p->set_caps && (set_capabilities(p) < 0 || prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0))
		return -1;
	return 0;
}

/*
 * The container's last step: make the process look freshly exec'd, leave the
 * caller's session (a new one; with tty_fd >= 0 the container's own pty is
 * its controlling terminal, stdin, stdout and stderr), set rlimits (before the capabilities that raising a hard
 * limit needs are dropped), groups, gid, uid, capabilities, no_new_privs and
 * the seccomp filter, and become `path`. The filter goes last, so it need not
 * allow the set-up calls; without no_new_privs the kernel requires
 * CAP_SYS_ADMIN for it, so then it goes in before the capabilities are
 * dropped. With init_fd, argv is the tiny init's (ffi/init.c), which runs path.
 * Returns -errno if a step or execve failed; *step names the step.
 */
long contain_exec(const char *path, char *const argv[], char *const envp[], const struct contain_proc *p, int *step)
{
	reset_signals();
	*step = 0;
	/* Never the caller's session: a process that shares the caller's
	 * controlling terminal can type into it with TIOCSTI (CVE-2017-5226)
	 * even when it only holds it as stdout. */
	if (setsid() < 0)
		return neg_errno();
	if (p->tty_fd >= 0) {
		if (ioctl(p->tty_fd, TIOCSCTTY, 0) < 0)
			return neg_errno();
		for (int fd = 0; fd < 3; fd++)
			if (dup2(p->tty_fd, fd) < 0)
				return neg_errno();
		if (p->tty_fd > 2)
			close(p->tty_fd);
	}
	*step = 1;
	for (uint64_t i = 0; i < p->nrlimits; i++) {
		struct rlimit lim = { p->rlimits[3 * i + 1], p->rlimits[3 * i + 2] };
		if (syscall(SYS_prlimit64, 0, (int)p->rlimits[3 * i], &lim, 0) < 0)
			return neg_errno();
	}
	*step = 4;
	if (!p->no_new_privs && load_seccomp(p) < 0)
		return neg_errno();
	*step = 2;
	if (drop_privileges(p) < 0)
		return neg_errno();
	*step = 3;
	if (p->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return neg_errno();
	*step = 4;
	if (p->no_new_privs && load_seccomp(p) < 0)
		return neg_errno();
	*step = 5;
	if (p->init_fd >= 0)
		syscall(SYS_execveat, (int)p->init_fd, "", argv, envp, AT_EMPTY_PATH);
	else
		execve(path, argv, envp);
	return neg_errno();
}

/*
 * `contain exec`: a new process in a running container.
 *
 * The caller (Bun, multithreaded) cannot join a mount namespace, and joining a
 * PID namespace only places the joiner's children in it. So, as runc's nsexec:
 *   caller ── clone(CLONE_VM|CLONE_VFORK) ──► joiner: enters the container's
 *     cgroups (writes "0" to each cgroup.procs, before the cgroup namespace),
 *     setns(pidfd, ns_flags) into all its namespaces at once, takes its root
 *     (fchdir + chroot: right after pivot_root and after the chroot fallback)
 *       ── clone(CLONE_PARENT|CLONE_VM|CLONE_VFORK) ──► the process: PID n in
 *          the container, a child of the caller (CLONE_PARENT), so the caller
 *          waits for it and gets its exit status. It changes directory,
 *          finds the command in the container's PATH and takes the
 *          container's last step, contain_exec, with the container's user,
 *          capabilities, no_new_privs and seccomp filter.
 * Both children borrow the caller's memory and run on stacks mapped here;
 * each clone returns once its child has exec'd or exited. Signals stay
 * blocked until contain_exec resets them.
 *
 * Failures are written back into the request (err = -errno, step = which
 * one); the process then exits 127. Returns the joiner's pid (the caller
 * reaps it) or -errno.
 */
enum nsexec_step { STEP_NONE, STEP_STDIO, STEP_CGROUP, STEP_SETNS, STEP_ROOT, STEP_CLONE, STEP_CWD, STEP_LOOKUP, STEP_EXEC };

struct nsexec {
	int64_t pidfd; /* the container's init */
	int64_t ns_flags; /* CLONE_NEW* to join */
	int64_t root_fd; /* /proc/<init>/root, O_PATH */
	const int32_t *cgroup_fds; /* cgroup.procs of each hierarchy, O_WRONLY */
	int64_t ncgroup;
	const char *cwd;
	const char *file; /* the command; searched in search_path unless it has a '/' */
	const char *search_path;
	char *const *argv;
	char *const *envp;
	int64_t stdio[3]; /* used without a tty */
	const struct contain_proc *proc; /* user, capabilities, seccomp, tty, ... */
	char *stack; /* the process's stack (top), set by contain_nsexec */
	/* out */
	int64_t pid; /* the process, in the caller's PID namespace */
	int64_t err; /* -errno */
	int64_t step; /* enum nsexec_step */
	int64_t exec_step; /* with STEP_EXEC: contain_exec's step */
};

static int fail(struct nsexec *r, int step, int err)
{
	r->err = -err;
	r->step = step;
	return 127;
}

/* execvp's search, without its allocations: a regular file we may execute. */
static int lookup(const char *file, const char *search, char *out, size_t size)
{
	struct stat st;
	int err = ENOENT;
	if (strchr(file, '/')) {
		if (stat(file, &st) < 0 || !S_ISREG(st.st_mode))
			return -ENOENT;
		if (access(file, X_OK) < 0)
			return -EACCES;
		strncpy(out, file, size - 1);
		return 0;
	}
	for (const char *p = search;; p++) {
		const char *end = strchrnul(p, ':');
		size_t dir = end - p, len = strlen(file);
		if (dir + len + 2 <= size) {
			memcpy(out, dir ? p : ".", dir ? dir : 1);
			dir = dir ? dir : 1;
			out[dir] = '/';
			memcpy(out + dir + 1, file, len + 1);
			if (stat(out, &st) == 0 && S_ISREG(st.st_mode)) {
				if (access(out, X_OK) == 0)
					return 0;
				err = EACCES;
			}
		}
		if (!*end)
			return -err;
		p = end;
	}
}

static int exec_process(void *arg)
{
	struct nsexec *r = arg;
	char path[4096] = { 0 };
	syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	int step = 0;
	if (r->proc->tty_fd < 0)
		for (int fd = 0; fd < 3; fd++)
			if (r->stdio[fd] != fd && dup2(r->stdio[fd], fd) < 0)
				return fail(r, STEP_STDIO, errno);
	if (chdir(r->cwd) < 0)
		return fail(r, STEP_CWD, errno);
	int found = lookup(r->file, r->search_path, path, sizeof path);
	if (found < 0)
		return fail(r, STEP_LOOKUP, -found);
	long err = contain_exec(path, r->argv, r->envp, r->proc, &step);
	r->exec_step = step;
	return fail(r, STEP_EXEC, (int)-err);
}

static int join_container(void *arg)
{
	struct nsexec *r = arg;
	for (int i = 0; i < r->ncgroup; i++)
		if (write(r->cgroup_fds[i], "0", 1) != 1)
			_exit(fail(r, STEP_CGROUP, errno));
	if (setns(r->pidfd, r->ns_flags) < 0)
		_exit(fail(r, STEP_SETNS, errno));
	if (fchdir(r->root_fd) < 0 || chroot(".") < 0)
		_exit(fail(r, STEP_ROOT, errno));
	long pid = clone(exec_process, r->stack, CLONE_PARENT | CLONE_VM | CLONE_VFORK | SIGCHLD, r);
	if (pid < 0)
		_exit(fail(r, STEP_CLONE, errno));
	r->pid = pid;
	_exit(0);
}

long contain_nsexec(struct nsexec *r)
{
	const size_t stack_size = 64 * 1024;
	sigset_t all, old;
	char *stacks = mmap(0, 2 * stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stacks == MAP_FAILED)
		return -errno;
	r->stack = stacks + 2 * stack_size;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	long pid = clone(join_container, stacks + stack_size, CLONE_VM | CLONE_VFORK | SIGCHLD, r);
	long err = pid < 0 ? -errno : pid;
	pthread_sigmask(SIG_SETMASK, &old, 0);
	munmap(stacks, 2 * stack_size);
	return err;
}
