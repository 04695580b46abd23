/* SPDX-License-Identifier: MIT */
/*
 * Tests of lib/virtq.c against a simulated device written here. The device sees the
 * queue only the way real hardware would: through the three ring addresses the
 * driver would program (virtq_*_dma()), the descriptors' guest addresses, and
 * nothing else. Addresses are translated with a non-identity mapping (a high bit
 * flipped) so a missed translation faults instead of passing by luck.
 *
 * The device pops heads from the avail ring, walks direct and indirect chains,
 * checks the driver's framing (readable before writable, NEXT/WRITE flags), echoes
 * the bytes it read into the writable buffers (possibly fewer), and completes heads
 * in any order. Misbehaving-device tests write the used ring by hand.
 */
#include "tests/host/check.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "lib/virtq.h"
#include "toro/errno.h"
#include "uapi/virtio_ring.h"

#define TEST_DMA_BIT ((uint64_t)1 << 60) /* flipped by the test's address translation */
#define SIM_MAX_SEGS 64 /* buffers per request the device handles */

static uint64_t test_to_dma(void *ctx, const void *va)
{
	(void)ctx;
	return (uint64_t)(uintptr_t)va ^ TEST_DMA_BIT;
}

static void *from_dma(uint64_t dma)
{
	return (void *)(uintptr_t)(dma ^ TEST_DMA_BIT);
}

/* ---- simulated device ------------------------------------------------------ */

struct sim {
	struct virtq_desc *desc; /* from the programmed addresses */
	struct virtq_avail *avail;
	struct virtq_used *used;
	uint32_t num; /* queue size */
	bool event_idx; /* EVENT_IDX negotiated */
	uint16_t last_avail; /* heads popped from the avail ring */
	uint16_t used_idx; /* device's own copy of used->idx */
};

struct sim_seg {
	unsigned char *p; /* buffer, translated back to a pointer */
	uint32_t len; /* bytes */
};

/* One popped request. */
struct sim_req {
	uint16_t head; /* chain head, the id to complete */
	bool indirect; /* came through an indirect table */
	int nout, nin; /* readable and writable buffers */
	struct sim_seg out[SIM_MAX_SEGS], in[SIM_MAX_SEGS];
	uint64_t in_cap; /* writable bytes */
};

static void sim_attach(struct sim *s, const struct virtq *q, uint32_t num, bool event_idx)
{
	memset(s, 0, sizeof(*s));
	s->desc = from_dma(virtq_desc_dma(q));
	s->avail = from_dma(virtq_avail_dma(q));
	s->used = from_dma(virtq_used_dma(q));
	s->num = num;
	s->event_idx = event_idx;
}

/* Walks one chain of table t (n entries) from index i into r; false if malformed. */
static bool sim_walk(struct sim_req *r, const struct virtq_desc *t, uint32_t n,
		     uint32_t i, bool top)
{
	for (uint32_t steps = 0; steps < n; steps++) {
		const struct virtq_desc *d;

		if (i >= n)
			return false;
		d = &t[i];
		if (d->flags & VIRTQ_DESC_F_INDIRECT) {
			/* Only at the top level, alone, and a whole number of descriptors. */
			if (!top || (d->flags & VIRTQ_DESC_F_NEXT) || d->len % 16 ||
			    !d->len)
				return false;
			r->indirect = true;
			return sim_walk(r, from_dma(d->addr), d->len / 16, 0, false);
		}
		if (d->flags & VIRTQ_DESC_F_WRITE) {
			if (r->nin == SIM_MAX_SEGS)
				return false;
			r->in[r->nin].p = from_dma(d->addr);
			r->in[r->nin++].len = d->len;
			r->in_cap += d->len;
		} else {
			/* 2.7.4.2: readable buffers all come before writable ones. */
			if (r->nin || r->nout == SIM_MAX_SEGS)
				return false;
			r->out[r->nout].p = from_dma(d->addr);
			r->out[r->nout++].len = d->len;
		}
		if (!(d->flags & VIRTQ_DESC_F_NEXT))
			return true;
		i = d->next;
	}
	return false; /* a loop */
}

/* Pops the next offered request; false if none. CHECKs the chain is well formed. */
static bool sim_pop(struct sim *s, struct sim_req *r)
{
	if (s->avail->idx == s->last_avail)
		return false;
	memset(r, 0, sizeof(*r));
	r->head = s->avail->ring[s->last_avail % s->num];
	s->last_avail++;
	CHECK(r->head < s->num);
	CHECK(sim_walk(r, s->desc, s->num, r->head, true));
	return true;
}

/* Echo: copies the readable bytes into the writable buffers, at most max of them. */
static uint32_t sim_echo(const struct sim_req *r, uint64_t max)
{
	int oi = 0, ii = 0;
	uint32_t oo = 0, io = 0, n = 0;

	while (n < max && oi < r->nout && ii < r->nin) {
		if (oo == r->out[oi].len) {
			oi++, oo = 0;
			continue;
		}
		if (io == r->in[ii].len) {
			ii++, io = 0;
			continue;
		}
		r->in[ii].p[io++] = r->out[oi].p[oo++];
		n++;
	}
	return n;
}

/* Writes one used entry verbatim and publishes it; returns "interrupt the driver?" */
static bool sim_push(struct sim *s, uint32_t id, uint32_t len)
{
	uint16_t old = s->used_idx;

	s->used->ring[s->used_idx % s->num].id = id;
	s->used->ring[s->used_idx % s->num].len = len;
	s->used_idx++;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	s->used->idx = s->used_idx;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (s->event_idx)
		return vring_need_event(*virtq_used_event(s->avail, s->num), s->used_idx,
					old);
	return !(s->avail->flags & VIRTQ_AVAIL_F_NO_INTERRUPT);
}

/* The device's "kick me / don't" hint. */
static void sim_want_kicks(struct sim *s, bool want)
{
	if (s->event_idx)
		*virtq_avail_event(s->used, s->num) =
			want ? s->last_avail : (uint16_t)(s->last_avail - 1);
	else
		s->used->flags = want ? 0 : VIRTQ_USED_F_NO_NOTIFY;
}

/* ---- queue fixture --------------------------------------------------------- */

struct tq {
	struct virtq q; /* the queue under test */
	struct virtq_desc_state *state; /* its shadow array */
	struct virtq_desc *pool; /* indirect tables, or NULL */
	void *area[3]; /* ring memory: one block (legacy) or three */
	struct sim dev; /* the simulated device */
};

static void *zalloc_aligned(size_t align, size_t n)
{
	size_t sz = (n + align - 1) / align * align;
	void *p = aligned_alloc(align, sz ? sz : align);

	/* Garbage, so the test sees whether init clears what it must. */
	memset(p, 0xa5, sz ? sz : align);
	return p;
}

