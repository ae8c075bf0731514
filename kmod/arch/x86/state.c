// SPDX-License-Identifier: GPL-2.0
/*
 * Whether a guest's control-register state is one the architecture
 * defines. A guest cannot build an undefined one itself: MOV to CR0/CR4
 * and WRMSR to EFER fault on it. AXVM_SET_SYSREG can, one register at a
 * time, and what the CPU then does is not specified: VM entry checks
 * most of it (SDM vol. 3, 27.3.1.1), VMRUN only part (APM vol. 2,
 * 15.5.1, "VMRUN consistency checks"), and QEMU's VMRUN entered a guest
 * with EFER.LMA set and paging off that never gave its CPU back to the
 * host. So every entry is checked here first, with the rules KVM applies
 * to KVM_SET_SREGS (kvm_is_valid_sregs()) and the checks VMRUN makes; a
 * state that fails ends the run with AXVM_EXIT_FAIL_ENTRY, as the CPU's
 * own refusal does.
 */
#include <asm/cpufeature.h>
#include <asm/msr-index.h>
#include <asm/processor-flags.h>

#include "x86.h"

/* CR4 bits a guest may hold: the architectural ones the CPU implements. */
static u64 axvm_x86_cr4_ok(void)
{
	u64 ok = X86_CR4_TSD | X86_CR4_DE | X86_CR4_PSE | X86_CR4_PAE |
		 X86_CR4_MCE | X86_CR4_PGE | X86_CR4_PCE | X86_CR4_OSFXSR |
		 X86_CR4_OSXMMEXCPT;

	if (boot_cpu_has(X86_FEATURE_VME))
		ok |= X86_CR4_VME | X86_CR4_PVI;
	if (boot_cpu_has(X86_FEATURE_UMIP))
		ok |= X86_CR4_UMIP;
	if (boot_cpu_has(X86_FEATURE_LA57))
		ok |= X86_CR4_LA57;
	if (boot_cpu_has(X86_FEATURE_FSGSBASE))
		ok |= X86_CR4_FSGSBASE;
	if (boot_cpu_has(X86_FEATURE_PCID))
		ok |= X86_CR4_PCIDE;
	if (boot_cpu_has(X86_FEATURE_XSAVE))
		ok |= X86_CR4_OSXSAVE;
	if (boot_cpu_has(X86_FEATURE_SMEP))
		ok |= X86_CR4_SMEP;
	if (boot_cpu_has(X86_FEATURE_SMAP))
		ok |= X86_CR4_SMAP;
	if (boot_cpu_has(X86_FEATURE_PKU))
		ok |= X86_CR4_PKE;
	/* Never: VMXE and SMXE (no nesting, no SMX), CET, PKS. */
	return ok;
}

/*
 * One register on its own, as AXVM_SET_SYSREG takes it: the bits a MOV
 * or WRMSR would refuse with #GP. 0 or -EINVAL.
 */
int axvm_x86_cr_check(u64 id, u64 val)
{
	switch (id) {
	case AXVM_SYSREG_X86_CR0:
		/* SDM 2.5: bits 63:32 reserved; NW without CD, PG without PE. */
		if (val >> 32 || (val & X86_CR0_NW && !(val & X86_CR0_CD)) ||
		    (val & X86_CR0_PG && !(val & X86_CR0_PE)))
			return -EINVAL;
		return 0;
	case AXVM_SYSREG_X86_CR4:
		return val & ~axvm_x86_cr4_ok() ? -EINVAL : 0;
	case AXVM_SYSREG_X86_CR8:
		/* The TPR: bits 63:4 are reserved (SDM 10.8.6.1). */
		return val >> 4 ? -EINVAL : 0;
	case AXVM_SYSREG_X86_EFER:
	case AXVM_SYSREG_X86_MSR(MSR_EFER):
		return val & ~AXVM_X86_EFER_OK ? -EINVAL : 0;
	}
	return 0;
}

/*
 * The whole state, before each entry: the rules above, then those that
 * tie registers together. 0, or which rule failed (for the exit's data).
 */
