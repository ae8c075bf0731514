// SPDX-License-Identifier: GPL-2.0
/*
 * x86 vCPU register file, shared by VMX and SVM: general registers, RIP,
 * RFLAGS, control registers, EFER, descriptor tables, segments and the
 * MSRs the kernel keeps for the guest. Reset follows the architectural
 * power-on state, so a guest can start in real mode at F000:FFF0.
 */
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <asm/kvm_para.h>
#include <asm/msr-index.h>
#include <asm/processor-flags.h>

#include "irqchip.h"

/* MSRs whose guest values the kernel keeps, in enum axvm_x86_msr_index order. */
static const u32 axvm_x86_msrs[AXVM_X86_NR_LISTED_MSRS] = {
	[AXVM_X86_SYSENTER_CS] = MSR_IA32_SYSENTER_CS,
	[AXVM_X86_SYSENTER_ESP] = MSR_IA32_SYSENTER_ESP,
	[AXVM_X86_SYSENTER_EIP] = MSR_IA32_SYSENTER_EIP,
	[AXVM_X86_STAR] = MSR_STAR,
	[AXVM_X86_LSTAR] = MSR_LSTAR,
	[AXVM_X86_CSTAR] = MSR_CSTAR,
	[AXVM_X86_SFMASK] = MSR_SYSCALL_MASK,
	[AXVM_X86_KERNEL_GS_BASE] = MSR_KERNEL_GS_BASE,
	[AXVM_X86_PAT] = MSR_IA32_CR_PAT,
	[AXVM_X86_TSC_AUX] = MSR_TSC_AUX,
	[AXVM_X86_KVM_WALL_CLOCK] = MSR_KVM_WALL_CLOCK_NEW,
	[AXVM_X86_KVM_SYSTEM_TIME] = MSR_KVM_SYSTEM_TIME_NEW,
	[AXVM_X86_MISC_ENABLE] = MSR_IA32_MISC_ENABLE,
};

/* FXSAVE image offsets of the control words that reset sets. */
#define AXVM_X86_FX_FCW		0
#define AXVM_X86_FX_MXCSR	24

/* RFLAGS bits that are reserved: bit 1 is always one, these zero. */
#define AXVM_X86_RFLAGS_RSVD						\
	(~(u64)(X86_EFLAGS_CF | X86_EFLAGS_PF | X86_EFLAGS_AF |		\
		X86_EFLAGS_ZF | X86_EFLAGS_SF | X86_EFLAGS_TF |		\
		X86_EFLAGS_IF | X86_EFLAGS_DF | X86_EFLAGS_OF |		\
		X86_EFLAGS_IOPL | X86_EFLAGS_NT | X86_EFLAGS_RF |	\
		X86_EFLAGS_VM | X86_EFLAGS_AC | X86_EFLAGS_VIF |	\
		X86_EFLAGS_VIP | X86_EFLAGS_ID | X86_EFLAGS_FIXED))

static void axvm_x86_reset(struct axvm_x86_vcpu *x)
{
	int i;

	x->rip = 0xfff0;
	x->rflags = X86_EFLAGS_FIXED;
	x->cr0 = X86_CR0_ET | X86_CR0_CD | X86_CR0_NW;
	for (i = 0; i < AXVM_X86_NR_SEGS; i++) {
		x->seg[i].limit = 0xffff;
		x->seg[i].attr = 0x93;		/* present, data, rw, accessed */
	}
	x->seg[1].sel = 0xf000;			/* CS */
	x->seg[1].base = 0xffff0000;
	x->seg[1].attr = 0x9b;			/* present, code, rx, accessed */
	x->seg[6].attr = 0x82;			/* LDTR: present LDT */
	x->seg[7].attr = 0x8b;			/* TR: present busy TSS */
	x->gdtr_limit = 0xffff;
	x->idtr_limit = 0xffff;
	x->msrs[AXVM_X86_PAT] = 0x0007040600070406ULL;	/* power-on value */
	/* FINIT's control word, and SSE exceptions masked. */
	memset(x->fpu, 0, PAGE_SIZE);
	*(u16 *)(x->fpu + AXVM_X86_FX_FCW) = 0x37f;
	*(u32 *)(x->fpu + AXVM_X86_FX_MXCSR) = 0x1f80;
	x->xcr0 = XFEATURE_MASK_FP;
	axvm_x86_dr_reset(x);
	x->pdptr_stale = true;
}

