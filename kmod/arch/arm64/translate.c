// SPDX-License-Identifier: GPL-2.0
/*
 * AXVM_TRANSLATE on arm64: the guest's EL1&0 stage-1 translation from
 * its SCTLR_EL1, TCR_EL1 and TTBRn_EL1, walked by the Arm ARM's VMSAv8-64
 * rules (D8): VA bit 55 picks TTBR1 or TTBR0, TnSZ its size, TGn the
 * granule (4, 16 or 64 KiB) and so the first level; a table descriptor
 * leads on, a block or page ends the walk. Hierarchical permissions
 * (APTable, PXNTable, UXNTable) apply unless TCR.HPDn. The 52-bit
 * formats (TCR.DS, FEAT_LPA2) are not walked.
 */
#include <linux/bitfield.h>

#include "arm64.h"

#define AXVM_SCTLR_M		BIT_ULL(0)
#define AXVM_SCTLR_WXN		BIT_ULL(19)

#define AXVM_TCR_T0SZ		GENMASK_ULL(5, 0)
#define AXVM_TCR_EPD0		BIT_ULL(7)
#define AXVM_TCR_TG0		GENMASK_ULL(15, 14)
#define AXVM_TCR_T1SZ		GENMASK_ULL(21, 16)
#define AXVM_TCR_EPD1		BIT_ULL(23)
#define AXVM_TCR_TG1		GENMASK_ULL(31, 30)
#define AXVM_TCR_TBI0		BIT_ULL(37)
#define AXVM_TCR_TBI1		BIT_ULL(38)
#define AXVM_TCR_HPD0		BIT_ULL(41)
#define AXVM_TCR_HPD1		BIT_ULL(42)
#define AXVM_TCR_DS		BIT_ULL(59)

#define AXVM_DESC_VALID		BIT_ULL(0)
#define AXVM_DESC_TABLE		BIT_ULL(1)	/* or page, at the last level */
#define AXVM_DESC_AP1		BIT_ULL(6)	/* EL0 access */
#define AXVM_DESC_AP2		BIT_ULL(7)	/* read-only */
#define AXVM_DESC_PXN		BIT_ULL(53)
#define AXVM_DESC_UXN		BIT_ULL(54)
#define AXVM_DESC_PXN_TABLE	BIT_ULL(59)
#define AXVM_DESC_AP_TABLE0	BIT_ULL(61)	/* no EL0 access below */
#define AXVM_DESC_AP_TABLE1	BIT_ULL(62)	/* no write below */
#define AXVM_DESC_OA		GENMASK_ULL(47, 12)

/* TG0 and TG1 encode the granule differently (D19, TCR_EL1): its shift. */
static unsigned int axvm_tg0_shift(u64 tg)
{
	return tg == 1 ? 16 : tg == 2 ? 14 : 12;
}

static unsigned int axvm_tg1_shift(u64 tg)
{
	return tg == 1 ? 14 : tg == 3 ? 16 : 12;
}

