/* SPDX-License-Identifier: MIT */
/* Kernel parameters and application arguments from the command line. */
#ifndef KERNEL_PARAMS_H
#define KERNEL_PARAMS_H

/* Splits the command line: `key[=value]` words before `--` become parameters
 * (toro_param), the words after it main()'s argv[1..]. */
void params_init(const char *cmdline);
int params_argc(void);
char **params_argv(void);

#endif