/*
 * INIT: the power-on state, less what INIT keeps (the MSRs but PAT and
 * the paravirtual clock's, the cached CPUID table, the APIC base). The
 * clock's are cleared so that the module stops writing records into a
 * guest that was reset; a guest registers them again as it starts.
 */
void axvm_x86_init_reset(struct axvm_x86_vcpu *x)
{
	u64 pat = x->msrs[AXVM_X86_PAT];

	memset(x->gpr, 0, sizeof(x->gpr));
	memset(x->seg, 0, sizeof(x->seg));
	x->cr2 = 0;
	x->cr3 = 0;
	x->cr4 = 0;
	x->cr8 = 0;
	x->efer = 0;
	x->gdtr_base = 0;
	x->idtr_base = 0;
	x->exc_pending = false;
	x->pending = 0;
	x->drop_events = true;
	axvm_x86_nmi_reset(x);
	axvm_x86_reset(x);
	x->msrs[AXVM_X86_PAT] = pat;
	x->msrs[AXVM_X86_KVM_WALL_CLOCK] = 0;
	x->msrs[AXVM_X86_KVM_SYSTEM_TIME] = 0;
}

/* SIPI: real mode at vector << 12, CS:IP = vector << 8 : 0. */
void axvm_x86_sipi_start(struct axvm_x86_vcpu *x, u8 vector)
{
	x->seg[AXVM_X86_CS].sel = vector << 8;
	x->seg[AXVM_X86_CS].base = (u64)vector << 12;
	x->rip = 0;
}

int axvm_arch_vcpu_create(struct axvm_vcpu *vcpu, u64 arch_id)
{
	struct axvm_x86_vcpu *x;
	int ret;

	/* x2APIC ids are 32 bits wide. */
	if (arch_id > U32_MAX)
		return -EINVAL;
	x = kzalloc(sizeof(*x), GFP_KERNEL_ACCOUNT);
	if (!x)
		return -ENOMEM;
	x->fpu = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!x->fpu) {
		kfree(x);
		return -ENOMEM;
	}
	axvm_x86_reset(x);
	/* Power-on only (INIT keeps it): no branch trace or PEBS, as KVM. */
	x->msrs[AXVM_X86_MISC_ENABLE] = MSR_IA32_MISC_ENABLE_BTS_UNAVAIL |
					MSR_IA32_MISC_ENABLE_PEBS_UNAVAIL;
	x->vcpu = vcpu;
	axvm_x86_pvclock_vcpu_init(x);
	ret = axvm_x86_cpuid_init(x, arch_id);
	if (!ret)
		ret = axvm_x86_hw_vcpu_create(x);
	if (!ret) {
		ret = axvm_x86_chip_vcpu_create(x);
		if (ret)
			axvm_x86_hw_vcpu_destroy(x);
	}
	if (ret) {
		kvfree(x->cpuid);
		free_page((unsigned long)x->fpu);
		kfree(x);
		return ret;
	}
	vcpu->arch = x;
	return 0;
}

/* An x86 vCPU takes INIT and SIPI itself, in its own run. */
void axvm_arch_vcpu_apply_reset(struct axvm_vcpu *vcpu)
{
}

void axvm_arch_vcpu_destroy(struct axvm_vcpu *vcpu)
{
	struct axvm_x86_vcpu *x = vcpu->arch;

	axvm_x86_chip_vcpu_destroy(x);
	axvm_x86_hw_vcpu_destroy(x);
	kvfree(x->cpuid);
	free_page((unsigned long)x->fpu);
	kfree(x);
	vcpu->arch = NULL;
}

void axvm_arch_get_regs(struct axvm_vcpu *vcpu, struct axvm_regs *regs)
{
	struct axvm_x86_vcpu *x = vcpu->arch;

	memcpy(regs->gpr, x->gpr, sizeof(x->gpr));
	regs->pc = x->rip;
	regs->pstate = x->rflags;
}

