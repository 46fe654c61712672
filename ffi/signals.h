/*
 * Shared by the shim (ffi/shim.c) and the monitor (ffi/monitor.c): every
 * signal back to its default disposition and unblocked, so the next program
 * starts as if from a clean fork+exec. Bun ignores SIGPIPE and SIGXFSZ, and an
 * ignored disposition survives execve.
 */
#ifndef CONTAIN_SIGNALS_H
#define CONTAIN_SIGNALS_H
#include <signal.h>

static inline void reset_signals(void)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;
	for (int sig = 1; sig < _NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &dfl, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, 0);
}
#endif
