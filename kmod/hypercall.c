// SPDX-License-Identifier: GPL-2.0
/*
 * AXVM_SET_HYPERCALL_FILTER: which hypercall function ids the kernel
 * answers, refuses, or sends to userspace, as KVM_ARM_SMCCC_FILTER does.
 * Ranges are set before the VM has vCPUs, so the run path reads them
 * without a lock: vCPU creation takes vm->lock after the last change.
 */
#include <linux/bsearch.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>

#include "axvm.h"

static int axvm_hc_cmp(const void *a, const void *b)
{
	const struct axvm_hypercall_filter *x = a, *y = b;

	return x->base < y->base ? -1 : x->base > y->base;
}

int axvm_hypercall_set_filter(struct axvm_vm *vm, void __user *argp)
{
	struct axvm_hypercall_filter f, *r;
	u64 end;
	unsigned int i;
	int ret = 0;

	if (!axvm_info.hypercall_filter)
		return -EOPNOTSUPP;
	if (copy_from_user(&f, argp, sizeof(f)))
		return -EFAULT;
	end = (u64)f.base + f.nr;
	if (f.flags || !f.nr || end > BIT_ULL(32) ||
	    f.action > AXVM_HYPERCALL_USER ||
	    !axvm_info.hypercall_filter(f.base, f.nr))
		return -EINVAL;

	mutex_lock(&vm->lock);
	if (vm->nr_vcpus) {
		ret = -EBUSY;
		goto out;
	}
	for (i = 0; i < vm->hc_nr; i++) {
		r = &vm->hc_ranges[i];
		if (f.base < (u64)r->base + r->nr && r->base < end) {
			ret = -EEXIST;
			goto out;
		}
	}
	if (vm->hc_nr == AXVM_HYPERCALL_MAX_RANGES) {
		ret = -ENOSPC;
		goto out;
	}
	r = krealloc_array(vm->hc_ranges, vm->hc_nr + 1, sizeof(*r),
			   GFP_KERNEL_ACCOUNT);
	if (!r) {
		ret = -ENOMEM;
		goto out;
	}
	r[vm->hc_nr] = f;
	vm->hc_ranges = r;
	vm->hc_nr++;
	sort(r, vm->hc_nr, sizeof(*r), axvm_hc_cmp, NULL);
out:
	mutex_unlock(&vm->lock);
	return ret;
}

static int axvm_hc_find(const void *key, const void *elt)
{
	u32 id = *(const u32 *)key;
	const struct axvm_hypercall_filter *r = elt;

	if (id < r->base)
		return -1;
	return id - r->base < r->nr ? 0 : 1;
}

/* The action for @id: AXVM_HYPERCALL_KERNEL unless a range says more. */
u32 axvm_hypercall_action(struct axvm_vm *vm, u32 id)
{
	const struct axvm_hypercall_filter *r;

	if (!vm->hc_nr)
		return AXVM_HYPERCALL_KERNEL;
	r = bsearch(&id, vm->hc_ranges, vm->hc_nr, sizeof(*r), axvm_hc_find);
	return r ? r->action : AXVM_HYPERCALL_KERNEL;
}

void axvm_hypercall_free(struct axvm_vm *vm)
{
	kfree(vm->hc_ranges);
	vm->hc_ranges = NULL;
	vm->hc_nr = 0;
}
