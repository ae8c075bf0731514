// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel PLIC, with the register map of the RISC-V PLIC
 * specification that QEMU's virt machine and Linux's driver use. Hart h
 * has contexts 2h (M-mode) and 2h + 1 (S-mode); a guest runs in VS-mode
 * and never owns an M-mode context, so those read as zero and ignore
 * writes. The output of hart h's S-mode context is the VSEIP of the vCPU
 * whose hart id is h.
 *
 * Sources are level-triggered, as vmctl's devices are: a source is
 * pending while its line is high and it is not claimed; a claim holds it
 * back until the completion, after which a line still high makes it
 * pending again. Lowering a line withdraws an unclaimed interrupt, so
 * the guest does not take one the device no longer asserts.
 */
#include <linux/bitmap.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include "riscv.h"

#define PLIC_PRIORITY		0x0		/* 4 bytes per source */
#define PLIC_PENDING		0x1000		/* 1 bit per source */
#define PLIC_ENABLE		0x2000		/* 0x80 bytes per context */
#define PLIC_ENABLE_STRIDE	0x80
#define PLIC_CONTEXT		0x200000	/* 0x1000 bytes per context */
#define PLIC_CONTEXT_STRIDE	0x1000
#define PLIC_THRESHOLD		0x0		/* in a context's page */
#define PLIC_CLAIM		0x4
/* The whole map: 15872 contexts. */
#define PLIC_SIZE_MAX		0x4000000
/* Priorities and thresholds have 3 bits, as on QEMU's virt machine. */
#define PLIC_PRIO_MASK		7

struct axvm_plic {
	spinlock_t lock;	/* level to eip; irqsave, any context */
	u64 base, size;
	u32 nr_irqs;		/* sources 1 to nr_irqs - 1 */
	u32 words;		/* u32 words of a bitmap of sources */
	u32 nr_harts;		/* hart ids below it have contexts */
	u32 *level;		/* line levels */
	u32 *claimed;		/* claimed and not completed yet */
	u32 *enable;		/* words per hart, its S-mode context's */
	u8 *threshold;		/* per hart */
	u8 *priority;		/* per source */
	unsigned long *eip;	/* per hart: its S-mode context's output */
};

/* Harts to kick once the lock is dropped. */
#define PLIC_KICK_BITS		AXVM_RISCV_PLIC_MAX_HARTS

static struct axvm_plic *axvm_plic(struct axvm_vm *vm)
{
	struct axvm_riscv_vm *rvm = vm->arch;

	return READ_ONCE(rvm->plic);
}

/* The bits of word @w that name a source (source 0 does not exist). */
static u32 axvm_plic_word_mask(const struct axvm_plic *p, unsigned int w)
{
	u32 mask = ~0U;

	if (!w)
		mask &= ~1U;
	if (w == p->words - 1 && p->nr_irqs % 32)
		mask &= BIT(p->nr_irqs % 32) - 1;
	return mask;
}

static u32 axvm_plic_pending(const struct axvm_plic *p, unsigned int w)
{
	return p->level[w] & ~p->claimed[w];
}

/*
 * What @hart would claim: the pending, enabled source of highest
 * priority above its threshold, the lowest id among equals; 0: none.
 * Priority 0 never interrupts, since thresholds are at least 0.
 */
static u32 axvm_plic_best(const struct axvm_plic *p, u32 hart)
{
	const u32 *en = &p->enable[hart * p->words];
	unsigned int prio = p->threshold[hart], w, b;
	unsigned long bits;
	u32 best = 0;

	for (w = 0; w < p->words; w++) {
		bits = axvm_plic_pending(p, w) & en[w];
		for_each_set_bit(b, &bits, 32) {
			if (p->priority[w * 32 + b] > prio) {
				prio = p->priority[w * 32 + b];
				best = w * 32 + b;
			}
		}
	}
	return best;
}

/* New output of @hart's S-mode context; a rising one is to be kicked. */
static void axvm_plic_update_hart(struct axvm_plic *p, u32 hart,
				  unsigned long *kick)
{
	bool eip = axvm_plic_best(p, hart);

	if (eip && !test_bit(hart, p->eip))
		__set_bit(hart, kick);
	assign_bit(hart, p->eip, eip);
}

/* Source @s changed: every context that enables it may change. */
static void axvm_plic_update_source(struct axvm_plic *p, u32 s,
				    unsigned long *kick)
{
	u32 hart;

	for (hart = 0; hart < p->nr_harts; hart++)
		if (p->enable[hart * p->words + s / 32] & BIT(s % 32))
			axvm_plic_update_hart(p, hart, kick);
}

/* The vCPUs whose VSEIP rose: woken from WFI or made to leave the guest. */
static void axvm_plic_kick(struct axvm_vm *vm, unsigned long *kick)
{
	axvm_vm_kick_marked(vm, kick, PLIC_KICK_BITS, true);
}

/*
 * The hart of an S-mode context whose registers start at @off, spaced
 * @stride apart from @start; -1 for an M-mode context or one without a
 * hart.
 */
