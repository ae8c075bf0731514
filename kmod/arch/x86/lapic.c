// SPDX-License-Identifier: GPL-2.0
/*
 * The local APIC of a vCPU, in xAPIC mode: its MMIO page, the IRR/ISR/TMR
 * and the priorities that pick the vector to inject, EOI, IPIs through the
 * ICR (INIT and SIPI included), the LVT entries and the timer (one-shot,
 * periodic and TSC-deadline) on an hrtimer. Its lock is taken from any
 * context: the vCPU's thread, other vCPUs sending IPIs, the I/O APIC and
 * the timer's hard interrupt.
 */
#include <linux/math64.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <asm/apicdef.h>
#include <asm/msr-index.h>
#include <asm/processor-flags.h>
#include <asm/tsc.h>

#include "irqchip.h"

#define AXVM_LAPIC_VERSION	0x14			/* an xAPIC */
#define AXVM_LAPIC_NR_LVT	6	/* timer, thermal, PMC, LINT0/1, error */
#define AXVM_LVT_TIMER_MODE	(3 << 17)
/* The timer's input clock: 1 GHz, before the divider. */
#define AXVM_LAPIC_NS_PER_TICK	1
/* A periodic timer fires no faster than this, to spare the host. */
#define AXVM_LAPIC_MIN_PERIOD_NS	100000ULL

#define REG(a, off)	((a)->reg[(off) >> 4])
/* The x2APIC registers as MSRs (SDM 10.12.1.2). */
#define AXVM_X2APIC_MSR_FIRST	0x800
#define AXVM_X2APIC_MSR_LAST	0x8ff

static bool axvm_lapic_hw_enabled(const struct axvm_lapic *a)
{
	return a->base_msr & MSR_IA32_APICBASE_ENABLE;
}

static bool axvm_lapic_sw_enabled(const struct axvm_lapic *a)
{
	return REG(a, APIC_SPIV) & APIC_SPIV_APIC_ENABLED;
}

static int axvm_lapic_top(const unsigned long *bits)
{
	unsigned long v = find_last_bit(bits, 256);

	return v < 256 ? (int)v : -1;
}

static u32 axvm_lapic_ppr(const struct axvm_lapic *a)
{
	u32 tpr = REG(a, APIC_TASKPRI) & 0xff;
	int isrv = axvm_lapic_top(a->isr);

	if (isrv < 0 || (tpr & 0xf0) >= (isrv & 0xf0))
		return tpr;
	return isrv & 0xf0;
}

/* The IRR vector the priorities let through, or -1. */
static int axvm_lapic_deliverable(const struct axvm_lapic *a)
{
	int v;

	if (!axvm_lapic_hw_enabled(a))
		return -1;
	v = axvm_lapic_top(a->irr);
	if (v < 0 || (v & 0xf0) <= (axvm_lapic_ppr(a) & 0xf0))
		return -1;
	return v;
}

/* LINT0 set to ExtINT, or the APIC off: the 8259's INTR reaches the CPU. */
bool axvm_lapic_extint(struct axvm_lapic *a)
{
	u32 lvt0 = REG(a, APIC_LVT0);

	if (!axvm_lapic_hw_enabled(a))
		return true;
	return !(lvt0 & APIC_LVT_MASKED) &&
	       (lvt0 & APIC_MODE_MASK) == APIC_DM_EXTINT;
}

static u64 axvm_lapic_divider(const struct axvm_lapic *a)
{
	u32 d = REG(a, APIC_TDCR);

	d = (d & 3) | ((d & 8) >> 1);
	return 1ULL << ((d + 1) & 7);
}

static u32 axvm_lapic_timer_mode(const struct axvm_lapic *a)
{
	return REG(a, APIC_LVTT) & AXVM_LVT_TIMER_MODE;
}

/*
 * An error the APIC detected: noted for the next ESR write, and the LVT
 * error interrupt raised when unmasked (SDM 10.5.3). Whether it was (the
 * vCPU must then look again); the lock is held.
 */
static bool axvm_lapic_error(struct axvm_lapic *a, u32 bits)
{
	u32 lvt = REG(a, APIC_LVTERR);
	u8 vector = lvt & APIC_VECTOR_MASK;

	a->esr_pending |= bits;
	/* An illegal vector in the LVT itself raises nothing more. */
	if (lvt & APIC_LVT_MASKED || vector < 16)
		return false;
	__set_bit(vector, a->irr);
	__clear_bit(vector, a->tmr);
	return true;
}

/* A vector set in the IRR, the vCPU kicked; the lock is held. */
static bool axvm_lapic_set_irr(struct axvm_lapic *a, u8 vector, bool level)
{
	/* Vectors 0-15 are illegal: the receiver notes it in the ESR. */
	if (vector < 16)
		return axvm_lapic_error(a, APIC_ESR_RECVILL);
	__set_bit(vector, a->irr);
	if (level)
		__set_bit(vector, a->tmr);
	else
		__clear_bit(vector, a->tmr);
	return true;
}

