// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's time-stamp counter (SDM vol. 3B, 17.17): the host's TSC plus
 * a per-vCPU offset, which the CPU adds to RDTSC and RDTSCP in the guest
 * (VMCB TSC_OFFSET, VMCS TSC offsetting) and the kernel to everything it
 * derives from the guest's TSC: RDMSR of IA32_TIME_STAMP_COUNTER, the
 * TSC-deadline timer, the paravirtual clock. The offset starts at 0: a
 * new vCPU counts from the host's value, as before; a guest WRMSR moves
 * it, and IA32_TSC_ADJUST with it (17.17.3).
 */
#include <asm/msr-index.h>
#include <asm/tsc.h>

#include "irqchip.h"

/* CPUID.(EAX=07H,ECX=0):EBX.IA32_TSC_ADJUST[bit 1]. */
#define AXVM_X86_CPUID7_EBX_TSC_ADJUST	BIT(1)

u64 axvm_x86_guest_tsc(const struct axvm_x86_vcpu *x)
{
	return rdtsc() + x->tsc_offset;
}

/* The offset changed: the clock record holds the old one; write it again. */
static void axvm_x86_tsc_moved(struct axvm_x86_vcpu *x, u64 offset)
{
	x->tsc_offset = offset;
	x->pvclock_msr = 0;
	if (x->apic)
		axvm_lapic_tsc_moved(x);
}

static bool axvm_x86_guest_tsc_adjust(const struct axvm_x86_vcpu *x)
{
	const struct axvm_cpuid_entry *e = axvm_x86_cpuid_entry(x, 7, 0);

	return e && e->ebx & AXVM_X86_CPUID7_EBX_TSC_ADJUST;
}

/*
 * A guest RDMSR: as the VMM reads it (axvm_x86_tsc_get()), but
 * IA32_TSC_ADJUST is #GP (-EINVAL) where its CPUID bit is clear.
 */
int axvm_x86_tsc_rdmsr(struct axvm_x86_vcpu *x, u32 msr, u64 *v)
{
	if (msr == MSR_IA32_TSC_ADJUST && !axvm_x86_guest_tsc_adjust(x))
		return -EINVAL;
	return axvm_x86_tsc_get(x, msr, v);
}

/*
 * A guest WRMSR (17.17.3): a write to IA32_TIME_STAMP_COUNTER that adds
 * X to the TSC adds X to IA32_TSC_ADJUST too, and a write to
 * IA32_TSC_ADJUST that adds X to it adds X to the TSC. The TSC takes all
 * 64 bits (the SDM's processors since family 0FH).
 */
int axvm_x86_tsc_wrmsr(struct axvm_x86_vcpu *x, u32 msr, u64 v)
{
	u64 offset;

	switch (msr) {
	case MSR_IA32_TSC:
		offset = v - rdtsc();
		x->tsc_adjust += offset - x->tsc_offset;
		axvm_x86_tsc_moved(x, offset);
		return 0;
	case MSR_IA32_TSC_ADJUST:
		if (!axvm_x86_guest_tsc_adjust(x))
			return -EINVAL;
		axvm_x86_tsc_moved(x, x->tsc_offset + (v - x->tsc_adjust));
		x->tsc_adjust = v;
		return 0;
	}
	return -ENOENT;
}

/*
 * AXVM_GET_SYSREG / AXVM_SET_SYSREG from the VMM, as KVM takes them for
 * save and restore: the TSC is set without touching IA32_TSC_ADJUST,
 * and IA32_TSC_ADJUST is set as a value without moving the TSC. -ENOENT
 * when @msr is neither.
 */
int axvm_x86_tsc_get(struct axvm_x86_vcpu *x, u32 msr, u64 *v)
{
	switch (msr) {
	case MSR_IA32_TSC:
		*v = axvm_x86_guest_tsc(x);
		return 0;
	case MSR_IA32_TSC_ADJUST:
		*v = x->tsc_adjust;
		return 0;
	}
	return -ENOENT;
}

int axvm_x86_tsc_set(struct axvm_x86_vcpu *x, u32 msr, u64 v)
{
	switch (msr) {
	case MSR_IA32_TSC:
		axvm_x86_tsc_moved(x, v - rdtsc());
		return 0;
	case MSR_IA32_TSC_ADJUST:
		x->tsc_adjust = v;
		return 0;
	}
	return -ENOENT;
}
