/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for lib/virtq.c: the input plays a malicious device against the
 * driver side of a split virtqueue.
 *
 * Byte 0 picks the setup: queue size 1..64 (bits 0-2), EVENT_IDX (bit 3), indirect
 * tables of up to 4 descriptors (bit 4), legacy contiguous layout (bit 5). The rest
 * is a list of operations, op = byte % 8, each followed by its argument bytes:
 *   0 driver adds a request (buffer counts and lengths from the input)
 *   1 driver takes a completion
 *   2 device writes an arbitrary used-ring entry (slot, id, len)
 *   3 device writes an arbitrary used->idx, or bumps it
 *   4 device completes the next offered head honestly (len from the input)
 *   5 notification traffic: device hints, kick check, disable/enable interrupts
 *   6 device scribbles a byte over the descriptor table, avail ring or indirect pool
 *   7 reset: the driver takes back every request and re-initialises the queue
 * A model tracks which tokens are outstanding and how many descriptors they hold.
 * Invariants, checked after every operation: a returned token was added and not yet
 * returned; its length fits what it offered; the free count never exceeds the queue
 * size and, while the queue is not broken, equals the size minus what the model
 * holds; a broken queue refuses adds with -EIO and returns nothing.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "lib/virtq.h"
#include "toro/errno.h"
#include "uapi/virtio_ring.h"

#define FZ_MAX_NUM 64 /* largest queue the harness builds */
#define FZ_IND_MAX 4 /* descriptors per indirect table */
#define FZ_TOKENS 128 /* distinct tokens; more than any queue can hold */

#define FZ_ASSERT(e)                      \
	do {                              \
		if (!(e))                 \
			__builtin_trap(); \
	} while (0)

static unsigned char fz_ring[16384] __attribute__((aligned(4096))); /* all three areas */
static struct virtq_desc fz_pool[FZ_MAX_NUM * FZ_IND_MAX] __attribute__((aligned(16)));
static struct virtq_desc_state fz_state[FZ_MAX_NUM]; /* driver's shadow */
static unsigned char fz_data[4096]; /* buffers point in here */
static unsigned char fz_tok[FZ_TOKENS]; /* token k is &fz_tok[k] */

/* The model of one token. */
struct fz_req {
	bool busy; /* added, not yet returned */
	uint64_t in_cap; /* device-writable bytes offered */
	uint32_t ndesc; /* ring descriptors it holds */
};

/* Everything one run needs. */
struct fz {
	const uint8_t *data; /* the input */
	size_t size, off; /* its length and the read position */
	struct virtq q; /* the queue under attack */
	struct virtq_config cfg; /* how it was set up */
	bool legacy; /* legacy layout */
	struct fz_req req[FZ_TOKENS]; /* model */
	uint32_t held; /* descriptors the model says are in use */
	uint16_t dev_avail; /* heads the honest device has popped */
	uint16_t dev_used; /* the device's next used index */
	uint32_t next_tok; /* where the search for a free token starts */
};

/* Next input byte, 0 once the input is used up. */
static uint8_t fz_byte(struct fz *f)
{
	return f->off < f->size ? f->data[f->off++] : 0;
}

static uint16_t fz_u16(struct fz *f)
{
	uint16_t lo = fz_byte(f);

	return (uint16_t)(lo | fz_byte(f) << 8);
}

static uint32_t fz_u32(struct fz *f)
{
	uint32_t lo = fz_u16(f);

	return lo | (uint32_t)fz_u16(f) << 16;
}

static void fz_init_queue(struct fz *f)
{
	unsigned char *p = fz_ring;
	uint32_t num = f->cfg.num;

	memset(fz_ring, 0xee, sizeof(fz_ring));
	if (f->legacy) {
		FZ_ASSERT(virtq_legacy_bytes(num, 4096) <= sizeof(fz_ring));
		FZ_ASSERT(virtq_init_legacy(&f->q, &f->cfg, p, 4096) == 0);
	} else {
		/* Three separate areas at their minimum alignments. */
		FZ_ASSERT(virtq_init(&f->q, &f->cfg, p, p + 4096 + 2, p + 8192 + 4) == 0);
	}
	f->held = 0;
	f->dev_avail = 0;
	f->dev_used = 0;
}

