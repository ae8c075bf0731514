// SPDX-License-Identifier: GPL-2.0
/*
 * PSCI 1.0 (Arm DEN0022), the version the device tree names, answered in
 * the kernel: every function of the PSCI range has its answer here, and
 * those PSCI makes optional and axvm does not give are NOT_SUPPORTED, as
 * PSCI_FEATURES says. Starting a CPU and stopping a CPU or the machine
 * are also exits, for the VMM that runs the vCPU threads.
 *
 * Each vCPU has a power state (OFF, ON_PENDING, ON): OFF from creation
 * until it first runs, as the secondary cores of a PSCI system are;
 * ON_PENDING between a CPU_ON that named it and its next run; OFF again
 * after CPU_OFF. The CPU_ON resets it to the entry state PSCI gives,
 * before the VMM's next look at it (axvm_arch_vcpu_apply_reset()).
 */
#define pr_fmt(fmt) "axvm: " fmt

#include <linux/arm-smccc.h>
#include <linux/psci.h>
#include <uapi/linux/psci.h>
#include <asm/cputype.h>
#include <asm/ptrace.h>

#include "arm64.h"

/* PSCI's function numbers are 0x00-0x1f of the standard secure range. */
#define AXVM_PSCI_FN_MASK	0x1f

/* CPU_SUSPEND's power_state, original format: the bits that exist. */
#define AXVM_PSCI_POWER_STATE_BITS					\
	(PSCI_0_2_POWER_STATE_ID_MASK | PSCI_0_2_POWER_STATE_TYPE_MASK |	\
	 PSCI_0_2_POWER_STATE_AFFL_MASK)

#define AXVM_SCTLR_EE		BIT_ULL(25)

/* A PSCI function id, SMC32 or SMC64 (the 64-bit bit set). */
bool axvm_arm64_psci_fn(u32 fid)
{
	return (fid & ~(PSCI_0_2_64BIT | AXVM_PSCI_FN_MASK)) ==
	       PSCI_0_2_FN_BASE;
}

/*
 * The functions implemented, for PSCI_FEATURES: the mandatory ones of
 * PSCI 1.0 (5.1, table 5), MIGRATE_INFO_TYPE, and SMCCC_VERSION, whose
 * presence SMCCC 1.1 has callers discover through PSCI_FEATURES. The
 * 64-bit ids exist only for the calls with address-sized arguments.
 */
static bool axvm_psci_implemented(u32 fid)
{
	switch (fid) {
	case PSCI_0_2_FN_PSCI_VERSION:
	case PSCI_0_2_FN_CPU_SUSPEND:
	case PSCI_0_2_FN64_CPU_SUSPEND:
	case PSCI_0_2_FN_CPU_OFF:
	case PSCI_0_2_FN_CPU_ON:
	case PSCI_0_2_FN64_CPU_ON:
	case PSCI_0_2_FN_AFFINITY_INFO:
	case PSCI_0_2_FN64_AFFINITY_INFO:
	case PSCI_0_2_FN_MIGRATE_INFO_TYPE:
	case PSCI_0_2_FN_SYSTEM_OFF:
	case PSCI_0_2_FN_SYSTEM_RESET:
	case PSCI_1_0_FN_PSCI_FEATURES:
	case ARM_SMCCC_VERSION_FUNC_ID:
		return true;
	default:
		return false;
	}
}

/* An SMC32 call's arguments are W registers: the upper halves are not. */
static u64 axvm_psci_arg(struct axvm_arm64_vcpu *a, unsigned int n, u32 fid)
{
	return (fid & PSCI_0_2_64BIT) ? a->x[n] : lower_32_bits(a->x[n]);
}

/* Under the target's lock: OFF becomes ON_PENDING with CPU_ON's entry. */
struct axvm_psci_on {
	u64 entry, context;
	bool be;
	bool entry_ok;		/* the entry point is in guest RAM */
};

