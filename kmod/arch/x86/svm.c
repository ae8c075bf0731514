// SPDX-License-Identifier: GPL-2.0
/*
 * SVM: EFER.SVME and a host save area (VM_HSAVE_PA) on every CPU, after
 * checking that firmware did not disable SVM (VM_CR.SVMDIS) and that
 * nobody else (KVM) has EFER.SVME set already.
 */
#define pr_fmt(fmt) "axvm: " fmt

#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <asm/io.h>
#include <asm/msr.h>
#include <asm/svm.h>

#include "x86.h"

static DEFINE_PER_CPU(struct page *, axvm_hsave_page);

void axvm_svm_release(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		__free_page(per_cpu(axvm_hsave_page, cpu));
		per_cpu(axvm_hsave_page, cpu) = NULL;
	}
}

int axvm_svm_probe(void)
{
	u64 vm_cr, efer;
	int cpu;

	rdmsrl(MSR_VM_CR, vm_cr);
	if (vm_cr & BIT_ULL(SVM_VM_CR_SVM_DISABLE)) {
		pr_err("SVM is disabled by firmware (VM_CR %#llx)\n", vm_cr);
		return -EPERM;
	}
	rdmsrl(MSR_EFER, efer);
	if (efer & EFER_SVME) {
		pr_err("SVM is in use by another hypervisor (EFER.SVME is set)\n");
		return -EBUSY;
	}

	for_each_possible_cpu(cpu) {
		struct page *page = alloc_pages_node(cpu_to_node(cpu),
						     GFP_KERNEL | __GFP_ZERO, 0);

		if (!page) {
			axvm_svm_release();
			return -ENOMEM;
		}
		per_cpu(axvm_hsave_page, cpu) = page;
	}
	return 0;
}

int axvm_svm_cpu_enable(void)
{
	u64 efer, vm_cr;

	rdmsrl(MSR_VM_CR, vm_cr);
	if (vm_cr & BIT_ULL(SVM_VM_CR_SVM_DISABLE))
		return -EPERM;
	rdmsrl(MSR_EFER, efer);
	if (efer & EFER_SVME)
		return -EBUSY;

	wrmsrl(MSR_VM_HSAVE_PA, page_to_phys(this_cpu_read(axvm_hsave_page)));
	wrmsrl(MSR_EFER, efer | EFER_SVME);
	return 0;
}

void axvm_svm_cpu_disable(void)
{
	u64 efer;

	rdmsrl(MSR_EFER, efer);
	if (efer & EFER_SVME) {
		/* GIF may be clear if a run was cut short; set it first. */
		asm volatile("stgi" ::: "memory");
		wrmsrl(MSR_EFER, efer & ~EFER_SVME);
	}
	wrmsrl(MSR_VM_HSAVE_PA, 0);
}
