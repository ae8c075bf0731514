// SPDX-License-Identifier: GPL-2.0
/*
 * The VM's stage 2 follows its process's page tables, as KVM's does:
 * before the host changes or frees a page of a region (munmap,
 * MADV_DONTNEED, mremap, truncation, COW, swap, migration, KSM, THP
 * collapse or split) the notifier removes the stage-2 entries that map
 * it and flushes the TLBs, and a fault racing with it retries
 * (kmod/memory.c). Aging unmaps too: none of the formats has an accessed
 * bit axvm keeps, so a page counts as young while the guest has it mapped
 * and the next access after aging maps it again, as KVM's access
 * tracking without A/D bits does.
 *
 * Every callback may run where it cannot sleep (the OOM reaper, a page
 * table lock held): only SRCU, mmu_lock and TLB flushes, no allocation.
 */
#include <linux/mmu_notifier.h>

#include "axvm.h"

static struct axvm_vm *axvm_mn_vm(struct mmu_notifier *mn)
{
	return container_of(mn, struct axvm_vm, mn);
}

/*
 * Under mmu_lock: apply @op to the guest ranges that [start, end) of the
 * VMM's memory backs. Returns whether any stage-2 entry was there.
 */
static bool axvm_mn_for_hva(struct axvm_vm *vm, unsigned long start,
			    unsigned long end,
			    bool (*op)(struct axvm_vm *vm, u64 gs, u64 ge))
{
	bool hit = false;
	u32 i;

	for (i = 0; i < AXVM_MAX_MEM_REGIONS; i++) {
		struct axvm_mem_region *r = srcu_dereference(vm->regions[i],
							     &vm->srcu);
		unsigned long s, e;

		if (!r)
			continue;
		s = max_t(unsigned long, start, r->uaddr);
		e = min_t(unsigned long, end, r->uaddr + r->size);
		if (s >= e)
			continue;
		/* Whole pages: a range may start or end inside one. */
		s = ALIGN_DOWN(s, PAGE_SIZE);
		e = ALIGN(e, PAGE_SIZE);
		hit |= op(vm, r->gpa + (s - r->uaddr), r->gpa + (e - r->uaddr));
	}
	return hit;
}

static bool axvm_mn_test(struct axvm_vm *vm, u64 gs, u64 ge)
{
	return axvm_s2_mapped(&vm->s2, gs, ge);
}

static bool axvm_mn_locked(struct axvm_vm *vm, unsigned long start,
			   unsigned long end,
			   bool (*op)(struct axvm_vm *vm, u64 gs, u64 ge))
{
	int idx = srcu_read_lock(&vm->srcu);
	bool hit;

	spin_lock(&vm->mmu_lock);
	hit = axvm_mn_for_hva(vm, start, end, op);
	spin_unlock(&vm->mmu_lock);
	srcu_read_unlock(&vm->srcu, idx);
	return hit;
}

/*
 * From here until the matching end, a fault that got its page before
 * may map a page that is about to change: it sees mmu_inval and retries.
 */
static int axvm_mn_invalidate_start(struct mmu_notifier *mn,
				    const struct mmu_notifier_range *range)
{
	struct axvm_vm *vm = axvm_mn_vm(mn);
	int idx = srcu_read_lock(&vm->srcu);

	spin_lock(&vm->mmu_lock);
	vm->mmu_inval++;
	axvm_mn_for_hva(vm, range->start, range->end, axvm_mem_zap);
	spin_unlock(&vm->mmu_lock);
	srcu_read_unlock(&vm->srcu, idx);
	return 0;
}

/* A fault that read the sequence before this retries. */
static void axvm_mn_invalidate_end(struct mmu_notifier *mn,
				   const struct mmu_notifier_range *range)
{
	struct axvm_vm *vm = axvm_mn_vm(mn);

	spin_lock(&vm->mmu_lock);
	vm->mmu_seq++;
	WARN_ON_ONCE(!vm->mmu_inval);
	vm->mmu_inval--;
	spin_unlock(&vm->mmu_lock);
}

static int axvm_mn_clear_young(struct mmu_notifier *mn, struct mm_struct *mm,
			       unsigned long start, unsigned long end)
{
	return axvm_mn_locked(axvm_mn_vm(mn), start, end, axvm_mem_zap);
}

static int axvm_mn_test_young(struct mmu_notifier *mn, struct mm_struct *mm,
			      unsigned long address)
{
	return axvm_mn_locked(axvm_mn_vm(mn), address, address + 1,
			      axvm_mn_test);
}

#if AXVM_LINUX_BEFORE(6, 9)
/*
 * 6.1 to 6.8: a host PTE now points at another page (KSM, COW). Called
 * inside an invalidation of the same page in those kernels, but drop the
 * entry anyway rather than trust that: the next access maps the new one.
 */
static void axvm_mn_change_pte(struct mmu_notifier *mn, struct mm_struct *mm,
			       unsigned long address, pte_t pte)
{
	axvm_mn_locked(axvm_mn_vm(mn), address, address + 1, axvm_mem_zap);
}
#endif

/*
 * The process exits (or its last reference to the mm goes) while a VM
 * fd lives on elsewhere: its pages are about to be freed, so nothing of
 * them may stay mapped.
 */
static void axvm_mn_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	axvm_mn_locked(axvm_mn_vm(mn), 0, ULONG_MAX, axvm_mem_zap);
}

static const struct mmu_notifier_ops axvm_mn_ops = {
	.invalidate_range_start	= axvm_mn_invalidate_start,
	.invalidate_range_end	= axvm_mn_invalidate_end,
	.clear_flush_young	= axvm_mn_clear_young,
	.clear_young		= axvm_mn_clear_young,
	.test_young		= axvm_mn_test_young,
#if AXVM_LINUX_BEFORE(6, 9)
	.change_pte		= axvm_mn_change_pte,
#endif
	.release		= axvm_mn_release,
};

int axvm_mmu_notifier_register(struct axvm_vm *vm)
{
	vm->mn.ops = &axvm_mn_ops;
	return mmu_notifier_register(&vm->mn, vm->mm);
}

/* Waits for callbacks still running; release() runs if it had not. */
void axvm_mmu_notifier_unregister(struct axvm_vm *vm)
{
	mmu_notifier_unregister(&vm->mn, vm->mm);
}
