/* SPDX-License-Identifier: MIT */
/*
 * The application API of Toro. An application is one or more C files with a
 * `int main(int argc, char **argv)`; it links with the kernel into one image.
 * main() runs on CPU 0 once the kernel is up; its return value ends the VM with
 * that exit code (0..126), as does toro_exit().
 */
#ifndef TORO_TORO_H
#define TORO_TORO_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "toro/errno.h"
#include "toro/string.h"

/* Ends the VM with `code` (0..126; other values become 126 with a warning). */
_Noreturn void toro_exit(int code);

/* The CPU the caller runs on, and how many CPUs the kernel runs. */
int toro_cpu(void);
int toro_ncpus(void);

/*
 * Threads. A thread runs on the CPU it is created on until it returns or calls
 * toro_thread_exit; scheduling is cooperative (it runs until it yields, sleeps or
 * waits). `stack` is its stack size in bytes (0: 64 KiB), with a guard page below.
 * Returns a thread id (> 0) or -errno. Every thread must be joined, which frees it.
 */
int toro_thread_create(int (*fn)(void *), void *arg, int cpu, size_t stack);
int toro_thread_join(int id, int *exit_code);
_Noreturn void toro_thread_exit(int code);
void toro_yield(void);
/* Instead of joining: the thread is freed when it ends. 0, -ESRCH or -EBUSY. */
int toro_thread_detach(int id);

/*
 * Mailboxes between CPUs. toro_mbox_send queues a copy of msg (up to 4092 bytes)
 * for `cpu` and returns 0, or -EAGAIN when that CPU's box from this CPU is full.
 * toro_mbox_recv takes the oldest message sent to this CPU (per sender, in order)
 * into buf and returns its length, storing the sender in *from; it waits up to
 * timeout_ns (0: do not wait, < 0: wait for ever) and returns -ETIMEDOUT after,
 * or -E2BIG (message kept) when buf is too small.
 */
int toro_mbox_send(int cpu, const void *msg, size_t len);
long toro_mbox_recv(int *from, void *buf, size_t size, int64_t timeout_ns);

/*
 * Devices. Each device is driven by one CPU (CPU 0 unless told otherwise), which
 * takes its interrupts; threads on other CPUs reach it through the kernel.
 * toro_dedicate gives a device ("console") to another CPU; call it before the
 * device is in use. 0, -ENODEV (no such device), -EINVAL (no such CPU), -EBUSY
 * (a thread waits on the device).
 */
int toro_dedicate(const char *device, int cpu);

/*
 * Sockets: virtio-vsock streams (the host is CID 2; toro run --vsock/--publish
 * connects them to host programs). A socket is a small integer > 0, usable from a
 * thread on any CPU. Timeouts are in nanoseconds: 0 do not wait (-EAGAIN when
 * nothing is ready), < 0 wait for ever; -ETIMEDOUT when a timeout expired.
 * Errors: -ENODEV no vsock device, -EIO the device broke, -EBADF not a socket,
 * -EMFILE too many sockets, -ENOMEM, -ECONNRESET the peer (or a transport reset)
 * dropped the connection.
 */
#define TORO_VSOCK_CID_HOST 2 /* the host's CID */
#define TORO_SHUT_RD 1 /* toro_shutdown: no more receiving */
#define TORO_SHUT_WR 2 /* no more sending: the peer reads end of stream */
#define TORO_SHUT_RDWR 3
/* Listens on port; returns the socket. -EADDRINUSE when the port is taken. */
int toro_listen(uint32_t port, int backlog);
/* Takes the next connection of a listening socket (-ETIMEDOUT, -EINVAL not one);
 * the peer's CID and port go to *cid and *port when not NULL. */
int toro_accept(int sock, uint64_t *cid, uint32_t *port, int64_t timeout_ns);
/* Connects to cid:port; -ECONNREFUSED when nobody listens there, -ETIMEDOUT
 * (a timeout of 0 is -EINVAL: connecting always waits for the peer). */
int toro_connect(uint64_t cid, uint32_t port, int64_t timeout_ns);
/* Sends all len bytes, waiting for room; returns len, or the bytes sent before the
 * timeout (-ETIMEDOUT if none), -EPIPE after shutdown, -ECONNRESET. */
long toro_send(int sock, const void *buf, size_t len, int64_t timeout_ns);
/* Receives up to size bytes once some are there; 0 at the end of the stream. */
long toro_recv(int sock, void *buf, size_t size, int64_t timeout_ns);
int toro_shutdown(int sock, int how);
/* Closes the socket (gracefully: data already sent is still delivered). */
int toro_close(int sock);
/* Waits for any of n sockets to be ready; the number ready, 0 on timeout.
 * Negative socket numbers are skipped, as in poll(2). */
#define TORO_POLLIN 0x001 /* data, end of stream, or a connection to accept */
#define TORO_POLLOUT 0x004 /* room to send */
#define TORO_POLLERR 0x008 /* reset or refused */
#define TORO_POLLHUP 0x010 /* the connection is over (closing or closed) */
#define TORO_POLLNVAL 0x020 /* not a socket */
struct toro_pollfd {
	int sock; /* the socket */
	short events; /* TORO_POLL* wanted */
	short revents; /* TORO_POLL* found (ERR and HUP always reported) */
};
int toro_poll(struct toro_pollfd *fds, int n, int64_t timeout_ns);

