// SPDX-License-Identifier: GPL-2.0
/*
 * The VM ioctls of the in-kernel interrupt controller: argument checks
 * here, the controller itself in the backend.
 */
#include <linux/uaccess.h>

#include "axvm.h"

int axvm_irqchip_create(struct axvm_vm *vm, void __user *argp)
{
	struct axvm_irqchip cfg;
	unsigned int i;
	int ret;

	if (copy_from_user(&cfg, argp, sizeof(cfg)))
		return -EFAULT;
	for (i = 0; i < ARRAY_SIZE(cfg.reserved); i++)
		if (cfg.reserved[i])
			return -EINVAL;
	if (!cfg.type || cfg.type >= 32)
		return -EINVAL;
	if (!(axvm_info.irqchips & BIT(cfg.type)))
		return -ENODEV;
	if (!cfg.nr_irqs || cfg.nr_irqs > AXVM_MAX_IRQS)
		return -EINVAL;

	mutex_lock(&vm->lock);
	if (vm->irqchip)
		ret = -EEXIST;
	else if (vm->nr_vcpus || vm->user_ipi)
		ret = -EBUSY;
	else
		ret = axvm_arch_irqchip_create(vm, &cfg);
	if (!ret) {
		vm->irqchip_lines = cfg.nr_irqs;
		/* Pairs with the acquire of the line and MSI ioctls. */
		smp_store_release(&vm->irqchip, cfg.type);
	}
	mutex_unlock(&vm->lock);
	return ret;
}

int axvm_irqchip_line(struct axvm_vm *vm, void __user *argp)
{
	struct axvm_irq_line line;

	if (copy_from_user(&line, argp, sizeof(line)))
		return -EFAULT;
	/* Pairs with the release in axvm_irqchip_create(). */
	if (!smp_load_acquire(&vm->irqchip))
		return -ENXIO;
	if (line.irq >= vm->irqchip_lines || line.level > 1)
		return -EINVAL;
	return axvm_arch_irq_line(vm, line.irq, line.level);
}

int axvm_irqchip_msi(struct axvm_vm *vm, void __user *argp)
{
	struct axvm_msi msi;

	if (copy_from_user(&msi, argp, sizeof(msi)))
		return -EFAULT;
	if (msi.flags)
		return -EINVAL;
	/* Pairs with the release in axvm_irqchip_create(). */
	if (!smp_load_acquire(&vm->irqchip))
		return -ENXIO;
	return axvm_arch_signal_msi(vm, &msi);
}