/* Whether the APIC took the message (a fixed one is in its IRR). */
bool axvm_lapic_accept(struct axvm_lapic *a, u32 mode, u8 vector,
		       bool level)
{
	unsigned long flags;
	bool taken = false, kick = false;

	spin_lock_irqsave(&a->lock, flags);
	/*
	 * With IA32_APIC_BASE[11] clear the CPU is one without an APIC
	 * (SDM 10.4.3): no message reaches it, INIT and SIPI included.
	 */
	if (!axvm_lapic_hw_enabled(a)) {
		spin_unlock_irqrestore(&a->lock, flags);
		return false;
	}
	switch (mode) {
	case APIC_DM_FIXED:
	case APIC_DM_LOWEST:
		/*
		 * Software-disabled, it answers only INIT, NMI, SMI and
		 * SIPI (SDM 10.4.7.2; KVM's apic_enabled() check).
		 */
		if (!axvm_lapic_sw_enabled(a))
			break;
		/*
		 * An illegal vector is never accepted: "the local APIC will
		 * never set an IRR bit in the range 0 to 15" (SDM 10.5.3),
		 * so an I/O APIC level pin sets no Remote IRR that no EOI
		 * would clear. The error interrupt it raises needs a look.
		 */
		kick = axvm_lapic_set_irr(a, vector, level);
		taken = vector >= 16;
		break;
	case APIC_DM_INIT:
		/*
		 * The vCPU's own thread resets it before its next entry. SDM
		 * 8.4.2: after INIT the bootstrap processor runs from the
		 * reset vector; the others wait for a SIPI.
		 */
		a->init_pending = true;
		a->mp_state = (a->base_msr & MSR_IA32_APICBASE_BSP) ?
			      AXVM_X86_RUNNABLE : AXVM_X86_WAIT_SIPI;
		a->sipi_vector = -1;
		taken = true;
		break;
	case APIC_DM_STARTUP:
		/* Only a CPU waiting after INIT takes the first SIPI. */
		if (a->mp_state == AXVM_X86_WAIT_SIPI && a->sipi_vector < 0) {
			a->sipi_vector = vector;
			taken = true;
		}
		break;
	case APIC_DM_NMI:
		/*
		 * A software-disabled APIC still takes NMI messages (SDM
		 * 10.4.7.2); the vector field is ignored.
		 */
		if (axvm_lapic_enabled(a)) {
			axvm_x86_nmi_latch(a->x);
			taken = true;
		}
		break;
	default:
		/* SMI and ExtINT by message: not emulated, dropped. */
		break;
	}
	spin_unlock_irqrestore(&a->lock, flags);
	/* What it took needs the vCPU to look again. */
	if (taken || kick)
		axvm_x86_chip_kick(a->x);
	return taken;
}

/* The timer reached zero or its deadline; the lock is held. */
static bool axvm_lapic_timer_fire(struct axvm_lapic *a)
{
	u32 lvtt = REG(a, APIC_LVTT);

	if (lvtt & APIC_LVT_MASKED)
		return false;
	return axvm_lapic_set_irr(a, lvtt & APIC_VECTOR_MASK, false);
}

/* Nanoseconds until the guest's TSC has moved @cycles, rounded up. */
static u64 axvm_lapic_tsc_ns(u64 cycles)
{
	return mul_u64_u32_div(cycles, NSEC_PER_MSEC, tsc_khz) + 1;
}

/*
 * The TSC-deadline timer "generates a timer interrupt when the value of
 * the time-stamp counter is greater than or equal to the target" (SDM
 * 10.5.4.1). CLOCK_MONOTONIC is not the TSC: NTP slews it ahead by up
 * to 10% (adjtimex tick), so the hrtimer may come early: wait on for the
 * rest. Lock held.
 */
static bool axvm_lapic_deadline_early(struct axvm_lapic *a,
				      struct hrtimer *t)
{
	u64 now, ns;

	if (axvm_lapic_timer_mode(a) != APIC_LVT_TIMER_TSCDEADLINE ||
	    !a->tsc_deadline || !tsc_khz)
		return false;
	now = axvm_x86_guest_tsc(a->x);
	if (now >= a->tsc_deadline)
		return false;
	ns = axvm_lapic_tsc_ns(a->tsc_deadline - now);
	hrtimer_forward_now(t, ns_to_ktime(ns));
	return true;
}

static enum hrtimer_restart axvm_lapic_timer_fn(struct hrtimer *t)
{
	struct axvm_lapic *a = container_of(t, struct axvm_lapic, timer);
	enum hrtimer_restart ret = HRTIMER_NORESTART;
	unsigned long flags;
	bool kick;

	spin_lock_irqsave(&a->lock, flags);
	if (axvm_lapic_deadline_early(a, t)) {
		spin_unlock_irqrestore(&a->lock, flags);
		return HRTIMER_RESTART;
	}
	kick = axvm_lapic_timer_fire(a);
	switch (axvm_lapic_timer_mode(a)) {
	case APIC_LVT_TIMER_PERIODIC:
		if (a->period_ns) {
			/* Ticks the host could not give are lost, not queued. */
			hrtimer_forward_now(t, ns_to_ktime(a->period_ns));
			a->timer_start = ktime_sub_ns(hrtimer_get_expires(t),
						      a->period_ns);
			ret = HRTIMER_RESTART;
		}
		break;
	case APIC_LVT_TIMER_TSCDEADLINE:
		a->tsc_deadline = 0;
		break;
	default:
		a->period_ns = 0;
		break;
	}
	spin_unlock_irqrestore(&a->lock, flags);
	if (kick)
		axvm_x86_chip_kick(a->x);
	return ret;
}

/*
 * Stop the timer before its state changes. Called without the lock: the
 * callback takes it, and hrtimer_cancel() waits for a running callback.
 */
static void axvm_lapic_timer_stop(struct axvm_lapic *a)
{
	hrtimer_cancel(&a->timer);
}

