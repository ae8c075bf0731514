// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's supervisor timer through SBI set_timer: a deadline on the
 * time CSR (the guest's time is the host's, htimedelta is 0), raised as
 * VSTIP on entry once passed. An hrtimer on the host stands in for the
 * deadline: its interrupt ends the run or it wakes the vCPU from WFI.
 */
#include <linux/math64.h>
#include <asm/delay.h>
#include <asm/timex.h>

#include "riscv.h"

/* Farther deadlines: the hrtimer fires after a day and waits on. */
#define AXVM_TIMER_MAX_SECS	86400

/* Nanoseconds until @ticks of the time CSR have passed, rounded up. */
static u64 axvm_riscv_timer_ns(u64 ticks)
{
	ticks = min_t(u64, ticks, (u64)riscv_timebase * AXVM_TIMER_MAX_SECS);
	return mul_u64_u32_div(ticks, NSEC_PER_SEC, riscv_timebase) + 1;
}

static enum hrtimer_restart axvm_riscv_timer_fire(struct hrtimer *t)
{
	struct axvm_riscv_vcpu *r = container_of(t, struct axvm_riscv_vcpu,
						 timer);
	u64 deadline = READ_ONCE(r->timer_deadline), now = get_cycles64();

	/*
	 * CLOCK_MONOTONIC is not the time CSR: NTP slews it ahead by up to
	 * 10% (adjtimex tick), and a far deadline was cut to a day. A vCPU
	 * asleep in WFI wakes only for a deadline passed, so wait on for
	 * the rest, as KVM's kvm_riscv_vcpu_hrtimer_expired() does.
	 */
	if (deadline != U64_MAX && now < deadline) {
		u64 ns = axvm_riscv_timer_ns(deadline - now);

		hrtimer_forward_now(t, ns_to_ktime(ns));
		return HRTIMER_RESTART;
	}
	axvm_vcpu_wake(r->vcpu);
	return HRTIMER_NORESTART;
}

void axvm_riscv_timer_init(struct axvm_riscv_vcpu *r)
{
	r->timer_deadline = U64_MAX;
	hrtimer_init(&r->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	r->timer.function = axvm_riscv_timer_fire;
}

void axvm_riscv_timer_destroy(struct axvm_riscv_vcpu *r)
{
	hrtimer_cancel(&r->timer);
}

/* SBI set_timer: a new deadline, which also clears the pending one. */
void axvm_riscv_timer_set(struct axvm_riscv_vcpu *r, u64 deadline)
{
	WRITE_ONCE(r->timer_deadline, deadline);
}

bool axvm_riscv_timer_armed(struct axvm_riscv_vcpu *r)
{
	return r->timer_deadline != U64_MAX;
}

bool axvm_riscv_timer_expired(struct axvm_riscv_vcpu *r)
{
	return axvm_riscv_timer_armed(r) &&
	       get_cycles64() >= r->timer_deadline;
}

void axvm_riscv_timer_start(struct axvm_riscv_vcpu *r)
{
	u64 now = get_cycles64(), ns = 0;

	if (r->timer_deadline > now)
		ns = axvm_riscv_timer_ns(r->timer_deadline - now);
	hrtimer_start(&r->timer, ns_to_ktime(ns), HRTIMER_MODE_REL_HARD);
}

void axvm_riscv_timer_stop(struct axvm_riscv_vcpu *r)
{
	hrtimer_cancel(&r->timer);
}
