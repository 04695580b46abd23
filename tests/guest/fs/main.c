/* SPDX-License-Identifier: MIT */
#include <toro/ktest.h>
#include <toro/toro.h>

int main(void)
{
	/*
	 * The mount, its service thread and the descriptor table live for the
	 * whole run: make them before the tests count memory.
	 */
	if (!toro_param("no_device")) {
		struct toro_stat st;
		int fd = toro_open("hello.txt", TORO_O_RDONLY, 0);

		toro_stat("/", &st);
		if (fd > 0)
			toro_close(fd);
	}
	return ktest_run_all();
}
