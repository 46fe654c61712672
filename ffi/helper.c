/*
 * contain-helper: the single-threaded steps of a container's start and of
 * `contain exec`, a small static program exec'd from a sealed memfd.
 *
 * Why a program of its own. Two reasons, one per role:
 *   - Every process that enters a container's namespaces must run a file the
 *     container cannot write (CVE-2019-5736): a child that shares the CLI's
 *     memory has the host's `contain` file as its /proc/<pid>/exe, and once it
 *     has dropped to the container's credentials a process in the container
 *     can open that link, wait for the runtime to exit and overwrite the
 *     binary root runs next. So `contain exec` only clones and execs this
 *     program, which does the rest (join).
 *   - What joins the container's cgroups before its command must be unable to
 *     need another task: the init stage is Bun, multithreaded, and a thread it
 *     starts inside a cgroup at its pids limit kills it (`--pids 2`). So the
 *     init execs this program, which moves itself, alone, into the cgroups
 *     and becomes the command (start). Its pages, not Bun's, are what the
 *     container's memory is charged with.
 *
 * Why C: a Bun process cannot join a mount namespace, and joining a PID
 * namespace only places the joiner's children in it. So, as runc's nsexec,
 * join is:
 *   this process (the joiner): enters the container's cgroups (writes "0" to
 *     each one's tasks on v1, cgroup.procs on v2: src/linux/cgroups/files.ts
 *     says why; before the cgroup namespace), setns(pidfd, ns_flags)
 *     into all its namespaces at once, takes its root (fchdir + chroot: right
 *     after pivot_root and after the chroot fallback)
 *       ── clone(CLONE_PARENT|CLONE_VM|CLONE_VFORK: clone.c) ──► the process: PID n in
 *          the container, a child of the CLI (CLONE_PARENT), so the CLI waits
 *          for it and gets its exit status. It changes directory, finds the
 *          command in the container's PATH and takes the container's last
 *          step, contain_exec (exec.c), with the container's user,
 *          capabilities, no_new_privs and seccomp filter.
 * The clone returns once the process has exec'd or exited; the joiner then
 * writes its report and exits. start is the init, after its set-up (PID 1,
 * already in the container's namespaces and root): the cgroups, a cgroup
 * namespace of its own (so that cgroup is its "/"), contain_exec.
 *
 * argv: contain-helper join REQUEST_FD REPORT_FD
 *       contain-helper start REQUEST_FD STATUS_FD
 *   REQUEST_FD: a memfd holding the request and everything it points to, as
 *     src/ffi/requests.ts packs it (helper.h): every pointer is an offset
 *     into the memfd.
 *   REPORT_FD: receives struct join_report once.
 *   STATUS_FD: the init's status pipe (src/plan/protocol.ts): a failure is
 *     one JSON line on it; a successful execve closes it (close-on-exec).
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clone.h"
#include "exec.h"
#include "helper.h"
#include "lookup.h"

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

static struct contain_proc *proc_at(char *base, size_t size, uintptr_t offset)
{
	struct contain_proc *p = (struct contain_proc *)at(base, size, offset);
	if (!p)
		return 0;
	p->groups = (const uint32_t *)at(base, size, (uintptr_t)p->groups);
	p->rlimits = (const uint64_t *)at(base, size, (uintptr_t)p->rlimits);
	p->seccomp = (const struct sock_filter *)at(base, size, (uintptr_t)p->seccomp);
	return (p->ngroups && !p->groups) || (p->nrlimits && !p->rlimits) || (p->seccomp_len && !p->seccomp) ? 0 : p;
}

/* ---- join: `contain exec` ---- */

static struct join_report report;

static int fail(enum join_step step, int err)
{
	report.err = -err;
	report.step = step;
	return 127;
}

/* The process in the container (clone.c: it shares the joiner's memory, so
 * its report is the joiner's to write). */
static int exec_process(void *arg)
{
	const struct join *r = arg;
	char path[4096] = { 0 };
	int step = 0;
	if (r->proc->tty_fd < 0)
		for (int fd = 0; fd < 3; fd++)
			if (r->stdio[fd] != fd && dup2(r->stdio[fd], fd) < 0)
				return fail(JOIN_STDIO, errno);
	if (chdir(r->cwd) < 0)
		return fail(JOIN_CWD, errno);
	int found = contain_lookup(r->file, r->search_path, path, sizeof path);
	if (found < 0)
		return fail(JOIN_LOOKUP, -found);
	long err = contain_exec(path, r->argv, r->envp, r->proc, &step);
	report.exec_step = step;
	return fail(JOIN_EXEC, (int)-err);
}

