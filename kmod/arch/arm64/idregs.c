// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's ID registers (HCR_EL2.TID3 traps them): the host's
 * sanitised values, that is what every CPU of the system has, so a vCPU
 * may move between CPUs, with the features axvm does not give a guest
 * hidden: EL2/EL3, SVE, SME, MTE, AMU, MPAM, RAS, pointer authentication,
 * the PMU, SPE, trace, LORegions, WFxT, SCXTNUM (CSV2 at most 1), AArch32,
 * and physical addresses beyond its 40-bit IPA space.
 */
#include <linux/bitfield.h>
#include <asm/cpufeature.h>
#include <asm/sysreg.h>

#include "arm64.h"

/* Fields by the Arm ARM's names, for those that change. */
#define PFR0_EL0		GENMASK_ULL(3, 0)
#define PFR0_EL1		GENMASK_ULL(7, 4)
#define PFR0_EL2		GENMASK_ULL(11, 8)
#define PFR0_EL3		GENMASK_ULL(15, 12)
#define PFR0_GIC		GENMASK_ULL(27, 24)
#define PFR0_RAS		GENMASK_ULL(31, 28)
#define PFR0_SVE		GENMASK_ULL(35, 32)
#define PFR0_SEL2		GENMASK_ULL(39, 36)
#define PFR0_MPAM		GENMASK_ULL(43, 40)
#define PFR0_AMU		GENMASK_ULL(47, 44)
#define PFR0_RME		GENMASK_ULL(55, 52)
#define PFR0_CSV2		GENMASK_ULL(59, 56)
#define PFR1_MTE		GENMASK_ULL(11, 8)
#define PFR1_RAS_FRAC		GENMASK_ULL(15, 12)
#define PFR1_MPAM_FRAC		GENMASK_ULL(19, 16)
#define PFR1_SME		GENMASK_ULL(27, 24)
#define PFR1_RNDR_TRAP		GENMASK_ULL(31, 28)
#define PFR1_NMI		GENMASK_ULL(39, 36)
#define DFR0_TRACEVER		GENMASK_ULL(7, 4)
#define DFR0_PMUVER		GENMASK_ULL(11, 8)
#define DFR0_PMSVER		GENMASK_ULL(35, 32)
#define DFR0_TRACEFILT		GENMASK_ULL(43, 40)
#define DFR0_TRACEBUFFER	GENMASK_ULL(47, 44)
#define DFR0_MTPMU		GENMASK_ULL(51, 48)
#define DFR0_BRBE		GENMASK_ULL(55, 52)
#define ISAR1_APA		GENMASK_ULL(7, 4)
#define ISAR1_API		GENMASK_ULL(11, 8)
#define ISAR1_GPA		GENMASK_ULL(27, 24)
#define ISAR1_GPI		GENMASK_ULL(31, 28)
#define ISAR2_WFXT		GENMASK_ULL(3, 0)
#define ISAR2_GPA3		GENMASK_ULL(11, 8)
#define ISAR2_APA3		GENMASK_ULL(15, 12)
#define MMFR0_PARANGE		GENMASK_ULL(3, 0)
#define MMFR1_VH		GENMASK_ULL(11, 8)
#define MMFR1_LO		GENMASK_ULL(19, 16)
#define MMFR2_NV		GENMASK_ULL(27, 24)

#define PARANGE_40		2
#define IMPLEMENTED_AARCH64	1
#define GIC_SYSREGS_V3		1

/*
 * Op2 values the kernel keeps a sanitised copy of, per CRm (op0 3, op1 0,
 * CRn 0); the rest of the ID space reads as zero.
 */
static const u8 axvm_arm64_idreg_known[8] = {
	/*
	 * CRm 1-3, the AArch32 registers, read as zero: the guest has no
	 * AArch32 at any EL (ID_AA64PFR0.EL0/EL1), as KVM shows them then.
	 */
	[4] = 0x33,	/* ID_AA64PFR0/1, ID_AA64ZFR0, ID_AA64SMFR0 */
	[5] = 0x03,	/* ID_AA64DFR0/1 (not the AFRs) */
	[6] = 0x07,	/* ID_AA64ISAR0-2 */
	[7] = 0x07,	/* ID_AA64MMFR0-2 */
};

