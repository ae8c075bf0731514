// SPDX-License-Identifier: GPL-2.0
/*
 * AXVM_TRANSLATE, the seed's guest_page_table_query: a guest virtual
 * address through the vCPU's page tables as they are between runs, as
 * KVM_TRANSLATE does. The walk is the backend's.
 */
#include <linux/uaccess.h>

#include "axvm.h"
#include "axvm_arch.h"

int axvm_vcpu_translate(struct axvm_vcpu *vcpu, void __user *argp)
{
	struct axvm_translation t;
	int ret;

	if (copy_from_user(&t, argp, sizeof(t)))
		return -EFAULT;
	if (t.reserved)
		return -EINVAL;
	ret = axvm_vcpu_lock(vcpu);
	if (ret)
		return ret;
	ret = axvm_arch_vcpu_translate(vcpu, t.gva, &t.gpa, &t.flags);
	mutex_unlock(&vcpu->mutex);
	if (ret)
		return ret;
	return copy_to_user(argp, &t, sizeof(t)) ? -EFAULT : 0;
}
