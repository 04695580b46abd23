/* SPDX-License-Identifier: MIT */
/*
 * Tests of lib/timerq.c: edge cases, then random operations (fixed seed) against a
 * model that keeps the queued entries in an array sorted by (deadline, order of add).
 * After every operation the heap property and the slot/index back-links are checked.
 */
#include "tests/host/check.h"

#include <stdbool.h>

#include "lib/timerq.h"
#include "toro/errno.h"

struct sleeper {
	int id; /* to name it in the model */
	struct timerq_entry te; /* its place in the queue */
};

/* Whether the heap property and the back-links hold for all of q. */
static bool heap_ok(const struct timerq *q)
{
	for (uint32_t i = 0; i < q->n; i++) {
		const struct timerq_entry *e = q->slots[i], *p;

		if (e->index != i)
			return false;
		if (i == 0)
			continue;
		p = q->slots[(i - 1) / 2];
		if (p->deadline > e->deadline ||
		    (p->deadline == e->deadline && p->seq > e->seq))
			return false;
	}
	return true;
}

TEST(timerq_empty)
{
	struct timerq_entry *slots[4];
	struct timerq q;

	CHECK_EQ(timerq_init(&q, slots, 4), 0);
	CHECK(timerq_peek(&q) == NULL);
	CHECK(timerq_pop_expired(&q, UINT64_MAX) == NULL);
	CHECK(timerq_next_deadline(&q) == UINT64_MAX);
	CHECK_EQ(timerq_count(&q), 0);
}

TEST(timerq_init_checks)
{
	struct timerq q;
	struct sleeper s = { 1, { 0 } };

	CHECK_EQ(timerq_init(&q, NULL, 1), -EINVAL);
	CHECK_EQ(timerq_init(&q, NULL, UINT32_MAX), -EINVAL);
	/* Capacity 0 is legal, and always full. */
	CHECK_EQ(timerq_init(&q, NULL, 0), 0);
	timerq_entry_init(&s.te, &s);
	CHECK_EQ(timerq_add(&q, &s.te, 5), -ENOSPC);
	CHECK(!timerq_queued(&s.te));
	CHECK(s.te.owner == &s);
}

TEST(timerq_full_and_busy)
{
	struct timerq_entry *slots[3];
	struct sleeper s[4];
	struct timerq q;

	CHECK_EQ(timerq_init(&q, slots, 3), 0);
	for (int i = 0; i < 4; i++)
		timerq_entry_init(&s[i].te, &s[i]);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(timerq_add(&q, &s[i].te, 100 - (uint64_t)i), 0);
	CHECK_EQ(timerq_add(&q, &s[3].te, 1), -ENOSPC);
	CHECK(!timerq_queued(&s[3].te));
	CHECK_EQ(timerq_add(&q, &s[0].te, 1), -EBUSY);
	CHECK_EQ(s[0].te.deadline, 100);
	CHECK(timerq_peek(&q) == &s[2].te);
	/* Re-arming in a full queue works: it never needs a free slot. */
	CHECK_EQ(timerq_rearm(&q, &s[0].te, 1), 0);
	CHECK(timerq_peek(&q) == &s[0].te);
	CHECK_EQ(timerq_count(&q), 3);
	CHECK(heap_ok(&q));
}

TEST(timerq_remove_checks_membership)
{
	struct timerq_entry *slots_a[4], *slots_b[4];
	struct sleeper s[3];
	struct timerq a, b;

	timerq_init(&a, slots_a, 4);
	timerq_init(&b, slots_b, 4);
	for (int i = 0; i < 3; i++)
		timerq_entry_init(&s[i].te, &s[i]);
	CHECK_EQ(timerq_remove(&a, &s[0].te), -ENOENT);
	CHECK_EQ(timerq_add(&a, &s[0].te, 10), 0);
	CHECK_EQ(timerq_add(&b, &s[1].te, 10), 0);
	/* s[1] has index 0, a valid slot of a, but a's slot 0 holds s[0]. */
	CHECK_EQ(timerq_remove(&a, &s[1].te), -ENOENT);
	CHECK_EQ(timerq_rearm(&a, &s[1].te, 3), -ENOENT);
	CHECK_EQ(timerq_count(&a), 1);
	CHECK_EQ(timerq_remove(&a, &s[0].te), 0);
	CHECK(!timerq_queued(&s[0].te));
	CHECK_EQ(timerq_remove(&a, &s[0].te), -ENOENT);
	CHECK_EQ(timerq_count(&a), 0);
	CHECK_EQ(timerq_remove(&b, &s[1].te), 0);
}

TEST(timerq_equal_deadlines_fifo)
{
	struct timerq_entry *slots[64];
	struct sleeper s[64];
	struct timerq q;
	struct timerq_entry *e;

	timerq_init(&q, slots, 64);
	/* Three deadlines, interleaved; within each, the order of adding must come out. */
	for (int i = 0; i < 60; i++) {
		s[i].id = i;
		timerq_entry_init(&s[i].te, &s[i]);
		CHECK_EQ(timerq_add(&q, &s[i].te, 1000 + (uint64_t)(i % 3) * 10), 0);
	}
	CHECK(timerq_pop_expired(&q, 999) == NULL);
	for (int d = 0; d < 3; d++) {
		for (int i = d; i < 60; i += 3) {
			e = timerq_pop_expired(&q, 1020);
			CHECK(e == &s[i].te);
			CHECK(e && ((struct sleeper *)e->owner)->id == i);
		}
	}
	CHECK(timerq_pop_expired(&q, UINT64_MAX) == NULL);
}

