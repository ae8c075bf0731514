// SPDX-License-Identifier: GPL-2.0
/*
 * Intel EPT: four levels of 512 entries; tables are readable, writable
 * and executable, leaves are 4 KiB pages or 2 MiB blocks (bit 7 of a
 * PDE) of write-back memory (the guest's PAT still applies) with the
 * write bit of the region.
 */
#include <asm/vmx.h>

#include "x86.h"

#define EPT_ADDR	GENMASK_ULL(51, 12)
#define EPT_WB		(6ULL << VMX_EPT_MT_EPTE_SHIFT)

static u64 axvm_ept_table(phys_addr_t pa)
{
	return (pa & EPT_ADDR) | VMX_EPT_RWX_MASK;
}

static u64 axvm_ept_leaf(phys_addr_t pa, bool writable)
{
	return (pa & EPT_ADDR) | VMX_EPT_READABLE_MASK |
	       VMX_EPT_EXECUTABLE_MASK | EPT_WB |
	       (writable ? VMX_EPT_WRITABLE_MASK : 0);
}

/* A 2 MiB page: bit 7 of a PDE (SDM 29.3.2, "maps a 2-MByte page"). */
static u64 axvm_ept_block(phys_addr_t pa, bool writable)
{
	return axvm_ept_leaf(pa & GENMASK_ULL(51, 21), writable) | BIT_ULL(7);
}

/* Present: readable (write-only and execute-only are never made). */
static bool axvm_ept_valid(u64 entry)
{
	return entry & VMX_EPT_READABLE_MASK;
}

/* Above the last level: a present entry without bit 7 is a table. */
static bool axvm_ept_is_table(u64 entry)
{
	return (entry & (VMX_EPT_READABLE_MASK | BIT_ULL(7))) ==
	       VMX_EPT_READABLE_MASK;
}

static phys_addr_t axvm_ept_address(u64 entry)
{
	return entry & EPT_ADDR;
}

#define AXVM_EPT_FORMAT(blocks) {		\
	.levels = 4,				\
	.root_order = 0,			\
	.table = axvm_ept_table,		\
	.leaf = axvm_ept_leaf,			\
	.block = (blocks),			\
	.is_valid = axvm_ept_valid,		\
	.is_table = axvm_ept_is_table,		\
	.address = axvm_ept_address,		\
	.write_bit = VMX_EPT_WRITABLE_MASK,	\
}

const struct axvm_s2_format axvm_x86_ept_format =
	AXVM_EPT_FORMAT(axvm_ept_block);
/* Without 2 MiB EPT pages bit 7 of a PDE is reserved: no blocks. */
const struct axvm_s2_format axvm_x86_ept_4k_format = AXVM_EPT_FORMAT(NULL);
