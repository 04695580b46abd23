/* SPDX-License-Identifier: MIT */
/*
 * The file API against a host directory shared by virtiofsd. The directory is
 * prepared by tests/integration/fs.sh, which also checks from the host what the
 * guest wrote and answers the handshakes below:
 *   hello.txt      "hello from the host\n"
 *   sub/inner.txt  "inner\n"
 *   many/          1000 empty files f000 .. f999
 *   big.bin        64 MiB; its cksum is the parameter big_cksum=
 *   outside        a symbolic link to a file outside the directory
 * With the parameter no_device the VM has no virtio-fs device at all.
 * Everything the guest creates goes below scratch/.
 */
#include <toro/ktest.h>
#include <toro/toro.h>

#include "lib/cksum.h"

#define MS 1000000ull
#define BIG (64u << 20)

static bool no_device(void)
{
	return toro_param("no_device") != NULL;
}

static bool have_fs(void)
{
	if (no_device())
		ktest_skip("no virtio-fs device");
	return !no_device();
}

/* Reads the whole file at path into buf (cap bytes); its length or -errno. */
static long slurp(const char *path, char *buf, size_t cap)
{
	int fd = toro_open(path, TORO_O_RDONLY, 0);
	long n, total = 0;

	if (fd < 0)
		return fd;
	while ((size_t)total < cap && (n = toro_read(fd, buf + total, cap - total)) > 0)
		total += n;
	toro_close(fd);
	return total;
}

/* Writes len bytes of s to a new file at path. */
static int spit(const char *path, const char *s, size_t len)
{
	int fd = toro_open(path, TORO_O_WRONLY | TORO_O_CREAT | TORO_O_TRUNC, 0644);
	long n;

	if (fd < 0)
		return fd;
	n = toro_write(fd, s, len);
	toro_close(fd);
	return n == (long)len ? 0 : -EIO;
}

static void mkscratch(void)
{
	int r = toro_mkdir("scratch", 0755);

	KEXPECT_TRUE(r == 0 || r == -EEXIST);
}

KTEST(fs, without_a_device_every_call_says_enodev)
{
	struct toro_stat st;

	if (!no_device()) {
		ktest_skip("a virtio-fs device is present");
		return;
	}
	KEXPECT_EQ(toro_open("hello.txt", TORO_O_RDONLY, 0), -ENODEV);
	KEXPECT_EQ(toro_stat("/", &st), -ENODEV);
	KEXPECT_EQ(toro_mkdir("d", 0755), -ENODEV);
	KEXPECT_EQ(toro_opendir("/"), -ENODEV);
	KEXPECT_EQ(toro_read(12345, &st, 1), -EBADF);
}

KTEST(fs, reads_a_host_file)
{
	char buf[64];
	struct toro_stat st;

	if (!have_fs())
		return;
	KEXPECT_EQ(slurp("hello.txt", buf, sizeof(buf)), 20);
	buf[20] = '\0';
	KEXPECT_STREQ(buf, "hello from the host\n");
	KEXPECT_EQ(slurp("/sub/inner.txt", buf, sizeof(buf)), 6);
	KEXPECT_EQ(toro_stat("hello.txt", &st), 0);
	KEXPECT_EQ(st.size, 20);
	KEXPECT_TRUE(TORO_S_ISREG(st.mode));
	KEXPECT_GT(st.mtime_ns, 1000000000ll * 1000000000ll); /* after 2001 */
	KEXPECT_EQ(toro_stat("/", &st), 0);
	KEXPECT_TRUE(TORO_S_ISDIR(st.mode));
}

