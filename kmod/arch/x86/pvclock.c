// SPDX-License-Identifier: GPL-2.0
/*
 * KVM's paravirtual clock (kvmclock), offered at CPUID 0x40000100 after
 * axvm's own leaf, as KVM offers it after Hyper-V's. A Linux guest built
 * with KVM_GUEST then takes the TSC's rate from it instead of calibrating
 * the TSC against the PIT and the ACPI PM timer: every read of those is an
 * exit, slower than the calibration tolerates, and a guest that gives up
 * reads its clock through the PM timer's port, an exit to userspace per
 * read, for the rest of its life.
 *
 * The guest's TSC is the host's plus the vCPU's offset (tsc.c), which a
 * record's tsc_timestamp includes. When the host trusts its TSC across CPUs,
 * every vCPU gets one (tsc_timestamp, system_time) pair and the stable
 * flag, as KVM's master clock does; otherwise each vCPU's pair is taken
 * on the CPU it runs on, and again whenever it runs on another.
 */
#define pr_fmt(fmt) "axvm: " fmt

#include <linux/ktime.h>
#include <asm/kvm_para.h>
#include <asm/pvclock-abi.h>
#include <asm/tsc.h>

#include "x86.h"

#define AXVM_PVCLOCK_SIGNATURE	(KVM_CPUID_SIGNATURE + 0x100)
#define AXVM_PVCLOCK_FEATURES	(KVM_CPUID_FEATURES + 0x100)
#define AXVM_PVCLOCK_ENABLE	BIT_ULL(0)	/* of MSR_KVM_SYSTEM_TIME_NEW */
#define AXVM_PVCLOCK_NO_CPU	-1

static bool axvm_x86_pvclock_stable(void)
{
	return boot_cpu_has(X86_FEATURE_CONSTANT_TSC) &&
	       boot_cpu_has(X86_FEATURE_NONSTOP_TSC) && !check_tsc_unstable();
}

/*
 * The two leaves: "KVMKVMKVM\0\0\0", and the features: the clock's MSRs,
 * its stable flag when it holds, and no port 0x80 delay (an exit to
 * userspace per outb for nothing). Nothing when the TSC's rate is unknown.
 */
bool axvm_x86_pvclock_cpuid(u32 leaf, u32 *a, u32 *b, u32 *c, u32 *d)
{
	if (!tsc_khz)
		return false;
	if (leaf == AXVM_PVCLOCK_SIGNATURE) {
		*a = AXVM_PVCLOCK_FEATURES;
		*b = 0x4b4d564b;		/* "KVMK" */
		*c = 0x564b4d56;		/* "VMKV" */
		*d = 0x4d;			/* "M\0\0\0" */
		return true;
	}
	if (leaf == AXVM_PVCLOCK_FEATURES) {
		*a = BIT(KVM_FEATURE_CLOCKSOURCE2) |
		     BIT(KVM_FEATURE_NOP_IO_DELAY);
		if (axvm_x86_pvclock_stable())
			*a |= BIT(KVM_FEATURE_CLOCKSOURCE_STABLE_BIT);
		*b = 0;
		*c = 0;
		*d = 0;
		return true;
	}
	return false;
}

u32 axvm_x86_pvclock_leaves(u32 *first)
{
	*first = AXVM_PVCLOCK_SIGNATURE;
	return tsc_khz ? 2 : 0;
}

/* The VM's clock starts at 0 now: ns = scale(tsc - base_tsc). */
void axvm_x86_pvclock_vm_init(struct axvm_x86_vm *xvm)
{
	xvm->pvclock_ns = ktime_get_ns();
	xvm->pvclock_tsc = rdtsc();
}

void axvm_x86_pvclock_vcpu_init(struct axvm_x86_vcpu *x)
{
	x->pvclock_cpu = AXVM_PVCLOCK_NO_CPU;
}

/*
 * ns = ((delta << shift) * mul) >> 32, shift negative for a right shift:
 * mul kept in [2^31, 2^32) for its precision.
 */
static void axvm_x86_pvclock_scale(u32 khz, u32 *mul, s8 *shift)
{
	const u64 ns_per_khz = NSEC_PER_SEC / 1000;	/* ns/s over kHz */
	int s = 0;
	u64 m = div_u64(ns_per_khz << 32, khz);

	while (m >= BIT_ULL(32)) {
		m >>= 1;
		s++;
	}
	while (m < BIT_ULL(31) && s > -12) {
		s--;
		m = div_u64(ns_per_khz << (32 - s), khz);
	}
	*mul = m;
	*shift = s;
}

