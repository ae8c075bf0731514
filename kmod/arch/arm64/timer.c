// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's EL1 timers. The virtual timer's CNTV registers are live in
 * the CPU while the guest runs, but its PPI is not routed to the host.
 * The physical timer is emulated by default (CNTHCTL_EL2.EL1PTEN clear):
 * the guest's CNTP_CTL/CVAL/TVAL accesses trap and are answered here
 * from the vCPU's copy. A vCPU created with AXVM_VCPU_PASSTHROUGH_TIMER
 * owns it instead, live in the CPU as the virtual one, as KVM's direct
 * ptimer on a VHE host (whose own timer is EL2's). For both, an hrtimer
 * on the host stands in for
 * the earliest deadline: it ends the run (its interrupt exits the guest)
 * or wakes the vCPU from a WFI. A timer's line is then raised in the
 * list registers on the next entry.
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
/* Farther deadlines: the hrtimer fires after a day and waits on. */
#define AXVM_TIMER_MAX_SECS	86400
/*
 * A deadline already passed whose line is listed without a request for
 * an EOI maintenance interrupt (none reaches EL2, or the entry does not
 * fit): the hrtimer then rechecks after this long, to catch a new
 * deadline the guest may set without an exit (CNTV_* writes do not
 * trap). At 0 it fired at once on every entry until the guest took the
 * interrupt: a storm of exits (90,000 in a Linux boot). With the EOI
 * request the guest's deactivation ends the run instead, and no
 * recheck is needed: the Debian guest's boot on the arm64-debian lane
 * made about 3,200 exits a second on this recheck alone.
 */
#define AXVM_TIMER_RECHECK_NS	(100 * NSEC_PER_USEC)

/*
 * The host's virqs of the EL1 timers' PPIs, by AXVM_ARM64_TIMER_LINE_*
 * bit: the virtual timer's, and the physical timer's for the vCPUs that
 * own it. With KVM built in, KVM holds them, enabled on every CPU, with
 * a handler that does nothing when none of its vCPUs is loaded: a
 * guest's expired timer would end each axvm run at once, for that
 * handler to drop (a storm of exits). For a run axvm makes the PPI
 * active, as KVM does for its own guests (kvm_timer_vcpu_load_gic): an
 * active interrupt is not signalled again until it is deactivated.
 * Without KVM the PPIs are disabled and nothing is needed. 0: not found
 * (no device tree).
 */
static unsigned int axvm_timer_virq_v, axvm_timer_virq_p;

void axvm_arm64_timer_probe(void)
{
	struct device_node *np;

	np = of_find_compatible_node(NULL, NULL, "arm,armv8-timer");
	if (!np)
		return;
	/* Secure, non-secure physical (1), virtual (2), hypervisor. */
	axvm_timer_virq_p = irq_of_parse_and_map(np, 1);
	axvm_timer_virq_v = irq_of_parse_and_map(np, 2);
	of_node_put(np);
}

/* Whether @virq, enabled for a handler on this CPU, was made active. */
static bool axvm_timer_ppi_hold_one(unsigned int virq)
{
	bool active;

	if (!virq || !irq_percpu_is_enabled(virq))
		return false;
	if (irq_get_irqchip_state(virq, IRQCHIP_STATE_ACTIVE, &active) ||
	    active)
		return false;
	return !irq_set_irqchip_state(virq, IRQCHIP_STATE_ACTIVE, true);
}

/*
 * Interrupts off, before any guest state is loaded: the irq core runs
 * only under the host's EL2 state. Which PPIs were made active, as
 * AXVM_ARM64_TIMER_LINE_* bits.
 */
u32 axvm_arm64_timer_ppi_hold(struct axvm_arm64_vcpu *a)
{
	u32 held = 0;

	if (axvm_timer_ppi_hold_one(axvm_timer_virq_v))
		held |= AXVM_ARM64_TIMER_LINE_V;
	if (a->ptimer_direct && axvm_timer_ppi_hold_one(axvm_timer_virq_p))
		held |= AXVM_ARM64_TIMER_LINE_P;
	return held;
}

/*
 * After the guest's timers are off (CNTx_CTL_EL02 cleared at exit) and
 * the host's HCR_EL2 is back: called with the guest's HCR_EL2 still
 * loaded, this hung the CPU.
 */
void axvm_arm64_timer_ppi_release(u32 held)
{
	if (held & AXVM_ARM64_TIMER_LINE_V)
		irq_set_irqchip_state(axvm_timer_virq_v, IRQCHIP_STATE_ACTIVE,
				      false);
	if (held & AXVM_ARM64_TIMER_LINE_P)
		irq_set_irqchip_state(axvm_timer_virq_p, IRQCHIP_STATE_ACTIVE,
				      false);
}

/* Nanoseconds until @ticks of the counter have passed, rounded up. */
static u64 axvm_arm64_timer_ns(u64 ticks)
{
	u32 freq = read_sysreg(cntfrq_el0);

	ticks = min_t(u64, ticks, (u64)freq * AXVM_TIMER_MAX_SECS);
	return mul_u64_u32_div(ticks, NSEC_PER_SEC, freq) + 1;
}

static enum hrtimer_restart axvm_arm64_timer_fire(struct hrtimer *t)
{
	struct axvm_arm64_vcpu *a = container_of(t, struct axvm_arm64_vcpu,
						 timer);
	u64 cval = READ_ONCE(a->timer_cval), now = read_sysreg(cntpct_el0);

	/*
	 * CLOCK_MONOTONIC is not the counter: NTP slews it ahead by up to
	 * 10% (adjtimex tick), and a far deadline was cut to a day. A vCPU
	 * asleep in WFI wakes only for a line raised, so wait on for the
	 * rest, as KVM's kvm_bg_timer_expire() does.
	 */
	if (now < cval) {
		u64 ns = axvm_arm64_timer_ns(cval - now);

		hrtimer_forward_now(t, ns_to_ktime(ns));
		return HRTIMER_RESTART;
	}
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

/* CNTx_CTL_EL0: ENABLE and IMASK are written, ISTATUS is read only. */
#define AXVM_CNT_CTL_BITS	(AXVM_CNTV_ENABLE | AXVM_CNTV_IMASK)
#define AXVM_CNT_ISTATUS	BIT(2)

/* Enabled and unmasked: its condition can raise the line. */
static bool axvm_timer_ctl_armed(u64 ctl)
{
	return (ctl & AXVM_CNT_CTL_BITS) == AXVM_CNTV_ENABLE;
}

bool axvm_arm64_timer_armed(struct axvm_arm64_vcpu *a)
{
	return axvm_timer_ctl_armed(a->sysregs[AXVM_ARM64_CNTV_CTL]) ||
	       axvm_timer_ctl_armed(a->sysregs[AXVM_ARM64_CNTP_CTL]);
}

/*
 * The lines of both timers (AXVM_ARM64_TIMER_LINE_*). The guest's
 * virtual and physical counters are the host's physical one: CNTVOFF_EL2
 * is 0 and there is no physical offset.
 */
u32 axvm_arm64_timer_lines(struct axvm_arm64_vcpu *a)
{
	u64 now = read_sysreg(cntpct_el0);
	u32 lines = 0;

	if (axvm_timer_ctl_armed(a->sysregs[AXVM_ARM64_CNTV_CTL]) &&
	    now >= a->sysregs[AXVM_ARM64_CNTV_CVAL])
		lines |= AXVM_ARM64_TIMER_LINE_V;
	if (axvm_timer_ctl_armed(a->sysregs[AXVM_ARM64_CNTP_CTL]) &&
	    now >= a->sysregs[AXVM_ARM64_CNTP_CVAL])
		lines |= AXVM_ARM64_TIMER_LINE_P;
	return lines;
}

/*
 * The earliest deadline of an armed timer not in @skip_lines (as
 * AXVM_ARM64_TIMER_LINE_*); U64_MAX when there is none.
 */
static u64 axvm_arm64_timer_deadline(struct axvm_arm64_vcpu *a,
				     u32 skip_lines)
{
	u64 cval = U64_MAX;

	if (!(skip_lines & AXVM_ARM64_TIMER_LINE_V) &&
	    axvm_timer_ctl_armed(a->sysregs[AXVM_ARM64_CNTV_CTL]))
		cval = a->sysregs[AXVM_ARM64_CNTV_CVAL];
	if (!(skip_lines & AXVM_ARM64_TIMER_LINE_P) &&
	    axvm_timer_ctl_armed(a->sysregs[AXVM_ARM64_CNTP_CTL]))
		cval = min(cval, a->sysregs[AXVM_ARM64_CNTP_CVAL]);
	return cval;
}

/*
 * Arm the hrtimer for the earliest deadline of the armed timers, but for
 * those in @skip_lines, whose state something else watches. Any context.
 */
void axvm_arm64_timer_start(struct axvm_arm64_vcpu *a, u32 skip_lines)
{
	u64 now = read_sysreg(cntpct_el0);
	u64 cval = axvm_arm64_timer_deadline(a, skip_lines);
	u64 ns;

	if (cval == U64_MAX)
		return;
	if (cval <= now)
		ns = AXVM_TIMER_RECHECK_NS;
	else
		ns = axvm_arm64_timer_ns(cval - now);
	WRITE_ONCE(a->timer_cval, cval);
	hrtimer_start(&a->timer, ns_to_ktime(ns), HRTIMER_MODE_REL_HARD);
}

/*
 * A trapped CNTP_TVAL_EL0 (op2 0), CNTP_CTL_EL0 (1) or CNTP_CVAL_EL0 (2)
 * access (op0 3, op1 3, CRn 14, CRm 2), by the Arm ARM's rules for the
 * generic timer (D12.8): ISTATUS is set while the timer is enabled and
 * the count has reached CVAL, whatever IMASK says; TVAL reads as the low
 * 32 bits of CVAL - count, and a write sets CVAL to the count plus the
 * sign-extended value. True when the access was one of these.
 */
bool axvm_arm64_ptimer_access(struct axvm_arm64_vcpu *a, u32 op0, u32 op1,
			      u32 crn, u32 crm, u32 op2, bool write, u64 *val)
{
	u64 *ctl = &a->sysregs[AXVM_ARM64_CNTP_CTL];
	u64 *cval = &a->sysregs[AXVM_ARM64_CNTP_CVAL];
	u64 now;

	if (op0 != 3 || op1 != 3 || crn != 14 || crm != 2 || op2 > 2)
		return false;
	now = read_sysreg(cntpct_el0);
	switch (op2) {
	case 0:
		if (write)
			*cval = now + sign_extend64(*val, 31);
		else
			*val = lower_32_bits(*cval - now);
		break;
	case 1:
		if (write) {
			*ctl = *val & AXVM_CNT_CTL_BITS;
		} else {
			*val = *ctl;
			if ((*ctl & AXVM_CNTV_ENABLE) && now >= *cval)
				*val |= AXVM_CNT_ISTATUS;
		}
		break;
	case 2:
		if (write)
			*cval = *val;
		else
			*val = *cval;
		break;
	}
	return true;
}

void axvm_arm64_timer_stop(struct axvm_arm64_vcpu *a)
{
	hrtimer_cancel(&a->timer);
}