static void tq_setup(struct tq *t, uint32_t num, bool event_idx, uint32_t indirect_max,
		     bool legacy)
{
	struct virtq_config cfg = { 0 };

	memset(t, 0, sizeof(*t));
	t->state = calloc(num, sizeof(*t->state));
	cfg.num = num;
	cfg.event_idx = event_idx;
	cfg.state = t->state;
	cfg.to_dma = test_to_dma;
	if (indirect_max) {
		t->pool = zalloc_aligned(16, (size_t)num * indirect_max * 16);
		cfg.indirect = true;
		cfg.indirect_pool = t->pool;
		cfg.indirect_max = indirect_max;
	}
	if (legacy) {
		t->area[0] = zalloc_aligned(4096, virtq_legacy_bytes(num, 4096));
		CHECK_EQ(virtq_init_legacy(&t->q, &cfg, t->area[0], 4096), 0);
	} else {
		t->area[0] = zalloc_aligned(16, virtq_desc_bytes(num));
		t->area[1] = zalloc_aligned(2, virtq_avail_bytes(num));
		t->area[2] = zalloc_aligned(4, virtq_used_bytes(num));
		CHECK_EQ(virtq_init(&t->q, &cfg, t->area[0], t->area[1], t->area[2]), 0);
	}
	sim_attach(&t->dev, &t->q, num, event_idx);
}

static void tq_teardown(struct tq *t)
{
	for (int i = 0; i < 3; i++)
		free(t->area[i]);
	free(t->pool);
	free(t->state);
}

static uint64_t rng_state; /* xorshift64, reseeded by each test */

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* ---- wire format and layout ------------------------------------------------ */

TEST(virtq_wire_format)
{
	unsigned char mem[256] __attribute__((aligned(16)));

	CHECK_EQ(sizeof(struct virtq_desc), 16);
	CHECK_EQ(offsetof(struct virtq_desc, flags), 12);
	CHECK_EQ(offsetof(struct virtq_avail, ring), 4);
	CHECK_EQ(offsetof(struct virtq_used, ring), 4);
	CHECK_EQ(sizeof(struct virtq_used_elem), 8);
	CHECK_EQ(VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_INDIRECT, 7);
	CHECK_EQ(VIRTIO_F_INDIRECT_DESC, 28);
	CHECK_EQ(VIRTIO_F_EVENT_IDX, 29);
	CHECK_EQ(VIRTIO_F_VERSION_1, 32);
	/* The event fields sit right behind each ring. */
	CHECK_EQ((unsigned char *)virtq_used_event((struct virtq_avail *)mem, 8) - mem,
		 4 + 2 * 8);
	CHECK_EQ((unsigned char *)virtq_avail_event((struct virtq_used *)mem, 8) - mem,
		 4 + 8 * 8);
}

TEST(virtq_modern_sizes)
{
	CHECK_EQ(virtq_desc_bytes(256), 4096);
	CHECK_EQ(virtq_avail_bytes(256), 6 + 2 * 256);
	CHECK_EQ(virtq_used_bytes(256), 6 + 8 * 256);
	CHECK_EQ(virtq_desc_bytes(32768), 16 * 32768);
	CHECK_EQ(virtq_desc_bytes(1), 16);
	/* Not a power of two, zero, too big. */
	CHECK_EQ(virtq_desc_bytes(0), 0);
	CHECK_EQ(virtq_avail_bytes(3), 0);
	CHECK_EQ(virtq_used_bytes(65536), 0);
}

/* The spec's own formula (2.7.2), where qalign is Queue Align - 1. */
static size_t spec_align(size_t x, size_t qalign)
{
	return (x + qalign) & ~qalign;
}

static size_t spec_vring_size(size_t qsz, size_t align)
{
	return spec_align(16 * qsz + 2 * (3 + qsz), align - 1) +
	       spec_align(2 * 3 + 8 * qsz, align - 1);
}

TEST(virtq_legacy_layout_matches_spec)
{
	static const uint32_t sizes[] = { 1, 2, 16, 128, 256, 1024, 4096, 32768 };
	static const size_t aligns[] = { 16, 64, 4096, 65536 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (size_t j = 0; j < sizeof(aligns) / sizeof(aligns[0]); j++) {
			uint32_t n = sizes[i];
			size_t a = aligns[j];

			CHECK_EQ(virtq_legacy_bytes(n, a), spec_vring_size(n, a));
			CHECK_EQ(virtq_legacy_used_offset(n, a),
				 spec_align(16 * n + 2 * (3 + n), a - 1));
		}
	}
	/* Known values: a 256-entry queue is three pages, the used ring in the third. */
	CHECK_EQ(virtq_legacy_bytes(256, 4096), 12288);
	CHECK_EQ(virtq_legacy_used_offset(256, 4096), 8192);
	CHECK_EQ(virtq_legacy_bytes(128, 4096), 8192);
	CHECK_EQ(virtq_legacy_used_offset(128, 4096), 4096);
	CHECK_EQ(virtq_legacy_bytes(256, 100), 0);
	CHECK_EQ(virtq_legacy_bytes(256, 8), 0);
	CHECK_EQ(virtq_legacy_bytes(255, 4096), 0);
}

TEST(virtq_legacy_init_places_areas)
{
	struct tq t;

	tq_setup(&t, 256, false, 0, true);
	CHECK_EQ(virtq_desc_dma(&t.q), test_to_dma(NULL, t.area[0]));
	CHECK_EQ(virtq_avail_dma(&t.q) - virtq_desc_dma(&t.q), 4096);
	CHECK_EQ(virtq_used_dma(&t.q) - virtq_desc_dma(&t.q), 8192);
	/* Init cleared the rings (the spec wants used->flags 0) and the event fields. */
	CHECK_EQ(t.dev.avail->idx, 0);
	CHECK_EQ(t.dev.avail->flags, 0);
	CHECK_EQ(t.dev.used->flags, 0);
	CHECK_EQ(t.dev.used->idx, 0);
	CHECK_EQ(*virtq_avail_event(t.dev.used, 256), 0);
	CHECK_EQ(virtq_num_free(&t.q), 256);
	tq_teardown(&t);
}

