// SPDX-License-Identifier: GPL-2.0
/*
 * AMD nested page tables: the long-mode page table format, walked as user
 * accesses, so every entry carries U/S. Leaves are 4 KiB pages or 2 MiB
 * blocks (PDEs with PS), write-back
 * through PAT entry 0 combined with the guest's own type. The CPU walks
 * them with as many levels as the host's own paging has at VMRUN (APM
 * 15.25.3): five where the host runs with CR4.LA57, as KVM's
 * get_npt_level() chooses; guests still get 48 bits of physical space.
 */
#include <asm/pgtable_types.h>

#include "x86.h"

#define NPT_ADDR	GENMASK_ULL(51, 12)
#define NPT_TABLE	(_PAGE_PRESENT | _PAGE_RW | _PAGE_USER)

static u64 axvm_npt_table(phys_addr_t pa)
{
	return (pa & NPT_ADDR) | NPT_TABLE;
}

static u64 axvm_npt_leaf(phys_addr_t pa, bool writable)
{
	return (pa & NPT_ADDR) | _PAGE_PRESENT | _PAGE_USER |
	       _PAGE_ACCESSED | _PAGE_DIRTY | (writable ? _PAGE_RW : 0);
}

/* A 2 MiB page: a PDE with PS (its PAT bit, 12, stays clear). */
static u64 axvm_npt_block(phys_addr_t pa, bool writable)
{
	return axvm_npt_leaf(pa & GENMASK_ULL(51, 21), writable) | _PAGE_PSE;
}

static bool axvm_npt_valid(u64 entry)
{
	return entry & _PAGE_PRESENT;
}

/* Above the last level: a present entry without PS points at a table. */
static bool axvm_npt_is_table(u64 entry)
{
	return (entry & (_PAGE_PRESENT | _PAGE_PSE)) == _PAGE_PRESENT;
}

static phys_addr_t axvm_npt_address(u64 entry)
{
	return entry & NPT_ADDR;
}

/* The same entries at each depth; only the number of levels differs. */
#define AXVM_NPT_FORMAT(n) {			\
	.levels = (n),				\
	.root_order = 0,			\
	.table = axvm_npt_table,		\
	.leaf = axvm_npt_leaf,			\
	.block = axvm_npt_block,		\
	.is_valid = axvm_npt_valid,		\
	.is_table = axvm_npt_is_table,		\
	.address = axvm_npt_address,		\
	.write_bit = _PAGE_RW,			\
}

const struct axvm_s2_format axvm_x86_npt_format = AXVM_NPT_FORMAT(4);
const struct axvm_s2_format axvm_x86_npt5_format = AXVM_NPT_FORMAT(5);
