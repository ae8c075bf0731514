// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory regions: ranges of the VM owner's address space, pinned
 * (FOLL_LONGTERM) for as long as they are mapped and charged to the
 * owner's RLIMIT_MEMLOCK, as VFIO does. Stage-2 tables are filled from
 * them by the backend on fault.
 */
#define pr_fmt(fmt) "axvm: " fmt

#include <linux/highmem.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/nospec.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <linux/uaccess.h>

#include "axvm.h"

/* Pin in chunks so a huge region stays killable and preemptible. */
#define AXVM_PIN_CHUNK	512

/*
 * Pages pinned by the regions of every VM, so that tests can see that
 * teardown (region delete, VM release) unpins them all.
 */
static atomic_long_t axvm_pinned_pages = ATOMIC_LONG_INIT(0);

static int axvm_pinned_pages_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(&axvm_pinned_pages));
}

static const struct kernel_param_ops axvm_pinned_pages_ops = {
	.get = axvm_pinned_pages_get,
};

module_param_cb(pinned_pages, &axvm_pinned_pages_ops, NULL, 0444);
MODULE_PARM_DESC(pinned_pages, "guest memory pages pinned by all VMs");

static bool axvm_mem_overlaps(struct axvm_vm *vm, u32 skip, u64 gpa,
			      u64 size)
{
	u32 i;

	for (i = 0; i < AXVM_MAX_MEM_REGIONS; i++) {
		struct axvm_mem_region *r = vm->regions[i];

		if (!r || i == skip)
			continue;
		if (gpa < r->gpa + r->size && r->gpa < gpa + size)
			return true;
	}
	return false;
}

static void axvm_mem_unpin(struct axvm_mem_region *r, unsigned long npinned)
{
	unpin_user_pages_dirty_lock(r->pages, npinned,
				    !(r->flags & AXVM_MEM_READONLY));
}

/*
 * Pin for writing whenever the mapping allows it, read-only regions too:
 * a read-only pin of never-written anonymous memory would pin the shared
 * zero page, and the guest would never see what userspace writes later.
 * Only a read-only region may fall back to a read-only pin.
 */
static int axvm_mem_pin_chunk(struct axvm_mem_region *r, unsigned long done,
			      int chunk)
{
	unsigned long addr = r->uaddr + done * PAGE_SIZE;
	int ret;

	ret = pin_user_pages_fast(addr, chunk, FOLL_LONGTERM | FOLL_WRITE,
				  r->pages + done);
	if (ret == -EFAULT && r->flags & AXVM_MEM_READONLY)
		ret = pin_user_pages_fast(addr, chunk, FOLL_LONGTERM,
					  r->pages + done);
	return ret;
}

static int axvm_mem_pin(struct axvm_vm *vm, struct axvm_mem_region *r)
{
	unsigned long done = 0;
	int ret;

	ret = account_locked_vm(vm->mm, r->npages, true);
	if (ret)
		return ret;

	while (done < r->npages) {
		int chunk = min_t(unsigned long, r->npages - done,
				  AXVM_PIN_CHUNK);

		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			goto err;
		}
		ret = axvm_mem_pin_chunk(r, done, chunk);
		if (ret <= 0) {
			ret = ret ? ret : -EFAULT;
			goto err;
		}
		done += ret;
		cond_resched();
	}
	vm->pinned_pages += r->npages;
	atomic_long_add(r->npages, &axvm_pinned_pages);
	return 0;

err:
	axvm_mem_unpin(r, done);
	account_locked_vm(vm->mm, r->npages, false);
	/* Any failure to reach the caller's pages is a bad address. */
	return ret == -ENOMEM || ret == -EINTR ? ret : -EFAULT;
}

static void axvm_mem_unmap(struct axvm_vm *vm, u64 gpa, u64 size)
{
	if (!vm->s2.fmt)
		return;
	axvm_s2_unmap(&vm->s2, gpa, size);
	axvm_arch_vm_flush(vm, gpa, size);
}

