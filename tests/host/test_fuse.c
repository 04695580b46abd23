/* SPDX-License-Identifier: MIT */
/*
 * Tests of lib/fuse.c and the layouts of uapi/fuse.h. Requests are checked byte by
 * byte at the offsets of Linux's include/uapi/linux/fuse.h (7.31/7.32), not through
 * the structs, so a wrong struct cannot agree with itself. Replies are built by
 * hand, good and hostile; listings and replies are copied into exactly sized heap
 * buffers so that ASan catches any read past what the "device" wrote.
 */
#include "tests/host/check.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "lib/fuse.h"
#include "toro/errno.h"
#include "uapi/fuse.h"

static uint32_t rd32(const uint8_t *b, size_t off)
{
	return (uint32_t)b[off] | (uint32_t)b[off + 1] << 8 | (uint32_t)b[off + 2] << 16 |
	       (uint32_t)b[off + 3] << 24;
}

static uint64_t rd64(const uint8_t *b, size_t off)
{
	return (uint64_t)rd32(b, off) | (uint64_t)rd32(b, off + 4) << 32;
}

static void wr32(uint8_t *b, size_t off, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b[off + i] = (uint8_t)(v >> (8 * i));
}

static void wr64(uint8_t *b, size_t off, uint64_t v)
{
	wr32(b, off, (uint32_t)v);
	wr32(b, off + 4, (uint32_t)(v >> 32));
}

/* A request buffer with a guard byte pattern after it. */
static uint8_t reqbuf[FUSE_REQ_MAX + 16];

static struct fuse_req req_setup(void)
{
	struct fuse_req r = { 0 };

	memset(reqbuf, 0xa5, sizeof(reqbuf));
	r.buf = reqbuf;
	r.cap = FUSE_REQ_MAX;
	r.uid = 1000;
	r.gid = 100;
	r.pid = 7;
	return r;
}

/* Checks the 40-byte in_header at the ABI offsets. */
static void check_in_header(const struct fuse_req *r, uint32_t len, uint32_t opcode,
			    uint64_t unique, uint64_t nodeid)
{
	const uint8_t *b = r->buf;

	CHECK_EQ(r->len + r->payload_len, len);
	CHECK_EQ(rd32(b, 0), len);
	CHECK_EQ(rd32(b, 4), opcode);
	CHECK_EQ(rd64(b, 8), unique);
	CHECK_EQ(rd64(b, 16), nodeid);
	CHECK_EQ(rd32(b, 24), r->uid);
	CHECK_EQ(rd32(b, 28), r->gid);
	CHECK_EQ(rd32(b, 32), r->pid);
	CHECK_EQ(rd32(b, 36), 0);
}

TEST(fuse_abi_sizes_and_numbers)
{
	CHECK_EQ(sizeof(struct fuse_in_header), 40);
	CHECK_EQ(sizeof(struct fuse_out_header), 16);
	CHECK_EQ(sizeof(struct fuse_attr), 88);
	CHECK_EQ(sizeof(struct fuse_entry_out), 128);
	CHECK_EQ(sizeof(struct fuse_attr_out), 104);
	CHECK_EQ(sizeof(struct fuse_init_in), 16);
	CHECK_EQ(sizeof(struct fuse_init_out), 64);
	CHECK_EQ(sizeof(struct fuse_open_out), 16);
	CHECK_EQ(sizeof(struct fuse_read_in), 40);
	CHECK_EQ(sizeof(struct fuse_write_in), 40);
	CHECK_EQ(sizeof(struct fuse_setattr_in), 88);
	CHECK_EQ(sizeof(struct fuse_statfs_out), 80);
	CHECK_EQ(sizeof(struct fuse_direntplus), 152);
	CHECK_EQ(FUSE_DIRENT_ALIGN(24 + 1), 32);
	CHECK_EQ(FUSE_DIRENT_ALIGN(24 + 8), 32);
	CHECK_EQ(FUSE_DIRENT_ALIGN(24 + 9), 40);
	CHECK_EQ(FUSE_LOOKUP, 1);
	CHECK_EQ(FUSE_FORGET, 2);
	CHECK_EQ(FUSE_SETATTR, 4);
	CHECK_EQ(FUSE_MKDIR, 9);
	CHECK_EQ(FUSE_RENAME, 12);
	CHECK_EQ(FUSE_OPEN, 14);
	CHECK_EQ(FUSE_RELEASE, 18);
	CHECK_EQ(FUSE_FSYNC, 20);
	CHECK_EQ(FUSE_FLUSH, 25);
	CHECK_EQ(FUSE_INIT, 26);
	CHECK_EQ(FUSE_RELEASEDIR, 29);
	CHECK_EQ(FUSE_CREATE, 35);
	CHECK_EQ(FUSE_DESTROY, 38);
	CHECK_EQ(FUSE_READDIRPLUS, 44);
	CHECK_EQ(FUSE_RENAME2, 45);
	CHECK_EQ(FUSE_ROOT_ID, 1);
	CHECK_EQ(FUSE_MAX_PAGES, 1u << 22);
	CHECK_EQ(FUSE_DO_READDIRPLUS, 1u << 13);
	CHECK_STR(fuse_opcode_name(FUSE_READDIRPLUS), "READDIRPLUS");
	CHECK_STR(fuse_opcode_name(7), "UNKNOWN");
}

TEST(fuse_req_init_bytes)
{
	struct fuse_req r = req_setup();

	CHECK_EQ(fuse_req_init(&r, 2, 0x20000, FUSE_TORO_INIT_FLAGS), 0);
	CHECK_EQ(r.len, 56);
	CHECK_EQ(r.payload_len, 0);
	check_in_header(&r, 56, 26, 2, 0);
	CHECK_EQ(reqbuf[56], 0xa5); /* nothing written past len */
	CHECK_EQ(rd32(reqbuf, 40), 7); /* major */
	CHECK_EQ(rd32(reqbuf, 44), 31); /* minor: virtiofsd wants >= 31 */
	CHECK_EQ(rd32(reqbuf, 48), 0x20000); /* max_readahead */
	CHECK_EQ(rd32(reqbuf, 52), FUSE_TORO_INIT_FLAGS);
	CHECK_EQ(fuse_req_init(&r, 2, 0, FUSE_INIT_EXT), -EINVAL);
	CHECK_EQ(r.len, 0);
	CHECK_EQ(fuse_req_init(&r, 0, 0, 0), -EINVAL);
	CHECK_EQ(fuse_req_destroy(&r, 9), 0);
	check_in_header(&r, 40, FUSE_DESTROY, 9, 0);
}