/* Descriptors a request of n buffers takes. */
static uint32_t fz_need(const struct fz *f, size_t n)
{
	if (f->cfg.indirect && n > 1 && n <= f->cfg.indirect_max)
		return 1;
	return (uint32_t)n;
}

static void fz_add(struct fz *f)
{
	struct virtq_buf bufs[6];
	uint8_t a = fz_byte(f);
	size_t nout = a % 4, nin = (a >> 2) % 4, n = nout + nin;
	uint64_t in_cap = 0;
	uint32_t k = f->next_tok;
	int rc;

	for (size_t i = 0; i < n; i++) {
		uint32_t off = fz_byte(f) * 8u, len = fz_byte(f);

		/* Now and then a huge length: the device must not be trusted with it. */
		if (len == 0xff)
			len = UINT32_MAX / 2;
		bufs[i] = (struct virtq_buf){ fz_data + off % sizeof(fz_data), len };
		if (i >= nout)
			in_cap += len;
	}
	while (f->req[k % FZ_TOKENS].busy && k < f->next_tok + FZ_TOKENS)
		k++;
	k %= FZ_TOKENS;
	if (f->req[k].busy)
		return; /* cannot happen: more tokens than descriptors */
	f->next_tok = k + 1;

	rc = virtq_add(&f->q, bufs, nout, bufs + nout, nin, &fz_tok[k]);
	if (virtq_is_broken(&f->q)) {
		FZ_ASSERT(rc == -EIO);
		return;
	}
	if (n == 0 || n > f->cfg.num) {
		FZ_ASSERT(rc == -EINVAL);
		return;
	}
	/* Two halves of UINT32_MAX / 2 and a few bytes stay below 2^32 + 1. */
	if (fz_need(f, n) > f->cfg.num - f->held) {
		FZ_ASSERT(rc == -ENOSPC || rc == -EINVAL);
		return;
	}
	if (rc == -EINVAL) {
		uint64_t total = 0;

		for (size_t i = 0; i < n; i++)
			total += bufs[i].len;
		FZ_ASSERT(total > ((uint64_t)1 << 32));
		return;
	}
	FZ_ASSERT(rc == 0);
	f->req[k].busy = true;
	f->req[k].in_cap = in_cap;
	f->req[k].ndesc = fz_need(f, n);
	f->held += f->req[k].ndesc;
}

/* A token the driver hands back must be one of ours, outstanding, and then is not. */
static void fz_returned(struct fz *f, void *tok, bool check_len, uint32_t len)
{
	uintptr_t k = (uintptr_t)((unsigned char *)tok - fz_tok);

	FZ_ASSERT((unsigned char *)tok >= fz_tok && k < FZ_TOKENS);
	FZ_ASSERT(f->req[k].busy);
	FZ_ASSERT(!check_len || len <= f->req[k].in_cap);
	f->req[k].busy = false;
	FZ_ASSERT(f->held >= f->req[k].ndesc);
	f->held -= f->req[k].ndesc;
}

static void fz_get(struct fz *f)
{
	uint32_t len = 0;
	void *tok = virtq_get_used(&f->q, &len);

	if (tok) {
		FZ_ASSERT(!virtq_is_broken(&f->q));
		fz_returned(f, tok, true, len);
	}
}

static void fz_honest(struct fz *f)
{
	struct virtq_avail *avail = f->q.avail;
	struct virtq_used *used = f->q.used;
	uint32_t len = fz_byte(f);
	uint16_t head;

	if (avail->idx == f->dev_avail)
		return;
	head = avail->ring[f->dev_avail++ % f->cfg.num];
	used->ring[f->dev_used % f->cfg.num] = (struct virtq_used_elem){ head, len };
	used->idx = ++f->dev_used;
}