static void axvm_mem_delete(struct axvm_vm *vm, struct axvm_mem_region *r)
{
	/* No stage-2 entry may point at a page once it is unpinned. */
	axvm_mem_unmap(vm, r->gpa, r->size);
	vm->regions[r->slot] = NULL;
	axvm_mem_unpin(r, r->npages);
	account_locked_vm(vm->mm, r->npages, false);
	vm->pinned_pages -= r->npages;
	atomic_long_sub(r->npages, &axvm_pinned_pages);
	kvfree(r->pages);
	kfree(r);
}

static int axvm_mem_create(struct axvm_vm *vm,
			   const struct axvm_memory_region *req, u32 slot)
{
	struct axvm_mem_region *r;
	unsigned long npages = req->size >> PAGE_SHIFT;
	int ret;

	if (!access_ok(u64_to_user_ptr(req->userspace_addr), req->size))
		return -EFAULT;
	/* More than RAM can never be pinned; also bounds the page array. */
	if (npages > totalram_pages())
		return -ENOMEM;

	r = kzalloc(sizeof(*r), GFP_KERNEL_ACCOUNT);
	if (!r)
		return -ENOMEM;
	r->pages = kvcalloc(npages, sizeof(*r->pages),
			    GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!r->pages) {
		kfree(r);
		return -ENOMEM;
	}
	r->slot = slot;
	r->flags = req->flags;
	r->gpa = req->guest_phys_addr;
	r->size = req->size;
	r->uaddr = req->userspace_addr;
	r->npages = npages;

	ret = axvm_mem_pin(vm, r);
	if (ret) {
		kvfree(r->pages);
		kfree(r);
		return ret;
	}
	vm->regions[slot] = r;
	return 0;
}

/* Same memory, same size and flags: only the guest address changes. */
static void axvm_mem_move(struct axvm_vm *vm, struct axvm_mem_region *r,
			  u64 gpa)
{
	if (gpa == r->gpa)
		return;
	axvm_mem_unmap(vm, r->gpa, r->size);
	r->gpa = gpa;
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
	if (!PAGE_ALIGNED(req->guest_phys_addr) || !PAGE_ALIGNED(req->size) ||
	    !PAGE_ALIGNED(req->userspace_addr))
		return -EINVAL;
	if (req->size > limit || req->guest_phys_addr > limit - req->size)
		return -EINVAL;
	slot = array_index_nospec(req->slot, AXVM_MAX_MEM_REGIONS);

	mutex_lock(&vm->mem_lock);
	old = vm->regions[slot];
	if (!req->size) {
		ret = -EINVAL;
		if (old) {
			axvm_mem_delete(vm, old);
			ret = 0;
		}
	} else if (old && (req->size != old->size ||
			   req->userspace_addr != old->uaddr ||
			   req->flags != old->flags)) {
		/* An existing slot may only move. */
		ret = -EINVAL;
	} else if (axvm_mem_overlaps(vm, slot, req->guest_phys_addr,
				     req->size)) {
		ret = -EEXIST;
	} else if (old) {
		axvm_mem_move(vm, old, req->guest_phys_addr);
		ret = 0;
	} else {
		ret = axvm_mem_create(vm, req, slot);
	}
	mutex_unlock(&vm->mem_lock);
	return ret;
}

void axvm_mem_free_all(struct axvm_vm *vm)
{
	u32 i;

	mutex_lock(&vm->mem_lock);
	for (i = 0; i < AXVM_MAX_MEM_REGIONS; i++)
		if (vm->regions[i])
			axvm_mem_delete(vm, vm->regions[i]);
	mutex_unlock(&vm->mem_lock);
	WARN_ON(vm->pinned_pages);
}

static struct axvm_mem_region *axvm_mem_find(struct axvm_vm *vm, u64 gpa)
{
	u32 i;

	for (i = 0; i < AXVM_MAX_MEM_REGIONS; i++) {
		struct axvm_mem_region *r = vm->regions[i];

		if (r && gpa >= r->gpa && gpa - r->gpa < r->size)
			return r;
	}
	return NULL;
}