int axvm_arch_vcpu_translate(struct axvm_vcpu *vcpu, u64 gva, u64 *gpa,
			     u32 *flags)
{
	struct axvm_arm64_vcpu *a = vcpu->arch;
	u64 sctlr = a->sysregs[AXVM_ARM64_SCTLR];
	u64 tcr = a->sysregs[AXVM_ARM64_TCR];
	bool upper = gva & BIT_ULL(55), no_write = false, no_user = false;
	bool pxn = false, hpd, tbi;
	unsigned int g, stride, tsz, ia_bits, level, shift;
	u64 table, desc, va, span;

	if (!(sctlr & AXVM_SCTLR_M)) {
		/* Stage 1 off: flat, and the PA size caps the address. */
		if (gva >> 48)
			return -EINVAL;
		*gpa = gva;
		*flags = AXVM_TRANSLATE_WRITE | AXVM_TRANSLATE_USER |
			 AXVM_TRANSLATE_EXEC;
		return 0;
	}
	if (tcr & AXVM_TCR_DS)
		return -EOPNOTSUPP;
	if (upper) {
		tsz = FIELD_GET(AXVM_TCR_T1SZ, tcr);
		g = axvm_tg1_shift(FIELD_GET(AXVM_TCR_TG1, tcr));
		table = a->sysregs[AXVM_ARM64_TTBR1];
		tbi = tcr & AXVM_TCR_TBI1;
		hpd = tcr & AXVM_TCR_HPD1;
		if (tcr & AXVM_TCR_EPD1)
			return -ENOENT;
	} else {
		tsz = FIELD_GET(AXVM_TCR_T0SZ, tcr);
		g = axvm_tg0_shift(FIELD_GET(AXVM_TCR_TG0, tcr));
		table = a->sysregs[AXVM_ARM64_TTBR0];
		tbi = tcr & AXVM_TCR_TBI0;
		hpd = tcr & AXVM_TCR_HPD0;
		if (tcr & AXVM_TCR_EPD0)
			return -ENOENT;
	}
	/* TnSZ below 16 is treated as 16 without FEAT_LVA (D8.1.9). */
	ia_bits = 64 - max(tsz, 16U);
	/* The bits above the region: all 0 (TTBR0) or all 1 (TTBR1). */
	va = tbi ? sign_extend64(gva, 55) : gva;
	if (upper ? ~va >> ia_bits : va >> ia_bits)
		return -EINVAL;
	stride = g - 3;
	/* The first level: as many as the input bits need (D8.2.6). */
	level = 4 - DIV_ROUND_UP(ia_bits - g, stride);
	table &= GENMASK_ULL(47, 1) & ~(BIT_ULL(3) - 1);
	for (;; level++) {
		unsigned int bits;

		shift = g + stride * (3 - level);
		bits = min(ia_bits, shift + stride) - shift;
		if (axvm_mem_read(vcpu->vm,
				  table + ((va >> shift) & (BIT(bits) - 1)) * 8,
				  &desc, sizeof(desc)))
			return -ENOENT;
		if (!(desc & AXVM_DESC_VALID))
			return -ENOENT;
		if (level == 3 || !(desc & AXVM_DESC_TABLE))
			break;
		if (!hpd) {
			no_write |= desc & AXVM_DESC_AP_TABLE1;
			no_user |= desc & AXVM_DESC_AP_TABLE0;
			pxn |= desc & AXVM_DESC_PXN_TABLE;
		}
		table = desc & AXVM_DESC_OA & ~(BIT_ULL(g) - 1);
	}
	/*
	 * A page descriptor at level 3 has bit 1 set. Blocks exist at level
	 * 2, and at level 1 with the 4 KiB granule only (without FEAT_LPA2).
	 */
	if (level == 3 ? !(desc & AXVM_DESC_TABLE) :
	    level != 2 && !(level == 1 && g == 12))
		return -ENOENT;
	span = BIT_ULL(shift);
	*gpa = (desc & AXVM_DESC_OA & ~(span - 1)) | (gva & (span - 1));
	no_write |= desc & AXVM_DESC_AP2;
	no_user |= !(desc & AXVM_DESC_AP1);
	pxn |= desc & AXVM_DESC_PXN;
	/*
	 * EL1 never executes what AP[2:1] = 0b01 lets EL0 write (D8.4.1.2),
	 * nor, with SCTLR_EL1.WXN, anything writable.
	 */
	if ((desc & (AXVM_DESC_AP2 | AXVM_DESC_AP1)) == AXVM_DESC_AP1 ||
	    (!no_write && sctlr & AXVM_SCTLR_WXN))
		pxn = true;
	*flags = (no_write ? 0 : AXVM_TRANSLATE_WRITE) |
		 (no_user ? 0 : AXVM_TRANSLATE_USER) |
		 (pxn ? 0 : AXVM_TRANSLATE_EXEC);
	return 0;
}
