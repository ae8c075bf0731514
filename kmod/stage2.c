// SPDX-License-Identifier: GPL-2.0
/*
 * The stage-2 walker: one table per VM in the backend's format, filled a
 * page (or a 2 MiB block) at a time on fault, emptied by the MMU notifier
 * and by region changes, freed with the VM. Callers hold vm->mmu_lock, a
 * spinlock: table pages come from a cache the caller filled before it
 * took the lock. The hardware walks the table concurrently, so entries
 * are written whole, and a table page is freed only after the TLBs that
 * may hold it were flushed.
 */
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/sizes.h>
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

/* 2 MiB blocks mapped now in every VM: huge mappings, counted. */
static atomic_long_t axvm_s2_blocks = ATOMIC_LONG_INIT(0);

static int axvm_s2_blocks_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(&axvm_s2_blocks));
}

static const struct kernel_param_ops axvm_s2_blocks_ops = {
	.get = axvm_s2_blocks_get,
};

module_param_cb(stage2_blocks, &axvm_s2_blocks_ops, NULL, 0444);
MODULE_PARM_DESC(stage2_blocks, "2 MiB stage-2 blocks mapped by all VMs");

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

/* Outside the lock: enough table pages for any one walk. */
int axvm_s2_cache_topup(struct axvm_s2_cache *cache)
{
	while (cache->n < AXVM_S2_CACHE_PAGES) {
		void *page = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);

		if (!page)
			return -ENOMEM;
		cache->pages[cache->n++] = page;
	}
	return 0;
}

void axvm_s2_cache_free(struct axvm_s2_cache *cache)
{
	while (cache->n)
		free_page((unsigned long)cache->pages[--cache->n]);
}

/*
 * The entry for @gpa at @target, allocating tables from @cache on the
 * way (NULL when one is missing and the cache is empty). A valid leaf
 * above @target (a block) ends the walk early; *@level says where the
 * walk stopped.
 */
static u64 *axvm_s2_walk(struct axvm_s2 *s2, u64 gpa, unsigned int target,
			 struct axvm_s2_cache *cache, unsigned int *level)
{
	const struct axvm_s2_format *fmt = s2->fmt;
	u64 *table = s2->root, *entry, e;
	unsigned int l;

	for (l = 0;; l++) {
		entry = &table[axvm_s2_index(fmt, l, gpa)];
		*level = l;
		if (l == target)
			return entry;
		e = READ_ONCE(*entry);
		if (!fmt->is_valid(e)) {
			void *next;

			if (!cache || !cache->n)
				return NULL;
			next = cache->pages[--cache->n];
			atomic_long_inc(&axvm_s2_pages);
			/* The new table is zeroed before the walker can see it. */
			smp_wmb();
			e = fmt->table(virt_to_phys(next));
			WRITE_ONCE(*entry, e);
		} else if (!fmt->is_table(e)) {
			return entry;
		}
		table = phys_to_virt(fmt->address(e));
	}
}

int axvm_s2_map(struct axvm_s2 *s2, struct axvm_s2_cache *cache, u64 gpa,
		phys_addr_t pa, bool writable, bool block, bool *flush)
{
	const struct axvm_s2_format *fmt = s2->fmt;
	unsigned int target = fmt->levels - 1 - block, level;
	u64 *entry, old;

	if (block && !fmt->block)
		return -EEXIST;
	entry = axvm_s2_walk(s2, gpa, target, cache, &level);
	if (!entry)
		return -ENOSPC;
	old = READ_ONCE(*entry);
	if (fmt->is_valid(old)) {
		/* Tables are there: the caller maps the page alone. */
		if (level == target && block && fmt->is_table(old))
			return -EEXIST;
		/*
		 * The same host page (the notifier removes an entry before
		 * its page changes): at most it gains write permission, and
		 * a TLB may still hold the read-only entry that faulted.
		 */
		if (writable && !(old & fmt->write_bit)) {
			WRITE_ONCE(*entry, old | fmt->write_bit);
			*flush = true;
		}
		return 0;
	}
	if (fmt->prepare)
		fmt->prepare(pa, block ? SZ_2M : PAGE_SIZE);
	WRITE_ONCE(*entry, block ? fmt->block(pa, writable) :
				   fmt->leaf(pa, writable));
	if (block)
		atomic_long_inc(&axvm_s2_blocks);
	/* Visible to the hardware walker before the guest runs again. */
	wmb();
	return 0;
}

int axvm_s2_map_device(struct axvm_s2 *s2, struct axvm_s2_cache *cache,
		       u64 gpa, phys_addr_t pa)
{
	const struct axvm_s2_format *fmt = s2->fmt;
	unsigned int level;
	u64 *entry;

	if (!fmt->device_leaf)
		return -EOPNOTSUPP;
	entry = axvm_s2_walk(s2, gpa, fmt->levels - 1, cache, &level);
	if (!entry)
		return -ENOSPC;
	if (!fmt->is_valid(READ_ONCE(*entry))) {
		WRITE_ONCE(*entry, fmt->device_leaf(pa));
		/* Visible to the hardware walker before the guest runs again. */
		wmb();
	}
	return 0;
}

