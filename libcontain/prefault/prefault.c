// See doc.go.
#define _GNU_SOURCE
#include <link.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22 /* Linux 5.14 */
#endif

/* The main program is the first object dl_iterate_phdr reports. */
static int populate_text(struct dl_phdr_info *info, size_t size, void *data)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	(void)size;
	(void)data;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X) || (ph->p_flags & PF_W))
			continue;
		uintptr_t start = (info->dlpi_addr + ph->p_vaddr) & ~(page - 1);
		uintptr_t end = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
		/* Best effort: a kernel without the advice says EINVAL, and faults as before. */
		madvise((void *)start, end - start, MADV_POPULATE_READ);
	}
	return 1;
}

__attribute__((constructor)) static void prefault(void)
{
	/* nsenter's child: it joins namespaces and may fork first; leave it as it was. */
	if (getenv("_CONTAIN_NSENTER") != NULL)
		return;
	dl_iterate_phdr(populate_text, NULL);
}
