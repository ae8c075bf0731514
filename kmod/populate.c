// SPDX-License-Identifier: GPL-2.0
/*
 * AXVM_POPULATE: pages of an AXVM_MEM_USER_FAULT region that the VMM has
 * filled (from a snapshot, over the network in a post-copy migration, on
 * demand from an image) and that the kernel now maps on fault like any
 * guest RAM. Until then a guest access to one exits to userspace with
 * AXVM_EXIT_NESTED_PAGE_FAULT (kmod/memory.c), as userfaultfd hands a
 * process's missing pages to a handler. A page once populated stays so.
 */
#include <linux/mm.h>
#include <linux/nospec.h>
#include <linux/uaccess.h>

#include "axvm.h"

int axvm_mem_populate(struct axvm_vm *vm, void __user *argp)
{
	struct axvm_populate req;
	struct axvm_mem_region *r;
	unsigned long first, n;
	u32 slot;
	int ret;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if (req.flags || req.slot >= AXVM_MAX_MEM_REGIONS)
		return -EINVAL;
	if (!req.size || !PAGE_ALIGNED(req.offset) || !PAGE_ALIGNED(req.size))
		return -EINVAL;
	slot = array_index_nospec(req.slot, AXVM_MAX_MEM_REGIONS);

	mutex_lock(&vm->mem_lock);
	r = axvm_mem_slot(vm, slot);
	ret = -ENOENT;
	if (!r)
		goto out;
	ret = -EINVAL;
	if (!r->populated || req.offset >= r->size ||
	    req.size > r->size - req.offset)
		goto out;
	first = req.offset >> PAGE_SHIFT;
	/*
	 * The VMM's writes to the pages before the bits: a fault that sees
	 * a bit (test_bit_acquire()) maps what the VMM wrote.
	 */
	smp_mb__before_atomic();
	for (n = req.size >> PAGE_SHIFT; n; n--, first++)
		set_bit(first, r->populated);
	ret = 0;
out:
	mutex_unlock(&vm->mem_lock);
	return ret;
}
