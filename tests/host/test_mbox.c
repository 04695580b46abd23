/* SPDX-License-Identifier: MIT */
/*
 * Tests of lib/mbox.c. Single-threaded tests run the ring against a model (a FIFO of
 * expected messages); the threaded ones run a real producer and consumer on two host
 * threads (check.h is not thread-safe, so threads count their errors and the main
 * thread checks the counts after joining), and simulate the sleep/wake handshake with
 * a POSIX semaphore standing in for the IPI.
 */
#include "tests/host/check.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <time.h>

#include "lib/mbox.h"
#include "toro/errno.h"

static struct mbox_ring ring; /* static: 64-byte aligned as mbox.h asks */
static _Alignas(64) unsigned char ring_buf[1 << 16]; /* backing store, sliced per test */

static uint64_t rng_state; /* xorshift64 state, reseeded by each test */

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Byte i of the message with the given tag. */
static unsigned char pat(uint64_t tag, size_t i)
{
	return (unsigned char)(tag * 31 + i * 7 + (i >> 8));
}

static void fill(unsigned char *p, size_t n, uint64_t tag)
{
	for (size_t i = 0; i < n; i++)
		p[i] = pat(tag, i);
}

static int matches(const unsigned char *p, size_t n, uint64_t tag)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != pat(tag, i))
			return 0;
	return 1;
}

/* Sets up the global ring over the first size bytes of ring_buf, garbage-filled. */
static void ring_setup(size_t size)
{
	memset(ring_buf, 0xa5, sizeof(ring_buf));
	CHECK_EQ(mbox_ring_init(&ring, ring_buf, size), 0);
}

TEST(mbox_layout_separates_counters)
{
	/* The two counters and the shared fields must sit on three different lines. */
	CHECK_EQ(offsetof(struct mbox_ring, tail) / 64, 0);
	CHECK_EQ(offsetof(struct mbox_ring, head) / 64, 1);
	CHECK_EQ(offsetof(struct mbox_ring, buf) / 64, 2);
	CHECK_EQ(offsetof(struct mbox_ring, head_seen) / 64, 0);
	CHECK_EQ(offsetof(struct mbox_ring, tail_seen) / 64, 1);
	CHECK_EQ(_Alignof(struct mbox_ring), 64);
	CHECK_EQ(_Alignof(struct mbox_waiter), 64);
	CHECK(atomic_is_lock_free(&ring.tail));
}

TEST(mbox_init_rejects_bad_buffers)
{
	CHECK_EQ(mbox_ring_init(&ring, NULL, 64), -EINVAL);
	CHECK_EQ(mbox_ring_init(&ring, ring_buf, 0), -EINVAL);
	CHECK_EQ(mbox_ring_init(&ring, ring_buf, 8), -EINVAL);
	CHECK_EQ(mbox_ring_init(&ring, ring_buf, 96), -EINVAL);
	CHECK_EQ(mbox_ring_init(&ring, ring_buf + 4, 64), -EINVAL);
	CHECK_EQ(mbox_ring_init(&ring, ring_buf, MBOX_MAX_SIZE * 2), -EINVAL);
	CHECK_EQ(mbox_ring_init(&ring, ring_buf, 16), 0);
	CHECK_EQ(mbox_ring_max_msg(&ring), 12);
}

TEST(mbox_fifo_order)
{
	unsigned char msg[40], out[40];

	ring_setup(1024);
	for (uint64_t t = 0; t < 10; t++) {
		fill(msg, t * 3, t);
		CHECK_EQ(mbox_ring_send(&ring, msg, t * 3), 0);
	}
	for (uint64_t t = 0; t < 10; t++) {
		CHECK_EQ(mbox_ring_peek_len(&ring), t * 3);
		CHECK_EQ(mbox_ring_recv(&ring, out, sizeof(out)), t * 3);
		CHECK(matches(out, t * 3, t));
	}
	CHECK_EQ(mbox_ring_recv(&ring, out, sizeof(out)), -EAGAIN);
	CHECK_EQ(mbox_ring_peek_len(&ring), -EAGAIN);
	CHECK(mbox_ring_empty(&ring));
}

