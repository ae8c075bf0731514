// SPDX-License-Identifier: GPL-2.0
/*
 * Speculative-execution controls, at the level KVM gives a 6.1 host:
 *
 *  - guests see the controls the host has (IBRS/IBPB, STIBP, SSBD,
 *    L1D_FLUSH) and an IA32_ARCH_CAPABILITIES saying what the host found
 *    itself not vulnerable to, so that they protect themselves; their
 *    SPEC_CTRL is kept per vCPU and switched around each run by the
 *    world switch (vmx_entry.S, svm_entry.S, or the VMCB's own field
 *    with V_SPEC_CTRL), PRED_CMD and FLUSH_CMD writes are done for them;
 *  - IBPB when a CPU goes from one VM's vCPU to another VM's, so one
 *    guest cannot steer the next one's indirect branches (KVM issues it
 *    when it loads another VMCS/VMCB);
 *  - on VMX, an L1D flush before every entry where the CPU has L1TF
 *    (KVM's "always" mode);
 *  - an IBPB before the VMM's user space runs again, where the kernel
 *    mitigates VMSCAPE;
 *  - in the world switches: the RSB filled after every exit, VERW
 *    before every entry (CLEAR_CPU_BUFFERS / VM_CLEAR_CPU_BUFFERS), the
 *    branch history cleared after exit and RET untrained on SVM, each as
 *    the kernel's own alternatives select it for this CPU.
 *
 * Everything uses what 6.1 exports to modules (x86_spec_ctrl_current,
 * x86_pred_cmd, the entry thunks, the X86_FEATURE_* alternatives).
 */
#define pr_fmt(fmt) "axvm: " fmt

#include <linux/atomic.h>
#include <linux/cpu.h>
#include <linux/percpu.h>
#include <asm/cpufeature.h>
#include <asm/msr.h>
#include <asm/nospec-branch.h>

#include "x86.h"

/* The arch capabilities a guest may see (KVM_SUPPORTED_ARCH_CAP's kind). */
#define AXVM_ARCH_CAP_GUEST						\
	(ARCH_CAP_RDCL_NO | ARCH_CAP_IBRS_ALL | ARCH_CAP_RSBA |		\
	 ARCH_CAP_SKIP_VMENTRY_L1DFLUSH | ARCH_CAP_SSB_NO |		\
	 ARCH_CAP_MDS_NO | ARCH_CAP_PSCHANGE_MC_NO | ARCH_CAP_TAA_NO |	\
	 ARCH_CAP_SBDR_SSDP_NO | ARCH_CAP_FBSDP_NO | ARCH_CAP_PSDP_NO |	\
	 ARCH_CAP_FB_CLEAR | ARCH_CAP_RRSBA | ARCH_CAP_BHI_NO |		\
	 ARCH_CAP_PBRSB_NO | ARCH_CAP_GDS_NO | ARCH_CAP_RFDS_NO |	\
	 ARCH_CAP_RFDS_CLEAR)

/* CPUID 7.0 EDX and 0x80000008 EBX bits of these controls. */
#define CPUID7_EDX_SPEC_CTRL	BIT(26)
#define CPUID7_EDX_STIBP	BIT(27)
#define CPUID7_EDX_L1D_FLUSH	BIT(28)
#define CPUID7_EDX_ARCH_CAP	BIT(29)
#define CPUID7_EDX_SSBD		BIT(31)
#define CPUID_EXT8_EBX_VIRT_SSBD	BIT(25)

static u64 axvm_spec_ctrl_ok;	/* SPEC_CTRL bits a guest may set */
static u64 axvm_arch_caps;	/* what guests read */
static bool axvm_l1d_flush;	/* VMX entries flush the L1D */
static atomic64_t axvm_spec_vm_ids;
static DEFINE_PER_CPU(u64, axvm_spec_last_vm);

void axvm_x86_spec_setup(bool vmx)
{
	u64 caps = 0;

	if (boot_cpu_has(X86_FEATURE_MSR_SPEC_CTRL))
		axvm_spec_ctrl_ok |= SPEC_CTRL_IBRS;
	if (boot_cpu_has(X86_FEATURE_STIBP))
		axvm_spec_ctrl_ok |= SPEC_CTRL_STIBP;
	if (boot_cpu_has(X86_FEATURE_SPEC_CTRL_SSBD) ||
	    boot_cpu_has(X86_FEATURE_AMD_SSBD))
		axvm_spec_ctrl_ok |= SPEC_CTRL_SSBD;

	if (boot_cpu_has(X86_FEATURE_ARCH_CAPABILITIES))
		rdmsrl(MSR_IA32_ARCH_CAPABILITIES, caps);
	/* What the host kernel found it is not affected by, guests are not. */
	axvm_arch_caps = caps & AXVM_ARCH_CAP_GUEST;
	if (!boot_cpu_has_bug(X86_BUG_CPU_MELTDOWN))
		axvm_arch_caps |= ARCH_CAP_RDCL_NO;
	if (!boot_cpu_has_bug(X86_BUG_SPEC_STORE_BYPASS))
		axvm_arch_caps |= ARCH_CAP_SSB_NO;
	if (!boot_cpu_has_bug(X86_BUG_MDS))
		axvm_arch_caps |= ARCH_CAP_MDS_NO;
	/* No nested VMX: a guest never needs to flush for its own guests. */
	axvm_arch_caps |= ARCH_CAP_SKIP_VMENTRY_L1DFLUSH;

	if (vmx && boot_cpu_has_bug(X86_BUG_L1TF) &&
	    !(caps & ARCH_CAP_SKIP_VMENTRY_L1DFLUSH) &&
	    !cpu_mitigations_off()) {
		axvm_l1d_flush = boot_cpu_has(X86_FEATURE_FLUSH_L1D);
		if (!axvm_l1d_flush)
			pr_warn("L1TF: this CPU has no L1D flush command (update its microcode): guests run without the flush\n");
	}
}