/* TMICT written (or the mode changed): count from now; lock held. */
static void axvm_lapic_timer_load(struct axvm_lapic *a)
{
	u64 ns = (u64)REG(a, APIC_TMICT) * axvm_lapic_divider(a) *
		 AXVM_LAPIC_NS_PER_TICK;

	a->period_ns = 0;
	if (!ns || axvm_lapic_timer_mode(a) == APIC_LVT_TIMER_TSCDEADLINE)
		return;
	if (axvm_lapic_timer_mode(a) == APIC_LVT_TIMER_PERIODIC)
		ns = max(ns, AXVM_LAPIC_MIN_PERIOD_NS);
	a->period_ns = ns;
	a->timer_start = ktime_get();
	hrtimer_start(&a->timer, ktime_add_ns(a->timer_start, ns),
		      HRTIMER_MODE_ABS_HARD);
}

/* IA32_TSC_DEADLINE, in the guest's TSC (tsc.c: the host's plus offset). */
static void axvm_lapic_deadline_arm(struct axvm_lapic *a)
{
	u64 now = axvm_x86_guest_tsc(a->x), ns = 0;

	if (!a->tsc_deadline ||
	    axvm_lapic_timer_mode(a) != APIC_LVT_TIMER_TSCDEADLINE)
		return;
	if (a->tsc_deadline > now && tsc_khz)
		ns = axvm_lapic_tsc_ns(a->tsc_deadline - now);
	hrtimer_start(&a->timer, ns_to_ktime(ns), HRTIMER_MODE_REL_HARD);
}

static u32 axvm_lapic_tmcct(const struct axvm_lapic *a)
{
	u64 elapsed;

	if (!a->period_ns)
		return 0;
	elapsed = ktime_to_ns(ktime_sub(ktime_get(), a->timer_start));
	if (elapsed >= a->period_ns) {
		if (axvm_lapic_timer_mode(a) != APIC_LVT_TIMER_PERIODIC)
			return 0;
		div64_u64_rem(elapsed, a->period_ns, &elapsed);
	}
	/*
	 * The count runs down from TMICT (SDM 10.5.4): a period stretched
	 * to the minimum reads as TMICT until it is down to it.
	 */
	return min_t(u64, REG(a, APIC_TMICT),
		     div64_u64(a->period_ns - elapsed,
			       axvm_lapic_divider(a) * AXVM_LAPIC_NS_PER_TICK));
}

/*
 * TDCR written while the count runs: what is left, in ticks, goes on at
 * the new rate (KVM's update_target_expiration()); the count itself
 * (TMCCT) is unchanged by the write. The lock is held, the hrtimer is
 * stopped; @left is TMCCT before the write.
 */
static void axvm_lapic_timer_rescale(struct axvm_lapic *a, u32 left)
{
	u64 tick = axvm_lapic_divider(a) * AXVM_LAPIC_NS_PER_TICK;
	u64 whole = (u64)REG(a, APIC_TMICT) * tick, now_ns;
	ktime_t now = ktime_get();

	if (!a->period_ns)
		return;
	if (axvm_lapic_timer_mode(a) == APIC_LVT_TIMER_PERIODIC)
		whole = max(whole, AXVM_LAPIC_MIN_PERIOD_NS);
	now_ns = min_t(u64, (u64)left * tick, whole);
	a->period_ns = whole;
	a->timer_start = ktime_sub_ns(now, whole - now_ns);
	hrtimer_start(&a->timer, ktime_add_ns(now, now_ns),
		      HRTIMER_MODE_ABS_HARD);
}

/* The power-on and INIT state of the registers; the lock is held. */
static void axvm_lapic_reset_regs(struct axvm_lapic *a)
{
	unsigned int off;

	memset(a->reg, 0, sizeof(a->reg));
	bitmap_zero(a->irr, 256);
	bitmap_zero(a->isr, 256);
	bitmap_zero(a->tmr, 256);
	for (off = APIC_LVTT; off <= APIC_LVTERR; off += 0x10)
		REG(a, off) = APIC_LVT_MASKED;
	REG(a, APIC_DFR) = APIC_DFR_FLAT;
	REG(a, APIC_SPIV) = 0xff;
	a->esr_pending = 0;	/* errors logged before INIT are gone too */
	a->period_ns = 0;
	a->tsc_deadline = 0;
}

int axvm_lapic_create(struct axvm_x86_vcpu *x, bool bsp)
{
	struct axvm_lapic *a = kzalloc(sizeof(*a), GFP_KERNEL_ACCOUNT);

	if (!a)
		return -ENOMEM;
	spin_lock_init(&a->lock);
	a->x = x;
	a->id = x->vcpu->arch_id;
	hrtimer_init(&a->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS_HARD);
	a->timer.function = axvm_lapic_timer_fn;
	axvm_lapic_reset_regs(a);
	a->base_msr = AXVM_LAPIC_BASE | MSR_IA32_APICBASE_ENABLE |
		      (bsp ? MSR_IA32_APICBASE_BSP : 0);
	/* An AP waits for INIT-SIPI-SIPI, or for userspace to set its state. */
	a->mp_state = bsp ? AXVM_X86_RUNNABLE : AXVM_X86_WAIT_SIPI;
	a->sipi_vector = -1;
	x->apic = a;
	return 0;
}

/* After the chip dropped it from its array: no one else can reach it. */
void axvm_lapic_destroy(struct axvm_x86_vcpu *x)
{
	if (!x->apic)
		return;
	hrtimer_cancel(&x->apic->timer);
	kfree(x->apic);
	x->apic = NULL;
}

