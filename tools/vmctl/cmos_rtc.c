// SPDX-License-Identifier: GPL-2.0
/*
 * The PC's MC146818 real-time clock and its CMOS RAM, at an index port
 * and a data port (0x70 and 0x71).
 *
 * The time is the host's UTC clock plus an offset, broken down when the
 * guest reads it, in BCD or binary and 12 or 24 hour form as register B
 * asks. Writes of a time register move the offset; while register B's
 * SET bit stops the clock, written fields are held as written and become
 * the offset when SET is cleared, so that a date written field by field
 * passes through no invalid days. Day of the week always follows the
 * date. The update-ended, alarm and periodic flags of register C are
 * worked out when the guest reads it, from the time since its last read;
 * nothing raises the interrupt, for want of a timer.
 */
#include <stdlib.h>
#include <time.h>

#include "rtc.h"

#define RTC_SECONDS		0x00
#define RTC_SECONDS_ALARM	0x01
#define RTC_MINUTES		0x02
#define RTC_MINUTES_ALARM	0x03
#define RTC_HOURS		0x04
#define RTC_HOURS_ALARM		0x05
#define RTC_DAY_OF_WEEK		0x06
#define RTC_DAY_OF_MONTH	0x07
#define RTC_MONTH		0x08
#define RTC_YEAR		0x09
#define RTC_REG_A		0x0a
#define RTC_REG_B		0x0b
#define RTC_REG_C		0x0c
#define RTC_REG_D		0x0d
#define RTC_CENTURY		0x32	/* where ACPI's FADT says, on PCs */
#define CMOS_BYTES		128

#define A_UIP		0x80	/* update in progress */
#define A_DV_NORMAL	0x20	/* 32.768 kHz time base, running */
#define A_RS		0x0f	/* periodic rate */

#define B_SET		0x80
#define B_PIE		0x40
#define B_AIE		0x20
#define B_UIE		0x10
#define B_DM_BINARY	0x04
#define B_24H		0x02

#define C_IRQF		0x80
#define C_PF		0x40
#define C_AF		0x20
#define C_UF		0x10

#define D_VRT		0x80	/* valid RAM and time: the battery is good */

#define HOURS_PM	0x80	/* in 12 hour form */
#define ALARM_ANY	0xc0	/* alarm bytes from 0xc0 match any value */

#define NSEC		1000000000LL
/* UIP rises 244 us before each update, as 8 cycles of 32.768 kHz. */
#define UIP_NSEC	(8 * NSEC / 32768)

struct cmos_rtc {
	struct device dev;
	uint8_t index;
	/* Alarms, registers A and B, and plain RAM; not the time. */
	uint8_t ram[CMOS_BYTES];
	/* Guest time minus host time, in seconds. */
	int64_t offset;
	/* The time as written while SET holds the clock. */
	struct tm held;
	/* Host time of the last read of register C. */
	int64_t c_read_ns;
};

static struct cmos_rtc *to_cmos(struct device *dev)
{
	return (struct cmos_rtc *)((char *)dev -
				   offsetof(struct cmos_rtc, dev));
}

static int64_t host_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * NSEC + ts.tv_nsec;
}

/* Seconds, rounding towards minus infinity. */
static int64_t ns_to_sec(int64_t ns)
{
	return ns / NSEC - (ns % NSEC < 0);
}

static void guest_tm(const struct cmos_rtc *r, struct tm *tm)
{
	time_t t;

	if (r->ram[RTC_REG_B] & B_SET) {
		*tm = r->held;
		return;
	}
	t = ns_to_sec(host_ns()) + r->offset;
	gmtime_r(&t, tm);
}

static uint8_t encode(const struct cmos_rtc *r, unsigned int val)
{
	if (r->ram[RTC_REG_B] & B_DM_BINARY)
		return val;
	return (val / 10) << 4 | val % 10;
}

static unsigned int decode(const struct cmos_rtc *r, uint8_t val)
{
	if (r->ram[RTC_REG_B] & B_DM_BINARY)
		return val;
	return (val >> 4) * 10 + (val & 0xf);
}

static uint8_t encode_hours(const struct cmos_rtc *r, unsigned int hour)
{
	if (r->ram[RTC_REG_B] & B_24H)
		return encode(r, hour);
	/* 12, 1, ..., 11 AM, then the same PM. */
	return encode(r, hour % 12 ? hour % 12 : 12) |
	       (hour >= 12 ? HOURS_PM : 0);
}

