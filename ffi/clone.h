/*
 * The one clone of contain's C code, shared by the shim (ffi/shim.c: the
 * init of a foreground run, and the monitor and helper it starts), the
 * monitor (ffi/monitor.c: the init of a detached container) and the helper
 * (ffi/helper.c: `contain exec`'s process in the container), so that a
 * clone-time step (a user namespace's uid/gid maps, joining a namespace by
 * path) is written once.
 */
#ifndef CONTAIN_CLONE_H
#define CONTAIN_CLONE_H

struct clone_request {
	unsigned long flags; /* CLONE_NEW*, CLONE_PARENT: besides CLONE_VM|CLONE_VFORK|SIGCHLD */
	int pidns_fd; /* >= 0: the PID namespace to clone into, joined for the clone alone */
	int pdeathsig; /* the child's signal when the calling thread dies; 0: none */
	int *pidfd; /* if set, receives a pidfd for the child (CLONE_PIDFD) */
	/* The child's work: it starts with every signal blocked and the
	 * caller's handlers reset, and ends in execve, or returns its exit
	 * status. It shares the caller's memory: raw system calls only. */
	int (*run)(void *arg);
	void *arg;
};

/* Returns the child's pid once it has exec'd or exited, or -errno. */
long clone_child(const struct clone_request *req);
#endif
