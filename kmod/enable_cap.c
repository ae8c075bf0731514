// SPDX-License-Identifier: GPL-2.0
/*
 * AXVM_ENABLE_CAP: capabilities a VM turns on for itself, as KVM's
 * KVM_ENABLE_CAP on a VM fd. Each is set before the first vCPU and never
 * turned off: the backend reads it lock-free from then on.
 */
#include <linux/uaccess.h>

#include "axvm.h"

/*
 * AXVM_CAP_USER_IPI: the VMM delivers IPIs, so the vCPUs need the
 * AXVM_INJECT_IRQ path, which an in-kernel irqchip takes over (EBUSY
 * there); the two exclude each other both ways.
 */
static int axvm_enable_user_ipi(struct axvm_vm *vm)
{
	if (!axvm_info.user_ipi)
		return -EINVAL;
	if (vm->nr_vcpus || vm->irqchip)
		return -EBUSY;
	WRITE_ONCE(vm->user_ipi, true);
	return 0;
}

int axvm_vm_enable_cap(struct axvm_vm *vm, void __user *argp)
{
	struct axvm_enable_cap req;
	int ret;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if (req.flags || memchr_inv(req.args, 0, sizeof(req.args)))
		return -EINVAL;

	mutex_lock(&vm->lock);
	switch (req.cap) {
	case AXVM_CAP_USER_IPI:
		ret = axvm_enable_user_ipi(vm);
		break;
	default:
		ret = -EINVAL;
	}
	mutex_unlock(&vm->lock);
	return ret;
}
