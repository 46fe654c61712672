/*
 * The helper's requests and report (ffi/helper.c), which src/ffi/requests.ts
 * packs and reads through the tables of src/ffi/layout.ts; ffi/layout.c
 * prints this file's layout, and test/unit/ffi-layout.test.ts holds the two
 * sides together. Every field is 64 bits wide, so the layout is the same on
 * x86_64 and arm64. Pointers arrive as offsets into the request's memfd and
 * are turned into addresses once it is read.
 */
#ifndef CONTAIN_HELPER_H
#define CONTAIN_HELPER_H
#include <stdint.h>

#include "exec.h"

/* ---- join: `contain exec` ---- */

enum join_step { JOIN_NONE, JOIN_STDIO, JOIN_CGROUP, JOIN_SETNS, JOIN_ROOT, JOIN_CLONE, JOIN_CWD, JOIN_LOOKUP, JOIN_EXEC };

struct join {
	int64_t pidfd; /* the container's init */
	int64_t ns_flags; /* CLONE_NEW* to join */
	int64_t root_fd; /* /proc/<init>/root, O_PATH */
	const int32_t *cgroup_fds; /* tasks (v1) or cgroup.procs (v2) of each hierarchy, O_WRONLY */
	int64_t ncgroup;
	const char *cwd;
	const char *file; /* the command; searched in search_path unless it has a '/' */
	const char *search_path;
	char **argv;
	char **envp;
	int64_t stdio[3]; /* used without a tty */
	struct contain_proc *proc; /* user, capabilities, seccomp, tty, ... */
	int64_t pdeathsig; /* the process's, when the CLI dies; 0 (exec --detach): none */
};

struct join_report {
	int64_t pid; /* the process, in the caller's PID namespace; 0 if none */
	int64_t err; /* -errno */
	int64_t step; /* enum join_step */
	int64_t exec_step; /* with JOIN_EXEC: contain_exec's step (enum exec_step) */
};

/* ---- start: the init's last step ---- */

enum start_step { START_NONE, START_CGROUP, START_CGROUPNS, START_EXEC, START_HOOK };

/* An OCI startContainer hook (config.md): run in the container, with the
 * state on stdin, after `start` and before the command. */
struct hook {
	const char *path;
	char **argv;
	char **envp;
	int64_t timeout; /* seconds; 0: none */
};

struct start {
	const int32_t *cgroup_fds; /* tasks (v1) or cgroup.procs (v2) of each hierarchy, O_WRONLY */
	int64_t ncgroup;
	int64_t cgroupns; /* 1: a cgroup namespace of its own, once inside */
	const char *path; /* the command, resolved by the init */
	char **argv;
	char **envp;
	struct contain_proc *proc;
	int64_t exec_fifo; /* >= 0: `create`'s exec.fifo (O_PATH): wait there for `start` */
	const char *hook_state;
	struct hook *hooks;
	int64_t nhooks;
};
#endif
