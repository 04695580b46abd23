/* SPDX-License-Identifier: MIT */
/*
 * Error numbers. Functions returning int return 0 or a negative errno. The kernel
 * uses Linux's values so that a later Linux system-call layer passes them through;
 * host builds of lib/ take them from the C library (same values on Linux).
 */
#ifndef TORO_ERRNO_H
#define TORO_ERRNO_H

#ifdef TORO_KERNEL
#define EPERM 1 /* operation not permitted */
#define ENOENT 2 /* no such file or directory */
#define ESRCH 3 /* no such thread */
#define EINTR 4 /* interrupted call */
#define EIO 5 /* I/O error, or a broken device */
#define ENXIO 6 /* no such device or address */
#define E2BIG 7 /* argument list too long */
#define EBADF 9 /* bad descriptor */
#define EAGAIN 11 /* try again */
#define ENOMEM 12 /* out of memory */
#define EACCES 13 /* permission denied */
#define EFAULT 14 /* bad address */
#define EBUSY 16 /* busy */
#define EEXIST 17 /* already exists */
#define EXDEV 18 /* cross-device link */
#define ENODEV 19 /* no such device */
#define ENOTDIR 20 /* not a directory */
#define EISDIR 21 /* is a directory */
#define EINVAL 22 /* invalid argument */
#define ENFILE 23 /* too many open files in the system */
#define EMFILE 24 /* too many open descriptors */
#define EFBIG 27 /* file too large */
#define ENOSPC 28 /* no space left */
#define ESPIPE 29 /* not seekable */
#define EROFS 30 /* read-only file system */
#define EPIPE 32 /* the stream was shut for writing */
#define ERANGE 34 /* result out of range */
#define EDEADLK 35 /* would deadlock */
#define ENAMETOOLONG 36 /* name or path too long */
#define ENOSYS 38 /* not implemented */
#define ENOTEMPTY 39 /* directory not empty */
#define ELOOP 40 /* a symbolic link where none is followed */
#define EPROTO 71 /* protocol error */
#define EOVERFLOW 75 /* value too large */
#define EOPNOTSUPP 95 /* operation not supported */
#define ENOTSOCK 88 /* not a socket */
#define EADDRINUSE 98 /* port already in use */
#define ECONNRESET 104 /* connection reset by the peer (or the transport) */
#define ENOTCONN 107 /* not connected */
#define ETIMEDOUT 110 /* timed out */
#define ECONNREFUSED 111 /* nobody listens on that port */
#else
#include <errno.h>
#endif

#endif
