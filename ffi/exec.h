/*
 * The container's last step before execve, shared by the two roles of the
 * static helper (ffi/helper.c: the init's start, and `contain exec`'s join)
 * and the startContainer hooks, so all give the container's command the same
 * session, rlimits, user, capabilities, no_new_privs and seccomp filter.
 */
#ifndef CONTAIN_EXEC_H
#define CONTAIN_EXEC_H
#include <linux/filter.h>
#include <stdint.h>

/*
 * The attributes of the container's command (Plan.process), packed by
 * src/ffi/requests.ts through the table in src/ffi/layout.ts (checked
 * against this file by ffi/layout.c). Every field is 64 bits wide, so the
 * layout is the same on x86_64 and arm64 without padding rules.
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
	uint64_t umask; /* the command's, whatever the caller's */
};

/* Where contain_exec stopped (its *step), in the order the steps run with
 * no_new_privs; without it the filter goes in first (EXEC_SECCOMP before
 * EXEC_CREDENTIALS: the kernel wants CAP_SYS_ADMIN for it then). */
enum exec_step { EXEC_SESSION, EXEC_RLIMITS, EXEC_CREDENTIALS, EXEC_NO_NEW_PRIVS, EXEC_SECCOMP, EXEC_EXECVE };

long contain_exec(const char *path, char *const argv[], char *const envp[], const struct contain_proc *p, int *step);
#endif