/*
 * One record of the guest's, as the ABI asks: an odd version while it
 * changes, for a reader on another vCPU (the vDSO reads CPU 0's).
 */
static int axvm_x86_pvclock_put(struct axvm_vm *vm, u64 gpa, const void *rec,
				size_t len)
{
	u32 version;
	int ret;

	ret = axvm_mem_read(vm, gpa, &version, sizeof(version));
	if (ret)
		return ret;
	version = (version + 1) | 1;
	ret = axvm_mem_write(vm, gpa, &version, sizeof(version));
	if (ret)
		return ret;
	smp_wmb();	/* the odd version before the fields */
	ret = axvm_mem_write(vm, gpa + sizeof(version), rec + sizeof(version),
			     len - sizeof(version));
	smp_wmb();	/* the fields before the even version */
	version++;
	return ret ?: axvm_mem_write(vm, gpa, &version, sizeof(version));
}

/* MSR_KVM_WALL_CLOCK_NEW: the wall time at which the VM's clock was 0. */
static void axvm_x86_pvclock_wall(struct axvm_x86_vcpu *x, u64 gpa)
{
	struct axvm_x86_vm *xvm = x->vcpu->vm->arch;
	struct pvclock_wall_clock w = {};
	struct timespec64 ts;

	ts = ns_to_timespec64(ktime_get_real_ns() -
			      (ktime_get_ns() - xvm->pvclock_ns));
	w.sec = ts.tv_sec;
	w.nsec = ts.tv_nsec;
	if (axvm_x86_pvclock_put(x->vcpu->vm, gpa, &w, sizeof(w)))
		pr_debug("wall clock at %#llx outside guest RAM\n", gpa);
}

void axvm_x86_pvclock_wrmsr(struct axvm_x86_vcpu *x, u32 msr, u64 v)
{
	if (msr == MSR_KVM_WALL_CLOCK_NEW && tsc_khz)
		axvm_x86_pvclock_wall(x, v);
	/* MSR_KVM_SYSTEM_TIME_NEW: the next entry writes the record. */
}

/*
 * Before an entry, sleeping allowed: write the vCPU's record when the
 * guest moved or enabled it, or, without a stable TSC, when the vCPU runs
 * on another CPU than the one its pair was taken on.
 */
void axvm_x86_pvclock_update(struct axvm_x86_vcpu *x)
{
	u64 msr = x->msrs[AXVM_X86_KVM_SYSTEM_TIME];
	struct axvm_x86_vm *xvm = x->vcpu->vm->arch;
	struct pvclock_vcpu_time_info t = {};
	bool stable;
	int cpu;

	if (!(msr & AXVM_PVCLOCK_ENABLE) || !tsc_khz) {
		x->pvclock_msr = msr;
		return;
	}
	stable = axvm_x86_pvclock_stable();
	if (msr == x->pvclock_msr &&
	    (stable || x->pvclock_cpu == raw_smp_processor_id()))
		return;

	axvm_x86_pvclock_scale(tsc_khz, &t.tsc_to_system_mul, &t.tsc_shift);
	/* In the guest's TSC: the host's plus this vCPU's offset. */
	if (stable) {
		t.tsc_timestamp = xvm->pvclock_tsc + x->tsc_offset;
		t.system_time = 0;
		t.flags = PVCLOCK_TSC_STABLE_BIT;
		cpu = AXVM_PVCLOCK_NO_CPU;
	} else {
		/* This CPU's TSC and the host's clock at one instant. */
		preempt_disable();
		cpu = smp_processor_id();
		t.tsc_timestamp = axvm_x86_guest_tsc(x);
		t.system_time = ktime_get_ns() - xvm->pvclock_ns;
		preempt_enable();
	}
	x->pvclock_msr = msr;
	x->pvclock_cpu = cpu;
	if (axvm_x86_pvclock_put(x->vcpu->vm, msr & ~AXVM_PVCLOCK_ENABLE, &t,
				 sizeof(t)))
		pr_debug("clock record at %#llx outside guest RAM\n",
			 msr & ~AXVM_PVCLOCK_ENABLE);
}