static int join_container(const struct join *r)
{
	for (int i = 0; i < r->ncgroup; i++)
		if (write(r->cgroup_fds[i], "0", 1) != 1)
			return fail(JOIN_CGROUP, errno);
	if (setns(r->pidfd, r->ns_flags) < 0)
		return fail(JOIN_SETNS, errno);
	if (fchdir(r->root_fd) < 0 || chroot(".") < 0)
		return fail(JOIN_ROOT, errno);
	/* CLONE_PARENT: a child of the CLI, which waits for it. */
	struct clone_request req = { CLONE_PARENT, -1, (int)r->pdeathsig, 0, exec_process, (void *)r };
	long pid = clone_child(&req);
	if (pid < 0)
		return fail(JOIN_CLONE, (int)-pid);
	report.pid = pid;
	return 0;
}

static int relocate_join(struct join *r, char *base, size_t size)
{
	r->cgroup_fds = (const int32_t *)at(base, size, (uintptr_t)r->cgroup_fds);
	r->cwd = (const char *)at(base, size, (uintptr_t)r->cwd);
	r->file = (const char *)at(base, size, (uintptr_t)r->file);
	r->search_path = (const char *)at(base, size, (uintptr_t)r->search_path);
	r->argv = strings_at(base, size, (uintptr_t)r->argv);
	r->envp = strings_at(base, size, (uintptr_t)r->envp);
	r->proc = proc_at(base, size, (uintptr_t)r->proc);
	return !r->proc || !r->cwd || !r->file || !r->search_path || !r->argv || !r->envp || (r->ncgroup && !r->cgroup_fds) ? -1 : 0;
}

static int join_main(char *base, size_t size, int report_fd)
{
	struct join *r = (struct join *)base;
	if (size < sizeof *r || relocate_join(r, base, size) < 0)
		return 125;
	int status = join_container(r);
	if (write(report_fd, &report, sizeof report) != sizeof report)
		return 125;
	return status;
}

/* ---- start: the init's last step ---- */

/* Runs one hook to its end: 0, or its wait status (a timeout kills it).
 * The hook is a file of the container's root, so it runs as the command
 * will: the container's user, capabilities, rlimits, no_new_privs and
 * seccomp filter (contain_exec), never as the root that sets it up. */
static int run_hook(const struct hook *h, const char *state, const struct contain_proc *proc)
{
	int in[2], status = 0;
	if (pipe2(in, O_CLOEXEC) < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		struct contain_proc p = *proc;
		int step;
		p.tty_fd = -1; /* stdin is the state */
		p.init_fd = -1;
		dup2(in[0], 0);
		contain_exec(h->path, h->argv, h->envp, &p, &step);
		_exit(127);
	}
	close(in[0]);
	/* SIGPIPE is ignored here (inherited from the init): a hook that does
	 * not read its stdin only ends the write. */
	for (size_t done = 0, len = strlen(state); done < len;) {
		ssize_t n = write(in[1], state + done, len - done);
		if (n <= 0)
			break;
		done += n;
	}
	close(in[1]);
	for (long waited_ms = 0;; waited_ms++) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return status;
		if (r < 0)
			return -1;
		if (h->timeout && waited_ms >= h->timeout * 1000) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return status ? status : SIGKILL;
		}
		usleep(1000);
	}
}

static int run_start_hooks(const struct start *r)
{
	for (int i = 0; i < r->nhooks; i++) {
		int status = run_hook(&r->hooks[i], r->hook_state, r->proc);
		if (status) {
			dprintf(2, "[contain] error: startContainer hook %s failed (wait status %d)\n", r->hooks[i].path, status);
			return -1;
		}
	}
	return 0;
}

/* `create`: the container is made, in its cgroups; the CLI is told and
 * returns, and this process waits, small, until `start` opens the fifo for
 * reading (runc's exec.fifo). Reopened through /proc/self/fd: the O_PATH
 * descriptor was taken before pivot_root, where the state directory was
 * still in reach. The start's later failures go to stderr, the caller's.
 * The written end stays open, close-on-exec, as runc's does: `start` reads
 * to its EOF, so it returns (and runs the poststart hooks) only once the
 * startContainer hooks ran and the command is exec'd, or this has died. */
