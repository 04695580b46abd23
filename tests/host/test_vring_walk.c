/* SPDX-License-Identifier: MIT */
/*
 * Tests of lib/vring_walk.c against a fake guest: two RAM regions with a hole
 * between them, mapped at unrelated host addresses (and unrelated frontend virtual
 * addresses), so a missed or wrong translation lands outside the test's arrays and
 * ASan reports it. The guest side is written by hand here: descriptors, avail ring
 * entries, and deliberately broken ones.
 *
 *   region A: gpa 0x00000..0x10000, rings at 0x1000 (desc), 0x2000 (avail), 0x3000 (used)
 *   hole:     gpa 0x10000..0x20000
 *   region B: gpa 0x20000..0x28000, buffers and indirect tables
 */
#include "tests/host/check.h"

#include <stdint.h>

#include "lib/vring_walk.h"
#include "uapi/virtio_ring.h"

#define A_GPA 0x0ull
#define A_SIZE 0x10000ull
#define A_UVA 0x7f0000000000ull
#define B_GPA 0x20000ull
#define B_SIZE 0x8000ull
#define B_UVA 0x7f0000400000ull
#define DESC_GPA 0x1000ull
#define AVAIL_GPA 0x2000ull
#define USED_GPA 0x3000ull
#define QNUM 8

static _Alignas(4096) uint8_t ram_a[A_SIZE]; /* region A's host memory */
static _Alignas(4096) uint8_t ram_b[B_SIZE]; /* region B's host memory */
static struct vring_mem mem; /* the memory table */
static struct vring vr; /* the queue under test */
static uint16_t g_avail; /* the fake driver's avail->idx */

static void *g(uint64_t gpa)
{
	return gpa >= B_GPA ? ram_b + (gpa - B_GPA) : ram_a + (gpa - A_GPA);
}

static struct virtq_desc *gdesc(void)
{
	return g(DESC_GPA);
}

static struct virtq_avail *gavail(void)
{
	return g(AVAIL_GPA);
}

static struct virtq_used *gused(void)
{
	return g(USED_GPA);
}

static void set_desc(struct virtq_desc *t, uint16_t i, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	t[i] = (struct virtq_desc){ addr, len, flags, next };
}

static void offer(uint16_t head)
{
	gavail()->ring[g_avail % QNUM] = head;
	gavail()->idx = ++g_avail;
}

/* Fresh memory, fresh queue at avail/used index `base`. */
static void setup(uint16_t base)
{
	memset(ram_a, 0, sizeof(ram_a));
	memset(ram_b, 0, sizeof(ram_b));
	mem.nregions = 2;
	mem.r[0] = (struct vring_mem_region){ A_GPA, A_SIZE, A_UVA, ram_a };
	mem.r[1] = (struct vring_mem_region){ B_GPA, B_SIZE, B_UVA, ram_b };
	g_avail = base;
	gavail()->idx = base;
	gused()->idx = base;
	CHECK_EQ(vring_map(&vr, &mem, QNUM, A_UVA + DESC_GPA, A_UVA + AVAIL_GPA,
			   A_UVA + USED_GPA, base),
		 0);
}

static int pop(struct vring_seg *segs, uint32_t max, struct vring_chain *c)
{
	return vring_pop(&vr, &mem, segs, max, c);
}

TEST(vw_translate)
{
	setup(0);
	CHECK(vring_gpa_to_hva(&mem, 0, 1) == ram_a);
	CHECK(vring_gpa_to_hva(&mem, A_SIZE - 4, 4) == ram_a + A_SIZE - 4);
	CHECK(vring_gpa_to_hva(&mem, A_SIZE - 4, 5) == NULL); /* runs into the hole */
	CHECK(vring_gpa_to_hva(&mem, 0x18000, 1) == NULL); /* in the hole */
	CHECK(vring_gpa_to_hva(&mem, B_GPA, B_SIZE) == ram_b);
	CHECK(vring_gpa_to_hva(&mem, B_GPA, B_SIZE + 1) == NULL);
	CHECK(vring_gpa_to_hva(&mem, A_SIZE - 16, 0x20000) == NULL); /* spans both */
	CHECK(vring_gpa_to_hva(&mem, UINT64_MAX - 2, 8) == NULL); /* wraps */
	CHECK(vring_gpa_to_hva(&mem, 8, UINT64_MAX) == NULL); /* wraps */
	CHECK(vring_gpa_to_hva(&mem, UINT64_MAX, 1) == NULL);
	CHECK(vring_uva_to_hva(&mem, B_UVA + 16, 16) == ram_b + 16);
	CHECK(vring_uva_to_hva(&mem, B_GPA, 16) == NULL); /* gpa is no uva */
	CHECK(vring_uva_to_hva(&mem, B_UVA + B_SIZE, 1) == NULL);
	mem.nregions = 0;
	CHECK(vring_gpa_to_hva(&mem, 0, 1) == NULL);
}