static struct page *axvm_mem_page(struct axvm_mem_region *r, u64 gpa)
{
	return r->pages[(gpa - r->gpa) >> PAGE_SHIFT];
}

/*
 * A fault maps the pages of its 2 MiB block that are in the region, not
 * just its own: a booting guest touches its RAM block by block, and each
 * fault is an exit. The pages are pinned already, so this costs only
 * table entries.
 */
#define AXVM_FAULT_BLOCK	SZ_2M

int axvm_mem_fault(struct axvm_vm *vm, u64 gpa, bool write)
{
	struct axvm_mem_region *r;
	u64 start, end, a;
	int ret = 0;

	mutex_lock(&vm->mem_lock);
	r = axvm_mem_find(vm, gpa);
	if (!r) {
		ret = -ENOENT;
		goto out;
	}
	if (write && r->flags & AXVM_MEM_READONLY) {
		ret = -EROFS;
		goto out;
	}
	start = max(ALIGN_DOWN(gpa, AXVM_FAULT_BLOCK), r->gpa);
	end = min(ALIGN_DOWN(gpa, AXVM_FAULT_BLOCK) + AXVM_FAULT_BLOCK,
		  r->gpa + r->size);
	/* The faulting page first: it is the one that must succeed. */
	ret = axvm_s2_map_missing(&vm->s2, gpa & PAGE_MASK,
				  page_to_phys(axvm_mem_page(r, gpa)),
				  !(r->flags & AXVM_MEM_READONLY));
	for (a = start; !ret && a < end; a += PAGE_SIZE)
		ret = axvm_s2_map_missing(&vm->s2, a,
					  page_to_phys(axvm_mem_page(r, a)),
					  !(r->flags & AXVM_MEM_READONLY));
out:
	mutex_unlock(&vm->mem_lock);
	return ret;
}

int axvm_mem_map_device(struct axvm_vm *vm, u64 gpa, phys_addr_t pa)
{
	int ret;

	mutex_lock(&vm->mem_lock);
	ret = axvm_mem_find(vm, gpa) ? -EEXIST :
	      axvm_s2_map_device(&vm->s2, gpa & PAGE_MASK, pa & PAGE_MASK);
	mutex_unlock(&vm->mem_lock);
	return ret;
}

bool axvm_mem_present(struct axvm_vm *vm, u64 gpa)
{
	bool ret;

	mutex_lock(&vm->mem_lock);
	ret = axvm_mem_find(vm, gpa);
	mutex_unlock(&vm->mem_lock);
	return ret;
}

/* Copy between @buf and guest RAM, page by page, under mem_lock. */
static int axvm_mem_copy(struct axvm_vm *vm, u64 gpa, void *buf, size_t len,
			 bool to_guest)
{
	struct axvm_mem_region *r;
	size_t off, chunk;
	void *va;
	int ret = 0;

	mutex_lock(&vm->mem_lock);
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
		off = offset_in_page(gpa);
		chunk = min_t(size_t, len, PAGE_SIZE - off);
		va = kmap_local_page(axvm_mem_page(r, gpa));
		if (to_guest)
			memcpy(va + off, buf, chunk);
		else
			memcpy(buf, va + off, chunk);
		kunmap_local(va);
		buf += chunk;
		gpa += chunk;
		len -= chunk;
	}
	mutex_unlock(&vm->mem_lock);
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
	void *va;
	int ret = 0;

	if ((size != 4 && size != 8) || gpa & (size - 1))
		return -EINVAL;
	mutex_lock(&vm->mem_lock);
	r = axvm_mem_find(vm, gpa);
	if (!r)
		ret = -ENOENT;
	else if (r->flags & AXVM_MEM_READONLY)
		ret = -EROFS;
	if (ret)
		goto out;
	va = kmap_local_page(axvm_mem_page(r, gpa)) + offset_in_page(gpa);
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
out:
	mutex_unlock(&vm->mem_lock);
	return ret;
}
