/*
 * contain-init: the tiny PID 1 of `contain run --init`, as tini or docker-init.
 *
 * Why it exists: the kernel delivers to a PID 1 only the signals it has a
 * handler for, so a program that never expected to be PID 1 ignores SIGTERM
 * and ^C; and orphans are reparented to PID 1, which must reap them or they
 * stay zombies. This program runs the command as its child, forwards every
 * catchable signal to it, reaps every child, and exits with the command's
 * status (128+N if signal N killed it).
 *
 * Why C, static: it stays resident in the container for its whole life, so it
 * must be small (no Bun), and it runs inside whatever root filesystem the user
 * gave, which may have no C library at all. build.ts links it statically and
 * embeds it in the binary; the shim execs it from a memfd.
 *
 * Usage: contain-init PATH ARGV0 [ARGS...]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wait-status.h"

extern char **environ;

int main(int argc, char *argv[])
{
	sigset_t all, none;
	if (argc < 3)
		return 125;
	sigfillset(&all);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &all, 0);
	pid_t child = fork();
	if (child < 0)
		return 125;
	if (child == 0) {
		/* Its own process group, in the terminal's foreground (as tini): ^C
		 * reaches the command once, not through us as well. */
		setpgid(0, 0);
		if (isatty(0))
			tcsetpgrp(0, getpid());
		sigprocmask(SIG_SETMASK, &none, 0);
		execve(argv[1], argv + 2, environ);
		_exit(errno == ENOENT ? 127 : 126);
	}
	setpgid(child, child);
	for (;;) {
		siginfo_t info;
		int sig = sigwaitinfo(&all, &info);
		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			kill(child, sig);
			continue;
		}
		int status;
		pid_t pid;
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
			if (wait_ended(pid, status) && pid == child)
				return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	}
}