static int axvm_psci_claim(struct axvm_vcpu *target, void *data)
{
	struct axvm_arm64_vcpu *t = target->arch;
	const struct axvm_psci_on *on = data;
	int ret = PSCI_RET_SUCCESS;

	spin_lock(&t->power.lock);
	if (t->power.state == AXVM_PSCI_ON) {
		ret = PSCI_RET_ALREADY_ON;
	} else if (t->power.state == AXVM_PSCI_ON_PENDING) {
		ret = PSCI_RET_ON_PENDING;
	} else if (!on->entry_ok) {
		ret = PSCI_RET_INVALID_ADDRESS;
	} else {
		WRITE_ONCE(t->power.state, AXVM_PSCI_ON_PENDING);
		t->power.reset = true;
		t->power.entry = on->entry;
		t->power.context = on->context;
		t->power.be = on->be;
	}
	spin_unlock(&t->power.lock);
	return ret;
}

static int axvm_psci_unclaim(struct axvm_vcpu *target, void *unused)
{
	struct axvm_arm64_vcpu *t = target->arch;

	spin_lock(&t->power.lock);
	if (t->power.state == AXVM_PSCI_ON_PENDING) {
		WRITE_ONCE(t->power.state, AXVM_PSCI_OFF);
		t->power.reset = false;
	}
	spin_unlock(&t->power.lock);
	return 0;
}

/*
 * CPU_ON (PSCI 5.1.4): INVALID_PARAMETERS for a target that is no vCPU
 * of the VM, ALREADY_ON or ON_PENDING where PSCI says, then
 * INVALID_ADDRESS for an entry point "known by the implementation to be
 * invalid" (outside guest RAM, where the core could fetch nothing), in
 * the order SBI's hart_start checks; otherwise the target is ON_PENDING
 * and the VMM is told to start its thread, with SUCCESS preset as the
 * result.
 */
static int axvm_psci_cpu_on(struct axvm_vcpu *vcpu, u32 fid)
{
	struct axvm_arm64_vcpu *a = vcpu->arch;
	struct axvm_run *run = vcpu->run;
	struct axvm_psci_on on = {
		.entry = axvm_psci_arg(a, 2, fid),
		.context = axvm_psci_arg(a, 3, fid),
		.be = a->sysregs[AXVM_ARM64_SCTLR] & AXVM_SCTLR_EE,
	};
	u64 target = axvm_psci_arg(a, 1, fid);
	int ret;

	on.entry_ok = axvm_mem_present(vcpu->vm, on.entry);
	if (target & ~MPIDR_HWID_BITMASK)
		ret = -ENOENT;
	else
		ret = axvm_vm_with_vcpu(vcpu->vm, target, axvm_psci_claim,
					&on);
	if (ret) {
		a->x[0] = ret == -ENOENT ? PSCI_RET_INVALID_PARAMS : ret;
		return AXVM_EXIT_HYPERCALL | AXVM_ARCH_EXIT_HANDLED;
	}
	run->cpu_up.target = target;
	run->cpu_up.entry = on.entry;
	run->cpu_up.arg = on.context;
	run->cpu_up.ret = PSCI_RET_SUCCESS;
	a->pending = AXVM_EXIT_CPU_UP;
	a->pending_target = target;
	return AXVM_EXIT_CPU_UP;
}

/* The VMM completed a CPU_UP exit: a refusal leaves the target OFF. */
void axvm_arm64_psci_cpu_on_done(struct axvm_vcpu *vcpu, u64 target,
				 bool started)
{
	if (!started)
		axvm_vm_with_vcpu(vcpu->vm, target, axvm_psci_unclaim, NULL);
}

/* The target's thread, before any use of its state: CPU_ON's reset. */
void axvm_arch_vcpu_apply_reset(struct axvm_vcpu *vcpu)
{
	struct axvm_arm64_vcpu *a = vcpu->arch;
	u64 entry, context;
	bool reset, be;

	spin_lock(&a->power.lock);
	reset = a->power.reset;
	a->power.reset = false;
	entry = a->power.entry;
	context = a->power.context;
	be = a->power.be;
	spin_unlock(&a->power.lock);
	if (reset)
		axvm_arm64_vcpu_reset(a, entry, context, be);
}

