/*
 * Shared by the monitor (ffi/monitor.c) and contain-init (ffi/init.c), the C
 * parents of a container's command: what a wait status means to them. The
 * CLI does the same in src/linux/process.ts (decodeWaitStatus, endOf).
 *
 * Without WUNTRACED a stop is reported only of a tracee: a child that asked
 * (PTRACE_TRACEME), or a thread of it (ptrace is per thread). It is detached
 * with its signal, not PTRACE_CONT'd: why in src/linux/process.ts (endOf).
 * ESRCH means it was killed meanwhile: its end comes next. WIFCONTINUED,
 * reported only with WCONTINUED, is no end either.
 */
#ifndef CONTAIN_WAIT_STATUS_H
#define CONTAIN_WAIT_STATUS_H
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/wait.h>

/* 1 if `status`, which wait reported for `pid`, is its end; a stop is detached. */
static inline int wait_ended(pid_t pid, int status)
{
	if (WIFSTOPPED(status))
		ptrace(PTRACE_DETACH, pid, 0, (void *)(long)WSTOPSIG(status));
	return WIFEXITED(status) || WIFSIGNALED(status);
}
#endif
