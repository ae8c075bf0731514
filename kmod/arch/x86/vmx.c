// SPDX-License-Identifier: GPL-2.0
/*
 * VMX operation: VMXON on every CPU with a per-CPU VMXON region, after
 * checking that firmware enabled VMX in IA32_FEAT_CTL and that nobody
 * else (KVM) is in VMX operation already.
 */
#define pr_fmt(fmt) "axvm: " fmt

#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <asm/asm.h>
#include <asm/io.h>
#include <asm/msr.h>
#include <asm/tlbflush.h>
#include <asm/vmx.h>

#include "x86.h"

static DEFINE_PER_CPU(struct page *, axvm_vmxon_page);
static u32 axvm_vmcs_revision;

static bool axvm_vmx_feat_ctl_ok(u64 *feat)
{
	const u64 need = FEAT_CTL_LOCKED | FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX;

	if (rdmsrl_safe(MSR_IA32_FEAT_CTL, feat))
		*feat = 0;
	return (*feat & need) == need;
}

/* CR0 and CR4 must honour the fixed bits of the VMX capability MSRs. */
static bool axvm_vmx_fixed_ok(unsigned long val, u32 msr0, u32 msr1)
{
	u64 fixed0, fixed1;

	rdmsrl(msr0, fixed0);
	rdmsrl(msr1, fixed1);
	return (val & fixed0) == fixed0 && !(val & ~fixed1);
}

void axvm_vmx_release(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		__free_page(per_cpu(axvm_vmxon_page, cpu));
		per_cpu(axvm_vmxon_page, cpu) = NULL;
	}
}

int axvm_vmx_probe(void)
{
	u64 feat, basic;
	int cpu;

	if (!axvm_vmx_feat_ctl_ok(&feat)) {
		pr_err("VMX is disabled by firmware (IA32_FEAT_CTL %#llx is not locked with VMX enabled)\n",
		       feat);
		return -EPERM;
	}
	if (cr4_read_shadow() & X86_CR4_VMXE) {
		pr_err("VMX is in use by another hypervisor (CR4.VMXE is set)\n");
		return -EBUSY;
	}

	rdmsrl(MSR_IA32_VMX_BASIC, basic);
	if (basic & VMX_BASIC_32BIT_PHYS_ADDR_ONLY ||
	    vmx_basic_vmcs_mem_type(basic) != X86_MEMTYPE_WB ||
	    vmx_basic_vmcs_size(basic) > PAGE_SIZE) {
		pr_err("unsupported VMX implementation (IA32_VMX_BASIC %#llx)\n",
		       basic);
		return -EOPNOTSUPP;
	}
	axvm_vmcs_revision = vmx_basic_vmcs_revision_id(basic);

	/* Allocated here so that enabling a CPU needs no allocation. */
	for_each_possible_cpu(cpu) {
		struct page *page = alloc_pages_node(cpu_to_node(cpu),
						     GFP_KERNEL | __GFP_ZERO, 0);

		if (!page) {
			axvm_vmx_release();
			return -ENOMEM;
		}
		*(u32 *)page_address(page) = axvm_vmcs_revision;
		per_cpu(axvm_vmxon_page, cpu) = page;
	}
	return 0;
}

/* 0 on success, -EIO on VMfail, -EFAULT when VMXON faulted. */
static int axvm_vmxon(u64 pa)
{
	u8 res = 2;	/* stays 2 when the fixup skips to label 2 */

	asm volatile("1: vmxon %[pa]\n\t"
		     "setna %[res]\n"
		     "2:\n\t"
		     _ASM_EXTABLE(1b, 2b)
		     : [res] "+qm" (res) : [pa] "m" (pa) : "cc", "memory");
	return res == 0 ? 0 : res == 1 ? -EIO : -EFAULT;
}

static int axvm_vmxoff(void)
{
	u8 faulted = 1;

	asm volatile("1: vmxoff\n\t"
		     "movb $0, %[faulted]\n"
		     "2:\n\t"
		     _ASM_EXTABLE(1b, 2b)
		     : [faulted] "+qm" (faulted) : : "cc", "memory");
	return faulted ? -EFAULT : 0;
}

int axvm_vmx_cpu_enable(void)
{
	struct page *page = this_cpu_read(axvm_vmxon_page);
	u64 feat;
	int ret;

	if (cr4_read_shadow() & X86_CR4_VMXE)
		return -EBUSY;
	if (!axvm_vmx_feat_ctl_ok(&feat))
		return -EPERM;
	if (!axvm_vmx_fixed_ok(read_cr0(), MSR_IA32_VMX_CR0_FIXED0,
			       MSR_IA32_VMX_CR0_FIXED1) ||
	    !axvm_vmx_fixed_ok(cr4_read_shadow() | X86_CR4_VMXE,
			       MSR_IA32_VMX_CR4_FIXED0,
			       MSR_IA32_VMX_CR4_FIXED1))
		return -EOPNOTSUPP;

	cr4_set_bits(X86_CR4_VMXE);
	ret = axvm_vmxon(page_to_phys(page));
	if (ret)
		cr4_clear_bits(X86_CR4_VMXE);
	return ret;
}

void axvm_vmx_cpu_disable(void)
{
	/* VMCSs active here must reach memory before VMX operation ends. */
	axvm_vmx_clear_loaded();
	WARN_ON_ONCE(axvm_vmxoff());
	cr4_clear_bits(X86_CR4_VMXE);
}