TEST(fuse_req_lookup_and_names)
{
	struct fuse_req r = req_setup();
	char longname[300];

	CHECK_EQ(fuse_req_lookup(&r, 4, FUSE_ROOT_ID, "www/index", 3), 0);
	check_in_header(&r, 44, FUSE_LOOKUP, 4, 1);
	CHECK(memcmp(reqbuf + 40, "www", 4) == 0); /* NUL-terminated copy */

	CHECK_EQ(fuse_req_lookup(&r, 4, 1, "", 0), -EINVAL);
	CHECK_EQ(fuse_req_lookup(&r, 4, 1, ".", 1), -EINVAL);
	CHECK_EQ(fuse_req_lookup(&r, 4, 1, "..", 2), -EINVAL);
	CHECK_EQ(fuse_req_lookup(&r, 4, 1, "a/b", 3), -EINVAL);
	CHECK_EQ(fuse_req_lookup(&r, 4, 1, "a\0b", 3), -EINVAL);
	CHECK_EQ(fuse_req_lookup(&r, 4, 0, "a", 1), -EINVAL); /* no node 0 */
	CHECK_EQ(fuse_req_lookup(&r, 0, 1, "a", 1), -EINVAL); /* no unique 0 */
	CHECK_EQ(r.len, 0);
	CHECK_EQ(fuse_name_check("...", 3), 0);
	CHECK_EQ(fuse_name_check(".a", 2), 0);
	CHECK_EQ(fuse_name_check("..a", 3), 0);

	memset(longname, 'x', sizeof(longname));
	CHECK_EQ(fuse_req_lookup(&r, 4, 1, longname, 255), 0);
	CHECK_EQ(r.len, 40 + 256);
	CHECK_EQ(reqbuf[40 + 255], 0);
	CHECK_EQ(fuse_req_lookup(&r, 4, 1, longname, 256), -ENAMETOOLONG);

	/* A buffer one byte short is refused without writing past it. */
	r.cap = 40 + 3;
	memset(reqbuf, 0xa5, sizeof(reqbuf));
	CHECK_EQ(fuse_req_lookup(&r, 4, 1, "abc", 3), -E2BIG);
	CHECK_EQ(reqbuf[0], 0xa5);
	r.cap = 40 + 4;
	CHECK_EQ(fuse_req_lookup(&r, 4, 1, "abc", 3), 0);
}

TEST(fuse_req_file_ops_bytes)
{
	struct fuse_req r = req_setup();
	struct fuse_setattr_in sa = { 0 };

	CHECK_EQ(fuse_req_getattr(&r, 6, 42, FUSE_GETATTR_FH, 0x1122), 0);
	check_in_header(&r, 56, FUSE_GETATTR, 6, 42);
	CHECK_EQ(rd32(reqbuf, 40), FUSE_GETATTR_FH);
	CHECK_EQ(rd64(reqbuf, 48), 0x1122);
	CHECK_EQ(fuse_req_getattr(&r, 6, 42, 2, 0), -EINVAL);

	CHECK_EQ(fuse_req_open(&r, 8, FUSE_OPEN, 42, 02 /* O_RDWR */), 0);
	check_in_header(&r, 48, FUSE_OPEN, 8, 42);
	CHECK_EQ(rd32(reqbuf, 40), 2);
	CHECK_EQ(rd32(reqbuf, 44), 0);
	CHECK_EQ(fuse_req_open(&r, 8, FUSE_OPENDIR, 42, 0), 0);
	CHECK_EQ(rd32(reqbuf, 4), FUSE_OPENDIR);
	CHECK_EQ(fuse_req_open(&r, 8, FUSE_READ, 42, 0), -EINVAL);

	CHECK_EQ(fuse_req_create(&r, 10, 5, "new.txt", 7, 0101, 0644, 022), 0);
	check_in_header(&r, 40 + 16 + 8, FUSE_CREATE, 10, 5);
	CHECK_EQ(rd32(reqbuf, 40), 0101);
	CHECK_EQ(rd32(reqbuf, 44), 0644);
	CHECK_EQ(rd32(reqbuf, 48), 022);
	CHECK_EQ(rd32(reqbuf, 52), 0);
	CHECK(memcmp(reqbuf + 56, "new.txt", 8) == 0);

	CHECK_EQ(fuse_req_read(&r, 12, FUSE_READ, 42, 0xfeed, 8192, 4096, 0), 0);
	check_in_header(&r, 80, FUSE_READ, 12, 42);
	CHECK_EQ(rd64(reqbuf, 40), 0xfeed); /* fh */
	CHECK_EQ(rd64(reqbuf, 48), 8192); /* offset */
	CHECK_EQ(rd32(reqbuf, 56), 4096); /* size */
	CHECK_EQ(rd32(reqbuf, 60), 0); /* read_flags */
	CHECK_EQ(rd64(reqbuf, 64), 0); /* lock_owner */
	CHECK_EQ(fuse_req_read(&r, 12, FUSE_READDIRPLUS, 42, 3, UINT64_MAX, 4096, 0), 0);
	CHECK_EQ(rd64(reqbuf, 48), UINT64_MAX); /* a cookie may be anything */
	CHECK_EQ(fuse_req_read(&r, 12, FUSE_READ, 42, 3, UINT64_MAX, 4096, 0), -EINVAL);
	CHECK_EQ(fuse_req_read(&r, 12, FUSE_WRITE, 42, 3, 0, 1, 0), -EINVAL);

	CHECK_EQ(fuse_req_write(&r, 14, 42, 0xfeed, 100, 5000, 0, 1), 0);
	CHECK_EQ(r.len, 80);
	CHECK_EQ(r.payload_len, 5000);
	check_in_header(&r, 5080, FUSE_WRITE, 14, 42);
	CHECK_EQ(rd64(reqbuf, 48), 100);
	CHECK_EQ(rd32(reqbuf, 56), 5000);
	CHECK_EQ(rd32(reqbuf, 72), 1); /* flags */
	CHECK_EQ(fuse_req_write(&r, 14, 42, 1, 0, UINT32_MAX, 0, 0), -EINVAL);
	CHECK_EQ(r.payload_len, 0);
	CHECK_EQ(fuse_req_write(&r, 14, 42, 1, INT64_MAX, 1, 0, 0), -EINVAL);

	CHECK_EQ(fuse_req_release(&r, 16, FUSE_RELEASEDIR, 42, 0xfeed, 0), 0);
	check_in_header(&r, 64, FUSE_RELEASEDIR, 16, 42);
	CHECK_EQ(rd64(reqbuf, 40), 0xfeed);
	CHECK_EQ(fuse_req_release(&r, 16, FUSE_FLUSH, 42, 1, 0), -EINVAL);

	CHECK_EQ(fuse_req_flush(&r, 18, 42, 0xfeed, 0x77), 0);
	check_in_header(&r, 64, FUSE_FLUSH, 18, 42);
	CHECK_EQ(rd64(reqbuf, 56), 0x77); /* lock_owner at 16 of flush_in */

	CHECK_EQ(fuse_req_fsync(&r, 20, FUSE_FSYNC, 42, 0xfeed, true), 0);
	check_in_header(&r, 56, FUSE_FSYNC, 20, 42);
	CHECK_EQ(rd32(reqbuf, 48), FUSE_FSYNC_FDATASYNC);
	CHECK_EQ(fuse_req_fsync(&r, 20, FUSE_OPEN, 42, 1, false), -EINVAL);

	sa.valid = FATTR_SIZE | FATTR_FH;
	sa.fh = 0xfeed;
	sa.size = 12345;
	CHECK_EQ(fuse_req_setattr(&r, 22, 42, &sa), 0);
	check_in_header(&r, 128, FUSE_SETATTR, 22, 42);
	CHECK_EQ(rd32(reqbuf, 40), FATTR_SIZE | FATTR_FH);
	CHECK_EQ(rd64(reqbuf, 48), 0xfeed);
	CHECK_EQ(rd64(reqbuf, 56), 12345);
	sa.valid = 1u << 20;
	CHECK_EQ(fuse_req_setattr(&r, 22, 42, &sa), -EINVAL);
	sa.valid = 0;
	CHECK_EQ(fuse_req_setattr(&r, 22, 42, &sa), -EINVAL);
	sa.valid = FATTR_SIZE;
	sa.size = (uint64_t)INT64_MAX + 1;
	CHECK_EQ(fuse_req_setattr(&r, 22, 42, &sa), -EINVAL);

	CHECK_EQ(fuse_req_forget(&r, 24, 42, 3), 0);
	check_in_header(&r, 48, FUSE_FORGET, 24, 42);
	CHECK_EQ(rd64(reqbuf, 40), 3);
	CHECK_EQ(fuse_req_forget(&r, 24, 42, 0), -EINVAL);
	CHECK_EQ(fuse_req_forget(&r, 24, FUSE_ROOT_ID, 1), -EINVAL);

	CHECK_EQ(fuse_req_statfs(&r, 26, 1), 0);
	check_in_header(&r, 40, FUSE_STATFS, 26, 1);
}

