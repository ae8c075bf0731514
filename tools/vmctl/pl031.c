// SPDX-License-Identifier: GPL-2.0
/*
 * An ARM PrimeCell PL031 real-time clock: a 32-bit counter of seconds,
 * here the host's CLOCK_REALTIME plus an offset that loading RTCLR sets,
 * and an interrupt when the counter reaches RTCMR.
 *
 * Matches are looked for on every register access, over the seconds
 * since the last look, so RTCRIS is right whenever the guest reads it;
 * an alarm thread (rtc_alarm.c), started by the first match to come
 * while the guest has the interrupt unmasked, looks at the second of
 * each such match so that the interrupt comes in time.
 * The counter runs whether or not RTCCR has started it, as a clock that
 * firmware started would.
 */
#include <stdlib.h>
#include <time.h>

#include "rtc.h"
#include "rtc_alarm.h"

#define RTCDR		0x00
#define RTCMR		0x04
#define RTCLR		0x08
#define RTCCR		0x0c
#define RTCIMSC		0x10
#define RTCRIS		0x14
#define RTCMIS		0x18
#define RTCICR		0x1c
#define RTCPERIPHID0	0xfe0

#define CR_START	1
#define INT_RTC		1

/* Primecell PL031, revision 1, ARM; then the PrimeCell ID. */
static const uint8_t ids[8] = {
	0x31, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1
};

struct pl031 {
	struct device dev;
	struct irq_line *irq;
	int level;		/* last level given to @irq */
	/* The counter minus the host's seconds. */
	int64_t offset;
	uint32_t mr, lr, cr, imsc, ris;
	/* The counter value up to which matches have been looked for. */
	uint32_t checked;
	/* Set for the second of the next match that would interrupt. */
	struct rtc_alarm alarm;
};

static struct pl031 *to_pl031(struct device *dev)
{
	return (struct pl031 *)((char *)dev - offsetof(struct pl031, dev));
}

static int64_t host_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec;
}

static uint32_t counter(const struct pl031 *p, int64_t now)
{
	return (uint32_t)(now + p->offset);
}

/* Sets RTCRIS if the counter passed RTCMR since the last look. */
static void check_match(struct pl031 *p)
{
	uint32_t now = counter(p, host_sec());

	/* Is mr in (checked, now], counting modulo 2^32? */
	if ((uint32_t)(p->mr - p->checked - 1) < (uint32_t)(now - p->checked))
		p->ris |= INT_RTC;
	p->checked = now;
	if (!!(p->ris & p->imsc) != p->level) {
		p->level = !!(p->ris & p->imsc);
		irq_set(p->irq, p->level);
	}
}

/* Looks for a match; sets the alarm for the next that would interrupt. */
static void update(struct pl031 *p)
{
	struct timespec at = { 0 };
	int64_t now;
	uint32_t wait;

	check_match(p);
	now = host_sec();
	wait = p->mr - counter(p, now);
	if (!(p->imsc & ~p->ris) || !wait) {
		/* Masked, already raised, or 2^32 seconds away. */
		rtc_alarm_disarm(&p->alarm);
		return;
	}
	/* The counter ticks with the host's seconds. */
	at.tv_sec = now + wait;
	rtc_alarm_arm(&p->alarm, &at);
}

static void match_fire(struct rtc_alarm *alarm)
{
	update(container_of(alarm, struct pl031, alarm));
}

static uint32_t reg_read(struct pl031 *p, uint64_t off)
{
	check_match(p);
	if (off >= RTCPERIPHID0 && off < RTCPERIPHID0 + 4 * ARRAY_SIZE(ids))
		return ids[(off - RTCPERIPHID0) / 4];
	switch (off) {
	case RTCDR:
		return counter(p, host_sec());
	case RTCMR:
		return p->mr;
	case RTCLR:
		return p->lr;
	case RTCCR:
		return p->cr;
	case RTCIMSC:
		return p->imsc;
	case RTCRIS:
		return p->ris;
	case RTCMIS:
		return p->ris & p->imsc;
	}
	return 0;
}

static void reg_write(struct pl031 *p, uint64_t off, uint32_t val)
{
	check_match(p);
	switch (off) {
	case RTCMR:
		p->mr = val;
		/* A match with the current second counts. */
		p->checked = counter(p, host_sec()) - 1;
		break;
	case RTCLR:
		p->lr = val;
		p->offset = (int64_t)val - host_sec();
		p->checked = val - 1;
		break;
	case RTCCR:
		/* Once started, the clock runs until reset. */
		p->cr |= val & CR_START;
		break;
	case RTCIMSC:
		p->imsc = val & INT_RTC;
		break;
	case RTCICR:
		p->ris &= ~(val & INT_RTC);
		break;
	}
	update(p);
}

/*
 * Registers are words at word offsets; narrower reads give their low
 * bytes. Accesses off a word's start are not a driver's: they read 0
 * and write nothing.
 */
static uint64_t pl031_read(struct device *dev, uint64_t off,
			   unsigned int len)
{
	uint64_t val = off & 3 ? 0 : reg_read(to_pl031(dev), off);

	return io_bytes(val, len);
}

static void pl031_write(struct device *dev, uint64_t off, unsigned int len,
			uint64_t val)
{
	val = io_bytes(val, len);
	if (!(off & 3))
		reg_write(to_pl031(dev), off, val);
}

static const struct device_ops pl031_ops = {
	.read = pl031_read,
	.write = pl031_write,
};

struct pl031 *pl031_create(uint64_t base, struct irq_line *irq)
{
	struct pl031 *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	device_init(&p->dev, "pl031", IO_MMIO, base, PL031_SIZE, &pl031_ops);
	if (rtc_alarm_init(&p->alarm, &p->dev, match_fire)) {
		free(p);
		return NULL;
	}
	p->irq = irq;
	p->checked = counter(p, host_sec());
	return p;
}

struct device *pl031_device(struct pl031 *rtc)
{
	return &rtc->dev;
}

void pl031_destroy(struct pl031 *rtc)
{
	if (!rtc)
		return;
	rtc_alarm_destroy(&rtc->alarm);
	pthread_mutex_destroy(&rtc->dev.lock);
	free(rtc);
}