KTEST(fs, create_write_read_back)
{
	char buf[100];
	int fd;

	if (!have_fs())
		return;
	mkscratch();
	fd = toro_open("scratch/a.txt", TORO_O_RDWR | TORO_O_CREAT | TORO_O_TRUNC, 0600);
	KEXPECT_GT(fd, 0);
	KEXPECT_EQ(toro_write(fd, "hello, ", 7), 7);
	KEXPECT_EQ(toro_write(fd, "world", 5), 5);
	KEXPECT_EQ(toro_lseek(fd, 0, TORO_SEEK_CUR), 12);
	KEXPECT_EQ(toro_lseek(fd, 0, TORO_SEEK_SET), 0);
	KEXPECT_EQ(toro_read(fd, buf, sizeof(buf)), 12);
	KEXPECT_EQ(memcmp(buf, "hello, world", 12), 0);
	KEXPECT_EQ(toro_read(fd, buf, sizeof(buf)), 0); /* end of file */
	KEXPECT_EQ(toro_lseek(fd, -5, TORO_SEEK_END), 7);
	KEXPECT_EQ(toro_read(fd, buf, 5), 5);
	KEXPECT_EQ(memcmp(buf, "world", 5), 0);
	KEXPECT_EQ(toro_fsync(fd), 0);
	KEXPECT_EQ(toro_close(fd), 0);
	KEXPECT_EQ(toro_close(fd), -EBADF);
	/* O_EXCL on an existing file; O_TRUNC empties it. */
	KEXPECT_EQ(toro_open("scratch/a.txt", TORO_O_WRONLY | TORO_O_CREAT | TORO_O_EXCL,
			     0600),
		   -EEXIST);
	fd = toro_open("scratch/a.txt", TORO_O_WRONLY | TORO_O_TRUNC, 0);
	KEXPECT_GT(fd, 0);
	toro_close(fd);
	KEXPECT_EQ(slurp("scratch/a.txt", buf, sizeof(buf)), 0);
}

KTEST(fs, pread_and_pwrite_leave_the_offset)
{
	char buf[16];
	int fd;

	if (!have_fs())
		return;
	mkscratch();
	fd = toro_open("scratch/p.bin", TORO_O_RDWR | TORO_O_CREAT | TORO_O_TRUNC, 0644);
	KEXPECT_GT(fd, 0);
	KEXPECT_EQ(toro_write(fd, "0123456789", 10), 10);
	KEXPECT_EQ(toro_pwrite(fd, "abc", 3, 4), 3);
	KEXPECT_EQ(toro_pwrite(fd, "XY", 2, 20), 2); /* leaves a hole of zeros */
	KEXPECT_EQ(toro_lseek(fd, 0, TORO_SEEK_CUR), 10);
	KEXPECT_EQ(toro_pread(fd, buf, 6, 2), 6);
	KEXPECT_EQ(memcmp(buf, "23abc7", 6), 0);
	KEXPECT_EQ(toro_pread(fd, buf, 16, 18), 4);
	KEXPECT_EQ(memcmp(buf, "\0\0XY", 4), 0);
	KEXPECT_EQ(toro_pread(fd, buf, 4, 100), 0);
	KEXPECT_EQ(toro_pread(fd, buf, 4, -1), -EINVAL);
	KEXPECT_EQ(toro_lseek(fd, -1, TORO_SEEK_SET), -EINVAL);
	KEXPECT_EQ(toro_lseek(fd, 0, 7), -EINVAL);
	toro_close(fd);
}

KTEST(fs, append_writes_at_the_end)
{
	char buf[32];
	int fd;

	if (!have_fs())
		return;
	mkscratch();
	KEXPECT_EQ(spit("scratch/log", "one\n", 4), 0);
	fd = toro_open("scratch/log", TORO_O_WRONLY | TORO_O_APPEND, 0);
	KEXPECT_GT(fd, 0);
	KEXPECT_EQ(toro_lseek(fd, 0, TORO_SEEK_SET), 0);
	KEXPECT_EQ(toro_write(fd, "two\n", 4), 4);
	KEXPECT_EQ(toro_lseek(fd, 0, TORO_SEEK_CUR), 8);
	toro_close(fd);
	KEXPECT_EQ(slurp("scratch/log", buf, sizeof(buf)), 8);
	KEXPECT_EQ(memcmp(buf, "one\ntwo\n", 8), 0);
}

KTEST(fs, truncate_and_ftruncate)
{
	struct toro_stat st;
	char buf[32];
	int fd;

	if (!have_fs())
		return;
	mkscratch();
	KEXPECT_EQ(spit("scratch/t", "0123456789", 10), 0);
	KEXPECT_EQ(toro_truncate("scratch/t", 4), 0);
	KEXPECT_EQ(slurp("scratch/t", buf, sizeof(buf)), 4);
	fd = toro_open("scratch/t", TORO_O_RDWR, 0);
	KEXPECT_EQ(toro_ftruncate(fd, 100), 0);
	KEXPECT_EQ(toro_fstat(fd, &st), 0);
	KEXPECT_EQ(st.size, 100);
	KEXPECT_EQ(toro_ftruncate(fd, -1), -EINVAL);
	toro_close(fd);
	fd = toro_open("scratch/t", TORO_O_RDONLY, 0);
	KEXPECT_EQ(toro_ftruncate(fd, 0), -EINVAL); /* not open for writing */
	KEXPECT_EQ(toro_write(fd, "x", 1), -EBADF);
	toro_close(fd);
	KEXPECT_EQ(toro_truncate("scratch", 0), -EISDIR);
}

