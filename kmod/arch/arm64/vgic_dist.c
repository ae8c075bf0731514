// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel GICv3 distributor and redistributors of a VM
 * (AXVM_IRQCHIP_GICV3): their MMIO registers, SGIs written to
 * ICC_SGI1R_EL1, and the choice of what each vCPU's list registers carry
 * (vgic.c loads them). One security state (GICD_CTLR.DS set), affinity
 * routing only, every interrupt group 1, no LPIs and no ITS. Active state
 * lives in the list registers alone; the ISACTIVER registers read 0.
 *
 * On a GICv2 host the same state is a GICv2 distributor instead
 * (AXVM_IRQCHIP_GICV2, IHI 0048B): no redistributors, the SGIs and PPIs
 * banked in the distributor by the accessing CPU, SPIs routed by
 * GICD_ITARGETSR (to the lowest CPU named, as KVM's vgic-v2 does), SGIs
 * sent through GICD_SGIR with their source CPU, no Security Extensions
 * (every interrupt group 0, GICD_IGROUPR RAZ/WI), at most 8 CPUs. The
 * guest's GICC is the host's GICV frame, mapped by stage 2 on its first
 * access (axvm_vgic_cpuif_map()).
 */
#define pr_fmt(fmt) "axvm: " fmt

#include <linux/bitfield.h>
#include <linux/irqchip/arm-gic-v3.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/sizes.h>

#include "arm64.h"

#define AXVM_GICR_FRAME		SZ_128K
#define AXVM_GIC_IIDR		0x0000043b	/* JEP106 ARM, as GIC-500 */
#define AXVM_GIC_PIDR2		0x3b		/* ArchRev 3 */
/* Affinity fields of MPIDR and of GICD_IROUTER. */
#define AXVM_GIC_AFF_MASK	0xff00ffffffULL
#define AXVM_IROUTER_IRM	BIT_ULL(31)

/* GICv2: PIDR2.ArchRev 2; the CPU interface's 8 KiB; 8 CPUs at most. */
#define AXVM_GICV2_PIDR2	0x2b
#define AXVM_GICV2_CPU_SIZE	SZ_8K
#define AXVM_GICV2_MAX_CPUS	8
#define AXVM_GICD_V2_ENABLE	BIT(0)
#define AXVM_GICD_SGIR		0x0f00
#define AXVM_GICD_CPENDSGIR	0x0f10
#define AXVM_GICD_SPENDSGIR	0x0f20
#define AXVM_GICD_ITARGETSR	0x0800
#define AXVM_GICD_V2_PIDR2	0x0fe8
#define AXVM_SGIR_FILTER	GENMASK(25, 24)
#define AXVM_SGIR_TARGETS	GENMASK(23, 16)
#define AXVM_SGIR_INTID		GENMASK(3, 0)

struct axvm_vgic_dist {
	/* Everything below and every vCPU's private interrupts. */
	raw_spinlock_t lock;
	bool v2;		/* AXVM_IRQCHIP_GICV2 */
	u64 dist_base;
	u64 dist_size;
	u64 rdist_base;		/* GICv2: the guest's GICC */
	u32 nr_frames;
	u32 nr_spis;
	u32 ctlr;		/* GICD_CTLR_ENABLE_G1 | _G1A (v2: Enable) */
	struct axvm_vgic_irq *spi;
	u64 *route;		/* GICD_IROUTER per SPI (v2: ITARGETSR) */
	/* The vCPU behind each redistributor frame, by vCPU id. */
	struct axvm_vcpu **frame;
};

/* Which vCPUs to kick once the lock is dropped, by vCPU id. */
struct axvm_vgic_kick {
	DECLARE_BITMAP(ids, AXVM_MAX_VCPU_ID);
};

static struct axvm_vgic_dist *axvm_vgic_dist(struct axvm_vm *vm)
{
	/* Pairs with the release in axvm_arch_irqchip_create(). */
	return smp_load_acquire(&((struct axvm_arm64_vm *)vm->arch)->dist);
}

static bool axvm_vgic_irq_pending(const struct axvm_vgic_irq *irq)
{
	return irq->enabled && (irq->latch || (!irq->edge && irq->level));
}

/* The vCPU id an SPI goes to now, or -1. */
static int axvm_vgic_spi_target(struct axvm_vgic_dist *d, u32 spi)
{
	u64 route = d->route[spi];
	u32 i;

	/* GICv2: the lowest CPU interface named that has a vCPU. */
	if (d->v2) {
		for (i = 0; i < d->nr_frames; i++)
			if (route & BIT(i) && d->frame[i])
				return i;
		return -1;
	}
	for (i = 0; i < d->nr_frames; i++) {
		struct axvm_vcpu *v = d->frame[i];

		if (!v)
			continue;
		/* 1-of-N routing: the first vCPU takes it. */
		if (route & AXVM_IROUTER_IRM ||
		    (route & AXVM_GIC_AFF_MASK) == v->arch_id)
			return i;
	}
	return -1;
}

/* Kick the target of @spi when it became deliverable. */
static void axvm_vgic_spi_changed(struct axvm_vgic_dist *d, u32 spi,
				  struct axvm_vgic_kick *k)
{
	int id;

	if (!axvm_vgic_irq_pending(&d->spi[spi]))
		return;
	id = axvm_vgic_spi_target(d, spi);
	if (id >= 0)
		__set_bit(id, k->ids);
}

static void axvm_vgic_kick(struct axvm_vm *vm, struct axvm_vgic_kick *k)
{
	axvm_vm_kick_marked(vm, k->ids, AXVM_MAX_VCPU_ID, false);
}

/*
 * The interrupt @intid as @vcpu sees it: its own SGI/PPI or an SPI;
 * NULL when there is none.
 */
static struct axvm_vgic_irq *axvm_vgic_irq(struct axvm_vgic_dist *d,
					   struct axvm_vcpu *vcpu, u32 intid)
{
	struct axvm_arm64_vcpu *a = vcpu->arch;

	if (intid < AXVM_VGIC_PRIVATE)
		return &a->vgic.priv[intid];
	if (intid - AXVM_VGIC_PRIVATE < d->nr_spis)
		return &d->spi[intid - AXVM_VGIC_PRIVATE];
	return NULL;
}

/* SPIs @vcpu may list: group 1 enabled and routed to it. */
static bool axvm_vgic_spi_here(struct axvm_vgic_dist *d,
			       struct axvm_vcpu *vcpu, u32 spi)
{
	return axvm_vgic_spi_target(d, spi) == (int)vcpu->id;
}

/* The best-priority deliverable interrupt of @vcpu not yet listed. */
static int axvm_vgic_best(struct axvm_vgic_dist *d, struct axvm_vcpu *vcpu,
			  const unsigned long *listed)
{
	struct axvm_arm64_vcpu *a = vcpu->arch;
	int best = -1;
	u32 i, prio = 0x100;

	if (!(d->ctlr & (d->v2 ? AXVM_GICD_V2_ENABLE : GICD_CTLR_ENABLE_G1A)))
		return -1;
	for (i = 0; i < AXVM_VGIC_PRIVATE; i++) {
		struct axvm_vgic_irq *irq = &a->vgic.priv[i];

		if (irq->priority < prio && axvm_vgic_irq_pending(irq) &&
		    !test_bit(i, listed)) {
			prio = irq->priority;
			best = i;
		}
	}
	for (i = 0; i < d->nr_spis; i++) {
		struct axvm_vgic_irq *irq = &d->spi[i];
		u32 intid = i + AXVM_VGIC_PRIVATE;

		if (irq->priority < prio && axvm_vgic_irq_pending(irq) &&
		    !test_bit(intid, listed) && axvm_vgic_spi_here(d, vcpu, i)) {
			prio = irq->priority;
			best = intid;
		}
	}
	return best;
}

/* The timers' lines into their PPIs' levels; under the dist lock. */
static void axvm_vgic_timer_levels(struct axvm_arm64_vcpu *a, u32 lines)
{
	a->vgic.priv[AXVM_ARM64_VTIMER_PPI].level =
		lines & AXVM_ARM64_TIMER_LINE_V;
	a->vgic.priv[AXVM_ARM64_PTIMER_PPI].level =
		lines & AXVM_ARM64_TIMER_LINE_P;
}

/*
 * GICv2: one source of SGI @intid for its list register (GICH_LR CPUID,
 * what GICC_IAR reports), the lowest first. The SGI stays pending while
 * other sources wait; the entry then asks for an EOI maintenance
 * interrupt, so that the next one is listed once this one is done.
 */
static u64 axvm_vgic_v2_sgi_source(struct axvm_arm64_vcpu *a, u32 intid)
{
	u8 *src = &a->vgic.sgi_src[intid];
	u64 lr;

	if (!*src)
		return 0;	/* made pending by GICD_ISPENDR: source 0 */
	lr = FIELD_PREP(AXVM_LR_V2_SOURCE, __ffs(*src));
	*src &= *src - 1;
	if (*src) {
		a->vgic.priv[intid].latch = true;
		lr |= axvm_vgic_level_flags();
	}
	return lr;
}

/*
 * Fill @lr for an entry of @vcpu: drop entries the guest has not taken
 * whose interrupt is no longer pending, then list the best pending ones
 * into the free slots. An edge's latch is consumed by listing it. Called
 * with interrupts disabled. True when pending ones did not fit.
 * @disabled_timers: the high timer lines whose PPI the guest disabled;
 * only a trapped GICR write can enable it, and that kicks this vCPU.
 */
bool axvm_vgic_dist_load(struct axvm_vcpu *vcpu, u64 *lr, unsigned int n,
			 u32 timer_lines, u32 *disabled_timers)
{
	struct axvm_vgic_dist *d = axvm_vgic_dist(vcpu->vm);
	struct axvm_arm64_vcpu *a = vcpu->arch;
	DECLARE_BITMAP(listed, AXVM_MAX_IRQS);
	unsigned int i, free = 0;
	bool overflow = false;
	int intid;

	bitmap_zero(listed, AXVM_MAX_IRQS);
	raw_spin_lock(&d->lock);
	axvm_vgic_timer_levels(a, timer_lines);
	*disabled_timers = 0;
	if (!a->vgic.priv[AXVM_ARM64_VTIMER_PPI].enabled)
		*disabled_timers |= timer_lines & AXVM_ARM64_TIMER_LINE_V;
	if (!a->vgic.priv[AXVM_ARM64_PTIMER_PPI].enabled)
		*disabled_timers |= timer_lines & AXVM_ARM64_TIMER_LINE_P;
	for (i = 0; i < n; i++) {
		struct axvm_vgic_irq *irq;

		/* Deactivated: loaded as it is, its EOI bit would fire. */
		if (!(lr[i] & ICH_LR_STATE)) {
			lr[i] = 0;
			continue;
		}
		intid = lr[i] & ICH_LR_VIRTUAL_ID_MASK;
		irq = axvm_vgic_irq(d, vcpu, intid);
		if ((lr[i] & ICH_LR_STATE) == ICH_LR_PENDING_BIT &&
		    (!irq || !irq->enabled ||
		     (!irq->edge && !irq->level && !irq->latch))) {
			lr[i] = 0;
			continue;
		}
		if (intid < AXVM_MAX_IRQS)
			__set_bit(intid, listed);
	}
	for (;;) {
		struct axvm_vgic_irq *irq;

		while (free < n && lr[free] & ICH_LR_STATE)
			free++;
		intid = axvm_vgic_best(d, vcpu, listed);
		if (intid < 0)
			break;
		if (free == n) {
			overflow = true;
			break;
		}
		irq = axvm_vgic_irq(d, vcpu, intid);
		irq->latch = false;
		lr[free] = intid | ICH_LR_PENDING_BIT | ICH_LR_GROUP |
			   (irq->edge ? 0 : axvm_vgic_level_flags()) |
			   ((u64)irq->priority << ICH_LR_PRIORITY_SHIFT);
		if (d->v2 && intid < 16)
			lr[free] |= axvm_vgic_v2_sgi_source(a, intid);
		__set_bit(intid, listed);
	}
	raw_spin_unlock(&d->lock);
	return overflow;
}

/* Something is pending for @vcpu that its list registers do not hold. */
bool axvm_vgic_dist_pending(struct axvm_vcpu *vcpu, u32 timer_lines)
{
	struct axvm_vgic_dist *d = axvm_vgic_dist(vcpu->vm);
	struct axvm_arm64_vcpu *a = vcpu->arch;
	DECLARE_BITMAP(listed, AXVM_MAX_IRQS);
	unsigned long flags;
	unsigned int i;
	bool ret;

	bitmap_zero(listed, AXVM_MAX_IRQS);
	for (i = 0; i < AXVM_ARM64_MAX_LRS; i++) {
		u64 lr = a->vgic.lr[i];

		if (lr & ICH_LR_STATE)
			__set_bit(lr & ICH_LR_VIRTUAL_ID_MASK & (AXVM_MAX_IRQS - 1),
				  listed);
	}
	raw_spin_lock_irqsave(&d->lock, flags);
	axvm_vgic_timer_levels(a, timer_lines);
	ret = axvm_vgic_best(d, vcpu, listed) >= 0;
	raw_spin_unlock_irqrestore(&d->lock, flags);
	return ret;
}

int axvm_arch_irq_line(struct axvm_vm *vm, u32 irq, bool level)
{
	struct axvm_vgic_dist *d = axvm_vgic_dist(vm);
	struct axvm_vgic_kick k;
	unsigned long flags;
	struct axvm_vgic_irq *s;

	bitmap_zero(k.ids, AXVM_MAX_VCPU_ID);
	raw_spin_lock_irqsave(&d->lock, flags);
	s = &d->spi[irq];
	if (level && !s->level)
		s->latch |= s->edge;
	s->level = level;
	axvm_vgic_spi_changed(d, irq, &k);
	raw_spin_unlock_irqrestore(&d->lock, flags);
	axvm_vgic_kick(vm, &k);
	return 0;
}

int axvm_arch_signal_msi(struct axvm_vm *vm, const struct axvm_msi *msi)
{
	return -ENXIO;
}

/*
 * ICC_SGI1R_EL1's targets without IRM (GICv3 12.2.22): the PEs
 * Aff3.Aff2.Aff1.(RS * 16 + n) for each bit n of TargetList. Returns
 * the affinity of bit 0, in MPIDR layout: bit n's is that + n.
 */
u64 axvm_vgic_sgi1r_base(u64 val)
{
	return FIELD_GET(ICC_SGI1R_AFFINITY_3_MASK, val) << 32 |
	       FIELD_GET(ICC_SGI1R_AFFINITY_2_MASK, val) << 16 |
	       FIELD_GET(ICC_SGI1R_AFFINITY_1_MASK, val) << 8 |
	       FIELD_GET(ICC_SGI1R_RS_MASK, val) * 16;
}

/*
 * ICC_SGI1R_EL1 (and its alias ASGI1R) written by @vcpu: make SGI
 * INTID pending at each target, the sender excluded with IRM.
 */
void axvm_vgic_sgi(struct axvm_vcpu *vcpu, u64 val)
{
	struct axvm_vgic_dist *d = axvm_vgic_dist(vcpu->vm);
	u32 intid = FIELD_GET(ICC_SGI1R_SGI_ID_MASK, val);
	u64 base = axvm_vgic_sgi1r_base(val);
	u16 targets = FIELD_GET(ICC_SGI1R_TARGET_LIST_MASK, val);
	struct axvm_vgic_kick k;
	unsigned long flags;
	u32 i;

	bitmap_zero(k.ids, AXVM_MAX_VCPU_ID);
	raw_spin_lock_irqsave(&d->lock, flags);
	for (i = 0; i < d->nr_frames; i++) {
		struct axvm_vcpu *v = d->frame[i];
		u64 id;

		if (!v)
			continue;
		id = v->arch_id;
		if (val & BIT_ULL(ICC_SGI1R_IRQ_ROUTING_MODE_BIT)) {
			if (v == vcpu)
				continue;
		} else if ((id & ~0xfULL) != base ||
			   !(targets & BIT(id & 0xf))) {
			continue;
		}
		((struct axvm_arm64_vcpu *)v->arch)->vgic.priv[intid].latch =
			true;
		__set_bit(i, k.ids);
	}
	raw_spin_unlock_irqrestore(&d->lock, flags);
	axvm_vgic_kick(vcpu->vm, &k);
}

/*
 * The registers the distributor and an SGI frame share, for the INTIDs
 * @first..@first+@count-1 (SPIs, or one vCPU's private interrupts).
 * Returns false for an offset that is none of them.
 */
struct axvm_vgic_bank {
	struct axvm_vgic_dist *d;
	struct axvm_vcpu *vcpu;	/* whose private interrupts, or NULL */
	u32 first, count;
};

static struct axvm_vgic_irq *axvm_vgic_bank_irq(struct axvm_vgic_bank *b,
						u32 intid)
{
	if (intid < b->first || intid - b->first >= b->count)
		return NULL;
	if (b->vcpu)
		return &((struct axvm_arm64_vcpu *)b->vcpu->arch)->vgic.priv[intid];
	return &b->d->spi[intid - AXVM_VGIC_PRIVATE];
}

/* A change that may make interrupt @intid deliverable. */
static void axvm_vgic_bank_changed(struct axvm_vgic_bank *b, u32 intid,
				   struct axvm_vgic_kick *k)
{
	if (b->vcpu)
		__set_bit(b->vcpu->id, k->ids);
	else
		axvm_vgic_spi_changed(b->d, intid - AXVM_VGIC_PRIVATE, k);
}

static bool axvm_vgic_bank_access(struct axvm_vgic_bank *b, u32 off,
				  unsigned int len, bool write, u64 *val,
				  struct axvm_vgic_kick *k)
{
	struct axvm_vgic_irq *irq;
	u32 reg, intid, i;
	u64 v = 0;

	if (off >= GICD_IPRIORITYR && off < GICD_IPRIORITYR + 1024) {
		/* Byte-accessible: one priority a byte. */
		for (i = 0; i < len; i++) {
			irq = axvm_vgic_bank_irq(b, off - GICD_IPRIORITYR + i);
			if (!irq)
				continue;
			if (write)
				irq->priority = *val >> (8 * i);
			else
				v |= (u64)irq->priority << (8 * i);
		}
		goto out;
	}
	if (len != 4)
		goto out;	/* the rest are word registers */

	if (off >= GICD_ICFGR && off < GICD_ICFGR + 256) {
		intid = (off - GICD_ICFGR) * 4;
		for (i = 0; i < 16; i++) {
			irq = axvm_vgic_bank_irq(b, intid + i);
			if (!irq)
				continue;
			/* SGIs are edge, always. */
			if (write && intid + i >= 16)
				irq->edge = *val & BIT(2 * i + 1);
			if (irq->edge || intid + i < 16)
				v |= BIT(2 * i + 1);
		}
		goto out;
	}

	if (off < GICD_IGROUPR || off >= GICD_ICACTIVER + 128)
		return false;
	reg = off & ~0x7fU;
	intid = (off & 0x7f) * 8;
	for (i = 0; i < 32; i++) {
		bool bit = *val & BIT(i);

		irq = axvm_vgic_bank_irq(b, intid + i);
		if (!irq)
			continue;
		switch (reg) {
		case GICD_IGROUPR:
			/* Group 1 (v2: group 0), read-only. */
			if (!b->d->v2)
				v |= BIT(i);
			break;
		case GICD_ISENABLER:
		case GICD_ICENABLER:
			if (write && bit) {
				irq->enabled = reg == GICD_ISENABLER;
				axvm_vgic_bank_changed(b, intid + i, k);
			}
			v |= (u64)irq->enabled << i;
			break;
		case GICD_ISPENDR:
		case GICD_ICPENDR:
			/* GICv2 SGIs: through S/CPENDSGIR, with a source. */
			if (write && bit && !(b->d->v2 && intid + i < 16)) {
				irq->latch = reg == GICD_ISPENDR;
				axvm_vgic_bank_changed(b, intid + i, k);
			}
			v |= (u64)(irq->latch ||
				   (!irq->edge && irq->level)) << i;
			break;
		}
	}
out:
	if (!write)
		*val = v;
	return true;
}

static void axvm_vgic_dist_access(struct axvm_vgic_dist *d, u32 off,
				  unsigned int len, bool write, u64 *val,
				  struct axvm_vgic_kick *k)
{
	struct axvm_vgic_bank b = {
		.d = d,
		.first = AXVM_VGIC_PRIVATE,
		.count = d->nr_spis,
	};
	u64 v = 0;

	if (off >= GICD_IROUTER + 8 * AXVM_VGIC_PRIVATE &&
	    off < GICD_IROUTER + 8 * (AXVM_VGIC_PRIVATE + d->nr_spis)) {
		u32 spi = (off - GICD_IROUTER) / 8 - AXVM_VGIC_PRIVATE;
		unsigned int shift = (off & 4) * 8;
		u64 mask = (len == 8 ? ~0ULL : U32_MAX) << shift;

		if (len < 4 || (len == 8 && shift))
			goto out;
		if (write) {
			d->route[spi] = (d->route[spi] & ~mask) |
					((*val << shift) & mask &
					 (AXVM_GIC_AFF_MASK | AXVM_IROUTER_IRM));
			axvm_vgic_spi_changed(d, spi, k);
		}
		v = (d->route[spi] & mask) >> shift;
		goto out;
	}
	if (axvm_vgic_bank_access(&b, off, len, write, val, k))
		return;
	if (len != 4)
		goto out;
	switch (off) {
	case GICD_CTLR:
		if (write) {
			d->ctlr = *val & (GICD_CTLR_ENABLE_G1 |
					  GICD_CTLR_ENABLE_G1A);
			/* Whatever was waiting for the group may go now. */
			bitmap_fill(k->ids, AXVM_MAX_VCPU_ID);
		}
		v = d->ctlr | GICD_CTLR_ARE_NS | GICD_CTLR_DS;
		break;
	case GICD_TYPER:
		/* 10 INTID bits; ITLinesNumber covers the SPIs. */
		v = (9U << 19) | DIV_ROUND_UP(d->nr_spis, 32);
		break;
	case GICD_IIDR:
		v = AXVM_GIC_IIDR;
		break;
	case GICD_PIDR2:
		v = AXVM_GIC_PIDR2;
		break;
	}
out:
	if (!write)
		*val = v;
}

/* GICD_SGIR written by @vcpu (IHI 0048B, 4.3.15). */
static void axvm_vgic_v2_sgir(struct axvm_vgic_dist *d, struct axvm_vcpu *vcpu,
			      u32 val, struct axvm_vgic_kick *k)
{
	u32 intid = FIELD_GET(AXVM_SGIR_INTID, val);
	u32 targets, i;

	switch (FIELD_GET(AXVM_SGIR_FILTER, val)) {
	case 0:
		targets = FIELD_GET(AXVM_SGIR_TARGETS, val);
		break;
	case 1:
		targets = 0xff & ~BIT(vcpu->id);	/* all but self */
		break;
	case 2:
		targets = BIT(vcpu->id);		/* self only */
		break;
	default:
		return;					/* reserved */
	}
	for (i = 0; i < d->nr_frames; i++) {
		struct axvm_arm64_vcpu *t;

		if (!(targets & BIT(i)) || !d->frame[i])
			continue;
		t = d->frame[i]->arch;
		t->vgic.sgi_src[intid] |= BIT(vcpu->id);
		t->vgic.priv[intid].latch = true;
		__set_bit(i, k->ids);
	}
}

/*
 * The sources of SGI @intid that @a's list registers hold pending (not
 * yet acknowledged): pending still, as the distributor reports them.
 * Those in @clear are withdrawn (CPENDSGIR).
 */
static u8 axvm_vgic_v2_sgi_listed(struct axvm_arm64_vcpu *a, u32 intid,
				  u8 clear)
{
	u8 sources = 0, src;
	unsigned int i;

	for (i = 0; i < AXVM_ARM64_MAX_LRS; i++) {
		u64 lr = a->vgic.lr[i];

		if ((lr & ICH_LR_STATE) != ICH_LR_PENDING_BIT ||
		    (lr & ICH_LR_VIRTUAL_ID_MASK) != intid)
			continue;
		src = BIT(FIELD_GET(AXVM_LR_V2_SOURCE, lr));
		if (src & clear)
			a->vgic.lr[i] = 0;
		else
			sources |= src;
	}
	return sources;
}

/*
 * GICD_CPENDSGIR / GICD_SPENDSGIR: a byte per SGI of the accessing CPU,
 * a bit per source CPU.
 */
static u64 axvm_vgic_v2_sgi_pend(struct axvm_vgic_dist *d,
				 struct axvm_vcpu *vcpu, u32 off,
				 unsigned int len, bool write, u64 val, bool set,
				 struct axvm_vgic_kick *k)
{
	struct axvm_arm64_vcpu *a = vcpu->arch;
	u32 first = off & 0xf, i;
	u64 v = 0;

	for (i = 0; i < len && first + i < 16; i++) {
		u8 *src = &a->vgic.sgi_src[first + i];
		u8 bits = (val >> (8 * i)) & GENMASK(d->nr_frames - 1, 0);
		u8 listed = axvm_vgic_v2_sgi_listed(a, first + i,
						    write && !set ? bits : 0);

		if (write) {
			*src = set ? *src | bits : *src & ~bits;
			a->vgic.priv[first + i].latch = *src;
			__set_bit(vcpu->id, k->ids);
			listed &= set ? 0xff : ~bits;
		}
		v |= (u64)(*src | listed) << (8 * i);
	}
	return v;
}

/*
 * The GICv2 distributor, as @vcpu sees it: its own SGIs and PPIs banked
 * in the first registers of each bank, the SPIs after them.
 */
static void axvm_vgic_v2_dist_access(struct axvm_vgic_dist *d,
				     struct axvm_vcpu *vcpu, u32 off,
				     unsigned int len, bool write, u64 *val,
				     struct axvm_vgic_kick *k)
{
	struct axvm_vgic_bank priv = {
		.d = d, .vcpu = vcpu, .first = 0, .count = AXVM_VGIC_PRIVATE,
	};
	struct axvm_vgic_bank spis = {
		.d = d, .first = AXVM_VGIC_PRIVATE, .count = d->nr_spis,
	};
	u64 v = 0, in = *val;
	u32 i;

	if (off >= AXVM_GICD_ITARGETSR &&
	    off < AXVM_GICD_ITARGETSR + AXVM_VGIC_PRIVATE + d->nr_spis) {
		/* A byte per INTID; the private ones name the reader. */
		for (i = 0; i < len; i++) {
			u32 intid = off - AXVM_GICD_ITARGETSR + i;
			u32 spi = intid - AXVM_VGIC_PRIVATE;

			if (intid < AXVM_VGIC_PRIVATE) {
				v |= (u64)BIT(vcpu->id) << (8 * i);
				continue;
			}
			if (spi >= d->nr_spis)
				break;
			if (write) {
				d->route[spi] = (in >> (8 * i)) &
						GENMASK(d->nr_frames - 1, 0);
				axvm_vgic_spi_changed(d, spi, k);
			}
			v |= (d->route[spi] & 0xff) << (8 * i);
		}
		goto out;
	}
	if (off >= AXVM_GICD_CPENDSGIR && off < AXVM_GICD_SPENDSGIR + 16) {
		v = axvm_vgic_v2_sgi_pend(d, vcpu, off, len, write, in,
					  off >= AXVM_GICD_SPENDSGIR, k);
		goto out;
	}
	if (axvm_vgic_bank_access(&priv, off, len, write, val, k)) {
		/* The same register's SPIs, and both halves of a read. */
		v = *val;
		*val = in;
		axvm_vgic_bank_access(&spis, off, len, write, val, k);
		if (!write)
			*val |= v;
		return;
	}
	if (len != 4)
		goto out;
	switch (off) {
	case GICD_CTLR:
		if (write) {
			d->ctlr = in & AXVM_GICD_V2_ENABLE;
			bitmap_fill(k->ids, AXVM_MAX_VCPU_ID);
		}
		v = d->ctlr;
		break;
	case GICD_TYPER:
		/*
		 * ITLinesNumber; CPUNumber, "the number of implemented CPU
		 * interfaces" less one (4.3.2): those up to the highest
		 * vCPU id created, as KVM counts its vCPUs. No Security
		 * Extensions.
		 */
		for (i = d->nr_frames - 1; i && !d->frame[i]; i--)
			;
		v = DIV_ROUND_UP(d->nr_spis, 32) | i << 5;
		break;
	case GICD_IIDR:
		v = AXVM_GIC_IIDR;
		break;
	case AXVM_GICD_SGIR:
		if (write)
			axvm_vgic_v2_sgir(d, vcpu, in, k);
		break;			/* write-only: reads 0 */
	case AXVM_GICD_V2_PIDR2:
		v = AXVM_GICV2_PIDR2;
		break;
	}
out:
	if (!write)
		*val = v;
}

static void axvm_vgic_rdist_access(struct axvm_vgic_dist *d, u32 frame,
				   u32 off, unsigned int len, bool write,
				   u64 *val, struct axvm_vgic_kick *k)
{
	struct axvm_vcpu *vcpu = frame < d->nr_frames ? d->frame[frame] : NULL;
	struct axvm_arm64_vcpu *a;
	u64 v = 0;

	if (!vcpu)
		goto out;
	a = vcpu->arch;
	if (off >= SZ_64K) {
		struct axvm_vgic_bank b = {
			.d = d,
			.vcpu = vcpu,
			.first = 0,
			.count = AXVM_VGIC_PRIVATE,
		};

		if (axvm_vgic_bank_access(&b, off - SZ_64K, len, write, val,
					  k))
			return;
		goto out;
	}
	if (off == GICR_TYPER || off == GICR_TYPER + 4) {
		bool last = frame + 1 >= d->nr_frames || !d->frame[frame + 1];
		u64 aff = vcpu->arch_id;

		/* Aff3.Aff2.Aff1.Aff0 in bits 63:32, frame number 23:8. */
		v = (aff & 0xffffff) << 32 | (aff >> 32 & 0xff) << 56 |
		    (u64)frame << 8 | (last ? GICR_TYPER_LAST : 0);
		if (off & 4)
			v >>= 32;
		else if (len == 4)
			v &= U32_MAX;
		goto out;
	}
	if (len != 4)
		goto out;
	switch (off) {
	case GICR_IIDR:
		v = AXVM_GIC_IIDR;
		break;
	case GICR_WAKER:
		if (write)
			a->vgic.asleep = *val & GICR_WAKER_ProcessorSleep;
		v = a->vgic.asleep ? GICR_WAKER_ProcessorSleep |
				     GICR_WAKER_ChildrenAsleep : 0;
		break;
	case GICR_PIDR2:
		v = AXVM_GIC_PIDR2;
		break;
	}
out:
	if (!write)
		*val = v;
}

/*
 * A guest access at @ipa: true when it falls in the distributor or the
 * redistributors, and is then done (*@val read or written).
 */
bool axvm_vgic_mmio(struct axvm_vcpu *vcpu, u64 ipa, unsigned int len,
		    bool write, u64 *val)
{
	struct axvm_vgic_dist *d = axvm_vgic_dist(vcpu->vm);
	struct axvm_vgic_kick k;
	unsigned long flags;

	if (!d)
		return false;
	if (d->v2) {
		if (ipa - d->dist_base >= d->dist_size)
			return false;
	} else if (!(ipa - d->dist_base < SZ_64K) &&
		   !(ipa - d->rdist_base <
		     (u64)d->nr_frames * AXVM_GICR_FRAME)) {
		return false;
	}

	bitmap_zero(k.ids, AXVM_MAX_VCPU_ID);
	raw_spin_lock_irqsave(&d->lock, flags);
	/* Naturally aligned accesses only; others read 0, write nothing. */
	if (ipa & (len - 1)) {
		if (!write)
			*val = 0;
	} else if (d->v2) {
		axvm_vgic_v2_dist_access(d, vcpu, ipa - d->dist_base, len,
					 write, val, &k);
	} else if (ipa - d->dist_base < SZ_64K) {
		axvm_vgic_dist_access(d, ipa - d->dist_base, len, write, val,
				      &k);
	} else {
		u64 off = ipa - d->rdist_base;

		axvm_vgic_rdist_access(d, off / AXVM_GICR_FRAME,
				       off % AXVM_GICR_FRAME, len, write, val,
				       &k);
	}
	raw_spin_unlock_irqrestore(&d->lock, flags);
	axvm_vgic_kick(vcpu->vm, &k);
	return true;
}

static bool axvm_vgic_overlap(u64 a, u64 alen, u64 b, u64 blen)
{
	return a < b + blen && b < a + alen;
}

int axvm_arch_irqchip_create(struct axvm_vm *vm,
			     const struct axvm_irqchip *cfg)
{
	struct axvm_arm64_vm *avm = vm->arch;
	u64 limit = BIT_ULL(axvm_info.guest_phys_bits);
	bool v2 = cfg->type == AXVM_IRQCHIP_GICV2;
	struct axvm_vgic_dist *d;
	u32 i;

	if (v2) {
		/*
		 * GICD: 4 KiB (IHI 0048B, 4.1.2) or a 64 KiB window for it;
		 * GICC: the 8 KiB of the host's GICV frame, page-aligned.
		 */
		if ((cfg->size[0] != SZ_4K && cfg->size[0] != SZ_64K) ||
		    !IS_ALIGNED(cfg->base[0], cfg->size[0]) ||
		    cfg->base[0] > limit - cfg->size[0])
			return -EINVAL;
		if (cfg->size[1] != AXVM_GICV2_CPU_SIZE ||
		    !PAGE_ALIGNED(cfg->base[1]) ||
		    cfg->base[1] > limit - cfg->size[1])
			return -EINVAL;
	} else if (cfg->size[0] != SZ_64K ||
		   !IS_ALIGNED(cfg->base[0], SZ_64K) ||
		   cfg->base[0] > limit - SZ_64K) {
		return -EINVAL;
	} else if (!cfg->size[1] ||
		   !IS_ALIGNED(cfg->size[1], AXVM_GICR_FRAME) ||
		   cfg->size[1] > (u64)AXVM_MAX_VCPU_ID * AXVM_GICR_FRAME ||
		   !IS_ALIGNED(cfg->base[1], SZ_64K) ||
		   cfg->base[1] > limit - cfg->size[1]) {
		return -EINVAL;
	}
	if (axvm_vgic_overlap(cfg->base[0], cfg->size[0], cfg->base[1],
			      cfg->size[1]))
		return -EINVAL;
	/* SPIs end below the special INTIDs at 1020. */
	if (cfg->nr_irqs > 1020 - AXVM_VGIC_PRIVATE)
		return -EINVAL;

	d = kzalloc(sizeof(*d), GFP_KERNEL_ACCOUNT);
	if (!d)
		return -ENOMEM;
	raw_spin_lock_init(&d->lock);
	d->v2 = v2;
	d->dist_base = cfg->base[0];
	d->dist_size = cfg->size[0];
	d->rdist_base = cfg->base[1];
	d->nr_frames = v2 ? AXVM_GICV2_MAX_CPUS :
			    cfg->size[1] / AXVM_GICR_FRAME;
	d->nr_spis = cfg->nr_irqs;
	d->spi = kcalloc(d->nr_spis, sizeof(*d->spi), GFP_KERNEL_ACCOUNT);
	d->route = kcalloc(d->nr_spis, sizeof(*d->route), GFP_KERNEL_ACCOUNT);
	d->frame = kcalloc(d->nr_frames, sizeof(*d->frame),
			   GFP_KERNEL_ACCOUNT);
	if (!d->spi || !d->route || !d->frame) {
		axvm_vgic_dist_free(d);
		return -ENOMEM;
	}
	for (i = 0; i < d->nr_spis; i++)
		d->spi[i].priority = AXVM_VGIC_RESET_PRIORITY;
	/* Pairs with the acquire in axvm_vgic_dist(). */
	smp_store_release(&avm->dist, d);
	return 0;
}

void axvm_vgic_dist_free(struct axvm_vgic_dist *d)
{
	if (!d)
		return;
	kfree(d->frame);
	kfree(d->route);
	kfree(d->spi);
	kfree(d);
}

/* A new vCPU takes the redistributor frame of its id. */
int axvm_vgic_dist_add_vcpu(struct axvm_vcpu *vcpu)
{
	struct axvm_vgic_dist *d = axvm_vgic_dist(vcpu->vm);
	struct axvm_arm64_vcpu *a = vcpu->arch;
	unsigned long flags;
	unsigned int i;
	int ret = 0;

	for (i = 0; i < AXVM_VGIC_PRIVATE; i++) {
		a->vgic.priv[i].priority = AXVM_VGIC_RESET_PRIORITY;
		a->vgic.priv[i].edge = i < 16;
	}
	a->vgic.asleep = true;
	if (!d)
		return 0;
	if (vcpu->id >= d->nr_frames)
		return -EINVAL;
	raw_spin_lock_irqsave(&d->lock, flags);
	if (d->frame[vcpu->id])
		ret = -EEXIST;
	else
		d->frame[vcpu->id] = vcpu;
	raw_spin_unlock_irqrestore(&d->lock, flags);
	if (!ret)
		a->vgic.in_dist = true;
	return ret;
}

void axvm_vgic_dist_remove_vcpu(struct axvm_vcpu *vcpu)
{
	struct axvm_vgic_dist *d = axvm_vgic_dist(vcpu->vm);
	struct axvm_arm64_vcpu *a = vcpu->arch;
	unsigned long flags;

	if (!a->vgic.in_dist)
		return;
	raw_spin_lock_irqsave(&d->lock, flags);
	d->frame[vcpu->id] = NULL;
	raw_spin_unlock_irqrestore(&d->lock, flags);
}

bool axvm_vgic_has_dist(struct axvm_vcpu *vcpu)
{
	return ((struct axvm_arm64_vcpu *)vcpu->arch)->vgic.in_dist;
}

/*
 * GICv2: a stage-2 fault at @ipa in the guest's GICC is the first access
 * to that page: map the host's GICV page there (device memory), as KVM
 * maps the whole frame at the VGIC's creation. True when @ipa was there.
 */
bool axvm_vgic_cpuif_map(struct axvm_vcpu *vcpu, u64 ipa)
{
	struct axvm_vgic_dist *d = axvm_vgic_dist(vcpu->vm);
	u64 off;

	if (!d || !d->v2 || ipa - d->rdist_base >= AXVM_GICV2_CPU_SIZE)
		return false;
	off = (ipa - d->rdist_base) & PAGE_MASK;
	return !axvm_mem_map_device(vcpu->vm, d->rdist_base + off,
				    axvm_vgic_v2_gicv() + off);
}
