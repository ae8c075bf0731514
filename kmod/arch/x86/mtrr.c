// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's MTRRs (SDM vol. 3A, 11.11) as the kernel keeps them: values
 * only. Nested paging takes no memory type from them (guest PAT and the
 * host's own types decide, as under KVM), so a guest that programs them
 * reads back what it wrote, and a value the CPU would refuse is #GP.
 */
#include <asm/msr-index.h>
#include <asm/mtrr.h>

#include "x86.h"

/* MTRRcap: 8 variable ranges, the fixed ones, write-combining (11.11.1). */
#define AXVM_X86_MTRRCAP	(AXVM_X86_MTRR_NR_VAR | BIT(8) | BIT(10))

/* IA32_MTRR_DEF_TYPE: type in 7:0, FE (10) and E (11); the rest reserved. */
#define AXVM_X86_MTRR_DEF_OK	(GENMASK_ULL(7, 0) | BIT_ULL(10) | BIT_ULL(11))

/* PHYSMASKn's valid bit (11.11.2.3). */
#define AXVM_X86_MTRR_MASK_V	BIT_ULL(11)

static const u32 axvm_x86_mtrr_fixed[AXVM_X86_MTRR_NR_FIXED] = {
	MSR_MTRRfix64K_00000, MSR_MTRRfix16K_80000, MSR_MTRRfix16K_A0000,
	MSR_MTRRfix4K_C0000, MSR_MTRRfix4K_C8000, MSR_MTRRfix4K_D0000,
	MSR_MTRRfix4K_D8000, MSR_MTRRfix4K_E0000, MSR_MTRRfix4K_E8000,
	MSR_MTRRfix4K_F0000, MSR_MTRRfix4K_F8000,
};

u64 axvm_x86_mtrrcap(void)
{
	return AXVM_X86_MTRRCAP;
}

/* The kept MSR index of an MTRR, or -1 (MTRRcap is not kept: read-only). */
int axvm_x86_mtrr_index(u32 msr)
{
	unsigned int i;

	if (msr == MSR_MTRRdefType)
		return AXVM_X86_MTRR_DEF_TYPE;
	if (msr >= MTRRphysBase_MSR(0) &&
	    msr <= MTRRphysMask_MSR(AXVM_X86_MTRR_NR_VAR - 1))
		return AXVM_X86_MTRR_VAR + msr - MTRRphysBase_MSR(0);
	for (i = 0; i < AXVM_X86_MTRR_NR_FIXED; i++)
		if (axvm_x86_mtrr_fixed[i] == msr)
			return AXVM_X86_MTRR_FIX + i;
	return -1;
}

/* UC, WC, WT, WP and WB; 2, 3 and 7 and up are reserved (table 11-8). */
static bool axvm_x86_mtrr_type_ok(u64 type)
{
	return type == 0 || type == 1 || (type >= 4 && type <= 6);
}

/*
 * Whether the MTRR @msr can hold @v: a reserved bit or type set is #GP
 * (11.11.2); the address bits of the variable ranges end at the vCPU's
 * MAXPHYADDR. True for an MSR that is not an MTRR.
 */
bool axvm_x86_mtrr_valid(const struct axvm_x86_vcpu *x, u32 msr, u64 v)
{
	int i = axvm_x86_mtrr_index(msr);
	unsigned int b;
	u64 addr;

	if (i < 0)
		return true;
	if (i == AXVM_X86_MTRR_DEF_TYPE)
		return !(v & ~AXVM_X86_MTRR_DEF_OK) &&
		       axvm_x86_mtrr_type_ok(v & 0xff);
	if (i >= AXVM_X86_MTRR_FIX &&
	    i < AXVM_X86_MTRR_FIX + AXVM_X86_MTRR_NR_FIXED) {
		for (b = 0; b < 8; b++, v >>= 8)
			if (!axvm_x86_mtrr_type_ok(v & 0xff))
				return false;
		return true;
	}
	/* PHYSBASEn at even offsets, PHYSMASKn at odd ones. */
	addr = GENMASK_ULL(axvm_x86_guest_maxphyaddr(x) - 1, 12);
	if ((i - AXVM_X86_MTRR_VAR) % 2 == 0)
		return !(v & ~(addr | 0xff)) && axvm_x86_mtrr_type_ok(v & 0xff);
	return !(v & ~(addr | AXVM_X86_MTRR_MASK_V));
}
