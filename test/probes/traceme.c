/*
 * A process that asks its parent to trace it (PTRACE_TRACEME), as some
 * programs do to keep a debugger off. As PID 1 of a container its parent, and
 * so its tracer, is the runtime (or the monitor, or contain-init), and every
 * signal it is sent stops it until the tracer passes the signal on
 * (man 2 ptrace: signal-delivery-stop).
 *
 *   traceme          TRACEME, raise SIGUSR1 (handled) and say so; TRACEME
 *                    again, which succeeds only if the tracer let go
 *                    (PTRACE_DETACH: EPERM while still traced); raise SIGUSR2
 *                    (handled) and say so; exit 0.
 *   traceme sleep    TRACEME, say so, then sleep: SIGTERM, with no handler
 *                    in a PID 1, is ignored even when passed on.
 *   traceme threads  ptrace is per thread, so each asks alone: one thread
 *                    TRACEMEs and signals itself (handled), another TRACEMEs
 *                    and ends, a zombie that only its tracer can reap (and
 *                    until then the process cannot end); then exit 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile sig_atomic_t handled;

static void on_signal(int sig)
{
	handled = sig;
}

static int traceme(void)
{
	if (ptrace(PTRACE_TRACEME, 0, 0, 0) == 0)
		return 0;
	return errno;
}

static void *signalled_thread(void *unused)
{
	(void)unused;
	int err = traceme();
	if (!err)
		syscall(SYS_tgkill, getpid(), gettid(), SIGUSR1);
	printf("thread: %s\n", err ? strerror(err) : handled == SIGUSR1 ? "handled SIGUSR1" : "nothing handled");
	return 0;
}

static void *ending_thread(void *unused)
{
	(void)unused;
	int err = traceme();
	printf("thread: %s\n", err ? strerror(err) : "ends traced");
	return 0;
}

static int threads(void)
{
	pthread_t t;
	signal(SIGUSR1, on_signal);
	pthread_create(&t, 0, signalled_thread, 0);
	pthread_join(t, 0);
	pthread_create(&t, 0, ending_thread, 0);
	pthread_join(t, 0);
	printf("threads joined\n");
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, 0, _IONBF, 0);
	if (argc > 1 && strcmp(argv[1], "threads") == 0)
		return threads();
	int err = traceme();
	if (err) {
		printf("PTRACE_TRACEME: %s\n", strerror(err));
		return 1;
	}
	if (argc > 1 && strcmp(argv[1], "sleep") == 0) {
		printf("traced, sleeping\n");
		for (;;)
			pause();
	}
	signal(SIGUSR1, on_signal);
	signal(SIGUSR2, on_signal);
	raise(SIGUSR1);
	printf("traced: handled %s\n", handled == SIGUSR1 ? "SIGUSR1" : "nothing");
	err = traceme();
	printf("PTRACE_TRACEME again: %s\n", err ? strerror(err) : "ok");
	handled = 0;
	raise(SIGUSR2);
	printf("handled %s\n", handled == SIGUSR2 ? "SIGUSR2" : "nothing");
	return 0;
}