bool axvm_lapic_match(struct axvm_lapic *a, u32 dest, bool logical)
{
	u32 ldr, dfr;

	if (!logical)
		return dest == 0xff || dest == a->id;
	ldr = REG(a, APIC_LDR) >> 24;
	dfr = REG(a, APIC_DFR);
	if (dest == 0xff)
		return true;
	if ((dfr >> 28) == 0xf)		/* flat: a bit per CPU */
		return ldr & dest;
	/* Cluster: the high nibble names the cluster, the low one CPUs. */
	return (ldr >> 4) == (dest >> 4) && (ldr & dest & 0xf);
}

static void axvm_lapic_broadcast(struct axvm_x86_chip *chip,
				 struct axvm_lapic *self, bool incl, u32 mode,
				 u8 vector, bool level)
{
	unsigned long flags;
	unsigned int i;

	spin_lock_irqsave(&chip->lock, flags);
	for (i = 0; i <= AXVM_XAPIC_MAX_ID; i++)
		if (chip->apic[i] && (incl || chip->apic[i] != self))
			axvm_lapic_accept(chip->apic[i], mode, vector, level);
	spin_unlock_irqrestore(&chip->lock, flags);
}

/* An ICR write: send the IPI it describes. */
static void axvm_lapic_send_ipi(struct axvm_lapic *a, u32 icr)
{
	struct axvm_x86_chip *chip = axvm_x86_chip(a->x->vcpu->vm);
	u32 mode = icr & APIC_DM_FIXED_MASK;
	u8 vector = icr & APIC_VECTOR_MASK;
	bool level = icr & APIC_INT_LEVELTRIG;
	unsigned long flags;

	/* INIT level de-assert: only old APICs acted on it. */
	if (mode == APIC_DM_INIT && level && !(icr & APIC_INT_ASSERT))
		return;
	/*
	 * SDM Table 10-3, note 2: the xAPIC sends fixed and lowest-priority
	 * IPIs edge-triggered whatever the trigger mode bit says, so their
	 * EOI never reaches an I/O APIC pin of the same vector.
	 */
	if (mode == APIC_DM_FIXED || mode == APIC_DM_LOWEST) {
		level = false;
		/*
		 * SDM 10.5.3, Send Illegal Vector: vectors 0-15. It still
		 * goes out, and each receiver notes Receive Illegal Vector.
		 */
		if (vector < 16) {
			spin_lock_irqsave(&a->lock, flags);
			axvm_lapic_error(a, APIC_ESR_SENDILL);
			spin_unlock_irqrestore(&a->lock, flags);
		}
	}
	switch (icr & AXVM_LAPIC_SHORTHAND) {
	case APIC_DEST_SELF:
		axvm_lapic_accept(a, mode, vector, level);
		break;
	case APIC_DEST_ALLINC:
	case APIC_DEST_ALLBUT:
		axvm_lapic_broadcast(chip, a, (icr & AXVM_LAPIC_SHORTHAND) ==
					APIC_DEST_ALLINC, mode, vector, level);
		break;
	default:
		axvm_x86_chip_deliver(chip, REG(a, APIC_ICR2) >> 24,
				      icr & APIC_DEST_LOGICAL, mode, vector,
				      level);
	}
}

/* EOI: the highest in-service vector is done; level ones reach the I/O APIC. */
static void axvm_lapic_eoi(struct axvm_lapic *a)
{
	unsigned long flags;
	bool level = false;
	int v;

	spin_lock_irqsave(&a->lock, flags);
	v = axvm_lapic_top(a->isr);
	if (v >= 0) {
		__clear_bit(v, a->isr);
		level = test_bit(v, a->tmr);
	}
	spin_unlock_irqrestore(&a->lock, flags);
	if (level)
		axvm_ioapic_eoi(axvm_x86_chip(a->x->vcpu->vm), v);
}

/* Bits 32 * @i to 32 * @i + 31 of a 256-bit register (IRR, ISR, TMR). */
static u32 axvm_lapic_word(const unsigned long *bits, unsigned int i)
{
	return bits[i / (BITS_PER_LONG / 32)] >>
	       (32 * (i % (BITS_PER_LONG / 32)));
}

static u32 axvm_lapic_read(struct axvm_lapic *a, u32 off)
{
	switch (off) {
	case APIC_ID:
		return a->id << 24;
	case APIC_LVR:
		return AXVM_LAPIC_VERSION | ((AXVM_LAPIC_NR_LVT - 1) << 16);
	case APIC_PROCPRI:
		return axvm_lapic_ppr(a);
	case APIC_ISR ... APIC_ISR + 0x70:
		return axvm_lapic_word(a->isr, (off - APIC_ISR) >> 4);
	case APIC_TMR ... APIC_TMR + 0x70:
		return axvm_lapic_word(a->tmr, (off - APIC_TMR) >> 4);
	case APIC_IRR ... APIC_IRR + 0x70:
		return axvm_lapic_word(a->irr, (off - APIC_IRR) >> 4);
	case APIC_TMCCT:
		return axvm_lapic_tmcct(a);
	case APIC_TASKPRI:
	case APIC_LDR:
	case APIC_DFR:
	case APIC_SPIV:
	case APIC_ESR:
	case APIC_ICR:
	case APIC_ICR2:
	case APIC_LVTT ... APIC_LVTERR:
	case APIC_TMICT:
	case APIC_TDCR:
		return REG(a, off);
	default:
		return 0;
	}
}

