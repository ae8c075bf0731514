// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's GICv3 CPU interface, through the hypervisor control
 * registers: raised interrupt lines become list-register entries when
 * the guest enters, and the guest acknowledges and EOIs them through its
 * own ICC_* registers (the hardware's virtual interface). Lines are
 * level: a line still raised after the guest's EOI is signalled again
 * on the next entry; a lowered line withdraws an entry the guest has not
 * acknowledged yet. SGIs (INTID 0-15) are edge, as the GIC has them: a
 * raise makes one pending, taken off the line when it is listed, and a
 * listed one stays until the guest takes it.
 */
#define pr_fmt(fmt) "axvm: " fmt

#include <linux/bitmap.h>
#include <linux/interrupt.h>
#include <linux/irqchip/arm-gic-v3.h>
#include <linux/of.h>
#include <linux/of_irq.h>
#include <linux/percpu.h>
#include <asm/sysreg.h>

#include "arm64.h"

#define AXVM_VGIC_PRIORITY	0xa0ULL
#define AXVM_LR_STATE_PENDING	BIT_ULL(62)
#define AXVM_LR_STATE_ACTIVE	(2ULL << 62)
#define AXVM_VGIC_NR_SGIS	16

static unsigned int axvm_vgic_nr_lrs;
static unsigned int axvm_vgic_nr_aprs;
/* The host's GIC is a GICv2: its GICH frame instead of ICH_* (vgic_v2.c). */
bool axvm_vgic_v2;
/* The host's virq of the GIC maintenance interrupt (a PPI); 0: none. */
static unsigned int axvm_vgic_maint_irq;
static DEFINE_PER_CPU(u8, axvm_vgic_maint_dev);
/*
 * Whether the underflow interrupt reaches EL2: ours, or KVM's. KVM (6.1,
 * built in) holds the PPI with an empty handler, enabled on every CPU
 * (vgic-init.c): its interrupt still ends the guest's run, which is all
 * axvm needs from it.
 */
static bool axvm_vgic_uie;

int axvm_arm64_vgic_probe(void)
{
	u64 pfr0 = read_sanitised_ftr_reg(SYS_ID_AA64PFR0_EL1);
	int ret;
	u64 vtr;

	/*
	 * Without the GIC system registers (ID_AA64PFR0_EL1.GIC 0) their
	 * encodings are undefined: ICC_SRE_EL2 may not even be read. Linux
	 * at EL2 with a GICv3 runs its CPU interface by sysregs.
	 */
	if (!cpuid_feature_extract_unsigned_field(pfr0,
						  ID_AA64PFR0_EL1_GIC_SHIFT) ||
	    !(read_sysreg_s(SYS_ICC_SRE_EL2) & ICC_SRE_EL2_SRE)) {
		ret = axvm_vgic_v2_probe(&axvm_vgic_nr_lrs);
		if (ret)
			return ret;
		axvm_vgic_v2 = true;
		axvm_vgic_nr_lrs = min_t(unsigned int, axvm_vgic_nr_lrs,
					 AXVM_ARM64_MAX_LRS);
		axvm_vgic_nr_aprs = 1;
		return 0;
	}
	vtr = read_sysreg_s(SYS_ICH_VTR_EL2);
	axvm_vgic_nr_lrs = min_t(unsigned int, (vtr & 0xf) + 1,
				 AXVM_ARM64_MAX_LRS);
	/* 5, 6 or 7 preemption bits: 1, 2 or 4 active-priority registers. */
	axvm_vgic_nr_aprs = 1U << (max_t(u64, (vtr >> 26) & 7, 4) - 4);
	axvm_vgic_nr_aprs = min_t(unsigned int, axvm_vgic_nr_aprs,
				  AXVM_ARM64_MAX_APRS);
	return 0;
}

/*
 * The maintenance interrupt only has to end the guest's run: the exit
 * clears ICH_HCR_EL2, which lowers it, and the next entry refills the
 * list registers.
 */
static irqreturn_t axvm_vgic_maint(int irq, void *dev)
{
	return IRQ_HANDLED;
}

/*
 * The maintenance interrupt is the GICv3 node's first interrupt in the
 * device tree. Without it (an ACPI host, or the PPI taken) interrupts
 * beyond the list registers wait for the vCPU's next exit.
 */
void axvm_arm64_vgic_maint_setup(void)
{
	struct device_node *np;
	unsigned int irq;
	int ret;

	if (axvm_vgic_v2)
		np = of_node_get(axvm_vgic_v2_node());
	else
		np = of_find_compatible_node(NULL, NULL, "arm,gic-v3");
	if (!np) {
		pr_info("no GIC device-tree node: no maintenance interrupt\n");
		return;
	}
	irq = irq_of_parse_and_map(np, 0);
	of_node_put(np);
	if (!irq) {
		pr_info("the GIC node names no maintenance interrupt\n");
		return;
	}
	ret = request_percpu_irq(irq, axvm_vgic_maint, "axvm-vgic",
				 &axvm_vgic_maint_dev);
	if (ret == -EBUSY && irq_percpu_is_enabled(irq)) {
		pr_info("the GIC maintenance interrupt is KVM's: axvm's guests exit on it too\n");
		axvm_vgic_uie = true;
		return;
	}
	if (ret) {
		pr_warn("cannot take the GIC maintenance interrupt: %d\n", ret);
		return;
	}
	axvm_vgic_maint_irq = irq;
	axvm_vgic_uie = true;
}

void axvm_arm64_vgic_maint_release(void)
{
	if (axvm_vgic_maint_irq)
		free_percpu_irq(axvm_vgic_maint_irq, &axvm_vgic_maint_dev);
	axvm_vgic_maint_irq = 0;
	axvm_vgic_uie = false;
	if (axvm_vgic_v2)
		axvm_vgic_v2_release();
}

/* On each CPU as it is taken over and given back. */
void axvm_arm64_vgic_cpu_enable(void)
{
	if (axvm_vgic_v2)
		axvm_vgic_v2_cpu_reset();
	if (axvm_vgic_maint_irq)
		enable_percpu_irq(axvm_vgic_maint_irq, IRQ_TYPE_NONE);
}

void axvm_arm64_vgic_cpu_disable(void)
{
	if (axvm_vgic_maint_irq)
		disable_percpu_irq(axvm_vgic_maint_irq);
}

/* MRS and MSR name their register in the instruction: one case each. */
static u64 axvm_vgic_read_lr(unsigned int n)
{
	switch (n) {
	case 0:
		return read_sysreg_s(SYS_ICH_LR0_EL2);
	case 1:
		return read_sysreg_s(SYS_ICH_LR1_EL2);
	case 2:
		return read_sysreg_s(SYS_ICH_LR2_EL2);
	case 3:
		return read_sysreg_s(SYS_ICH_LR3_EL2);
	case 4:
		return read_sysreg_s(SYS_ICH_LR4_EL2);
	case 5:
		return read_sysreg_s(SYS_ICH_LR5_EL2);
	case 6:
		return read_sysreg_s(SYS_ICH_LR6_EL2);
	case 7:
		return read_sysreg_s(SYS_ICH_LR7_EL2);
	case 8:
		return read_sysreg_s(SYS_ICH_LR8_EL2);
	case 9:
		return read_sysreg_s(SYS_ICH_LR9_EL2);
	case 10:
		return read_sysreg_s(SYS_ICH_LR10_EL2);
	case 11:
		return read_sysreg_s(SYS_ICH_LR11_EL2);
	case 12:
		return read_sysreg_s(SYS_ICH_LR12_EL2);
	case 13:
		return read_sysreg_s(SYS_ICH_LR13_EL2);
	case 14:
		return read_sysreg_s(SYS_ICH_LR14_EL2);
	case 15:
		return read_sysreg_s(SYS_ICH_LR15_EL2);
	}
	return 0;
}

static void axvm_vgic_write_lr(unsigned int n, u64 v)
{
	switch (n) {
	case 0:
		write_sysreg_s(v, SYS_ICH_LR0_EL2);
		break;
	case 1:
		write_sysreg_s(v, SYS_ICH_LR1_EL2);
		break;
	case 2:
		write_sysreg_s(v, SYS_ICH_LR2_EL2);
		break;
	case 3:
		write_sysreg_s(v, SYS_ICH_LR3_EL2);
		break;
	case 4:
		write_sysreg_s(v, SYS_ICH_LR4_EL2);
		break;
	case 5:
		write_sysreg_s(v, SYS_ICH_LR5_EL2);
		break;
	case 6:
		write_sysreg_s(v, SYS_ICH_LR6_EL2);
		break;
	case 7:
		write_sysreg_s(v, SYS_ICH_LR7_EL2);
		break;
	case 8:
		write_sysreg_s(v, SYS_ICH_LR8_EL2);
		break;
	case 9:
		write_sysreg_s(v, SYS_ICH_LR9_EL2);
		break;
	case 10:
		write_sysreg_s(v, SYS_ICH_LR10_EL2);
		break;
	case 11:
		write_sysreg_s(v, SYS_ICH_LR11_EL2);
		break;
	case 12:
		write_sysreg_s(v, SYS_ICH_LR12_EL2);
		break;
	case 13:
		write_sysreg_s(v, SYS_ICH_LR13_EL2);
		break;
	case 14:
		write_sysreg_s(v, SYS_ICH_LR14_EL2);
		break;
	case 15:
		write_sysreg_s(v, SYS_ICH_LR15_EL2);
		break;
	}
}

static void axvm_vgic_save_aprs(u64 *ap0, u64 *ap1)
{
	switch (axvm_vgic_nr_aprs) {
	case 4:
		ap0[3] = read_sysreg_s(SYS_ICH_AP0R3_EL2);
		ap1[3] = read_sysreg_s(SYS_ICH_AP1R3_EL2);
		ap0[2] = read_sysreg_s(SYS_ICH_AP0R2_EL2);
		ap1[2] = read_sysreg_s(SYS_ICH_AP1R2_EL2);
		fallthrough;
	case 2:
		ap0[1] = read_sysreg_s(SYS_ICH_AP0R1_EL2);
		ap1[1] = read_sysreg_s(SYS_ICH_AP1R1_EL2);
		fallthrough;
	default:
		ap0[0] = read_sysreg_s(SYS_ICH_AP0R0_EL2);
		ap1[0] = read_sysreg_s(SYS_ICH_AP1R0_EL2);
	}
}

static void axvm_vgic_load_aprs(const u64 *ap0, const u64 *ap1)
{
	switch (axvm_vgic_nr_aprs) {
	case 4:
		write_sysreg_s(ap0[3], SYS_ICH_AP0R3_EL2);
		write_sysreg_s(ap1[3], SYS_ICH_AP1R3_EL2);
		write_sysreg_s(ap0[2], SYS_ICH_AP0R2_EL2);
		write_sysreg_s(ap1[2], SYS_ICH_AP1R2_EL2);
		fallthrough;
	case 2:
		write_sysreg_s(ap0[1], SYS_ICH_AP0R1_EL2);
		write_sysreg_s(ap1[1], SYS_ICH_AP1R1_EL2);
		fallthrough;
	default:
		write_sysreg_s(ap0[0], SYS_ICH_AP0R0_EL2);
		write_sysreg_s(ap1[0], SYS_ICH_AP1R0_EL2);
	}
}

void axvm_arm64_vgic_reset(struct axvm_arm64_vcpu *a)
{
	memset(&a->vgic, 0, sizeof(a->vgic));
	/* Priority mask 0: nothing signalled until the guest opens it. */
	a->vgic.vmcr = 0;
}

/* The timers' PPIs, by their AXVM_ARM64_TIMER_LINE_* bit. */
static const u32 axvm_vgic_timer_ppi[] = {
	AXVM_ARM64_VTIMER_PPI, AXVM_ARM64_PTIMER_PPI,
};

static bool axvm_vgic_line(struct axvm_vcpu *vcpu, u32 intid, u32 timers)
{
	unsigned int t;

	for (t = 0; t < ARRAY_SIZE(axvm_vgic_timer_ppi); t++)
		if (intid == axvm_vgic_timer_ppi[t] && (timers & BIT(t)))
			return true;
	return intid < axvm_info.nr_irqs && test_bit(intid, vcpu->irq_pending);
}

/*
 * What a new entry for a level line carries besides its state. With a
 * maintenance interrupt that reaches EL2 it asks for one when the guest
 * deactivates it (ICH_LR_EL2.EOI, HW 0), so that a line still high is
 * listed again at once, as the GIC signals a level interrupt that is
 * still asserted after its deactivation; KVM does the same for its
 * level interrupts. Without one, a line still high waits for the run's
 * next exit.
 */
u64 axvm_vgic_level_flags(void)
{
	return axvm_vgic_uie ? ICH_LR_EOI : 0;
}

/*
 * The timer lines of @timer_lines whose PPI is listed, pending or
 * active, with an EOI maintenance request: their deactivation ends the
 * run, so nothing else needs to watch them meanwhile.
 */
static u32 axvm_vgic_timers_watched(const u64 *lr, unsigned int n,
				    u32 timer_lines)
{
	unsigned int i, t;
	u32 watched = 0;

	for (i = 0; i < n; i++) {
		if (!(lr[i] & ICH_LR_STATE) || !(lr[i] & ICH_LR_EOI))
			continue;
		for (t = 0; t < ARRAY_SIZE(axvm_vgic_timer_ppi); t++)
			if ((lr[i] & ICH_LR_VIRTUAL_ID_MASK) ==
			    axvm_vgic_timer_ppi[t])
				watched |= BIT(t);
	}
	return watched & timer_lines;
}

/*
 * A raise of SGI @intid that is listed already: one that is pending
 * still is the same edge (the GIC holds one pending state per SGI); one
 * the guest has active becomes active and pending. False when its entry
 * is both already: the raise waits for the next entry.
 */
static bool axvm_vgic_sgi_relist(u64 *lr, unsigned int n, u32 intid)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if ((lr[i] & ICH_LR_VIRTUAL_ID_MASK) != intid ||
		    !(lr[i] & ICH_LR_STATE))
			continue;
		if ((lr[i] & ICH_LR_STATE) == ICH_LR_STATE)
			return false;
		lr[i] |= AXVM_LR_STATE_PENDING;
		return true;
	}
	return false;
}