static s64 axvm_plic_hart(const struct axvm_plic *p, u64 off, u64 start,
			  u64 stride)
{
	u64 ctx = (off - start) / stride;

	if (!(ctx & 1) || ctx / 2 >= p->nr_harts)
		return -1;
	return ctx / 2;
}

static u32 axvm_plic_claim(struct axvm_plic *p, u32 hart,
			   unsigned long *kick)
{
	u32 s = axvm_plic_best(p, hart);

	if (s) {
		p->claimed[s / 32] |= BIT(s % 32);
		axvm_plic_update_source(p, s, kick);
	}
	return s;
}

/* A completion of a source the context does not enable is ignored. */
static void axvm_plic_complete(struct axvm_plic *p, u32 hart, u32 s,
			       unsigned long *kick)
{
	if (!s || s >= p->nr_irqs ||
	    !(p->enable[hart * p->words + s / 32] & BIT(s % 32)) ||
	    !(p->claimed[s / 32] & BIT(s % 32)))
		return;
	p->claimed[s / 32] &= ~BIT(s % 32);
	axvm_plic_update_source(p, s, kick);
}

static u32 axvm_plic_read(struct axvm_plic *p, u64 off, unsigned long *kick)
{
	s64 hart;
	u64 w;

	if (off < PLIC_PENDING) {
		w = (off - PLIC_PRIORITY) / 4;
		return w < p->nr_irqs ? p->priority[w] : 0;
	}
	if (off < PLIC_ENABLE) {
		w = (off - PLIC_PENDING) / 4;
		return w < p->words ? axvm_plic_pending(p, w) : 0;
	}
	if (off < PLIC_CONTEXT) {
		hart = axvm_plic_hart(p, off, PLIC_ENABLE, PLIC_ENABLE_STRIDE);
		w = (off % PLIC_ENABLE_STRIDE) / 4;
		if (hart < 0 || w >= p->words)
			return 0;
		return p->enable[hart * p->words + w];
	}
	hart = axvm_plic_hart(p, off, PLIC_CONTEXT, PLIC_CONTEXT_STRIDE);
	if (hart < 0)
		return 0;
	switch (off % PLIC_CONTEXT_STRIDE) {
	case PLIC_THRESHOLD:
		return p->threshold[hart];
	case PLIC_CLAIM:
		return axvm_plic_claim(p, hart, kick);
	}
	return 0;
}

static void axvm_plic_write(struct axvm_plic *p, u64 off, u32 v,
			    unsigned long *kick)
{
	s64 hart;
	u64 w;

	if (off < PLIC_PENDING) {
		w = (off - PLIC_PRIORITY) / 4;
		if (!w || w >= p->nr_irqs)
			return;
		p->priority[w] = v & PLIC_PRIO_MASK;
		axvm_plic_update_source(p, w, kick);
		return;
	}
	/* The pending bits are read-only. */
	if (off < PLIC_ENABLE)
		return;
	if (off < PLIC_CONTEXT) {
		hart = axvm_plic_hart(p, off, PLIC_ENABLE, PLIC_ENABLE_STRIDE);
		w = (off % PLIC_ENABLE_STRIDE) / 4;
		if (hart < 0 || w >= p->words)
			return;
		p->enable[hart * p->words + w] = v & axvm_plic_word_mask(p, w);
		axvm_plic_update_hart(p, hart, kick);
		return;
	}
	hart = axvm_plic_hart(p, off, PLIC_CONTEXT, PLIC_CONTEXT_STRIDE);
	if (hart < 0)
		return;
	switch (off % PLIC_CONTEXT_STRIDE) {
	case PLIC_THRESHOLD:
		p->threshold[hart] = v & PLIC_PRIO_MASK;
		axvm_plic_update_hart(p, hart, kick);
		break;
	case PLIC_CLAIM:
		axvm_plic_complete(p, hart, v, kick);
		break;
	}
}

bool axvm_riscv_plic_mmio(struct axvm_vcpu *vcpu, u64 gpa, unsigned int len,
			  bool write, u64 *val)
{
	struct axvm_plic *p = axvm_plic(vcpu->vm);
	DECLARE_BITMAP(kick, PLIC_KICK_BITS);
	unsigned long flags;
	u64 off;

	if (!p || gpa < p->base || gpa - p->base >= p->size)
		return false;
	off = gpa - p->base;
	/* The registers are 32 bits wide; other accesses do nothing. */
	if (len != 4 || off % 4) {
		if (!write)
			*val = 0;
		return true;
	}

	bitmap_zero(kick, PLIC_KICK_BITS);
	spin_lock_irqsave(&p->lock, flags);
	if (write)
		axvm_plic_write(p, off, *val, kick);
	else
		*val = axvm_plic_read(p, off, kick);
	spin_unlock_irqrestore(&p->lock, flags);

	/* This vCPU reads its own VSEIP when it enters again. */
	if (vcpu->arch_id < PLIC_KICK_BITS)
		__clear_bit(vcpu->arch_id, kick);
	axvm_plic_kick(vcpu->vm, kick);
	return true;
}

