/* SPDX-License-Identifier: MIT */
/* main() of every KTAP test image: run the suites the image was linked with. */
#include <toro/ktest.h>

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return ktest_run_all();
}