/* What axvm_s2_visit() does to the leaves of a range. */
enum axvm_s2_op {
	AXVM_S2_UNMAP,		/* remove them; blocks too */
	AXVM_S2_WRPROTECT,	/* clear write; remove blocks (logging) */
	AXVM_S2_TEST,		/* only report whether any is there */
};

struct axvm_s2_visit {
	const struct axvm_s2_format *fmt;
	enum axvm_s2_op op;
	u64 start, end;
	/* Tables wholly inside or left empty go here; NULL: tables stay. */
	struct list_head *freed;
	bool hit;			/* a leaf was found (and changed) */
};

/* A table below the root with no valid entry left. */
static bool axvm_s2_empty(const u64 *table)
{
	unsigned long i;

	for (i = 0; i < AXVM_S2_ENTRIES; i++)
		if (READ_ONCE(table[i]))
			return false;
	return true;
}

static void axvm_s2_visit_level(struct axvm_s2_visit *v, u64 *table,
				unsigned int level, u64 base)
{
	const struct axvm_s2_format *fmt = v->fmt;
	unsigned int shift = axvm_s2_shift(fmt, level);
	u64 span = 1ULL << shift;
	unsigned long i, first, last, n = axvm_s2_entries(fmt, level);

	/* Only the entries the range touches: notifier ranges are small. */
	first = v->start > base ? (v->start - base) >> shift : 0;
	last = min_t(u64, n, ((v->end - base - 1) >> shift) + 1);
	for (i = first; i < last; i++) {
		u64 lo = base + i * span, e = READ_ONCE(table[i]);
		bool inside = lo >= v->start && lo + span <= v->end;

		if (!fmt->is_valid(e))
			continue;
		if (level < fmt->levels - 1 && fmt->is_table(e)) {
			u64 *child = phys_to_virt(fmt->address(e));

			axvm_s2_visit_level(v, child, level + 1, lo);
			if (v->freed && (inside || axvm_s2_empty(child))) {
				WRITE_ONCE(table[i], 0);
				list_add(&virt_to_page(child)->lru, v->freed);
			}
			continue;
		}
		/* A leaf: a page, or a block that a part of the range hits. */
		v->hit = true;
		if (v->op == AXVM_S2_TEST)
			continue;
		if (v->op == AXVM_S2_WRPROTECT && level == fmt->levels - 1) {
			WRITE_ONCE(table[i], e & ~fmt->write_bit);
			continue;
		}
		WRITE_ONCE(table[i], 0);
		if (level < fmt->levels - 1)
			atomic_long_dec(&axvm_s2_blocks);
	}
}

static bool axvm_s2_visit(struct axvm_s2 *s2, enum axvm_s2_op op, u64 start,
			  u64 end, struct list_head *freed)
{
	struct axvm_s2_visit v = {
		.fmt = s2->fmt, .op = op, .start = start, .end = end,
		.freed = freed,
	};

	if (!s2->fmt || start >= end)
		return false;
	axvm_s2_visit_level(&v, s2->root, 0, 0);
	/* Cleared entries reach memory before the caller flushes TLBs. */
	wmb();
	return v.hit;
}

bool axvm_s2_unmap(struct axvm_s2 *s2, u64 start, u64 end,
		   struct list_head *freed)
{
	return axvm_s2_visit(s2, AXVM_S2_UNMAP, start, end, freed);
}

bool axvm_s2_wrprotect(struct axvm_s2 *s2, u64 start, u64 end)
{
	return axvm_s2_visit(s2, AXVM_S2_WRPROTECT, start, end, NULL);
}

bool axvm_s2_mapped(struct axvm_s2 *s2, u64 start, u64 end)
{
	return axvm_s2_visit(s2, AXVM_S2_TEST, start, end, NULL);
}

/* After the TLB flush: table pages axvm_s2_unmap() took out. */
void axvm_s2_free_tables(struct list_head *freed)
{
	struct page *page, *tmp;

	list_for_each_entry_safe(page, tmp, freed, lru) {
		list_del(&page->lru);
		__free_page(page);
		atomic_long_dec(&axvm_s2_pages);
	}
}

static void axvm_s2_free_level(const struct axvm_s2_format *fmt, u64 *table,
			       unsigned int level)
{
	unsigned long i, n = axvm_s2_entries(fmt, level);

	if (level < fmt->levels - 1) {
		for (i = 0; i < n; i++) {
			u64 entry = table[i];

			if (!fmt->is_valid(entry))
				continue;
			if (fmt->is_table(entry))
				axvm_s2_free_level(fmt,
						   phys_to_virt(fmt->address(entry)),
						   level + 1);
			else
				atomic_long_dec(&axvm_s2_blocks);
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