static int await_start(int status_fd, int fifo)
{
	char path[64];
	if (dprintf(status_fd, "{\"type\":\"created\"}\n") < 0)
		return -1;
	close(status_fd);
	snprintf(path, sizeof path, "/proc/self/fd/%d", fifo);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "0", 1) != 1)
		return -1;
	close(fifo);
	return 0;
}

/* One JSON line the CLI reads as the init's answer (src/plan/protocol.ts). */
static int start_failed(int status_fd, enum start_step step, int err, int exec_step)
{
	dprintf(status_fd, "{\"type\":\"failed\",\"step\":%d,\"errno\":%d,\"execStep\":%d}\n", step, err, exec_step);
	return 125;
}

static int start_main(char *base, size_t size, int status_fd)
{
	struct start *r = (struct start *)base;
	if (size < sizeof *r)
		return 125;
	r->cgroup_fds = (const int32_t *)at(base, size, (uintptr_t)r->cgroup_fds);
	r->path = (const char *)at(base, size, (uintptr_t)r->path);
	r->argv = strings_at(base, size, (uintptr_t)r->argv);
	r->envp = strings_at(base, size, (uintptr_t)r->envp);
	r->proc = proc_at(base, size, (uintptr_t)r->proc);
	r->hook_state = (const char *)at(base, size, (uintptr_t)r->hook_state);
	r->hooks = (struct hook *)at(base, size, (uintptr_t)r->hooks);
	for (int i = 0; r->hooks && i < r->nhooks; i++) {
		r->hooks[i].path = (const char *)at(base, size, (uintptr_t)r->hooks[i].path);
		r->hooks[i].argv = strings_at(base, size, (uintptr_t)r->hooks[i].argv);
		r->hooks[i].envp = strings_at(base, size, (uintptr_t)r->hooks[i].envp);
		if (!r->hooks[i].path || !r->hooks[i].argv || !r->hooks[i].envp)
			return 125;
	}
	if (!r->path || !r->argv || !r->envp || !r->proc || !r->hook_state || (r->ncgroup && !r->cgroup_fds) || (r->nhooks && !r->hooks))
		return 125;
	/* Alone in this process, so "0" moves exactly it (and, written to a v1
	 * tasks file, without the threadgroup lock's RCU wait): from here on
	 * its charges (and the command's) are the container's. */
	for (int i = 0; i < r->ncgroup; i++)
		if (write(r->cgroup_fds[i], "0", 1) != 1)
			return start_failed(status_fd, START_CGROUP, errno, 0);
	if (r->cgroupns && unshare(CLONE_NEWCGROUP) < 0)
		return start_failed(status_fd, START_CGROUPNS, errno, 0);
	/* With a terminal the command's stdio is the pty: taken now, so the
	 * caller's stdio (containerd's shim reads create's output to EOF) is let
	 * go before the wait, not at the execve after `start`. */
	if (r->exec_fifo >= 0 && r->proc->tty_fd >= 0)
		for (int fd = 0; fd < 3; fd++)
			dup2((int)r->proc->tty_fd, fd);
	if (r->exec_fifo >= 0 && await_start(status_fd, (int)r->exec_fifo) < 0)
		return 125;
	if (run_start_hooks(r) < 0)
		return r->exec_fifo >= 0 ? 1 : start_failed(status_fd, START_HOOK, 0, 0);
	int step = 0;
	long err = contain_exec(r->path, r->argv, r->envp, r->proc, &step);
	if (r->exec_fifo >= 0) {
		dprintf(2, "[contain] error: exec %s: %s\n", r->path, strerror((int)-err));
		return err == -ENOENT ? 127 : 126;
	}
	return start_failed(status_fd, START_EXEC, (int)-err, step);
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
	int request_fd, out_fd;
	struct stat st;
	if (argc != 4 || number(argv[2], &request_fd) < 0 || number(argv[3], &out_fd) < 0 || fstat(request_fd, &st) < 0)
		return 125;
	int join = strcmp(argv[1], "join") == 0;
	if (!join && strcmp(argv[1], "start") != 0)
		return 125;
	/* Nothing of the caller's may reach the container's process but what
	 * it dup2s to 0-2 (and, for start, the status pipe until the execve). */
	syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
	char *base = malloc(st.st_size);
	if (!base || pread(request_fd, base, st.st_size, 0) != st.st_size)
		return 125;
	close(request_fd);
	return join ? join_main(base, st.st_size, out_fd) : start_main(base, st.st_size, out_fd);
}
