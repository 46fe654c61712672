/* The container's last step before execve: see exec.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/seccomp.h>

#include "exec.h"
#include "signals.h"

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
	*step = EXEC_SESSION;
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
	umask((mode_t)p->umask);
	*step = EXEC_RLIMITS;
	for (uint64_t i = 0; i < p->nrlimits; i++) {
		struct rlimit lim = { p->rlimits[3 * i + 1], p->rlimits[3 * i + 2] };
		if (syscall(SYS_prlimit64, 0, (int)p->rlimits[3 * i], &lim, 0) < 0)
			return neg_errno();
	}
	*step = EXEC_SECCOMP;
	if (!p->no_new_privs && load_seccomp(p) < 0)
		return neg_errno();
	*step = EXEC_CREDENTIALS;
	if (drop_privileges(p) < 0)
		return neg_errno();
	*step = EXEC_NO_NEW_PRIVS;
	if (p->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return neg_errno();
	*step = EXEC_SECCOMP;
	if (p->no_new_privs && load_seccomp(p) < 0)
		return neg_errno();
	*step = EXEC_EXECVE;
	if (p->init_fd >= 0)
		syscall(SYS_execveat, (int)p->init_fd, "", argv, envp, AT_EMPTY_PATH);
	else
		execve(path, argv, envp);
	return neg_errno();
}