TEST(timerq_pop_expired_bounds)
{
	struct timerq_entry *slots[4];
	struct sleeper s[2];
	struct timerq q;

	timerq_init(&q, slots, 4);
	timerq_entry_init(&s[0].te, &s[0]);
	timerq_entry_init(&s[1].te, &s[1]);
	timerq_add(&q, &s[0].te, UINT64_MAX);
	timerq_add(&q, &s[1].te, 0);
	CHECK_EQ(timerq_next_deadline(&q), 0);
	CHECK(timerq_pop_expired(&q, 0) == &s[1].te);
	CHECK(timerq_pop_expired(&q, UINT64_MAX - 1) == NULL);
	CHECK(timerq_peek(&q) == &s[0].te);
	CHECK(timerq_pop_expired(&q, UINT64_MAX) == &s[0].te);
	CHECK(!timerq_queued(&s[0].te));
}

/* ---- random operations against a sorted-array model ---------------------------- */

#define RQ_CAP 100
#define RQ_POOL 400 /* more entries than slots, so the queue fills */

static uint64_t rq_rng = 0x2545f4914f6cdd1dull; /* xorshift64, fixed seed */

static uint64_t rq_next(void)
{
	rq_rng ^= rq_rng << 13;
	rq_rng ^= rq_rng >> 7;
	rq_rng ^= rq_rng << 17;
	return rq_rng;
}

static int model[RQ_CAP]; /* ids of queued sleepers, sorted by expiry */
static uint64_t model_key[RQ_POOL][2]; /* per id: deadline, model add counter */
static int model_n; /* entries in model */

static bool model_before(int a, int b)
{
	if (model_key[a][0] != model_key[b][0])
		return model_key[a][0] < model_key[b][0];
	return model_key[a][1] < model_key[b][1];
}

static void model_insert(int id)
{
	int i = model_n++;

	while (i > 0 && model_before(id, model[i - 1])) {
		model[i] = model[i - 1];
		i--;
	}
	model[i] = id;
}

static void model_erase(int id)
{
	int i = 0;

	while (model[i] != id)
		i++;
	for (; i < model_n - 1; i++)
		model[i] = model[i + 1];
	model_n--;
}

TEST(timerq_random_against_model)
{
	static struct timerq_entry *slots[RQ_CAP];
	static struct sleeper s[RQ_POOL];
	static bool in[RQ_POOL];
	struct timerq q;
	uint64_t adds = 0, now = 0;
	long mismatches = 0, pops = 0, fulls = 0;

	CHECK_EQ(timerq_init(&q, slots, RQ_CAP), 0);
	for (int i = 0; i < RQ_POOL; i++) {
		s[i].id = i;
		timerq_entry_init(&s[i].te, &s[i]);
	}
	for (int step = 0; step < 200000; step++) {
		uint64_t r = rq_next();
		int id = (int)(r % RQ_POOL);
		/* Few distinct deadlines near now, so ties are common. */
		uint64_t deadline = now + (r >> 20) % 64;

		switch ((r >> 8) % 6) {
		case 0:
		case 1:
		case 2: {
			int rc = timerq_add(&q, &s[id].te, deadline);

			if (in[id]) {
				mismatches += rc != -EBUSY;
			} else if (model_n == RQ_CAP) {
				mismatches += rc != -ENOSPC;
				fulls++;
			} else {
				mismatches += rc != 0;
				in[id] = true;
				model_key[id][0] = deadline;
				model_key[id][1] = adds++;
				model_insert(id);
			}
			break;
		}
		case 3: {
			int rc = timerq_remove(&q, &s[id].te);

			mismatches += rc != (in[id] ? 0 : -ENOENT);
			if (in[id]) {
				in[id] = false;
				model_erase(id);
			}
			break;
		}
		case 4: {
			int rc = timerq_rearm(&q, &s[id].te, deadline);

			if (!in[id] && model_n == RQ_CAP) {
				mismatches += rc != -ENOSPC;
				break;
			}
			mismatches += rc != 0;
			if (in[id])
				model_erase(id);
			in[id] = true;
			model_key[id][0] = deadline;
			model_key[id][1] = adds++;
			model_insert(id);
			break;
		}
		default: {
			struct timerq_entry *e;

			/* Phases of slow and fast time: the queue fills, then drains. */
			now += (r >> 40) % ((step / 20000) % 2 ? 8 : 2);
			while ((e = timerq_pop_expired(&q, now))) {
				int got = ((struct sleeper *)e->owner)->id;

				mismatches += model_n == 0 || got != model[0] ||
					      model_key[got][0] > now || timerq_queued(e);
				if (model_n == 0)
					break;
				in[model[0]] = false;
				model_erase(model[0]);
				pops++;
			}
			mismatches += model_n > 0 && model_key[model[0]][0] <= now;
			break;
		}
		}
		mismatches += timerq_count(&q) != (uint32_t)model_n;
		if (model_n == 0)
			mismatches += timerq_peek(&q) != NULL;
		else
			mismatches += timerq_peek(&q) != &s[model[0]].te ||
				      timerq_next_deadline(&q) != model_key[model[0]][0];
		if (!heap_ok(&q))
			mismatches++;
		if (mismatches) {
			CHECK_EQ(step, -1); /* name the first failing step */
			break;
		}
	}
	CHECK_EQ(mismatches, 0);
	CHECK(pops > 10000);
	CHECK(fulls > 100);
	printf("# %ld pops, %ld adds refused as full\n", pops, fulls);
	/* Drain: everything comes out in model order. */
	while (model_n > 0) {
		struct timerq_entry *e = timerq_pop_expired(&q, UINT64_MAX);

		CHECK(e == &s[model[0]].te);
		model_erase(model[0]);
	}
	CHECK_EQ(timerq_count(&q), 0);
}
