/* SPDX-License-Identifier: MIT */
/*
 * Descriptor tables and CPU exceptions.
 *
 * #DB, #BP and NMI belong to the GDB stub when it serves (debug/gdb.c); every
 * other exception is fatal, and stops in the stub first when a debugger is
 * attached (or after the report with gdb=crash). The report names the exception, decodes the error code, prints every register
 * and, for page faults, CR2 with what it points at (NULL page, a stack's guard
 * page), then a symbolized backtrace, and ends the VM with exit code 70.
 *
 * The handlers run on their own stack (IST1, in the TSS) so that a stack overflow
 * - a push into the guard page - still reaches the page-fault handler instead of
 * escalating to a double and then a triple fault.
 */
#include "arch/x86_64/arch.h"

#include <stdbool.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/irq.h"
#include "arch/x86_64/layout.h"
#include "debug/gdb.h"
#include "kernel/kmem.h"
#include "kernel/ksyms.h"
#include "kernel/percpu.h"
#include "kernel/printk.h"
#include "kernel/sched.h"
#include "platform/platform.h"

#define GDT_KERNEL_CODE 0x08
#define GDT_KERNEL_DATA 0x10
#define GDT_TSS 0x18
#define IDT_INTERRUPT_GATE 0x8e /* present, ring 0, 64-bit interrupt gate */
#define BACKTRACE_MAX 32

/* 64-bit TSS (Intel SDM vol. 3, 8.7); only the IST pointers matter here. */
struct __attribute__((packed)) tss {
	uint32_t reserved0; /* unused */
	uint64_t rsp[3]; /* stacks for privilege changes: unused, all ring 0 */
	uint64_t reserved1; /* unused */
	uint64_t ist[7]; /* interrupt stack table: IST1 is the exception stack */
	uint64_t reserved2; /* unused */
	uint16_t reserved3; /* unused */
	uint16_t iomap_base; /* beyond the limit: no I/O permission bitmap */
};
_Static_assert(sizeof(struct tss) == 104, "TSS size");

struct idt_gate {
	uint16_t offset_lo; /* handler address bits 0..15 */
	uint16_t selector; /* code segment */
	uint8_t ist; /* IST index, 0 for the current stack */
	uint8_t type; /* gate type and present bit */
	uint16_t offset_mid; /* bits 16..31 */
	uint32_t offset_hi; /* bits 32..63 */
	uint32_t reserved; /* zero */
};
_Static_assert(sizeof(struct idt_gate) == 16, "IDT gate size");

/* Each CPU has its own GDT and TSS: the TSS holds its exception stack, and a TSS
 * descriptor is marked busy once loaded, so it cannot be shared. */
struct cpu_tables {
	struct tss tss; /* IST1: this CPU's exception stack */
	uint64_t gdt[5]; /* null, code, data, TSS (two slots) */
};

static struct cpu_tables cpu_tables[PCPU_MAX];
static struct idt_gate idt[256];
static char ist_stack[PAGE_SIZE + IST_STACK_SIZE] __attribute__((aligned(PAGE_SIZE)));
extern const uint64_t isr_table[32];
extern const char irq_stubs[];

static const char *const exception_names[32] = {
	"divide error (#DE)",
	"debug (#DB)",
	"non-maskable interrupt (NMI)",
	"breakpoint (#BP)",
	"overflow (#OF)",
	"bound range exceeded (#BR)",
	"invalid opcode (#UD)",
	"device not available (#NM)",
	"double fault (#DF)",
	"coprocessor segment overrun",
	"invalid TSS (#TS)",
	"segment not present (#NP)",
	"stack-segment fault (#SS)",
	"general protection fault (#GP)",
	"page fault (#PF)",
	"reserved vector 15",
	"x87 floating-point error (#MF)",
	"alignment check (#AC)",
	"machine check (#MC)",
	"SIMD floating-point exception (#XM)",
	"virtualization exception (#VE)",
	"control protection exception (#CP)",
	"reserved vector 22",
	"reserved vector 23",
	"reserved vector 24",
	"reserved vector 25",
	"reserved vector 26",
	"reserved vector 27",
	"hypervisor injection exception (#HV)",
	"VMM communication exception (#VC)",
	"security exception (#SX)",
	"reserved vector 31",
};

static void set_gate(int vec, uint64_t handler, int ist)
{
	struct idt_gate *g = &idt[vec];

	g->offset_lo = (uint16_t)handler;
	g->selector = GDT_KERNEL_CODE;
	g->ist = (uint8_t)ist;
	g->type = IDT_INTERRUPT_GATE;
	g->offset_mid = (uint16_t)(handler >> 16);
	g->offset_hi = (uint32_t)(handler >> 32);
	g->reserved = 0;
}