/* A run powers the vCPU on (its reset was applied before). */
void axvm_arm64_power_on(struct axvm_vcpu *vcpu)
{
	struct axvm_arm64_vcpu *a = vcpu->arch;

	if (READ_ONCE(a->power.state) == AXVM_PSCI_ON)
		return;
	spin_lock(&a->power.lock);
	WRITE_ONCE(a->power.state, AXVM_PSCI_ON);
	spin_unlock(&a->power.lock);
}

struct axvm_psci_affinity {
	u64 target, mask;
	bool found, on, pending;
};

static int axvm_psci_affinity_one(struct axvm_vcpu *vcpu, void *data)
{
	struct axvm_arm64_vcpu *a = vcpu->arch;
	struct axvm_psci_affinity *q = data;
	u8 state;

	if ((vcpu->arch_id & q->mask) != q->target)
		return 0;
	spin_lock(&a->power.lock);
	state = a->power.state;
	spin_unlock(&a->power.lock);
	q->found = true;
	q->on |= state == AXVM_PSCI_ON;
	q->pending |= state == AXVM_PSCI_ON_PENDING;
	return 0;
}

/*
 * AFFINITY_INFO (PSCI 5.1.5): the state of the affinity instance, that
 * is the cores whose MPIDR matches target_affinity at and above
 * lowest_affinity_level: ON if any core is on, else ON_PENDING if any is
 * coming on, else OFF. An instance with no core is INVALID_PARAMETERS.
 * Levels 0 to 3 are accepted, as KVM does (optional above 0 since PSCI
 * 1.0); Aff3 exists only for the 64-bit call.
 */
static long axvm_psci_affinity_info(struct axvm_vcpu *vcpu, u32 fid)
{
	struct axvm_arm64_vcpu *a = vcpu->arch;
	struct axvm_psci_affinity q = { };
	u64 target = axvm_psci_arg(a, 1, fid);
	/* uint32_t lowest_affinity_level in both calls (5.1.5). */
	u64 level = lower_32_bits(a->x[2]);
	static const u64 below[] = {
		0, MPIDR_LEVEL_MASK,
		MPIDR_LEVEL_MASK | (MPIDR_LEVEL_MASK << MPIDR_LEVEL_SHIFT(1)),
		MPIDR_LEVEL_MASK | (MPIDR_LEVEL_MASK << MPIDR_LEVEL_SHIFT(1)) |
			(MPIDR_LEVEL_MASK << MPIDR_LEVEL_SHIFT(2)),
	};

	if (level >= ARRAY_SIZE(below) || (target & ~MPIDR_HWID_BITMASK))
		return PSCI_RET_INVALID_PARAMS;
	q.mask = MPIDR_HWID_BITMASK & ~below[level];
	q.target = target & q.mask;
	axvm_vm_visit_vcpus(vcpu->vm, axvm_psci_affinity_one, &q);
	if (!q.found)
		return PSCI_RET_INVALID_PARAMS;
	if (q.on)
		return PSCI_0_2_AFFINITY_LEVEL_ON;
	return q.pending ? PSCI_0_2_AFFINITY_LEVEL_ON_PENDING :
			   PSCI_0_2_AFFINITY_LEVEL_OFF;
}

/*
 * CPU_SUSPEND (PSCI 5.1.2), original power_state format (PSCI_FEATURES
 * says so): reserved bits set are INVALID_PARAMETERS. Every state is
 * entered as standby: the core waits as in WFI and the call returns
 * SUCCESS when a wake-up event arrives, which PSCI allows for a power
 * down request as well (5.4.2: the implementation may pick a shallower
 * state); KVM does the same.
 */