KTEST(fs, rename_across_directories)
{
	char buf[16];

	if (!have_fs())
		return;
	mkscratch();
	toro_mkdir("scratch/d1", 0755);
	toro_mkdir("scratch/d2", 0755);
	KEXPECT_EQ(spit("scratch/d1/f", "moved", 5), 0);
	KEXPECT_EQ(spit("scratch/d2/g", "old", 3), 0);
	KEXPECT_EQ(toro_rename("scratch/d1/f", "scratch/d2/g"), 0); /* replaces g */
	KEXPECT_EQ(slurp("scratch/d2/g", buf, sizeof(buf)), 5);
	KEXPECT_EQ(memcmp(buf, "moved", 5), 0);
	KEXPECT_EQ(slurp("scratch/d1/f", buf, sizeof(buf)), -ENOENT);
	KEXPECT_EQ(toro_rename("scratch/d1/nothing", "scratch/d2/x"), -ENOENT);
	KEXPECT_EQ(toro_rename("/", "scratch/x"), -EBUSY);
	KEXPECT_EQ(toro_unlink("scratch/d2/g"), 0);
	KEXPECT_EQ(toro_rmdir("scratch/d1"), 0);
	KEXPECT_EQ(toro_rmdir("scratch/d2"), 0);
}

KTEST(fs, unlink_while_open_keeps_the_data)
{
	char buf[16];
	int fd;

	if (!have_fs())
		return;
	mkscratch();
	KEXPECT_EQ(spit("scratch/u", "still here", 10), 0);
	fd = toro_open("scratch/u", TORO_O_RDONLY, 0);
	KEXPECT_GT(fd, 0);
	KEXPECT_EQ(toro_unlink("scratch/u"), 0);
	KEXPECT_EQ(toro_open("scratch/u", TORO_O_RDONLY, 0), -ENOENT);
	KEXPECT_EQ(toro_read(fd, buf, sizeof(buf)), 10);
	KEXPECT_EQ(memcmp(buf, "still here", 10), 0);
	KEXPECT_EQ(toro_close(fd), 0);
	KEXPECT_EQ(toro_unlink("scratch/u"), -ENOENT);
}

KTEST(fs, mkdir_and_rmdir)
{
	struct toro_stat st;

	if (!have_fs())
		return;
	mkscratch();
	KEXPECT_EQ(toro_mkdir("scratch/m", 0750), 0);
	KEXPECT_EQ(toro_mkdir("scratch/m", 0750), -EEXIST);
	KEXPECT_EQ(toro_stat("scratch/m/", &st), 0);
	KEXPECT_TRUE(TORO_S_ISDIR(st.mode));
	KEXPECT_EQ(st.mode & 0777, 0750);
	KEXPECT_EQ(spit("scratch/m/f", "x", 1), 0);
	KEXPECT_EQ(toro_rmdir("scratch/m"), -ENOTEMPTY);
	KEXPECT_EQ(toro_rmdir("scratch/m/f"), -ENOTDIR);
	KEXPECT_EQ(toro_unlink("scratch/m"), -EISDIR);
	KEXPECT_EQ(toro_unlink("scratch/m/f"), 0);
	KEXPECT_EQ(toro_rmdir("scratch/m"), 0);
	KEXPECT_EQ(toro_rmdir("scratch/m"), -ENOENT);
	KEXPECT_EQ(toro_mkdir("/", 0755), -EEXIST);
	KEXPECT_EQ(toro_mkdir("nowhere/x", 0755), -ENOENT);
}

