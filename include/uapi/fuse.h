/* SPDX-License-Identifier: MIT */
/*
 * FUSE wire format as virtio-fs carries it (virtio 1.2 section 5.11; the message
 * layouts are Linux's include/uapi/linux/fuse.h, protocol 7.31). Wire format: do not
 * change.
 *
 * A request is one fuse_in_header, then an opcode-specific struct, then for some
 * opcodes NUL-terminated names (LOOKUP, CREATE, MKDIR, UNLINK, RMDIR: one; RENAME:
 * old then new) or WRITE's data. in_header.len counts all of it. The device-writable
 * part of the same virtqueue chain receives a fuse_out_header and the reply struct
 * (or READ/READDIR data); out_header.len counts both. A failed request has only the
 * header, with error = -errno (Linux values). FORGET gets no reply at all.
 *
 * Versions. The driver sends INIT with major 7 and its minor; both sides then speak
 * the smaller minor. Toro sends 7.31: the C virtiofsd of QEMU 7.x refuses anything
 * older (EPROTO). Every struct below has had its present size since 7.23 or earlier;
 * later minors only reuse padding (fuse_attr.flags in 7.32, init_out.flags2 in 7.36)
 * or grow fuse_init_in behind FUSE_INIT_EXT, which Toro does not set, so the 16-byte
 * fuse_init_in below is the whole request.
 *
 * All structs are naturally aligned with explicit padding (the ABI pads everything
 * to 64 bits for 32-bit servers), so no packing is needed. All fields are
 * little-endian (x86-64 native; see uapi/virtio_ring.h for the leNN types).
 */
#ifndef UAPI_FUSE_H
#define UAPI_FUSE_H

#include <stdint.h>

#include "uapi/virtio_ring.h"

/* virtio-fs (device ID 26, VIRTIO_ID_FS in uapi/virtio_mmio.h) queues. */
#define VIRTIO_FS_VQ_HIPRIO 0 /* FORGET and INTERRUPT may go here */
#define VIRTIO_FS_VQ_REQUEST 1 /* first request queue; more follow */

/* virtio-fs device configuration space (5.11.4). */
struct virtio_fs_config {
	uint8_t tag[36]; /* file system name, UTF-8, NUL-padded (not terminated if 36) */
	le32 num_request_queues; /* request queues, >= 1 */
};
_Static_assert(sizeof(struct virtio_fs_config) == 40, "virtio_fs_config size");
_Static_assert(__builtin_offsetof(struct virtio_fs_config, num_request_queues) == 36,
	       "config num_request_queues");

#define FUSE_KERNEL_VERSION 7 /* the only major version */
#define FUSE_KERNEL_MINOR_VERSION 31 /* the minor Toro offers */
#define FUSE_ROOT_ID 1 /* node ID of the shared directory's root */

/* Opcodes (enum fuse_opcode). Gaps are opcodes Toro never sends. */
#define FUSE_LOOKUP 1 /* name in a directory -> entry_out (a lookup reference) */
#define FUSE_FORGET 2 /* drop nlookup references; no reply */
#define FUSE_GETATTR 3
#define FUSE_SETATTR 4
#define FUSE_READLINK 5
#define FUSE_SYMLINK 6
#define FUSE_MKNOD 8
#define FUSE_MKDIR 9
#define FUSE_UNLINK 10
#define FUSE_RMDIR 11
#define FUSE_RENAME 12
#define FUSE_LINK 13
#define FUSE_OPEN 14
#define FUSE_READ 15
#define FUSE_WRITE 16
#define FUSE_STATFS 17
#define FUSE_RELEASE 18
#define FUSE_FSYNC 20
#define FUSE_FLUSH 25
#define FUSE_INIT 26
#define FUSE_OPENDIR 27
#define FUSE_READDIR 28
#define FUSE_RELEASEDIR 29
#define FUSE_FSYNCDIR 30
#define FUSE_ACCESS 34
#define FUSE_CREATE 35
#define FUSE_INTERRUPT 36
#define FUSE_DESTROY 38
#define FUSE_BATCH_FORGET 42
#define FUSE_READDIRPLUS 44
#define FUSE_RENAME2 45
#define FUSE_LSEEK 46

