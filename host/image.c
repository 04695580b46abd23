/* SPDX-License-Identifier: MIT */
/*
 * Checks an image before QEMU sees it: QEMU boots a missing file with a terse
 * error, and an image larger than guest RAM with no error at all (the guest then
 * runs from memory that is not there and hangs). The ELF file is read with bounds
 * checks on every header it names.
 */
#include "host/image.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int image_check(const char *path, uint64_t mem, char *err, size_t len)
{
	Elf64_Ehdr eh;
	uint64_t end = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		snprintf(err, len, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(Elf64_Phdr) ||
	    eh.e_phnum > 256) {
		snprintf(err, len, "%s is not a 64-bit ELF image", path);
		close(fd);
		return -1;
	}
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		off_t at = (off_t)(eh.e_phoff + (uint64_t)i * sizeof(ph));

		if (pread(fd, &ph, sizeof(ph), at) != (ssize_t)sizeof(ph)) {
			snprintf(err, len, "%s: program header %u is cut off", path, i);
			close(fd);
			return -1;
		}
		if (ph.p_type == PT_LOAD && ph.p_paddr + ph.p_memsz > end)
			end = ph.p_paddr + ph.p_memsz;
	}
	close(fd);
	if (end > mem) {
		snprintf(err, len,
			 "%s loads up to %llu KiB of guest memory; --mem must be larger",
			 path, (unsigned long long)((end + 1023) / 1024));
		return -1;
	}
	return 0;
}