static int axvm_psci_cpu_suspend(struct axvm_vcpu *vcpu)
{
	struct axvm_arm64_vcpu *a = vcpu->arch;

	/* uint32_t power_state in both calls (5.1.2). */
	if (lower_32_bits(a->x[1]) & ~AXVM_PSCI_POWER_STATE_BITS) {
		a->x[0] = PSCI_RET_INVALID_PARAMS;
		return AXVM_EXIT_HYPERCALL | AXVM_ARCH_EXIT_HANDLED;
	}
	a->x[0] = PSCI_RET_SUCCESS;
	return axvm_arm64_wait_for_interrupt(vcpu);
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

/* @fid is a PSCI function id (axvm_arm64_psci_fn()); the PC is past it. */
int axvm_arm64_psci(struct axvm_vcpu *vcpu, u32 fid)
{
	struct axvm_arm64_vcpu *a = vcpu->arch;
	long ret;

	switch (fid) {
	case PSCI_0_2_FN_PSCI_VERSION:
		ret = PSCI_VERSION(1, 0);
		break;
	case PSCI_1_0_FN_PSCI_FEATURES:
		/* CPU_SUSPEND's flags: original format, platform-coordinated. */
		ret = axvm_psci_implemented(lower_32_bits(a->x[1])) ?
		      0 : PSCI_RET_NOT_SUPPORTED;
		break;
	case PSCI_0_2_FN_CPU_SUSPEND:
	case PSCI_0_2_FN64_CPU_SUSPEND:
		return axvm_psci_cpu_suspend(vcpu);
	case PSCI_0_2_FN_CPU_ON:
	case PSCI_0_2_FN64_CPU_ON:
		return axvm_psci_cpu_on(vcpu, fid);
	case PSCI_0_2_FN_CPU_OFF:
		spin_lock(&a->power.lock);
		WRITE_ONCE(a->power.state, AXVM_PSCI_OFF);
		spin_unlock(&a->power.lock);
		vcpu->run->cpu_down.state = 0;
		/* CPU_OFF returns only when it failed. */
		a->x[0] = PSCI_RET_DENIED;
		return AXVM_EXIT_CPU_DOWN;
	case PSCI_0_2_FN_AFFINITY_INFO:
	case PSCI_0_2_FN64_AFFINITY_INFO:
		ret = axvm_psci_affinity_info(vcpu, fid);
		break;
	case PSCI_0_2_FN_MIGRATE_INFO_TYPE:
		/* No Trusted OS, or one that needs no migration (5.1.8). */
		ret = PSCI_0_2_TOS_MP;
		break;
	case PSCI_0_2_FN_SYSTEM_OFF:
		return axvm_psci_system_down(vcpu, AXVM_SYSTEM_DOWN_POWEROFF);
	case PSCI_0_2_FN_SYSTEM_RESET:
		return axvm_psci_system_down(vcpu, AXVM_SYSTEM_DOWN_RESET);
	default:
		ret = PSCI_RET_NOT_SUPPORTED;
		break;
	}
	a->x[0] = ret;
	return AXVM_EXIT_HYPERCALL | AXVM_ARCH_EXIT_HANDLED;
}

u32 axvm_arch_vcpu_get_power(struct axvm_vcpu *vcpu)
{
	struct axvm_arm64_vcpu *a = vcpu->arch;

	switch (READ_ONCE(a->power.state)) {
	case AXVM_PSCI_ON:
		return AXVM_POWER_ON;
	case AXVM_PSCI_ON_PENDING:
		return AXVM_POWER_ON_PENDING;
	default:
		return AXVM_POWER_OFF;
	}
}

/*
 * ON or OFF, what AFFINITY_INFO and CPU_ON answer from then on. A CPU_ON
 * in flight (ON_PENDING) is overridden: its reset was applied when the
 * mutex was taken, and the VMM restores the registers it wants.
 */
int axvm_arch_vcpu_set_power(struct axvm_vcpu *vcpu, u32 power)
{
	struct axvm_arm64_vcpu *a = vcpu->arch;

	if (power != AXVM_POWER_ON && power != AXVM_POWER_OFF)
		return -EINVAL;
	spin_lock(&a->power.lock);
	WRITE_ONCE(a->power.state, power == AXVM_POWER_ON ? AXVM_PSCI_ON :
							    AXVM_PSCI_OFF);
	a->power.reset = false;
	spin_unlock(&a->power.lock);
	return 0;
}