/* Writable bits of each LVT entry. */
static u32 axvm_lapic_lvt_mask(u32 off)
{
	switch (off) {
	case APIC_LVTT:
		return APIC_VECTOR_MASK | APIC_LVT_MASKED | AXVM_LVT_TIMER_MODE;
	case APIC_LVT0:
	case APIC_LVT1:
		return APIC_VECTOR_MASK | APIC_MODE_MASK | APIC_INPUT_POLARITY |
		       APIC_LVT_LEVEL_TRIGGER | APIC_LVT_MASKED;
	case APIC_LVTERR:
		return APIC_VECTOR_MASK | APIC_LVT_MASKED;
	default:		/* thermal, performance counters */
		return APIC_VECTOR_MASK | APIC_MODE_MASK | APIC_LVT_MASKED;
	}
}

/*
 * A 32-bit register write; the lock is held. Returns what the caller
 * does after dropping it: send an IPI (the ICR), EOI.
 */
enum { AXVM_LAPIC_DONE, AXVM_LAPIC_SEND, AXVM_LAPIC_EOI };

static int axvm_lapic_write(struct axvm_lapic *a, u32 off, u32 val)
{
	unsigned int lvt;

	switch (off) {
	case APIC_TASKPRI:
		REG(a, off) = val & APIC_TPRI_MASK;
		break;
	case APIC_EOI:
		return AXVM_LAPIC_EOI;
	case APIC_LDR:
		REG(a, off) = val & APIC_LDR_MASK;
		break;
	case APIC_DFR:
		REG(a, off) = val | 0x0fffffff;
		break;
	case APIC_SPIV:
		REG(a, off) = val & (APIC_SPIV_APIC_ENABLED |
				     APIC_SPIV_FOCUS_DISABLED | 0xff);
		/* Software disable masks every LVT entry. */
		if (!(val & APIC_SPIV_APIC_ENABLED))
			for (lvt = APIC_LVTT; lvt <= APIC_LVTERR; lvt += 0x10)
				REG(a, lvt) |= APIC_LVT_MASKED;
		break;
	case APIC_ESR:
		/* A write latches the errors seen since; they read from it. */
		REG(a, off) = a->esr_pending;
		a->esr_pending = 0;
		break;
	case APIC_ICR:
		REG(a, off) = val & ~APIC_ICR_BUSY;
		return AXVM_LAPIC_SEND;
	case APIC_ICR2:
		REG(a, off) = val & 0xff000000;
		break;
	case APIC_LVTTHMR ... APIC_LVTERR:
		val &= axvm_lapic_lvt_mask(off);
		if (!axvm_lapic_sw_enabled(a))
			val |= APIC_LVT_MASKED;
		REG(a, off) = val;
		break;
	}
	return AXVM_LAPIC_DONE;
}

/*
 * The timer registers. A new count or a mode change stops the hrtimer
 * first, outside the lock; the divider applies from the next count.
 */
static void axvm_lapic_timer_write(struct axvm_lapic *a, u32 off, u32 val)
{
	unsigned long flags;
	bool stop = off == APIC_TMICT;
	u32 left = 0;

	/* SDM 10.5.4.1: in TSC-deadline mode TMICT writes are ignored. */
	if (off == APIC_TMICT &&
	    axvm_lapic_timer_mode(a) == APIC_LVT_TIMER_TSCDEADLINE)
		return;
	if (off == APIC_LVTT) {
		val &= axvm_lapic_lvt_mask(off);
		/*
		 * Bit 18 (TSC-deadline mode) is reserved where the vCPU's
		 * CPUID has no TSC-deadline timer (SDM 10.5.4.1), and reads
		 * 0 then, as KVM's timer_mode_mask has it.
		 */
		if (!axvm_x86_guest_tsc_deadline(a->x))
			val &= ~APIC_LVT_TIMER_TSCDEADLINE;
		stop = (val ^ READ_ONCE(REG(a, APIC_LVTT))) &
		       AXVM_LVT_TIMER_MODE;
	}
	/* A one-shot or periodic count going on changes its rate. */
	if (off == APIC_TDCR &&
	    axvm_lapic_timer_mode(a) != APIC_LVT_TIMER_TSCDEADLINE) {
		spin_lock_irqsave(&a->lock, flags);
		left = axvm_lapic_tmcct(a);
		stop = a->period_ns;
		spin_unlock_irqrestore(&a->lock, flags);
	}
	if (stop)
		axvm_lapic_timer_stop(a);
	spin_lock_irqsave(&a->lock, flags);
	switch (off) {
	case APIC_LVTT:
		if (!axvm_lapic_sw_enabled(a))
			val |= APIC_LVT_MASKED;
		if (stop) {
			REG(a, APIC_TMICT) = 0;
			a->period_ns = 0;
			a->tsc_deadline = 0;
		}
		REG(a, off) = val;
		break;
	case APIC_TDCR:
		REG(a, off) = val & APIC_TDR_DIV_1;
		if (stop)
			axvm_lapic_timer_rescale(a, left);
		break;
	default:
		REG(a, off) = val;
		axvm_lapic_timer_load(a);
	}
	spin_unlock_irqrestore(&a->lock, flags);
}

/* The registers of the xAPIC page (SDM Table 10-1); the rest reserved. */
static bool axvm_lapic_reg_exists(u32 reg)
{
	switch (reg) {
	case APIC_ID:
	case APIC_LVR:
	case APIC_TASKPRI ... APIC_SPIV:	/* TPR APR PPR EOI RRD LDR DFR */
	case APIC_ISR ... APIC_ESR:		/* ISR TMR IRR */
	/*
	 * Not LVT CMCI (0x2f0): the version register says five LVT entries
	 * past the timer (max LVT 5), so it is reserved, as KVM has it
	 * without a CMCI entry.
	 */
	case APIC_ICR ... APIC_TMCCT:		/* ICR ICR2 LVTs counts */
	case APIC_TDCR:
		return true;
	}
	return false;
}

