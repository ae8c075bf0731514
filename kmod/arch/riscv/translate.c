// SPDX-License-Identifier: GPL-2.0
/*
 * AXVM_TRANSLATE on riscv64: the guest's VS-stage translation, its satp
 * in Bare, Sv39, Sv48 or Sv57 mode, walked by the privileged spec's
 * algorithm (4.3.2): a PTE without V, with W and not R, or with a
 * reserved bit is invalid; one
 * with R or X is a leaf at any level, a superpage whose PPN must be
 * aligned to its size; otherwise it points to the next table.
 */
#include <linux/bitfield.h>

#include "riscv.h"

#define AXVM_SATP_MODE		GENMASK_ULL(63, 60)
#define AXVM_SATP_PPN		GENMASK_ULL(43, 0)
#define AXVM_SATP_BARE		0
#define AXVM_SATP_SV39		8
#define AXVM_SATP_SV57		10

#define AXVM_PTE_V		BIT_ULL(0)
#define AXVM_PTE_R		BIT_ULL(1)
#define AXVM_PTE_W		BIT_ULL(2)
#define AXVM_PTE_X		BIT_ULL(3)
#define AXVM_PTE_U		BIT_ULL(4)
#define AXVM_PTE_PPN		GENMASK_ULL(53, 10)
/* Reserved for future standard use: set, the PTE faults (4.4.1). */
#define AXVM_PTE_RESERVED	GENMASK_ULL(60, 54)

int axvm_arch_vcpu_translate(struct axvm_vcpu *vcpu, u64 gva, u64 *gpa,
			     u32 *flags)
{
	struct axvm_riscv_vcpu *r = vcpu->arch;
	u64 satp = r->csrs[AXVM_RISCV_SATP], table, pte, ppn, span;
	unsigned int mode = FIELD_GET(AXVM_SATP_MODE, satp), levels, level;

	if (mode == AXVM_SATP_BARE) {
		*gpa = gva;
		*flags = AXVM_TRANSLATE_WRITE | AXVM_TRANSLATE_USER |
			 AXVM_TRANSLATE_EXEC;
		return 0;
	}
	if (mode < AXVM_SATP_SV39 || mode > AXVM_SATP_SV57)
		return -EINVAL;
	levels = mode - AXVM_SATP_SV39 + 3;
	/* Bits 63 to the VA's width must all equal its top bit (4.3.1). */
	if (sign_extend64(gva, 12 + 9 * levels - 1) != gva)
		return -EINVAL;
	table = FIELD_GET(AXVM_SATP_PPN, satp) << PAGE_SHIFT;
	for (level = levels; level--;) {
		unsigned int shift = PAGE_SHIFT + 9 * level;

		if (axvm_mem_read(vcpu->vm, table + ((gva >> shift) & 511) * 8,
				  &pte, sizeof(pte)))
			return -ENOENT;
		if (!(pte & AXVM_PTE_V) || pte & AXVM_PTE_RESERVED ||
		    (pte & (AXVM_PTE_R | AXVM_PTE_W)) == AXVM_PTE_W)
			return -ENOENT;
		ppn = FIELD_GET(AXVM_PTE_PPN, pte);
		if (!(pte & (AXVM_PTE_R | AXVM_PTE_X))) {
			table = ppn << PAGE_SHIFT;
			continue;
		}
		span = BIT_ULL(shift);
		/* A misaligned superpage is a page fault (step 6). */
		if ((ppn << PAGE_SHIFT) & (span - 1))
			return -ENOENT;
		*gpa = (ppn << PAGE_SHIFT) | (gva & (span - 1));
		/* S-mode never executes a U page (4.3.1, SUM aside). */
		*flags = (pte & AXVM_PTE_W ? AXVM_TRANSLATE_WRITE : 0) |
			 (pte & AXVM_PTE_U ? AXVM_TRANSLATE_USER :
			  pte & AXVM_PTE_X ? AXVM_TRANSLATE_EXEC : 0);
		return 0;
	}
	return -ENOENT;
}