TEST(vw_map_checks)
{
	setup(0);
	CHECK_EQ(vring_map(&vr, &mem, 6, A_UVA + DESC_GPA, A_UVA + AVAIL_GPA,
			   A_UVA + USED_GPA, 0),
		 -EINVAL);
	CHECK_EQ(vring_map(&vr, &mem, 65536, A_UVA, A_UVA, A_UVA, 0), -EINVAL);
	/* Descriptor table of 32768 entries does not fit region B. */
	CHECK_EQ(vring_map(&vr, &mem, 32768, B_UVA, A_UVA + AVAIL_GPA, A_UVA + USED_GPA,
			   0),
		 -EINVAL);
	CHECK_EQ(vring_map(&vr, &mem, QNUM, A_UVA + DESC_GPA + 8, A_UVA + AVAIL_GPA,
			   A_UVA + USED_GPA, 0),
		 -EINVAL);
	CHECK_EQ(vring_map(&vr, &mem, QNUM, A_UVA + DESC_GPA, A_UVA + AVAIL_GPA,
			   A_UVA + USED_GPA + 2, 0),
		 -EINVAL);
	CHECK_EQ(vring_map(&vr, &mem, QNUM, A_UVA + DESC_GPA, A_UVA + AVAIL_GPA,
			   A_SIZE - 8, 0),
		 -EINVAL);
	/* A failed map leaves a ring that refuses work. */
	CHECK_EQ(vring_pop(&vr, &mem, NULL, 0, NULL), -EIO);
	CHECK_EQ(vring_push_used(&vr, 0, 0), -EIO);
}

TEST(vw_simple_chain_and_used)
{
	struct vring_seg segs[8];
	struct vring_chain c;

	setup(0);
	CHECK_EQ(pop(segs, 8, &c), -EAGAIN);
	set_desc(gdesc(), 3, B_GPA + 0x100, 44, VIRTQ_DESC_F_NEXT, 5);
	set_desc(gdesc(), 5, B_GPA + 0x200, 100, VIRTQ_DESC_F_NEXT, 0);
	set_desc(gdesc(), 0, 0x8000, 4096, VIRTQ_DESC_F_WRITE, 0);
	offer(3);
	CHECK_EQ(pop(segs, 8, &c), 0);
	CHECK_EQ(c.head, 3);
	CHECK_EQ(c.nseg, 3);
	CHECK_EQ(c.nread, 2);
	CHECK_EQ(c.read_len, 144);
	CHECK_EQ(c.write_len, 4096);
	CHECK(segs[0].addr == ram_b + 0x100 && segs[0].len == 44 && !segs[0].writable);
	CHECK(segs[1].addr == ram_b + 0x200 && !segs[1].writable);
	CHECK(segs[2].addr == ram_a + 0x8000 && segs[2].writable);
	CHECK_EQ(pop(segs, 8, &c), -EAGAIN);

	CHECK_EQ(vring_push_used(&vr, 3, 77), 0);
	CHECK_EQ(gused()->idx, 1);
	CHECK_EQ(gused()->ring[0].id, 3);
	CHECK_EQ(gused()->ring[0].len, 77);
	CHECK_EQ(vring_push_used(&vr, QNUM, 0), -EINVAL);
	CHECK_EQ(gused()->idx, 1);
}

TEST(vw_index_wraps_16_bits)
{
	struct vring_seg segs[2];
	struct vring_chain c;

	setup(0xfffe);
	set_desc(gdesc(), 1, B_GPA, 16, 0, 0);
	for (int i = 0; i < 4; i++)
		offer(1);
	for (int i = 0; i < 4; i++) {
		CHECK_EQ(pop(segs, 2, &c), 0);
		CHECK_EQ(vring_push_used(&vr, c.head, 0), 0);
	}
	CHECK_EQ(pop(segs, 2, &c), -EAGAIN);
	CHECK_EQ(vr.last_avail_idx, 2);
	CHECK_EQ(gused()->idx, 2);
}