void arch_cpu_tables(int cpu, uintptr_t ist_lo, uintptr_t ist_hi)
{
	struct cpu_tables *c = &cpu_tables[cpu];
	uint64_t base = (uintptr_t)&c->tss, limit = sizeof(c->tss) - 1;
	struct desc_ptr p;

	c->tss.ist[0] = ist_hi;
	c->tss.iomap_base = sizeof(c->tss);
	c->gdt[0] = 0;
	c->gdt[1] = 0x00af9a000000ffffull; /* 64-bit code, ring 0 */
	c->gdt[2] = 0x00cf92000000ffffull; /* data, ring 0 */
	/* A 16-byte system descriptor: available 64-bit TSS (type 9). */
	c->gdt[3] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
		    (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	c->gdt[4] = base >> 32;
	p.limit = sizeof(c->gdt) - 1;
	p.base = (uintptr_t)c->gdt;
	lgdt(&p);
	/* Reload CS with a far return, then the data segments. */
	__asm__ volatile("pushq %0\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "movw %w1, %%ds\n\t"
			 "movw %w1, %%es\n\t"
			 "movw %w1, %%ss"
			 :
			 : "i"(GDT_KERNEL_CODE), "r"(GDT_KERNEL_DATA)
			 : "rax", "memory");
	ltr(GDT_TSS);
	p.limit = sizeof(idt) - 1;
	p.base = (uintptr_t)idt;
	lidt(&p);
	kmem_stack_register(ist_lo, ist_hi, "exception stack");
}

void arch_traps_init(void)
{
	/* #DB and #BP stay on the current stack: the debugger will resume from them. */
	for (int v = 0; v < 32; v++)
		set_gate(v, isr_table[v], v == 1 || v == 3 ? 0 : 1);
	/* Interrupts run on the interrupted thread's stack; stubs are 16 bytes apart. */
	for (int v = 32; v < 256; v++)
		set_gate(v, (uintptr_t)irq_stubs + (uintptr_t)(v - 32) * 16, 0);
	/* CPU 0's exception stack is static: it is needed before the allocators.
	 * The guard page at its bottom is unmapped by vm_init. */
	arch_cpu_tables(0, (uintptr_t)ist_stack + PAGE_SIZE,
			(uintptr_t)ist_stack + sizeof(ist_stack));
}

uintptr_t arch_ist_guard(void)
{
	return (uintptr_t)ist_stack;
}

/* A frame pointer is followed only inside a registered stack, upwards. */
static const struct kstack *frame_ok(uintptr_t rbp, uintptr_t prev)
{
	const struct kstack *s = kmem_stack_containing(rbp);

	if (!s || (rbp & 7) || rbp <= prev || rbp + 16 > s->hi)
		return NULL;
	return s;
}

static void print_frame(int i, uintptr_t addr)
{
	char sym[96];

	ksyms_format(addr, sym, sizeof(sym));
	printk("  #%-2d %#018lx %s\n", i, addr, sym);
}

/*
 * The return address of a function caught before its frame exists: at its first
 * instruction, after `push %rbp`, or anywhere in a leaf compiled without a frame.
 * Then %rbp still belongs to the caller, whose own caller the chain would give,
 * so the caller itself is read from the stack. Returns 0 when the frame is set up.
 */
static uintptr_t frameless_caller(uintptr_t rip, uintptr_t rsp)
{
	static const uint8_t prologue[4] = { 0x55, 0x48, 0x89, 0xe5 }; /* push/mov rbp */
	uintptr_t off, slot;
	size_t size;

	bool framed = false;

	if (!rsp)
		return 0;
	/* Outside any function (a bad jump): the caller's call left it at [rsp]. */
	if (ksyms_lookup(rip, &off, &size))
		framed = __builtin_memcmp((const void *)(rip - off), prologue,
					  sizeof(prologue)) == 0;
	else
		off = 0;

	if (framed && off >= sizeof(prologue))
		return 0;
	slot = framed && off >= 1 ? rsp + 8 : rsp;
	if (!kmem_stack_containing(slot) || !kmem_stack_containing(slot + 7))
		return 0;
	return *(const uintptr_t *)slot;
}

void arch_backtrace_print(uintptr_t rip, uintptr_t rbp, uintptr_t rsp)
{
	uintptr_t caller = frameless_caller(rip, rsp);
	int i = 0;

	printk("backtrace:\n");
	print_frame(i++, rip);
	if (caller)
		print_frame(i++, caller - 1);
	for (uintptr_t prev = 0; i < BACKTRACE_MAX && frame_ok(rbp, prev); i++) {
		const uintptr_t *f = (const uintptr_t *)rbp;

		if (f[1] == 0)
			break;
		/* A return address points after the call; -1 names the caller's line. */
		print_frame(i, f[1] - 1);
		prev = rbp;
		rbp = f[0];
	}
	if (i == BACKTRACE_MAX && frame_ok(rbp, 0))
		printk("  ... (more frames)\n");
}

size_t arch_backtrace(uintptr_t *out, size_t max)
{
	uintptr_t rbp = read_rbp(), prev = 0;
	size_t n = 0;

	while (n < max && frame_ok(rbp, prev)) {
		const uintptr_t *f = (const uintptr_t *)rbp;

		if (f[1] == 0)
			break;
		out[n++] = f[1];
		prev = rbp;
		rbp = f[0];
	}
	return n;
}

void arch_capture_registers(struct trap_frame *f)
{
	__asm__ volatile("movq %%rax, 112(%0)\n\t"
			 "movq %%rbx, 104(%0)\n\t"
			 "movq %%rcx, 96(%0)\n\t"
			 "movq %%rdx, 88(%0)\n\t"
			 "movq %%rsi, 80(%0)\n\t"
			 "movq %%rdi, 72(%0)\n\t"
			 "movq %%rbp, 64(%0)\n\t"
			 "movq %%r8, 56(%0)\n\t"
			 "movq %%r9, 48(%0)\n\t"
			 "movq %%r10, 40(%0)\n\t"
			 "movq %%r11, 32(%0)\n\t"
			 "movq %%r12, 24(%0)\n\t"
			 "movq %%r13, 16(%0)\n\t"
			 "movq %%r14, 8(%0)\n\t"
			 "movq %%r15, 0(%0)\n\t"
			 "movq %%rsp, 160(%0)\n\t"
			 "pushfq\n\t"
			 "popq 152(%0)"
			 :
			 : "r"(f)
			 : "memory");
	uint16_t cs, ss;

	__asm__ volatile("movw %%cs, %0\n\tmovw %%ss, %1" : "=r"(cs), "=r"(ss));
	f->cs = cs;
	f->ss = ss;
	f->vector = f->error = 0;
	/* The caller's view once this returns: its rbp, its rsp, its next rip. */
	const uintptr_t *frame = __builtin_frame_address(0);

	f->rbp = frame[0];
	f->rsp = (uintptr_t)frame + 16;
	f->rip = (uintptr_t)__builtin_return_address(0);
}

void arch_print_registers(const struct trap_frame *f)
{
	printk("  rax %016lx rbx %016lx rcx %016lx\n", f->rax, f->rbx, f->rcx);
	printk("  rdx %016lx rsi %016lx rdi %016lx\n", f->rdx, f->rsi, f->rdi);
	printk("  rbp %016lx rsp %016lx r8  %016lx\n", f->rbp, f->rsp, f->r8);
	printk("  r9  %016lx r10 %016lx r11 %016lx\n", f->r9, f->r10, f->r11);
	printk("  r12 %016lx r13 %016lx r14 %016lx\n", f->r12, f->r13, f->r14);
	printk("  r15 %016lx rip %016lx rflags %08lx\n", f->r15, f->rip, f->rflags);
	printk("  cs %04lx ss %04lx cr3 %016lx\n", f->cs, f->ss, read_cr3());
}

/* Page-fault error code bits (Intel SDM vol. 3, 4.7). */
static void explain_page_fault(const struct trap_frame *f, uintptr_t cr2)
{
	const struct kstack *s = kmem_stack_guard_hit(cr2);

	printk("  cr2 %016lx (%s %s%s%s)\n", cr2,
	       f->error & 1 ? "protection violation" : "page not present",
	       f->error & 16 ? "on instruction fetch" :
	       f->error & 2  ? "on write" :
			       "on read",
	       f->error & 8 ? ", reserved bit set" : "",
	       f->error & 4 ? ", user mode" : "");
	if (cr2 < PAGE_SIZE)
		printk("  NULL pointer dereference (address %#lx)\n", cr2);
	else if (s)
		printk("  stack overflow: hit the guard page below the %s [%#lx-%#lx)\n",
		       s->name, s->lo, s->hi);
}

static int in_trap;

/* Called by isr_common with the saved state. Exceptions never return for now. */
void trap_dispatch(struct trap_frame *f)
{
	uintptr_t cr2 = read_cr2();
	char sym[96];

	if (f->vector >= 32) {
		irq_dispatch(f);
		return;
	}
	if (f->vector >= 1 && f->vector <= 3 && gdb_debug_trap(f))
		return;
	if (gdb_attached())
		gdb_fatal(f, false); /* gdb looks first; the report follows */
	if (in_trap++) {
		/* A fault while reporting one: say the minimum and stop. */
		printk("\nnested exception %lu at %#lx while reporting; stopping\n",
		       f->vector, f->rip);
		plat_exit(TORO_EXIT_PANIC);
	}
	console_lock(); /* the whole report in one piece; never released */
	console_panic();
	ksyms_format(f->rip, sym, sizeof(sym));
	printk("\nexception: %s at %#lx in %s, error code %#lx\n",
	       f->vector < 32 ? exception_names[f->vector] : "unknown", f->rip, sym,
	       f->error);
	struct thread *th = sched_current();

	if (th && th->id)
		printk("  in thread %d on CPU %d\n", th->id, pcpu_id());
	else
		printk("  in the main thread on CPU %d\n", pcpu_id());
	if (f->vector == 14)
		explain_page_fault(f, cr2);
	arch_print_registers(f);
	arch_backtrace_print(f->rip, f->rbp, f->rsp);
	if (!gdb_attached())
		gdb_fatal(f, false); /* gdb=crash: wait for a debugger */
	gdb_exit(TORO_EXIT_PANIC);
	plat_exit(TORO_EXIT_PANIC);
}