TEST(virtq_init_rejects_bad_setup)
{
	static struct virtq_desc desc[8] __attribute__((aligned(4096)));
	static le16 avail[16] __attribute__((aligned(16)));
	static struct virtq_used_elem used[16] __attribute__((aligned(16)));
	static struct virtq_desc pool[64] __attribute__((aligned(16)));
	struct virtq_desc_state st[8];
	struct virtq_config cfg = { .num = 8, .state = st };
	struct virtq q;

	CHECK_EQ(virtq_init(&q, &cfg, desc, avail, used), 0);
	/* The identity translation is the default. */
	CHECK_EQ(virtq_desc_dma(&q), (uintptr_t)desc);
	CHECK_EQ(virtq_used_dma(&q), (uintptr_t)used);
	CHECK_EQ(virtq_init(&q, &cfg, (char *)desc + 8, avail, used), -EINVAL);
	CHECK_EQ(virtq_init(&q, &cfg, desc, (char *)avail + 1, used), -EINVAL);
	CHECK_EQ(virtq_init(&q, &cfg, desc, avail, (char *)used + 2), -EINVAL);
	CHECK_EQ(virtq_init(&q, &cfg, NULL, avail, used), -EINVAL);
	cfg.state = NULL;
	CHECK_EQ(virtq_init(&q, &cfg, desc, avail, used), -EINVAL);
	cfg.state = st;
	cfg.num = 6;
	CHECK_EQ(virtq_init(&q, &cfg, desc, avail, used), -EINVAL);
	cfg.num = 0;
	CHECK_EQ(virtq_init(&q, &cfg, desc, avail, used), -EINVAL);
	cfg.num = 65536;
	CHECK_EQ(virtq_init(&q, &cfg, desc, avail, used), -EINVAL);
	cfg.num = 8;
	cfg.indirect = true;
	CHECK_EQ(virtq_init(&q, &cfg, desc, avail, used), -EINVAL); /* no pool */
	cfg.indirect_pool = pool;
	cfg.indirect_max = 1;
	CHECK_EQ(virtq_init(&q, &cfg, desc, avail, used), -EINVAL);
	cfg.indirect_max = 9; /* longer than the queue */
	CHECK_EQ(virtq_init(&q, &cfg, desc, avail, used), -EINVAL);
	cfg.indirect_max = 8;
	CHECK_EQ(virtq_init(&q, &cfg, desc, avail, used), 0);
	CHECK_EQ(virtq_init_legacy(&q, &cfg, (char *)desc + 16, 4096), -EINVAL);
}

/* ---- basic operation ------------------------------------------------------- */

TEST(virtq_single_buffer)
{
	struct tq t;
	struct sim_req r;
	char msg[] = "hello, device";
	struct virtq_buf b = { msg, sizeof(msg) };
	uint32_t len = 123;
	int tok;

	tq_setup(&t, 8, false, 0, false);
	CHECK(!sim_pop(&t.dev, &r));
	CHECK(virtq_get_used(&t.q, &len) == NULL);
	CHECK_EQ(virtq_add(&t.q, &b, 1, NULL, 0, &tok), 0);
	CHECK_EQ(virtq_num_free(&t.q), 7);
	CHECK(virtq_kick_needed(&t.q));
	CHECK(sim_pop(&t.dev, &r));
	CHECK_EQ(r.nout, 1);
	CHECK_EQ(r.nin, 0);
	CHECK(!r.indirect);
	CHECK_EQ(r.out[0].len, sizeof(msg));
	CHECK(r.out[0].p == (unsigned char *)msg);
	CHECK_EQ(t.dev.desc[r.head].flags, 0);
	CHECK(virtq_get_used(&t.q, &len) == NULL); /* not completed yet */
	CHECK(sim_push(&t.dev, r.head, 0));
	CHECK(virtq_get_used(&t.q, &len) == &tok);
	CHECK_EQ(len, 0);
	CHECK(virtq_get_used(&t.q, &len) == NULL);
	CHECK_EQ(virtq_num_free(&t.q), 8);
	CHECK(!virtq_is_broken(&t.q));
	tq_teardown(&t);
}

TEST(virtq_chain_readable_then_writable)
{
	struct tq t;
	struct sim_req r;
	char hdr[4] = "abcd", body[6] = "efghij", in1[3], in2[20];
	struct virtq_buf out[2] = { { hdr, 4 }, { body, 6 } };
	struct virtq_buf in[2] = { { in1, 3 }, { in2, 20 } };
	uint32_t len;
	int tok;
	uint16_t d;

	tq_setup(&t, 8, false, 0, false);
	CHECK_EQ(virtq_add(&t.q, out, 2, in, 2, &tok), 0);
	CHECK_EQ(virtq_num_free(&t.q), 4);
	CHECK(sim_pop(&t.dev, &r));
	CHECK_EQ(r.nout, 2);
	CHECK_EQ(r.nin, 2);
	CHECK_EQ(r.in_cap, 23);
	/* Flags along the chain: NEXT on all but the last, WRITE on the in buffers. */
	d = r.head;
	CHECK_EQ(t.dev.desc[d].flags, VIRTQ_DESC_F_NEXT);
	d = t.dev.desc[d].next;
	CHECK_EQ(t.dev.desc[d].flags, VIRTQ_DESC_F_NEXT);
	d = t.dev.desc[d].next;
	CHECK_EQ(t.dev.desc[d].flags, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE);
	d = t.dev.desc[d].next;
	CHECK_EQ(t.dev.desc[d].flags, VIRTQ_DESC_F_WRITE);
	/* The device writes 10 bytes spanning both in buffers. */
	CHECK_EQ(sim_echo(&r, UINT64_MAX), 10);
	sim_push(&t.dev, r.head, 10);
	CHECK(virtq_get_used(&t.q, &len) == &tok);
	CHECK_EQ(len, 10);
	CHECK(memcmp(in1, "abc", 3) == 0);
	CHECK(memcmp(in2, "defghij", 7) == 0);
	CHECK_EQ(virtq_num_free(&t.q), 8);
	tq_teardown(&t);
}

TEST(virtq_add_rejects_bad_requests)
{
	struct tq t;
	char buf[8];
	struct virtq_buf b = { buf, 8 }, many[9];
	struct virtq_buf huge[2] = { { buf, UINT32_MAX }, { buf, 2 } };
	int tok;

	tq_setup(&t, 8, false, 0, false);
	for (int i = 0; i < 9; i++)
		many[i] = b;
	CHECK_EQ(virtq_add(&t.q, &b, 1, NULL, 0, NULL), -EINVAL);
	CHECK_EQ(virtq_add(&t.q, NULL, 0, NULL, 0, &tok), -EINVAL);
	CHECK_EQ(virtq_add(&t.q, many, 9, NULL, 0, &tok), -EINVAL);
	CHECK_EQ(virtq_add(&t.q, many, 5, many, 4, &tok), -EINVAL);
	CHECK_EQ(virtq_add(&t.q, many, SIZE_MAX, many, 2, &tok), -EINVAL);
	CHECK_EQ(virtq_add(&t.q, NULL, 1, NULL, 0, &tok), -EINVAL);
	CHECK_EQ(virtq_add(&t.q, huge, 2, NULL, 0, &tok), -EINVAL); /* > 2^32 bytes */
	huge[1].len = 1; /* exactly 2^32 is allowed */
	CHECK_EQ(virtq_add(&t.q, huge, 1, &huge[1], 1, &tok), 0);
	CHECK_EQ(virtq_num_free(&t.q), 6);
	CHECK(!virtq_is_broken(&t.q));
	/* The longest chain is the whole queue. */
	CHECK_EQ(virtq_add(&t.q, many, 4, many, 4, &tok), -ENOSPC);
	tq_teardown(&t);
}

