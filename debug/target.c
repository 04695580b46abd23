/* SPDX-License-Identifier: MIT */
/*
 * The GDB stub's target: the operations lib/gdb_rsp.c calls (struct
 * gdb_target_ops), run while every CPU is stopped.
 *
 * Registers: a thread running on a stopped CPU has that CPU's trap frame; a
 * switched-out thread has what arch_switch saved on its stack (rbx, rbp,
 * r12-r15 and the return address, switch.S); the rest is sent as unavailable.
 * Memory: every page is looked up in the page tables first (vm_query), so a bad
 * address is an error reply, never a fault; device pages (uncached) are refused,
 * since reading a register can change the device. Writes go through read-only
 * mappings with CR0.WP cleared for the copy (interrupts are off in the stub).
 * Breakpoints: int3 patched in (reads show the original byte), and DR0-DR3
 * (Intel SDM vol. 3, 18.2.4: R/W 00 execute, 01 write, 11 read or write; LEN
 * 00 1 byte, 01 2, 11 4, 10 8; the address aligned to the length).
 */
#include "debug/target.h"

#include <stddef.h>

#include "arch/x86_64/arch.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/layout.h"
#include "kernel/kmem.h"
#include "kernel/ksyms.h"
#include "kernel/sched.h"
#include "lib/kstring.h"
#include "toro/errno.h"
#include "toro/toro.h"

#define SW_POINTS 64
#define HW_POINTS 4
#define INT3 0xcc
#define SWITCH_FRAME 7 /* words arch_switch leaves: r15 r14 r13 r12 rbx rbp ret */
#define KERNEL_CS 0x08
#define KERNEL_SS 0x10

struct gdb_cpu gdb_cpus[PCPU_MAX];

static struct sw_point {
	uintptr_t addr;
	uint8_t orig; /* the byte under the int3 */
	bool used;
} sw[SW_POINTS];

static struct hw_point {
	uintptr_t addr;
	enum gdb_point type;
	unsigned len;
	bool used;
} hw[HW_POINTS];

/* ---- threads --------------------------------------------------------------- */

static bool cpu_exists(int c)
{
	return c >= 0 && c < toro_ncpus();
}

struct thread *gdb_thread_of(int tid)
{
	if (tid == 1)
		return sched_cpu_first(0);
	if (tid >= 2 && tid <= SCHED_THREADS_MAX + 1)
		return sched_thread(tid - 1);
	if (cpu_exists(tid - GDB_TID_IDLE))
		return sched_cpu_idle(tid - GDB_TID_IDLE);
	return NULL;
}

int gdb_tid_of(struct thread *t)
{
	if (t == sched_cpu_first(0))
		return 1;
	if (t->id)
		return t->id + 1;
	return GDB_TID_IDLE + t->cpu;
}

static bool running(const struct thread *t)
{
	return pcpus[t->cpu].current == t;
}

struct trap_frame *gdb_frame_of(int tid)
{
	struct thread *t = gdb_thread_of(tid);

	return t && running(t) ? gdb_cpus[t->cpu].frame : NULL;
}

static int thread_next(void *ctx, int after)
{
	(void)ctx;
	for (int tid = after + 1; tid < GDB_TID_IDLE + toro_ncpus(); tid++)
		if (gdb_thread_of(tid))
			return tid;
	return 0;
}

