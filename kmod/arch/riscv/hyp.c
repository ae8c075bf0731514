// SPDX-License-Identifier: GPL-2.0
/*
 * riscv64: guests run in VS/VU-mode from the HS-mode kernel. Taking over a
 * CPU puts the hypervisor CSRs in a known state: nothing delegated to the
 * guest and no virtual interrupt pending, until a guest run sets them.
 */
#define pr_fmt(fmt) "axvm: " fmt

#include <linux/module.h>
#include <asm/csr.h>
#include <asm/hwcap.h>
#include <asm/insn-def.h>

#include "../../axvm.h"

int axvm_arch_probe(struct axvm_arch_info *info)
{
	info->arch = AXVM_ARCH_RISCV64;
	info->name = "riscv64 H-extension";
	info->can_run = false;
	info->guest_phys_bits = 41;	/* Sv39x4 */
	info->nr_irqs = 64;		/* interrupt causes, hvip bits */

	if (!riscv_isa_extension_available(NULL, h)) {
		pr_err("the CPU has no H extension\n");
		return -ENODEV;
	}
	if (axvm_kvm_present()) {
		pr_err("KVM is present in this kernel and shares the hypervisor CSRs with axvm; refusing to load\n");
		return -EBUSY;
	}
	return 0;
}

void axvm_arch_release(void)
{
}

static void axvm_riscv_reset_hcsrs(void)
{
	csr_write(CSR_HEDELEG, 0);
	csr_write(CSR_HIDELEG, 0);
	csr_write(CSR_HVIP, 0);
	csr_write(CSR_HCOUNTEREN, 0);
}

int axvm_arch_cpu_enable(void)
{
	axvm_riscv_reset_hcsrs();
	return 0;
}

void axvm_arch_cpu_disable(void)
{
	axvm_riscv_reset_hcsrs();
}

int axvm_arch_vm_init(struct axvm_vm *vm)
{
	return 0;
}

void axvm_arch_vm_destroy(struct axvm_vm *vm)
{
}

void axvm_arch_vm_flush(struct axvm_vm *vm, u64 gpa, u64 size)
{
}

/* Every G-stage TLB entry of every VMID on this hart. */
void axvm_arch_vmid_rollover(void)
{
	asm volatile(HFENCE_GVMA(zero, zero) : : : "memory");
}

int axvm_arch_vcpu_run(struct axvm_vcpu *vcpu)
{
	return -EOPNOTSUPP;
}
