/*
 * contain-monitor: the parent of a detached container's init, and the only
 * thing that stays behind while it runs.
 *
 * Why a process at all. Only a parent can learn how a child ended (wait4),
 * and an orphan is handed to PID 1, which on some machines never reaps (then
 * the exit code is lost) and in any case tells nobody. The container's output
 * must reach its log bounded, whatever it prints. `contain run -d` must
 * return at once, and a resident Bun would cost ~30 MB per container, so the
 * parent is this small static C program, started from a memfd (never on
 * disk) and so about as big in memory as a shell's `sleep`.
 *
 * What it does, in order:
 *   1. detaches: stdio to /dev/null, its own session, no death signal (the
 *      CLI that started it is about to exit);
 *   2. clones the init into the container's namespaces (clone.c; a PID
 *      namespace of another's joined for that clone alone, when pidns_fd is one) and execs
 *      `contain init` from init_fd (the contain binary sealed, so that the
 *      container can never write it: src/linux/self.ts), with the sync and
 *      status pipes that the CLI drives (see src/plan/protocol.ts); the
 *      init's stdout and stderr are pipes of the monitor's. init_fd is closed
 *      once the init is cloned, so a sealed copy is not held for the
 *      container's life;
 *   3. reports the init's pid (or -errno) on rep_fd and closes it;
 *   4. in one poll loop, until the init has ended and its pipes are drained:
 *      writes what the container prints to <log dir>/log, an entry per line
 *      in CRI's format (TIMESTAMP STREAM F|P MESSAGE; a line longer than
 *      16 KiB is split into P entries, so no line grows without bound), and
 *      rotates it as docker's local driver (log -> log.1 -> ... -> log.N-1)
 *      before it would pass max_size; when the init ends (SIGCHLD through a
 *      signalfd; a tracee's stop is no end: it is detached with its signal),
 *      writes its wait status and the time to <state dir>/exit (temp file +
 *      rename: never torn);
 *   5. waits until the CLI is done with the container (EOF on ctl_fd: it
 *      exited, or died), so the clean-up never races the start;
 *   the loop also serves attach.sock in the state directory (contain
 *   attach): every client gets what the container prints, and with stdin
 *   (-d -i: the init's stdin a pipe of the monitor's) their input goes to
 *   the command; with a terminal,
 *   whose master the CLI hands over there, what the pty prints goes to the
 *   log as stdout and to the clients, and their input and window sizes go
 *   to the pty;
 *   6. hands the container over to whoever releases it: to a client of
 *      attach.sock that asked for it ('r': a `contain stop` or `rm -f`,
 *      already running, releases it at once, src/runtime/stop.ts), lock_fd
 *      sent over its connection, and then exits; or else execs `contain reap
 *      ROOT ID LOCK_FD` once from exe_fd (the contain binary, opened by the
 *      CLI: reap runs on the host, in no container's namespaces), which
 *      releases the container's resources and applies the restart policy
 *      (src/runtime/reap.ts). Either way the state lock stays held until
 *      the resources are released (the open file is the lock, wherever its
 *      descriptor goes), and is freed by the kernel however its holder
 *      ends, which tells the next contain command to sweep.
 *
 * If this process is SIGKILLed, the init dies with it (PR_SET_PDEATHSIG) and
 * the next contain command releases what is left.
 *
 * argv: contain-monitor exe_fd init_fd dir_fd sync_rd status_wr shim_fd
 *       log_dir_fd ctl_fd rep_fd lock_fd clone_flags max_size max_file root id
 *       stdin pidns_fd
 *
 * Cloned ahead (`run -d`, src/cli/ahead.ts: before the CLI has loaded its
 * modules or knows its container): dir_fd is -1, and lock_fd is a socket on
 * which, once the init is cloned and reported, the CLI sends the rest, one
 * message: "MAX_SIZE MAX_FILE" NUL ROOT NUL ID NUL, with exe_fd, dir_fd,
 * log_dir_fd, ctl_fd and lock_fd as SCM_RIGHTS; the monitor answers one byte
 * once attach.sock listens. EOF there instead (the CLI died, or clones
 * another init): the init is killed and reaped, and the monitor exits.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clone.h"
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

/* CRI splits longer lines into partial (P) entries. */
#define LINE_MAX_BYTES (16 * 1024)

struct log {
	int dir, fd;
	long long size, max_size;
	int max_file;
};