bool axvm_riscv_plic_eip(struct axvm_vcpu *vcpu)
{
	struct axvm_plic *p = axvm_plic(vcpu->vm);

	return p && vcpu->arch_id < p->nr_harts &&
	       test_bit(vcpu->arch_id, p->eip);
}

bool axvm_riscv_plic_has_hart(struct axvm_vm *vm, u64 hart)
{
	struct axvm_plic *p = axvm_plic(vm);

	return !p || hart < p->nr_harts;
}

bool axvm_riscv_plic_present(struct axvm_vm *vm)
{
	return axvm_plic(vm);
}

static void axvm_plic_free(struct axvm_plic *p)
{
	kfree(p->level);
	kfree(p->claimed);
	kvfree(p->enable);
	kfree(p->threshold);
	kfree(p->priority);
	bitmap_free(p->eip);
	kfree(p);
}

/* The VM is going away: nothing else refers to it. */
void axvm_riscv_plic_free(struct axvm_vm *vm)
{
	struct axvm_riscv_vm *rvm = vm->arch;

	if (rvm->plic)
		axvm_plic_free(rvm->plic);
	rvm->plic = NULL;
}

/*
 * The window holds the contexts of harts 0 to nr_harts - 1: it starts
 * and ends on a 4 KiB boundary and reaches at least past hart 0's S-mode
 * context, at most to the end of the map.
 */
static int axvm_plic_check(const struct axvm_irqchip *cfg)
{
	u64 base = cfg->base[0], size = cfg->size[0];
	u64 limit = BIT_ULL(axvm_info.guest_phys_bits);

	if (cfg->nr_irqs < 2 || cfg->base[1] || cfg->size[1])
		return -EINVAL;
	if (!IS_ALIGNED(base, SZ_4K) || !IS_ALIGNED(size, SZ_4K) ||
	    size < PLIC_CONTEXT + 2 * PLIC_CONTEXT_STRIDE ||
	    size > PLIC_SIZE_MAX || base >= limit || size > limit - base)
		return -EINVAL;
	return 0;
}

int axvm_arch_irqchip_create(struct axvm_vm *vm,
			     const struct axvm_irqchip *cfg)
{
	struct axvm_riscv_vm *rvm = vm->arch;
	struct axvm_plic *p;
	int ret;

	if (cfg->type != AXVM_IRQCHIP_PLIC)
		return -ENODEV;
	ret = axvm_plic_check(cfg);
	if (ret)
		return ret;

	p = kzalloc(sizeof(*p), GFP_KERNEL_ACCOUNT);
	if (!p)
		return -ENOMEM;
	spin_lock_init(&p->lock);
	p->base = cfg->base[0];
	p->size = cfg->size[0];
	p->nr_irqs = cfg->nr_irqs;
	p->words = DIV_ROUND_UP(cfg->nr_irqs, 32);
	p->nr_harts = min_t(u64, (p->size - PLIC_CONTEXT) /
				 (2 * PLIC_CONTEXT_STRIDE),
			    AXVM_RISCV_PLIC_MAX_HARTS);
	p->level = kcalloc(p->words, sizeof(u32), GFP_KERNEL_ACCOUNT);
	p->claimed = kcalloc(p->words, sizeof(u32), GFP_KERNEL_ACCOUNT);
	p->enable = kvcalloc(p->nr_harts * p->words, sizeof(u32),
			     GFP_KERNEL_ACCOUNT);
	p->threshold = kcalloc(p->nr_harts, 1, GFP_KERNEL_ACCOUNT);
	p->priority = kcalloc(p->nr_irqs, 1, GFP_KERNEL_ACCOUNT);
	p->eip = bitmap_zalloc(p->nr_harts, GFP_KERNEL_ACCOUNT);
	if (!p->level || !p->claimed || !p->enable || !p->threshold ||
	    !p->priority || !p->eip) {
		axvm_plic_free(p);
		return -ENOMEM;
	}
	/* vCPU creation checks hart ids against it without vm->lock. */
	smp_store_release(&rvm->plic, p);
	return 0;
}

int axvm_arch_irq_line(struct axvm_vm *vm, u32 irq, bool level)
{
	struct axvm_plic *p = axvm_plic(vm);
	DECLARE_BITMAP(kick, PLIC_KICK_BITS);
	unsigned long flags;
	u32 *word;

	if (!p)
		return -ENXIO;
	/* Source 0 means "no interrupt" in the claim register. */
	if (!irq)
		return -EINVAL;

	bitmap_zero(kick, PLIC_KICK_BITS);
	spin_lock_irqsave(&p->lock, flags);
	word = &p->level[irq / 32];
	if (!!(*word & BIT(irq % 32)) != level) {
		*word ^= BIT(irq % 32);
		axvm_plic_update_source(p, irq, kick);
	}
	spin_unlock_irqrestore(&p->lock, flags);
	axvm_plic_kick(vm, kick);
	return 0;
}

/* The PLIC takes no messages. */
int axvm_arch_signal_msi(struct axvm_vm *vm, const struct axvm_msi *msi)
{
	return -ENXIO;
}
