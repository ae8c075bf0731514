// SPDX-License-Identifier: GPL-2.0
/*
 * A vCPU's state, as the ArceOS axvcpu API names it (Created, Free,
 * Ready, Running, Blocked), and its architectural power state (PSCI,
 * SBI HSM, x86's wait-for-SIPI), as KVM_GET/SET_MP_STATE has it.
 *
 * GET takes no vCPU mutex: a VMM's monitor thread reads the state of a
 * vCPU inside RUN, which holds it. Both halves are snapshots. SET
 * changes the power state only, with the mutex, between runs.
 */
#include <linux/uaccess.h>

#include "axvm.h"
#include "axvm_arch.h"

static u32 axvm_vcpu_seed_state(struct axvm_vcpu *vcpu)
{
	bool pinned, bound;

	if (test_bit(AXVM_VCPU_RUNNING, &vcpu->flags))
		return READ_ONCE(vcpu->blocked) ? AXVM_VCPU_STATE_BLOCKED :
						  AXVM_VCPU_STATE_RUNNING;
	bound = axvm_vcpu_bound(vcpu, &pinned);
	if (!pinned)
		return AXVM_VCPU_STATE_CREATED;
	return bound ? AXVM_VCPU_STATE_READY : AXVM_VCPU_STATE_FREE;
}

int axvm_vcpu_get_state(struct axvm_vcpu *vcpu, void __user *argp)
{
	struct axvm_vcpu_state s = {
		.state = axvm_vcpu_seed_state(vcpu),
		.power = axvm_arch_vcpu_get_power(vcpu),
	};

	return copy_to_user(argp, &s, sizeof(s)) ? -EFAULT : 0;
}

int axvm_vcpu_set_state(struct axvm_vcpu *vcpu, void __user *argp)
{
	struct axvm_vcpu_state s;
	int ret;

	if (copy_from_user(&s, argp, sizeof(s)))
		return -EFAULT;
	if (s.flags || s.reserved)
		return -EINVAL;
	ret = axvm_vcpu_lock(vcpu);
	if (ret)
		return ret;
	ret = axvm_arch_vcpu_set_power(vcpu, s.power);
	mutex_unlock(&vcpu->mutex);
	return ret;
}