TEST(fuse_req_dir_ops_bytes)
{
	struct fuse_req r = req_setup();

	CHECK_EQ(fuse_req_mkdir(&r, 30, 1, "www", 3, 0755, 0), 0);
	check_in_header(&r, 40 + 8 + 4, FUSE_MKDIR, 30, 1);
	CHECK_EQ(rd32(reqbuf, 40), 0755);
	CHECK(memcmp(reqbuf + 48, "www", 4) == 0);
	CHECK_EQ(fuse_req_mkdir(&r, 30, 1, "..", 2, 0755, 0), -EINVAL);

	CHECK_EQ(fuse_req_unlink(&r, 32, FUSE_UNLINK, 5, "f", 1), 0);
	check_in_header(&r, 42, FUSE_UNLINK, 32, 5);
	CHECK_EQ(fuse_req_unlink(&r, 32, FUSE_RMDIR, 5, "d", 1), 0);
	CHECK_EQ(rd32(reqbuf, 4), FUSE_RMDIR);
	CHECK_EQ(fuse_req_unlink(&r, 32, FUSE_LOOKUP, 5, "d", 1), -EINVAL);

	/* RENAME: newdir, then "old\0new\0". */
	CHECK_EQ(fuse_req_rename(&r, 34, 5, "a.txt", 5, 6, "b.html", 6, 0), 0);
	check_in_header(&r, 40 + 8 + 6 + 7, FUSE_RENAME, 34, 5);
	CHECK_EQ(rd64(reqbuf, 40), 6);
	CHECK(memcmp(reqbuf + 48, "a.txt\0b.html", 13) == 0);
	/* RENAME2 when flags are given: newdir, flags, padding, names. */
	CHECK_EQ(fuse_req_rename(&r, 34, 5, "a", 1, 6, "b", 1, 1), 0);
	check_in_header(&r, 40 + 16 + 4, FUSE_RENAME2, 34, 5);
	CHECK_EQ(rd64(reqbuf, 40), 6);
	CHECK_EQ(rd32(reqbuf, 48), 1);
	CHECK(memcmp(reqbuf + 56, "a\0b", 4) == 0);
	CHECK_EQ(fuse_req_rename(&r, 34, 5, "a", 1, 6, "b/c", 3, 0), -EINVAL);
	CHECK_EQ(fuse_req_rename(&r, 34, 5, "", 0, 6, "b", 1, 0), -EINVAL);
	CHECK_EQ(fuse_req_rename(&r, 34, 5, "a", 1, 0, "b", 1, 0), -EINVAL);

	/* Two longest names fit FUSE_REQ_MAX. */
	{
		char n[FUSE_NAME_MAX];

		memset(n, 'n', sizeof(n));
		CHECK_EQ(fuse_req_rename(&r, 34, 5, n, sizeof(n), 6, n, sizeof(n), 2), 0);
		CHECK(r.len <= FUSE_REQ_MAX);
	}
}

/* ---- replies -------------------------------------------------------------- */

/* A heap copy of header + payload of exactly the reply's size; free() it. */
static uint8_t *mk_reply(size_t *len, uint64_t unique, int32_t error, const void *payload,
			 size_t plen)
{
	uint8_t *b = malloc(16 + plen);

	wr32(b, 0, (uint32_t)(16 + plen));
	wr32(b, 4, (uint32_t)error);
	wr64(b, 8, unique);
	if (plen)
		memcpy(b + 16, payload, plen);
	*len = 16 + plen;
	return b;
}

static int check_reply(uint32_t opcode, int32_t error, const void *payload, size_t plen,
		       struct fuse_reply *rep)
{
	size_t len;
	uint8_t *b = mk_reply(&len, 77, error, payload, plen);
	int rc = fuse_reply_check(b, len, 77, opcode, rep);

	CHECK(rep->reason != NULL);
	free(b);
	return rc;
}

static struct fuse_attr good_attr(uint32_t type)
{
	struct fuse_attr a = { 0 };

	a.ino = 1234;
	a.size = 5;
	a.mode = type | 0644;
	a.nlink = 1;
	a.mtime = 1700000000;
	a.mtimensec = 999999999;
	return a;
}

static struct fuse_entry_out good_entry(uint64_t nodeid, uint32_t type)
{
	struct fuse_entry_out e = { 0 };

	e.nodeid = nodeid;
	e.generation = 1;
	e.entry_valid = 1;
	e.attr_valid = 1;
	e.attr = good_attr(type);
	return e;
}

