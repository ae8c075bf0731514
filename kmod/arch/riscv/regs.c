// SPDX-License-Identifier: GPL-2.0
/*
 * riscv64 vCPU register file: x1-x31, pc, the privilege it resumes in,
 * the guest's S-level CSRs, and the F/D registers.
 */
#include <linux/atomic.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <asm/csr.h>
#include <asm/pgtable.h>

#include "riscv.h"

/* The guest CSRs a vCPU carries, in enum axvm_riscv_csr order. */
static const u16 axvm_riscv_csrs[AXVM_RISCV_NR_CSRS] = {
	[AXVM_RISCV_SSTATUS] = CSR_SSTATUS,
	[AXVM_RISCV_SIE] = CSR_SIE,
	[AXVM_RISCV_STVEC] = CSR_STVEC,
	[AXVM_RISCV_SSCRATCH] = CSR_SSCRATCH,
	[AXVM_RISCV_SEPC] = CSR_SEPC,
	[AXVM_RISCV_SCAUSE] = CSR_SCAUSE,
	[AXVM_RISCV_STVAL] = CSR_STVAL,
	[AXVM_RISCV_SIP] = CSR_SIP,
	[AXVM_RISCV_SATP] = CSR_SATP,
	[AXVM_RISCV_SCOUNTEREN] = CSR_SCOUNTEREN,
	[AXVM_RISCV_SENVCFG] = CSR_SENVCFG,
};

/* pstate: the privilege the vCPU resumes in. */
#define AXVM_RISCV_PSTATE_USER	1

/* The FP registers by number: f0-f31, then fcsr. */
#define AXVM_RISCV_CSR_FCSR	0x003
#define AXVM_RISCV_FCSR_BITS	0xff

static atomic64_t axvm_riscv_uids = ATOMIC64_INIT(0);

static int axvm_riscv_csr_index(u64 id)
{
	unsigned int i;

	for (i = 0; i < AXVM_RISCV_NR_CSRS; i++)
		if (AXVM_SYSREG_RISCV_CSR(axvm_riscv_csrs[i]) == id)
			return i;
	return -ENOENT;
}

int axvm_arch_vcpu_create(struct axvm_vcpu *vcpu, u64 arch_id)
{
	struct axvm_riscv_vcpu *r;

	/* Hart ids are XLEN wide: valid unless the PLIC has no context. */
	if (!axvm_riscv_plic_has_hart(vcpu->vm, arch_id))
		return -EINVAL;
	r = kzalloc(sizeof(*r), GFP_KERNEL_ACCOUNT);
	if (!r)
		return -ENOMEM;
	r->vcpu = vcpu;
	r->uid = atomic64_inc_return(&axvm_riscv_uids);
	r->last_cpu = -1;
	atomic_set(&r->hsm_state, AXVM_SBI_HSM_STOPPED);
	axvm_riscv_timer_init(r);
	vcpu->arch = r;
	return 0;
}

void axvm_arch_vcpu_destroy(struct axvm_vcpu *vcpu)
{
	struct axvm_riscv_vcpu *r = vcpu->arch;

	axvm_riscv_timer_destroy(r);
	kfree(r);
	vcpu->arch = NULL;
}

/*
 * After an SBI HSM hart_start named this hart (SBI v2.0, 9.1): it starts
 * in S-mode at start_addr with satp 0, sstatus.SIE 0, a0 its hart id and
 * a1 the opaque value; the SBI leaves every other register undefined,
 * and axvm gives them the values of a new vCPU, timer off.
 */
void axvm_arch_vcpu_apply_reset(struct axvm_vcpu *vcpu)
{
	struct axvm_riscv_vcpu *r = vcpu->arch;

	if (!atomic_xchg(&r->start_reset, 0))
		return;
	memset(r->ctx.x, 0, sizeof(r->ctx.x));
	memset(r->csrs, 0, sizeof(r->csrs));
	memset(&r->fp, 0, sizeof(r->fp));
	r->ctx.x[10] = vcpu->arch_id;
	r->ctx.x[11] = r->start_opaque;
	r->ctx.sepc = r->start_addr;
	r->user = false;
	r->timer_deadline = U64_MAX;
	/* A software interrupt pending from before it stopped is gone. */
	atomic_set(&r->ipi, 0);
	r->hvip = 0;
	r->pending = 0;
}

void axvm_arch_get_regs(struct axvm_vcpu *vcpu, struct axvm_regs *regs)
{
	struct axvm_riscv_vcpu *r = vcpu->arch;

	memcpy(regs->gpr, r->ctx.x, sizeof(r->ctx.x));
	regs->gpr[0] = 0;
	regs->pc = r->ctx.sepc;
	regs->pstate = r->user ? AXVM_RISCV_PSTATE_USER : 0;
}

