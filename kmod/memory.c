// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory regions: ranges of the VM process's address space, never
 * pinned. A stage-2 fault takes a reference to the one host page behind
 * the address (get_user_pages, faulting it in as any access of the
 * process would), maps it under mmu_lock and drops the reference: the
 * MMU notifier removes stage-2 entries before the host changes or frees
 * their pages, as KVM does. Guest memory is the process's like any other:
 * charged to its memory cgroup, swappable, movable, mergeable by KSM.
 *
 * Regions are read under SRCU (vm->srcu) and changed under mem_lock; a
 * published region never changes, a move or a flags change publishes a
 * copy and waits for the readers of the old one before it unmaps it.
 */
#define pr_fmt(fmt) "axvm: " fmt

#include <linux/highmem.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/nospec.h>
#include <linux/pgtable.h>
#include <linux/sched/mm.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "axvm.h"

int axvm_mem_init(struct axvm_vm *vm)
{
	mutex_init(&vm->mem_lock);
	spin_lock_init(&vm->mmu_lock);
	return init_srcu_struct(&vm->srcu);
}

/* Under vm->srcu or mem_lock: the region in slot @i, or NULL. */
struct axvm_mem_region *axvm_mem_slot(struct axvm_vm *vm, u32 i)
{
	return srcu_dereference_check(vm->regions[i], &vm->srcu,
				      lockdep_is_held(&vm->mem_lock));
}

/* Under vm->srcu or mem_lock: the region holding @gpa, or NULL. */
struct axvm_mem_region *axvm_mem_find(struct axvm_vm *vm, u64 gpa)
{
	u32 i;

	for (i = 0; i < AXVM_MAX_MEM_REGIONS; i++) {
		struct axvm_mem_region *r = axvm_mem_slot(vm, i);

		if (r && gpa >= r->gpa && gpa - r->gpa < r->size)
			return r;
	}
	return NULL;
}

static bool axvm_mem_overlaps(struct axvm_vm *vm, u32 skip, u64 gpa,
			      u64 size)
{
	u32 i;

	for (i = 0; i < AXVM_MAX_MEM_REGIONS; i++) {
		struct axvm_mem_region *r = axvm_mem_slot(vm, i);

		if (!r || i == skip)
			continue;
		if (gpa < r->gpa + r->size && r->gpa < gpa + size)
			return true;
	}
	return false;
}

bool axvm_mem_zap(struct axvm_vm *vm, u64 start, u64 end)
{
	bool hit;

	lockdep_assert_held(&vm->mmu_lock);
	hit = axvm_s2_unmap(&vm->s2, start, end, NULL);
	if (hit)
		axvm_arch_vm_flush(vm, start, end - start);
	return hit;
}

/*
 * Under mmu_lock: [start, end) leaves the guest, and the tables it
 * leaves empty with it, freed after the flush.
 */
static void axvm_mem_zap_tables(struct axvm_vm *vm, u64 start, u64 end)
{
	LIST_HEAD(freed);

	lockdep_assert_held(&vm->mmu_lock);
	if (axvm_s2_unmap(&vm->s2, start, end, &freed) || !list_empty(&freed))
		axvm_arch_vm_flush(vm, start, end - start);
	axvm_s2_free_tables(&freed);
}

/* A range left the guest for good: a region deleted or moved. */
static void axvm_mem_unmap_region(struct axvm_vm *vm, u64 gpa, u64 size)
{
	if (!vm->s2.fmt)
		return;
	spin_lock(&vm->mmu_lock);
	axvm_mem_zap_tables(vm, gpa, gpa + size);
	spin_unlock(&vm->mmu_lock);
}

/*
 * The memory behind a region must be there and of the right kind when it
 * is registered, so a typo fails here and not at the guest's first
 * access: mapped, readable, writable unless the region is read-only,
 * and ordinary memory (VM_IO and VM_PFNMAP have no struct pages to
 * follow). What the VMM changes later is the notifier's business.
 */
static int axvm_mem_check_vmas(u64 uaddr, u64 size, bool write)
{
	struct mm_struct *mm = current->mm;
	unsigned long addr = uaddr, end = uaddr + size;
	struct vm_area_struct *vma;
	int ret = 0;

	if (mmap_read_lock_killable(mm))
		return -EINTR;
	while (addr < end) {
		vma = vma_lookup(mm, addr);
		if (!vma || vma->vm_flags & (VM_IO | VM_PFNMAP) ||
		    !(vma->vm_flags & VM_READ) ||
		    (write && !(vma->vm_flags & VM_WRITE))) {
			ret = -EFAULT;
			break;
		}
		addr = vma->vm_end;
	}
	mmap_read_unlock(mm);
	return ret;
}