TEST(mbox_empty_message)
{
	unsigned char out[1];

	ring_setup(16);
	CHECK_EQ(mbox_ring_send(&ring, NULL, 0), 0);
	CHECK(!mbox_ring_empty(&ring));
	CHECK_EQ(mbox_ring_recv(&ring, NULL, 0), 0);
	CHECK(mbox_ring_empty(&ring));
	CHECK_EQ(mbox_ring_recv(&ring, out, 1), -EAGAIN);
}

TEST(mbox_full_then_empty)
{
	unsigned char msg[64], out[64];
	int sent = 0;

	/* 256 bytes hold exactly 8 records of 28 + 4 bytes. */
	ring_setup(256);
	fill(msg, sizeof(msg), 1);
	while (mbox_ring_send(&ring, msg, 28) == 0)
		sent++;
	CHECK_EQ(sent, 8);
	/* A refused send writes nothing: every queued message is still intact. */
	CHECK_EQ(mbox_ring_send(&ring, msg, 0), -EAGAIN);
	CHECK_EQ(mbox_ring_recv(&ring, out, sizeof(out)), 28);
	CHECK(matches(out, 28, 1));
	/* One record's worth of room: a 28-byte message fits, a 29-byte one does not. */
	CHECK_EQ(mbox_ring_send(&ring, msg, 29), -EAGAIN);
	CHECK_EQ(mbox_ring_send(&ring, msg, 28), 0);
	for (int i = 0; i < 8; i++) {
		memset(out, 0, sizeof(out));
		CHECK_EQ(mbox_ring_recv(&ring, out, sizeof(out)), 28);
		CHECK(matches(out, 28, 1));
	}
	CHECK_EQ(mbox_ring_recv(&ring, out, sizeof(out)), -EAGAIN);
}

TEST(mbox_too_large)
{
	static unsigned char msg[300], out[300];

	ring_setup(256);
	CHECK_EQ(mbox_ring_send(&ring, msg, 253), -E2BIG);
	CHECK_EQ(mbox_ring_send(&ring, msg, (size_t)-1), -E2BIG);
	CHECK(mbox_ring_empty(&ring));
	/* The largest message fills the whole buffer, even wrapped. */
	CHECK_EQ(mbox_ring_send(&ring, msg, 20), 0);
	CHECK_EQ(mbox_ring_recv(&ring, out, sizeof(out)), 20);
	fill(msg, 252, 9);
	CHECK_EQ(mbox_ring_send(&ring, msg, 252), 0);
	CHECK_EQ(mbox_ring_send(&ring, msg, 0), -EAGAIN);
	CHECK_EQ(mbox_ring_recv(&ring, out, sizeof(out)), 252);
	CHECK(matches(out, 252, 9));
}

TEST(mbox_small_buffer_keeps_message)
{
	unsigned char msg[50], out[50];

	ring_setup(128);
	fill(msg, 50, 3);
	CHECK_EQ(mbox_ring_send(&ring, msg, 50), 0);
	fill(msg, 5, 4);
	CHECK_EQ(mbox_ring_send(&ring, msg, 5), 0);
	CHECK_EQ(mbox_ring_recv(&ring, out, 49), -E2BIG);
	CHECK_EQ(mbox_ring_recv(&ring, out, 0), -E2BIG);
	CHECK_EQ(mbox_ring_peek_len(&ring), 50);
	CHECK_EQ(mbox_ring_recv(&ring, out, 50), 50);
	CHECK(matches(out, 50, 3));
	CHECK_EQ(mbox_ring_recv(&ring, out, 5), 5);
	CHECK(matches(out, 5, 4));
}

/*
 * Random sends and receives on small rings against a FIFO model, so every message
 * size lands on every offset and the payload wraps in every possible place.
 */
TEST(mbox_wrap_many_sizes)
{
	static unsigned char msg[1024], out[1024];
	static struct {
		size_t len; /* expected length */
		uint64_t tag; /* expected pattern */
	} model[1024];
	size_t sizes[] = { 16, 32, 64, 128, 1024 };

	rng_state = 0x1234567;
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		size_t mh = 0, mt = 0, max;
		uint64_t tag = 0;

		ring_setup(sizes[s]);
		max = mbox_ring_max_msg(&ring);
		for (int step = 0; step < 50000; step++) {
			if (rng() % 2) {
				size_t len = rng() % (max + 2);
				int rc;

				fill(msg, len, ++tag);
				rc = mbox_ring_send(&ring, msg, len);
				if (len > max) {
					CHECK_EQ(rc, -E2BIG);
				} else if (rc == 0) {
					model[mt % 1024].len = len;
					model[mt % 1024].tag = tag;
					mt++;
				} else {
					CHECK_EQ(rc, -EAGAIN);
					CHECK(mh != mt);
				}
			} else {
				long n = mbox_ring_recv(&ring, out, sizeof(out));

				if (mh == mt) {
					CHECK_EQ(n, -EAGAIN);
				} else {
					CHECK_EQ(n, model[mh % 1024].len);
					CHECK(n >= 0 && matches(out, (size_t)n,
								model[mh % 1024].tag));
					mh++;
				}
			}
		}
		CHECK(mt > 1000);
	}
}

