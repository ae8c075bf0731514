// SPDX-License-Identifier: GPL-2.0
/*
 * Synchronous exceptions axvm raises in the guest, as the PE would take
 * them to EL1 (Arm ARM D1.3.1 "Exception entry"; the PSTATE fields in
 * "PSTATE on taking an exception"): the guest's own handler runs.
 */
#include <linux/bitfield.h>
#include <asm/esr.h>
#include <asm/ptrace.h>
#include <asm/sysreg.h>

#include "arm64.h"

/* VBAR_EL1 offsets (Arm ARM D1.3.2, "Exception vectors"), for Sync. */
#define AXVM_VECTOR_CUR_SP0	0x000
#define AXVM_VECTOR_CUR_SPX	0x200
#define AXVM_VECTOR_LOWER_A64	0x400

#define AXVM_SCTLR_SPAN		BIT_ULL(23)
#define AXVM_SCTLR_DSSBS	BIT_ULL(44)

/* The guest was told of these features through its ID registers. */
static bool axvm_arm64_guest_has(u32 crm, u32 op2, unsigned int shift)
{
	u64 v = 0;

	axvm_arm64_idreg_read(3, 0, 0, crm, op2, &v);
	return (v >> shift) & 0xf;
}

/*
 * Take a synchronous exception to EL1 with syndrome @esr and fault
 * address @far, from the state the guest stopped in (a->pc is the
 * instruction that faulted, ELR_EL1's value).
 */
static void axvm_arm64_take_sync(struct axvm_arm64_vcpu *a, u64 esr, u64 far)
{
	u64 *r = a->sysregs;
	u64 mode = a->pstate & PSR_MODE_MASK, offset, pstate;

	switch (mode) {
	case PSR_MODE_EL0t:
		offset = AXVM_VECTOR_LOWER_A64;
		break;
	case PSR_MODE_EL1t:
		offset = AXVM_VECTOR_CUR_SP0;
		break;
	default:
		offset = AXVM_VECTOR_CUR_SPX;
		break;
	}

	r[AXVM_ARM64_ELR] = a->pc;
	r[AXVM_ARM64_SPSR] = a->pstate;
	r[AXVM_ARM64_ESR] = esr;
	r[AXVM_ARM64_FAR] = far;

	/*
	 * NZCV, DIT and PAN carry over; SS, IL and BTYPE are cleared;
	 * D, A, I and F are set; PAN is set when SCTLR_EL1.SPAN is 0, UAO
	 * cleared, SSBS becomes SCTLR_EL1.DSSBS, each where the feature
	 * exists. MTE (TCO) and FEAT_NMI (ALLINT) are hidden from guests.
	 */
	pstate = a->pstate & (PSR_N_BIT | PSR_Z_BIT | PSR_C_BIT | PSR_V_BIT |
			      PSR_DIT_BIT | PSR_PAN_BIT);
	pstate |= PSR_MODE_EL1h | PSR_D_BIT | PSR_A_BIT | PSR_I_BIT |
		  PSR_F_BIT;
	/* ID_AA64MMFR1_EL1 (CRm 7, op2 1).PAN, [23:20] */
	if (axvm_arm64_guest_has(7, 1, 20) &&
	    !(r[AXVM_ARM64_SCTLR] & AXVM_SCTLR_SPAN))
		pstate |= PSR_PAN_BIT;
	/* ID_AA64PFR1_EL1 (CRm 4, op2 1).SSBS, [7:4] */
	if (axvm_arm64_guest_has(4, 1, 4) &&
	    (r[AXVM_ARM64_SCTLR] & AXVM_SCTLR_DSSBS))
		pstate |= PSR_SSBS_BIT;
	a->pstate = pstate;
	a->pc = r[AXVM_ARM64_VBAR] + offset;
}

/**
 * axvm_arm64_inject_abort() - a synchronous external abort in the guest
 * @a: the vCPU, stopped on the access
 * @data: a data access (Data Abort), else an instruction fetch (Prefetch
 *	  Abort)
 * @far: the virtual address of the access (FAR_EL2 of the exit)
 * @wnr: a data access that wrote
 *
 * What an access to an address with nothing behind it gets on real
 * hardware, and under KVM for a fetch or a walk outside memory: the
 * abort taken from EL0 or EL1 (EC 0x20/0x21, 0x24/0x25), IL set (A64),
 * FSC 0b010000 "synchronous External abort, not on translation table
 * walk", FAR valid. For a stage-1 walk outside memory the Arm ARM's FSC
 * would name the walk's level, which stage 2 does not report; like KVM
 * axvm reports the level-less 0b010000.
 */
void axvm_arm64_inject_abort(struct axvm_arm64_vcpu *a, bool data, u64 far,
			     bool wnr)
{
	bool el0 = (a->pstate & PSR_MODE_MASK) == PSR_MODE_EL0t;
	u64 ec, esr;

	if (data)
		ec = el0 ? ESR_ELx_EC_DABT_LOW : ESR_ELx_EC_DABT_CUR;
	else
		ec = el0 ? ESR_ELx_EC_IABT_LOW : ESR_ELx_EC_IABT_CUR;
	esr = FIELD_PREP(ESR_ELx_EC_MASK, ec) | ESR_ELx_IL |
	      ESR_ELx_FSC_EXTABT;
	if (data && wnr)
		esr |= ESR_ELx_WNR;
	axvm_arm64_take_sync(a, esr, far);
}