TEST(fuse_reply_header_checks)
{
	struct fuse_reply rep;
	size_t len;
	uint8_t *b = mk_reply(&len, 77, 0, NULL, 0);

	CHECK_EQ(fuse_reply_check(b, len, 77, FUSE_FLUSH, &rep), 0);
	CHECK_STR(rep.reason, "ok");
	/* Fewer bytes than a header. */
	for (size_t n = 0; n < 16; n++)
		CHECK_EQ(fuse_reply_check(b, n, 77, FUSE_FLUSH, &rep), -EIO);
	/* The header claims more or fewer bytes than the device wrote. */
	wr32(b, 0, 17);
	CHECK_EQ(fuse_reply_check(b, len, 77, FUSE_FLUSH, &rep), -EIO);
	CHECK_STR(rep.reason, "header length differs from the bytes received");
	wr32(b, 0, 15);
	CHECK_EQ(fuse_reply_check(b, len, 77, FUSE_FLUSH, &rep), -EIO);
	wr32(b, 0, 16);
	/* Somebody else's reply, or a notification (unique 0). */
	CHECK_EQ(fuse_reply_check(b, len, 78, FUSE_FLUSH, &rep), -EIO);
	CHECK_STR(rep.reason, "unique does not match the request");
	wr64(b, 8, 0);
	CHECK_EQ(fuse_reply_check(b, len, 77, FUSE_FLUSH, &rep), -EIO);
	/* Asking about a request that has no reply is a caller bug. */
	CHECK_EQ(fuse_reply_check(b, len, 0, FUSE_FLUSH, &rep), -EINVAL);
	wr64(b, 8, 77);
	CHECK_EQ(fuse_reply_check(b, len, 77, FUSE_FORGET, &rep), -EINVAL);
	CHECK_EQ(fuse_reply_check(b, len, 77, FUSE_BATCH_FORGET, &rep), -EINVAL);
	CHECK_EQ(fuse_reply_check(b, len, 77, 9999, &rep), -EINVAL);
	free(b);
}

TEST(fuse_reply_errors)
{
	struct fuse_reply rep;
	uint8_t junk[8] = { 0 };

	CHECK_EQ(check_reply(FUSE_LOOKUP, -ENOENT, NULL, 0, &rep), -ENOENT);
	CHECK_EQ(rep.error, -ENOENT);
	CHECK_STR(rep.reason, "ok");
	CHECK_EQ(check_reply(FUSE_OPEN, -13 /* EACCES */, NULL, 0, &rep), -13);
	CHECK_EQ(check_reply(FUSE_READ, -4095, NULL, 0, &rep), -4095);
	CHECK_EQ(check_reply(FUSE_READ, -4096, NULL, 0, &rep), -EIO);
	CHECK_EQ(rep.error, 0);
	CHECK_EQ(check_reply(FUSE_READ, INT32_MIN, NULL, 0, &rep), -EIO);
	CHECK_EQ(check_reply(FUSE_READ, 1, NULL, 0, &rep), -EIO);
	CHECK_STR(rep.reason, "error outside -4095..0");
	/* An error reply is the header alone. */
	CHECK_EQ(check_reply(FUSE_READ, -5, junk, sizeof(junk), &rep), -EIO);
	CHECK_STR(rep.reason, "error reply with a payload");
	/* The host may fail INIT too; that is its answer, not a malformed reply. */
	CHECK_EQ(check_reply(FUSE_INIT, -EPROTO, NULL, 0, &rep), -EPROTO);
}

TEST(fuse_reply_payload_sizes)
{
	struct fuse_reply rep;
	uint8_t big[256] = { 0 };
	struct fuse_open_out oo = { 0xabc, FOPEN_KEEP_CACHE, 0 };
	struct fuse_write_out wo = { 4096, 0 };
	struct fuse_statfs_out so = { 0 };

	/* Empty replies. */
	CHECK_EQ(check_reply(FUSE_RELEASE, 0, NULL, 0, &rep), 0);
	CHECK_EQ(check_reply(FUSE_RENAME, 0, NULL, 0, &rep), 0);
	CHECK_EQ(check_reply(FUSE_UNLINK, 0, big, 1, &rep), -EIO);
	CHECK_EQ(check_reply(FUSE_FSYNC, 0, big, 8, &rep), -EIO);

	CHECK_EQ(check_reply(FUSE_OPEN, 0, &oo, sizeof(oo), &rep), 0);
	CHECK_EQ(rep.out.open.fh, 0xabc);
	CHECK_EQ(rep.out.open.open_flags, FOPEN_KEEP_CACHE);
	CHECK_EQ(check_reply(FUSE_OPENDIR, 0, &oo, 15, &rep), -EIO);
	CHECK_STR(rep.reason, "payload size wrong for the opcode");
	CHECK_EQ(check_reply(FUSE_OPEN, 0, big, 17, &rep), -EIO);
	CHECK_EQ(check_reply(FUSE_OPEN, 0, NULL, 0, &rep), -EIO);

	CHECK_EQ(check_reply(FUSE_WRITE, 0, &wo, sizeof(wo), &rep), 0);
	CHECK_EQ(rep.out.write.size, 4096);
	CHECK_EQ(check_reply(FUSE_WRITE, 0, &wo, 4, &rep), -EIO);

	so.st.bsize = 4096;
	so.st.namelen = 255;
	CHECK_EQ(check_reply(FUSE_STATFS, 0, &so, sizeof(so), &rep), 0);
	CHECK_EQ(rep.out.statfs.st.namelen, 255);
	CHECK_EQ(check_reply(FUSE_STATFS, 0, &so, 48, &rep), -EIO); /* pre-7.4 size */

	/* READ: any amount, pointed to in place. */
	memset(big, 'z', sizeof(big));
	{
		size_t len;
		uint8_t *b = mk_reply(&len, 77, 0, big, 100);

		CHECK_EQ(fuse_reply_check(b, len, 77, FUSE_READ, &rep), 0);
		CHECK(rep.data == b + 16);
		CHECK_EQ(rep.data_len, 100);
		CHECK_EQ(rep.data[99], 'z');
		free(b);
	}
	CHECK_EQ(check_reply(FUSE_READ, 0, NULL, 0, &rep), 0);
	CHECK_EQ(rep.data_len, 0); /* end of file */
	CHECK_EQ(check_reply(FUSE_READDIR, 0, NULL, 0, &rep), 0);
}