TEST(mbox_corrupt_header_is_eio)
{
	unsigned char msg[8] = { 0 }, out[64];

	ring_setup(64);
	CHECK_EQ(mbox_ring_send(&ring, msg, 8), 0);
	/* Claim 40 payload bytes where 16 bytes are published. */
	ring_buf[0] = 40;
	CHECK_EQ(mbox_ring_peek_len(&ring), -EIO);
	CHECK_EQ(mbox_ring_recv(&ring, out, sizeof(out)), -EIO);
	CHECK(!mbox_ring_empty(&ring));
}

/* ---- two threads -------------------------------------------------------------- */

#define STRESS_MSGS 1000000
#define STRESS_RING 4096

/* Length of message seq in the stress test: 12..299 bytes. */
static size_t stress_len(uint64_t seq)
{
	uint64_t x = seq * 0x9e3779b97f4a7c15ull;

	return 12 + (size_t)((x >> 40) % 288);
}

/* Additive checksum of p[0..n), rotated so order matters. */
static uint32_t stress_sum(const unsigned char *p, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i < n; i++)
		s = ((s << 5) | (s >> 27)) + p[i];
	return s;
}

static void *stress_producer(void *arg)
{
	unsigned char msg[300];

	(void)arg;
	for (uint64_t seq = 0; seq < STRESS_MSGS; seq++) {
		size_t len = stress_len(seq);
		uint32_t sum;

		memcpy(msg, &seq, 8);
		for (size_t i = 8; i < len - 4; i++)
			msg[i] = (unsigned char)(seq + i);
		sum = stress_sum(msg, len - 4);
		memcpy(msg + len - 4, &sum, 4);
		while (mbox_ring_send(&ring, msg, len) == -EAGAIN)
			sched_yield();
	}
	return NULL;
}

TEST(mbox_two_thread_stress)
{
	unsigned char out[300];
	pthread_t th;
	long bad_len = 0, bad_seq = 0, bad_sum = 0, waits = 0;

	ring_setup(STRESS_RING);
	CHECK_EQ(pthread_create(&th, NULL, stress_producer, NULL), 0);
	for (uint64_t seq = 0; seq < STRESS_MSGS;) {
		long n = mbox_ring_recv(&ring, out, sizeof(out));
		uint64_t got;
		uint32_t sum;

		if (n == -EAGAIN) {
			waits++;
			continue;
		}
		if (n != (long)stress_len(seq)) {
			bad_len++;
			break;
		}
		memcpy(&got, out, 8);
		memcpy(&sum, out + n - 4, 4);
		bad_seq += got != seq;
		bad_sum += sum != stress_sum(out, (size_t)n - 4);
		seq++;
	}
	pthread_join(th, NULL);
	CHECK_EQ(bad_len, 0);
	CHECK_EQ(bad_seq, 0);
	CHECK_EQ(bad_sum, 0);
	CHECK_EQ(mbox_ring_recv(&ring, out, sizeof(out)), -EAGAIN);
	printf("# stress: %d messages, consumer found the ring empty %ld times\n",
	       STRESS_MSGS, waits);
}

/*
 * Sleep/wake: one sender thread feeding two rings (picked at random, so the receiver's
 * re-check must cover every ring) and one receiver thread that halts (waits on the
 * semaphore standing in for the IPI) whenever it finds nothing. A halt that times out
 * with a message waiting is a lost wakeup. The sender waits for each message to be
 * taken, spinning, then pauses a random while, and the receiver pauses a random
 * while before and after setting its flag, so sends fall at every step of the
 * receiver's way to sleep. Two threads, because the host may have two CPUs.
 */
#define WAKE_RINGS 2
#define WAKE_MSGS 200000

