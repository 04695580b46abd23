/* SPDX-License-Identifier: MIT */
#ifndef HOST_IMAGE_H
#define HOST_IMAGE_H

#include <stddef.h>
#include <stdint.h>

/* 0 if `path` is a 64-bit ELF whose loadable segments fit in `mem` bytes of guest
 * RAM; else -1 with a one-line reason in err. */
int image_check(const char *path, uint64_t mem, char *err, size_t len);

#endif