static u64 axvm_arm64_idreg_filter(u32 id, u64 v)
{
	switch (id) {
	case SYS_ID_AA64PFR0_EL1:
		v &= ~(PFR0_EL0 | PFR0_EL1 | PFR0_EL2 | PFR0_EL3 | PFR0_GIC |
		       PFR0_RAS | PFR0_SVE | PFR0_SEL2 | PFR0_MPAM | PFR0_AMU |
		       PFR0_RME);
		/*
		 * AArch64 only at EL0 and EL1; the GIC through the ICH, or
		 * on a GICv2 host memory-mapped only (no GIC sysregs).
		 */
		v |= FIELD_PREP(PFR0_EL0, IMPLEMENTED_AARCH64) |
		     FIELD_PREP(PFR0_EL1, IMPLEMENTED_AARCH64) |
		     FIELD_PREP(PFR0_GIC, axvm_vgic_v2 ? 0 : GIC_SYSREGS_V3);
		/*
		 * CSV2 2 and up promise SCXTNUM_ELx, which traps (EnSCXT
		 * clear) and is not kept: at most 1, as KVM says.
		 */
		if (FIELD_GET(PFR0_CSV2, v) > 1)
			v = (v & ~PFR0_CSV2) | FIELD_PREP(PFR0_CSV2, 1);
		return v;
	case SYS_ID_AA64PFR1_EL1:
		return v & ~(PFR1_MTE | PFR1_RAS_FRAC | PFR1_MPAM_FRAC |
			     PFR1_SME | PFR1_RNDR_TRAP | PFR1_NMI);
	case SYS_ID_AA64ZFR0_EL1:
	case SYS_ID_AA64SMFR0_EL1:
		return 0;
	case SYS_ID_AA64DFR0_EL1:
		return v & ~(DFR0_TRACEVER | DFR0_PMUVER | DFR0_PMSVER |
			     DFR0_TRACEFILT | DFR0_TRACEBUFFER | DFR0_MTPMU |
			     DFR0_BRBE);
	case SYS_ID_AA64ISAR1_EL1:
		return v & ~(ISAR1_APA | ISAR1_API | ISAR1_GPA | ISAR1_GPI);
	case SYS_ID_AA64ISAR2_EL1:
		/* WFET/WFIT: their deadline is not kept (WFIT would be WFI). */
		return v & ~(ISAR2_WFXT | ISAR2_GPA3 | ISAR2_APA3);
	case SYS_ID_AA64MMFR0_EL1:
		if (FIELD_GET(MMFR0_PARANGE, v) > PARANGE_40)
			v = (v & ~MMFR0_PARANGE) |
			    FIELD_PREP(MMFR0_PARANGE, PARANGE_40);
		return v;
	case SYS_ID_AA64MMFR1_EL1:
		return v & ~(MMFR1_VH | MMFR1_LO);
	case SYS_ID_AA64MMFR2_EL1:
		return v & ~MMFR2_NV;
	default:
		return v;
	}
}

/*
 * A trapped read in the ID space: true with its value, false when the
 * encoding is not an ID register.
 */
bool axvm_arm64_idreg_read(u32 op0, u32 op1, u32 crn, u32 crm, u32 op2,
			   u64 *val)
{
	u32 id;

	if (op0 != 3 || op1 != 0 || crn != 0 || crm < 1 || crm > 7)
		return false;
	id = sys_reg(op0, op1, crn, crm, op2);
	if (axvm_arm64_idreg_known[crm] & BIT(op2))
		*val = axvm_arm64_idreg_filter(id,
					       read_sanitised_ftr_reg(id));
	else
		*val = 0;
	return true;
}