static struct mbox_ring wake_ring[WAKE_RINGS]; /* sender -> receiver */
static _Alignas(64) unsigned char wake_buf[WAKE_RINGS][256]; /* their storage */
static struct mbox_waiter wake_w; /* the receiver's flag */
static sem_t wake_ipi; /* the IPI: posted by the sender, taken by a halt */
static _Atomic long wake_taken; /* messages the receiver took */
static _Atomic long wake_ipis; /* IPIs sent */

static void *wake_sender(void *arg)
{
	uint64_t x = 0x51ed270b;

	(void)arg;
	for (long i = 0; i < WAKE_MSGS; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		/* Random pause, often none. */
		for (volatile unsigned spin = (unsigned)(x % 256) * (x >> 63); spin;
		     spin--)
			;
		while (mbox_ring_send(&wake_ring[(x >> 8) % WAKE_RINGS], &i, sizeof(i)) ==
		       -EAGAIN)
			sched_yield();
		if (mbox_send_needs_ipi(&wake_w)) {
			atomic_fetch_add(&wake_ipis, 1);
			sem_post(&wake_ipi);
		}
		for (unsigned spin = 0; atomic_load(&wake_taken) <= i; spin++)
			if (spin > 10000)
				sched_yield();
	}
	return NULL;
}

/* The receiver's poll: takes every waiting message; returns how many. */
static long wake_drain(long *bad)
{
	long n = 0, msg;

	for (int i = 0; i < WAKE_RINGS; i++) {
		while (mbox_ring_recv(&wake_ring[i], &msg, sizeof(msg)) == sizeof(msg)) {
			*bad += msg != atomic_load(&wake_taken);
			atomic_fetch_add(&wake_taken, 1);
			n++;
		}
	}
	return n;
}

static bool wake_all_empty(void)
{
	for (int i = 0; i < WAKE_RINGS; i++)
		if (!mbox_ring_empty(&wake_ring[i]))
			return false;
	return true;
}

TEST(mbox_sleep_wake_no_lost_wakeup)
{
	pthread_t th;
	long bad = 0, lost = 0, halts = 0, aborted = 0;
	uint64_t x = 0xc0ffee;

	for (int i = 0; i < WAKE_RINGS; i++)
		CHECK_EQ(mbox_ring_init(&wake_ring[i], wake_buf[i], sizeof(wake_buf[i])),
			 0);
	mbox_waiter_init(&wake_w);
	CHECK_EQ(sem_init(&wake_ipi, 0, 0), 0);
	CHECK_EQ(pthread_create(&th, NULL, wake_sender, NULL), 0);

	while (atomic_load(&wake_taken) < WAKE_MSGS && lost < 3) {
		struct timespec ts;

		if (wake_drain(&bad))
			continue;
		/* Random pauses: the kernel does other work on its way to idle. */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		for (volatile unsigned spin = (unsigned)(x % 512) * (x >> 63); spin;
		     spin--)
			;
		mbox_waiter_prepare_sleep(&wake_w);
		for (volatile unsigned spin = (unsigned)(x >> 20) % 256 * (x & 1); spin;
		     spin--)
			;
		if (!wake_all_empty()) {
			aborted++;
			mbox_waiter_wake(&wake_w);
			continue;
		}
		if (atomic_load(&wake_taken) == WAKE_MSGS)
			break;
		/* Halt. Only a missing IPI can make this time out. */
		halts++;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 2;
		if (sem_timedwait(&wake_ipi, &ts) != 0 && errno == ETIMEDOUT &&
		    !wake_all_empty())
			lost++;
		mbox_waiter_wake(&wake_w);
		/* Like an IPI latch: pending wake-ups are consumed by waking up. */
		while (sem_trywait(&wake_ipi) == 0)
			;
	}
	/* After lost wake-ups, finish without sleeping so the sender can end. */
	while (atomic_load(&wake_taken) < WAKE_MSGS)
		wake_drain(&bad);
	pthread_join(th, NULL);
	sem_destroy(&wake_ipi);
	CHECK_EQ(lost, 0);
	CHECK_EQ(bad, 0);
	CHECK(halts > 1000);
	printf("# sleep/wake: %ld halts, %ld aborted by the re-check, %ld IPIs\n", halts,
	       aborted, atomic_load(&wake_ipis));
}