/* INIT flags (fuse_init_in.flags / fuse_init_out.flags), those Toro may use. */
#define FUSE_ASYNC_READ (1u << 0) /* several READs of one file may be in flight */
#define FUSE_ATOMIC_O_TRUNC (1u << 3) /* OPEN handles O_TRUNC itself */
#define FUSE_BIG_WRITES (1u << 5) /* WRITE may exceed 4 KiB (obsolete: always on) */
#define FUSE_DONT_MASK (1u << 6) /* the server must not apply its umask */
#define FUSE_DO_READDIRPLUS (1u << 13) /* READDIRPLUS is understood */
#define FUSE_PARALLEL_DIROPS (1u << 18) /* lookups/readdir in one dir may overlap */
#define FUSE_MAX_PAGES (1u << 22) /* init_out.max_pages is valid */
#define FUSE_INIT_EXT (1u << 30) /* 7.36: init_in has flags2 (Toro: never set) */

/* fuse_setattr_in.valid: which fields to apply. */
#define FATTR_MODE (1u << 0)
#define FATTR_UID (1u << 1)
#define FATTR_GID (1u << 2)
#define FATTR_SIZE (1u << 3) /* truncate or extend to .size */
#define FATTR_ATIME (1u << 4)
#define FATTR_MTIME (1u << 5)
#define FATTR_FH (1u << 6) /* .fh names an open file */
#define FATTR_ATIME_NOW (1u << 7)
#define FATTR_MTIME_NOW (1u << 8)
#define FATTR_LOCKOWNER (1u << 9)
#define FATTR_CTIME (1u << 10)

/* fuse_open_out.open_flags from the server. */
#define FOPEN_DIRECT_IO (1u << 0) /* bypass any page cache */
#define FOPEN_KEEP_CACHE (1u << 1) /* cached data is still valid */
#define FOPEN_NONSEEKABLE (1u << 2)
#define FOPEN_CACHE_DIR (1u << 3)
#define FOPEN_STREAM (1u << 4)

#define FUSE_GETATTR_FH (1u << 0) /* fuse_getattr_in.getattr_flags: .fh is valid */
#define FUSE_RELEASE_FLUSH (1u << 0) /* fuse_release_in.release_flags */
#define FUSE_FSYNC_FDATASYNC (1u << 0) /* fuse_fsync_in.fsync_flags: data only */
#define FUSE_WRITE_KILL_PRIV (1u << 2) /* fuse_write_in.write_flags (7.31) */

#define FUSE_COMPAT_INIT_OUT_SIZE 8 /* init_out of minors < 5: major, minor */
#define FUSE_COMPAT_22_INIT_OUT_SIZE 24 /* minors 5..22: up to max_write */

/* Every request starts with this. */
struct fuse_in_header {
	le32 len; /* bytes of the whole request, header included */
	le32 opcode; /* FUSE_* */
	le64 unique; /* request ID, echoed by the reply; never 0 */
	le64 nodeid; /* the inode the request is about (0 for INIT) */
	le32 uid; /* credentials the server acts with (creates files as) */
	le32 gid;
	le32 pid; /* informational */
	le32 padding; /* 0 (7.36 calls it total_extlen) */
};
_Static_assert(sizeof(struct fuse_in_header) == 40, "fuse_in_header size");
_Static_assert(__builtin_offsetof(struct fuse_in_header, opcode) == 4, "in opcode");
_Static_assert(__builtin_offsetof(struct fuse_in_header, unique) == 8, "in unique");
_Static_assert(__builtin_offsetof(struct fuse_in_header, nodeid) == 16, "in nodeid");
_Static_assert(__builtin_offsetof(struct fuse_in_header, uid) == 24, "in uid");
_Static_assert(__builtin_offsetof(struct fuse_in_header, pid) == 32, "in pid");

