/* SPDX-License-Identifier: MIT */
/*
 * `toro test`: boots one test image, echoes its console and judges its KTAP
 * output (lib/ktap.h), ending with one line `N passed, N failed[, N skipped]`.
 */
#ifndef HOST_KTEST_H
#define HOST_KTEST_H

#include "lib/runopts.h"

#define KTEST_DEFAULT_TIMEOUT_MS 120000ull /* when --timeout is not given */
#define KTEST_LINE_MAX 4096 /* console bytes kept per line for the parser */

/*
 * Runs the image and prints the verdict. Returns 0 if nothing failed, 1 if
 * something did, or 128 + signal when interrupted.
 */
int ktest_run(const struct run_opts *o);

#endif
