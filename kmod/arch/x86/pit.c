// SPDX-License-Identifier: GPL-2.0
/*
 * The 8254 PIT at 0x40-0x43 and port 0x61's channel 2 gate and output.
 * Counters are computed from the monotonic clock at 1.193182 MHz, so
 * that reads track real time (Linux calibrates the TSC against channel
 * 2). Channel 0 raises IRQ 0 (8259) and GSI 2 (I/O APIC) from an
 * hrtimer, periodically in modes 2 and 3, once in the others. Not
 * emulated: BCD counting (the count is binary), channel 1's output and
 * the gates of channels 0 and 1 (always high).
 */
#include <linux/math64.h>

#include "irqchip.h"

#define PIT_HZ			1193182
#define PIT_PORT_CH0		0x40
#define PIT_PORT_CTRL		0x43
#define PIT_PORT_61		0x61
#define PORT61_GATE2		BIT(0)
#define PORT61_SPEAKER		BIT(1)
#define PORT61_REFRESH		BIT(4)
#define PORT61_OUT2		BIT(5)
#define PIT_READBACK		3
#define PIT_STATUS_OUT		BIT(7)
/* The DRAM refresh bit of port 0x61 toggles every 15.085 us. */
#define PIT_REFRESH_NS		15085
/* Channel 0 fires no faster than this, to spare the host. */
#define PIT_MIN_PERIOD_NS	50000ULL

static struct axvm_x86_chip *axvm_pit_chip(struct axvm_pit *pit)
{
	return container_of(pit, struct axvm_x86_chip, pit);
}

static u64 axvm_pit_ns(u32 count)
{
	return div_u64((u64)(count ?: 0x10000) * NSEC_PER_SEC, PIT_HZ);
}

/* Input clock ticks since the count was loaded (or the gate rose). */
static u64 axvm_pit_ticks(const struct axvm_pit_channel *c, ktime_t now)
{
	s64 ns = ktime_to_ns(ktime_sub(now, c->start));

	return ns > 0 ? mul_u64_u32_div(ns, PIT_HZ, NSEC_PER_SEC) : 0;
}

static bool axvm_pit_counting(const struct axvm_pit_channel *c)
{
	return c->loaded && c->gate;
}

static u16 axvm_pit_count(const struct axvm_pit_channel *c, ktime_t now)
{
	u32 n = c->reload ?: 0x10000;
	u64 t;

	if (!axvm_pit_counting(c))
		return c->reload;
	t = axvm_pit_ticks(c, now);
	switch (c->mode) {
	case 2:
	case 3:
		return n - do_div(t, n);
	default:
		/* Past terminal count the counter wraps and goes on. */
		return (n - t) & 0xffff;
	}
}

static bool axvm_pit_out(const struct axvm_pit_channel *c, ktime_t now)
{
	u32 n = c->reload ?: 0x10000;
	u64 t;

	if (!axvm_pit_counting(c))
		return c->mode != 0;
	t = axvm_pit_ticks(c, now);
	switch (c->mode) {
	case 0:
	case 1:
		return t >= n;
	case 2:
		return do_div(t, n) != n - 1;
	case 3:
		return do_div(t, n) < (n + 1) / 2;
	default:
		return t != n;
	}
}

/* Channel 0 was loaded: its interrupts follow; the lock is held. */
static void axvm_pit_arm(struct axvm_pit *pit)
{
	struct axvm_pit_channel *c = &pit->ch[0];
	u64 ns = axvm_pit_ns(c->reload);

	pit->period_ns = 0;
	if (c->mode == 2 || c->mode == 3) {
		ns = max(ns, PIT_MIN_PERIOD_NS);
		pit->period_ns = ns;
	}
	hrtimer_start(&pit->timer, ktime_add_ns(c->start, ns),
		      HRTIMER_MODE_ABS_HARD);
}

static enum hrtimer_restart axvm_pit_timer_fn(struct hrtimer *t)
{
	struct axvm_pit *pit = container_of(t, struct axvm_pit, timer);
	struct axvm_x86_chip *chip = axvm_pit_chip(pit);
	enum hrtimer_restart ret = HRTIMER_NORESTART;
	unsigned long flags;

	spin_lock_irqsave(&pit->lock, flags);
	if (pit->period_ns) {
		/* Ticks the host could not give are lost, not queued. */
		hrtimer_forward_now(t, ns_to_ktime(pit->period_ns));
		ret = HRTIMER_RESTART;
	}
	spin_unlock_irqrestore(&pit->lock, flags);

	/* An edge on IRQ 0 and on GSI 2. */
	axvm_pic_set_line(&chip->pic, 0, true);
	axvm_pic_set_line(&chip->pic, 0, false);
	axvm_x86_chip_pic_changed(chip);
	axvm_ioapic_set_line(chip, AXVM_PIT_IRQ_PIN, true);
	axvm_ioapic_set_line(chip, AXVM_PIT_IRQ_PIN, false);
	return ret;
}