/* An access to the APIC page; @off is within it. Always handled. */
int axvm_lapic_mmio(struct axvm_x86_vcpu *x, u64 off, unsigned int len,
		    bool write, u64 *val)
{
	struct axvm_lapic *a = x->apic;
	unsigned int shift = (off & 0xf) * 8;
	unsigned long flags;
	u32 reg = off & 0xff0, v;
	int todo;

	/* SDM 10.5.3, Illegal Register Address; reads give 0. */
	if (!axvm_lapic_reg_exists(reg)) {
		spin_lock_irqsave(&a->lock, flags);
		axvm_lapic_error(a, APIC_ESR_ILLREGA);
		spin_unlock_irqrestore(&a->lock, flags);
		if (!write)
			*val = 0;
		return 0;
	}
	if (!write) {
		/* Registers are 32 bits at 16-byte strides; the rest reads 0. */
		spin_lock_irqsave(&a->lock, flags);
		v = (off & 0xf) < 4 ? axvm_lapic_read(a, reg) >> shift : 0;
		spin_unlock_irqrestore(&a->lock, flags);
		*val = v;
		return 0;
	}
	/* Only aligned 32-bit writes do anything, as on hardware. */
	if (len != 4 || off & 0xf)
		return 0;
	v = *val;
	if (reg == APIC_LVTT || reg == APIC_TMICT || reg == APIC_TDCR) {
		axvm_lapic_timer_write(a, reg, v);
		return 0;
	}
	spin_lock_irqsave(&a->lock, flags);
	todo = axvm_lapic_write(a, reg, v);
	spin_unlock_irqrestore(&a->lock, flags);
	if (todo == AXVM_LAPIC_SEND)
		axvm_lapic_send_ipi(a, v);
	else if (todo == AXVM_LAPIC_EOI)
		axvm_lapic_eoi(a);
	return 0;
}

/*
 * The vector to inject: the highest deliverable IRR vector, moved to the
 * ISR when the guest can take it now (@open), else the 8259's through
 * LINT0. The vector, -EAGAIN when one waits for the window, -ENOENT.
 */
int axvm_lapic_pop(struct axvm_x86_vcpu *x, bool open)
{
	struct axvm_lapic *a = x->apic;
	struct axvm_x86_chip *chip;
	unsigned long flags;
	bool extint;
	int v;

	spin_lock_irqsave(&a->lock, flags);
	v = axvm_lapic_deliverable(a);
	if (v >= 0 && open) {
		__clear_bit(v, a->irr);
		__set_bit(v, a->isr);
	}
	extint = axvm_lapic_extint(a);
	spin_unlock_irqrestore(&a->lock, flags);
	if (v >= 0)
		return open ? v : -EAGAIN;
	if (!extint)
		return -ENOENT;
	chip = axvm_x86_chip(x->vcpu->vm);
	if (!axvm_pic_output(&chip->pic))
		return -ENOENT;
	if (!open)
		return -EAGAIN;
	v = axvm_pic_ack(&chip->pic);
	/* The acknowledge may have uncovered the next one for someone. */
	axvm_x86_chip_pic_changed(chip);
	return v;
}

/* An interrupt HLT wakes for: deliverable and the guest's IF set. */
bool axvm_lapic_has_irq(struct axvm_x86_vcpu *x)
{
	struct axvm_lapic *a = x->apic;
	unsigned long flags;
	bool ret, extint;

	if (!(x->rflags & X86_EFLAGS_IF))
		return false;
	spin_lock_irqsave(&a->lock, flags);
	ret = axvm_lapic_deliverable(a) >= 0;
	extint = axvm_lapic_extint(a);
	spin_unlock_irqrestore(&a->lock, flags);
	return ret || (extint &&
		       axvm_pic_output(&axvm_x86_chip(x->vcpu->vm)->pic));
}

int axvm_lapic_rdmsr(struct axvm_x86_vcpu *x, u32 msr, u64 *val)
{
	struct axvm_lapic *a = x->apic;

	switch (msr) {
	case MSR_IA32_APICBASE:
		*val = a->base_msr;
		return 0;
	case MSR_IA32_TSC_DEADLINE:
		*val = axvm_lapic_timer_mode(a) == APIC_LVT_TIMER_TSCDEADLINE ?
		       a->tsc_deadline : 0;
		return 0;
	case AXVM_X2APIC_MSR_FIRST ... AXVM_X2APIC_MSR_LAST:
		/* xAPIC mode only: the x2APIC range is #GP (SDM 10.12.1.2). */
		return -EINVAL;
	}
	return -ENOENT;
}

#define AXVM_APICBASE_OK	(MSR_IA32_APICBASE_BSP | \
				 MSR_IA32_APICBASE_ENABLE)