static void log_open(struct log *l, int flags)
{
	struct stat st;
	l->fd = openat(l->dir, "log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | flags, 0640);
	l->size = l->fd >= 0 && fstat(l->fd, &st) == 0 ? st.st_size : 0;
}

/* log.N-2 -> log.N-1, ..., log -> log.1, then a new log; with one file, the
 * log starts over. */
static void log_rotate(struct log *l)
{
	char from[24], to[24];
	close(l->fd);
	for (int i = l->max_file - 1; i >= 1; i--) {
		snprintf(to, sizeof to, "log.%d", i);
		if (i == 1)
			strcpy(from, "log");
		else
			snprintf(from, sizeof from, "log.%d", i - 1);
		renameat(l->dir, from, l->dir, to);
	}
	log_open(l, O_TRUNC);
}

/* One entry, TIMESTAMP STREAM TAG MESSAGE, the timestamp RFC 3339 in UTC
 * with nanoseconds, as CRI has it. */
static void log_entry(struct log *l, const char *stream, char tag, const char *msg, size_t len)
{
	struct timespec now;
	struct tm tm;
	char head[64];
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	size_t h = strftime(head, sizeof head, "%Y-%m-%dT%H:%M:%S", &tm);
	h += snprintf(head + h, sizeof head - h, ".%09ldZ %s %c ", now.tv_nsec, stream, tag);
	long long total = (long long)(h + len + 1);
	if (l->size > 0 && l->size + total > l->max_size)
		log_rotate(l);
	if (l->fd < 0)
		return;
	struct iovec iov[3] = { { head, h }, { (void *)msg, len }, { "\n", 1 } };
	if (writev(l->fd, iov, 3) > 0)
		l->size += total;
}

struct stream {
	const char *name;
	size_t len; /* of the line so far, in buf */
	char buf[LINE_MAX_BYTES];
};

/* Bytes read from a stream: a whole line is an F entry, a line that fills
 * the buffer a P entry of what it has so far. */
static void pump(struct log *l, struct stream *s, const char *data, size_t n)
{
	while (n) {
		const char *nl = memchr(data, '\n', n);
		size_t line = nl ? (size_t)(nl - data) : n;
		while (line) {
			size_t room = sizeof s->buf - s->len, k = line < room ? line : room;
			memcpy(s->buf + s->len, data, k);
			s->len += k, data += k, n -= k, line -= k;
			if (s->len == sizeof s->buf) {
				log_entry(l, s->name, 'P', s->buf, s->len);
				s->len = 0;
			}
		}
		if (nl) {
			log_entry(l, s->name, 'F', s->buf, s->len);
			s->len = 0, data++, n--;
		}
	}
}

/* attach.sock's clients: each sends frames, a type byte ('i': input for the
 * pty; 'w': the window's rows and cols, two u16; 'r': this client releases
 * the container once it has ended, and reads nothing but the lock), a u16
 * length (both little endian), the bytes; and reads frames of the same
 * shape, 'o' what the container wrote to stdout (or its pty), 'e' to
 * stderr. */
#define MAX_ATTACH 8
#define FRAME_MAX 4096
struct client {
	int fd;
	int releaser;
	size_t have;
	unsigned char buf[3 + FRAME_MAX];
};

/* Bound through the directory's descriptor: the state directory's path may
 * be longer than sun_path's 108 bytes, /proc/self/fd/N/ never is. Only root
 * may connect (umask 077, in a root-only directory). */
static int attach_listen(int dir_fd)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	snprintf(a.sun_path, sizeof a.sun_path, "/proc/self/fd/%d/attach.sock", dir_fd);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	mode_t old = umask(077);
	int ok = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && listen(fd, MAX_ATTACH) == 0;
	umask(old);
	if (!ok && fd >= 0)
		close(fd);
	return ok ? fd : -1;
}

/* What a client sent; -1 once it is to be closed. A message that carries a
 * descriptor is the CLI's handoff of the pty master (runc's console-socket
 * message, the pty's name as its bytes), taken once. Input goes to the pty,
 * or else to the command's stdin pipe (in_fd, -1 without -i). */