TEST(fuse_reply_entries_and_attrs)
{
	struct fuse_reply rep;
	struct fuse_entry_out e = good_entry(42, 0100000);
	struct fuse_attr_out ao = { 0 };
	struct fuse_create_out co = { 0 };

	CHECK_EQ(check_reply(FUSE_LOOKUP, 0, &e, sizeof(e), &rep), 0);
	CHECK_EQ(rep.out.entry.nodeid, 42);
	CHECK_EQ(rep.out.entry.attr.size, 5);
	CHECK_EQ(check_reply(FUSE_LOOKUP, 0, &e, 120, &rep), -EIO); /* pre-7.9 size */
	/* A negative entry is "no such file". */
	e.nodeid = 0;
	CHECK_EQ(check_reply(FUSE_LOOKUP, 0, &e, sizeof(e), &rep), -ENOENT);
	CHECK_EQ(rep.error, -ENOENT);
	/* ...but a created node must exist, and must not be the root. */
	e.attr = good_attr(0040000);
	CHECK_EQ(check_reply(FUSE_MKDIR, 0, &e, sizeof(e), &rep), -EIO);
	CHECK_STR(rep.reason, "new entry with node ID 0");
	e.nodeid = FUSE_ROOT_ID;
	CHECK_EQ(check_reply(FUSE_MKDIR, 0, &e, sizeof(e), &rep), -EIO);
	CHECK_EQ(check_reply(FUSE_LOOKUP, 0, &e, sizeof(e), &rep), 0);
	e.nodeid = 43;
	CHECK_EQ(check_reply(FUSE_MKDIR, 0, &e, sizeof(e), &rep), 0);
	/* MKDIR that made a regular file: refused, nodeid kept for the FORGET. */
	e.attr = good_attr(0100000);
	CHECK_EQ(check_reply(FUSE_MKDIR, 0, &e, sizeof(e), &rep), -EIO);
	CHECK_STR(rep.reason, "new entry has the wrong file type");
	CHECK_EQ(rep.out.entry.nodeid, 43);

	/* Attribute sanity, as Linux's fuse_invalid_attr (plus nanoseconds). */
	e.attr.mode = 0644; /* no type */
	CHECK_EQ(check_reply(FUSE_LOOKUP, 0, &e, sizeof(e), &rep), -EIO);
	CHECK_STR(rep.reason, "attributes: not a file type");
	e.attr = good_attr(0120000);
	e.attr.size = (uint64_t)INT64_MAX + 1;
	CHECK_EQ(check_reply(FUSE_LOOKUP, 0, &e, sizeof(e), &rep), -EIO);
	e.attr = good_attr(0140000);
	e.attr.ctimensec = 1000000000;
	CHECK_EQ(check_reply(FUSE_LOOKUP, 0, &e, sizeof(e), &rep), -EIO);

	ao.attr_valid = 1;
	ao.attr = good_attr(0040000);
	CHECK_EQ(check_reply(FUSE_GETATTR, 0, &ao, sizeof(ao), &rep), 0);
	CHECK_EQ(rep.out.attr.attr.mode, 0040644);
	CHECK_EQ(check_reply(FUSE_SETATTR, 0, &ao, sizeof(ao), &rep), 0);
	CHECK_EQ(check_reply(FUSE_GETATTR, 0, &ao, 96, &rep), -EIO); /* pre-7.9 size */
	ao.attr.mode = 0170644;
	CHECK_EQ(check_reply(FUSE_GETATTR, 0, &ao, sizeof(ao), &rep), -EIO);

	co.entry = good_entry(50, 0100000);
	co.open.fh = 0x99;
	CHECK_EQ(check_reply(FUSE_CREATE, 0, &co, sizeof(co), &rep), 0);
	CHECK_EQ(rep.out.create.entry.nodeid, 50);
	CHECK_EQ(rep.out.create.open.fh, 0x99);
	CHECK_EQ(check_reply(FUSE_CREATE, 0, &co, 128, &rep), -EIO);
	co.entry.attr = good_attr(0040000);
	CHECK_EQ(check_reply(FUSE_CREATE, 0, &co, sizeof(co), &rep), -EIO);
}

TEST(fuse_reply_init_sizes)
{
	struct fuse_reply rep;
	struct fuse_init_out o;
	struct fuse_conn c;

	memset(&o, 0, sizeof(o));
	o.major = 7;
	o.minor = 36; /* QEMU 7.2's virtiofsd answers with its own minor */
	o.flags = FUSE_BIG_WRITES | FUSE_MAX_PAGES | FUSE_ASYNC_READ;
	o.max_write = 1 << 20;
	o.max_pages = 256;
	o.time_gran = 1;
	o.flags2 = 0xffffffff;
	CHECK_EQ(check_reply(FUSE_INIT, 0, &o, 64, &rep), 0);
	CHECK_EQ(rep.out.init.max_pages, 256);
	CHECK_EQ(rep.data_len, 64);
	CHECK_EQ(fuse_init_negotiate(&rep.out.init, FUSE_TORO_INIT_FLAGS, &c), 0);
	CHECK_EQ(c.minor, 31);
	CHECK_EQ(c.flags, FUSE_BIG_WRITES | FUSE_MAX_PAGES); /* ASYNC_READ not asked */
	CHECK_EQ(c.max_write, 1 << 20);
	CHECK_EQ(c.max_pages, 256);
	CHECK_EQ(c.time_gran, 1);

	/* A 7.22 server: 24 bytes, the rest reads as zero; too old for Toro. */
	memset(&o, 0x5a, sizeof(o));
	o.major = 7;
	o.minor = 22;
	o.max_write = 0;
	CHECK_EQ(check_reply(FUSE_INIT, 0, &o, 24, &rep), 0);
	CHECK_EQ(rep.out.init.max_write, 0);
	CHECK_EQ(rep.out.init.time_gran, 0); /* zero-extended, not 0x5a */
	CHECK_EQ(rep.out.init.max_pages, 0);
	CHECK_EQ(fuse_init_negotiate(&rep.out.init, FUSE_TORO_INIT_FLAGS, &c), -EPROTO);
	/* 24 bytes from a server claiming 7.23+ is short. */
	o.minor = 23;
	CHECK_EQ(check_reply(FUSE_INIT, 0, &o, 24, &rep), -EIO);
	CHECK_STR(rep.reason, "INIT reply too short for its minor");
	/* 8 bytes: only before 7.5. */
	o.minor = 4;
	CHECK_EQ(check_reply(FUSE_INIT, 0, &o, 8, &rep), 0);
	CHECK_EQ(rep.out.init.flags, 0);
	o.minor = 5;
	CHECK_EQ(check_reply(FUSE_INIT, 0, &o, 8, &rep), -EIO);
	/* Sizes no minor ever used. */
	CHECK_EQ(check_reply(FUSE_INIT, 0, &o, 0, &rep), -EIO);
	CHECK_EQ(check_reply(FUSE_INIT, 0, &o, 16, &rep), -EIO);
	CHECK_EQ(check_reply(FUSE_INIT, 0, &o, 40, &rep), -EIO);
	CHECK_EQ(check_reply(FUSE_INIT, 0, &o, 63, &rep), -EIO);
	{
		uint8_t big[72] = { 7 };

		CHECK_EQ(check_reply(FUSE_INIT, 0, big, sizeof(big), &rep), -EIO);
	}
	/* Another major: well formed, but not a session Toro can have. */
	memset(&o, 0, sizeof(o));
	o.major = 8;
	o.minor = 0;
	CHECK_EQ(check_reply(FUSE_INIT, 0, &o, 64, &rep), 0);
	CHECK_EQ(fuse_init_negotiate(&rep.out.init, 0, &c), -EPROTO);

	/* Limits: max_write at least 4 KiB, time_gran within a second. */
	memset(&o, 0, sizeof(o));
	o.major = 7;
	o.minor = 31;
	o.max_write = 100;
	o.time_gran = 2000000000;
	o.max_pages = 9;
	CHECK_EQ(fuse_init_negotiate(&o, FUSE_TORO_INIT_FLAGS, &c), 0);
	CHECK_EQ(c.max_write, 4096);
	CHECK_EQ(c.time_gran, 1);
	CHECK_EQ(c.max_pages, 0); /* server did not set FUSE_MAX_PAGES */
	o.minor = 23;
	CHECK_EQ(fuse_init_negotiate(&o, 0, &c), 0);
	CHECK_EQ(c.minor, 23);
}

