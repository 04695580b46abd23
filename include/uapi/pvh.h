/* SPDX-License-Identifier: MIT */
/*
 * PVH boot ABI, as defined by Xen's public header arch-x86/hvm/start_info.h and
 * used by QEMU and Firecracker for direct kernel boot. Wire format: do not change.
 */
#ifndef UAPI_PVH_H
#define UAPI_PVH_H

#include <stdint.h>

#define XEN_ELFNOTE_PHYS32_ENTRY 18 /* ELF note type carrying the 32-bit entry */
#define HVM_START_MAGIC_VALUE 0x336ec578u

/* Memory map entry types (E820 numbering). */
#define HVM_MEMMAP_TYPE_RAM 1
#define HVM_MEMMAP_TYPE_RESERVED 2
#define HVM_MEMMAP_TYPE_ACPI 3
#define HVM_MEMMAP_TYPE_NVS 4
#define HVM_MEMMAP_TYPE_UNUSABLE 5

struct hvm_start_info {
	uint32_t magic; /* HVM_START_MAGIC_VALUE */
	uint32_t version; /* 0 or 1; 1 adds the memory map fields */
	uint32_t flags; /* SIF_xxx */
	uint32_t nr_modules; /* number of modules */
	uint64_t modlist_paddr; /* physical address of the module list */
	uint64_t cmdline_paddr; /* physical address of the NUL-terminated command line */
	uint64_t rsdp_paddr; /* physical address of the ACPI RSDP, 0 if none */
	uint64_t memmap_paddr; /* physical address of the memory map (version >= 1) */
	uint32_t memmap_entries; /* number of memory map entries */
	uint32_t reserved; /* must be zero */
};
_Static_assert(sizeof(struct hvm_start_info) == 56, "hvm_start_info size");
_Static_assert(__builtin_offsetof(struct hvm_start_info, cmdline_paddr) == 24, "cmdline");
_Static_assert(__builtin_offsetof(struct hvm_start_info, rsdp_paddr) == 32, "rsdp");
_Static_assert(__builtin_offsetof(struct hvm_start_info, memmap_paddr) == 40, "memmap");
_Static_assert(__builtin_offsetof(struct hvm_start_info, memmap_entries) == 48,
	       "entries");

struct hvm_memmap_table_entry {
	uint64_t addr; /* base address */
	uint64_t size; /* length in bytes */
	uint32_t type; /* HVM_MEMMAP_TYPE_xxx */
	uint32_t reserved; /* must be zero */
};
_Static_assert(sizeof(struct hvm_memmap_table_entry) == 24, "memmap entry size");

#endif
