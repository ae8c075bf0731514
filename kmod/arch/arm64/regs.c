// SPDX-License-Identifier: GPL-2.0
/* arm64 vCPU register file: X0-X30, SP_EL1, PC, PSTATE, EL1 sysregs. */
#include <linux/kernel.h>
#include <linux/slab.h>
#include <asm/cputype.h>
#include <asm/ptrace.h>
#include <asm/sysreg.h>
#include <uapi/linux/psci.h>

#include "arm64.h"

#ifndef SYS_SP_EL0
#define SYS_SP_EL0	sys_reg(3, 0, 4, 1, 0)
#endif

/* The EL1 system registers a vCPU carries, by their MRS encoding. */
static const u32 axvm_arm64_sysregs[AXVM_ARM64_NR_SYSREGS] = {
	[AXVM_ARM64_SCTLR] = SYS_SCTLR_EL1,
	[AXVM_ARM64_TTBR0] = SYS_TTBR0_EL1,
	[AXVM_ARM64_TTBR1] = SYS_TTBR1_EL1,
	[AXVM_ARM64_TCR] = SYS_TCR_EL1,
	[AXVM_ARM64_MAIR] = SYS_MAIR_EL1,
	[AXVM_ARM64_AMAIR] = SYS_AMAIR_EL1,
	[AXVM_ARM64_VBAR] = SYS_VBAR_EL1,
	[AXVM_ARM64_ESR] = SYS_ESR_EL1,
	[AXVM_ARM64_FAR] = SYS_FAR_EL1,
	[AXVM_ARM64_ELR] = SYS_ELR_EL1,
	[AXVM_ARM64_SPSR] = SYS_SPSR_EL1,
	[AXVM_ARM64_CPACR] = SYS_CPACR_EL1,
	[AXVM_ARM64_CONTEXTIDR] = SYS_CONTEXTIDR_EL1,
	[AXVM_ARM64_TPIDR_EL1] = SYS_TPIDR_EL1,
	[AXVM_ARM64_TPIDR_EL0] = SYS_TPIDR_EL0,
	[AXVM_ARM64_TPIDRRO_EL0] = SYS_TPIDRRO_EL0,
	[AXVM_ARM64_PAR] = SYS_PAR_EL1,
	[AXVM_ARM64_CNTKCTL] = SYS_CNTKCTL_EL1,
	[AXVM_ARM64_CNTV_CTL] = SYS_CNTV_CTL_EL0,
	[AXVM_ARM64_CNTV_CVAL] = SYS_CNTV_CVAL_EL0,
	[AXVM_ARM64_MPIDR] = SYS_MPIDR_EL1,
	[AXVM_ARM64_SP_EL0] = SYS_SP_EL0,
	[AXVM_ARM64_AFSR0] = SYS_AFSR0_EL1,
	[AXVM_ARM64_AFSR1] = SYS_AFSR1_EL1,
	[AXVM_ARM64_CSSELR] = SYS_CSSELR_EL1,
	[AXVM_ARM64_CNTP_CTL] = SYS_CNTP_CTL_EL0,
	[AXVM_ARM64_CNTP_CVAL] = SYS_CNTP_CVAL_EL0,
};

static u64 axvm_arm64_uapi_id(u32 enc)
{
	return AXVM_SYSREG_ARM64(sys_reg_Op0(enc), sys_reg_Op1(enc),
				 sys_reg_CRn(enc), sys_reg_CRm(enc),
				 sys_reg_Op2(enc));
}

static int axvm_arm64_sysreg_index(u64 id)
{
	unsigned int i;

	for (i = 0; i < AXVM_ARM64_NR_SYSREGS; i++)
		if (axvm_arm64_uapi_id(axvm_arm64_sysregs[i]) == id)
			return i;
	return -ENOENT;
}

static atomic64_t axvm_arm64_vcpu_serial = ATOMIC64_INIT(0);

/* SCTLR_EL1.EE and E0E: data endianness at EL1 and EL0. */
#define AXVM_SCTLR_EE		BIT_ULL(25)
#define AXVM_SCTLR_E0E		BIT_ULL(24)

/**
 * axvm_arm64_vcpu_reset() - the state a core powers on in
 * @a: the vCPU; it is not running
 * @pc: where it starts
 * @x0: its X0 (PSCI CPU_ON's context_id)
 * @be: big-endian at EL1 (PSCI: the CPU_ON caller's endianness)
 *
 * At creation and when PSCI CPU_ON starts it (PSCI 1.1, 6.4.3, "CPU_ON
 * and CPU_SUSPEND power down, entry point state"): AArch64 EL1h with D, A,
 * I and F masked, SCTLR_EL1 with the MMU and both caches off, X0 the
 * context ID, every other register, the EL1 system registers, the
 * debug registers and the FP/SIMD state cleared, the timers off.
 * MPIDR_EL1 stays, and so does the vGIC, as KVM leaves it on a reset:
 * the guest programs its CPU interface again, and interrupts pending
 * for the vCPU are kept.
 */
