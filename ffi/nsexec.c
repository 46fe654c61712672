/*
 * contain-nsexec: `contain exec`'s way into a running container, a small
 * static program that the CLI execs from a sealed memfd.
 *
 * Why a program of its own. Every process that enters a container's
 * namespaces must run a file the container cannot write (CVE-2019-5736): a
 * child that shares the CLI's memory has the host's `contain` file as its
 * /proc/<pid>/exe, and from the moment it has dropped to the container's
 * credentials a process in the container can open that link, wait for the
 * runtime to exit and overwrite the binary root runs next. So the CLI only
 * clones and execs this program (its exe is a sealed memfd copy), and this
 * program does the rest.
 *
 * Why C at all: the caller (Bun, multithreaded) cannot join a mount
 * namespace, and joining a PID namespace only places the joiner's children in
 * it. So, as runc's nsexec:
 *   this process (the joiner): enters the container's cgroups (writes "0" to
 *     each cgroup.procs, before the cgroup namespace), setns(pidfd, ns_flags)
 *     into all its namespaces at once, takes its root (fchdir + chroot: right
 *     after pivot_root and after the chroot fallback)
 *       ── clone(CLONE_PARENT|CLONE_VM|CLONE_VFORK) ──► the process: PID n in
 *          the container, a child of the CLI (CLONE_PARENT), so the CLI waits
 *          for it and gets its exit status. It changes directory, finds the
 *          command in the container's PATH and takes the container's last
 *          step, contain_exec (exec.c), with the container's user,
 *          capabilities, no_new_privs and seccomp filter.
 * The clone returns once the process has exec'd or exited; the joiner then
 * writes its report and exits.
 *
 * argv: contain-nsexec REQUEST_FD REPORT_FD
 *   REQUEST_FD: a memfd holding struct nsexec and everything it points to, as
 *     src/ffi/index.ts packs it: every pointer is an offset into the memfd.
 *   REPORT_FD: receives struct nsexec_report once.
 * Run any other way (say as the interpreter of a container's script that
 * names /proc/self/exe), it exits 125 and does nothing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "exec.h"

enum nsexec_step { STEP_NONE, STEP_STDIO, STEP_CGROUP, STEP_SETNS, STEP_ROOT, STEP_CLONE, STEP_CWD, STEP_LOOKUP, STEP_EXEC };

/* The request; every field 64 bits wide. Pointers arrive as offsets into the
 * request's memfd and are turned into addresses once it is read (relocate). */
struct nsexec {
	int64_t pidfd; /* the container's init */
	int64_t ns_flags; /* CLONE_NEW* to join */
	int64_t root_fd; /* /proc/<init>/root, O_PATH */
	const int32_t *cgroup_fds; /* cgroup.procs of each hierarchy, O_WRONLY */
	int64_t ncgroup;
	const char *cwd;
	const char *file; /* the command; searched in search_path unless it has a '/' */
	const char *search_path;
	char **argv;
	char **envp;
	int64_t stdio[3]; /* used without a tty */
	struct contain_proc *proc; /* user, capabilities, seccomp, tty, ... */
};

struct nsexec_report {
	int64_t pid; /* the process, in the caller's PID namespace; 0 if none */
	int64_t err; /* -errno */
	int64_t step; /* enum nsexec_step */
	int64_t exec_step; /* with STEP_EXEC: contain_exec's step */
};

static struct nsexec_report report;

