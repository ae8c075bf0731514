// SPDX-License-Identifier: GPL-2.0
/*
 * arm64: axvm runs guests from a VHE host, the kernel itself at EL2. It
 * owns no EL2 state outside a guest run, so taking over a CPU only checks
 * that the CPU really runs the kernel at EL2.
 */
#define pr_fmt(fmt) "axvm: " fmt

#include <linux/module.h>
#include <asm/virt.h>

#include "../../axvm.h"

int axvm_arch_probe(struct axvm_arch_info *info)
{
	info->arch = AXVM_ARCH_ARM64;
	info->name = "arm64 VHE";
	info->can_run = false;
	info->guest_phys_bits = 40;
	info->nr_irqs = 1020;	/* GICv3 INTIDs below the special range */

	/* Linux stays at EL2 only when it runs with VHE. */
	if (!is_kernel_in_hyp_mode()) {
		pr_err("the kernel runs at EL1 (no EL2, or nVHE boot): axvm needs a VHE host\n");
		return -EOPNOTSUPP;
	}
	if (axvm_kvm_present()) {
		pr_err("KVM is present in this kernel and shares EL2 with axvm; refusing to load\n");
		return -EBUSY;
	}
	return 0;
}

void axvm_arch_release(void)
{
}

int axvm_arch_cpu_enable(void)
{
	return is_kernel_in_hyp_mode() ? 0 : -EOPNOTSUPP;
}

void axvm_arch_cpu_disable(void)
{
}

int axvm_arch_vm_init(struct axvm_vm *vm)
{
	return 0;
}

void axvm_arch_vm_destroy(struct axvm_vm *vm)
{
}

void axvm_arch_vm_unmap(struct axvm_vm *vm, u64 gpa, u64 size)
{
}

int axvm_arch_vcpu_run(struct axvm_vcpu *vcpu)
{
	return -EOPNOTSUPP;
}