void axvm_pit_init(struct axvm_pit *pit, struct axvm_vm *vm)
{
	unsigned int i;

	spin_lock_init(&pit->lock);
	pit->vm = vm;
	hrtimer_init(&pit->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS_HARD);
	pit->timer.function = axvm_pit_timer_fn;
	for (i = 0; i < 3; i++) {
		pit->ch[i].gate = i != 2;
		pit->ch[i].access = 3;
	}
}

void axvm_pit_destroy(struct axvm_pit *pit)
{
	hrtimer_cancel(&pit->timer);
}

bool axvm_pit_port(u16 port)
{
	return (port >= PIT_PORT_CH0 && port <= PIT_PORT_CTRL) ||
	       port == PIT_PORT_61;
}

static void axvm_pit_latch(struct axvm_pit_channel *c, ktime_t now)
{
	if (c->latched)
		return;
	c->latched = true;
	c->latch = axvm_pit_count(c, now);
	c->read_high = false;
}

static void axvm_pit_control(struct axvm_pit *pit, u8 val, ktime_t now)
{
	unsigned int i = val >> 6;
	struct axvm_pit_channel *c;

	if (i == PIT_READBACK) {
		for (i = 0; i < 3; i++) {
			if (!(val & BIT(i + 1)))
				continue;
			c = &pit->ch[i];
			/* Bits 5 and 4 are active low: count, status. */
			if (!(val & BIT(5)))
				axvm_pit_latch(c, now);
			if (!(val & BIT(4)) && !c->status_latched) {
				c->status_latched = true;
				c->status = (axvm_pit_out(c, now) ?
					     PIT_STATUS_OUT : 0) |
					    c->access << 4 | c->mode << 1 |
					    c->bcd;
			}
		}
		return;
	}
	c = &pit->ch[i];
	if (!(val & 0x30)) {
		axvm_pit_latch(c, now);
		return;
	}
	c->access = (val >> 4) & 3;
	c->mode = (val >> 1) & 7;
	if (c->mode > 5)
		c->mode -= 4;		/* 6 and 7 are 2 and 3 */
	c->bcd = val & 1;
	c->loaded = false;
	c->write_high = false;
	c->read_high = false;
	c->latched = false;
	if (i == 0) {
		/* The running callback, if any, must not re-arm it. */
		pit->period_ns = 0;
		hrtimer_try_to_cancel(&pit->timer);
	}
}

static void axvm_pit_write(struct axvm_pit *pit, unsigned int i, u8 val,
			   ktime_t now)
{
	struct axvm_pit_channel *c = &pit->ch[i];

	switch (c->access) {
	case 1:
		c->reload = val;
		break;
	case 2:
		c->reload = val << 8;
		break;
	default:
		if (!c->write_high) {
			c->reload = (c->reload & 0xff00) | val;
			c->write_high = true;
			return;
		}
		c->reload = (c->reload & 0xff) | val << 8;
		c->write_high = false;
	}
	c->loaded = true;
	c->start = now;
	if (i == 0)
		axvm_pit_arm(pit);
}

static u8 axvm_pit_read(struct axvm_pit *pit, unsigned int i, ktime_t now)
{
	struct axvm_pit_channel *c = &pit->ch[i];
	u16 v;
	u8 b;

	if (c->status_latched) {
		c->status_latched = false;
		return c->status;
	}
	v = c->latched ? c->latch : axvm_pit_count(c, now);
	switch (c->access) {
	case 1:
		c->latched = false;
		return v;
	case 2:
		c->latched = false;
		return v >> 8;
	default:
		b = c->read_high ? v >> 8 : v;
		if (c->read_high)
			c->latched = false;
		c->read_high = !c->read_high;
		return b;
	}
}

void axvm_pit_io(struct axvm_pit *pit, u16 port, bool in, u8 *val)
{
	struct axvm_pit_channel *c2 = &pit->ch[2];
	ktime_t now = ktime_get();
	unsigned long flags;
	bool gate;

	spin_lock_irqsave(&pit->lock, flags);
	if (port == PIT_PORT_61) {
		if (in) {
			*val = (c2->gate ? PORT61_GATE2 : 0) |
			       (pit->speaker ? PORT61_SPEAKER : 0) |
			       (axvm_pit_out(c2, now) ? PORT61_OUT2 : 0) |
			       ((ktime_to_ns(now) / PIT_REFRESH_NS) & 1 ?
				PORT61_REFRESH : 0);
		} else {
			gate = *val & PORT61_GATE2;
			/* A rising gate (re)starts channel 2's count. */
			if (gate && !c2->gate)
				c2->start = now;
			c2->gate = gate;
			pit->speaker = *val & PORT61_SPEAKER;
		}
	} else if (port == PIT_PORT_CTRL) {
		if (!in)
			axvm_pit_control(pit, *val, now);
		else
			*val = 0xff;
	} else if (in) {
		*val = axvm_pit_read(pit, port - PIT_PORT_CH0, now);
	} else {
		axvm_pit_write(pit, port - PIT_PORT_CH0, *val, now);
	}
	spin_unlock_irqrestore(&pit->lock, flags);
}
