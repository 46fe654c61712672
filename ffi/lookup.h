/*
 * The one command lookup: execvp's search, done before execve so that a
 * failure can be named (the PATH searched, the file that is not executable).
 * The init stage calls it through the shim (src/ffi/process.ts) for `run` and
 * `create`; the helper calls it for `contain exec`.
 */
#ifndef CONTAIN_LOOKUP_H
#define CONTAIN_LOOKUP_H
#include <stddef.h>

/*
 * `file` as execvp finds it in `search` (a PATH: ':'-separated, an empty
 * entry is the working directory), or as it is when it holds a '/'.
 * Returns 0 with the path in out; -ENOENT; -EISDIR (a '/'-path that names a
 * directory); -EACCES with the first file found that may not be executed in
 * out; -ENAMETOOLONG.
 */
int contain_lookup(const char *file, const char *search, char *out, size_t size);
#endif