/* CPUID leaves 7 and 0x80000008, after the host's bits were copied. */
void axvm_x86_spec_cpuid(u32 leaf, u32 sub, u32 *b, u32 *d)
{
	if (leaf == 7 && !sub) {
		/* The host's controls, and the MSR axvm emulates. */
		*d |= CPUID7_EDX_ARCH_CAP;
		if (!boot_cpu_has(X86_FEATURE_FLUSH_L1D))
			*d &= ~CPUID7_EDX_L1D_FLUSH;
	} else if (leaf == 0x80000008) {
		/* VIRT_SPEC_CTRL is not emulated. */
		*b &= ~CPUID_EXT8_EBX_VIRT_SSBD;
	}
}

/* 0, -EINVAL (#GP: no such MSR here, or write-only), -ENOENT. */
int axvm_x86_spec_rdmsr(struct axvm_x86_vcpu *x, u32 msr, u64 *v)
{
	switch (msr) {
	case MSR_IA32_SPEC_CTRL:
		if (!axvm_spec_ctrl_ok)
			return -EINVAL;
		*v = x->spec_ctrl;
		return 0;
	case MSR_IA32_ARCH_CAPABILITIES:
		*v = axvm_arch_caps;
		return 0;
	case MSR_IA32_PRED_CMD:
	case MSR_IA32_FLUSH_CMD:
		return -EINVAL;		/* write-only */
	}
	return -ENOENT;
}

/* 0, -EINVAL (#GP) for a value the CPU does not take, -ENOENT. */
int axvm_x86_spec_wrmsr(struct axvm_x86_vcpu *x, u32 msr, u64 v)
{
	switch (msr) {
	case MSR_IA32_SPEC_CTRL:
		if (!axvm_spec_ctrl_ok || (v & ~axvm_spec_ctrl_ok))
			return -EINVAL;
		x->spec_ctrl = v;
		return 0;
	case MSR_IA32_PRED_CMD:
		if (v & ~PRED_CMD_IBPB || !boot_cpu_has(X86_FEATURE_IBPB))
			return -EINVAL;
		if (v)
			wrmsrl(MSR_IA32_PRED_CMD, PRED_CMD_IBPB);
		return 0;
	case MSR_IA32_FLUSH_CMD:
		if (v & ~L1D_FLUSH || !boot_cpu_has(X86_FEATURE_FLUSH_L1D))
			return -EINVAL;
		if (v)
			wrmsrl(MSR_IA32_FLUSH_CMD, L1D_FLUSH);
		return 0;
	case MSR_IA32_ARCH_CAPABILITIES:
		return -EINVAL;		/* read-only */
	}
	return -ENOENT;
}

void axvm_x86_spec_vm_init(struct axvm_x86_vm *xvm)
{
	xvm->spec_id = atomic64_inc_return(&axvm_spec_vm_ids);
}

/*
 * SRSO where the CPU has BpSpecReduce (Zen 5): kernels with that
 * mitigation (Debian's 6.12; not 6.1) choose it over an IBPB on every VM
 * exit and leave BP_CFG.BP_SPEC_REDUCE to the hypervisor, which sets it
 * before a CPU runs a guest (KVM: svm_prepare_switch_to_guest). axvm
 * sets it on a CPU's first SVM entry and clears it when the CPU is
 * given back.
 */
#ifdef X86_FEATURE_SRSO_BP_SPEC_REDUCE
static DEFINE_PER_CPU(bool, axvm_spec_bp_reduced);

static void axvm_x86_spec_bp_reduce(void)
{
	if (cpu_feature_enabled(X86_FEATURE_SRSO_BP_SPEC_REDUCE) &&
	    !this_cpu_read(axvm_spec_bp_reduced)) {
		msr_set_bit(MSR_ZEN4_BP_CFG, MSR_ZEN4_BP_CFG_BP_SPEC_REDUCE_BIT);
		this_cpu_write(axvm_spec_bp_reduced, true);
	}
}

/* Interrupts off, on the CPU given back. */
void axvm_x86_spec_cpu_off(void)
{
	if (this_cpu_read(axvm_spec_bp_reduced)) {
		msr_clear_bit(MSR_ZEN4_BP_CFG,
			      MSR_ZEN4_BP_CFG_BP_SPEC_REDUCE_BIT);
		this_cpu_write(axvm_spec_bp_reduced, false);
	}
}
#else
static void axvm_x86_spec_bp_reduce(void)
{
}

void axvm_x86_spec_cpu_off(void)
{
}
#endif

/*
 * Right after an exit, interrupts still off: where the kernel mitigates
 * VMSCAPE, the VMM's own user space must not run on what the guest left
 * in the branch predictors: an IBPB before this CPU returns to user
 * space (as KVM marks it).
 */
void axvm_x86_spec_exit(void)
{
	if (cpu_feature_enabled(X86_FEATURE_IBPB_EXIT_TO_USER))
		this_cpu_write(x86_ibpb_exit_to_user, true);
}

/* Right before an entry, interrupts off. */
void axvm_x86_spec_enter(struct axvm_x86_vm *xvm, bool vmx)
{
	if (this_cpu_read(axvm_spec_last_vm) != xvm->spec_id) {
		indirect_branch_prediction_barrier();
		this_cpu_write(axvm_spec_last_vm, xvm->spec_id);
	}
	if (vmx && axvm_l1d_flush)
		wrmsrl(MSR_IA32_FLUSH_CMD, L1D_FLUSH);
	if (!vmx)
		axvm_x86_spec_bp_reduce();
}
