// SPDX-License-Identifier: GPL-2.0
/*
 * SVM: EFER.SVME and a host save area (VM_HSAVE_PA) on every CPU, after
 * checking that firmware did not disable SVM (VM_CR.SVMDIS) and that
 * nobody else (KVM) has EFER.SVME set already. Guests need nested paging;
 * the I/O and MSR permission maps, shared by all vCPUs, intercept every
 * port and every MSR.
 */
#define pr_fmt(fmt) "axvm: " fmt

#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/percpu.h>
#include <linux/string.h>
#include <asm/io.h>
#include <asm/msr.h>
#include <asm/pgtable.h>
#include <asm/svm.h>

#include "x86.h"

static DEFINE_PER_CPU(struct page *, axvm_hsave_page);
/* VMSAVE/VMLOAD of the host's FS, GS, TR, LDTR and syscall MSRs. */
DEFINE_PER_CPU(struct page *, axvm_svm_host_vmsave);

/* Every port and MSR intercepted: 12 KiB and 8 KiB of ones. */
#define AXVM_SVM_IOPM_ORDER	2
#define AXVM_SVM_MSRPM_ORDER	1
phys_addr_t axvm_svm_iopm_pa, axvm_svm_msrpm_pa;
static struct page *axvm_svm_iopm, *axvm_svm_msrpm;

/* CPUID 0x8000000A EDX: nested paging. */
#define AXVM_SVM_FEATURE_NPT	BIT(0)

/* Set under QEMU's TCG, whose #VMEXIT loses the host's CR0 (svm_run.c). */
bool axvm_svm_tcg_lme;
module_param_named(svm_tcg_lme_workaround, axvm_svm_tcg_lme, bool, 0444);
MODULE_PARM_DESC(svm_tcg_lme_workaround,
		 "Y: QEMU TCG's SVM, guests' EFER.LME kept from it while paging is off");

/* The hypervisor CPUID leaf says "TCGTCGTCGTCG": QEMU without KVM. */
static bool axvm_svm_under_tcg(void)
{
	u32 max, sig[3];

	if (!boot_cpu_has(X86_FEATURE_HYPERVISOR))
		return false;
	cpuid(0x40000000, &max, &sig[0], &sig[1], &sig[2]);
	return !memcmp(sig, "TCGTCGTCGTCG", sizeof(sig));
}

void axvm_svm_release(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		if (per_cpu(axvm_hsave_page, cpu))
			__free_page(per_cpu(axvm_hsave_page, cpu));
		if (per_cpu(axvm_svm_host_vmsave, cpu))
			__free_page(per_cpu(axvm_svm_host_vmsave, cpu));
		per_cpu(axvm_hsave_page, cpu) = NULL;
		per_cpu(axvm_svm_host_vmsave, cpu) = NULL;
	}
	if (axvm_svm_iopm)
		__free_pages(axvm_svm_iopm, AXVM_SVM_IOPM_ORDER);
	if (axvm_svm_msrpm)
		__free_pages(axvm_svm_msrpm, AXVM_SVM_MSRPM_ORDER);
	axvm_svm_iopm = NULL;
	axvm_svm_msrpm = NULL;
}

static struct page *axvm_svm_alloc_ones(unsigned int order)
{
	struct page *page = alloc_pages(GFP_KERNEL, order);

	if (page)
		memset(page_address(page), 0xff, PAGE_SIZE << order);
	return page;
}

int axvm_svm_probe(struct axvm_arch_info *info)
{
	u64 vm_cr, efer;
	u32 nr_asids;
	int cpu;

	rdmsrl(MSR_VM_CR, vm_cr);
	if (vm_cr & SVM_VM_CR_SVM_DIS_MASK) {
		pr_err("SVM is disabled by firmware (VM_CR %#llx)\n", vm_cr);
		return -EPERM;
	}
	rdmsrl(MSR_EFER, efer);
	if (efer & EFER_SVME) {
		pr_err("SVM is in use by another hypervisor (EFER.SVME is set)\n");
		return -EBUSY;
	}

	if (cpuid_eax(0x80000000) < SVM_CPUID_FUNC ||
	    !(cpuid_edx(SVM_CPUID_FUNC) & AXVM_SVM_FEATURE_NPT)) {
		pr_err("SVM without nested paging is not supported\n");
		return -EOPNOTSUPP;
	}
	/* ASID 0 is the host's: ids 1 to nr_asids - 1 for guests. */
	nr_asids = cpuid_ebx(SVM_CPUID_FUNC);
	if (nr_asids < 2) {
		pr_err("SVM reports no ASID for guests\n");
		return -EOPNOTSUPP;
	}
	axvm_vmid_setup(ilog2(nr_asids));
	axvm_svm_tcg_lme = axvm_svm_under_tcg();

	for_each_possible_cpu(cpu) {
		struct page *hsave, *vmsave;

		hsave = alloc_pages_node(cpu_to_node(cpu),
					 GFP_KERNEL | __GFP_ZERO, 0);
		vmsave = alloc_pages_node(cpu_to_node(cpu),
					  GFP_KERNEL | __GFP_ZERO, 0);
		per_cpu(axvm_hsave_page, cpu) = hsave;
		per_cpu(axvm_svm_host_vmsave, cpu) = vmsave;
		if (!hsave || !vmsave)
			goto nomem;
	}
	axvm_svm_iopm = axvm_svm_alloc_ones(AXVM_SVM_IOPM_ORDER);
	axvm_svm_msrpm = axvm_svm_alloc_ones(AXVM_SVM_MSRPM_ORDER);
	if (!axvm_svm_iopm || !axvm_svm_msrpm)
		goto nomem;
	axvm_svm_iopm_pa = page_to_phys(axvm_svm_iopm);
	axvm_svm_msrpm_pa = page_to_phys(axvm_svm_msrpm);

	info->can_run = true;
	/* Nested tables have the levels of the host's paging (LA57: 5). */
	info->s2_format = pgtable_l5_enabled() ? &axvm_x86_npt5_format :
						 &axvm_x86_npt_format;
	return 0;

nomem:
	axvm_svm_release();
	return -ENOMEM;
}

int axvm_svm_cpu_enable(void)
{
	u64 efer, vm_cr;

	rdmsrl(MSR_VM_CR, vm_cr);
	if (vm_cr & SVM_VM_CR_SVM_DIS_MASK)
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
	axvm_x86_spec_cpu_off();
}