static unsigned int decode_hours(const struct cmos_rtc *r, uint8_t val)
{
	if (r->ram[RTC_REG_B] & B_24H)
		return decode(r, val);
	return decode(r, val & ~HOURS_PM) % 12 + (val & HOURS_PM ? 12 : 0);
}

static uint8_t read_time(const struct cmos_rtc *r, uint8_t reg)
{
	struct tm tm;
	int year;

	guest_tm(r, &tm);
	year = tm.tm_year + 1900;
	switch (reg) {
	case RTC_SECONDS:
		return encode(r, tm.tm_sec);
	case RTC_MINUTES:
		return encode(r, tm.tm_min);
	case RTC_HOURS:
		return encode_hours(r, tm.tm_hour);
	case RTC_DAY_OF_WEEK:
		return encode(r, tm.tm_wday + 1);
	case RTC_DAY_OF_MONTH:
		return encode(r, tm.tm_mday);
	case RTC_MONTH:
		return encode(r, tm.tm_mon + 1);
	case RTC_YEAR:
		return encode(r, year % 100);
	default:	/* RTC_CENTURY */
		return encode(r, year / 100);
	}
}

/* The guest time becomes @tm, normalised as timegm() does. */
static void set_time(struct cmos_rtc *r, struct tm *tm)
{
	r->offset = (int64_t)timegm(tm) - ns_to_sec(host_ns());
}

static void write_time(struct cmos_rtc *r, uint8_t reg, uint8_t val)
{
	struct tm tm;
	int year;

	guest_tm(r, &tm);
	year = tm.tm_year + 1900;
	switch (reg) {
	case RTC_SECONDS:
		tm.tm_sec = decode(r, val);
		break;
	case RTC_MINUTES:
		tm.tm_min = decode(r, val);
		break;
	case RTC_HOURS:
		tm.tm_hour = decode_hours(r, val);
		break;
	case RTC_DAY_OF_WEEK:
		/* Held while SET is; the date decides it afterwards. */
		tm.tm_wday = decode(r, val) - 1;
		break;
	case RTC_DAY_OF_MONTH:
		tm.tm_mday = decode(r, val);
		break;
	case RTC_MONTH:
		tm.tm_mon = decode(r, val) - 1;
		break;
	case RTC_YEAR:
		tm.tm_year = year / 100 * 100 + decode(r, val) - 1900;
		break;
	default:	/* RTC_CENTURY */
		tm.tm_year = decode(r, val) * 100 + year % 100 - 1900;
		break;
	}
	if (r->ram[RTC_REG_B] & B_SET)
		r->held = tm;
	else
		set_time(r, &tm);
}

static bool is_time_reg(uint8_t reg)
{
	switch (reg) {
	case RTC_SECONDS:
	case RTC_MINUTES:
	case RTC_HOURS:
	case RTC_DAY_OF_WEEK:
	case RTC_DAY_OF_MONTH:
	case RTC_MONTH:
	case RTC_YEAR:
	case RTC_CENTURY:
		return true;
	}
	return false;
}

static bool alarm_match(const struct cmos_rtc *r, int64_t t)
{
	unsigned int sod = (unsigned int)(((t % 86400) + 86400) % 86400);
	uint8_t s = r->ram[RTC_SECONDS_ALARM];
	uint8_t m = r->ram[RTC_MINUTES_ALARM];
	uint8_t h = r->ram[RTC_HOURS_ALARM];

	return (s >= ALARM_ANY || s == encode(r, sod % 60)) &&
	       (m >= ALARM_ANY || m == encode(r, sod / 60 % 60)) &&
	       (h >= ALARM_ANY || h == encode_hours(r, sod / 3600));
}

/*
 * Register C's flags for the time since its last read: an update each
 * second, the alarm when one of those seconds matched it, the periodic
 * flag when a period ended.
 */
