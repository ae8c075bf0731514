// SPDX-License-Identifier: GPL-2.0
/*
 * The goldfish RTC of Android's emulator, "google,goldfish-rtc": a 64-bit
 * count of nanoseconds since the epoch, here the host's CLOCK_REALTIME
 * plus an offset that writes of the time set, and a one-shot alarm.
 *
 * The alarm is looked for on every register access, so that the status
 * registers are right whenever the guest reads them, and by an alarm
 * thread (rtc_alarm.c), started by the guest's first alarm, that waits
 * for the alarm's time so that the interrupt comes when it should.
 *
 * Setting the time takes two writes, TIME_HIGH then TIME_LOW, as Linux
 * makes them: the first is held until the second, so that the clock does
 * not pass through a mix of old and new halves, which could be past an
 * alarm. A TIME_LOW write alone keeps the high half.
 */
#include <stdlib.h>
#include <time.h>

#include "rtc.h"
#include "rtc_alarm.h"

#define TIME_LOW		0x00	/* reading latches TIME_HIGH, writing */
#define TIME_HIGH		0x04	/* sets the time with TIME_HIGH's */
#define ALARM_LOW		0x08	/* writing it arms the alarm */
#define ALARM_HIGH		0x0c
#define IRQ_ENABLED		0x10
#define CLEAR_ALARM		0x14
#define ALARM_STATUS		0x18
#define CLEAR_INTERRUPT		0x1c

#define NSEC			1000000000LL

struct goldfish_rtc {
	struct device dev;
	struct irq_line *irq;
	int level;		/* last level given to @irq */
	/* Guest time minus host time, in nanoseconds. */
	int64_t offset;
	/* TIME_HIGH as the last read of TIME_LOW latched it. */
	uint32_t time_high;
	/* TIME_HIGH as written, for the next TIME_LOW write. */
	uint32_t new_high;
	bool new_high_set;
	uint64_t alarm;
	bool armed, pending;
	uint32_t irq_enabled;
	/* Set for the alarm's host time while the alarm is armed. */
	struct rtc_alarm timer;
};

static struct goldfish_rtc *to_goldfish(struct device *dev)
{
	return (struct goldfish_rtc *)((char *)dev -
				       offsetof(struct goldfish_rtc, dev));
}

static int64_t host_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * NSEC + ts.tv_nsec;
}

static uint64_t guest_ns(const struct goldfish_rtc *g)
{
	return (uint64_t)(host_ns() + g->offset);
}

/* An armed alarm whose time has come fires, once. */
static void check_alarm(struct goldfish_rtc *g)
{
	int level;

	if (g->armed && guest_ns(g) >= g->alarm) {
		g->armed = false;
		g->pending = true;
	}
	level = g->pending && (g->irq_enabled & 1);
	if (level != g->level) {
		g->level = level;
		irq_set(g->irq, level);
	}
}

/* Looks for the alarm; sets the timer for it while it is armed. */
static void update(struct goldfish_rtc *g)
{
	struct timespec at;
	int64_t when;

	check_alarm(g);
	if (!g->armed) {
		rtc_alarm_disarm(&g->timer);
		return;
	}
	/* Host time of the alarm; the guest's is offset from it. */
	when = (int64_t)(g->alarm - (uint64_t)g->offset);
	at.tv_sec = when / NSEC;
	at.tv_nsec = when % NSEC;
	if (at.tv_nsec < 0) {
		at.tv_sec--;
		at.tv_nsec += NSEC;
	}
	rtc_alarm_arm(&g->timer, &at);
}

static void timer_fire(struct rtc_alarm *timer)
{
	update(container_of(timer, struct goldfish_rtc, timer));
}

/* The guest time becomes @t. */
static void set_time(struct goldfish_rtc *g, uint64_t t)
{
	g->offset = (int64_t)(t - (uint64_t)host_ns());
}

static uint32_t reg_read(struct goldfish_rtc *g, uint64_t off)
{
	uint64_t t;

	check_alarm(g);
	switch (off) {
	case TIME_LOW:
		t = guest_ns(g);
		g->time_high = t >> 32;
		return (uint32_t)t;
	case TIME_HIGH:
		return g->time_high;
	case ALARM_LOW:
		return (uint32_t)g->alarm;
	case ALARM_HIGH:
		return g->alarm >> 32;
	case IRQ_ENABLED:
		return g->irq_enabled;
	case ALARM_STATUS:
		return g->armed;
	}
	return 0;
}

static void reg_write(struct goldfish_rtc *g, uint64_t off, uint32_t val)
{
	uint64_t t;

	check_alarm(g);
	switch (off) {
	case TIME_LOW:
		t = guest_ns(g) >> 32;
		if (g->new_high_set)
			t = g->new_high;
		g->new_high_set = false;
		set_time(g, t << 32 | val);
		break;
	case TIME_HIGH:
		g->new_high = val;
		g->new_high_set = true;
		break;
	case ALARM_LOW:
		g->alarm = (g->alarm & ~0xffffffffULL) | val;
		g->armed = true;
		break;
	case ALARM_HIGH:
		g->alarm = (g->alarm & 0xffffffffULL) | (uint64_t)val << 32;
		break;
	case IRQ_ENABLED:
		g->irq_enabled = val & 1;
		break;
	case CLEAR_ALARM:
		g->armed = false;
		break;
	case CLEAR_INTERRUPT:
		g->pending = false;
		break;
	}
	update(g);
}

/*
 * Registers are words at word offsets; narrower reads give their low
 * bytes. Accesses off a word's start are not a driver's: they read 0
 * and write nothing.
 */
static uint64_t goldfish_read(struct device *dev, uint64_t off,
			      unsigned int len)
{
	uint64_t val = off & 3 ? 0 : reg_read(to_goldfish(dev), off);

	return io_bytes(val, len);
}

static void goldfish_write(struct device *dev, uint64_t off,
			   unsigned int len, uint64_t val)
{
	val = io_bytes(val, len);
	if (!(off & 3))
		reg_write(to_goldfish(dev), off, val);
}

static const struct device_ops goldfish_ops = {
	.read = goldfish_read,
	.write = goldfish_write,
};

struct goldfish_rtc *goldfish_rtc_create(uint64_t base, struct irq_line *irq)
{
	struct goldfish_rtc *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	device_init(&g->dev, "goldfish-rtc", IO_MMIO, base, GOLDFISH_RTC_SIZE,
		    &goldfish_ops);
	if (rtc_alarm_init(&g->timer, &g->dev, timer_fire)) {
		free(g);
		return NULL;
	}
	g->irq = irq;
	return g;
}

struct device *goldfish_rtc_device(struct goldfish_rtc *rtc)
{
	return &rtc->dev;
}

void goldfish_rtc_destroy(struct goldfish_rtc *rtc)
{
	if (!rtc)
		return;
	rtc_alarm_destroy(&rtc->timer);
	pthread_mutex_destroy(&rtc->dev.lock);
	free(rtc);
}