KTEST(fs, readdir_of_1000_entries)
{
	static bool seen[1000];
	struct toro_dirent e;
	int d, r, n = 0, dots = 0, bad = 0;

	if (!have_fs())
		return;
	memset(seen, 0, sizeof(seen));
	d = toro_opendir("many");
	KEXPECT_GT(d, 0);
	while ((r = toro_readdir(d, &e)) == 1) {
		if (strcmp(e.name, ".") == 0 || strcmp(e.name, "..") == 0) {
			dots++;
			continue;
		}
		int k = (e.name[1] - '0') * 100 + (e.name[2] - '0') * 10 +
			(e.name[3] - '0');

		if (e.name[0] != 'f' || strlen(e.name) != 4 || k < 0 || k > 999 ||
		    seen[k] || e.type != TORO_DT_REG)
			bad++;
		else
			seen[k] = true;
		n++;
	}
	KEXPECT_EQ(r, 0);
	KEXPECT_EQ(n, 1000);
	KEXPECT_EQ(dots, 2);
	KEXPECT_EQ(bad, 0);
	/* Rewinding lists it again. */
	KEXPECT_EQ(toro_lseek(d, 0, TORO_SEEK_SET), 0);
	for (n = 0; toro_readdir(d, &e) == 1;)
		n++;
	KEXPECT_EQ(n, 1002);
	KEXPECT_EQ(toro_read(d, &e, 1), -EISDIR);
	KEXPECT_EQ(toro_closedir(d), 0);
	KEXPECT_EQ(toro_readdir(d, &e), -EBADF);
}

KTEST(fs, errors)
{
	struct toro_stat st;
	struct toro_dirent e;
	char c;
	int fd;

	if (!have_fs())
		return;
	KEXPECT_EQ(toro_open("no/such/file", TORO_O_RDONLY, 0), -ENOENT);
	KEXPECT_EQ(toro_open("nothing", TORO_O_RDONLY, 0), -ENOENT);
	KEXPECT_EQ(toro_open("", TORO_O_RDONLY, 0), -ENOENT);
	KEXPECT_EQ(toro_open("many", TORO_O_WRONLY, 0), -EISDIR);
	KEXPECT_EQ(toro_open("hello.txt/x", TORO_O_RDONLY, 0), -ENOTDIR);
	KEXPECT_EQ(toro_open("hello.txt/", TORO_O_RDONLY, 0), -ENOTDIR);
	KEXPECT_EQ(toro_open("hello.txt", TORO_O_RDONLY | TORO_O_DIRECTORY, 0), -ENOTDIR);
	KEXPECT_EQ(toro_opendir("hello.txt"), -ENOTDIR);
	KEXPECT_EQ(toro_open("hello.txt", 0x40000000, 0), -EINVAL);
	KEXPECT_EQ(toro_open(NULL, TORO_O_RDONLY, 0), -EINVAL);
	KEXPECT_EQ(toro_read(-1, &c, 1), -EBADF);
	KEXPECT_EQ(toro_fstat(777777, &st), -EBADF);
	KEXPECT_EQ(toro_readdir(777777, &e), -EBADF);
	fd = toro_open("hello.txt", TORO_O_RDONLY, 0);
	KEXPECT_EQ(toro_readdir(fd, &e), -ENOTDIR);
	KEXPECT_EQ(toro_closedir(fd), -ENOTDIR);
	KEXPECT_EQ(toro_accept(fd, NULL, NULL, 0), -ENOTSOCK);
	KEXPECT_EQ(toro_close(fd), 0);
	KEXPECT_EQ(toro_pread(fd, &c, 1, 0), -EBADF);
	/* A name of 256 bytes. */
	char longname[300];

	memset(longname, 'n', 256);
	longname[256] = '\0';
	KEXPECT_EQ(toro_open(longname, TORO_O_RDONLY, 0), -ENAMETOOLONG);
}

KTEST(fs, dotdot_never_leaves_the_share)
{
	char buf[64];
	struct toro_stat st, root;

	if (!have_fs())
		return;
	KEXPECT_EQ(slurp("sub/../hello.txt", buf, sizeof(buf)), 20);
	KEXPECT_EQ(slurp("/../../../hello.txt", buf, sizeof(buf)), 20);
	KEXPECT_EQ(slurp("../../etc/passwd", buf, sizeof(buf)), -ENOENT);
	KEXPECT_EQ(toro_stat("..", &st), 0);
	KEXPECT_EQ(toro_stat("/", &root), 0);
	KEXPECT_EQ(st.ino, root.ino);
	KEXPECT_EQ(toro_stat("hello.txt/..", &st), -ENOTDIR);
	/* A link pointing out of the share is never followed. */
	KEXPECT_EQ(slurp("outside", buf, sizeof(buf)), -ELOOP);
	KEXPECT_EQ(toro_open("outside", TORO_O_WRONLY | TORO_O_CREAT, 0644), -ELOOP);
	KEXPECT_EQ(toro_stat("outside/x", &st), -ELOOP);
	KEXPECT_EQ(toro_stat("outside", &st), 0); /* the link itself */
	KEXPECT_EQ(st.mode & TORO_S_IFMT, TORO_S_IFLNK);
}