u32 axvm_x86_state_check(const struct axvm_x86_vcpu *x)
{
	bool lm = (x->efer & EFER_LME) && (x->cr0 & X86_CR0_PG);
	u32 cs = x->seg[AXVM_X86_CS].attr;

	if (axvm_x86_cr_check(AXVM_SYSREG_X86_CR0, x->cr0))
		return AXVM_X86_BAD_CR0;
	if (axvm_x86_cr_check(AXVM_SYSREG_X86_CR4, x->cr4))
		return AXVM_X86_BAD_CR4;
	if (axvm_x86_cr_check(AXVM_SYSREG_X86_EFER, x->efer))
		return AXVM_X86_BAD_EFER;
	if (lm) {
		/*
		 * Long mode: PAE paging (APM 15.5.1: "EFER.LME and CR0.PG
		 * both set and CR4.PAE zero"), LMA set by the CPU, CS not
		 * both L and D ("... CS.L, and CS.D all non-zero"), and no
		 * CR3 bit above the physical address width.
		 */
		if (!(x->cr4 & X86_CR4_PAE) || !(x->efer & EFER_LMA))
			return AXVM_X86_BAD_LONG_MODE;
		if ((cs & AXVM_X86_AR_L) && (cs & AXVM_X86_AR_DB))
			return AXVM_X86_BAD_LONG_MODE;
		if (x->cr3 >> boot_cpu_data.x86_phys_bits)
			return AXVM_X86_BAD_CR3;
	} else {
		/*
		 * Not long mode: LMA clear (it is the CPU's record of LME
		 * and PG), no 64-bit code segment, and no PCIDE, which
		 * MOV to CR4 refuses outside IA-32e mode (SDM 4.10.1).
		 */
		if ((x->efer & EFER_LMA) || (cs & AXVM_X86_AR_L) ||
		    (x->cr4 & X86_CR4_PCIDE))
			return AXVM_X86_BAD_LEGACY_MODE;
	}
	return 0;
}

/*
 * MOV to CR0 as the guest's own instruction (SDM vol. 2, "MOV--Move
 * to/from Control Registers"; APM vol. 2, 14.6.1 and 3.1.1): the
 * register rules above, then the long-mode ones. Setting PG with
 * EFER.LME activates IA-32e mode and needs CR4.PAE and a CS without L;
 * clearing PG leaves it, which 64-bit code cannot do. 0, or -EINVAL
 * for the #GP(0) the CPU raises, with nothing changed.
 */
int axvm_x86_mov_cr0(struct axvm_x86_vcpu *x, u64 val)
{
	bool pg_on = !(x->cr0 & X86_CR0_PG) && (val & X86_CR0_PG);
	bool pg_off = (x->cr0 & X86_CR0_PG) && !(val & X86_CR0_PG);
	u32 cs = x->seg[AXVM_X86_CS].attr;

	if (axvm_x86_cr_check(AXVM_SYSREG_X86_CR0, val))
		return -EINVAL;
	if (pg_on && (x->efer & EFER_LME) &&
	    (!(x->cr4 & X86_CR4_PAE) || (cs & AXVM_X86_AR_L)))
		return -EINVAL;
	if (pg_off && (x->efer & EFER_LMA) &&
	    ((cs & AXVM_X86_AR_L) || (x->cr4 & X86_CR4_PCIDE)))
		return -EINVAL;
	x->cr0 = val | X86_CR0_ET;
	if (x->efer & EFER_LME) {
		if (val & X86_CR0_PG)
			x->efer |= EFER_LMA;
		else
			x->efer &= ~EFER_LMA;
	}
	/* PAE paging takes its PDPTEs from CR3 again (SDM 4.4.1). */
	x->pdptr_stale = true;
	return 0;
}

/*
 * MOV to CR4: #GP for a bit the CPU lacks or the guest may not have,
 * for PCIDE outside IA-32e mode or set while CR3[11:0] is not 0, and in
 * IA-32e mode for PAE cleared or LA57 changed (SDM, MOV to CR4; 4.5).
 * 0 or -EINVAL, as above.
 */
int axvm_x86_mov_cr4(struct axvm_x86_vcpu *x, u64 val)
{
	bool lma = x->efer & EFER_LMA;
	bool pcide_on = !(x->cr4 & X86_CR4_PCIDE) && (val & X86_CR4_PCIDE);

	if (axvm_x86_cr_check(AXVM_SYSREG_X86_CR4, val) ||
	    ((val & X86_CR4_PCIDE) && !lma) ||
	    (pcide_on && (x->cr3 & 0xfff)) ||
	    (lma && !(val & X86_CR4_PAE)) ||
	    (lma && ((val ^ x->cr4) & X86_CR4_LA57)))
		return -EINVAL;
	x->cr4 = val;
	x->pdptr_stale = true;
	return 0;
}
