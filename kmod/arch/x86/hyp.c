// SPDX-License-Identifier: GPL-2.0
/*
 * x86: pick VMX (Intel) or SVM (AMD) by what the CPU reports and route
 * the per-CPU take-over to that half.
 */
#define pr_fmt(fmt) "axvm: " fmt

#include <linux/module.h>
#include <asm/cpufeature.h>
#include <asm/fpu/xcr.h>
#include <asm/processor.h>

#include "x86.h"

static bool axvm_use_svm;
u64 axvm_x86_host_xcr0;
u32 axvm_x86_guest_lacks;

int axvm_arch_probe(struct axvm_arch_info *info)
{
	int ret;

	info->can_run = false;
	if (boot_cpu_has(X86_FEATURE_OSXSAVE))
		axvm_x86_host_xcr0 = xgetbv(XCR_XFEATURE_ENABLED_MASK);
	info->guest_phys_bits = 48;	/* 4-level EPT/NPT */
	info->nr_irqs = 256;		/* interrupt vectors */
	info->cpuid_entries = AXVM_X86_CPUID_ENTRIES;
	info->irqchips = BIT(AXVM_IRQCHIP_X86);
	info->user_ipi = true;

	/*
	 * Raw CPUID, not boot_cpu_has(): the kernel hides VMX when firmware
	 * disabled it, and "disabled" must be told apart from "absent".
	 */
	if (cpuid_ecx(1) & BIT(X86_FEATURE_VMX & 31)) {
		info->arch = AXVM_ARCH_X86_VMX;
		info->name = "x86 VMX";
		ret = axvm_vmx_probe();
		if (!ret) {
			ret = axvm_vmx_setup(info);
			if (ret)
				axvm_vmx_release();
			else
				axvm_x86_spec_setup(true);
		}
	} else if (cpuid_eax(0x80000000) >= 0x80000001 &&
		   cpuid_ecx(0x80000001) & BIT(X86_FEATURE_SVM & 31)) {
		info->arch = AXVM_ARCH_X86_SVM;
		info->name = "x86 SVM";
		axvm_use_svm = true;
		ret = axvm_svm_probe(info);
		if (!ret)
			axvm_x86_spec_setup(false);
	} else {
		pr_err("the CPU has neither VMX nor SVM\n");
		ret = -ENODEV;
	}
	return ret;
}

void axvm_arch_release(void)
{
	if (axvm_use_svm) {
		axvm_svm_release();
	} else {
		axvm_vmx_teardown();
		axvm_vmx_release();
	}
}

int axvm_arch_cpu_enable(void)
{
	return axvm_use_svm ? axvm_svm_cpu_enable() : axvm_vmx_cpu_enable();
}

void axvm_arch_cpu_disable(void)
{
	if (axvm_use_svm)
		axvm_svm_cpu_disable();
	else
		axvm_vmx_cpu_disable();
}

int axvm_arch_vm_init(struct axvm_vm *vm)
{
	int ret = axvm_use_svm ? axvm_svm_vm_init(vm) : axvm_vmx_vm_init(vm);

	if (!ret) {
		axvm_x86_pvclock_vm_init(vm->arch);
		axvm_x86_spec_vm_init(vm->arch);
	}
	return ret;
}

void axvm_arch_vm_destroy(struct axvm_vm *vm)
{
	axvm_x86_chip_destroy(vm);
	if (axvm_use_svm)
		axvm_svm_vm_destroy(vm);
	else
		axvm_vmx_vm_destroy(vm);
}

void axvm_arch_vm_flush(struct axvm_vm *vm, u64 gpa, u64 size)
{
	if (axvm_use_svm)
		axvm_svm_vm_flush(vm);
	else
		axvm_vmx_vm_flush(vm);
}

/* SVM ASIDs and VMX VPIDs come from the same allocator. */
void axvm_arch_vmid_rollover(void)
{
	if (axvm_use_svm)
		axvm_svm_vmid_rollover();
	else
		axvm_vmx_vmid_rollover();
}

int axvm_x86_hw_vcpu_create(struct axvm_x86_vcpu *x)
{
	return axvm_use_svm ? axvm_svm_vcpu_create(x) :
			      axvm_vmx_vcpu_create(x);
}

void axvm_x86_hw_vcpu_destroy(struct axvm_x86_vcpu *x)
{
	if (axvm_use_svm)
		axvm_svm_vcpu_destroy(x);
	else
		axvm_vmx_vcpu_destroy(x);
}

int axvm_arch_vcpu_run(struct axvm_vcpu *vcpu)
{
	return axvm_use_svm ? axvm_svm_vcpu_run(vcpu->arch) :
			      axvm_vmx_vcpu_run(vcpu->arch);
}
