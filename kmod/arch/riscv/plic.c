// SPDX-License-Identifier: GPL-2.0
/* The in-kernel interrupt controller: not emulated by this backend yet. */
#include "../../axvm.h"

int axvm_arch_irqchip_create(struct axvm_vm *vm,
			     const struct axvm_irqchip *cfg)
{
	return -ENODEV;
}

int axvm_arch_irq_line(struct axvm_vm *vm, u32 irq, bool level)
{
	return -ENXIO;
}

int axvm_arch_signal_msi(struct axvm_vm *vm, const struct axvm_msi *msi)
{
	return -ENXIO;
}
