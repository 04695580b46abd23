/* SPDX-License-Identifier: MIT */
/* The smallest Toro application: one line on the console, then exit code 0. */
#include <toro/toro.h>

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("Hello from Toro on CPU %d\n", toro_cpu());
	return 0;
}
