/* SPDX-License-Identifier: MIT */
/*
 * Symbol lookup over the table the second link pass places in .ksyms:
 *   u64 count; count x { u64 address; u32 size; u32 name offset }; names.
 * The table is sorted by address (nm -n), so lookup is a binary search. The
 * first link pass has an empty table; lookups then find nothing.
 */
#include "kernel/ksyms.h"

#include "lib/fmt.h"
#include "lib/kstring.h"

struct ksym {
	uint64_t addr; /* start of the function */
	uint32_t size; /* its size in bytes, 0 if unknown (assembly labels) */
	uint32_t name; /* offset of its name in the string table */
};

extern const char __ksyms_start[], __ksyms_end[], __image_start[], __text_end[];

static size_t ksyms_count(void)
{
	if ((uintptr_t)__ksyms_end - (uintptr_t)__ksyms_start < 8)
		return 0;
	return (size_t) * (const uint64_t *)__ksyms_start;
}

static const struct ksym *ksyms_table(void)
{
	return (const struct ksym *)(__ksyms_start + 8);
}

static const char *ksym_name(const struct ksym *k)
{
	return (const char *)(ksyms_table() + ksyms_count()) + k->name;
}

const char *ksyms_lookup(uintptr_t addr, uintptr_t *offset, size_t *size)
{
	const struct ksym *t = ksyms_table();
	size_t lo = 0, hi = ksyms_count();

	if (addr < (uintptr_t)__image_start || addr >= (uintptr_t)__text_end || hi == 0)
		return NULL;
	/* Last symbol with t[i].addr <= addr. */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (t[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	if (t[lo].addr > addr)
		return NULL;
	if (t[lo].size && addr - t[lo].addr >= t[lo].size)
		return NULL; /* in padding between functions */
	*offset = addr - t[lo].addr;
	*size = t[lo].size;
	return ksym_name(&t[lo]);
}

uintptr_t ksyms_address(const char *name)
{
	const struct ksym *t = ksyms_table();

	for (size_t i = 0; i < ksyms_count(); i++)
		if (strcmp(ksym_name(&t[i]), name) == 0)
			return t[i].addr;
	return 0;
}

void ksyms_format(uintptr_t addr, char *buf, size_t size)
{
	uintptr_t off;
	size_t len;
	const char *name = ksyms_lookup(addr, &off, &len);

	if (!name)
		fmt_snprintf(buf, size, "?");
	else if (len)
		fmt_snprintf(buf, size, "%s+%#lx/%#zx", name, off, len);
	else
		fmt_snprintf(buf, size, "%s+%#lx", name, off);
}