static uint8_t read_c(struct cmos_rtc *r)
{
	int64_t now = host_ns(), then = r->c_read_ns;
	int64_t from = ns_to_sec(then) + r->offset;
	int64_t to = ns_to_sec(now) + r->offset;
	unsigned int rate = r->ram[RTC_REG_A] & A_RS;
	uint8_t b = r->ram[RTC_REG_B], c = 0;
	int64_t t, period;

	r->c_read_ns = now;
	if (!(b & B_SET) && to > from) {
		c |= C_UF;
		/* A day of seconds shows every match there is. */
		if (to - from > 86400)
			from = to - 86400;
		for (t = from + 1; t <= to; t++) {
			if (alarm_match(r, t)) {
				c |= C_AF;
				break;
			}
		}
	}
	if (rate && (r->ram[RTC_REG_A] & 0x70) == A_DV_NORMAL) {
		/* Rates 1 and 2 are 256 and 128 Hz, then 32768 >> (rate-1). */
		period = (rate < 3 ? 1LL << (rate + 6) : 1LL << (rate - 1)) *
			 NSEC / 32768;
		if (now / period != then / period)
			c |= C_PF;
	}
	if (c & ((b & B_PIE ? C_PF : 0) | (b & B_AIE ? C_AF : 0) |
		 (b & B_UIE ? C_UF : 0)))
		c |= C_IRQF;
	return c;
}

static uint8_t read_a(const struct cmos_rtc *r)
{
	uint8_t a = r->ram[RTC_REG_A];

	/* Only the last 244 us of each second, and never while SET. */
	if (!(r->ram[RTC_REG_B] & B_SET) && host_ns() % NSEC >= NSEC - UIP_NSEC)
		a |= A_UIP;
	return a;
}

static void write_b(struct cmos_rtc *r, uint8_t val)
{
	uint8_t old = r->ram[RTC_REG_B];

	/* SET stops updates, and with them the update interrupt. */
	if (val & B_SET)
		val &= ~B_UIE;
	if ((val & B_SET) && !(old & B_SET))
		guest_tm(r, &r->held);
	r->ram[RTC_REG_B] = val;
	if (!(val & B_SET) && (old & B_SET))
		set_time(r, &r->held);
}

static uint8_t port_read(struct cmos_rtc *r, uint64_t off)
{
	uint8_t reg = r->index;

	/* The index port is write-only. */
	if (off == 0)
		return 0xff;
	if (is_time_reg(reg))
		return read_time(r, reg);
	switch (reg) {
	case RTC_REG_A:
		return read_a(r);
	case RTC_REG_C:
		return read_c(r);
	case RTC_REG_D:
		return D_VRT;
	}
	return r->ram[reg];
}

static void port_write(struct cmos_rtc *r, uint64_t off, uint8_t val)
{
	uint8_t reg = r->index;

	/* Bit 7 of the index disables NMIs on PCs; there are none here. */
	if (off == 0) {
		r->index = val & (CMOS_BYTES - 1);
		return;
	}
	if (is_time_reg(reg)) {
		write_time(r, reg, val);
		return;
	}
	switch (reg) {
	case RTC_REG_A:
		r->ram[reg] = val & ~A_UIP;
		break;
	case RTC_REG_B:
		write_b(r, val);
		break;
	case RTC_REG_C:
	case RTC_REG_D:
		/* Read-only. */
		break;
	default:
		r->ram[reg] = val;
		break;
	}
}

/*
 * A word access is one to each port, as an ISA bus splits it: outw to
 * the index port selects a register and writes it.
 */
static uint64_t cmos_read(struct device *dev, uint64_t off, unsigned int len)
{
	struct cmos_rtc *r = to_cmos(dev);
	uint64_t val = 0;
	unsigned int i;

	for (i = 0; i < len; i++)
		val |= (uint64_t)port_read(r, off + i) << (8 * i);
	return val;
}

static void cmos_write(struct device *dev, uint64_t off, unsigned int len,
		       uint64_t val)
{
	struct cmos_rtc *r = to_cmos(dev);
	unsigned int i;

	for (i = 0; i < len; i++)
		port_write(r, off + i, val >> (8 * i));
}

static const struct device_ops cmos_ops = {
	.read = cmos_read,
	.write = cmos_write,
};

struct cmos_rtc *cmos_rtc_create(uint64_t base)
{
	struct cmos_rtc *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	device_init(&r->dev, "cmos-rtc", IO_PIO, base, CMOS_RTC_SIZE, &cmos_ops);
	/* What PC firmware leaves: 32.768 kHz, 1024 Hz rate, BCD, 24 h. */
	r->ram[RTC_REG_A] = A_DV_NORMAL | 0x06;
	r->ram[RTC_REG_B] = B_24H;
	r->c_read_ns = host_ns();
	return r;
}

struct device *cmos_rtc_device(struct cmos_rtc *rtc)
{
	return &rtc->dev;
}

void cmos_rtc_destroy(struct cmos_rtc *rtc)
{
	if (!rtc)
		return;
	pthread_mutex_destroy(&rtc->dev.lock);
	free(rtc);
}