static int client_read(struct client *c, int *master, int in_fd)
{
	char ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { c->buf + c->have, sizeof c->buf - c->have };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl };
	ssize_t n = recvmsg(c->fd, &m, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -1;
	struct cmsghdr *h = CMSG_FIRSTHDR(&m);
	if (h && h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS) {
		int fd;
		memcpy(&fd, CMSG_DATA(h), sizeof fd);
		if (*master < 0) {
			*master = fd;
			fcntl(fd, F_SETFL, O_NONBLOCK);
		} else {
			close(fd);
		}
		return -1;
	}
	if (n == 0)
		return -1;
	c->have += n;
	while (c->have >= 3) {
		size_t len = c->buf[1] | (size_t)c->buf[2] << 8;
		if (len > FRAME_MAX)
			return -1;
		if (c->have < 3 + len)
			break;
		int to = *master >= 0 ? *master : in_fd;
		if (to >= 0 && c->buf[0] == 'i') {
			/* Input the command does not read now is dropped, as a full
			 * line discipline drops it: no client can stall the loop. */
			ssize_t w = write(to, c->buf + 3, len);
			(void)w;
		} else if (c->buf[0] == 'r') {
			c->releaser = 1;
		} else if (*master >= 0 && c->buf[0] == 'w' && len == 4) {
			struct winsize ws = { .ws_row = c->buf[3] | c->buf[4] << 8, .ws_col = c->buf[5] | c->buf[6] << 8 };
			ioctl(*master, TIOCSWINSZ, &ws);
		}
		c->have -= 3 + len;
		memmove(c->buf, c->buf + 3 + len, c->have);
	}
	return 0;
}

static void client_close(struct client *c)
{
	close(c->fd);
	c->fd = -1;
	c->releaser = 0;
	c->have = 0;
}

/* Output to every client, as one frame (n < 64 KiB); one that cannot take
 * it now is let go, so no reader can stall the container. */
static void broadcast(struct client *clients, char type, const char *data, size_t n)
{
	unsigned char head[3] = { (unsigned char)type, n & 0xff, n >> 8 };
	struct iovec iov[2] = { { head, 3 }, { (void *)data, n } };
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2 };
	for (int i = 0; i < MAX_ATTACH; i++)
		if (clients[i].fd >= 0 && !clients[i].releaser && sendmsg(clients[i].fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)(3 + n))
			client_close(&clients[i]);
}

/* A new client, if one is waiting: 0 if none was. Past MAX_ATTACH one is
 * let go at once. */