static void copy_str(char *dst, const char *src, size_t cap)
{
	size_t n = strnlen(src, cap - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

static int thread_info(void *ctx, int tid, struct gdb_thread *i)
{
	struct thread *t = gdb_thread_of(tid);
	const char *name = "thread", *state = "runnable";
	uintptr_t off;
	size_t size;

	(void)ctx;
	if (!t)
		return -ESRCH;
	if (tid == 1)
		name = "main";
	else if (tid >= GDB_TID_IDLE)
		name = "idle";
	else if (t->entry && ksyms_lookup((uintptr_t)t->entry, &off, &size))
		name = ksyms_lookup((uintptr_t)t->entry, &off, &size);
	if (running(t))
		state = tid >= GDB_TID_IDLE ? "idle" : "running";
	else if (t->state == THREAD_BLOCKED)
		state = "blocked";
	else if (t->state == THREAD_EXITED)
		state = "exited";
	i->cpu = t->cpu;
	copy_str(i->name, name, sizeof(i->name));
	copy_str(i->state, state, sizeof(i->state));
	return 0;
}

/* ---- registers --------------------------------------------------------------- */

#define BIT(n) (1ull << (n))
#define AVAIL_FRAME \
	((BIT(GDB_REG_GS + 1) - 1) | BIT(GDB_REG_FS_BASE) | BIT(GDB_REG_GS_BASE))
#define AVAIL_SWITCHED                                                               \
	(BIT(GDB_REG_RBX) | BIT(GDB_REG_RBP) | BIT(GDB_REG_RSP) | BIT(GDB_REG_R12) | \
	 BIT(GDB_REG_R13) | BIT(GDB_REG_R14) | BIT(GDB_REG_R15) | BIT(GDB_REG_RIP) | \
	 BIT(GDB_REG_CS) | BIT(GDB_REG_SS))

/* The switch frame of a thread that is not running, if it lies in its stack. */
static uint64_t *switch_frame(const struct thread *t)
{
	uintptr_t sp = t->rsp;

	if (running(t) || !sp || (sp & 7) || sp < t->kstack.lo ||
	    sp + SWITCH_FRAME * 8 > t->kstack.hi)
		return NULL;
	return (uint64_t *)sp;
}

static void frame_to_regs(const struct trap_frame *f, const struct gdb_cpu *c,
			  struct gdb_regs *r)
{
	const uint64_t g[16] = { f->rax, f->rbx, f->rcx, f->rdx, f->rsi, f->rdi,
				 f->rbp, f->rsp, f->r8,	 f->r9,	 f->r10, f->r11,
				 f->r12, f->r13, f->r14, f->r15 };

	memcpy(r->gpr, g, sizeof(g));
	r->rip = f->rip;
	/* TF and RF are the stub's own business. */
	r->eflags = (uint32_t)(f->rflags & ~(RFLAGS_TF | RFLAGS_RF));
	r->seg[0] = (uint32_t)f->cs;
	r->seg[1] = (uint32_t)f->ss;
	r->seg[2] = c->ds;
	r->seg[3] = c->es;
	r->seg[4] = c->fs;
	r->seg[5] = c->gs;
	r->fs_base = c->fs_base;
	r->gs_base = c->gs_base;
	r->avail = AVAIL_FRAME;
}

static int get_regs(void *ctx, int tid, struct gdb_regs *r)
{
	struct thread *t = gdb_thread_of(tid);
	struct trap_frame *f;
	uint64_t *sp;

	(void)ctx;
	if (!t)
		return -ESRCH;
	memset(r, 0, sizeof(*r));
	if ((f = gdb_frame_of(tid))) {
		frame_to_regs(f, &gdb_cpus[t->cpu], r);
	} else if ((sp = switch_frame(t))) {
		r->gpr[GDB_REG_R15] = sp[0];
		r->gpr[GDB_REG_R14] = sp[1];
		r->gpr[GDB_REG_R13] = sp[2];
		r->gpr[GDB_REG_R12] = sp[3];
		r->gpr[GDB_REG_RBX] = sp[4];
		r->gpr[GDB_REG_RBP] = sp[5];
		r->rip = sp[6];
		r->gpr[GDB_REG_RSP] = t->rsp + SWITCH_FRAME * 8;
		r->seg[0] = KERNEL_CS;
		r->seg[1] = KERNEL_SS;
		r->avail = AVAIL_SWITCHED;
	}
	return 0; /* a CPU that did not stop in time: nothing known */
}

/* Whether r changes a register that cannot be stored (avail says which can). */
static bool changes_fixed(const struct gdb_regs *now, const struct gdb_regs *r,
			  uint64_t can)
{
	const uint64_t *a = now->gpr, *b = r->gpr;

	for (int i = 0; i < 16; i++)
		if ((r->avail & BIT(i)) && !(can & BIT(i)) && a[i] != b[i])
			return true;
	for (int i = 0; i < 6; i++)
		if ((r->avail & BIT(GDB_REG_CS + i)) && now->seg[i] != r->seg[i])
			return true;
	return ((r->avail & BIT(GDB_REG_FS_BASE)) && now->fs_base != r->fs_base) ||
	       ((r->avail & BIT(GDB_REG_GS_BASE)) && now->gs_base != r->gs_base) ||
	       ((r->avail & BIT(GDB_REG_RIP)) && !(can & BIT(GDB_REG_RIP)) &&
		now->rip != r->rip);
}

static int set_regs(void *ctx, int tid, const struct gdb_regs *r)
{
	struct thread *t = gdb_thread_of(tid);
	struct gdb_regs now;
	struct trap_frame *f;
	uint64_t *sp;

	if (get_regs(ctx, tid, &now))
		return -ESRCH;
	if ((f = gdb_frame_of(tid))) {
		uint64_t *g[16] = { &f->rax, &f->rbx, &f->rcx, &f->rdx, &f->rsi, &f->rdi,
				    &f->rbp, &f->rsp, &f->r8,  &f->r9,	&f->r10, &f->r11,
				    &f->r12, &f->r13, &f->r14, &f->r15 };

		if (changes_fixed(&now, r, (BIT(16) - 1) | BIT(GDB_REG_RIP)))
			return -EPERM;
		for (int i = 0; i < 16; i++)
			if (r->avail & BIT(i))
				*g[i] = r->gpr[i];
		if (r->avail & BIT(GDB_REG_RIP))
			f->rip = r->rip;
		/* Only the flags a program may change; IF and the rest stay. */
		if (r->avail & BIT(GDB_REG_EFLAGS))
			f->rflags = (f->rflags & ~0xcd5ul) | (r->eflags & 0xcd5u);
		return 0;
	}
	if ((sp = switch_frame(t))) {
		if (changes_fixed(&now, r, AVAIL_SWITCHED & ~BIT(GDB_REG_RSP)))
			return -EPERM;
		const int slot[16] = {
			[GDB_REG_R15] = 1, [GDB_REG_R14] = 2, [GDB_REG_R13] = 3,
			[GDB_REG_R12] = 4, [GDB_REG_RBX] = 5, [GDB_REG_RBP] = 6
		};

		for (int i = 0; i < 16; i++)
			if ((r->avail & BIT(i)) && slot[i])
				sp[slot[i] - 1] = r->gpr[i];
		if (r->avail & BIT(GDB_REG_RIP))
			sp[6] = r->rip;
		return 0;
	}
	return -EPERM;
}

/* ---- memory ---------------------------------------------------------------- */

static bool canonical(uint64_t a)
{
	return a < 0x0000800000000000ull || a >= 0xffff800000000000ull;
}

/* Bytes from addr (at most n) that lie in mapped, ordinary memory. */
static size_t readable(uint64_t addr, size_t n)
{
	size_t ok = 0;
	unsigned flags;

	while (ok < n) {
		uint64_t a = addr + ok, page = a & ~(uint64_t)(PAGE_SIZE - 1);
		size_t k = PAGE_SIZE - (a - page);

		if (a < addr || !canonical(a) || !vm_query((uintptr_t)page, &flags) ||
		    (flags & VM_UC))
			break;
		ok += k < n - ok ? k : n - ok;
	}
	return ok;
}

static size_t read_mem(void *ctx, uint64_t addr, void *buf, size_t n)
{
	(void)ctx;
	n = readable(addr, n);
	memcpy(buf, (const void *)(uintptr_t)addr, n);
	/* gdb sees the program's bytes, not our int3s. */
	for (int i = 0; i < SW_POINTS; i++)
		if (sw[i].used && sw[i].addr >= addr && sw[i].addr - addr < n)
			((uint8_t *)buf)[sw[i].addr - addr] = sw[i].orig;
	return n;
}

/* Copies with write protection off: breakpoints go into read-only text. */
static void poke(uintptr_t addr, const void *buf, size_t n)
{
	uint64_t cr0 = read_cr0();

	write_cr0(cr0 & ~CR0_WP);
	memcpy((void *)addr, buf, n);
	write_cr0(cr0);
}

static int write_mem(void *ctx, uint64_t addr, const void *buf, size_t n)
{
	const uint8_t int3 = INT3;

	(void)ctx;
	if (readable(addr, n) != n)
		return -EFAULT;
	poke((uintptr_t)addr, buf, n);
	/* A write over one of our int3s changes what is under it. */
	for (int i = 0; i < SW_POINTS; i++)
		if (sw[i].used && sw[i].addr >= addr && sw[i].addr - addr < n) {
			sw[i].orig = ((const uint8_t *)buf)[sw[i].addr - addr];
			poke(sw[i].addr, &int3, 1);
		}
	return 0;
}

/* ---- breakpoints and watchpoints ------------------------------------------- */

bool gdb_sw_point_at(uintptr_t addr)
{
	for (int i = 0; i < SW_POINTS; i++)
		if (sw[i].used && sw[i].addr == addr)
			return true;
	return false;
}

static int sw_point(uintptr_t addr, bool insert)
{
	const uint8_t int3 = INT3;
	struct sw_point *free_slot = NULL;

	for (int i = 0; i < SW_POINTS; i++) {
		if (sw[i].used && sw[i].addr == addr) {
			if (!insert) {
				poke(addr, &sw[i].orig, 1);
				sw[i].used = false;
			}
			return 0;
		}
		if (!sw[i].used && !free_slot)
			free_slot = &sw[i];
	}
	if (!insert)
		return 0; /* not there: nothing to take out */
	if (!free_slot)
		return -ENOSPC;
	if (readable(addr, 1) != 1)
		return -EFAULT;
	free_slot->addr = addr;
	free_slot->orig = *(const uint8_t *)addr;
	free_slot->used = true;
	poke(addr, &int3, 1);
	return 0;
}

static int hw_point(enum gdb_point type, uintptr_t addr, unsigned len, bool insert)
{
	struct hw_point *free_slot = NULL;

	if (type == GDB_POINT_HW)
		len = 1; /* gdb's kind for x86 breakpoints is 1 */
	else if ((len != 1 && len != 2 && len != 4 && len != 8) || (addr & (len - 1)))
		return -EINVAL;
	if (!canonical(addr))
		return -EINVAL;
	for (int i = 0; i < HW_POINTS; i++) {
		if (hw[i].used && hw[i].addr == addr && hw[i].type == type &&
		    hw[i].len == len) {
			if (!insert)
				hw[i].used = false;
			return 0;
		}
		if (!hw[i].used && !free_slot)
			free_slot = &hw[i];
	}
	if (!insert)
		return 0;
	if (!free_slot)
		return -ENOSPC; /* gdb says it could not insert the point */
	*free_slot = (struct hw_point){ addr, type, len, true };
	return 0;
}

static int point(void *ctx, enum gdb_point type, uint64_t addr, unsigned kind,
		 bool insert)
{
	(void)ctx;
	if (type == GDB_POINT_SW)
		return canonical(addr) ? sw_point((uintptr_t)addr, insert) : -EFAULT;
	return hw_point(type, (uintptr_t)addr, kind, insert);
}

void gdb_points_load(void)
{
	static const uint64_t rw[] = { [GDB_POINT_HW] = 0,
				       [GDB_POINT_WRITE] = 1,
				       [GDB_POINT_READ] = 3,
				       [GDB_POINT_ACCESS] = 3 };
	static const uint64_t lenbits[9] = { [1] = 0, [2] = 1, [4] = 3, [8] = 2 };
	uint64_t dr7 = 0;

	for (int i = 0; i < HW_POINTS; i++) {
		if (!hw[i].used)
			continue;
		write_dr(i, hw[i].addr);
		dr7 |= (1ull << (2 * i)) | (rw[hw[i].type] << (16 + 4 * i)) |
		       (lenbits[hw[i].len] << (18 + 4 * i));
	}
	write_dr7(dr7);
}

bool gdb_hw_hit(uint64_t dr6, struct gdb_stop *st)
{
	for (int i = 0; i < HW_POINTS; i++) {
		if (!(dr6 & (1ull << i)) || !hw[i].used)
			continue;
		st->addr = hw[i].addr;
		st->why = hw[i].type == GDB_POINT_HW	? GDB_STOP_HWBREAK :
			  hw[i].type == GDB_POINT_WRITE ? GDB_STOP_WATCH :
			  hw[i].type == GDB_POINT_READ	? GDB_STOP_RWATCH :
							  GDB_STOP_AWATCH;
		return true;
	}
	return false;
}

void gdb_points_clear(void)
{
	for (int i = 0; i < SW_POINTS; i++)
		if (sw[i].used)
			sw_point(sw[i].addr, false);
	for (int i = 0; i < HW_POINTS; i++)
		hw[i].used = false;
}

/* ---- the ops ----------------------------------------------------------------- */

const struct gdb_target_ops gdb_target_ops = {
	.send = gdb_send,
	.get_regs = get_regs,
	.set_regs = set_regs,
	.read_mem = read_mem,
	.write_mem = write_mem,
	.point = point,
	.thread_next = thread_next,
	.thread_info = thread_info,
};