TEST(virtq_full_queue_then_recovery)
{
	struct tq t;
	struct sim_req r;
	char buf[4];
	struct virtq_buf b = { buf, 4 };
	int toks[8];
	uint32_t len;

	tq_setup(&t, 8, false, 0, false);
	for (int i = 0; i < 8; i++)
		CHECK_EQ(virtq_add(&t.q, NULL, 0, &b, 1, &toks[i]), 0);
	CHECK_EQ(virtq_num_free(&t.q), 0);
	CHECK_EQ(virtq_add(&t.q, NULL, 0, &b, 1, &toks[0]), -ENOSPC);
	/* One completion makes room for exactly one more. */
	CHECK(sim_pop(&t.dev, &r));
	sim_push(&t.dev, r.head, 4);
	CHECK(virtq_get_used(&t.q, &len) == &toks[0]);
	CHECK_EQ(virtq_num_free(&t.q), 1);
	CHECK_EQ(virtq_add(&t.q, NULL, 0, &b, 1, &toks[0]), 0);
	CHECK_EQ(virtq_add(&t.q, NULL, 0, &b, 1, &toks[0]), -ENOSPC);
	/* With one descriptor free, a two-buffer request does not fit. */
	CHECK(sim_pop(&t.dev, &r));
	sim_push(&t.dev, r.head, 0);
	CHECK(virtq_get_used(&t.q, NULL) == &toks[1]);
	CHECK_EQ(virtq_num_free(&t.q), 1);
	CHECK_EQ(virtq_add(&t.q, &b, 1, &b, 1, &toks[1]), -ENOSPC);
	CHECK(!virtq_is_broken(&t.q));
	tq_teardown(&t);
}

TEST(virtq_out_of_order_completion)
{
	struct tq t;
	struct sim_req r[6];
	char bufs[6][16];
	int toks[6];
	static const int order[6] = { 3, 0, 5, 1, 4, 2 };
	uint32_t len;

	tq_setup(&t, 16, false, 0, false);
	for (int i = 0; i < 6; i++) {
		struct virtq_buf o = { bufs[i], 1 }, in = { bufs[i] + 1, 15 };

		bufs[i][0] = (char)('A' + i);
		CHECK_EQ(virtq_add(&t.q, &o, 1, &in, 1, &toks[i]), 0);
	}
	for (int i = 0; i < 6; i++)
		CHECK(sim_pop(&t.dev, &r[i]));
	for (int k = 0; k < 6; k++) {
		int i = order[k];

		CHECK_EQ(sim_echo(&r[i], UINT64_MAX), 1);
		sim_push(&t.dev, r[i].head, 1);
		CHECK(virtq_get_used(&t.q, &len) == &toks[i]);
		CHECK_EQ(len, 1);
		CHECK_EQ(bufs[i][1], 'A' + i);
		CHECK_EQ(virtq_num_free(&t.q), 16 - 2 * (5 - k));
	}
	/* Freed descriptors are reused in any order; all 16 are available again. */
	for (int i = 0; i < 16; i++)
		CHECK_EQ(virtq_add(&t.q, NULL, 0, &(struct virtq_buf){ bufs[0], 1 }, 1,
				   &toks[0]),
			 0);
	CHECK_EQ(virtq_num_free(&t.q), 0);
	tq_teardown(&t);
}

/* A look at completions does not take them, and stops at what is not valid. */
TEST(virtq_peek_used_takes_nothing)
{
	struct tq t;
	struct sim_req r[3];
	char bufs[3][8];
	int toks[3];
	uint32_t len = 0;

	tq_setup(&t, 8, false, 0, false);
	for (int i = 0; i < 3; i++) {
		struct virtq_buf in = { bufs[i], 8 };

		CHECK_EQ(virtq_add(&t.q, NULL, 0, &in, 1, &toks[i]), 0);
		CHECK(sim_pop(&t.dev, &r[i]));
	}
	CHECK(virtq_peek_used(&t.q, 0, &len) == NULL);
	sim_push(&t.dev, r[1].head, 5);
	sim_push(&t.dev, r[0].head, 7);
	CHECK(virtq_peek_used(&t.q, 0, &len) == &toks[1]);
	CHECK_EQ(len, 5);
	CHECK(virtq_peek_used(&t.q, 1, &len) == &toks[0]);
	CHECK_EQ(len, 7);
	CHECK(virtq_peek_used(&t.q, 2, &len) == NULL);
	CHECK(virtq_peek_used(&t.q, 0, NULL) == &toks[1]); /* still there */
	CHECK(virtq_get_used(&t.q, &len) == &toks[1]);
	CHECK(virtq_peek_used(&t.q, 0, &len) == &toks[0]);
	CHECK(virtq_get_used(&t.q, &len) == &toks[0]);
	/* An entry naming a chain not in flight: NULL, and the queue not broken by
	 * the look (virtq_get_used is the one that says so). */
	sim_push(&t.dev, r[0].head, 1);
	CHECK(virtq_peek_used(&t.q, 0, &len) == NULL);
	CHECK(!virtq_is_broken(&t.q));
	CHECK(virtq_get_used(&t.q, &len) == NULL);
	CHECK(virtq_is_broken(&t.q));
	tq_teardown(&t);
}

TEST(virtq_index_wraparound)
{
	struct tq t;
	struct sim_req r;
	char buf[8];
	int toks[3];
	uint32_t len;

	tq_setup(&t, 4, false, 0, false);
	/* 70,000 requests, up to three in flight: both 16-bit indices wrap. */
	for (int i = 0; i < 70000; i++) {
		struct virtq_buf in = { buf, 8 };

		CHECK_EQ(virtq_add(&t.q, NULL, 0, &in, 1, &toks[i % 3]), 0);
		if (i < 2)
			continue;
		CHECK(sim_pop(&t.dev, &r));
		sim_push(&t.dev, r.head, (uint32_t)i % 9);
		CHECK(virtq_get_used(&t.q, &len) == &toks[(i - 2) % 3]);
		CHECK_EQ(len, (uint32_t)i % 9);
		if (virtq_is_broken(&t.q))
			break;
	}
	CHECK_EQ(t.dev.avail->idx, (uint16_t)70000);
	CHECK_EQ(t.dev.used->idx, (uint16_t)69998);
	CHECK_EQ(virtq_num_free(&t.q), 2);
	tq_teardown(&t);
}