KTEST(fs, poll_finds_a_file_ready)
{
	struct toro_pollfd p[3];
	int fd;

	if (!have_fs())
		return;
	fd = toro_open("hello.txt", TORO_O_RDONLY, 0);
	p[0] = (struct toro_pollfd){ .sock = fd, .events = TORO_POLLIN | TORO_POLLOUT };
	p[1] = (struct toro_pollfd){ .sock = -1, .events = TORO_POLLIN };
	p[2] = (struct toro_pollfd){ .sock = 888888, .events = TORO_POLLIN };
	/* Ready at once, even with no timeout and no vsock device. */
	KEXPECT_EQ(toro_poll(p, 3, -1), 2);
	KEXPECT_EQ(p[0].revents, TORO_POLLIN | TORO_POLLOUT);
	KEXPECT_EQ(p[1].revents, 0);
	KEXPECT_EQ(p[2].revents, TORO_POLLNVAL);
	KEXPECT_EQ(toro_shutdown(fd, TORO_SHUT_WR), -ENOTSOCK);
	KEXPECT_EQ(toro_close(fd), 0);
}

/* POSIX cksum of the file at path, read in pieces of chunk bytes. */
static int file_cksum(const char *path, size_t chunk, uint32_t *crc, uint64_t *size)
{
	uint8_t *buf = malloc(chunk);
	int fd = toro_open(path, TORO_O_RDONLY, 0);
	uint32_t c = 0;
	long n;

	*size = 0;
	if (fd < 0 || !buf) {
		free(buf);
		return fd < 0 ? fd : -ENOMEM;
	}
	while ((n = toro_read(fd, buf, chunk)) > 0) {
		c = cksum_update(c, buf, (size_t)n);
		*size += (uint64_t)n;
	}
	toro_close(fd);
	free(buf);
	*crc = cksum_final(c, *size);
	return n < 0 ? (int)n : 0;
}

static uint32_t param_u32(const char *key)
{
	const char *v = toro_param(key);
	uint32_t x = 0;

	for (; v && *v >= '0' && *v <= '9'; v++)
		x = x * 10 + (uint32_t)(*v - '0');
	return x;
}

KTEST(fs, a_64_mib_file_matches_the_hosts_cksum)
{
	uint64_t size, t0 = toro_now_ns();
	uint32_t crc;

	if (!have_fs())
		return;
	KEXPECT_EQ(file_cksum("big.bin", 1u << 20, &crc, &size), 0);
	KEXPECT_EQ(size, BIG);
	KEXPECT_EQ(crc, param_u32("big_cksum"));
	printf("# read 64 MiB in %llu ms\n",
	       (unsigned long long)((toro_now_ns() - t0) / MS));
}

/* The same pattern every time: the host checks the file with cksum. */
static void fill(uint8_t *buf, size_t len, uint64_t at)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)((at + i) * 2654435761u >> 13);
}

KTEST(fs, writes_64_mib)
{
	uint8_t *buf = malloc(1u << 20);
	uint64_t t0 = toro_now_ns(), size;
	uint32_t crc = 0, back;
	int fd;

	if (!have_fs() || !buf) {
		free(buf);
		return;
	}
	mkscratch();
	fd = toro_open("scratch/out.bin", TORO_O_WRONLY | TORO_O_CREAT | TORO_O_TRUNC,
		       0644);
	KEXPECT_GT(fd, 0);
	for (uint64_t at = 0; at < BIG; at += 1u << 20) {
		fill(buf, 1u << 20, at);
		crc = cksum_update(crc, buf, 1u << 20);
		if (toro_write(fd, buf, 1u << 20) != 1 << 20) {
			KEXPECT_TRUE(false);
			break;
		}
	}
	KEXPECT_EQ(toro_close(fd), 0);
	free(buf);
	printf("# wrote 64 MiB in %llu ms\n",
	       (unsigned long long)((toro_now_ns() - t0) / MS));
	crc = cksum_final(crc, BIG);
	printf("fs: out.bin cksum %u %u\n", crc, BIG);
	/* Read back in odd-sized pieces. */
	KEXPECT_EQ(file_cksum("scratch/out.bin", 100000, &back, &size), 0);
	KEXPECT_EQ(back, crc);
	KEXPECT_EQ(size, BIG);
}

