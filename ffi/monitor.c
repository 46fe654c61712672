/*
 * contain-monitor: the parent of a detached container's init, and the only
 * thing that stays behind while it runs.
 *
 * Why a process at all. Only a parent can learn how a child ended (wait4),
 * and an orphan is handed to PID 1, which on some machines never reaps (then
 * the exit code is lost) and in any case tells nobody. `contain run -d` must
 * return at once, and a resident Bun would cost ~30 MB per container, so the
 * parent is this small static C program, started from a memfd (never on
 * disk) and so about as big in memory as a shell's `sleep`.
 *
 * What it does, in order:
 *   1. detaches: stdio to /dev/null, its own session, no death signal (the
 *      CLI that started it is about to exit);
 *   2. clones the init into the container's namespaces and execs
 *      `contain init` from init_fd (the contain binary sealed, so that the
 *      container can never write it: src/linux/self.ts), with the sync and
 *      status pipes that the CLI drives (see src/plan/protocol.ts); the
 *      init's stdout and stderr are the log file. init_fd is closed once the
 *      init is cloned, so a sealed copy is not held for the container's life;
 *   3. reports the init's pid (or -errno) on rep_fd and closes it;
 *   4. waits for the init's end (a tracee's stop is none: it detaches it,
 *      wait-status.h) and writes its wait status and the time to
 *      <state dir>/exit (temp file + rename: never torn);
 *   5. waits until the CLI is done with the container (EOF on ctl_fd: it
 *      exited, or died), so the clean-up never races the start;
 *   6. execs `contain reap ROOT ID` once from exe_fd (the contain binary,
 *      opened by the CLI: reap runs on the host, in no container's
 *      namespaces), which releases the container's
 *      resources (src/runtime/reap.ts). It keeps lock_fd: the container's
 *      state lock stays held until its resources are released, and is freed
 *      by the kernel however this process ends, which tells the next contain
 *      command to sweep.
 *
 * If this process is SIGKILLed, the init dies with it (PR_SET_PDEATHSIG) and
 * the next contain command releases what is left.
 *
 * argv: contain-monitor exe_fd init_fd dir_fd sync_rd status_wr shim_fd log_fd
 *       ctl_fd rep_fd lock_fd clone_flags root id
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "signals.h"
#include "wait-status.h"

static int num(const char *s)
{
	return (int)strtol(s, 0, 10);
}

/* Closes (at exec) every fd from 3 on except `keep`, and keeps `keep`. */
static void only_keep(const int *keep, int n)
{
	syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
	for (int i = 0; i < n; i++)
		if (keep[i] >= 0)
			fcntl(keep[i], F_SETFD, 0);
}

static void write_exit(int dir_fd, int status)
{
	char text[64];
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	int len = snprintf(text, sizeof text, "%d %lld\n", status, (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000);
	int fd = openat(dir_fd, "exit.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	int ok = write(fd, text, len) == len;
	close(fd);
	if (ok)
		renameat(dir_fd, "exit.tmp", dir_fd, "exit");
}

int main(int argc, char **argv)
{
	if (argc != 14)
		return 125;
	int exe_fd = num(argv[1]), init_fd = num(argv[2]), dir_fd = num(argv[3]), sync_rd = num(argv[4]);
	int status_wr = num(argv[5]), shim_fd = num(argv[6]), log_fd = num(argv[7]), ctl_fd = num(argv[8]);
	int rep_fd = num(argv[9]), lock_fd = num(argv[10]);
	unsigned long flags = strtoul(argv[11], 0, 10);
	char *root = argv[12], *id = argv[13];
	char *const no_env[] = { 0 };

	prctl(PR_SET_PDEATHSIG, 0);
	setsid();
	int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (int fd = 0; fd < 3; fd++)
		dup2(null_fd, fd);
	/* Nothing stops the monitor but SIGKILL: the container's end is its end. */
	for (int sig = 1; sig < _NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP && sig != SIGCHLD)
			signal(sig, SIG_IGN);

	pid_t pid = syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
	if (pid == 0) {
		char sync_s[16], status_s[16], shim_s[16];
		snprintf(sync_s, sizeof sync_s, "%d", sync_rd);
		snprintf(status_s, sizeof status_s, "%d", status_wr);
		snprintf(shim_s, sizeof shim_s, "%d", shim_fd);
		char *const init_argv[] = { "contain", "init", sync_s, status_s, shim_s, 0 };
		int keep[] = { sync_rd, status_wr, shim_fd };
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(log_fd, 1);
		dup2(log_fd, 2);
		only_keep(keep, 3);
		reset_signals();
		syscall(SYS_execveat, init_fd, "", init_argv, no_env, AT_EMPTY_PATH);
		_exit(125);
	}
	close(init_fd);
	int report = pid < 0 ? -errno : pid;
	int ok = write(rep_fd, &report, sizeof report) == sizeof report;
	close(rep_fd);
	close(sync_rd);
	close(status_wr);
	close(log_fd);
	if (shim_fd >= 0)
		close(shim_fd);
	if (pid < 0 || !ok)
		return 125;

	/* Any child: besides the init, a thread of it that asked to be traced is
	 * ours to wait for, by its own tid, and once ended holds up the init's
	 * end until reaped (wait-status.h). */
	int status;
	for (;;) {
		pid_t got = waitpid(-1, &status, __WALL);
		if (got < 0 && errno != EINTR)
			return 125;
		if (got > 0 && wait_ended(got, status) && got == pid)
			break;
	}
	write_exit(dir_fd, status);

	char byte;
	for (;;) {
		ssize_t r = read(ctl_fd, &byte, 1);
		if (r == 0 || (r < 0 && errno != EINTR))
			break;
	}
	char *const reap_argv[] = { "contain", "reap", root, id, 0 };
	int keep[] = { lock_fd };
	only_keep(keep, 1);
	syscall(SYS_execveat, exe_fd, "", reap_argv, no_env, AT_EMPTY_PATH);
	return 125;
}
