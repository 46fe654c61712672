/* The one command lookup (lookup.h). No allocations: the helper runs it in a
 * child that shares its parent's memory (clone.c). */
#define _GNU_SOURCE /* strchrnul */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lookup.h"

/* 0: a regular file we may execute; -EACCES: one we may not; -ENOENT: none
 * (a directory in PATH is skipped, as execvp skips it). */
static int executable(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return -ENOENT;
	return access(path, X_OK) == 0 ? 0 : -EACCES;
}

int contain_lookup(const char *file, const char *search, char *out, size_t size)
{
	size_t len = strlen(file);
	if (strchr(file, '/')) {
		struct stat st;
		if (len >= size)
			return -ENAMETOOLONG;
		memcpy(out, file, len + 1);
		if (stat(file, &st) == 0 && S_ISDIR(st.st_mode))
			return -EISDIR;
		return executable(file);
	}
	int denied = 0;
	char candidate[PATH_MAX];
	for (const char *p = search;; p++) {
		const char *end = strchrnul(p, ':');
		/* An empty entry is the working directory. */
		size_t dir = end > p ? (size_t)(end - p) : 1;
		if (dir + len + 2 <= sizeof candidate && dir + len + 2 <= size) {
			memcpy(candidate, end > p ? p : ".", dir);
			candidate[dir] = '/';
			memcpy(candidate + dir + 1, file, len + 1);
			int found = executable(candidate);
			/* Found, or the first file found that may not run: named in out. */
			if (found == 0 || (found == -EACCES && !denied))
				memcpy(out, candidate, dir + len + 2);
			if (found == 0)
				return 0;
			denied |= found == -EACCES;
		}
		if (!*end)
			return denied ? -EACCES : -ENOENT;
		p = end;
	}
}