/* Every reply starts with this. */
struct fuse_out_header {
	le32 len; /* bytes of the whole reply, header included */
	int32_t error; /* 0, or a negative Linux errno (then no payload follows) */
	le64 unique; /* the request's unique */
};
_Static_assert(sizeof(struct fuse_out_header) == 16, "fuse_out_header size");
_Static_assert(__builtin_offsetof(struct fuse_out_header, error) == 4, "out error");
_Static_assert(__builtin_offsetof(struct fuse_out_header, unique) == 8, "out unique");

/* Attributes of an inode, as stat(2) sees them. */
struct fuse_attr {
	le64 ino; /* inode number on the host (not the node ID) */
	le64 size; /* bytes */
	le64 blocks; /* 512-byte blocks allocated */
	le64 atime; /* seconds since the epoch */
	le64 mtime;
	le64 ctime;
	le32 atimensec; /* nanoseconds part, < 10^9 */
	le32 mtimensec;
	le32 ctimensec;
	le32 mode; /* S_IFMT type bits and permissions (Linux values) */
	le32 nlink;
	le32 uid;
	le32 gid;
	le32 rdev;
	le32 blksize; /* preferred I/O size */
	le32 flags; /* 7.32: FUSE_ATTR_SUBMOUNT; padding before */
};
_Static_assert(sizeof(struct fuse_attr) == 88, "fuse_attr size");
_Static_assert(__builtin_offsetof(struct fuse_attr, size) == 8, "attr size");
_Static_assert(__builtin_offsetof(struct fuse_attr, mtime) == 32, "attr mtime");
_Static_assert(__builtin_offsetof(struct fuse_attr, atimensec) == 48, "attr atimensec");
_Static_assert(__builtin_offsetof(struct fuse_attr, mode) == 60, "attr mode");
_Static_assert(__builtin_offsetof(struct fuse_attr, nlink) == 64, "attr nlink");
_Static_assert(__builtin_offsetof(struct fuse_attr, blksize) == 80, "attr blksize");

/* Reply to LOOKUP, MKDIR, MKNOD (and first half of CREATE's): a new reference. */
struct fuse_entry_out {
	le64 nodeid; /* node ID for later requests; 0 in LOOKUP = negative entry */
	le64 generation; /* nodeid:generation is unique for the file system's life */
	le64 entry_valid; /* seconds the name may be cached */
	le64 attr_valid; /* seconds the attributes may be cached */
	le32 entry_valid_nsec;
	le32 attr_valid_nsec;
	struct fuse_attr attr;
};
_Static_assert(sizeof(struct fuse_entry_out) == 128, "fuse_entry_out size");
_Static_assert(__builtin_offsetof(struct fuse_entry_out, entry_valid) == 16,
	       "entry entry_valid");
_Static_assert(__builtin_offsetof(struct fuse_entry_out, attr_valid_nsec) == 36,
	       "entry attr_valid_nsec");
_Static_assert(__builtin_offsetof(struct fuse_entry_out, attr) == 40, "entry attr");

/* FORGET: the driver drops nlookup references to in_header.nodeid. */
struct fuse_forget_in {
	le64 nlookup; /* >= 1 */
};
_Static_assert(sizeof(struct fuse_forget_in) == 8, "fuse_forget_in size");

/* BATCH_FORGET: the header, then count fuse_forget_one records. No reply. */
struct fuse_forget_one {
	le64 nodeid; /* node to drop references of */
	le64 nlookup; /* how many, >= 1 */
};
_Static_assert(sizeof(struct fuse_forget_one) == 16, "fuse_forget_one size");

struct fuse_batch_forget_in {
	le32 count; /* records that follow */
	le32 dummy;
};
_Static_assert(sizeof(struct fuse_batch_forget_in) == 8, "fuse_batch_forget_in size");

/* GETATTR request. */
struct fuse_getattr_in {
	le32 getattr_flags; /* FUSE_GETATTR_FH */
	le32 dummy;
	le64 fh; /* open file, if FUSE_GETATTR_FH */
};
_Static_assert(sizeof(struct fuse_getattr_in) == 16, "fuse_getattr_in size");
_Static_assert(__builtin_offsetof(struct fuse_getattr_in, fh) == 8, "getattr fh");