static unsigned long *axvm_mem_alloc_bits(unsigned long npages)
{
	return kvcalloc(BITS_TO_LONGS(npages), sizeof(long),
			GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
}

static void axvm_mem_free_region(struct axvm_mem_region *r)
{
	if (r) {
		kvfree(r->populated);
		kvfree(r->dirty);
		kfree(r);
	}
}

static int axvm_mem_create(struct axvm_vm *vm,
			   const struct axvm_memory_region *req, u32 slot)
{
	struct axvm_mem_region *r;
	int ret;

	if (!access_ok(u64_to_user_ptr(req->userspace_addr), req->size))
		return -EFAULT;
	ret = axvm_mem_check_vmas(req->userspace_addr, req->size,
				  !(req->flags & AXVM_MEM_READONLY));
	if (ret)
		return ret;

	r = kzalloc(sizeof(*r), GFP_KERNEL_ACCOUNT);
	if (!r)
		return -ENOMEM;
	r->slot = slot;
	r->flags = req->flags;
	r->gpa = req->guest_phys_addr;
	r->size = req->size;
	r->uaddr = req->userspace_addr;
	r->npages = req->size >> PAGE_SHIFT;
	if (r->flags & AXVM_MEM_LOG_DIRTY) {
		r->dirty = axvm_mem_alloc_bits(r->npages);
		if (!r->dirty)
			goto nomem;
	}
	if (r->flags & AXVM_MEM_USER_FAULT) {
		r->populated = axvm_mem_alloc_bits(r->npages);
		if (!r->populated)
			goto nomem;
	}
	rcu_assign_pointer(vm->regions[slot], r);
	return 0;

nomem:
	axvm_mem_free_region(r);
	return -ENOMEM;
}

static void axvm_mem_delete(struct axvm_vm *vm, struct axvm_mem_region *r)
{
	RCU_INIT_POINTER(vm->regions[r->slot], NULL);
	/* No fault still maps from it once the readers are done. */
	synchronize_srcu_expedited(&vm->srcu);
	axvm_mem_unmap_region(vm, r->gpa, r->size);
	axvm_mem_free_region(r);
}

/*
 * Same memory and size: a new guest address, or logging turned on or
 * off. The copy is published first; the old range is unmapped after the
 * faults that read the old region are done.
 */
static int axvm_mem_change(struct axvm_vm *vm, struct axvm_mem_region *old,
			   const struct axvm_memory_region *req)
{
	bool log_on = req->flags & AXVM_MEM_LOG_DIRTY &&
		      !(old->flags & AXVM_MEM_LOG_DIRTY);
	struct axvm_mem_region *r;

	if (req->guest_phys_addr == old->gpa && req->flags == old->flags)
		return 0;
	r = kmemdup(old, sizeof(*old), GFP_KERNEL_ACCOUNT);
	if (!r)
		return -ENOMEM;
	r->gpa = req->guest_phys_addr;
	r->flags = req->flags;
	r->dirty = NULL;
	if (r->flags & AXVM_MEM_LOG_DIRTY) {
		/* Pages written before logging started are not reported. */
		r->dirty = log_on ? axvm_mem_alloc_bits(r->npages) :
				    old->dirty;
		if (!r->dirty) {
			kfree(r);
			return -ENOMEM;
		}
	}
	rcu_assign_pointer(vm->regions[r->slot], r);
	synchronize_srcu_expedited(&vm->srcu);
	/*
	 * No fault reads the old copy now. The bitmaps it shares with the
	 * new one are the new one's (the user-fault flag cannot change:
	 * what was populated stays so).
	 */
	if (r->dirty == old->dirty)
		old->dirty = NULL;
	old->populated = NULL;

	if (r->gpa != old->gpa) {
		axvm_mem_unmap_region(vm, old->gpa, old->size);
	} else if (log_on && vm->s2.fmt) {
		/* Every write from now on faults once, and is logged then. */
		spin_lock(&vm->mmu_lock);
		if (axvm_s2_wrprotect(&vm->s2, r->gpa, r->gpa + r->size))
			axvm_arch_vm_flush(vm, r->gpa, r->size);
		spin_unlock(&vm->mmu_lock);
	}
	axvm_mem_free_region(old);
	return 0;
}

int axvm_mem_set_region(struct axvm_vm *vm,
			const struct axvm_memory_region *req)
{
	u64 limit = 1ULL << axvm_info.guest_phys_bits;
	struct axvm_mem_region *old;
	u32 slot;
	int ret;

	if (req->slot >= AXVM_MAX_MEM_REGIONS)
		return -EINVAL;
	if (req->flags & ~AXVM_MEM_FLAGS)
		return -EINVAL;
	/* The guest cannot write a read-only region: nothing to log. */
	if ((req->flags & AXVM_MEM_READONLY) &&
	    (req->flags & AXVM_MEM_LOG_DIRTY))
		return -EINVAL;
	if (!PAGE_ALIGNED(req->guest_phys_addr) || !PAGE_ALIGNED(req->size) ||
	    !PAGE_ALIGNED(req->userspace_addr))
		return -EINVAL;
	if (req->size > limit || req->guest_phys_addr > limit - req->size)
		return -EINVAL;
	slot = array_index_nospec(req->slot, AXVM_MAX_MEM_REGIONS);

	mutex_lock(&vm->mem_lock);
	old = axvm_mem_slot(vm, slot);
	if (!req->size) {
		ret = -EINVAL;
		if (old) {
			axvm_mem_delete(vm, old);
			ret = 0;
		}
	} else if (old && (req->size != old->size ||
			   req->userspace_addr != old->uaddr ||
			   (req->flags ^ old->flags) & ~AXVM_MEM_LOG_DIRTY)) {
		/* An existing slot may move and log; nothing else. */
		ret = -EINVAL;
	} else if (axvm_mem_overlaps(vm, slot, req->guest_phys_addr,
				     req->size)) {
		ret = -EEXIST;
	} else if (old) {
		ret = axvm_mem_change(vm, old, req);
	} else {
		ret = axvm_mem_create(vm, req, slot);
	}
	mutex_unlock(&vm->mem_lock);
	return ret;
}

/*
 * At VM release: no vCPU and no notifier is left to read the regions,
 * and the stage-2 table goes whole after this (axvm_s2_destroy()).
 */
void axvm_mem_free_all(struct axvm_vm *vm)
{
	u32 i;

	for (i = 0; i < AXVM_MAX_MEM_REGIONS; i++) {
		axvm_mem_free_region(rcu_dereference_protected(vm->regions[i],
							       true));
		RCU_INIT_POINTER(vm->regions[i], NULL);
	}
	cleanup_srcu_struct(&vm->srcu);
}

/* The host address of @gpa in @r. */
static unsigned long axvm_mem_hva(const struct axvm_mem_region *r, u64 gpa)
{
	return r->uaddr + (gpa - r->gpa);
}

static void axvm_mem_mark_dirty(struct axvm_mem_region *r, u64 gpa)
{
	if (r->dirty)
		set_bit((gpa - r->gpa) >> PAGE_SHIFT, r->dirty);
}

/* How the host maps the page a fault got (axvm_mem_host_map()). */
struct axvm_host_map {
	bool huge;		/* a leaf of 2 MiB or more holds it */
	bool writable;		/* the leaf maps it writable now */
};

/*
 * How the VMM's page tables map @page at @hva. A leaf of 2 MiB or more
 * (a THP or a hugetlbfs page) makes the 2 MiB around @hva one physically
 * contiguous, aligned range. A leaf that no longer maps @page says
 * nothing. The caller keeps the tables from being freed under it; the
 * notifier sequence, checked under mmu_lock, catches any change made
 * since.
 */
static struct axvm_host_map axvm_mem_host_walk(struct mm_struct *mm,
					       unsigned long hva,
					       unsigned long pfn)
{
	struct axvm_host_map m = { false, false };
	pgd_t pgd;
	p4d_t p4d;
	pud_t pud;
	pmd_t pmd;
	pte_t pte;

	pgd = READ_ONCE(*pgd_offset(mm, hva));
	if (pgd_none(pgd) || pgd_bad(pgd))
		goto out;
	p4d = READ_ONCE(*p4d_offset(&pgd, hva));
	if (p4d_none(p4d) || !p4d_present(p4d))
		goto out;
	pud = READ_ONCE(*pud_offset(&p4d, hva));
	if (pud_none(pud) || !pud_present(pud))
		goto out;
	if (pud_leaf(pud)) {
		/* 1 GiB pages: mapped as 2 MiB blocks, written on a write. */
		m.huge = true;
		goto out;
	}
	pmd = READ_ONCE(*pmd_offset(&pud, hva));
	if (!pmd_present(pmd))
		goto out;
	if (pmd_leaf(pmd)) {
		if (pmd_pfn(pmd) + ((hva & ~PMD_MASK) >> PAGE_SHIFT) != pfn)
			goto out;
		m.huge = true;
		m.writable = pmd_write(pmd);
		goto out;
	}
	pte = READ_ONCE(*pte_offset_kernel(&pmd, hva));
	m.writable = pte_present(pte) && pte_pfn(pte) == pfn && pte_write(pte);
out:
	return m;
}

/*
 * Where GUP-fast exists (HAVE_GUP_FAST since 6.10), table pages are
 * freed only after an IPI or an RCU-sched grace period, so a walk with
 * interrupts off is safe, as KVM's host_pfn_mapping_level() and GUP-fast
 * do it. Elsewhere (riscv before 6.2) the walk holds mmap_lock for
 * reading with the VMA found: its tables stay while it is there (GUP
 * took the same lock already).
 */
static struct axvm_host_map axvm_mem_host_map(struct mm_struct *mm,
					      unsigned long hva,
					      struct page *page)
{
	struct axvm_host_map m = { false, false };
	unsigned long flags;

	if (IS_ENABLED(CONFIG_HAVE_FAST_GUP) ||
	    IS_ENABLED(CONFIG_HAVE_GUP_FAST)) {
		local_irq_save(flags);
		m = axvm_mem_host_walk(mm, hva, page_to_pfn(page));
		local_irq_restore(flags);
		return m;
	}
	mmap_read_lock(mm);
	if (vma_lookup(mm, hva))
		m = axvm_mem_host_walk(mm, hva, page_to_pfn(page));
	mmap_read_unlock(mm);
	return m;
}

/*
 * Whether the fault at @gpa may map the 2 MiB block around it: the block
 * lies in the region, guest and host addresses agree modulo 2 MiB, no
 * dirty logging (which counts 4 KiB pages), and the host maps it whole.
 */
static bool axvm_mem_block_ok(struct axvm_vm *vm,
			      const struct axvm_mem_region *r, u64 gpa,
			      const struct axvm_host_map *m)
{
	u64 base = ALIGN_DOWN(gpa, SZ_2M);

	if (!m->huge || !vm->s2.fmt->block || r->dirty)
		return false;
	if (base < r->gpa || base + SZ_2M > r->gpa + r->size)
		return false;
	return !((r->gpa ^ r->uaddr) & (SZ_2M - 1));
}

/*
 * The host page behind @hva, referenced; writable for a write. A read
 * faults it in as the process's own read would: memory nobody wrote is
 * the shared zero page, mapped read-only, and the first write faults
 * again and breaks it.
 */
static int axvm_mem_get_page(unsigned long hva, bool write,
			     struct page **page)
{
	int ret = get_user_pages_fast(hva, 1, write ? FOLL_WRITE : 0, page);

	if (ret == 1)
		return 0;
	/* The VMM unmapped or protected its memory: a bad address. */
	return ret == -ENOMEM || ret == -EINTR || ret == -EAGAIN ? ret :
	       -EFAULT;
}

/*
 * A walk under mmu_lock found a table missing (-ENOSPC): fill @cache
 * outside the lock and take it again. True when that failed (*@ret set);
 * false: try again, with whatever changed meanwhile checked afresh.
 */
static bool axvm_mem_refill(struct axvm_vm *vm, struct axvm_s2_cache *cache,
			    int *ret)
{
	spin_unlock(&vm->mmu_lock);
	*ret = axvm_s2_cache_topup(cache);
	spin_lock(&vm->mmu_lock);
	return *ret;
}

/*
 * Under mmu_lock: a block is to go where a table of 4 KiB entries is,
 * made before the host's page became huge (khugepaged or MADV_COLLAPSE
 * collapsed it since; the notifier removed any entry of a page that
 * changed, so what is left maps parts of the huge page). The entries go,
 * the table after the flush, and the block takes their place.
 */
static void axvm_mem_collapse(struct axvm_vm *vm, u64 base)
{
	axvm_mem_zap_tables(vm, base, base + SZ_2M);
}

/* Under mmu_lock: an invalidation ran since the fault read @seq. */
static bool axvm_mem_fault_stale(struct axvm_vm *vm, unsigned long seq)
{
	lockdep_assert_held(&vm->mmu_lock);
	return vm->mmu_inval || vm->mmu_seq != seq;
}

/*
 * A user-fault region's page the VMM has not populated yet: the access
 * goes to userspace, which fills the page and calls AXVM_POPULATE.
 */
static int axvm_mem_user_fault(struct axvm_vcpu *vcpu, u64 gpa, u32 access)
{
	struct axvm_run *run = vcpu->run;

	run->npf.gpa = gpa;
	run->npf.flags = access;
	return AXVM_EXIT_NESTED_PAGE_FAULT;
}

int axvm_mem_fault(struct axvm_vcpu *vcpu, u64 gpa, u32 access)
{
	struct axvm_vm *vm = vcpu->vm;
	bool write = access & AXVM_NPF_WRITE;
	struct axvm_s2_cache cache = { .n = 0 };
	struct axvm_host_map host;
	struct axvm_mem_region *r;
	bool writable, block, flush = false, collapsed = false;
	unsigned long seq;
	struct page *page;
	phys_addr_t pa;
	int idx, ret;

	idx = srcu_read_lock(&vm->srcu);
	r = axvm_mem_find(vm, gpa);
	if (!r) {
		ret = -ENOENT;
		goto out;
	}
	if (write && r->flags & AXVM_MEM_READONLY) {
		ret = -EROFS;
		goto out;
	}
	/* Pairs with the release in AXVM_POPULATE: the VMM's data first. */
	if (r->populated &&
	    !test_bit_acquire((gpa - r->gpa) >> PAGE_SHIFT, r->populated)) {
		ret = axvm_mem_user_fault(vcpu, gpa, access);
		goto out;
	}

	seq = READ_ONCE(vm->mmu_seq);
	/*
	 * The sequence before the page: an invalidation that ends after this
	 * read is seen under mmu_lock (as KVM's mmu_invalidate_seq).
	 */
	smp_rmb();
	ret = axvm_mem_get_page(axvm_mem_hva(r, gpa), write, &page);
	if (ret) {
		/* GUP asks for another try: the guest's retry is one. */
		if (ret == -EAGAIN)
			ret = 0;
		goto out;
	}
	host = axvm_mem_host_map(current->mm, axvm_mem_hva(r, gpa), page);
	block = axvm_mem_block_ok(vm, r, gpa, &host);
	/*
	 * A read of a page the host maps writable already maps it writable,
	 * saving the guest's next write a fault; a logging region maps
	 * writable only on a write, which is then logged.
	 */
	writable = write || (host.writable && !r->dirty &&
			     !(r->flags & AXVM_MEM_READONLY));

	spin_lock(&vm->mmu_lock);
	for (;;) {
		/*
		 * The page changed under the fault: map nothing, the guest
		 * faults again and this runs with the new page.
		 */
		if (axvm_mem_fault_stale(vm, seq)) {
			ret = 0;
			break;
		}
		pa = page_to_phys(page);
		if (block) {
			pa = ALIGN_DOWN(pa, SZ_2M);
			ret = axvm_s2_map(&vm->s2, &cache, ALIGN_DOWN(gpa, SZ_2M),
					  pa, writable, true, &flush);
			if (ret == -EEXIST && !collapsed) {
				axvm_mem_collapse(vm, ALIGN_DOWN(gpa, SZ_2M));
				collapsed = true;
				continue;
			}
			if (ret == -EEXIST) {
				block = false;
				continue;
			}
		} else {
			ret = axvm_s2_map(&vm->s2, &cache, gpa & PAGE_MASK, pa,
					  writable, false, &flush);
		}
		if (ret != -ENOSPC || axvm_mem_refill(vm, &cache, &ret))
			break;
	}
	if (!ret && writable && write)
		axvm_mem_mark_dirty(r, gpa);
	if (flush)
		axvm_arch_vm_flush(vm, gpa & PAGE_MASK, PAGE_SIZE);
	spin_unlock(&vm->mmu_lock);
	/*
	 * The guest writes behind the host's page tables: the page is dirty
	 * from now on as far as reclaim and writeback can tell (a clean one
	 * could be dropped, MADV_FREE's), as KVM marks what it maps
	 * writable.
	 */
	if (!ret && writable)
		set_page_dirty_lock(page);
	/* The notifier, not a reference, keeps the mapping right from now. */
	put_page(page);
	axvm_s2_cache_free(&cache);
out:
	srcu_read_unlock(&vm->srcu, idx);
	return ret;
}

int axvm_mem_map_device(struct axvm_vm *vm, u64 gpa, phys_addr_t pa)
{
	struct axvm_s2_cache cache = { .n = 0 };
	int idx, ret;

	idx = srcu_read_lock(&vm->srcu);
	if (axvm_mem_find(vm, gpa)) {
		ret = -EEXIST;
		goto out;
	}
	spin_lock(&vm->mmu_lock);
	for (;;) {
		ret = axvm_s2_map_device(&vm->s2, &cache, gpa & PAGE_MASK,
					 pa & PAGE_MASK);
		if (ret != -ENOSPC || axvm_mem_refill(vm, &cache, &ret))
			break;
	}
	spin_unlock(&vm->mmu_lock);
	axvm_s2_cache_free(&cache);
out:
	srcu_read_unlock(&vm->srcu, idx);
	return ret;
}

bool axvm_mem_present(struct axvm_vm *vm, u64 gpa)
{
	int idx = srcu_read_lock(&vm->srcu);
	bool ret = axvm_mem_find(vm, gpa);

	srcu_read_unlock(&vm->srcu, idx);
	return ret;
}

/*
 * Copy between @buf and guest RAM through the VMM's own mapping, page by
 * page, as any access of the process: callers run in its threads (every
 * ioctl checks the owner). Writes are logged like the guest's.
 */
static int axvm_mem_copy(struct axvm_vm *vm, u64 gpa, void *buf, size_t len,
			 bool to_guest)
{
	struct axvm_mem_region *r;
	size_t chunk;
	void __user *uptr;
	int idx, ret = 0;

	if (current->mm != vm->mm)
		return -EFAULT;
	idx = srcu_read_lock(&vm->srcu);
	while (len) {
		r = axvm_mem_find(vm, gpa);
		if (!r) {
			ret = -ENOENT;
			break;
		}
		if (to_guest && r->flags & AXVM_MEM_READONLY) {
			ret = -EROFS;
			break;
		}
		chunk = min_t(size_t, len, PAGE_SIZE - offset_in_page(gpa));
		uptr = (void __user *)axvm_mem_hva(r, gpa);
		if (to_guest ? copy_to_user(uptr, buf, chunk) :
			       copy_from_user(buf, uptr, chunk)) {
			ret = -EFAULT;
			break;
		}
		if (to_guest)
			axvm_mem_mark_dirty(r, gpa);
		buf += chunk;
		gpa += chunk;
		len -= chunk;
	}
	srcu_read_unlock(&vm->srcu, idx);
	return ret;
}

int axvm_mem_read(struct axvm_vm *vm, u64 gpa, void *buf, size_t len)
{
	return axvm_mem_copy(vm, gpa, buf, len, false);
}

int axvm_mem_write(struct axvm_vm *vm, u64 gpa, const void *buf, size_t len)
{
	return axvm_mem_copy(vm, gpa, (void *)buf, len, true);
}

int axvm_mem_set_bits(struct axvm_vm *vm, u64 gpa, u64 bits,
		      unsigned int size)
{
	struct axvm_mem_region *r;
	struct page *page;
	int idx, ret = 0;
	void *va;

	if ((size != 4 && size != 8) || gpa & (size - 1))
		return -EINVAL;
	if (current->mm != vm->mm)
		return -EFAULT;
	idx = srcu_read_lock(&vm->srcu);
	r = axvm_mem_find(vm, gpa);
	if (!r)
		ret = -ENOENT;
	else if (r->flags & AXVM_MEM_READONLY)
		ret = -EROFS;
	else if (get_user_pages_fast(axvm_mem_hva(r, gpa), 1, FOLL_WRITE,
				     &page) != 1)
		ret = -EFAULT;
	if (ret)
		goto out;
	/* The guest's CPUs update the same word: an atomic OR. */
	va = kmap_local_page(page) + offset_in_page(gpa);
	if (size == 8) {
		u64 *p = va, old = READ_ONCE(*p);

		while (!try_cmpxchg(p, &old, old | bits))
			;
	} else {
		u32 *p = va, old = READ_ONCE(*p);

		while (!try_cmpxchg(p, &old, old | (u32)bits))
			;
	}
	kunmap_local(va);
	set_page_dirty_lock(page);
	put_page(page);
	axvm_mem_mark_dirty(r, gpa);
out:
	srcu_read_unlock(&vm->srcu, idx);
	return ret;
}
