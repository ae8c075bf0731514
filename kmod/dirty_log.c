// SPDX-License-Identifier: GPL-2.0
/*
 * AXVM_GET_DIRTY_LOG: which pages of a logging region the guest wrote
 * since the last call, each reported once. The bits are taken and their
 * pages write-protected in one mmu_lock section, and the TLBs flushed
 * before the bitmap goes out: a write after the call faults, and is in
 * the next one. The guest's writes and the module's (a paravirtual clock
 * page, a page-table A/D update) are logged; the VMM's own are not.
 */
#include <linux/mm.h>
#include <linux/nospec.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "axvm.h"

int axvm_dirty_log_get(struct axvm_vm *vm, void __user *argp)
{
	struct axvm_dirty_log log;
	struct axvm_mem_region *r;
	unsigned long *bits = NULL, i, n;
	void __user *ubits;
	bool flush = false;
	size_t bytes;
	u32 slot;
	int ret;

	if (copy_from_user(&log, argp, sizeof(log)))
		return -EFAULT;
	if (log.flags)
		return -EINVAL;
	if (log.slot >= AXVM_MAX_MEM_REGIONS)
		return -EINVAL;
	slot = array_index_nospec(log.slot, AXVM_MAX_MEM_REGIONS);
	ubits = u64_to_user_ptr(log.bitmap);

	mutex_lock(&vm->mem_lock);
	r = axvm_mem_slot(vm, slot);
	ret = -ENOENT;
	if (!r)
		goto out;
	ret = -EINVAL;
	if (!r->dirty)
		goto out;
	/* 64-bit words, whatever the host's long. */
	bytes = DIV_ROUND_UP(r->npages, 64) * sizeof(u64);
	n = BITS_TO_LONGS(r->npages);
	/* A bad buffer fails before any bit is taken. */
	ret = -EFAULT;
	if (clear_user(ubits, bytes))
		goto out;
	ret = -ENOMEM;
	bits = kvzalloc(bytes, GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!bits)
		goto out;

	spin_lock(&vm->mmu_lock);
	for (i = 0; i < n; i++) {
		unsigned long word = READ_ONCE(r->dirty[i]), b;

		if (!word)
			continue;
		bits[i] = xchg(&r->dirty[i], 0);
		for_each_set_bit(b, &bits[i], BITS_PER_LONG) {
			u64 gpa = r->gpa + ((i * BITS_PER_LONG + b) << PAGE_SHIFT);

			if (vm->s2.fmt)
				flush |= axvm_s2_wrprotect(&vm->s2, gpa,
							   gpa + PAGE_SIZE);
		}
	}
	if (flush)
		axvm_arch_vm_flush(vm, r->gpa, r->size);
	spin_unlock(&vm->mmu_lock);

	ret = copy_to_user(ubits, bits, bytes) ? -EFAULT : 0;
out:
	mutex_unlock(&vm->mem_lock);
	kvfree(bits);
	return ret;
}