/* Reply to GETATTR and SETATTR. */
struct fuse_attr_out {
	le64 attr_valid; /* seconds the attributes may be cached */
	le32 attr_valid_nsec;
	le32 dummy;
	struct fuse_attr attr;
};
_Static_assert(sizeof(struct fuse_attr_out) == 104, "fuse_attr_out size");
_Static_assert(__builtin_offsetof(struct fuse_attr_out, attr) == 16, "attr_out attr");

/* MKNOD request; the name follows. */
struct fuse_mknod_in {
	le32 mode; /* type and permissions */
	le32 rdev;
	le32 umask; /* applied by the server unless FUSE_DONT_MASK */
	le32 padding;
};
_Static_assert(sizeof(struct fuse_mknod_in) == 16, "fuse_mknod_in size");

/* MKDIR request; the name follows. */
struct fuse_mkdir_in {
	le32 mode; /* permissions */
	le32 umask;
};
_Static_assert(sizeof(struct fuse_mkdir_in) == 8, "fuse_mkdir_in size");

/* RENAME request (nodeid = old parent); old name, then new name follow. */
struct fuse_rename_in {
	le64 newdir; /* node ID of the new parent */
};
_Static_assert(sizeof(struct fuse_rename_in) == 8, "fuse_rename_in size");

/* RENAME2 request: RENAME with renameat2(2) flags (RENAME_NOREPLACE 1, ...). */
struct fuse_rename2_in {
	le64 newdir;
	le32 flags;
	le32 padding;
};
_Static_assert(sizeof(struct fuse_rename2_in) == 16, "fuse_rename2_in size");
_Static_assert(__builtin_offsetof(struct fuse_rename2_in, flags) == 8, "rename2 flags");

/* SETATTR request: change the fields named by valid (FATTR_*). */
struct fuse_setattr_in {
	le32 valid; /* FATTR_* */
	le32 padding;
	le64 fh; /* open file, if FATTR_FH */
	le64 size; /* new size, if FATTR_SIZE */
	le64 lock_owner;
	le64 atime;
	le64 mtime;
	le64 ctime;
	le32 atimensec;
	le32 mtimensec;
	le32 ctimensec;
	le32 mode;
	le32 unused4;
	le32 uid;
	le32 gid;
	le32 unused5;
};
_Static_assert(sizeof(struct fuse_setattr_in) == 88, "fuse_setattr_in size");
_Static_assert(__builtin_offsetof(struct fuse_setattr_in, fh) == 8, "setattr fh");
_Static_assert(__builtin_offsetof(struct fuse_setattr_in, size) == 16, "setattr size");
_Static_assert(__builtin_offsetof(struct fuse_setattr_in, atime) == 32, "setattr atime");
_Static_assert(__builtin_offsetof(struct fuse_setattr_in, atimensec) == 56,
	       "setattr atimensec");
_Static_assert(__builtin_offsetof(struct fuse_setattr_in, mode) == 68, "setattr mode");
_Static_assert(__builtin_offsetof(struct fuse_setattr_in, uid) == 76, "setattr uid");

/* OPEN and OPENDIR request. */
struct fuse_open_in {
	le32 flags; /* open(2) flags, Linux values, without O_CREAT/O_EXCL/O_NOCTTY */
	le32 unused;
};
_Static_assert(sizeof(struct fuse_open_in) == 8, "fuse_open_in size");

/* CREATE request (nodeid = parent); the name follows. Atomic create + open. */
struct fuse_create_in {
	le32 flags; /* open(2) flags, O_CREAT included */
	le32 mode; /* permissions of the new file */
	le32 umask;
	le32 padding;
};
_Static_assert(sizeof(struct fuse_create_in) == 16, "fuse_create_in size");
_Static_assert(__builtin_offsetof(struct fuse_create_in, umask) == 8, "create umask");

/* Reply to OPEN, OPENDIR and the second half of CREATE's. */
struct fuse_open_out {
	le64 fh; /* file handle for READ/WRITE/RELEASE... */
	le32 open_flags; /* FOPEN_* */
	le32 padding;
};
_Static_assert(sizeof(struct fuse_open_out) == 16, "fuse_open_out size");
_Static_assert(__builtin_offsetof(struct fuse_open_out, open_flags) == 8,
	       "open_out open_flags");

