// SPDX-License-Identifier: GPL-2.0
/* Facts about the host kernel that backends base their policy on. */
#include <linux/module.h>

#include "axvm.h"

bool axvm_kvm_present(void)
{
	/* An exported KVM symbol resolves when KVM is built in or loaded. */
	void *sym = __symbol_get("kvm_vcpu_kick");

	if (!sym)
		return false;
	__symbol_put("kvm_vcpu_kick");
	return true;
}