/* Each thread writes, reads back and checks a file of its own. */
static int io_worker(void *arg)
{
	int id = (int)(intptr_t)arg, bad = 0;
	char path[32], buf[4096], back[4096];
	int fd;

	snprintf(path, sizeof(path), "scratch/cpu%d.bin", id);
	fd = toro_open(path, TORO_O_RDWR | TORO_O_CREAT | TORO_O_TRUNC, 0644);
	if (fd < 0)
		return 100;
	for (int i = 0; i < 256; i++) {
		memset(buf, 'a' + (i + id) % 26, sizeof(buf));
		if (toro_write(fd, buf, sizeof(buf)) != (long)sizeof(buf))
			bad++;
	}
	for (int i = 0; i < 256; i++) {
		memset(buf, 'a' + (i + id) % 26, sizeof(buf));
		if (toro_pread(fd, back, sizeof(back), (int64_t)i * 4096) != 4096 ||
		    memcmp(buf, back, 4096) != 0)
			bad++;
	}
	toro_close(fd);
	return bad;
}

KTEST(fs, threads_on_two_cpus_at_once)
{
	int ids[4], code;

	if (!have_fs())
		return;
	if (toro_ncpus() < 2) {
		ktest_skip("one CPU");
		return;
	}
	mkscratch();
	for (int i = 0; i < 4; i++)
		ids[i] = toro_thread_create(io_worker, (void *)(intptr_t)i, i % 2, 0);
	for (int i = 0; i < 4; i++) {
		KEXPECT_GT(ids[i], 0);
		KEXPECT_EQ(toro_thread_join(ids[i], &code), 0);
		KEXPECT_EQ(code, 0);
	}
}

/* Waits up to 60 s for path to exist (the host's answer). */
static bool wait_for(const char *path)
{
	struct toro_stat st;

	for (int i = 0; i < 6000; i++) {
		if (toro_stat(path, &st) == 0)
			return true;
		toro_sleep_ns(10 * MS);
	}
	return false;
}

KTEST(fs, sees_changes_made_on_the_host)
{
	char buf[64];

	if (!have_fs())
		return;
	mkscratch();
	KEXPECT_EQ(spit("scratch/from_guest", "ping\n", 5), 0);
	KEXPECT_TRUE(wait_for("scratch/from_host"));
	KEXPECT_EQ(slurp("scratch/from_host", buf, sizeof(buf)), 5);
	KEXPECT_EQ(memcmp(buf, "pong\n", 5), 0);
	/* The host rewrote hello2.txt meanwhile: its new size shows at once. */
	KEXPECT_EQ(slurp("scratch/hello2.txt", buf, sizeof(buf)), 9);
}

KTEST(fs, ten_thousand_opens_leak_nothing)
{
	struct toro_memstats before, after;
	char buf[32];
	int errors = 0;

	if (!have_fs())
		return;
	mkscratch();
	for (int i = 0; i < 100; i++)
		errors += slurp("sub/inner.txt", buf, sizeof(buf)) != 6;
	toro_memstats(&before);
	/* Let the host count virtiofsd's descriptors now and after. */
	KEXPECT_EQ(spit("scratch/sample1", "", 0), 0);
	KEXPECT_TRUE(wait_for("scratch/sampled1"));
	/* 1000 distinct files ten times over: virtiofsd holds one descriptor per
	 * inode the guest has not forgotten, so a missed FORGET shows. */
	for (int i = 0; i < 10000; i++) {
		char path[16];

		snprintf(path, sizeof(path), "many/f%03d", i % 1000);
		errors += slurp(path, buf, sizeof(buf)) != 0;
	}
	toro_memstats(&after);
	KEXPECT_EQ(errors, 0);
	KEXPECT_EQ(after.heap_bytes, before.heap_bytes);
	KEXPECT_EQ(after.heap_blocks, before.heap_blocks);
	KEXPECT_EQ(after.pages_used, before.pages_used);
	KEXPECT_EQ(spit("scratch/sample2", "", 0), 0);
	KEXPECT_TRUE(wait_for("scratch/sampled2"));
}
