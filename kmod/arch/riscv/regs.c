// SPDX-License-Identifier: GPL-2.0
/* riscv64 vCPU register file: x1-x31, pc and the guest's S-mode CSRs. */
#include <linux/kernel.h>
#include <linux/slab.h>
#include <asm/csr.h>

#include "../../axvm.h"

#ifndef CSR_SENVCFG
#define CSR_SENVCFG	0x10a
#endif

/* The guest CSRs a vCPU carries (VS-mode copies while it runs). */
static const u16 axvm_riscv_csrs[] = {
	CSR_SSTATUS, CSR_SIE, CSR_STVEC, CSR_SSCRATCH, CSR_SEPC, CSR_SCAUSE,
	CSR_STVAL, CSR_SIP, CSR_SATP, CSR_SCOUNTEREN, CSR_SENVCFG,
};

#define AXVM_RISCV_NR_CSRS	ARRAY_SIZE(axvm_riscv_csrs)

struct axvm_riscv_vcpu {
	u64 x[32];
	u64 pc;
	u64 csrs[AXVM_RISCV_NR_CSRS];
};

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

	/* Hart ids are XLEN wide; all of them are valid. */
	r = kzalloc(sizeof(*r), GFP_KERNEL_ACCOUNT);
	if (!r)
		return -ENOMEM;
	vcpu->arch = r;
	return 0;
}

void axvm_arch_vcpu_destroy(struct axvm_vcpu *vcpu)
{
	kfree(vcpu->arch);
	vcpu->arch = NULL;
}

void axvm_arch_get_regs(struct axvm_vcpu *vcpu, struct axvm_regs *regs)
{
	struct axvm_riscv_vcpu *r = vcpu->arch;

	memcpy(regs->gpr, r->x, sizeof(r->x));
	regs->pc = r->pc;
	regs->pstate = 0;
}

int axvm_arch_set_regs(struct axvm_vcpu *vcpu, const struct axvm_regs *regs)
{
	struct axvm_riscv_vcpu *r = vcpu->arch;

	/* x0 is hard-wired to zero; there is no pstate on riscv. */
	if (regs->gpr[0] || regs->pstate)
		return -EINVAL;
	memcpy(r->x, regs->gpr, sizeof(r->x));
	r->pc = regs->pc;
	return 0;
}

int axvm_arch_get_sysreg(struct axvm_vcpu *vcpu, u64 id, u64 *val)
{
	struct axvm_riscv_vcpu *r = vcpu->arch;
	int i = axvm_riscv_csr_index(id);

	if (i < 0)
		return i;
	*val = r->csrs[i];
	return 0;
}

int axvm_arch_set_sysreg(struct axvm_vcpu *vcpu, u64 id, u64 val)
{
	struct axvm_riscv_vcpu *r = vcpu->arch;
	int i = axvm_riscv_csr_index(id);

	if (i < 0)
		return i;
	r->csrs[i] = val;
	return 0;
}
