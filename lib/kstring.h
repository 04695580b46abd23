/* SPDX-License-Identifier: MIT */
/*
 * The string functions lib/ may call. The kernel provides them (kernel/string.c);
 * host builds take the C library's.
 */
#ifndef LIB_KSTRING_H
#define LIB_KSTRING_H

#include <stddef.h>

#ifdef TORO_KERNEL
#include "toro/string.h"
#else
#include <string.h>
#endif

#endif