/* 0, -ENOENT for an MSR not the APIC's, -EINVAL for a #GP. */
int axvm_lapic_wrmsr(struct axvm_x86_vcpu *x, u32 msr, u64 val)
{
	struct axvm_lapic *a = x->apic;
	unsigned long flags;
	bool off;

	switch (msr) {
	case MSR_IA32_APICBASE:
		/*
		 * Bits 12 up to MAXPHYADDR are the page's base, which may
		 * move (SDM 10.4.4, as KVM allows); the rest reserved, and
		 * no x2APIC (bit 10): #GP.
		 */
		if (val & ~(AXVM_APICBASE_OK | AXVM_APICBASE_PAGE) ||
		    val >> axvm_x86_guest_maxphyaddr(x))
			return -EINVAL;
		/* Globally off: the state is lost, as on hardware. */
		off = !(val & MSR_IA32_APICBASE_ENABLE);
		if (off)
			axvm_lapic_timer_stop(a);
		spin_lock_irqsave(&a->lock, flags);
		if (off)
			axvm_lapic_reset_regs(a);
		/* BSP is read/write (SDM vol. 4, Table 2-2): INIT reads it. */
		a->base_msr = val;
		spin_unlock_irqrestore(&a->lock, flags);
		return 0;
	case MSR_IA32_TSC_DEADLINE:
		/*
		 * Ignored outside TSC-deadline mode (SDM 10.5.4.1): the
		 * one-shot or periodic count going on is not touched. LVTT
		 * changes only on this vCPU's own thread, as this write does.
		 */
		if (axvm_lapic_timer_mode(a) != APIC_LVT_TIMER_TSCDEADLINE)
			return 0;
		axvm_lapic_timer_stop(a);
		spin_lock_irqsave(&a->lock, flags);
		a->tsc_deadline = val;
		axvm_lapic_deadline_arm(a);
		spin_unlock_irqrestore(&a->lock, flags);
		return 0;
	case AXVM_X2APIC_MSR_FIRST ... AXVM_X2APIC_MSR_LAST:
		return -EINVAL;
	}
	return -ENOENT;
}

/*
 * The guest's TSC moved (a write to it or to IA32_TSC_ADJUST): a deadline
 * not reached yet is that much nearer or farther (SDM 10.5.4.1 compares
 * it with the TSC). On the vCPU's own thread, as LVTT changes are.
 */
void axvm_lapic_tsc_moved(struct axvm_x86_vcpu *x)
{
	struct axvm_lapic *a = x->apic;
	unsigned long flags;

	if (axvm_lapic_timer_mode(a) != APIC_LVT_TIMER_TSCDEADLINE)
		return;
	axvm_lapic_timer_stop(a);
	spin_lock_irqsave(&a->lock, flags);
	axvm_lapic_deadline_arm(a);
	spin_unlock_irqrestore(&a->lock, flags);
}

static bool axvm_lapic_halt_done(struct axvm_vcpu *vcpu)
{
	struct axvm_x86_vcpu *x = vcpu->arch;

	return READ_ONCE(x->apic->init_pending) || axvm_lapic_has_irq(x) ||
	       axvm_x86_nmi_waiting(x);
}

static bool axvm_lapic_sipi_done(struct axvm_vcpu *vcpu)
{
	struct axvm_x86_vcpu *x = vcpu->arch;

	return READ_ONCE(x->apic->init_pending) ||
	       READ_ONCE(x->apic->sipi_vector) >= 0;
}

/*
 * Before an entry: INIT, wait-for-SIPI and HLT are handled here, in the
 * kernel. 0: enter the guest; -EINTR: a signal came first.
 */
int axvm_lapic_pre_run(struct axvm_x86_vcpu *x)
{
	struct axvm_lapic *a = x->apic;
	unsigned long flags;
	int vector;

	for (;;) {
		spin_lock_irqsave(&a->lock, flags);
		if (a->init_pending) {
			a->init_pending = false;
			spin_unlock_irqrestore(&a->lock, flags);
			axvm_lapic_timer_stop(a);
			spin_lock_irqsave(&a->lock, flags);
			/* A SIPI that already came is kept: INIT is done. */
			if (!a->init_pending)
				axvm_lapic_reset_regs(a);
			spin_unlock_irqrestore(&a->lock, flags);
			axvm_x86_init_reset(x);
			continue;
		}
		vector = a->sipi_vector;
		if (a->mp_state == AXVM_X86_WAIT_SIPI && vector >= 0) {
			a->mp_state = AXVM_X86_RUNNABLE;
			a->sipi_vector = -1;
			spin_unlock_irqrestore(&a->lock, flags);
			axvm_x86_sipi_start(x, vector);
			return 0;
		}
		spin_unlock_irqrestore(&a->lock, flags);

		switch (a->mp_state) {
		case AXVM_X86_WAIT_SIPI:
			if (axvm_vcpu_block(x->vcpu, axvm_lapic_sipi_done))
				return -EINTR;
			break;
		case AXVM_X86_HALTED:
			if (axvm_lapic_halt_done(x->vcpu)) {
				spin_lock_irqsave(&a->lock, flags);
				if (a->mp_state == AXVM_X86_HALTED)
					a->mp_state = AXVM_X86_RUNNABLE;
				spin_unlock_irqrestore(&a->lock, flags);
				continue;
			}
			if (axvm_vcpu_block(x->vcpu, axvm_lapic_halt_done))
				return -EINTR;
			break;
		default:
			return 0;
		}
	}
}

/*
 * The LINT1 pin pulsed (AXVM_NMI): delivered as LVT1 says (SDM 10.5.1):
 * nothing while masked (which software disable forces, 10.4.7.2), an NMI
 * in NMI mode, the vector in fixed mode; other modes are dropped.
 */