/* RELEASE and RELEASEDIR request: the last close of fh. */
struct fuse_release_in {
	le64 fh;
	le32 flags; /* the open(2) flags of fh */
	le32 release_flags; /* FUSE_RELEASE_FLUSH */
	le64 lock_owner;
};
_Static_assert(sizeof(struct fuse_release_in) == 24, "fuse_release_in size");
_Static_assert(__builtin_offsetof(struct fuse_release_in, lock_owner) == 16,
	       "release lock_owner");

/* FLUSH request: a close(2) of a descriptor on fh. */
struct fuse_flush_in {
	le64 fh;
	le32 unused;
	le32 padding;
	le64 lock_owner;
};
_Static_assert(sizeof(struct fuse_flush_in) == 24, "fuse_flush_in size");
_Static_assert(__builtin_offsetof(struct fuse_flush_in, lock_owner) == 16,
	       "flush lock_owner");

/* READ, READDIR and READDIRPLUS request. The reply is at most size bytes of data. */
struct fuse_read_in {
	le64 fh;
	le64 offset; /* file offset, or the directory cookie of the last entry seen */
	le32 size; /* bytes wanted */
	le32 read_flags; /* FUSE_READ_LOCKOWNER */
	le64 lock_owner;
	le32 flags; /* the open(2) flags of fh */
	le32 padding;
};
_Static_assert(sizeof(struct fuse_read_in) == 40, "fuse_read_in size");
_Static_assert(__builtin_offsetof(struct fuse_read_in, offset) == 8, "read offset");
_Static_assert(__builtin_offsetof(struct fuse_read_in, size) == 16, "read size");
_Static_assert(__builtin_offsetof(struct fuse_read_in, flags) == 32, "read flags");

/* WRITE request; size data bytes follow (in the same or a further descriptor). */
struct fuse_write_in {
	le64 fh;
	le64 offset;
	le32 size; /* data bytes after this struct */
	le32 write_flags; /* FUSE_WRITE_* */
	le64 lock_owner;
	le32 flags; /* the open(2) flags of fh */
	le32 padding;
};
_Static_assert(sizeof(struct fuse_write_in) == 40, "fuse_write_in size");
_Static_assert(__builtin_offsetof(struct fuse_write_in, size) == 16, "write size");
_Static_assert(__builtin_offsetof(struct fuse_write_in, flags) == 32, "write flags");

/* Reply to WRITE. */
struct fuse_write_out {
	le32 size; /* bytes written, <= the request's size */
	le32 padding;
};
_Static_assert(sizeof(struct fuse_write_out) == 8, "fuse_write_out size");

/* statfs(2) numbers. */
struct fuse_kstatfs {
	le64 blocks; /* total, in frsize units */
	le64 bfree;
	le64 bavail; /* free for unprivileged users */
	le64 files;
	le64 ffree;
	le32 bsize;
	le32 namelen; /* longest name */
	le32 frsize;
	le32 padding;
	le32 spare[6];
};
_Static_assert(sizeof(struct fuse_kstatfs) == 80, "fuse_kstatfs size");
_Static_assert(__builtin_offsetof(struct fuse_kstatfs, bsize) == 40, "kstatfs bsize");

/* Reply to STATFS. */
struct fuse_statfs_out {
	struct fuse_kstatfs st;
};
_Static_assert(sizeof(struct fuse_statfs_out) == 80, "fuse_statfs_out size");

/* FSYNC and FSYNCDIR request. */
struct fuse_fsync_in {
	le64 fh;
	le32 fsync_flags; /* FUSE_FSYNC_FDATASYNC */
	le32 padding;
};
_Static_assert(sizeof(struct fuse_fsync_in) == 16, "fuse_fsync_in size");