int axvm_arch_set_regs(struct axvm_vcpu *vcpu, const struct axvm_regs *regs)
{
	struct axvm_x86_vcpu *x = vcpu->arch;
	unsigned int i;

	x->pdptr_stale = true;
	for (i = ARRAY_SIZE(x->gpr); i < ARRAY_SIZE(regs->gpr); i++)
		if (regs->gpr[i])
			return -EINVAL;
	if (regs->pstate & AXVM_X86_RFLAGS_RSVD ||
	    !(regs->pstate & X86_EFLAGS_FIXED))
		return -EINVAL;

	memcpy(x->gpr, regs->gpr, sizeof(x->gpr));
	x->rip = regs->pc;
	x->rflags = regs->pstate;
	/* New state from userspace replaces any exit still to complete. */
	x->pending = 0;
	if (x->apic)
		axvm_lapic_regs_set(x);
	return 0;
}

/* Where a register id lives in the register file; NULL when unknown. */
/* Where the kernel keeps the guest's value of @msr; NULL if it does not. */
u64 *axvm_x86_msr_slot(struct axvm_x86_vcpu *x, u32 msr)
{
	unsigned int i;
	int mtrr;

	if (msr == MSR_FS_BASE)
		return &x->seg[AXVM_X86_FS].base;
	if (msr == MSR_GS_BASE)
		return &x->seg[AXVM_X86_GS].base;
	if (msr == MSR_EFER)
		return &x->efer;
	for (i = 0; i < AXVM_X86_NR_LISTED_MSRS; i++)
		if (axvm_x86_msrs[i] == msr)
			return &x->msrs[i];
	mtrr = axvm_x86_mtrr_index(msr);
	return mtrr < 0 ? NULL : &x->msrs[mtrr];
}

/* 48-bit linear addresses: CPUID gives guests no LA57. */
static bool axvm_x86_canonical(u64 v)
{
	return (u64)((s64)(v << 16) >> 16) == v;
}

/* PAT entries: UC, WC, WT, WP, WB, UC- (SDM 11.12.2); 2 and 3 are reserved. */
static bool axvm_x86_pat_valid(u64 v)
{
	int i;

	for (i = 0; i < 8; i++, v >>= 8)
		if ((v & 0xff) > 7 || (v & 0xff) == 2 || (v & 0xff) == 3)
			return false;
	return true;
}

/*
 * Whether @v is a value the MSR can hold (a guest's WRMSR of another is
 * #GP, AXVM_SET_SYSREG's EINVAL). These values reach the CPU with WRMSR
 * or through the VMCS/VMCB: a non-canonical LSTAR or a reserved TSC_AUX
 * bit would fault in the host at the switch.
 */
bool axvm_x86_msr_valid(const struct axvm_x86_vcpu *x, u32 msr, u64 v)
{
	if (!axvm_x86_mtrr_valid(x, msr, v))
		return false;
	switch (msr) {
	case MSR_LSTAR:
	case MSR_CSTAR:
	case MSR_KERNEL_GS_BASE:
	case MSR_FS_BASE:
	case MSR_GS_BASE:
	case MSR_IA32_SYSENTER_ESP:
	case MSR_IA32_SYSENTER_EIP:
		return axvm_x86_canonical(v);
	case MSR_SYSCALL_MASK:
	case MSR_TSC_AUX:
		return !(v >> 32);
	case MSR_IA32_CR_PAT:
		return axvm_x86_pat_valid(v);
	}
	return true;
}

static u64 *axvm_x86_reg64(struct axvm_x86_vcpu *x, u64 id)
{
	unsigned int i;

	if ((id & ~0xffffffffULL) == AXVM_SYSREG_CLASS_X86_MSR)
		return axvm_x86_msr_slot(x, id & 0xffffffff);

	switch (id) {
	case AXVM_SYSREG_X86_CR0:
		return &x->cr0;
	case AXVM_SYSREG_X86_CR2:
		return &x->cr2;
	case AXVM_SYSREG_X86_CR3:
		return &x->cr3;
	case AXVM_SYSREG_X86_CR4:
		return &x->cr4;
	case AXVM_SYSREG_X86_CR8:
		return &x->cr8;
	case AXVM_SYSREG_X86_EFER:
		return &x->efer;
	case AXVM_SYSREG_X86_GDTR_BASE:
		return &x->gdtr_base;
	case AXVM_SYSREG_X86_IDTR_BASE:
		return &x->idtr_base;
	}
	for (i = 0; i < AXVM_X86_NR_SEGS; i++)
		if (id == AXVM_SYSREG_X86_SEG_BASE(i))
			return &x->seg[i].base;
	return NULL;
}

