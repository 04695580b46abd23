/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for lib/fuse.c: the input plays a hostile virtiofsd.
 *
 * Byte 0 picks the target: its low nibble an opcode whose reply is checked (or,
 * for 14 and 15, a name for LOOKUP and a path to split), bit 7 asks the harness to
 * fix up the out header's len and unique so the payload checks are reached more
 * often. The rest is the reply as the device wrote it, copied into an exactly
 * sized heap buffer so ASan sees any read past it. The expected unique is
 * FZ_UNIQUE. Invariants, or the harness traps:
 *   - a reply is accepted only with out_header.len == the length and the unique
 *     asked for; a host error is in -4095..-1 and has no payload;
 *   - accepted fixed replies have the opcode's size, new entries a usable node ID
 *     and a real file type; INIT is 8, 24 or 64 bytes;
 *   - READDIR(PLUS) data iterates to -ENOENT or -EIO in at most len / 32 steps,
 *     every name inside the data, 1..255 bytes, without '/' or NUL;
 *   - path components pass fuse_name_check() and number exactly depth.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/fuse.h"

#define FZ_ASSERT(e)                      \
	do {                              \
		if (!(e))                 \
			__builtin_trap(); \
	} while (0)

#define FZ_UNIQUE 0x10

static const uint32_t fz_opcodes[14] = {
	FUSE_INIT,	  FUSE_LOOKUP,	FUSE_MKDIR,  FUSE_GETATTR, FUSE_OPEN,
	FUSE_CREATE,	  FUSE_WRITE,	FUSE_STATFS, FUSE_READ,	   FUSE_READDIR,
	FUSE_READDIRPLUS, FUSE_RELEASE, FUSE_FORGET, 0xffff,
};

static bool fz_type_ok(uint32_t mode)
{
	switch (mode & 0170000) {
	case 0140000:
	case 0120000:
	case 0100000:
	case 0060000:
	case 0040000:
	case 0020000:
	case 0010000:
		return true;
	default:
		return false;
	}
}

static void fz_listing(const struct fuse_reply *rep, bool plus)
{
	const char *lo = (const char *)rep->data, *hi = lo + rep->data_len;
	struct fuse_dir_entry e;
	size_t off = 0, prev = 0, steps = 0;
	int rc;

	for (;;) {
		rc = plus ? fuse_direntplus_next(rep->data, rep->data_len, &off, &e) :
			    fuse_dirent_next(rep->data, rep->data_len, &off, &e);
		FZ_ASSERT(e.reason != NULL);
		if (rc)
			break;
		FZ_ASSERT(off > prev && off <= rep->data_len && (off & 7) == 0);
		FZ_ASSERT(++steps <= rep->data_len / 32);
		FZ_ASSERT(e.namelen >= 1 && e.namelen <= FUSE_NAME_MAX);
		FZ_ASSERT(e.name >= lo && e.name + e.namelen <= hi);
		FZ_ASSERT(fuse_name_check(e.name, e.namelen) == 0 ||
			  (e.namelen <= 2 && e.name[0] == '.'));
		FZ_ASSERT(e.type <= 15);
		if (plus && e.entry.nodeid)
			FZ_ASSERT(e.entry.nodeid != FUSE_ROOT_ID &&
				  fz_type_ok(e.entry.attr.mode));
		prev = off;
	}
	FZ_ASSERT(rc == -ENOENT || rc == -EIO);
	if (rc == -ENOENT)
		FZ_ASSERT(off == rep->data_len);
	else
		FZ_ASSERT(off == prev);
}