TEST(virtq_device_scribbles_driver_areas)
{
	struct tq t;
	struct sim_req r[4];
	char buf[4];
	struct virtq_buf b = { buf, 4 };
	int toks[4];
	bool seen[8] = { false };

	tq_setup(&t, 8, false, 0, false);
	for (int i = 0; i < 4; i++)
		CHECK_EQ(virtq_add(&t.q, &b, 1, &b, 1, &toks[i]), 0);
	for (int i = 0; i < 4; i++)
		CHECK(sim_pop(&t.dev, &r[i]));
	/* The device overwrites what only the driver should write. */
	memset(t.dev.desc, 0xff, 8 * sizeof(struct virtq_desc));
	memset(t.dev.avail->ring, 0xff, 8 * sizeof(le16));
	for (int i = 3; i >= 0; i--) {
		sim_push(&t.dev, r[i].head, 4);
		CHECK(virtq_get_used(&t.q, NULL) == &toks[i]);
	}
	CHECK_EQ(virtq_num_free(&t.q), 8);
	/* The free list still holds each descriptor exactly once. */
	for (int i = 0; i < 8; i++) {
		struct sim_req q;

		CHECK_EQ(virtq_add(&t.q, NULL, 0, &b, 1, &toks[0]), 0);
		CHECK(sim_pop(&t.dev, &q));
		CHECK(!seen[q.head]);
		seen[q.head] = true;
	}
	tq_teardown(&t);
}

/* ---- notifications --------------------------------------------------------- */