static int fail(int step, int err)
{
	report.err = -err;
	report.step = step;
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

struct job {
	const struct nsexec *r;
	char *stack;
};

static int exec_process(void *arg)
{
	const struct nsexec *r = ((struct job *)arg)->r;
	char path[4096] = { 0 };
	syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	int step = 0;
	if (r->proc->tty_fd < 0)
		for (int fd = 0; fd < 3; fd++)
			if (r->stdio[fd] != fd && dup2(r->stdio[fd], fd) < 0)
				return fail(STEP_STDIO, errno);
	if (chdir(r->cwd) < 0)
		return fail(STEP_CWD, errno);
	int found = lookup(r->file, r->search_path, path, sizeof path);
	if (found < 0)
		return fail(STEP_LOOKUP, -found);
	long err = contain_exec(path, r->argv, r->envp, r->proc, &step);
	report.exec_step = step;
	return fail(STEP_EXEC, (int)-err);
}

static int join_container(const struct nsexec *r)
{
	const size_t stack_size = 64 * 1024;
	for (int i = 0; i < r->ncgroup; i++)
		if (write(r->cgroup_fds[i], "0", 1) != 1)
			return fail(STEP_CGROUP, errno);
	if (setns(r->pidfd, r->ns_flags) < 0)
		return fail(STEP_SETNS, errno);
	if (fchdir(r->root_fd) < 0 || chroot(".") < 0)
		return fail(STEP_ROOT, errno);
	char *stack = mmap(0, stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED)
		return fail(STEP_CLONE, errno);
	struct job job = { r, stack + stack_size };
	long pid = clone(exec_process, job.stack, CLONE_PARENT | CLONE_VM | CLONE_VFORK | SIGCHLD, &job);
	if (pid < 0)
		return fail(STEP_CLONE, errno);
	report.pid = pid;
	return 0;
}

/* An offset into the request as an address; 0 past its end. */
static uintptr_t at(char *base, size_t size, uintptr_t offset)
{
	return offset < size ? (uintptr_t)base + offset : 0;
}

static char **strings_at(char *base, size_t size, uintptr_t offset)
{
	uintptr_t *list = (uintptr_t *)at(base, size, offset);
	for (size_t i = 0; list && list[i]; i++)
		list[i] = at(base, size, list[i]);
	return (char **)list;
}

static int relocate(struct nsexec *r, char *base, size_t size)
{
	r->cgroup_fds = (const int32_t *)at(base, size, (uintptr_t)r->cgroup_fds);
	r->cwd = (const char *)at(base, size, (uintptr_t)r->cwd);
	r->file = (const char *)at(base, size, (uintptr_t)r->file);
	r->search_path = (const char *)at(base, size, (uintptr_t)r->search_path);
	r->argv = strings_at(base, size, (uintptr_t)r->argv);
	r->envp = strings_at(base, size, (uintptr_t)r->envp);
	struct contain_proc *p = r->proc = (struct contain_proc *)at(base, size, (uintptr_t)r->proc);
	if (!p || !r->cwd || !r->file || !r->search_path || !r->argv || !r->envp || (r->ncgroup && !r->cgroup_fds))
		return -1;
	p->groups = (const uint32_t *)at(base, size, (uintptr_t)p->groups);
	p->rlimits = (const uint64_t *)at(base, size, (uintptr_t)p->rlimits);
	p->seccomp = (const struct sock_filter *)at(base, size, (uintptr_t)p->seccomp);
	return (p->ngroups && !p->groups) || (p->nrlimits && !p->rlimits) || (p->seccomp_len && !p->seccomp) ? -1 : 0;
}

static int number(const char *s, int *out)
{
	char *end;
	long n = strtol(s, &end, 10);
	if (!*s || *end || n < 0 || n > 1 << 20)
		return -1;
	*out = (int)n;
	return 0;
}

int main(int argc, char **argv)
{
	int request_fd, report_fd;
	struct stat st;
	if (argc != 3 || number(argv[1], &request_fd) < 0 || number(argv[2], &report_fd) < 0 || fstat(request_fd, &st) < 0 ||
	    st.st_size < (off_t)sizeof(struct nsexec))
		return 125;
	/* Nothing of the caller's may reach the container's process but what
	 * it dup2s to 0-2. */
	syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
	char *base = malloc(st.st_size);
	if (!base || pread(request_fd, base, st.st_size, 0) != st.st_size)
		return 125;
	struct nsexec *r = (struct nsexec *)base;
	if (relocate(r, base, st.st_size) < 0)
		return 125;
	int status = join_container(r);
	if (write(report_fd, &report, sizeof report) != sizeof report)
		return 125;
	return status;
}