static void fz_reply(uint32_t opcode, uint8_t *buf, size_t len, bool fixup)
{
	struct fuse_out_header h;
	struct fuse_reply rep;
	struct fuse_conn c;
	int rc;

	if (fixup && len >= sizeof(h)) {
		memcpy(&h, buf, sizeof(h));
		h.len = (uint32_t)len;
		h.unique = FZ_UNIQUE;
		memcpy(buf, &h, sizeof(h));
	}
	rc = fuse_reply_check(buf, len, FZ_UNIQUE, opcode, &rep);
	FZ_ASSERT(rep.reason != NULL);
	if (opcode == FUSE_FORGET || opcode == 0xffff) {
		FZ_ASSERT(rc == -EINVAL);
		return;
	}
	FZ_ASSERT(rc <= 0 && rc >= -4095);
	if (rc == -EIO && strcmp(rep.reason, "ok") != 0)
		return; /* malformed: refused, nothing else to hold */
	/* Well formed from here on: the header agrees with what arrived. */
	memcpy(&h, buf, sizeof(h));
	FZ_ASSERT(h.len == len && h.unique == FZ_UNIQUE);
	FZ_ASSERT(rep.data_len == len - sizeof(h));
	if (rc < 0) {
		FZ_ASSERT(rep.error == rc);
		FZ_ASSERT(h.error == rc || (opcode == FUSE_LOOKUP && rc == -ENOENT));
		return;
	}
	switch (opcode) {
	case FUSE_INIT:
		FZ_ASSERT(len == 16 + 8 || len == 16 + 24 || len == 16 + 64);
		if (fuse_init_negotiate(&rep.out.init, FUSE_TORO_INIT_FLAGS, &c) == 0) {
			FZ_ASSERT(c.minor >= FUSE_MIN_MINOR &&
				  c.minor <= FUSE_KERNEL_MINOR_VERSION);
			FZ_ASSERT(c.max_write >= FUSE_MIN_MAX_WRITE);
			FZ_ASSERT(c.time_gran >= 1 && c.time_gran <= 1000000000);
			FZ_ASSERT((c.flags & ~FUSE_TORO_INIT_FLAGS) == 0);
		}
		break;
	case FUSE_LOOKUP:
	case FUSE_MKDIR:
		FZ_ASSERT(len == 16 + sizeof(struct fuse_entry_out));
		FZ_ASSERT(rep.out.entry.nodeid != 0);
		FZ_ASSERT(fz_type_ok(rep.out.entry.attr.mode));
		if (opcode == FUSE_MKDIR)
			FZ_ASSERT((rep.out.entry.attr.mode & 0170000) == 0040000);
		break;
	case FUSE_CREATE:
		FZ_ASSERT(len == 16 + sizeof(struct fuse_create_out));
		FZ_ASSERT(rep.out.create.entry.nodeid > FUSE_ROOT_ID);
		FZ_ASSERT((rep.out.create.entry.attr.mode & 0170000) == 0100000);
		break;
	case FUSE_GETATTR:
		FZ_ASSERT(len == 16 + sizeof(struct fuse_attr_out));
		FZ_ASSERT(fz_type_ok(rep.out.attr.attr.mode));
		FZ_ASSERT(rep.out.attr.attr.size <= (uint64_t)INT64_MAX);
		break;
	case FUSE_OPEN:
		FZ_ASSERT(len == 16 + sizeof(struct fuse_open_out));
		break;
	case FUSE_WRITE:
		FZ_ASSERT(len == 16 + sizeof(struct fuse_write_out));
		break;
	case FUSE_STATFS:
		FZ_ASSERT(len == 16 + sizeof(struct fuse_statfs_out));
		break;
	case FUSE_READ:
		FZ_ASSERT(rep.data == buf + 16);
		break;
	case FUSE_READDIR:
	case FUSE_READDIRPLUS:
		fz_listing(&rep, opcode == FUSE_READDIRPLUS);
		break;
	default:
		FZ_ASSERT(len == 16);
		break;
	}
}

static void fz_path(const uint8_t *data, size_t size)
{
	char *p = malloc(size + 1);
	struct fuse_path w;
	const char *name;
	size_t len;
	uint32_t n = 0;

	memcpy(p, data, size);
	p[size] = '\0';
	if (fuse_path_init(&w, p) == 0) {
		FZ_ASSERT(w.depth <= FUSE_PATH_DEPTH_MAX);
		while (fuse_path_next(&w, &name, &len) == 0) {
			FZ_ASSERT(name >= p && name + len <= p + size);
			FZ_ASSERT(fuse_name_check(name, len) == 0 ||
				  (len == 2 && name[0] == '.' && name[1] == '.'));
			n++;
		}
		FZ_ASSERT(n == w.depth);
	}
	free(p);
}

static void fz_name(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(FUSE_REQ_MAX);
	struct fuse_req r = { buf, FUSE_REQ_MAX, 0, 0, 0, 0, 0 };
	int rc = fuse_req_lookup(&r, 1, FUSE_ROOT_ID, (const char *)data, size);

	FZ_ASSERT(rc == fuse_name_check((const char *)data, size));
	if (rc == 0) {
		FZ_ASSERT(r.len == 40 + size + 1 && buf[r.len - 1] == '\0');
		FZ_ASSERT(memcmp(buf + 40, data, size) == 0);
	} else {
		FZ_ASSERT(r.len == 0);
	}
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf;
	uint8_t sel;

	if (size < 1)
		return 0;
	sel = data[0];
	data++;
	size--;
	if ((sel & 15) == 14) {
		fz_name(data, size);
		return 0;
	}
	if ((sel & 15) == 15) {
		fz_path(data, size);
		return 0;
	}
	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	fz_reply(fz_opcodes[sel & 15], buf, size, sel & 0x80);
	free(buf);
	return 0;
}