/* ---- directory listings ------------------------------------------------------ */

/* Appends a READDIR record to b at *n; returns the record's offset. */
static size_t add_dirent(uint8_t *b, size_t *n, uint64_t ino, uint64_t off,
			 const char *name, uint32_t type)
{
	size_t at = *n, nl = strlen(name);

	wr64(b, at, ino);
	wr64(b, at + 8, off);
	wr32(b, at + 16, (uint32_t)nl);
	wr32(b, at + 20, type);
	memcpy(b + at + 24, name, nl);
	*n = at + FUSE_DIRENT_ALIGN(24 + nl);
	memset(b + at + 24 + nl, 0, *n - (at + 24 + nl));
	return at;
}

/* Appends a READDIRPLUS record. */
static size_t add_direntplus(uint8_t *b, size_t *n, uint64_t nodeid, const char *name,
			     uint32_t type)
{
	struct fuse_entry_out e = good_entry(nodeid, type << 12);
	size_t at = *n;

	memcpy(b + at, &e, sizeof(e));
	*n += sizeof(e);
	add_dirent(b, n, e.attr.ino, 1000 + at, name, type);
	return at;
}

/* Iterates a heap copy of b[0..len); returns the final result and counts entries. */
static int walk(const uint8_t *b, size_t len, bool plus, int *count, size_t *end)
{
	uint8_t *copy = malloc(len ? len : 1);
	struct fuse_dir_entry e;
	size_t off = 0;
	int rc;

	memcpy(copy, b, len);
	*count = 0;
	for (;;) {
		rc = plus ? fuse_direntplus_next(copy, len, &off, &e) :
			    fuse_dirent_next(copy, len, &off, &e);
		if (rc)
			break;
		CHECK(e.namelen >= 1 && e.namelen <= 255);
		CHECK(e.name >= (const char *)copy &&
		      e.name + e.namelen <= (const char *)copy + len);
		(*count)++;
	}
	CHECK(e.reason != NULL);
	*end = off;
	free(copy);
	return rc;
}

TEST(fuse_dirent_good_listing)
{
	uint8_t b[512];
	size_t n = 0, off = 0;
	struct fuse_dir_entry e;

	add_dirent(b, &n, 1, 1, ".", 4);
	add_dirent(b, &n, 2, 2, "..", 4);
	add_dirent(b, &n, 77, 3, "index.html", 8); /* 34 -> 40 bytes */
	add_dirent(b, &n, 78, 4, "12345678", 8); /* exactly 32 */
	CHECK_EQ(n, 32 + 32 + 40 + 32);

	CHECK_EQ(fuse_dirent_next(b, n, &off, &e), 0);
	CHECK_EQ(e.namelen, 1);
	CHECK_EQ(e.name[0], '.');
	CHECK_EQ(off, 32);
	CHECK_EQ(fuse_dirent_next(b, n, &off, &e), 0);
	CHECK_EQ(e.namelen, 2);
	CHECK_EQ(fuse_dirent_next(b, n, &off, &e), 0);
	CHECK_EQ(e.ino, 77);
	CHECK_EQ(e.off, 3);
	CHECK_EQ(e.type, 8);
	CHECK_EQ(e.namelen, 10);
	CHECK(memcmp(e.name, "index.html", 10) == 0);
	CHECK_EQ(e.entry.nodeid, 0); /* READDIR has no entry_out */
	CHECK_EQ(off, 104);
	CHECK_EQ(fuse_dirent_next(b, n, &off, &e), 0);
	CHECK_EQ(fuse_dirent_next(b, n, &off, &e), -ENOENT);
	CHECK_EQ(off, n);
	CHECK_EQ(fuse_dirent_next(b, n, &off, &e), -ENOENT); /* stays at the end */
	/* An empty reply is an empty listing. */
	off = 0;
	CHECK_EQ(fuse_dirent_next(b, 0, &off, &e), -ENOENT);
	/* Misuse: an offset the iterator never produces. */
	off = 3;
	CHECK_EQ(fuse_dirent_next(b, n, &off, &e), -EINVAL);
	off = n + 8;
	CHECK_EQ(fuse_dirent_next(b, n, &off, &e), -EINVAL);
}

TEST(fuse_dirent_every_truncation)
{
	uint8_t b[512];
	size_t n = 0, bounds[8], nb = 0, end;
	int count;

	bounds[nb++] = 0;
	add_dirent(b, &n, 1, 1, ".", 4);
	bounds[nb++] = n;
	add_dirent(b, &n, 77, 2, "index.html", 8);
	bounds[nb++] = n;
	add_dirent(b, &n, 78, 3, "a-name-of-seventeen", 8);
	bounds[nb++] = n;
	/* Cut the reply at every length: clean only at record boundaries. */
	for (size_t len = 0; len <= n; len++) {
		bool boundary = false;
		int rc = walk(b, len, false, &count, &end);

		for (size_t i = 0; i < nb; i++)
			boundary |= bounds[i] == len;
		if (boundary) {
			CHECK_EQ(rc, -ENOENT);
			CHECK_EQ(end, len);
		} else {
			CHECK_EQ(rc, -EIO);
			CHECK(end < len);
		}
	}
}

TEST(fuse_dirent_hostile_records)
{
	uint8_t b[1024];
	size_t n = 0, off = 0;
	struct fuse_dir_entry e;
	int count;

	/* namelen 0: no progress would be possible; refused. */
	add_dirent(b, &n, 1, 1, "x", 8);
	wr32(b, 16, 0);
	CHECK_EQ(fuse_dirent_next(b, n, &off, &e), -EIO);
	CHECK_STR(e.reason, "record with an empty name");
	CHECK_EQ(off, 0);
	/* namelen 256, and one so large that hdr + namelen would wrap 32 bits. */
	memset(b, 'a', sizeof(b));
	wr32(b, 16, 256);
	CHECK_EQ(fuse_dirent_next(b, sizeof(b), &off, &e), -EIO);
	CHECK_STR(e.reason, "record name longer than 255 bytes");
	wr32(b, 16, 0xffffffff);
	CHECK_EQ(fuse_dirent_next(b, sizeof(b), &off, &e), -EIO);
	/* namelen 255 in a reply that ends early. */
	wr32(b, 16, 255);
	CHECK_EQ(fuse_dirent_next(b, 24 + 255, &off, &e), -EIO); /* unpadded */
	CHECK_STR(e.reason, "record overruns the reply");
	wr32(b, 20, 8);
	CHECK_EQ(fuse_dirent_next(b, 24 + 256, &off, &e), 0);
	CHECK_EQ(off, 280);
	/* A name with '/' or NUL. */
	n = 0;
	off = 0;
	add_dirent(b, &n, 1, 1, "../etc", 8);
	CHECK_EQ(fuse_dirent_next(b, n, &off, &e), -EIO);
	CHECK_STR(e.reason, "record name contains '/' or NUL");
	n = 0;
	add_dirent(b, &n, 1, 1, "ab", 8);
	b[25] = 0;
	CHECK_EQ(fuse_dirent_next(b, n, &off, &e), -EIO);
	/* A type that is no DT_* value. */
	n = 0;
	add_dirent(b, &n, 1, 1, "ab", 16);
	CHECK_EQ(fuse_dirent_next(b, n, &off, &e), -EIO);
	/* A trailing fragment shorter than a header after a good record. */
	n = 0;
	add_dirent(b, &n, 1, 1, "ok", 8);
	CHECK_EQ(walk(b, n + 8, false, &count, &off), -EIO);
	CHECK_EQ(count, 1);
	CHECK_EQ(off, 32);
	/* All zeros: refused at once, whatever the length. */
	memset(b, 0, sizeof(b));
	CHECK_EQ(walk(b, sizeof(b), false, &count, &off), -EIO);
	CHECK_EQ(count, 0);
	/* 0xff everywhere: likewise. */
	memset(b, 0xff, sizeof(b));
	CHECK_EQ(walk(b, sizeof(b), true, &count, &off), -EIO);
}

