// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's GICv3 CPU interface, through the hypervisor control
 * registers: raised interrupt lines become list-register entries when
 * the guest enters, and the guest acknowledges and EOIs them through its
 * own ICC_* registers (the hardware's virtual interface). Lines are
 * level: a line still raised after the guest's EOI is signalled again
 * on the next entry; a lowered line withdraws an entry the guest has not
 * acknowledged yet.
 */
#define pr_fmt(fmt) "axvm: " fmt

#include <linux/bitmap.h>
#include <linux/irqchip/arm-gic-v3.h>
#include <asm/sysreg.h>

#include "arm64.h"

#define AXVM_VGIC_PRIORITY	0xa0ULL
#define AXVM_LR_STATE_PENDING	(1ULL << 62)
#define AXVM_LR_STATE_ACTIVE	(2ULL << 62)

static unsigned int axvm_vgic_nr_lrs;
static unsigned int axvm_vgic_nr_aprs;

int axvm_arm64_vgic_probe(void)
{
	u64 vtr;

	/* Linux at EL2 with a GICv3 runs its CPU interface by sysregs. */
	if (!(read_sysreg_s(SYS_ICC_SRE_EL2) & ICC_SRE_EL2_SRE)) {
		pr_err("no GICv3 system-register CPU interface\n");
		return -EOPNOTSUPP;
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

#define AXVM_LR_CASE(n)							\
	case n:								\
		if (write)						\
			write_sysreg_s(*v, SYS_ICH_LR##n##_EL2);	\
		else							\
			*v = read_sysreg_s(SYS_ICH_LR##n##_EL2);	\
		break

static void axvm_vgic_lr(unsigned int n, u64 *v, bool write)
{
	switch (n) {
	AXVM_LR_CASE(0); AXVM_LR_CASE(1); AXVM_LR_CASE(2); AXVM_LR_CASE(3);
	AXVM_LR_CASE(4); AXVM_LR_CASE(5); AXVM_LR_CASE(6); AXVM_LR_CASE(7);
	AXVM_LR_CASE(8); AXVM_LR_CASE(9); AXVM_LR_CASE(10); AXVM_LR_CASE(11);
	AXVM_LR_CASE(12); AXVM_LR_CASE(13); AXVM_LR_CASE(14);
	AXVM_LR_CASE(15);
	}
}

#define AXVM_APR_CASE(n)						\
	case n:								\
		if (write) {						\
			write_sysreg_s(ap0[n], SYS_ICH_AP0R##n##_EL2);	\
			write_sysreg_s(ap1[n], SYS_ICH_AP1R##n##_EL2);	\
		} else {						\
			ap0[n] = read_sysreg_s(SYS_ICH_AP0R##n##_EL2);	\
			ap1[n] = read_sysreg_s(SYS_ICH_AP1R##n##_EL2);	\
		}							\
		break

static void axvm_vgic_aprs(u64 *ap0, u64 *ap1, bool write)
{
	unsigned int n;

	for (n = 0; n < axvm_vgic_nr_aprs; n++) {
		switch (n) {
		AXVM_APR_CASE(0); AXVM_APR_CASE(1); AXVM_APR_CASE(2);
		AXVM_APR_CASE(3);
		}
	}
}

void axvm_arm64_vgic_reset(struct axvm_arm64_vcpu *a)
{
	memset(&a->vgic, 0, sizeof(a->vgic));
	/* Priority mask 0: nothing signalled until the guest opens it. */
	a->vgic.vmcr = 0;
}

static bool axvm_vgic_line(struct axvm_vcpu *vcpu, u32 intid, bool timer)
{
	if (intid == AXVM_ARM64_VTIMER_PPI && timer)
		return true;
	return intid < axvm_info.nr_irqs && test_bit(intid, vcpu->irq_pending);
}

/*
 * Rebuild the list registers for an entry: keep what the guest has
 * active, drop pending entries whose line went low, add raised lines
 * that have no entry. Interrupts are disabled and guest mode is set.
 */
void axvm_arm64_vgic_load(struct axvm_vcpu *vcpu, bool timer_line)
{
	struct axvm_arm64_vcpu *a = vcpu->arch;
	u64 *lr = a->vgic.lr;
	unsigned int i, free = 0, n = axvm_vgic_nr_lrs;
	unsigned long irq;
	DECLARE_BITMAP(listed, AXVM_MAX_IRQS);

	bitmap_zero(listed, AXVM_MAX_IRQS);
	for (i = 0; i < n; i++) {
		u32 intid = lr[i] & ICH_LR_VIRTUAL_ID_MASK;

		if (!(lr[i] & ICH_LR_STATE))
			continue;
		if (!(lr[i] & AXVM_LR_STATE_ACTIVE) &&
		    !axvm_vgic_line(vcpu, intid, timer_line)) {
			lr[i] = 0;
			continue;
		}
		if (intid < AXVM_MAX_IRQS)
			__set_bit(intid, listed);
	}

	for_each_set_bit(irq, vcpu->irq_pending, axvm_info.nr_irqs) {
		if (test_bit(irq, listed))
			continue;
		while (free < n && lr[free] & ICH_LR_STATE)
			free++;
		if (free == n)
			break;
		lr[free] = irq | AXVM_LR_STATE_PENDING | ICH_LR_GROUP |
			   (AXVM_VGIC_PRIORITY << ICH_LR_PRIORITY_SHIFT);
		__set_bit(irq, listed);
	}
	if (timer_line && !test_bit(AXVM_ARM64_VTIMER_PPI, listed)) {
		while (free < n && lr[free] & ICH_LR_STATE)
			free++;
		if (free < n)
			lr[free] = AXVM_ARM64_VTIMER_PPI |
				   AXVM_LR_STATE_PENDING | ICH_LR_GROUP |
				   (AXVM_VGIC_PRIORITY << ICH_LR_PRIORITY_SHIFT);
	}

	for (i = 0; i < n; i++)
		axvm_vgic_lr(i, &lr[i], true);
	axvm_vgic_aprs(a->vgic.ap0r, a->vgic.ap1r, true);
	write_sysreg_s(a->vgic.vmcr, SYS_ICH_VMCR_EL2);
	write_sysreg_s(ICH_HCR_EN, SYS_ICH_HCR_EL2);
}

void axvm_arm64_vgic_save(struct axvm_arm64_vcpu *a)
{
	unsigned int i;

	a->vgic.vmcr = read_sysreg_s(SYS_ICH_VMCR_EL2);
	axvm_vgic_aprs(a->vgic.ap0r, a->vgic.ap1r, false);
	for (i = 0; i < axvm_vgic_nr_lrs; i++) {
		u64 zero = 0;

		axvm_vgic_lr(i, &a->vgic.lr[i], false);
		/* Leave nothing listed for the host or the next guest. */
		axvm_vgic_lr(i, &zero, true);
	}
	write_sysreg_s(0, SYS_ICH_HCR_EL2);
}

/* A raised line or a listed interrupt the guest has yet to take. */
bool axvm_arm64_vgic_pending(struct axvm_vcpu *vcpu)
{
	struct axvm_arm64_vcpu *a = vcpu->arch;
	unsigned int i;

	if (!bitmap_empty(vcpu->irq_pending, axvm_info.nr_irqs))
		return true;
	for (i = 0; i < axvm_vgic_nr_lrs; i++)
		if (a->vgic.lr[i] & AXVM_LR_STATE_PENDING)
			return true;
	return false;
}