static int accept_client(int listen_fd, struct client *clients)
{
	int c = accept4(listen_fd, 0, 0, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (c < 0)
		return 0;
	for (int i = 0; i < MAX_ATTACH; i++)
		if (clients[i].fd < 0) {
			clients[i].fd = c;
			return 1;
		}
	close(c);
	return 1;
}

/* The container's lock to the client that releases it: one byte, with
 * lock_fd as SCM_RIGHTS. 0 if it could not take it (gone meanwhile). */
static int send_lock(int fd, int lock_fd)
{
	char ctl[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { "l", 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl };
	struct cmsghdr *h = CMSG_FIRSTHDR(&m);
	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	h->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(h), &lock_fd, sizeof lock_fd);
	return sendmsg(fd, &m, MSG_NOSIGNAL) == 1;
}

/* What the init's child needs, prepared before the clone (clone.c: the
 * child shares the monitor's memory). */
struct init_child {
	int in, out, err; /* its stdin (-1: /dev/null), stdout and stderr */
	int keep[3]; /* the sync and status pipes, the shim's memfd */
	int init_fd;
	char *const *argv;
};

static int exec_init(void *arg)
{
	const struct init_child *c = arg;
	char *const no_env[] = { 0 };
	if (c->in >= 0)
		dup2(c->in, 0);
	dup2(c->out, 1);
	dup2(c->err, 2);
	only_keep(c->keep, 3);
	reset_signals();
	syscall(SYS_execveat, c->init_fd, "", c->argv, no_env, AT_EMPTY_PATH);
	return 125;
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

/* Every child that changed state; 1 once the init has ended (*status set).
 * Any child: besides the init, a thread of it that asked to be traced is
 * ours to wait for, by its own tid, and a stop is detached (wait-status.h). */
static int reap(pid_t init, int *status, int options)
{
	int st, ended = 0;
	pid_t got;
	while (!ended && (got = waitpid(-1, &st, options | __WALL)) > 0)
		if (wait_ended(got, st) && got == init)
			ended = 1, *status = st;
	return ended;
}

/* The rest of an ahead monitor's arguments (see the top). */
static int receive_late(int sock, int fds[5], struct log *log, char **root, char **id)
{
	static char text[4096];
	char ctl[CMSG_SPACE(5 * sizeof(int))] = { 0 };
	struct iovec iov = { text, sizeof text - 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl };
	ssize_t n;
	while ((n = recvmsg(sock, &m, 0)) < 0 && errno == EINTR)
		;
	struct cmsghdr *h = n > 0 ? CMSG_FIRSTHDR(&m) : 0;
	if (!h || h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS || h->cmsg_len != CMSG_LEN(5 * sizeof(int)))
		return -1;
	memcpy(fds, CMSG_DATA(h), 5 * sizeof(int));
	text[n] = 0;
	char *end;
	log->max_size = strtoll(text, &end, 10);
	log->max_file = (int)strtol(end, 0, 10);
	size_t at = strlen(text) + 1;
	if (at >= (size_t)n)
		return -1;
	*root = text + at;
	at += strlen(text + at) + 1;
	if (at >= (size_t)n)
		return -1;
	*id = text + at;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 18)
		return 125;
	int exe_fd = num(argv[1]), init_fd = num(argv[2]), dir_fd = num(argv[3]), sync_rd = num(argv[4]);
	int status_wr = num(argv[5]), shim_fd = num(argv[6]), ctl_fd = num(argv[8]);
	int rep_fd = num(argv[9]), lock_fd = num(argv[10]);
	unsigned long flags = strtoul(argv[11], 0, 10);
	struct log log = { .dir = num(argv[7]), .max_size = strtoll(argv[12], 0, 10), .max_file = num(argv[13]) };
	char *root = argv[14], *id = argv[15];
	int want_stdin = num(argv[16]), pidns_fd = num(argv[17]);
	int late_fd = dir_fd < 0 ? lock_fd : -1;
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
	/* SIGCHLD arrives as data in the poll loop: the init's end, and a
	 * tracee's stop, which a pidfd would not report. */
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, 0);
	int sig_fd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
	int out[2], err[2], in[2] = { -1, -1 };
	if (sig_fd < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)
		return 125;
	if (want_stdin && pipe2(in, O_CLOEXEC) < 0)
		return 125;
	/* Listening before the init exists: the CLI hands the master over as
	 * soon as the init reports it. */
	int listen_fd = late_fd < 0 ? attach_listen(dir_fd) : -1;
	if (late_fd < 0 && listen_fd < 0)
		return 125;

	/* The init, cloned into the PID namespace pidns_fd names (-1: the one
	 * the flags make or the monitor's own); reap (exec'd from here) and
	 * what that runs stay on the host. */
	char sync_s[16], status_s[16], shim_s[16];
	snprintf(sync_s, sizeof sync_s, "%d", sync_rd);
	snprintf(status_s, sizeof status_s, "%d", status_wr);
	snprintf(shim_s, sizeof shim_s, "%d", shim_fd);
	char *const init_argv[] = { "contain", "init", sync_s, status_s, shim_s, 0 };
	struct init_child child = { in[0], out[1], err[1], { sync_rd, status_wr, shim_fd }, init_fd, init_argv };
	struct clone_request req = { flags, pidns_fd, SIGKILL, 0, exec_init, &child };
	pid_t pid = (pid_t)clone_child(&req);
	int report = pid;
	close(init_fd);
	if (pidns_fd >= 0)
		close(pidns_fd);
	int ok = write(rep_fd, &report, sizeof report) == sizeof report;
	close(rep_fd);
	close(sync_rd);
	close(status_wr);
	close(out[1]);
	close(err[1]);
	if (in[0] >= 0) {
		close(in[0]);
		fcntl(in[1], F_SETFL, O_NONBLOCK);
	}
	if (shim_fd >= 0)
		close(shim_fd);
	if (pid < 0 || !ok)
		return 125;
	if (late_fd >= 0) {
		int late[5];
		if (receive_late(late_fd, late, &log, &root, &id) < 0 || (listen_fd = attach_listen(late[1])) < 0) {
			int st;
			kill(pid, SIGKILL);
			while (!reap(pid, &st, 0) && errno == EINTR)
				;
			return 125;
		}
		exe_fd = late[0], dir_fd = late[1], log.dir = late[2], ctl_fd = late[3], lock_fd = late[4];
		char byte = 1;
		if (write(late_fd, &byte, 1) != 1)
			return 125;
		close(late_fd);
	}

	log_open(&log, 0);
	static struct stream streams[2] = { { "stdout", 0, { 0 } }, { "stderr", 0, { 0 } } };
	static struct client clients[MAX_ATTACH];
	for (int i = 0; i < MAX_ATTACH; i++)
		clients[i].fd = -1;
	/* 0-2: the init's stdout, stderr, SIGCHLD; 3: attach.sock; 4: the pty
	 * master; then the clients. A negative fd is one poll skips. */
	struct pollfd fds[5 + MAX_ATTACH] = { { out[0], POLLIN, 0 }, { err[0], POLLIN, 0 }, { sig_fd, POLLIN, 0 } };
	int ended = 0, open_streams = 2, status = 0, master = -1;
	/* A frame's length is a u16. */
	static char chunk[65535];
	while (open_streams || master >= 0 || !ended) {
		fds[3] = (struct pollfd){ listen_fd, POLLIN, 0 };
		fds[4] = (struct pollfd){ master, POLLIN, 0 };
		for (int i = 0; i < MAX_ATTACH; i++)
			fds[5 + i] = (struct pollfd){ clients[i].fd, POLLIN, 0 };
		/* Once the init has ended its PID namespace goes, and every writer of
		 * the pipes with it: what is left is drained for a bounded while. */
		int r = poll(fds, 5 + MAX_ATTACH, ended ? 2000 : -1);
		if (r == 0 || (r < 0 && errno != EINTR))
			break;
		if (r < 0)
			continue;
		if (fds[3].revents)
			accept_client(listen_fd, clients);
		for (int i = 0; i < MAX_ATTACH; i++)
			if (clients[i].fd >= 0 && fds[5 + i].revents && client_read(&clients[i], &master, in[1]) < 0)
				client_close(&clients[i]);
		if (master >= 0 && fds[4].revents) {
			ssize_t n = read(master, chunk, sizeof chunk);
			if (n > 0) {
				pump(&log, &streams[0], chunk, n);
				broadcast(clients, 'o', chunk, n);
			} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
				/* EIO: every holder of the pty's other end has gone. */
				if (streams[0].len)
					log_entry(&log, streams[0].name, 'P', streams[0].buf, streams[0].len);
				streams[0].len = 0;
				close(master);
				master = -1;
				for (int i = 0; i < MAX_ATTACH; i++)
					if (clients[i].fd >= 0 && !clients[i].releaser)
						client_close(&clients[i]);
			}
		}
		for (int i = 0; i < 2; i++) {
			if (fds[i].fd < 0 || !fds[i].revents)
				continue;
			ssize_t n = read(fds[i].fd, chunk, sizeof chunk);
			if (n > 0 || (n < 0 && errno == EINTR)) {
				if (n > 0) {
					pump(&log, &streams[i], chunk, n);
					broadcast(clients, i ? 'e' : 'o', chunk, n);
				}
				continue;
			}
			/* Closed: a last line without its newline is a partial entry. */
			if (streams[i].len)
				log_entry(&log, streams[i].name, 'P', streams[i].buf, streams[i].len);
			streams[i].len = 0;
			close(fds[i].fd);
			fds[i].fd = -1;
			open_streams--;
		}
		if (fds[2].revents) {
			struct signalfd_siginfo info;
			while (read(sig_fd, &info, sizeof info) == sizeof info)
				;
			if (!ended && reap(pid, &status, WNOHANG)) {
				ended = 1;
				write_exit(dir_fd, status);
			}
		}
	}
	/* Only if poll failed: the end is still the init's. */
	if (!ended) {
		while (!reap(pid, &status, 0) && errno == EINTR)
			;
		write_exit(dir_fd, status);
	}

	/* A releaser connects and asks before it signals the init, so by now
	 * its request is here, even if the loop ended before reading it. */
	while (accept_client(listen_fd, clients))
		;
	for (int i = 0; i < MAX_ATTACH; i++)
		if (clients[i].fd >= 0 && client_read(&clients[i], &master, in[1]) < 0)
			client_close(&clients[i]);
	/* Attaching to an ended container finds no socket. */
	unlinkat(dir_fd, "attach.sock", 0);
	char byte;
	for (;;) {
		ssize_t r = read(ctl_fd, &byte, 1);
		if (r == 0 || (r < 0 && errno != EINTR))
			break;
	}
	for (int i = 0; i < MAX_ATTACH; i++)
		if (clients[i].releaser && send_lock(clients[i].fd, lock_fd))
			return 0;
	char lock_s[16];
	snprintf(lock_s, sizeof lock_s, "%d", lock_fd);
	char *const reap_argv[] = { "contain", "reap", root, id, lock_s, 0 };
	int keep[] = { lock_fd };
	only_keep(keep, 1);
	syscall(SYS_execveat, exe_fd, "", reap_argv, no_env, AT_EMPTY_PATH);
	return 125;
}
