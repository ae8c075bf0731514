// SPDX-License-Identifier: GPL-2.0
/*
 * HVC and SMC from the guest, by the SMC Calling Convention. PSCI 1.0 is
 * answered in the kernel where the kernel knows the answer; starting and
 * stopping CPUs and the machine are exits for the VMM; every other
 * function id is a hypercall exit whose result userspace writes back.
 */
#define pr_fmt(fmt) "axvm: " fmt

#include <linux/psci.h>
#include <uapi/linux/psci.h>
#include <asm/cputype.h>

#include "arm64.h"

static bool axvm_psci_fn(u64 fid, u32 fn)
{
	return fid == PSCI_0_2_FN(fn) || fid == PSCI_0_2_FN64(fn);
}

/* Only CPU_ON of the VM's own vCPUs goes out; others fail in place. */
static int axvm_psci_cpu_on(struct axvm_vcpu *vcpu, bool smc64)
{
	struct axvm_arm64_vcpu *a = vcpu->arch;
	struct axvm_run *run = vcpu->run;
	u64 target = a->x[1], entry = a->x[2], arg = a->x[3];

	if (!smc64) {
		target = lower_32_bits(target);
		entry = lower_32_bits(entry);
		arg = lower_32_bits(arg);
	}
	if ((target & ~MPIDR_HWID_BITMASK) ||
	    axvm_vm_with_vcpu(vcpu->vm, target, NULL, NULL)) {
		a->x[0] = PSCI_RET_INVALID_PARAMS;
		return AXVM_EXIT_HYPERCALL | AXVM_ARCH_EXIT_HANDLED;
	}
	run->cpu_up.target = target;
	run->cpu_up.entry = entry;
	run->cpu_up.arg = arg;
	run->cpu_up.ret = PSCI_RET_SUCCESS;
	a->pending = AXVM_EXIT_CPU_UP;
	return AXVM_EXIT_CPU_UP;
}

static int axvm_psci_system_down(struct axvm_vcpu *vcpu, u32 type)
{
	struct axvm_arm64_vcpu *a = vcpu->arch;

	vcpu->run->system_down.type = type;
	vcpu->run->system_down.data = a->x[0];
	/* Should the VMM run it again, the call failed. */
	a->x[0] = PSCI_RET_INTERNAL_FAILURE;
	return AXVM_EXIT_SYSTEM_DOWN;
}

/* PSCI_FEATURES for the functions the kernel answers itself. */
static bool axvm_psci_in_kernel(u64 fid)
{
	return axvm_psci_fn(fid, 0) || axvm_psci_fn(fid, 2) ||
	       axvm_psci_fn(fid, 3) || axvm_psci_fn(fid, 8) ||
	       axvm_psci_fn(fid, 9) || axvm_psci_fn(fid, 10);
}

static int axvm_hypercall_exit(struct axvm_vcpu *vcpu)
{
	struct axvm_arm64_vcpu *a = vcpu->arch;
	struct axvm_run *run = vcpu->run;

	run->hypercall.nr = a->x[0];
	memcpy(run->hypercall.args, &a->x[1], sizeof(run->hypercall.args));
	run->hypercall.ret = 0;
	a->pending = AXVM_EXIT_HYPERCALL;
	return AXVM_EXIT_HYPERCALL;
}

/* The PC already points past the HVC or SMC. */
int axvm_arm64_smccc(struct axvm_vcpu *vcpu)
{
	struct axvm_arm64_vcpu *a = vcpu->arch;
	u64 fid = a->x[0];

	/* SMC32 ids have only 32 bits; the upper half must be ignored. */
	if (!(fid & PSCI_0_2_64BIT))
		fid = lower_32_bits(fid);

	if (fid == PSCI_0_2_FN_PSCI_VERSION) {
		a->x[0] = PSCI_VERSION(1, 0);
	} else if (fid == PSCI_1_0_FN_PSCI_FEATURES &&
		   axvm_psci_in_kernel(lower_32_bits(a->x[1]))) {
		a->x[0] = PSCI_RET_SUCCESS;
	} else if (axvm_psci_fn(fid, 3)) {
		return axvm_psci_cpu_on(vcpu, fid & PSCI_0_2_64BIT);
	} else if (fid == PSCI_0_2_FN_CPU_OFF) {
		vcpu->run->cpu_down.state = 0;
		/* CPU_OFF returns only when it failed. */
		a->x[0] = PSCI_RET_DENIED;
		return AXVM_EXIT_CPU_DOWN;
	} else if (fid == PSCI_0_2_FN_SYSTEM_OFF) {
		return axvm_psci_system_down(vcpu, AXVM_SYSTEM_DOWN_POWEROFF);
	} else if (fid == PSCI_0_2_FN_SYSTEM_RESET) {
		return axvm_psci_system_down(vcpu, AXVM_SYSTEM_DOWN_RESET);
	} else {
		return axvm_hypercall_exit(vcpu);
	}
	return AXVM_EXIT_HYPERCALL | AXVM_ARCH_EXIT_HANDLED;
}