int axvm_arch_set_regs(struct axvm_vcpu *vcpu, const struct axvm_regs *regs)
{
	struct axvm_riscv_vcpu *r = vcpu->arch;

	/* x0 is hard-wired to zero. */
	if (regs->gpr[0] || regs->pstate & ~AXVM_RISCV_PSTATE_USER)
		return -EINVAL;
	memcpy(r->ctx.x, regs->gpr, sizeof(r->ctx.x));
	r->ctx.sepc = regs->pc;
	r->user = regs->pstate & AXVM_RISCV_PSTATE_USER;
	/* New state from userspace replaces any exit still to complete. */
	r->pending = 0;
	return 0;
}

/* An F/D register or fcsr: where the vCPU keeps it, or NULL. */
static u64 *axvm_riscv_fp_reg(struct axvm_riscv_vcpu *r, u64 id, u64 *bits)
{
	*bits = ~0ULL;
	if ((id & ~0x1fULL) == AXVM_SYSREG_CLASS_RISCV_FP)
		return &r->fp.f[id & 31];
	if (id == AXVM_SYSREG_RISCV_CSR(AXVM_RISCV_CSR_FCSR)) {
		*bits = AXVM_RISCV_FCSR_BITS;
		return &r->fp.fcsr;
	}
	return NULL;
}

int axvm_arch_get_sysreg(struct axvm_vcpu *vcpu, u64 id, u64 *val)
{
	struct axvm_riscv_vcpu *r = vcpu->arch;
	int i = axvm_riscv_csr_index(id);
	u64 *fp, bits;

	if (i == AXVM_RISCV_SIP) {
		/* What the guest reads in sip: hvip's VS bits, shifted. */
		*val = (r->hvip & AXVM_RISCV_VS_IRQS) >> 1;
		return 0;
	}
	if (i >= 0) {
		*val = r->csrs[i];
		return 0;
	}
	fp = axvm_riscv_fp_reg(r, id, &bits);
	if (!fp)
		return -ENOENT;
	*val = *fp;
	return 0;
}

/*
 * A satp MODE the guest could not have written itself: the privileged
 * spec makes a VS-mode satp write with an unsupported MODE have no
 * effect, but vsatp written from HS-mode may keep one, and what the
 * hart then does is not specified (QEMU 7.2 aborts). The modes the host
 * itself pages with are supported; Bare always.
 */
static bool axvm_riscv_satp_ok(u64 val)
{
	switch (val >> 60) {
	case 0:
	case SATP_MODE_39 >> 60:
		return true;
	case SATP_MODE_48 >> 60:
		return pgtable_l4_enabled;
	case SATP_MODE_57 >> 60:
		return pgtable_l5_enabled;
	default:
		return false;
	}
}

/*
 * An sstatus value a guest's vsstatus can hold. vsstatus is VS-mode's
 * sstatus (privileged spec, "Virtual Supervisor Status Register"), with
 * the fields SIE, SPIE, UBE, SPP, VS, FS, XS, SUM, MXR, UXL and SD; the
 * other bits are WPRI. The spec's rule for those ("CSR Field
 * Specifications"): software preserves the values they hold and never
 * writes its own; a hart without such a field makes it read-only zero.
 * QEMU 7.2 does not for vsstatus: it keeps all 64 bits, ORs them into
 * mstatus at the next entry to V=1 and leaves them there after the
 * exit. The ioctl fuzzer's sstatus of ~0 so left the host with
 * mstatus.TSR (its next SRET an illegal instruction) and MPRV (OpenSBI's
 * trap entry then faulting on its own stores, forever). Refused as
 * well: UBE (big-endian VU-mode data, which the MMIO emulation does not
 * do, and a bit QEMU leaks the same way) and a UXL other than 64-bit (0
 * stands for it: the reset value). XS and SD are read-only summaries:
 * accepted, so that what GET_SYSREG returned can be set again, and
 * ignored.
 */
static bool axvm_riscv_sstatus_ok(u64 val)
{
	u64 uxl = val & SR_UXL;

	if (val & ~(AXVM_RISCV_SSTATUS_RW | SR_XS | SR_SD | SR_UXL))
		return false;
	return !uxl || uxl == SR_UXL_64;
}

int axvm_arch_set_sysreg(struct axvm_vcpu *vcpu, u64 id, u64 val)
{
	struct axvm_riscv_vcpu *r = vcpu->arch;
	int i = axvm_riscv_csr_index(id);
	u64 *fp, bits;

	if (i == AXVM_RISCV_SIP) {
		/* Only SSIP is the guest's to set; the others are lines. */
		if (val & ~(u64)BIT(IRQ_S_SOFT))
			return -EINVAL;
		r->hvip = val << 1;
		return 0;
	}
	if (i == AXVM_RISCV_SATP && !axvm_riscv_satp_ok(val))
		return -EINVAL;
	if (i == AXVM_RISCV_SSTATUS) {
		if (!axvm_riscv_sstatus_ok(val))
			return -EINVAL;
		val &= AXVM_RISCV_SSTATUS_RW;
	}
	if (i >= 0) {
		r->csrs[i] = val;
		return 0;
	}
	fp = axvm_riscv_fp_reg(r, id, &bits);
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