static void fz_scribble(struct fz *f)
{
	uint8_t where = fz_byte(f);
	uint16_t off = fz_u16(f);
	uint8_t v = fz_byte(f);
	unsigned char *p;
	size_t n;

	switch (where % 3) {
	case 0:
		p = (unsigned char *)f->q.desc;
		n = virtq_desc_bytes(f->cfg.num);
		break;
	case 1:
		p = (unsigned char *)f->q.avail;
		n = virtq_avail_bytes(f->cfg.num);
		break;
	default:
		p = (unsigned char *)fz_pool;
		n = sizeof(fz_pool);
		break;
	}
	p[off % n] = v;
}

static void fz_reset(struct fz *f)
{
	void *tok;

	while ((tok = virtq_detach_unused(&f->q)))
		fz_returned(f, tok, false, 0);
	FZ_ASSERT(f->held == 0);
	FZ_ASSERT(virtq_num_free(&f->q) == f->cfg.num);
	for (int k = 0; k < FZ_TOKENS; k++)
		FZ_ASSERT(!f->req[k].busy);
	fz_init_queue(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fz f; /* static: the model is a few KiB */
	uint8_t setup;

	if (size < 1)
		return 0;
	memset(&f, 0, sizeof(f));
	f.data = data;
	f.size = size;
	setup = fz_byte(&f);
	f.cfg.num = 1u << (setup % 7);
	f.cfg.event_idx = setup & 0x08;
	f.cfg.state = fz_state;
	if ((setup & 0x10) && f.cfg.num >= 2) {
		f.cfg.indirect = true;
		f.cfg.indirect_pool = fz_pool;
		f.cfg.indirect_max = f.cfg.num < FZ_IND_MAX ? f.cfg.num : FZ_IND_MAX;
	}
	f.legacy = setup & 0x20;
	fz_init_queue(&f);

	while (f.off < f.size) {
		uint8_t op = fz_byte(&f) % 8;
		uint8_t a;

		switch (op) {
		case 0:
			fz_add(&f);
			break;
		case 1:
			fz_get(&f);
			break;
		case 2: /* arbitrary used entry */
			a = fz_byte(&f);
			f.q.used->ring[a % f.cfg.num].id = a & 0x80 ? fz_u32(&f) :
								      fz_byte(&f);
			f.q.used->ring[a % f.cfg.num].len = a & 0x40 ? fz_u32(&f) :
								       fz_byte(&f);
			break;
		case 3: /* arbitrary used index, or a small step */
			a = fz_byte(&f);
			if (a & 1)
				f.q.used->idx = fz_u16(&f);
			else
				f.q.used->idx = (uint16_t)(f.q.used->idx + (a >> 1) % 4);
			break;
		case 4:
			fz_honest(&f);
			break;
		case 5: /* notifications */
			a = fz_byte(&f);
			f.q.used->flags = fz_byte(&f);
			*virtq_avail_event(f.q.used, f.cfg.num) = fz_u16(&f);
			(void)virtq_kick_needed(&f.q);
			if (a & 1)
				virtq_disable_cb(&f.q);
			if (a & 2)
				(void)virtq_enable_cb(&f.q);
			break;
		case 6:
			fz_scribble(&f);
			break;
		case 7:
			fz_reset(&f);
			break;
		}
		FZ_ASSERT(virtq_num_free(&f.q) <= f.cfg.num);
		if (!virtq_is_broken(&f.q))
			FZ_ASSERT(virtq_num_free(&f.q) == f.cfg.num - f.held);
		else
			FZ_ASSERT(virtq_get_used(&f.q, NULL) == NULL);
	}
	fz_reset(&f);
	return 0;
}