TEST(fuse_direntplus_listing)
{
	uint8_t b[1024];
	size_t n = 0, off = 0, end, second;
	struct fuse_dir_entry e;
	int count;

	/* virtiofsd sends "." and ".." with nodeid 0 and the real names with a ref. */
	add_direntplus(b, &n, 0, ".", 4);
	add_direntplus(b, &n, 0, "..", 4);
	second = add_direntplus(b, &n, 42, "index.html", 8);
	add_direntplus(b, &n, 43, "img", 4);
	CHECK_EQ(n, 160 + 160 + 168 + 160);
	CHECK_EQ(fuse_direntplus_next(b, n, &off, &e), 0);
	CHECK_EQ(e.entry.nodeid, 0);
	CHECK_EQ(off, 160);
	CHECK_EQ(fuse_direntplus_next(b, n, &off, &e), 0);
	CHECK_EQ(fuse_direntplus_next(b, n, &off, &e), 0);
	CHECK_EQ(e.entry.nodeid, 42);
	CHECK_EQ(e.entry.attr.mode, 0100644);
	CHECK_EQ(e.namelen, 10);
	CHECK(memcmp(e.name, "index.html", 10) == 0);
	CHECK_EQ(e.off, 1000 + second);
	CHECK_EQ(fuse_direntplus_next(b, n, &off, &e), 0);
	CHECK_EQ(e.type, 4);
	CHECK_EQ(fuse_direntplus_next(b, n, &off, &e), -ENOENT);
	CHECK_EQ(walk(b, n, true, &count, &end), -ENOENT);
	CHECK_EQ(count, 4);

	/* Every truncation fails cleanly. */
	for (size_t len = 1; len < n; len++) {
		int rc = walk(b, len, true, &count, &end);

		CHECK(rc == -EIO || (rc == -ENOENT && end == len));
	}
	/* The same bytes read as plain READDIR do not make sense. */
	CHECK_EQ(walk(b, n, false, &count, &end), -EIO);

	/* The root's node ID, or bad attributes: refused, entry kept for FORGET. */
	n = 0;
	add_direntplus(b, &n, FUSE_ROOT_ID, "x", 4);
	off = 0;
	CHECK_EQ(fuse_direntplus_next(b, n, &off, &e), -EIO);
	CHECK_EQ(e.entry.nodeid, FUSE_ROOT_ID);
	n = 0;
	add_direntplus(b, &n, 44, "x", 8);
	wr32(b, 40 + 60, 0644); /* attr.mode without a type */
	CHECK_EQ(fuse_direntplus_next(b, n, &off, &e), -EIO);
	CHECK_EQ(e.entry.nodeid, 44);
	CHECK_STR(e.reason, "attributes: not a file type");
	/* Nodeid 0 needs no valid attributes (virtiofsd fills only ino and type). */
	wr64(b, 0, 0);
	CHECK_EQ(fuse_direntplus_next(b, n, &off, &e), 0);
	/* Shorter than an entry_out + dirent header. */
	off = 0;
	CHECK_EQ(fuse_direntplus_next(b, 151, &off, &e), -EIO);
	CHECK_STR(e.reason, "record header truncated");
}

/* ---- paths ----------------------------------------------------------------- */

/* Splits path into "a|b|c" form in out; returns fuse_path_init's result. */
static int split(const char *path, char *out, size_t cap, struct fuse_path *w)
{
	const char *name;
	size_t len, n = 0;
	int rc = fuse_path_init(w, path);

	out[0] = '\0';
	if (rc)
		return rc;
	while (fuse_path_next(w, &name, &len) == 0) {
		CHECK(n + len + 2 < cap);
		if (n)
			out[n++] = '|';
		memcpy(out + n, name, len);
		n += len;
		out[n] = '\0';
		/* Every component is a name to look up, or ".." to step back. */
		if (!(len == 2 && name[0] == '.' && name[1] == '.'))
			CHECK_EQ(fuse_name_check(name, len), 0);
	}
	CHECK_EQ(w->index, w->depth);
	return 0;
}

TEST(fuse_path_split)
{
	struct fuse_path w;
	char out[512];
	const char *name;
	size_t len;

	CHECK_EQ(split("/www/index.html", out, sizeof(out), &w), 0);
	CHECK_STR(out, "www|index.html");
	CHECK_EQ(w.depth, 2);
	CHECK(!w.dir_only);
	CHECK(fuse_path_at_last(&w));
	CHECK_EQ(split("//a///b/", out, sizeof(out), &w), 0);
	CHECK_STR(out, "a|b");
	CHECK(w.dir_only);
	CHECK_EQ(split("a/./b/.", out, sizeof(out), &w), 0);
	CHECK_STR(out, "a|b");
	CHECK(w.dir_only);
	CHECK_EQ(split("./x", out, sizeof(out), &w), 0);
	CHECK_STR(out, "x");
	CHECK(!w.dir_only);
	CHECK_EQ(split("/.../.a/a.", out, sizeof(out), &w), 0);
	CHECK_STR(out, "...|.a|a.");
	CHECK(!w.dir_only);
	/* The root itself, however spelled. */
	CHECK_EQ(split("/", out, sizeof(out), &w), 0);
	CHECK_EQ(w.depth, 0);
	CHECK(w.dir_only);
	CHECK(!fuse_path_at_last(&w));
	CHECK_EQ(fuse_path_next(&w, &name, &len), -ENOENT);
	CHECK_EQ(split("///./.", out, sizeof(out), &w), 0);
	CHECK_EQ(w.depth, 0);
	CHECK_EQ(split(".", out, sizeof(out), &w), 0);
	CHECK_EQ(w.depth, 0);
	CHECK(w.dir_only);
	/* Refused. */
	CHECK_EQ(split("", out, sizeof(out), &w), -ENOENT);
	/* ".." comes back as a component for the caller to step back with. */
	CHECK_EQ(split("..", out, sizeof(out), &w), 0);
	CHECK_STR(out, "..");
	CHECK(w.dir_only);
	CHECK_EQ(split("/a/../b", out, sizeof(out), &w), 0);
	CHECK_STR(out, "a|..|b");
	CHECK(!w.dir_only);
	CHECK_EQ(split("/a/b/..", out, sizeof(out), &w), 0);
	CHECK_STR(out, "a|b|..");
	CHECK(w.dir_only);
	CHECK_EQ(split("../", out, sizeof(out), &w), 0);
	CHECK(w.dir_only);
	CHECK_EQ(split("/a..", out, sizeof(out), &w), 0);
	CHECK(!w.dir_only);

	/* Stepping one at a time: at_last turns true with the target. */
	CHECK_EQ(fuse_path_init(&w, "/d/f"), 0);
	CHECK(!fuse_path_at_last(&w));
	CHECK_EQ(fuse_path_next(&w, &name, &len), 0);
	CHECK_EQ(len, 1);
	CHECK_EQ(name[0], 'd');
	CHECK(!fuse_path_at_last(&w));
	CHECK_EQ(fuse_path_next(&w, &name, &len), 0);
	CHECK_EQ(name[0], 'f');
	CHECK(fuse_path_at_last(&w));
	CHECK_EQ(fuse_path_next(&w, &name, &len), -ENOENT);
}

