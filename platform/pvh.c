/* SPDX-License-Identifier: MIT */
/*
 * PVH start info: checked and copied into the kernel before anything else can
 * reuse the memory it lives in. The VMM is trusted to boot us but not to be
 * right: every address and count is checked against what the early page tables
 * map (the first GiB) before it is read.
 */
#include "platform/platform.h"

#include "arch/x86_64/cpu.h"
#include "kernel/printk.h"
#include "lib/kstring.h"

struct boot_info boot_info;
uint64_t boot_tsc[BOOT_PHASES];
struct boot_mark boot_marks[BOOT_MARKS_MAX];
int boot_nmarks;

void boot_mark(const char *name, int n)
{
	if (boot_nmarks < BOOT_MARKS_MAX)
		boot_marks[boot_nmarks++] = (struct boot_mark){ name, n, rdtsc() };
}

/* entry.S maps the first GiB; nothing above it can be read this early. */
#define EARLY_MAPPED (1ull << 30)

static bool early_readable(uint64_t pa, uint64_t len)
{
	return pa != 0 && pa < EARLY_MAPPED && len <= EARLY_MAPPED - pa;
}

void plat_pvh_init(uint32_t pa)
{
	const struct hvm_start_info *si = (const void *)(uintptr_t)pa;

	if (!early_readable(pa, sizeof(*si)))
		panic("PVH start info at %#x is not readable", pa);
	if (si->magic != HVM_START_MAGIC_VALUE)
		panic("bad PVH start info magic %#x at %#x (want %#x)", si->magic, pa,
		      HVM_START_MAGIC_VALUE);
	boot_info.start_info = pa;
	boot_info.rsdp = si->rsdp_paddr;

	if (si->cmdline_paddr && early_readable(si->cmdline_paddr, 1)) {
		const char *s = (const char *)(uintptr_t)si->cmdline_paddr;
		uint64_t room = EARLY_MAPPED - si->cmdline_paddr;
		size_t max = room < BOOT_CMDLINE_MAX ? (size_t)room : BOOT_CMDLINE_MAX;
		size_t n = strnlen(s, max);

		if (n == BOOT_CMDLINE_MAX) {
			n = BOOT_CMDLINE_MAX - 1;
			boot_info.cmdline_cut = true;
		}
		memcpy(boot_info.cmdline, s, n);
		boot_info.cmdline[n] = '\0';
	} else if (si->cmdline_paddr) {
		printk("pvh: command line at %#llx is out of reach, ignored\n",
		       (unsigned long long)si->cmdline_paddr);
	}

	if (si->version < 1 || si->memmap_entries == 0)
		panic("PVH start info has no memory map (version %u)", si->version);
	size_t n = si->memmap_entries;

	if (n > BOOT_MEMMAP_MAX) {
		boot_info.memmap_dropped = n - BOOT_MEMMAP_MAX;
		n = BOOT_MEMMAP_MAX;
	}
	if (!early_readable(si->memmap_paddr, n * sizeof(boot_info.memmap[0])))
		panic("PVH memory map at %#llx is not readable",
		      (unsigned long long)si->memmap_paddr);
	memcpy(boot_info.memmap, (const void *)(uintptr_t)si->memmap_paddr,
	       n * sizeof(boot_info.memmap[0]));
	boot_info.memmap_entries = n;
}