/*
 * Rebuild the list registers for an entry: keep what the guest has
 * active, drop pending entries whose line went low, add raised lines
 * that have no entry. Interrupts are disabled and guest mode is set.
 * Returns the high timer lines nothing but an exit can make the guest
 * see again: listed for an EOI maintenance interrupt, or disabled.
 */
u32 axvm_arm64_vgic_load(struct axvm_vcpu *vcpu, u32 timer_lines)
{
	struct axvm_arm64_vcpu *a = vcpu->arch;
	u64 *lr = a->vgic.lr, hcr = ICH_HCR_EN;
	unsigned int i, t, free = 0, n = axvm_vgic_nr_lrs;
	bool overflow = false;
	unsigned long irq;
	u32 quiet = 0;
	DECLARE_BITMAP(listed, AXVM_MAX_IRQS);

	if (a->vgic.in_dist) {
		overflow = axvm_vgic_dist_load(vcpu, lr, n, timer_lines,
					       &quiet);
		goto load;
	}
	bitmap_zero(listed, AXVM_MAX_IRQS);
	for (i = 0; i < n; i++) {
		u32 intid = lr[i] & ICH_LR_VIRTUAL_ID_MASK;

		/* Deactivated: loaded as it is, its EOI bit would fire. */
		if (!(lr[i] & ICH_LR_STATE)) {
			lr[i] = 0;
			continue;
		}
		if (!(lr[i] & AXVM_LR_STATE_ACTIVE) &&
		    intid >= AXVM_VGIC_NR_SGIS &&
		    !axvm_vgic_line(vcpu, intid, timer_lines)) {
			lr[i] = 0;
			continue;
		}
		if (intid < AXVM_MAX_IRQS)
			__set_bit(intid, listed);
	}

	/* SGIs are taken off irq_pending: AXVM_INJECT_IRQ's lock. */
	spin_lock(&vcpu->irq_lock);
	for_each_set_bit(irq, vcpu->irq_pending, axvm_info.nr_irqs) {
		if (test_bit(irq, listed)) {
			if (irq < AXVM_VGIC_NR_SGIS &&
			    axvm_vgic_sgi_relist(lr, n, irq))
				__clear_bit(irq, vcpu->irq_pending);
			continue;
		}
		while (free < n && lr[free] & ICH_LR_STATE)
			free++;
		if (free == n) {
			overflow = true;
			break;
		}
		lr[free] = irq | AXVM_LR_STATE_PENDING | ICH_LR_GROUP |
			   axvm_vgic_level_flags() |
			   (AXVM_VGIC_PRIORITY << ICH_LR_PRIORITY_SHIFT);
		__set_bit(irq, listed);
		if (irq < AXVM_VGIC_NR_SGIS)
			__clear_bit(irq, vcpu->irq_pending);
	}
	spin_unlock(&vcpu->irq_lock);
	for (t = 0; t < ARRAY_SIZE(axvm_vgic_timer_ppi); t++) {
		u32 ppi = axvm_vgic_timer_ppi[t];

		if (!(timer_lines & BIT(t)) || test_bit(ppi, listed))
			continue;
		while (free < n && lr[free] & ICH_LR_STATE)
			free++;
		if (free < n)
			lr[free] = ppi | AXVM_LR_STATE_PENDING | ICH_LR_GROUP |
				   axvm_vgic_level_flags() |
				   (AXVM_VGIC_PRIORITY << ICH_LR_PRIORITY_SHIFT);
		else
			overflow = true;
	}

load:
	/*
	 * More pending than listed: every list register is in use now, so
	 * the underflow interrupt (at most one left) fires once the guest
	 * has taken some, and the exit it causes lists the rest. One list
	 * register would underflow at once: there the rest wait.
	 */
	if (overflow && axvm_vgic_uie && n > 1)
		hcr |= ICH_HCR_UIE;
	if (axvm_vgic_v2) {
		axvm_vgic_v2_load(&a->vgic, n, hcr);
		return quiet | axvm_vgic_timers_watched(lr, n, timer_lines);
	}
	for (i = 0; i < n; i++)
		axvm_vgic_write_lr(i, lr[i]);
	axvm_vgic_load_aprs(a->vgic.ap0r, a->vgic.ap1r);
	write_sysreg_s(a->vgic.vmcr, SYS_ICH_VMCR_EL2);
	write_sysreg_s(hcr, SYS_ICH_HCR_EL2);
	return quiet | axvm_vgic_timers_watched(lr, n, timer_lines);
}

