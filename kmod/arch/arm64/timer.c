// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's EL1 virtual timer. While the guest runs, its CNTV registers
 * are live in the CPU but the timer's PPI is not routed to the host, so
 * an hrtimer on the host stands in for the deadline: it ends the run (its
 * interrupt exits the guest) or wakes the vCPU from a WFI. The timer's
 * line is then raised in the list registers on the next entry.
 */
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/math64.h>
#include <linux/of.h>
#include <linux/of_irq.h>
#include <asm/sysreg.h>

#include "arm64.h"

#define AXVM_CNTV_ENABLE	BIT(0)
#define AXVM_CNTV_IMASK		BIT(1)
/* Farther deadlines: the hrtimer fires after a day and is armed again. */
#define AXVM_TIMER_MAX_SECS	86400
/*
 * A deadline already passed is in the list registers at this entry; the
 * hrtimer then only has to catch a new deadline the guest may set
 * without an exit (CNTV_* writes do not trap). At 0 it fired at once on
 * every entry until the guest took the interrupt: a storm of exits
 * (90,000 in a Linux boot) while the guest could not take it yet.
 */
#define AXVM_TIMER_RECHECK_NS	(100 * NSEC_PER_USEC)

/*
 * The host's virq of the EL1 virtual timer's PPI. With KVM built in, KVM
 * holds it, enabled on every CPU, with a handler that does nothing when
 * none of its vCPUs is loaded: a guest's expired timer would end each
 * axvm run at once, for that handler to drop (a storm of exits). For a
 * run axvm makes the PPI active, as KVM does for its own guests
 * (kvm_timer_vcpu_load_gic): an active interrupt is not signalled again
 * until it is deactivated. Without KVM the PPI is disabled and nothing
 * is needed. 0: not found (no device tree).
 */
static unsigned int axvm_vtimer_virq;

void axvm_arm64_timer_probe(void)
{
	struct device_node *np;

	np = of_find_compatible_node(NULL, NULL, "arm,armv8-timer");
	if (!np)
		return;
	/* Secure, non-secure physical, virtual, hypervisor: index 2. */
	axvm_vtimer_virq = irq_of_parse_and_map(np, 2);
	of_node_put(np);
}

/*
 * Interrupts off, before any guest state is loaded: the irq core runs
 * only under the host's EL2 state. Whether the PPI was made active.
 */
bool axvm_arm64_vtimer_ppi_hold(void)
{
	bool active;

	if (!axvm_vtimer_virq || !irq_percpu_is_enabled(axvm_vtimer_virq))
		return false;
	if (irq_get_irqchip_state(axvm_vtimer_virq, IRQCHIP_STATE_ACTIVE,
				  &active) || active)
		return false;
	return !irq_set_irqchip_state(axvm_vtimer_virq, IRQCHIP_STATE_ACTIVE,
				      true);
}

/*
 * After the guest's timer is off (CNTV_CTL_EL02 cleared at exit) and the
 * host's HCR_EL2 is back: called with the guest's HCR_EL2 still loaded,
 * this hung the CPU.
 */
void axvm_arm64_vtimer_ppi_release(bool held)
{
	if (held)
		irq_set_irqchip_state(axvm_vtimer_virq, IRQCHIP_STATE_ACTIVE,
				      false);
}

static enum hrtimer_restart axvm_arm64_timer_fire(struct hrtimer *t)
{
	struct axvm_arm64_vcpu *a = container_of(t, struct axvm_arm64_vcpu,
						 timer);

	axvm_vcpu_wake(a->vcpu);
	return HRTIMER_NORESTART;
}

void axvm_arm64_timer_init(struct axvm_arm64_vcpu *a)
{
	hrtimer_init(&a->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	a->timer.function = axvm_arm64_timer_fire;
}

void axvm_arm64_timer_destroy(struct axvm_arm64_vcpu *a)
{
	hrtimer_cancel(&a->timer);
}

/* Enabled and unmasked: its condition can raise the line. */
bool axvm_arm64_timer_armed(struct axvm_arm64_vcpu *a)
{
	u64 ctl = a->sysregs[AXVM_ARM64_CNTV_CTL];

	return (ctl & (AXVM_CNTV_ENABLE | AXVM_CNTV_IMASK)) ==
	       AXVM_CNTV_ENABLE;
}

/* The guest's virtual counter is the physical one (CNTVOFF_EL2 is 0). */
bool axvm_arm64_timer_line(struct axvm_arm64_vcpu *a)
{
	return axvm_arm64_timer_armed(a) &&
	       read_sysreg(cntpct_el0) >= a->sysregs[AXVM_ARM64_CNTV_CVAL];
}

void axvm_arm64_timer_start(struct axvm_arm64_vcpu *a)
{
	u64 now = read_sysreg(cntpct_el0);
	u64 cval = a->sysregs[AXVM_ARM64_CNTV_CVAL];
	u32 freq = read_sysreg(cntfrq_el0);
	u64 ns;

	if (cval <= now)
		ns = AXVM_TIMER_RECHECK_NS;
	else
		ns = mul_u64_u32_div(min_t(u64, cval - now,
					   (u64)freq * AXVM_TIMER_MAX_SECS),
				     NSEC_PER_SEC, freq);
	hrtimer_start(&a->timer, ns_to_ktime(ns), HRTIMER_MODE_REL_HARD);
}

void axvm_arm64_timer_stop(struct axvm_arm64_vcpu *a)
{
	hrtimer_cancel(&a->timer);
}