void axvm_arm64_vcpu_reset(struct axvm_arm64_vcpu *a, u64 pc, u64 x0, bool be)
{
	u64 mpidr = a->sysregs[AXVM_ARM64_MPIDR];

	memset(a->x, 0, sizeof(a->x));
	memset(a->sysregs, 0, sizeof(a->sysregs));
	memset(&a->fp, 0, sizeof(a->fp));
	memset(&a->debug, 0, sizeof(a->debug));
	a->x[0] = x0;
	a->sp_el1 = 0;
	a->pc = pc;
	a->pstate = PSR_MODE_EL1h | PSR_D_BIT | PSR_A_BIT | PSR_I_BIT |
		    PSR_F_BIT;
	a->sysregs[AXVM_ARM64_SCTLR] = (INIT_SCTLR_EL1_MMU_OFF &
					~(AXVM_SCTLR_EE | AXVM_SCTLR_E0E)) |
				       (be ? AXVM_SCTLR_EE : 0);
	a->sysregs[AXVM_ARM64_MPIDR] = mpidr;
	/* An exit still to complete belonged to the old state. */
	a->pending = 0;
}

int axvm_arch_vcpu_create(struct axvm_vcpu *vcpu, u64 arch_id)
{
	struct axvm_arm64_vcpu *a;
	int ret;

	/* Only the affinity fields of MPIDR_EL1 name a CPU. */
	if (arch_id & ~MPIDR_HWID_BITMASK)
		return -EINVAL;

	a = kzalloc(sizeof(*a), GFP_KERNEL_ACCOUNT);
	if (!a)
		return -ENOMEM;
	/* MPIDR_EL1.RES1 (bit 31) and the vCPU's affinity. */
	a->sysregs[AXVM_ARM64_MPIDR] = BIT_ULL(31) | arch_id;
	axvm_arm64_vcpu_reset(a, 0, 0, false);
	spin_lock_init(&a->power.lock);
	/* Off until its first run or a CPU_ON (PSCI's secondary cores). */
	a->power.state = AXVM_PSCI_OFF;
	axvm_arm64_vgic_reset(a);
	a->vcpu = vcpu;
	a->ptimer_direct = vcpu->setup & AXVM_VCPU_PASSTHROUGH_TIMER;
	a->serial = atomic64_inc_return(&axvm_arm64_vcpu_serial);
	axvm_arm64_timer_init(a);
	vcpu->arch = a;
	ret = axvm_vgic_dist_add_vcpu(vcpu);
	if (ret) {
		axvm_arm64_timer_destroy(a);
		kfree(a);
		vcpu->arch = NULL;
	}
	return ret;
}

void axvm_arch_vcpu_destroy(struct axvm_vcpu *vcpu)
{
	if (!vcpu->arch)
		return;
	axvm_vgic_dist_remove_vcpu(vcpu);
	axvm_arm64_timer_destroy(vcpu->arch);
	kfree(vcpu->arch);
	vcpu->arch = NULL;
}

void axvm_arch_get_regs(struct axvm_vcpu *vcpu, struct axvm_regs *regs)
{
	struct axvm_arm64_vcpu *a = vcpu->arch;

	memcpy(regs->gpr, a->x, sizeof(a->x));
	regs->gpr[31] = a->sp_el1;
	regs->pc = a->pc;
	regs->pstate = a->pstate;
}

#define AXVM_ARM64_PSTATE_OK						\
	(PSR_N_BIT | PSR_Z_BIT | PSR_C_BIT | PSR_V_BIT | PSR_D_BIT |	\
	 PSR_A_BIT | PSR_I_BIT | PSR_F_BIT | PSR_PAN_BIT | PSR_UAO_BIT |	\
	 PSR_DIT_BIT | PSR_TCO_BIT | PSR_SSBS_BIT | PSR_BTYPE_MASK |	\
	 PSR_MODE_MASK)