/* 32-bit and 16-bit fields: the value and its width. */
static u32 *axvm_x86_reg32(struct axvm_x86_vcpu *x, u64 id, u64 *max)
{
	unsigned int i;

	*max = U32_MAX;
	if (id == AXVM_SYSREG_X86_GDTR_LIMIT || id == AXVM_SYSREG_X86_IDTR_LIMIT) {
		*max = U16_MAX;
		return id == AXVM_SYSREG_X86_GDTR_LIMIT ? &x->gdtr_limit :
							  &x->idtr_limit;
	}
	for (i = 0; i < AXVM_X86_NR_SEGS; i++) {
		if (id == AXVM_SYSREG_X86_SEG_LIMIT(i))
			return &x->seg[i].limit;
		if (id == AXVM_SYSREG_X86_SEG_ATTR(i)) {
			*max = 0x1ffff;
			return &x->seg[i].attr;
		}
	}
	return NULL;
}

static int axvm_x86_seg_sel(u64 id)
{
	unsigned int i;

	for (i = 0; i < AXVM_X86_NR_SEGS; i++)
		if (id == AXVM_SYSREG_X86_SEG_SEL(i))
			return i;
	return -ENOENT;
}

/* DR0-3, DR6, DR7: their number, or -ENOENT. */
static int axvm_x86_sysreg_dr(u64 id)
{
	if (id < AXVM_SYSREG_X86_DR(0) || id > AXVM_SYSREG_X86_DR(7) ||
	    id == AXVM_SYSREG_X86_DR(4) || id == AXVM_SYSREG_X86_DR(5))
		return -ENOENT;
	return id - AXVM_SYSREG_X86_DR(0);
}

int axvm_arch_get_sysreg(struct axvm_vcpu *vcpu, u64 id, u64 *val)
{
	struct axvm_x86_vcpu *x = vcpu->arch;
	u64 *p64, max;
	u32 *p32;
	int seg, dr;

	dr = axvm_x86_sysreg_dr(id);
	if (dr >= 0) {
		*val = *axvm_x86_dr_slot(x, dr);
		return 0;
	}

	if (id == AXVM_SYSREG_X86_CR8) {
		*val = axvm_x86_get_cr8(x);
		return 0;
	}
	if ((id & ~0xffffffffULL) == AXVM_SYSREG_CLASS_X86_MSR &&
	    !axvm_x86_tsc_get(x, id & 0xffffffff, val))
		return 0;
	p64 = axvm_x86_reg64(x, id);
	if (p64) {
		*val = *p64;
		return 0;
	}
	p32 = axvm_x86_reg32(x, id, &max);
	if (p32) {
		*val = *p32;
		return 0;
	}
	seg = axvm_x86_seg_sel(id);
	if (seg < 0)
		return seg;
	*val = x->seg[seg].sel;
	return 0;
}

int axvm_arch_set_sysreg(struct axvm_vcpu *vcpu, u64 id, u64 val)
{
	struct axvm_x86_vcpu *x = vcpu->arch;
	u64 *p64, max;
	u32 *p32;
	int seg, dr;

	/* CR0, CR3, CR4 or EFER may change the paging mode or its tables. */
	x->pdptr_stale = true;
	dr = axvm_x86_sysreg_dr(id);
	if (dr >= 0)
		return axvm_x86_dr_set(x, dr, val);
	if ((id & ~0xffffffffULL) == AXVM_SYSREG_CLASS_X86_MSR &&
	    !axvm_x86_tsc_set(x, id & 0xffffffff, val))
		return 0;

	p64 = axvm_x86_reg64(x, id);
	if (p64) {
		if ((id & ~0xffffffffULL) == AXVM_SYSREG_CLASS_X86_MSR &&
		    !axvm_x86_msr_valid(x, id & 0xffffffff, val))
			return -EINVAL;
		if (axvm_x86_cr_check(id, val))
			return -EINVAL;
		if (id == AXVM_SYSREG_X86_CR8)
			axvm_x86_set_cr8(x, val);
		else
			*p64 = val;
		return 0;
	}
	p32 = axvm_x86_reg32(x, id, &max);
	if (p32) {
		if (val > max)
			return -EINVAL;
		*p32 = val;
		return 0;
	}
	seg = axvm_x86_seg_sel(id);
	if (seg < 0)
		return seg;
	if (val > U16_MAX)
		return -EINVAL;
	x->seg[seg].sel = val;
	return 0;
}
