// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's EL1 virtual timer. While the guest runs, its CNTV registers
 * are live in the CPU but the timer's PPI is not routed to the host, so
 * an hrtimer on the host stands in for the deadline: it ends the run (its
 * interrupt exits the guest) or wakes the vCPU from a WFI. The timer's
 * line is then raised in the list registers on the next entry.
 */
#include <linux/math64.h>
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