int axvm_arch_set_regs(struct axvm_vcpu *vcpu, const struct axvm_regs *regs)
{
	struct axvm_arm64_vcpu *a = vcpu->arch;
	u64 mode = regs->pstate & PSR_MODE_MASK;

	/* AArch64 EL0 or EL1 only: the guest never gets EL2 or AArch32. */
	if (regs->pstate & ~AXVM_ARM64_PSTATE_OK)
		return -EINVAL;
	if (mode != PSR_MODE_EL0t && mode != PSR_MODE_EL1t &&
	    mode != PSR_MODE_EL1h)
		return -EINVAL;

	memcpy(a->x, regs->gpr, sizeof(a->x));
	a->sp_el1 = regs->gpr[31];
	a->pc = regs->pc;
	a->pstate = regs->pstate;
	/*
	 * New state from userspace replaces any exit still to complete;
	 * a CPU_UP's answer still decides its target's power state, or a
	 * refused target would stay ON_PENDING for good.
	 */
	if (a->pending == AXVM_EXIT_CPU_UP)
		axvm_arm64_psci_cpu_on_done(vcpu, a->pending_target,
					    READ_ONCE(vcpu->run->cpu_up.ret) ==
					    PSCI_RET_SUCCESS);
	a->pending = 0;
	return 0;
}

/* FPSR and FPCR by their MRS encodings; the bits that exist in them. */
#define AXVM_ARM64_SYS_FPCR	sys_reg(3, 3, 4, 4, 0)
#define AXVM_ARM64_SYS_FPSR	sys_reg(3, 3, 4, 4, 1)
#define AXVM_ARM64_FPCR_BITS	0x07ff9f07ULL
#define AXVM_ARM64_FPSR_BITS	0xf800009fULL

/* A V register half, FPSR or FPCR: where the vCPU keeps it, or NULL. */
static u64 *axvm_arm64_fp_reg(struct axvm_arm64_vcpu *a, u64 id, u64 *bits)
{
	*bits = ~0ULL;
	if ((id & ~0x3fULL) == AXVM_SYSREG_CLASS_ARM64_FP)
		return (u64 *)&a->fp.v[(id >> 1) & 31] + (id & 1);
	if (id == axvm_arm64_uapi_id(AXVM_ARM64_SYS_FPCR)) {
		*bits = AXVM_ARM64_FPCR_BITS;
		return &a->fp.fpcr;
	}
	if (id == axvm_arm64_uapi_id(AXVM_ARM64_SYS_FPSR)) {
		*bits = AXVM_ARM64_FPSR_BITS;
		return &a->fp.fpsr;
	}
	return NULL;
}

/* The guest's debug registers (debug.c), by their uAPI id. */
static bool axvm_arm64_debug_sysreg(struct axvm_arm64_vcpu *a, u64 id,
				    bool write, u64 *val)
{
	if ((id & ~0xffffULL) != AXVM_SYSREG_CLASS_ARM64)
		return false;
	return axvm_arm64_debug_access(a, (id >> 14) & 3, (id >> 11) & 7,
				       (id >> 7) & 15, (id >> 3) & 15, id & 7,
				       write, val);
}

int axvm_arch_get_sysreg(struct axvm_vcpu *vcpu, u64 id, u64 *val)
{
	struct axvm_arm64_vcpu *a = vcpu->arch;
	int i = axvm_arm64_sysreg_index(id);
	u64 *fp, bits;

	if (i >= 0) {
		*val = a->sysregs[i];
		return 0;
	}
	if (axvm_arm64_debug_sysreg(a, id, false, val))
		return 0;
	fp = axvm_arm64_fp_reg(a, id, &bits);
	if (!fp)
		return -ENOENT;
	*val = *fp;
	return 0;
}

int axvm_arch_set_sysreg(struct axvm_vcpu *vcpu, u64 id, u64 val)
{
	struct axvm_arm64_vcpu *a = vcpu->arch;
	int i = axvm_arm64_sysreg_index(id);
	u64 *fp, bits;

	if (i >= 0) {
		/* The guest's CPU identity is fixed when the vCPU is created. */
		if (i == AXVM_ARM64_MPIDR)
			return val == a->sysregs[i] ? 0 : -EINVAL;
		/* ENABLE and IMASK; ISTATUS (bit 2) is the timer's own. */
		if (i == AXVM_ARM64_CNTP_CTL) {
			if (val & ~7ULL)
				return -EINVAL;
			val &= 3;
		}
		a->sysregs[i] = val;
		return 0;
	}
	if (axvm_arm64_debug_sysreg(a, id, true, &val))
		return 0;
	fp = axvm_arm64_fp_reg(a, id, &bits);
	if (!fp)
		return -ENOENT;
	if (val & ~bits)
		return -EINVAL;
	*fp = val;
	return 0;
}

/* CPUID tables are x86's. */
int axvm_arch_set_cpuid(struct axvm_vcpu *vcpu,
			const struct axvm_cpuid_entry *e, u32 n)
{
	return -ENOTTY;
}

int axvm_arch_get_cpuid(struct axvm_vcpu *vcpu, struct axvm_cpuid_entry *e,
			u32 *n)
{
	return -ENOTTY;
}

/* No NMI input: x86's. */
int axvm_arch_vcpu_nmi(struct axvm_vcpu *vcpu)
{
	return -ENOTTY;
}