TEST(virtq_need_event_table)
{
	static const struct {
		uint16_t event, new_idx, old; /* arguments */
		bool want; /* result */
	} cases[] = {
		{ 0, 1, 0, true }, /* the first entry was asked for */
		{ 0, 0, 0, false }, /* nothing moved */
		{ 1, 1, 0, false }, /* asked for entry 1, only entry 0 came */
		{ 1, 2, 0, true }, /* entries 0 and 1 */
		{ 5, 10, 3, true }, /* inside the batch */
		{ 2, 10, 3, false }, /* before the batch: already notified */
		{ 10, 10, 3, false }, /* just past the batch */
		{ 65535, 0, 65535, true }, /* batch wraps: entry 65535 */
		{ 65535, 2, 65534, true },
		{ 0, 2, 65534, true }, /* entry 0 after the wrap */
		{ 2, 2, 65534, false },
		{ 65533, 2, 65534, false },
		{ 100, 101, 100, true }, /* one entry, the one asked for */
		{ 99, 101, 100, false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK_EQ(vring_need_event(cases[i].event, cases[i].new_idx, cases[i].old),
			 cases[i].want);
}

TEST(virtq_kick_with_flags)
{
	struct tq t;
	struct sim_req r;
	char buf[4];
	struct virtq_buf b = { buf, 4 };
	int tok;

	tq_setup(&t, 8, false, 0, false);
	CHECK(!virtq_kick_needed(&t.q)); /* nothing added */
	CHECK_EQ(virtq_add(&t.q, &b, 1, NULL, 0, &tok), 0);
	CHECK(virtq_kick_needed(&t.q));
	CHECK(!virtq_kick_needed(&t.q)); /* already decided for that batch */
	t.dev.used->flags = VIRTQ_USED_F_NO_NOTIFY;
	CHECK_EQ(virtq_add(&t.q, &b, 1, NULL, 0, &tok), 0);
	CHECK_EQ(virtq_add(&t.q, &b, 1, NULL, 0, &tok), 0);
	CHECK(!virtq_kick_needed(&t.q));
	t.dev.used->flags = 0;
	CHECK_EQ(virtq_add(&t.q, &b, 1, NULL, 0, &tok), 0);
	CHECK(virtq_kick_needed(&t.q));
	/* avail_event means nothing without EVENT_IDX. */
	*virtq_avail_event(t.dev.used, 8) = 1000;
	CHECK_EQ(virtq_add(&t.q, &b, 1, NULL, 0, &tok), 0);
	CHECK(virtq_kick_needed(&t.q));
	while (sim_pop(&t.dev, &r))
		;
	tq_teardown(&t);
}

TEST(virtq_kick_with_event_idx)
{
	struct tq t;
	char buf[4];
	struct virtq_buf b = { buf, 4 };
	le16 *ev;
	int tok;

	tq_setup(&t, 8, true, 0, false);
	ev = virtq_avail_event(t.dev.used, 8);
	/* avail_event 0: wants to hear about entry 0. */
	CHECK_EQ(virtq_add(&t.q, &b, 1, NULL, 0, &tok), 0);
	CHECK(virtq_kick_needed(&t.q));
	/* Device still busy with entry 0, asks about entry 3 only. */
	*ev = 3;
	CHECK_EQ(virtq_add(&t.q, &b, 1, NULL, 0, &tok), 0); /* entry 1 */
	CHECK(!virtq_kick_needed(&t.q));
	CHECK_EQ(virtq_add(&t.q, &b, 1, NULL, 0, &tok), 0); /* entry 2 */
	CHECK_EQ(virtq_add(&t.q, &b, 1, NULL, 0, &tok), 0); /* entry 3 */
	CHECK_EQ(virtq_add(&t.q, &b, 1, NULL, 0, &tok), 0); /* entry 4 */
	CHECK(virtq_kick_needed(&t.q)); /* 3 was in the batch 2..4 */
	/* The flag is ignored with EVENT_IDX. */
	t.dev.used->flags = VIRTQ_USED_F_NO_NOTIFY;
	*ev = 5;
	CHECK_EQ(virtq_add(&t.q, &b, 1, NULL, 0, &tok), 0);
	CHECK(virtq_kick_needed(&t.q));
	*ev = 4; /* already passed: no kick */
	CHECK_EQ(virtq_add(&t.q, &b, 1, NULL, 0, &tok), 0);
	CHECK(!virtq_kick_needed(&t.q));
	tq_teardown(&t);
}

TEST(virtq_kick_after_a_full_index_lap)
{
	struct tq t;
	struct sim_req r;
	char buf[4];
	struct virtq_buf b = { buf, 4 };
	int tok;

	tq_setup(&t, 2, true, 0, false);
	/* A polling device completes 65,536 requests without a single kick check. */
	for (int i = 0; i < 65536; i++) {
		CHECK_EQ(virtq_add(&t.q, &b, 1, NULL, 0, &tok), 0);
		CHECK(sim_pop(&t.dev, &r));
		sim_push(&t.dev, r.head, 0);
		CHECK(virtq_get_used(&t.q, NULL) == &tok);
	}
	/* new == old modulo 2^16: the formula alone would say no; we must kick. */
	*virtq_avail_event(t.dev.used, 2) = 5;
	CHECK(virtq_kick_needed(&t.q));
	tq_teardown(&t);
}

TEST(virtq_interrupt_suppression_flags)
{
	struct tq t;
	struct sim_req r;
	char buf[4];
	struct virtq_buf b = { buf, 4 };
	int tok[2];

	tq_setup(&t, 8, false, 0, false);
	CHECK_EQ(virtq_add(&t.q, &b, 1, NULL, 0, &tok[0]), 0);
	CHECK_EQ(virtq_add(&t.q, &b, 1, NULL, 0, &tok[1]), 0);
	virtq_disable_cb(&t.q);
	CHECK_EQ(t.dev.avail->flags, VIRTQ_AVAIL_F_NO_INTERRUPT);
	CHECK(sim_pop(&t.dev, &r));
	CHECK(!sim_push(&t.dev, r.head, 0)); /* device stays quiet */
	/* Re-enabling with a completion waiting: the caller must poll again. */
	CHECK(!virtq_enable_cb(&t.q));
	CHECK_EQ(t.dev.avail->flags, 0);
	CHECK(virtq_get_used(&t.q, NULL) == &tok[0]);
	CHECK(virtq_enable_cb(&t.q)); /* empty now: safe to sleep */
	CHECK(sim_pop(&t.dev, &r));
	CHECK(sim_push(&t.dev, r.head, 0)); /* and the next completion interrupts */
	CHECK(virtq_get_used(&t.q, NULL) == &tok[1]);
	tq_teardown(&t);
}

TEST(virtq_interrupt_suppression_event_idx)
{
	struct tq t;
	struct sim_req r[3];
	char buf[4];
	struct virtq_buf b = { buf, 4 };
	le16 *ue;
	int tok[3];

	tq_setup(&t, 8, true, 0, false);
	ue = virtq_used_event(t.dev.avail, 8);
	for (int i = 0; i < 3; i++) {
		CHECK_EQ(virtq_add(&t.q, &b, 1, NULL, 0, &tok[i]), 0);
		CHECK(sim_pop(&t.dev, &r[i]));
	}
	CHECK_EQ(*ue, 0);
	CHECK(sim_push(&t.dev, r[0].head, 0)); /* used_event 0: entry 0 interrupts */
	CHECK(!sim_push(&t.dev, r[1].head, 0)); /* driver has not looked yet */
	/* Consuming with callbacks on moves used_event along. */
	CHECK(virtq_get_used(&t.q, NULL) == &tok[0]);
	CHECK_EQ(*ue, 1);
	virtq_disable_cb(&t.q);
	CHECK_EQ(t.dev.avail->flags, 0); /* flags stay 0 with EVENT_IDX */
	CHECK(virtq_get_used(&t.q, NULL) == &tok[1]);
	CHECK(!sim_push(&t.dev, r[2].head, 0)); /* suppressed */
	CHECK(!virtq_enable_cb(&t.q)); /* entry 2 is waiting */
	CHECK_EQ(*ue, 2);
	CHECK(virtq_get_used(&t.q, NULL) == &tok[2]);
	CHECK(virtq_enable_cb(&t.q));
	CHECK_EQ(*ue, 3);
	/* Disabled right at the next entry: that entry raises nothing either. */
	CHECK_EQ(virtq_add(&t.q, &b, 1, NULL, 0, &tok[0]), 0);
	CHECK(sim_pop(&t.dev, &r[0]));
	virtq_disable_cb(&t.q);
	CHECK(!sim_push(&t.dev, r[0].head, 0));
	CHECK(virtq_get_used(&t.q, NULL) == &tok[0]);
	tq_teardown(&t);
}

/* ---- indirect descriptors -------------------------------------------------- */

TEST(virtq_indirect_descriptors)
{
	struct tq t;
	struct sim_req r;
	char o1[3] = "xyz", o2[2] = "uv", in[16];
	struct virtq_buf out[2] = { { o1, 3 }, { o2, 2 } };
	struct virtq_buf ib = { in, 16 }, many[5];
	uint32_t len;
	int tok[10];

	tq_setup(&t, 4, false, 4, false);
	/* Three buffers, one ring descriptor. */
	CHECK_EQ(virtq_add(&t.q, out, 2, &ib, 1, &tok[0]), 0);
	CHECK_EQ(virtq_num_free(&t.q), 3);
	CHECK(sim_pop(&t.dev, &r));
	CHECK(r.indirect);
	CHECK_EQ(t.dev.desc[r.head].flags, VIRTQ_DESC_F_INDIRECT);
	CHECK_EQ(t.dev.desc[r.head].len, 3 * 16);
	CHECK(from_dma(t.dev.desc[r.head].addr) == t.pool + r.head * 4);
	CHECK_EQ(r.nout, 2);
	CHECK_EQ(r.nin, 1);
	CHECK_EQ(sim_echo(&r, UINT64_MAX), 5);
	sim_push(&t.dev, r.head, 5);
	CHECK(virtq_get_used(&t.q, &len) == &tok[0]);
	CHECK_EQ(len, 5);
	CHECK(memcmp(in, "xyzuv", 5) == 0);
	CHECK_EQ(virtq_num_free(&t.q), 4);
	/* A queue of 4 carries 4 multi-buffer requests at once. */
	for (int i = 0; i < 4; i++)
		CHECK_EQ(virtq_add(&t.q, out, 2, &ib, 1, &tok[i]), 0);
	CHECK_EQ(virtq_add(&t.q, out, 1, &ib, 1, &tok[4]), -ENOSPC);
	for (int i = 0; i < 4; i++) {
		CHECK(sim_pop(&t.dev, &r));
		sim_push(&t.dev, r.head, 16);
		CHECK(virtq_get_used(&t.q, &len) == &tok[i]);
	}
	/* A single buffer goes direct. */
	CHECK_EQ(virtq_add(&t.q, &ib, 1, NULL, 0, &tok[5]), 0);
	CHECK(sim_pop(&t.dev, &r));
	CHECK(!r.indirect);
	sim_push(&t.dev, r.head, 0);
	CHECK(virtq_get_used(&t.q, &len) == &tok[5]);
	tq_teardown(&t);

	/* Longer than the indirect table: a direct chain. */
	tq_setup(&t, 8, false, 2, false);
	for (int i = 0; i < 5; i++)
		many[i] = (struct virtq_buf){ o1, 1 };
	CHECK_EQ(virtq_add(&t.q, many, 5, NULL, 0, &tok[6]), 0);
	CHECK_EQ(virtq_num_free(&t.q), 3);
	CHECK(sim_pop(&t.dev, &r));
	CHECK(!r.indirect);
	CHECK_EQ(r.nout, 5);
	sim_push(&t.dev, r.head, 0);
	CHECK(virtq_get_used(&t.q, &len) == &tok[6]);
	CHECK_EQ(virtq_num_free(&t.q), 8);
	tq_teardown(&t);
}

/* ---- a misbehaving device ------------------------------------------------- */

/* Puts two two-buffer requests in flight; returns the heads through r. */
static void broken_setup(struct tq *t, struct sim_req r[2], int tok[2], char *buf)
{
	struct virtq_buf o = { buf, 4 }, i = { buf + 4, 4 };

	tq_setup(t, 8, false, 0, false);
	CHECK_EQ(virtq_add(&t->q, &o, 1, &i, 1, &tok[0]), 0);
	CHECK_EQ(virtq_add(&t->q, &o, 1, &i, 1, &tok[1]), 0);
	CHECK(sim_pop(&t->dev, &r[0]));
	CHECK(sim_pop(&t->dev, &r[1]));
}

/* After a violation: no more completions, no more adds, requests can be taken back. */
static void broken_check(struct tq *t, int tok[2], int completed)
{
	char buf[4];
	struct virtq_buf b = { buf, 4 };
	uint32_t len = 77;
	int got = 0, extra;

	CHECK(virtq_is_broken(&t->q));
	CHECK(virtq_get_used(&t->q, &len) == NULL);
	CHECK_EQ(len, 77); /* untouched */
	CHECK_EQ(virtq_add(&t->q, &b, 1, NULL, 0, &extra), -EIO);
	CHECK(!virtq_kick_needed(&t->q));
	/* Even a well-formed entry is not taken any more. */
	sim_push(&t->dev, 0, 0);
	CHECK(virtq_get_used(&t->q, &len) == NULL);
	for (void *p; (p = virtq_detach_unused(&t->q));) {
		CHECK(p == &tok[0] || p == &tok[1]);
		got++;
	}
	CHECK_EQ(got, 2 - completed);
	CHECK_EQ(virtq_num_free(&t->q), 8);
	tq_teardown(t);
}

TEST(virtq_broken_on_id_out_of_range)
{
	struct tq t;
	struct sim_req r[2];
	int tok[2];
	char buf[8];

	broken_setup(&t, r, tok, buf);
	sim_push(&t.dev, 8, 0);
	CHECK(virtq_get_used(&t.q, NULL) == NULL);
	broken_check(&t, tok, 0);

	broken_setup(&t, r, tok, buf);
	sim_push(&t.dev, 0xffffffffu, 0);
	CHECK(virtq_get_used(&t.q, NULL) == NULL);
	broken_check(&t, tok, 0);
}

TEST(virtq_broken_on_repeated_id)
{
	struct tq t;
	struct sim_req r[2];
	int tok[2];
	char buf[8];

	broken_setup(&t, r, tok, buf);
	sim_push(&t.dev, r[0].head, 4);
	CHECK(virtq_get_used(&t.q, NULL) == &tok[0]);
	sim_push(&t.dev, r[0].head, 0); /* a length that would fit */
	CHECK(virtq_get_used(&t.q, NULL) == NULL);
	broken_check(&t, tok, 1);
}

TEST(virtq_broken_on_id_not_a_head)
{
	struct tq t;
	struct sim_req r[2];
	int tok[2];
	char buf[8];
	uint16_t second;

	broken_setup(&t, r, tok, buf);
	second = t.q.state[r[0].head].next; /* the chain's second descriptor */
	CHECK(second != r[0].head && second != r[1].head);
	sim_push(&t.dev, second, 0);
	CHECK(virtq_get_used(&t.q, NULL) == NULL);
	broken_check(&t, tok, 0);

	/* A free descriptor is not a head either. */
	broken_setup(&t, r, tok, buf);
	sim_push(&t.dev, 7, 0);
	CHECK(virtq_get_used(&t.q, NULL) == NULL);
	broken_check(&t, tok, 0);
}

TEST(virtq_broken_on_bad_len)
{
	struct tq t;
	struct sim_req r[2];
	int tok[2];
	char buf[8];
	uint32_t len;

	broken_setup(&t, r, tok, buf);
	sim_push(&t.dev, r[1].head, 4); /* the whole writable part: fine */
	CHECK(virtq_get_used(&t.q, &len) == &tok[1]);
	CHECK_EQ(len, 4);
	sim_push(&t.dev, r[0].head, 5); /* one byte more than it was given */
	CHECK(virtq_get_used(&t.q, NULL) == NULL);
	broken_check(&t, tok, 1);

	broken_setup(&t, r, tok, buf);
	sim_push(&t.dev, r[0].head, 0xffffffffu);
	CHECK(virtq_get_used(&t.q, NULL) == NULL);
	broken_check(&t, tok, 0);
}

TEST(virtq_broken_on_idx_jump)
{
	struct tq t;
	struct sim_req r[2];
	int tok[2];
	char buf[8];

	/* Three entries when only two are in flight. */
	broken_setup(&t, r, tok, buf);
	t.dev.used->ring[0] = (struct virtq_used_elem){ r[0].head, 0 };
	t.dev.used->ring[1] = (struct virtq_used_elem){ r[1].head, 0 };
	t.dev.used->idx = 3;
	CHECK(virtq_get_used(&t.q, NULL) == NULL);
	broken_check(&t, tok, 0);

	/* A jump by more than the queue size, after a proper completion. */
	broken_setup(&t, r, tok, buf);
	sim_push(&t.dev, r[0].head, 0);
	CHECK(virtq_get_used(&t.q, NULL) == &tok[0]);
	t.dev.used->idx = (uint16_t)(1 + 9);
	CHECK(virtq_get_used(&t.q, NULL) == NULL);
	broken_check(&t, tok, 1);

	/* Backwards is a jump of almost 2^16. */
	broken_setup(&t, r, tok, buf);
	t.dev.used->idx = 0xffff;
	CHECK(virtq_get_used(&t.q, NULL) == NULL);
	broken_check(&t, tok, 0);
}

TEST(virtq_mark_broken_by_transport)
{
	struct tq t;
	struct sim_req r[2];
	int tok[2];
	char buf[8];

	broken_setup(&t, r, tok, buf);
	sim_push(&t.dev, r[0].head, 0);
	virtq_mark_broken(&t.q);
	CHECK(virtq_enable_cb(&t.q)); /* nothing more will come: sleep */
	broken_check(&t, tok, 0);
}

/* ---- randomized run against the simulated device -------------------------- */

#define RND_SLOTS 64 /* requests the test can have outstanding */

struct rnd_req {
	bool busy; /* added and not yet returned */
	unsigned char out[256], in[256]; /* buffer space, sliced into segments */
	uint64_t out_bytes, in_cap; /* what was offered */
	int ndesc; /* ring descriptors it should hold */
};

static struct rnd_req rnd_reqs[RND_SLOTS];

/*
 * One configuration, steps random operations. The device sleeps when it has nothing
 * to do and the driver sleeps when it re-enabled interrupts on an empty ring; a
 * missed kick or interrupt shows up as a sleeper with work waiting.
 */
static void rnd_run(uint32_t num, bool event_idx, uint32_t indirect_max, bool legacy,
		    int steps)
{
	struct tq t;
	struct sim_req pend[64];
	int npend = 0, outstanding = 0, descs_out = 0;
	bool dev_asleep = true, drv_asleep = false;
	bool cb_on = true; /* the driver has not disabled interrupts */
	uint64_t kicks = 0, irqs = 0, completions = 0, sleeps = 0;

	tq_setup(&t, num, event_idx, indirect_max, legacy);
	memset(rnd_reqs, 0, sizeof(rnd_reqs));
	for (int step = 0; step < steps; step++) {
		uint64_t x = rng();

		switch (x % 8) {
		case 0:
		case 1:
		case 2: { /* driver: add a burst, then maybe kick */
			int burst = 1 + (int)(x >> 8) % 4;

			/* Every other 500 steps the driver is quiet, so the device idles. */
			if ((step / 500) % 2 && (x >> 40) % 8)
				break;

			for (int b = 0; b < burst; b++) {
				struct virtq_buf ob[4], ib[4];
				size_t nout = rng() % 4, nin = rng() % 4, need;
				int k = (int)(rng() % RND_SLOTS);
				struct rnd_req *rq = &rnd_reqs[k];
				uint32_t oo = 0, io = 0;
				int rc;

				if (rq->busy)
					continue;
				if (nout + nin == 0)
					nin = 1;

				for (size_t i = 0; i < nout; i++) {
					uint32_t l = (uint32_t)(rng() % 64);

					ob[i] = (struct virtq_buf){ rq->out + oo, l };
					for (uint32_t j = 0; j < l; j++)
						rq->out[oo + j] = (unsigned char)rng();
					oo += l;
				}
				for (size_t i = 0; i < nin; i++) {
					uint32_t l = (uint32_t)(rng() % 64);

					ib[i] = (struct virtq_buf){ rq->in + io, l };
					io += l;
				}
				rq->out_bytes = oo;
				rq->in_cap = io;
				need = indirect_max && nout + nin > 1 &&
						       nout + nin <= indirect_max ?
					       1 :
					       nout + nin;
				rc = virtq_add(&t.q, ob, nout, ib, nin, rq);
				if (need > num) {
					CHECK_EQ(rc, -EINVAL);
					continue;
				}
				if (need > num - (uint32_t)descs_out) {
					CHECK_EQ(rc, -ENOSPC);
					continue;
				}
				CHECK_EQ(rc, 0);
				rq->busy = true;
				rq->ndesc = (int)need;
				outstanding++;
				descs_out += (int)need;
			}
			if (virtq_kick_needed(&t.q)) {
				kicks++;
				dev_asleep = false;
			}
			/* No lost kicks: a sleeping device has nothing waiting. */
			if (dev_asleep)
				CHECK_EQ(t.dev.avail->idx, t.dev.last_avail);
			break;
		}
		case 3:
		case 4: /* device: work, or go to sleep */
			if (dev_asleep)
				break;
			sim_want_kicks(&t.dev, false);
			for (int n = (int)(x >> 8) % 4; n >= 0 && npend < 64; n--)
				if (!sim_pop(&t.dev, &pend[npend]))
					break;
				else
					npend++;
			if (t.dev.avail->idx == t.dev.last_avail && !npend) {
				/* Going to sleep: ask for kicks, then look once more. */
				sim_want_kicks(&t.dev, true);
				__atomic_thread_fence(__ATOMIC_SEQ_CST);
				if (t.dev.avail->idx == t.dev.last_avail)
					dev_asleep = true, sleeps++;
			}
			break;
		case 5: /* device: complete a few popped requests, in random order */
			for (int k = (int)(x >> 8) % 6; k >= 0 && npend; k--) {
				int i = (int)(rng() % (uint64_t)npend);
				struct sim_req *r = &pend[i];
				uint64_t max = (x >> 20) % 4 ? UINT64_MAX : rng() % 40;

				if (sim_push(&t.dev, r->head, sim_echo(r, max))) {
					irqs++;
					drv_asleep = false;
				}
				pend[i] = pend[--npend];
			}
			break;
		case 6:
		case 7: /* driver: drain some, then maybe sleep */
			if (drv_asleep)
				break;
			if ((x >> 8) % 3 == 0) {
				virtq_disable_cb(&t.q);
				cb_on = false;
			}
			for (int n = (int)(x >> 12) % 5; n >= 0; n--) {
				uint32_t len = 0;
				struct rnd_req *rq = virtq_get_used(&t.q, &len);

				if (!rq) {
					/*
					 * Drained with interrupts on all along: an interrupt
					 * handler may just return (Linux's usual pattern).
					 */
					if (cb_on && (x >> 20) % 2)
						drv_asleep = true;
					break;
				}
				CHECK(rq >= rnd_reqs && rq < rnd_reqs + RND_SLOTS);
				CHECK(rq->busy);
				CHECK(len <= rq->in_cap && len <= rq->out_bytes);
				/* The echo device copied our out bytes in. */
				CHECK(memcmp(rq->in, rq->out, len) == 0);
				rq->busy = false;
				outstanding--;
				completions++;
				descs_out -= rq->ndesc;
			}
			if (!drv_asleep && (x >> 16) % 2) {
				cb_on = true;
				if (virtq_enable_cb(&t.q))
					drv_asleep = true;
			}
			break;
		}
		CHECK_EQ(virtq_num_free(&t.q), num - (uint32_t)descs_out);
		/* No lost interrupts: a sleeping driver has nothing waiting. */
		if (drv_asleep)
			CHECK_EQ(t.dev.used->idx, t.q.last_used);
		if (virtq_is_broken(&t.q))
			break;
	}
	CHECK(!virtq_is_broken(&t.q));
	/* The run exercised what it is meant to: both sides slept and were woken. */
	CHECK(kicks > 100 && sleeps > 100 && irqs > 100);
	CHECK(completions > (uint64_t)steps / 100);
	/* Finish everything: the device completes all, the driver takes all back. */
	while (npend < 64 && sim_pop(&t.dev, &pend[npend]))
		npend++;
	while (npend) {
		npend--;
		sim_push(&t.dev, pend[npend].head, 0);
	}
	while (virtq_get_used(&t.q, NULL))
		outstanding--;
	CHECK_EQ(outstanding, 0);
	CHECK_EQ(virtq_num_free(&t.q), num);
	CHECK(virtq_detach_unused(&t.q) == NULL);
	tq_teardown(&t);
}

TEST(virtq_random_against_sim)
{
	rng_state = 0x9e3779b97f4a7c15ull;
	rnd_run(8, false, 0, false, 100000);
	rnd_run(16, true, 0, false, 100000);
	rnd_run(32, true, 4, false, 100000);
	rnd_run(4, false, 4, true, 100000);
	rnd_run(64, true, 8, true, 100000);
	rnd_run(1, true, 0, false, 100000);
}