/* INIT request (nodeid 0), the 16-byte form used without FUSE_INIT_EXT. */
struct fuse_init_in {
	le32 major; /* FUSE_KERNEL_VERSION */
	le32 minor; /* highest minor the driver speaks */
	le32 max_readahead; /* bytes */
	le32 flags; /* FUSE_* capabilities the driver supports */
};
_Static_assert(sizeof(struct fuse_init_in) == 16, "fuse_init_in size");
_Static_assert(__builtin_offsetof(struct fuse_init_in, flags) == 12, "init_in flags");

/*
 * Reply to INIT. Its length depends on the minor: 8 bytes before 7.5, 24 before
 * 7.23, 64 since (later minors fill the unused tail; the size stays 64).
 */
struct fuse_init_out {
	le32 major; /* the server's major; 7 */
	le32 minor; /* the server's minor; the session uses min(ours, this) */
	le32 max_readahead;
	le32 flags; /* FUSE_* capabilities the server enables */
	le16 max_background; /* requests the server wants in flight, at most */
	le16 congestion_threshold;
	le32 max_write; /* largest WRITE data; the driver uses at least 4096 */
	le32 time_gran; /* timestamp granularity in ns (7.23) */
	le16 max_pages; /* largest request in pages, if FUSE_MAX_PAGES (7.28) */
	le16 map_alignment; /* DAX, 7.31; unused by Toro */
	le32 flags2; /* high 32 flag bits (7.36); unused before */
	le32 unused[7];
};
_Static_assert(sizeof(struct fuse_init_out) == 64, "fuse_init_out size");
_Static_assert(__builtin_offsetof(struct fuse_init_out, max_background) == 16,
	       "init_out max_background");
_Static_assert(__builtin_offsetof(struct fuse_init_out, max_write) == 20,
	       "init_out max_write");
_Static_assert(__builtin_offsetof(struct fuse_init_out, time_gran) == 24,
	       "init_out time_gran");
_Static_assert(__builtin_offsetof(struct fuse_init_out, max_pages) == 28,
	       "init_out max_pages");
_Static_assert(__builtin_offsetof(struct fuse_init_out, flags2) == 32, "init_out flags2");

/*
 * One READDIR record: this header, namelen name bytes (no NUL), then zero padding
 * to the next multiple of 8 (FUSE_DIRENT_ALIGN). Records follow each other until
 * the reply ends; off is the cookie to pass as fuse_read_in.offset to continue
 * after this entry.
 */
struct fuse_dirent {
	le64 ino; /* host inode number */
	le64 off; /* cookie of the next entry */
	le32 namelen; /* name bytes, 1..255 */
	le32 type; /* DT_* (S_IFMT >> 12) */
	char name[];
};
_Static_assert(sizeof(struct fuse_dirent) == 24, "fuse_dirent size");
_Static_assert(__builtin_offsetof(struct fuse_dirent, off) == 8, "dirent off");
_Static_assert(__builtin_offsetof(struct fuse_dirent, namelen) == 16, "dirent namelen");
_Static_assert(__builtin_offsetof(struct fuse_dirent, type) == 20, "dirent type");
_Static_assert(__builtin_offsetof(struct fuse_dirent, name) == 24, "dirent name");

#define FUSE_NAME_OFFSET 24 /* offsetof(struct fuse_dirent, name) */
#define FUSE_DIRENT_ALIGN(x) (((x) + 7) & ~(uint64_t)7) /* records are 8-aligned */

/*
 * One READDIRPLUS record: a LOOKUP reply for the entry, then a fuse_dirent (name
 * and padding as above). Each entry with a non-zero nodeid counts as a LOOKUP on
 * the server: the driver owes it a FORGET. "." and ".." come with nodeid 0.
 */
struct fuse_direntplus {
	struct fuse_entry_out entry_out;
	struct fuse_dirent dirent;
};
_Static_assert(sizeof(struct fuse_direntplus) == 152, "fuse_direntplus size");
_Static_assert(__builtin_offsetof(struct fuse_direntplus, dirent) == 128,
	       "direntplus dirent");
_Static_assert(__builtin_offsetof(struct fuse_direntplus, dirent.name) == 152,
	       "direntplus name");

#define FUSE_NAME_OFFSET_DIRENTPLUS \
	152 /* offsetof(struct fuse_direntplus, dirent.name) */

#endif