TEST(fuse_path_limits)
{
	static char p[FUSE_PATH_MAX + 16];
	struct fuse_path w;
	size_t n;

	/* A 255-byte component is fine, 256 is not. */
	p[0] = '/';
	memset(p + 1, 'x', 255);
	p[256] = '\0';
	CHECK_EQ(fuse_path_init(&w, p), 0);
	CHECK_EQ(w.depth, 1);
	p[256] = 'x';
	p[257] = '\0';
	CHECK_EQ(fuse_path_init(&w, p), -ENAMETOOLONG);

	/* 4095 bytes plus NUL is the longest path. */
	memset(p, '/', FUSE_PATH_MAX - 1);
	p[FUSE_PATH_MAX - 2] = 'a';
	p[FUSE_PATH_MAX - 1] = '\0';
	CHECK_EQ(fuse_path_init(&w, p), 0);
	CHECK_EQ(w.depth, 1);
	p[FUSE_PATH_MAX - 1] = 'b';
	p[FUSE_PATH_MAX] = '\0';
	CHECK_EQ(fuse_path_init(&w, p), -ENAMETOOLONG);

	/* FUSE_PATH_DEPTH_MAX components, then one more. */
	n = 0;
	for (int i = 0; i < FUSE_PATH_DEPTH_MAX; i++) {
		p[n++] = '/';
		p[n++] = 'd';
	}
	p[n] = '\0';
	CHECK_EQ(fuse_path_init(&w, p), 0);
	CHECK_EQ(w.depth, FUSE_PATH_DEPTH_MAX);
	p[n++] = '/';
	p[n++] = 'd';
	p[n] = '\0';
	CHECK_EQ(fuse_path_init(&w, p), -ENAMETOOLONG);
	/* "." components do not count towards the depth. */
	memset(p, 0, sizeof(p));
	n = 0;
	for (int i = 0; i < 1000; i++) {
		p[n++] = '/';
		p[n++] = '.';
	}
	CHECK_EQ(fuse_path_init(&w, p), 0);
	CHECK_EQ(w.depth, 0);
}

TEST(fuse_batch_forget)
{
	uint8_t buf[FUSE_BATCH_FORGET_BYTES];
	struct fuse_req r = { .buf = buf, .cap = sizeof(buf), .uid = 0 };
	struct fuse_forget_one items[FUSE_BATCH_FORGET_MAX + 1];

	for (uint32_t i = 0; i <= FUSE_BATCH_FORGET_MAX; i++) {
		items[i].nodeid = 100 + i;
		items[i].nlookup = i + 1;
	}
	CHECK_EQ(fuse_req_batch_forget(&r, 9, items, 3), 0);
	CHECK_EQ(r.len, 40 + 8 + 3 * 16);
	CHECK_EQ(rd32(buf, 0), 40 + 8 + 3 * 16); /* in_header.len */
	CHECK_EQ(rd32(buf, 4), 42); /* BATCH_FORGET */
	CHECK_EQ(rd64(buf, 8), 9); /* unique */
	CHECK_EQ(rd64(buf, 16), 0); /* nodeid: none */
	CHECK_EQ(rd32(buf, 40), 3); /* count */
	CHECK_EQ(rd64(buf, 48), 100);
	CHECK_EQ(rd64(buf, 56), 1);
	CHECK_EQ(rd64(buf, 80), 102);
	CHECK_EQ(rd64(buf, 88), 3);
	CHECK_EQ(fuse_req_batch_forget(&r, 9, items, FUSE_BATCH_FORGET_MAX), 0);
	CHECK_EQ(fuse_req_batch_forget(&r, 9, items, FUSE_BATCH_FORGET_MAX + 1), -EINVAL);
	CHECK_EQ(fuse_req_batch_forget(&r, 9, items, 0), -EINVAL);
	CHECK_EQ(fuse_req_batch_forget(&r, 0, items, 1), -EINVAL);
	items[1].nodeid = FUSE_ROOT_ID;
	CHECK_EQ(fuse_req_batch_forget(&r, 9, items, 2), -EINVAL);
	items[1].nodeid = 101;
	items[0].nlookup = 0;
	CHECK_EQ(fuse_req_batch_forget(&r, 9, items, 2), -EINVAL);
	CHECK_EQ(r.len, 0);
	r.cap = 40 + 8 + 16;
	items[0].nlookup = 1;
	CHECK_EQ(fuse_req_batch_forget(&r, 9, items, 2), -E2BIG);
	CHECK_EQ(fuse_opcode_name(FUSE_BATCH_FORGET)[0], 'B');
}

/* A READ whose data went to a buffer of its own: only the header is passed. */
TEST(fuse_reply_read_header_alone)
{
	uint8_t *h = malloc(16); /* exactly the header: ASan catches any read past */
	struct fuse_reply rep;

	wr32(h, 0, 16 + 5000); /* len: header and the data elsewhere */
	wr32(h, 4, 0);
	wr64(h, 8, 77);
	CHECK_EQ(fuse_reply_check(h, 16 + 5000, 77, FUSE_READ, &rep), 0);
	CHECK_EQ(rep.data_len, 5000);
	CHECK_EQ(fuse_reply_check(h, 16 + 5000, 77, FUSE_READDIRPLUS, &rep), 0);
	wr32(h, 4, (uint32_t)-EIO); /* an error carries no data */
	CHECK_EQ(fuse_reply_check(h, 16 + 5000, 77, FUSE_READ, &rep), -EIO);
	CHECK_STR(rep.reason, "error reply with a payload");
	wr32(h, 0, 16);
	CHECK_EQ(fuse_reply_check(h, 16, 77, FUSE_READ, &rep), -EIO);
	CHECK_EQ(rep.error, -EIO);
	free(h);
}