void axvm_arm64_vgic_save(struct axvm_arm64_vcpu *a)
{
	unsigned int i;

	if (axvm_vgic_v2) {
		axvm_vgic_v2_save(&a->vgic, axvm_vgic_nr_lrs);
		return;
	}
	a->vgic.vmcr = read_sysreg_s(SYS_ICH_VMCR_EL2);
	axvm_vgic_save_aprs(a->vgic.ap0r, a->vgic.ap1r);
	for (i = 0; i < axvm_vgic_nr_lrs; i++) {
		a->vgic.lr[i] = axvm_vgic_read_lr(i);
		/* Leave nothing listed for the host or the next guest. */
		axvm_vgic_write_lr(i, 0);
	}
	write_sysreg_s(0, SYS_ICH_HCR_EL2);
}

/*
 * A raised line (a timer's in @timer_lines) or a listed interrupt the
 * guest has yet to take.
 */
bool axvm_arm64_vgic_pending(struct axvm_vcpu *vcpu, u32 timer_lines)
{
	struct axvm_arm64_vcpu *a = vcpu->arch;
	unsigned int i;

	for (i = 0; i < axvm_vgic_nr_lrs; i++)
		if (a->vgic.lr[i] & AXVM_LR_STATE_PENDING)
			return true;
	if (a->vgic.in_dist)
		return axvm_vgic_dist_pending(vcpu, timer_lines);
	return timer_lines ||
	       !bitmap_empty(vcpu->irq_pending, axvm_info.nr_irqs);
}
