// SPDX-License-Identifier: GPL-2.0
/*
 * The stage-2 walker: one table per VM in the backend's format, filled a
 * page at a time from memory regions on fault, emptied on region delete
 * or move, freed with the VM. The caller holds vm->mem_lock; the hardware
 * walks the table concurrently, so entries are written whole.
 */
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/sysfs.h>

#include "axvm.h"

#define AXVM_S2_ENTRIES		(PAGE_SIZE / sizeof(u64))

/* Table pages of every VM, so that tests can see teardown free them all. */
static atomic_long_t axvm_s2_pages = ATOMIC_LONG_INIT(0);

static int axvm_s2_pages_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(&axvm_s2_pages));
}

static const struct kernel_param_ops axvm_s2_pages_ops = {
	.get = axvm_s2_pages_get,
};

module_param_cb(stage2_pages, &axvm_s2_pages_ops, NULL, 0444);
MODULE_PARM_DESC(stage2_pages, "stage-2 table pages held by all VMs");

static unsigned int axvm_s2_shift(const struct axvm_s2_format *fmt,
				  unsigned int level)
{
	return PAGE_SHIFT + (PAGE_SHIFT - 3) * (fmt->levels - 1 - level);
}

static unsigned long axvm_s2_entries(const struct axvm_s2_format *fmt,
				     unsigned int level)
{
	return level ? AXVM_S2_ENTRIES : AXVM_S2_ENTRIES << fmt->root_order;
}

static unsigned long axvm_s2_index(const struct axvm_s2_format *fmt,
				   unsigned int level, u64 gpa)
{
	return (gpa >> axvm_s2_shift(fmt, level)) &
	       (axvm_s2_entries(fmt, level) - 1);
}

int axvm_s2_init(struct axvm_s2 *s2, const struct axvm_s2_format *fmt)
{
	struct page *root;

	root = alloc_pages(GFP_KERNEL_ACCOUNT | __GFP_ZERO, fmt->root_order);
	if (!root)
		return -ENOMEM;
	atomic_long_add(1L << fmt->root_order, &axvm_s2_pages);
	s2->fmt = fmt;
	s2->root = page_address(root);
	return 0;
}

phys_addr_t axvm_s2_root(struct axvm_vm *vm)
{
	return virt_to_phys(vm->s2.root);
}

/* The leaf entry for @gpa, allocating the tables on the way if asked. */
static u64 *axvm_s2_walk(struct axvm_s2 *s2, u64 gpa, bool alloc)
{
	const struct axvm_s2_format *fmt = s2->fmt;
	u64 *table = s2->root, *entry;
	unsigned int level;

	for (level = 0;; level++) {
		entry = &table[axvm_s2_index(fmt, level, gpa)];
		if (level == fmt->levels - 1)
			return entry;
		if (!fmt->is_valid(READ_ONCE(*entry))) {
			u64 *next;

			if (!alloc)
				return NULL;
			next = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
			if (!next)
				return NULL;
			atomic_long_inc(&axvm_s2_pages);
			/* The new table is zeroed before the walker can see it. */
			smp_wmb();
			WRITE_ONCE(*entry, fmt->table(virt_to_phys(next)));
		}
		table = phys_to_virt(fmt->address(READ_ONCE(*entry)));
	}
}

int axvm_s2_map(struct axvm_s2 *s2, u64 gpa, phys_addr_t pa, bool writable)
{
	u64 *entry = axvm_s2_walk(s2, gpa, true);

	if (!entry)
		return -ENOMEM;
	if (s2->fmt->prepare_page)
		s2->fmt->prepare_page(pfn_to_page(PHYS_PFN(pa)));
	WRITE_ONCE(*entry, s2->fmt->leaf(pa, writable));
	/* Visible to the hardware walker before the guest runs again. */
	wmb();
	return 0;
}

/* Map @gpa unless it is mapped already (then 0 as well). */
int axvm_s2_map_missing(struct axvm_s2 *s2, u64 gpa, phys_addr_t pa,
			bool writable)
{
	u64 *entry = axvm_s2_walk(s2, gpa, false);

	if (entry && s2->fmt->is_valid(READ_ONCE(*entry)))
		return 0;
	return axvm_s2_map(s2, gpa, pa, writable);
}

/* A device page (no cache maintenance: it is no RAM), unless mapped. */
int axvm_s2_map_device(struct axvm_s2 *s2, u64 gpa, phys_addr_t pa)
{
	u64 *entry;

	if (!s2->fmt->device_leaf)
		return -EOPNOTSUPP;
	entry = axvm_s2_walk(s2, gpa, true);
	if (!entry)
		return -ENOMEM;
	if (!s2->fmt->is_valid(READ_ONCE(*entry))) {
		WRITE_ONCE(*entry, s2->fmt->device_leaf(pa));
		/* Visible to the hardware walker before the guest runs again. */
		wmb();
	}
	return 0;
}

static void axvm_s2_unmap_level(const struct axvm_s2_format *fmt, u64 *table,
				unsigned int level, u64 base, u64 start, u64 end)
{
	u64 span = 1ULL << axvm_s2_shift(fmt, level);
	unsigned long i, n = axvm_s2_entries(fmt, level);

	for (i = 0; i < n; i++) {
		u64 lo = base + i * span, entry = READ_ONCE(table[i]);

		if (lo + span <= start || lo >= end || !fmt->is_valid(entry))
			continue;
		if (level == fmt->levels - 1)
			WRITE_ONCE(table[i], 0);
		else
			axvm_s2_unmap_level(fmt, phys_to_virt(fmt->address(entry)),
					    level + 1, lo, start, end);
	}
}

/* Removes leaf entries only; the caller flushes the TLBs afterwards. */
void axvm_s2_unmap(struct axvm_s2 *s2, u64 gpa, u64 size)
{
	if (!s2->fmt)
		return;
	axvm_s2_unmap_level(s2->fmt, s2->root, 0, 0, gpa, gpa + size);
	/* Cleared entries reach memory before the caller flushes TLBs. */
	wmb();
}

static void axvm_s2_free_level(const struct axvm_s2_format *fmt, u64 *table,
			       unsigned int level)
{
	unsigned long i, n = axvm_s2_entries(fmt, level);

	if (level < fmt->levels - 1) {
		for (i = 0; i < n; i++) {
			u64 entry = table[i];

			if (fmt->is_valid(entry))
				axvm_s2_free_level(fmt,
						   phys_to_virt(fmt->address(entry)),
						   level + 1);
		}
	}
	if (level) {
		free_page((unsigned long)table);
		atomic_long_dec(&axvm_s2_pages);
	}
}

void axvm_s2_destroy(struct axvm_s2 *s2)
{
	if (!s2->fmt)
		return;
	axvm_s2_free_level(s2->fmt, s2->root, 0);
	free_pages((unsigned long)s2->root, s2->fmt->root_order);
	atomic_long_sub(1L << s2->fmt->root_order, &axvm_s2_pages);
	s2->root = NULL;
}
