/*
 * Maps one 2 MiB huge page (MAP_HUGETLB) and touches it, as a database or a
 * DPDK program would, and says what the kernel answered: "mapped" once the
 * page is written, or "mmap: <errno name>" when the mapping is refused. The
 * hugetlb controller's reservation limit (hugetlb.2MB.rsvd.max) refuses it at
 * mmap with ENOMEM; its fault limit alone would kill the touch with SIGBUS.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

int main(void)
{
	const size_t size = 2 << 20;
	char *p = mmap(0, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (p == MAP_FAILED) {
		printf("mmap: %s\n", strerrorname_np(errno));
		return 1;
	}
	memset(p, 1, size);
	printf("mapped\n");
	return 0;
}