void axvm_lapic_lint1(struct axvm_lapic *a)
{
	unsigned long flags;
	bool kick = false;
	u32 lvt;

	spin_lock_irqsave(&a->lock, flags);
	lvt = REG(a, APIC_LVT1);
	if (!(lvt & APIC_LVT_MASKED) && axvm_lapic_sw_enabled(a)) {
		switch (lvt & APIC_MODE_MASK) {
		case APIC_DM_NMI:
			axvm_x86_nmi_latch(a->x);
			kick = true;
			break;
		case APIC_DM_FIXED:
			kick = axvm_lapic_set_irr(a, lvt & APIC_VECTOR_MASK,
						  false);
			break;
		}
	}
	spin_unlock_irqrestore(&a->lock, flags);
	if (kick)
		axvm_x86_chip_kick(a->x);
}

/* HLT with nothing to take: the vCPU sleeps in pre_run until there is. */
void axvm_lapic_halt(struct axvm_x86_vcpu *x)
{
	unsigned long flags;

	spin_lock_irqsave(&x->apic->lock, flags);
	x->apic->mp_state = AXVM_X86_HALTED;
	spin_unlock_irqrestore(&x->apic->lock, flags);
}

/* IA32_APIC_BASE's global enable (bit 11). */
/*
 * For Lowest Priority arbitration (SDM 10.6.2.4): this APIC's priority
 * class, its PPR's (the TPR or the class in service, whichever is
 * higher), or -1 when it takes no Fixed or Lowest Priority message.
 */
int axvm_lapic_arb_priority(struct axvm_lapic *a)
{
	unsigned long flags;
	int prio = -1;

	spin_lock_irqsave(&a->lock, flags);
	if (axvm_lapic_hw_enabled(a) && axvm_lapic_sw_enabled(a))
		prio = axvm_lapic_ppr(a) >> 4;
	spin_unlock_irqrestore(&a->lock, flags);
	return prio;
}

bool axvm_lapic_enabled(struct axvm_lapic *a)
{
	return READ_ONCE(a->base_msr) & MSR_IA32_APICBASE_ENABLE;
}

/* CR8 reads TPR[7:4] (SDM 10.8.6.1). */
u64 axvm_lapic_cr8(struct axvm_lapic *a)
{
	return (READ_ONCE(REG(a, APIC_TASKPRI)) >> 4) & 0xf;
}

/* A MOV to CR8 writes TPR[7:4] and clears TPR[3:0] (SDM 10.8.6.1). */
void axvm_lapic_set_cr8(struct axvm_lapic *a, u64 cr8)
{
	unsigned long flags;

	spin_lock_irqsave(&a->lock, flags);
	REG(a, APIC_TASKPRI) = (cr8 & 0xf) << 4;
	spin_unlock_irqrestore(&a->lock, flags);
}

/*
 * A vector waits in the IRR whose class the TPR holds back: a MOV to CR8
 * that lowers the TPR can let it through.
 */
bool axvm_lapic_tpr_blocks(struct axvm_lapic *a)
{
	unsigned long flags;
	bool ret;
	int v;

	spin_lock_irqsave(&a->lock, flags);
	v = axvm_lapic_top(a->irr);
	ret = axvm_lapic_hw_enabled(a) && v >= 0 &&
	      (v & 0xf0) <= (REG(a, APIC_TASKPRI) & 0xf0);
	spin_unlock_irqrestore(&a->lock, flags);
	return ret;
}

/* Userspace set the registers: a vCPU waiting for SIPI starts there. */
void axvm_lapic_regs_set(struct axvm_x86_vcpu *x)
{
	unsigned long flags;

	spin_lock_irqsave(&x->apic->lock, flags);
	if (x->apic->mp_state == AXVM_X86_WAIT_SIPI &&
	    !x->apic->init_pending)
		x->apic->mp_state = AXVM_X86_RUNNABLE;
	spin_unlock_irqrestore(&x->apic->lock, flags);
}

/*
 * Without the in-kernel local APIC a vCPU always runs when RUN is called
 * (userspace emulates INIT and SIPI): ON, the only state it has.
 */
u32 axvm_arch_vcpu_get_power(struct axvm_vcpu *vcpu)
{
	struct axvm_x86_vcpu *x = vcpu->arch;

	if (!x->apic)
		return AXVM_POWER_ON;
	switch (READ_ONCE(x->apic->mp_state)) {
	case AXVM_X86_HALTED:
		return AXVM_POWER_HALTED;
	case AXVM_X86_WAIT_SIPI:
		return AXVM_POWER_WAIT_SIPI;
	default:
		return AXVM_POWER_ON;
	}
}

/*
 * As KVM_SET_MP_STATE: RUNNABLE, HALTED (RUN sleeps until an interrupt
 * the guest can take) or WAIT_SIPI (until a SIPI, a received one
 * dropped). A pending INIT stays: it resets the vCPU at its next run.
 */
int axvm_arch_vcpu_set_power(struct axvm_vcpu *vcpu, u32 power)
{
	struct axvm_x86_vcpu *x = vcpu->arch;
	struct axvm_lapic *a = x->apic;
	unsigned long flags;
	int state;

	switch (power) {
	case AXVM_POWER_ON:
		state = AXVM_X86_RUNNABLE;
		break;
	case AXVM_POWER_HALTED:
		state = AXVM_X86_HALTED;
		break;
	case AXVM_POWER_WAIT_SIPI:
		state = AXVM_X86_WAIT_SIPI;
		break;
	default:
		return -EINVAL;
	}
	if (!a)
		return power == AXVM_POWER_ON ? 0 : -EINVAL;
	spin_lock_irqsave(&a->lock, flags);
	WRITE_ONCE(a->mp_state, state);
	if (state == AXVM_X86_WAIT_SIPI)
		a->sipi_vector = -1;
	spin_unlock_irqrestore(&a->lock, flags);
	return 0;
}
