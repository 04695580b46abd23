/* SPDX-License-Identifier: MIT */
/*
 * File throughput inside the guest, run by bench/fs.sh over a directory shared
 * with `toro run --fs`: reads big.bin (64 MiB) and writes out.bin (64 MiB) in
 * pieces of 1 MiB, ROUNDS times each, and prints the time of each pass as
 * `bench: fs_read_us N` and `bench: fs_write_us N` (microseconds, TSC clock;
 * the script takes the medians).
 */
#include <stdbool.h>
#include <toro/toro.h>

#define ROUNDS 5
#define CHUNK (1u << 20)
#define SIZE (64u << 20)

/* One pass: the time in ns, or 0 after printing what failed. */
static uint64_t pass(bool write, uint8_t *buf)
{
	uint64_t t0 = toro_now_ns(), done = 0;
	int fd = write ? toro_open("out.bin", TORO_O_WRONLY | TORO_O_CREAT | TORO_O_TRUNC,
				   0644) :
			 toro_open("big.bin", TORO_O_RDONLY, 0);
	long n = 0;

	if (fd < 0) {
		printf("fsbench: open: error %d\n", -fd);
		return 0;
	}
	while (done < SIZE) {
		n = write ? toro_write(fd, buf, CHUNK) : toro_read(fd, buf, CHUNK);
		if (n <= 0)
			break;
		done += (uint64_t)n;
	}
	if (toro_close(fd) < 0 || done != SIZE) {
		printf("fsbench: %s stopped after %llu bytes (%ld)\n",
		       write ? "write" : "read", (unsigned long long)done, n);
		return 0;
	}
	return toro_now_ns() - t0;
}

int main(void)
{
	uint8_t *buf = malloc(CHUNK);

	if (!buf)
		return 1;
	memset(buf, 0x5a, CHUNK);
	for (int i = 0; i < ROUNDS; i++) {
		uint64_t rd = pass(false, buf), wr = pass(true, buf);

		if (!rd || !wr)
			return 1;
		printf("bench: fs_read_us %llu\n", (unsigned long long)(rd / 1000));
		printf("bench: fs_write_us %llu\n", (unsigned long long)(wr / 1000));
	}
	free(buf);
	return 0;
}