TEST(vw_indirect)
{
	struct virtq_desc *it = g(B_GPA + 0x1000);
	struct vring_seg segs[8];
	struct vring_chain c;

	setup(0);
	set_desc(it, 0, B_GPA + 0x10, 8, VIRTQ_DESC_F_NEXT, 2);
	set_desc(it, 2, B_GPA + 0x20, 8, VIRTQ_DESC_F_NEXT, 1);
	set_desc(it, 1, B_GPA + 0x40, 64, VIRTQ_DESC_F_WRITE, 0);
	/* A direct readable buffer, then the indirect table. */
	set_desc(gdesc(), 4, 0x9000, 4, VIRTQ_DESC_F_NEXT, 6);
	set_desc(gdesc(), 6, B_GPA + 0x1000, 3 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	offer(4);
	CHECK_EQ(pop(segs, 8, &c), 0);
	CHECK_EQ(c.nseg, 4);
	CHECK_EQ(c.nread, 3);
	CHECK(segs[0].addr == ram_a + 0x9000);
	CHECK(segs[2].addr == ram_b + 0x20);
	CHECK(segs[3].addr == ram_b + 0x40 && segs[3].writable);
	CHECK_EQ(c.write_len, 64);

	/* Indirect tables need not be 16-aligned in memory. */
	memmove(g(B_GPA + 0x1008), it, 3 * 16);
	set_desc(gdesc(), 6, B_GPA + 0x1008, 3 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	offer(4);
	CHECK_EQ(pop(segs, 8, &c), 0);
	CHECK_EQ(c.nseg, 4);
}

/* Offer head 0 after the caller wrote a bad chain; the pop must fail and stay failed. */
static void expect_broken(const char *why)
{
	struct vring_seg segs[16];
	struct vring_chain c;

	offer(0);
	CHECK_EQ(pop(segs, 16, &c), -EIO);
	CHECK_STR(vr.err, why);
	CHECK_EQ(pop(segs, 16, &c), -EIO);
	CHECK_EQ(vring_push_used(&vr, 0, 0), -EIO);
}

TEST(vw_bad_chains)
{
	setup(0);
	set_desc(gdesc(), 0, B_GPA, 8, VIRTQ_DESC_F_NEXT, 1);
	set_desc(gdesc(), 1, B_GPA, 8, VIRTQ_DESC_F_NEXT, 0);
	expect_broken("descriptor chain loops or is too long");

	setup(0);
	set_desc(gdesc(), 0, B_GPA, 8, VIRTQ_DESC_F_NEXT, 0);
	expect_broken("descriptor chain loops or is too long");

	setup(0);
	set_desc(gdesc(), 0, B_GPA, 8, VIRTQ_DESC_F_NEXT, QNUM);
	expect_broken("next descriptor out of range");

	setup(0);
	set_desc(gdesc(), 0, 0x18000, 8, 0, 0); /* the hole */
	expect_broken("buffer outside guest memory");

	setup(0);
	set_desc(gdesc(), 0, A_SIZE - 8, 16, 0, 0); /* runs off region A */
	expect_broken("buffer outside guest memory");

	setup(0);
	set_desc(gdesc(), 0, UINT64_MAX - 4, 16, 0, 0); /* wraps */
	expect_broken("buffer outside guest memory");

	setup(0);
	set_desc(gdesc(), 0, B_GPA, UINT32_MAX, 0, 0); /* huge length */
	expect_broken("buffer outside guest memory");

	setup(0);
	set_desc(gdesc(), 0, B_GPA, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	set_desc(gdesc(), 1, B_GPA, 8, 0, 0);
	expect_broken("readable buffer after a writable one");
}

TEST(vw_bad_indirect)
{
	struct virtq_desc *it = g(B_GPA + 0x1000);

	setup(0);
	set_desc(it, 0, B_GPA + 0x2000, 16, VIRTQ_DESC_F_INDIRECT, 0);
	set_desc(gdesc(), 0, B_GPA + 0x1000, 16, VIRTQ_DESC_F_INDIRECT, 0);
	expect_broken("nested indirect descriptor");

	setup(0);
	set_desc(gdesc(), 0, B_GPA + 0x1000, 16,
		 VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
	expect_broken("indirect descriptor with NEXT");

	setup(0);
	set_desc(gdesc(), 0, B_GPA + 0x1000, 15, VIRTQ_DESC_F_INDIRECT, 0);
	expect_broken("indirect table length not a multiple of 16");

	setup(0);
	set_desc(gdesc(), 0, B_GPA + 0x1000, 0, VIRTQ_DESC_F_INDIRECT, 0);
	expect_broken("indirect table length not a multiple of 16");

	setup(0);
	set_desc(gdesc(), 0, B_GPA + 0x1000, 16 * (QNUM + 1), VIRTQ_DESC_F_INDIRECT, 0);
	expect_broken("indirect table longer than the queue");

	setup(0);
	set_desc(gdesc(), 0, B_GPA + B_SIZE - 16, 32, VIRTQ_DESC_F_INDIRECT, 0);
	expect_broken("indirect table outside guest memory");

	setup(0);
	set_desc(it, 0, B_GPA, 8, VIRTQ_DESC_F_NEXT, 1);
	set_desc(it, 1, B_GPA, 8, VIRTQ_DESC_F_NEXT, 0);
	set_desc(gdesc(), 0, B_GPA + 0x1000, 32, VIRTQ_DESC_F_INDIRECT, 0);
	expect_broken("descriptor chain loops or is too long");

	setup(0);
	set_desc(it, 0, B_GPA, 8, VIRTQ_DESC_F_NEXT, 2);
	set_desc(gdesc(), 0, B_GPA + 0x1000, 32, VIRTQ_DESC_F_INDIRECT, 0);
	expect_broken("next descriptor out of range");
}

TEST(vw_bad_ring)
{
	struct vring_seg segs[2];
	struct vring_chain c;

	setup(0);
	gavail()->idx = QNUM + 1; /* more heads than the queue holds */
	CHECK_EQ(pop(segs, 2, &c), -EIO);
	CHECK_STR(vr.err, "avail idx moved by more than the queue size");

	setup(100);
	gavail()->idx = 99; /* went backwards: a jump of 65535 */
	CHECK_EQ(pop(segs, 2, &c), -EIO);

	setup(0);
	gavail()->ring[0] = QNUM;
	gavail()->idx = 1;
	CHECK_EQ(pop(segs, 2, &c), -EIO);
	CHECK_STR(vr.err, "avail ring head out of range");

	/* Exactly a full ring is fine. */
	setup(0);
	set_desc(gdesc(), 0, B_GPA, 8, 0, 0);
	gavail()->idx = QNUM;
	for (int i = 0; i < QNUM; i++)
		CHECK_EQ(pop(segs, 2, &c), 0);
	CHECK_EQ(pop(segs, 2, &c), -EAGAIN);

	/* A chain longer than the caller's array. */
	setup(0);
	set_desc(gdesc(), 0, B_GPA, 8, VIRTQ_DESC_F_NEXT, 1);
	set_desc(gdesc(), 1, B_GPA, 8, VIRTQ_DESC_F_NEXT, 2);
	set_desc(gdesc(), 2, B_GPA, 8, 0, 0);
	offer(0);
	CHECK_EQ(pop(segs, 2, &c), -EIO);
	CHECK_STR(vr.err, "chain has more segments than the device takes");
}

TEST(vw_mem_set)
{
	struct vhost_user_mem_table t;
	uint8_t *maps[2] = { ram_a, ram_b };
	struct vring_mem m2;

	memset(&t, 0, sizeof(t));
	t.nregions = 2;
	t.regions[0] = (struct vhost_user_mem_region){ 0, 0x1000, A_UVA, 0 };
	t.regions[1] = (struct vhost_user_mem_region){ 0x100000, 0x1000, B_UVA, 0x100 };
	CHECK_EQ(vring_mem_set(&m2, &t, maps), 0);
	CHECK_EQ(m2.nregions, 2);
	CHECK(vring_gpa_to_hva(&m2, 0x100010, 4) == ram_b + 0x110);
	CHECK(vring_uva_to_hva(&m2, A_UVA + 8, 8) == ram_a + 8);
	maps[1] = NULL;
	CHECK_EQ(vring_mem_set(&m2, &t, maps), -EINVAL);
	CHECK_EQ(m2.nregions, 0);
	t.nregions = 9;
	CHECK_EQ(vring_mem_set(&m2, &t, maps), -EINVAL);
}
