// SPDX-License-Identifier: GPL-2.0
/*
 * HVC and SMC from the guest, by the SMC Calling Convention (Arm DEN0028,
 * version 1.1 as seen by the guest). The kernel answers the Arm
 * Architecture calls (SMCCC_VERSION, ARCH_FEATURES, the ARCH_WORKAROUND
 * calls a guest uses for its own Spectre mitigations), PSCI, and the
 * vendor-specific hypervisor service's UID query, which names axvm. Any
 * other function id is NOT_SUPPORTED, unless userspace asked for it with
 * AXVM_SET_HYPERCALL_FILTER: then it is a hypercall exit whose result
 * userspace writes back.
 */
#include <linux/arm-smccc.h>
#include <uapi/linux/psci.h>
#include <asm/esr.h>

#include "arm64.h"

/*
 * axvm's UUID for the vendor-specific hypervisor service (SMCCC 6.2,
 * "Call UID query"): 5a3bd8e4-7c49-4f0e-9b1d-2f6a0c8e41d3, returned in
 * W0-W3 as its 16 bytes in order, four to a register, lowest byte least
 * significant. A guest that knows KVM's UUID does not mistake axvm for it.
 */
static const u32 axvm_arm64_hyp_uid[4] = {
	0xe4d83b5a, 0x0e4f497c, 0x6a2f1d9b, 0xd3418e0c,
};

#define AXVM_SMCCC_VENDOR_HYP_CALL_COUNT				\
	ARM_SMCCC_CALL_VAL(ARM_SMCCC_FAST_CALL, ARM_SMCCC_SMC_32,	\
			   ARM_SMCCC_OWNER_VENDOR_HYP, 0xff00)
#define AXVM_SMCCC_VENDOR_HYP_REVISION					\
	ARM_SMCCC_CALL_VAL(ARM_SMCCC_FAST_CALL, ARM_SMCCC_SMC_32,	\
			   ARM_SMCCC_OWNER_VENDOR_HYP, 0xff03)

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

/* ARCH_FEATURES (SMCCC 7.2): what the guest may call in this range. */
static long axvm_smccc_arch_features(u32 fid)
{
	switch (fid) {
	case ARM_SMCCC_VERSION_FUNC_ID:
	case ARM_SMCCC_ARCH_FEATURES_FUNC_ID:
		return SMCCC_RET_SUCCESS;
	case ARM_SMCCC_ARCH_WORKAROUND_1:
	case ARM_SMCCC_ARCH_WORKAROUND_3:
		return axvm_arm64_spectre_guest_answer(fid);
	default:
		/*
		 * ARCH_WORKAROUND_2 (SSBD) among them: a guest cannot turn the
		 * host's mitigation on and off, as KVM does not let it; one
		 * that has SSBS controls its own PSTATE.SSBS.
		 */
		return SMCCC_RET_NOT_SUPPORTED;
	}
}

/* Calls answered in the kernel: true with the result in X0 (X0-X3). */
static bool axvm_smccc_in_kernel(struct axvm_arm64_vcpu *a, u32 fid)
{
	long ret;
	int i;

	switch (fid) {
	case ARM_SMCCC_VERSION_FUNC_ID:
		ret = ARM_SMCCC_VERSION_1_1;
		break;
	case ARM_SMCCC_ARCH_FEATURES_FUNC_ID:
		ret = axvm_smccc_arch_features(lower_32_bits(a->x[1]));
		break;
	case ARM_SMCCC_ARCH_WORKAROUND_1:
	case ARM_SMCCC_ARCH_WORKAROUND_3:
		/*
		 * Every guest exit runs this CPU's Spectre-v2 and BHB sequence
		 * (spectre.c) before the host branches anywhere, and so before
		 * this call returns: the work is done. Where that sequence
		 * cannot help, ARCH_FEATURES said NOT_SUPPORTED.
		 */
		ret = SMCCC_RET_SUCCESS;
		if (axvm_smccc_arch_features(fid) < 0)
			ret = SMCCC_RET_NOT_SUPPORTED;
		break;
	case ARM_SMCCC_VENDOR_HYP_CALL_UID_FUNC_ID:
		for (i = 0; i < 4; i++)
			a->x[i] = axvm_arm64_hyp_uid[i];
		return true;
	case AXVM_SMCCC_VENDOR_HYP_CALL_COUNT:
		/* Deprecated by SMCCC 1.1, still answered: one call, the UID. */
		ret = 1;
		break;
	case AXVM_SMCCC_VENDOR_HYP_REVISION:
		a->x[0] = 1;
		a->x[1] = 0;
		return true;
	default:
		return false;
	}
	a->x[0] = ret;
	return true;
}

/* The PC already points past the HVC or SMC. */
int axvm_arm64_smccc(struct axvm_vcpu *vcpu, u64 esr)
{
	struct axvm_arm64_vcpu *a = vcpu->arch;
	u32 fid = lower_32_bits(a->x[0]);

	/*
	 * SMCCC 2.5: only HVC #0 and SMC #0 are SMCCC calls; other
	 * immediates are not a function axvm knows (KVM answers the same).
	 */
	if (esr & ESR_ELx_xVC_IMM_MASK) {
		a->x[0] = SMCCC_RET_NOT_SUPPORTED;
		return AXVM_EXIT_HYPERCALL | AXVM_ARCH_EXIT_HANDLED;
	}
	/* The function id is W0: the upper half of X0 is not part of it. */
	switch (axvm_hypercall_action(vcpu->vm, fid)) {
	case AXVM_HYPERCALL_USER:
		return axvm_hypercall_exit(vcpu);
	case AXVM_HYPERCALL_DENY:
		break;
	default:
		if (axvm_arm64_psci_fn(fid))
			return axvm_arm64_psci(vcpu, fid);
		if (axvm_smccc_in_kernel(a, fid))
			return AXVM_EXIT_HYPERCALL | AXVM_ARCH_EXIT_HANDLED;
		break;
	}
	/* SMCCC 2.5.2 "Unknown Function Identifier": -1 in W0. */
	a->x[0] = SMCCC_RET_NOT_SUPPORTED;
	return AXVM_EXIT_HYPERCALL | AXVM_ARCH_EXIT_HANDLED;
}

/*
 * AXVM_SET_HYPERCALL_FILTER may take any range but the Arm Architecture
 * calls (owner 0, SMC32 and SMC64): SMCCC_VERSION, ARCH_FEATURES and the
 * workarounds stay the kernel's, as under KVM's SMCCC filter.
 */
bool axvm_arm64_hypercall_filter_ok(u32 base, u32 nr)
{
	static const u32 arch_ranges[] = { 0x80000000, 0xc0000000 };
	u64 end = (u64)base + nr;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(arch_ranges); i++)
		if (base <= arch_ranges[i] + 0xffffULL && arch_ranges[i] < end)
			return false;
	return true;
}
