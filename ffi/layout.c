/*
 * The layout probe: what the C compiler makes of the structs and enums that
 * src/ffi/layout.ts describes for the packing, printed from the real headers,
 * one line each:
 *   struct NAME SIZE
 *   field STRUCT.FIELD OFFSET SIZE KIND      KIND: i32 u32 i64 u64 ptr, KIND[N] for an array
 *   enum NAME.CONSTANT VALUE
 * test/unit/ffi-layout.test.ts compiles and runs it, and fails on any line
 * that differs from the TypeScript tables. Not part of the binary.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "exec.h"
#include "helper.h"

#define KIND(x) _Generic((x), int32_t: "i32", uint32_t: "u32", int64_t: "i64", uint64_t: "u64", default: "ptr")
#define MEMBER(s, f) (((struct s *)0)->f)
#define STRUCT(s) printf("struct %s %zu\n", #s, sizeof(struct s))
#define FIELD(s, f) printf("field %s.%s %zu %zu %s\n", #s, #f, offsetof(struct s, f), sizeof MEMBER(s, f), KIND(MEMBER(s, f)))
#define ARRAY(s, f)                                                                                                   \
	printf("field %s.%s %zu %zu %s[%zu]\n", #s, #f, offsetof(struct s, f), sizeof MEMBER(s, f), KIND(MEMBER(s, f)[0]), \
	       sizeof MEMBER(s, f) / sizeof MEMBER(s, f)[0])
#define CONSTANT(e, c) printf("enum %s.%s %d\n", #e, #c, (int)(enum e)c)

int main(void)
{
	STRUCT(contain_proc);
	FIELD(contain_proc, uid);
	FIELD(contain_proc, gid);
	FIELD(contain_proc, ngroups);
	FIELD(contain_proc, groups);
	FIELD(contain_proc, nrlimits);
	FIELD(contain_proc, rlimits);
	FIELD(contain_proc, set_caps);
	FIELD(contain_proc, bounding);
	FIELD(contain_proc, effective);
	FIELD(contain_proc, permitted);
	FIELD(contain_proc, inheritable);
	FIELD(contain_proc, no_new_privs);
	FIELD(contain_proc, seccomp_len);
	FIELD(contain_proc, seccomp);
	FIELD(contain_proc, seccomp_flags);
	FIELD(contain_proc, init_fd);
	FIELD(contain_proc, tty_fd);
	FIELD(contain_proc, umask);

	STRUCT(join);
	FIELD(join, pidfd);
	FIELD(join, ns_flags);
	FIELD(join, root_fd);
	FIELD(join, cgroup_fds);
	FIELD(join, ncgroup);
	FIELD(join, cwd);
	FIELD(join, file);
	FIELD(join, search_path);
	FIELD(join, argv);
	FIELD(join, envp);
	ARRAY(join, stdio);
	FIELD(join, proc);
	FIELD(join, pdeathsig);

	STRUCT(join_report);
	FIELD(join_report, pid);
	FIELD(join_report, err);
	FIELD(join_report, step);
	FIELD(join_report, exec_step);

	STRUCT(hook);
	FIELD(hook, path);
	FIELD(hook, argv);
	FIELD(hook, envp);
	FIELD(hook, timeout);

	STRUCT(start);
	FIELD(start, cgroup_fds);
	FIELD(start, ncgroup);
	FIELD(start, cgroupns);
	FIELD(start, path);
	FIELD(start, argv);
	FIELD(start, envp);
	FIELD(start, proc);
	FIELD(start, exec_fifo);
	FIELD(start, hook_state);
	FIELD(start, hooks);
	FIELD(start, nhooks);

	CONSTANT(exec_step, EXEC_SESSION);
	CONSTANT(exec_step, EXEC_RLIMITS);
	CONSTANT(exec_step, EXEC_CREDENTIALS);
	CONSTANT(exec_step, EXEC_NO_NEW_PRIVS);
	CONSTANT(exec_step, EXEC_SECCOMP);
	CONSTANT(exec_step, EXEC_EXECVE);

	CONSTANT(join_step, JOIN_NONE);
	CONSTANT(join_step, JOIN_STDIO);
	CONSTANT(join_step, JOIN_CGROUP);
	CONSTANT(join_step, JOIN_SETNS);
	CONSTANT(join_step, JOIN_ROOT);
	CONSTANT(join_step, JOIN_CLONE);
	CONSTANT(join_step, JOIN_CWD);
	CONSTANT(join_step, JOIN_LOOKUP);
	CONSTANT(join_step, JOIN_EXEC);

	CONSTANT(start_step, START_NONE);
	CONSTANT(start_step, START_CGROUP);
	CONSTANT(start_step, START_CGROUPNS);
	CONSTANT(start_step, START_EXEC);
	CONSTANT(start_step, START_HOOK);
	return 0;
}