/*
 * Files: the host directory `toro run --fs DIR` shares (virtio-fs), mounted at
 * "/". Files and sockets share one descriptor space: toro_read, toro_write,
 * toro_close and toro_poll take both (a file always polls ready; toro_read and
 * toro_write on a socket wait as long as it takes). Paths are resolved from the
 * root whether or not they start with '/'; "." and ".." work and never lead out of
 * the shared directory; symbolic links are not followed (-ELOOP). Usable from
 * threads on any CPU. Errors are the host's errno (-ENOENT, -EEXIST, -EISDIR,
 * -ENOTDIR, -ENOTEMPTY, -EACCES, ...) or -ENODEV (no virtio-fs device), -EIO
 * (the device or its host daemon broke), -EBADF, -EINVAL, -EMFILE, -ENOMEM.
 */
#define TORO_O_RDONLY 00 /* open for reading */
#define TORO_O_WRONLY 01 /* for writing */
#define TORO_O_RDWR 02 /* for both */
#define TORO_O_ACCMODE 03
#define TORO_O_CREAT 0100 /* create the file if it does not exist (with mode) */
#define TORO_O_EXCL 0200 /* with O_CREAT: -EEXIST if it exists */
#define TORO_O_TRUNC 01000 /* cut it to length 0 */
#define TORO_O_APPEND 02000 /* every write goes to the end */
#define TORO_O_DIRECTORY 0200000 /* -ENOTDIR unless it is a directory */
int toro_open(const char *path, int flags, int mode);
/* Read or write at the descriptor's offset and advance it; short counts only at
 * the end of a file. 0 at the end. */
long toro_read(int fd, void *buf, size_t size);
long toro_write(int fd, const void *buf, size_t size);
/* At a given offset, leaving the descriptor's offset alone (-ESPIPE on sockets). */
long toro_pread(int fd, void *buf, size_t size, int64_t offset);
long toro_pwrite(int fd, const void *buf, size_t size, int64_t offset);
#define TORO_SEEK_SET 0
#define TORO_SEEK_CUR 1
#define TORO_SEEK_END 2
/* The new offset, or -EINVAL (before 0, bad whence), -ESPIPE (a socket). */
int64_t toro_lseek(int fd, int64_t offset, int whence);

/* File types in toro_stat.mode, as in Linux. */
#define TORO_S_IFMT 0170000
#define TORO_S_IFREG 0100000
#define TORO_S_IFDIR 0040000
#define TORO_S_IFLNK 0120000
#define TORO_S_ISREG(m) (((m)&TORO_S_IFMT) == TORO_S_IFREG)
#define TORO_S_ISDIR(m) (((m)&TORO_S_IFMT) == TORO_S_IFDIR)
struct toro_stat {
	uint64_t ino; /* the host's inode number */
	uint64_t size; /* bytes */
	uint64_t blocks; /* 512-byte blocks allocated */
	uint32_t mode; /* TORO_S_IF* type and permission bits */
	uint32_t nlink; /* hard links */
	uint32_t uid, gid; /* owner on the host */
	int64_t atime_ns, mtime_ns, ctime_ns; /* times, ns since 1970 (UTC) */
};
/* stat does not follow a final symbolic link either: it describes the link. */
int toro_stat(const char *path, struct toro_stat *st);
int toro_fstat(int fd, struct toro_stat *st);
int toro_fsync(int fd);
int toro_truncate(const char *path, int64_t length);
int toro_ftruncate(int fd, int64_t length);
int toro_mkdir(const char *path, int mode);
int toro_rmdir(const char *path);
int toro_unlink(const char *path);
/* Replaces newpath if it exists (a file by a file, an empty directory by one). */
int toro_rename(const char *oldpath, const char *newpath);

/* Directories: a descriptor that toro_readdir walks ("." and ".." included). */
struct toro_dirent {
	uint64_t ino; /* inode number */
	uint32_t type; /* DT_* as in Linux: 4 directory, 8 regular file, 10 link */
	char name[256]; /* NUL-terminated */
};
#define TORO_DT_DIR 4
#define TORO_DT_REG 8
#define TORO_DT_LNK 10
int toro_opendir(const char *path);
/* 1 with *e filled, 0 after the last entry, or -errno. */
int toro_readdir(int dir, struct toro_dirent *e);
int toro_closedir(int dir);

/* Nanoseconds since boot (monotonic, the same clock on every CPU). */
uint64_t toro_now_ns(void);
/* Sleeps at least ns nanoseconds; other threads of the CPU run meanwhile. */
void toro_sleep_ns(uint64_t ns);

/*
 * The value of a `key=value` kernel parameter ("" for a bare `key`), or NULL when
 * the command line does not have it. The last occurrence wins.
 */
const char *toro_param(const char *key);

/* Reads one byte from the console, waiting for it. */
int toro_getc(void);

/*
 * With the kernel parameter trace=GROUPS (`toro run --trace`), writes what the
 * trace rings hold to the trace port and empties them; the kernel does it
 * itself at exit. Without trace=, does nothing.
 */
void toro_trace_dump(void);

/* Memory counters, for leak checks: they return to their old values when every
 * block allocated since is freed. */
struct toro_memstats {
	size_t pages_total; /* pages the page allocator manages */
	size_t pages_used; /* pages handed out (heap pages included, page tables not) */
	size_t pages_tables; /* pages holding the kernel's page tables */
	size_t heap_bytes; /* bytes in live heap blocks (rounded to size classes) */
	size_t heap_blocks; /* live heap blocks */
};
void toro_memstats(struct toro_memstats *st);

/* Whole pages straight from the page allocator (npages * 4096 bytes, aligned). */
void *toro_page_alloc(size_t npages);
void toro_page_free(void *p, size_t npages);

/* The C library subset Toro provides. The heap is per CPU. */
void *malloc(size_t n);
void *calloc(size_t n, size_t size);
void *realloc(void *p, size_t n);
void free(void *p);
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int puts(const char *s);
int putchar(int c);

#endif
