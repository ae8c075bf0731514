// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit test of vmctl's real-time clocks: the CMOS RTC, the PL031
 * and the goldfish RTC, driven through the bus as guest drivers drive
 * them and read against the host's clock.
 * Links: tools/vmctl/cmos_rtc.c tools/vmctl/pl031.c tools/vmctl/rtc_alarm.c
 * Links: tools/vmctl/goldfish_rtc.c tools/vmctl/bus.c
 */
#define _GNU_SOURCE
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rtc.h"
#include "vmctl.h"

#include "kselftest_harness.h"

/* The fake line is set from the RTC threads too. */
struct fake_irq {
	struct irq_line line;
	int level;
};

static void fake_set(struct irq_line *line, int level)
{
	struct fake_irq *f = line->opaque;

	__atomic_store_n(&f->level, level, __ATOMIC_SEQ_CST);
}

static void fake_init(struct fake_irq *f)
{
	memset(f, 0, sizeof(*f));
	f->line.set = fake_set;
	f->line.opaque = f;
}

static int level(struct fake_irq *f)
{
	return __atomic_load_n(&f->level, __ATOMIC_SEQ_CST);
}

/* Waits up to @ms for the line to go to @want; its level then. */
static int wait_level(struct fake_irq *f, int want, int ms)
{
	while (level(f) != want && ms-- > 0)
		usleep(1000);
	return level(f);
}

static uint64_t rd(struct bus *bus, enum io_space sp, uint64_t addr,
		   unsigned int len)
{
	uint64_t val = 0;

	bus_access(bus, sp, addr, len, false, &val);
	return val;
}

static void wr(struct bus *bus, enum io_space sp, uint64_t addr,
	       unsigned int len, uint64_t val)
{
	bus_access(bus, sp, addr, len, true, &val);
}

static long long diff(long long a, long long b)
{
	return a > b ? a - b : b - a;
}

/* CMOS RTC. */

FIXTURE(cmos) {
	struct bus bus;
	struct cmos_rtc *rtc;
};

FIXTURE_SETUP(cmos)
{
	memset(&self->bus, 0, sizeof(self->bus));
	self->rtc = cmos_rtc_create(CMOS_RTC_BASE);
	ASSERT_NE(NULL, self->rtc);
	ASSERT_EQ(0, bus_add(&self->bus, cmos_rtc_device(self->rtc)));
}

FIXTURE_TEARDOWN(cmos)
{
	cmos_rtc_destroy(self->rtc);
}

static int cmos_in(struct bus *bus, unsigned int reg)
{
	wr(bus, IO_PIO, 0x70, 1, reg);
	return (int)rd(bus, IO_PIO, 0x71, 1);
}

static void cmos_out(struct bus *bus, unsigned int reg, unsigned int val)
{
	wr(bus, IO_PIO, 0x70, 1, reg);
	wr(bus, IO_PIO, 0x71, 1, val);
}

#define IN(reg)		cmos_in(&self->bus, reg)
#define OUT(reg, v)	cmos_out(&self->bus, reg, v)

static int bcd(int v)
{
	return (v >> 4) * 10 + (v & 0xf);
}

/* The clock's time as register B says to read it, as seconds. */
static long long cmos_time(struct bus *bus)
{
	int b = cmos_in(bus, 0x0b);
	int f[7] = {
		cmos_in(bus, 0x00), cmos_in(bus, 0x02), cmos_in(bus, 0x04),
		cmos_in(bus, 0x07), cmos_in(bus, 0x08), cmos_in(bus, 0x09),
		cmos_in(bus, 0x32),
	};
	struct tm tm = { 0 };
	int i, pm = 0;

	if (!(b & 0x02)) {
		pm = f[2] & 0x80;
		f[2] &= 0x7f;
	}
	for (i = 0; i < 7 && !(b & 0x04); i++)
		f[i] = bcd(f[i]);
	if (!(b & 0x02))
		f[2] = f[2] % 12 + (pm ? 12 : 0);
	tm.tm_sec = f[0];
	tm.tm_min = f[1];
	tm.tm_hour = f[2];
	tm.tm_mday = f[3];
	tm.tm_mon = f[4] - 1;
	tm.tm_year = f[6] * 100 + f[5] - 1900;
	return timegm(&tm);
}

TEST_F(cmos, bcd_24h_is_host_time)
{
	time_t t = time(NULL);
	struct tm tm;

	EXPECT_EQ(0x02, IN(0x0b));	/* BCD, 24 hours */
	EXPECT_GE(2, diff(cmos_time(&self->bus), t));
	/* Day of the week, 1 for Sunday, follows the date. */
	gmtime_r(&t, &tm);
	EXPECT_EQ(tm.tm_wday + 1, bcd(IN(0x06)));
}

TEST_F(cmos, binary_is_host_time)
{
	OUT(0x0b, 0x06);
	EXPECT_EQ(0x06, IN(0x0b));
	EXPECT_GE(2, diff(cmos_time(&self->bus), time(NULL)));
	/* Binary: no BCD digits above 9 when the value is over 9. */
	EXPECT_LT(IN(0x08), 13);
	EXPECT_GE(IN(0x32), 20);
}

TEST_F(cmos, set_time_with_set_bit)
{
	struct tm tm = {
		.tm_year = 2024 - 1900, .tm_mon = 1, .tm_mday = 29,
		.tm_hour = 23, .tm_min = 59, .tm_sec = 10,
	};

	/* Linux's way: SET, all fields, SET off. */
	OUT(0x0b, 0x82);
	OUT(0x00, 0x10);
	OUT(0x02, 0x59);
	OUT(0x04, 0x23);
	OUT(0x07, 0x29);
	OUT(0x08, 0x02);
	OUT(0x09, 0x24);
	OUT(0x32, 0x20);
	/* Held as written while SET is. */
	EXPECT_EQ(0x10, IN(0x00));
	EXPECT_EQ(0x29, IN(0x07));
	OUT(0x0b, 0x02);
	EXPECT_GE(2, diff(cmos_time(&self->bus), timegm(&tm)));
	EXPECT_EQ(0x29, IN(0x07));
	EXPECT_EQ(0x02, IN(0x08));
	EXPECT_EQ(0x24, IN(0x09));
	EXPECT_EQ(0x20, IN(0x32));
	EXPECT_EQ(0x05, IN(0x06));	/* a Thursday */
}

TEST_F(cmos, fields_pass_through_invalid_dates)
{
	/* January 31st, then February 28th, month first. */
	OUT(0x0b, 0x82);
	OUT(0x07, 0x31);
	OUT(0x08, 0x01);
	OUT(0x09, 0x23);
	OUT(0x32, 0x20);
	OUT(0x04, 0x12);
	OUT(0x0b, 0x02);
	EXPECT_EQ(0x31, IN(0x07));
	OUT(0x0b, 0x82);
	OUT(0x08, 0x02);
	OUT(0x07, 0x28);
	OUT(0x0b, 0x02);
	EXPECT_EQ(0x02, IN(0x08));
	EXPECT_EQ(0x28, IN(0x07));
}

TEST_F(cmos, write_without_set_keeps_offset)
{
	long long before, after;
	time_t t;
	struct tm tm;

	/* A century on, and the clock keeps the change. */
	before = cmos_time(&self->bus);
	OUT(0x32, 0x21);
	after = cmos_time(&self->bus);
	t = before;
	gmtime_r(&t, &tm);
	tm.tm_year += 100;
	EXPECT_GE(2, diff(after, timegm(&tm)));
	usleep(1100000);
	EXPECT_GE(3, diff(cmos_time(&self->bus) - after, 1));
	EXPECT_EQ(0x21, IN(0x32));
}

TEST_F(cmos, hours_12h)
{
	static const struct {
		int h24, bcd12, bin12;
	} cases[] = {
		{ 0x00, 0x12, 12 }, { 0x01, 0x01, 1 }, { 0x11, 0x11, 11 },
		{ 0x12, 0x92, 0x80 | 12 }, { 0x13, 0x81, 0x80 | 1 },
		{ 0x23, 0x91, 0x80 | 11 },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		OUT(0x0b, 0x02);
		OUT(0x04, cases[i].h24);
		OUT(0x0b, 0x00);	/* BCD, 12 hours */
		EXPECT_EQ(cases[i].bcd12, IN(0x04));
		OUT(0x0b, 0x04);	/* binary, 12 hours */
		EXPECT_EQ(cases[i].bin12, IN(0x04));
		/* And written in 12 hour form, read in 24. */
		OUT(0x04, cases[i].bin12);
		OUT(0x0b, 0x02);
		EXPECT_EQ(cases[i].h24, IN(0x04));
	}
}

TEST_F(cmos, status_registers)
{
	struct timespec t0, t;
	int i, uip = 0, a = 0x80;

	EXPECT_EQ(0x26, IN(0x0a) & 0x7f);
	EXPECT_EQ(0x80, IN(0x0d));	/* valid RAM and time */
	OUT(0x0d, 0x00);
	EXPECT_EQ(0x80, IN(0x0d));
	OUT(0x0a, 0xa0);		/* UIP is read-only */
	EXPECT_EQ(0x20, IN(0x0a) & 0x7f);
	/*
	 * UIP comes for the last 244 us of a second, and never sticks.
	 * Sleep to 2 ms before each of up to 10 second boundaries and poll
	 * across it, so that a busy machine that preempts one poll does not
	 * miss every window.
	 */
	for (i = 0; i < 10 && !uip; i++) {
		clock_gettime(CLOCK_REALTIME, &t0);
		if (t0.tv_nsec < 998000000)
			usleep((998000000 - t0.tv_nsec) / 1000);
		do {
			uip = IN(0x0a) & 0x80;
			clock_gettime(CLOCK_REALTIME, &t);
		} while (!uip && (t.tv_sec == t0.tv_sec ||
				  t.tv_nsec < 1000000));
	}
	EXPECT_NE(0, uip);
	for (i = 0; i < 1000; i++) {
		a = IN(0x0a);
		if (!(a & 0x80))
			break;
		usleep(10);
	}
	EXPECT_EQ(0, a & 0x80);
	/* While SET holds the clock, never. */
	OUT(0x0b, 0x82);
	for (i = 0; i < 200000; i++)
		ASSERT_EQ(0, IN(0x0a) & 0x80);
}

TEST_F(cmos, register_c_flags)
{
	int c = 0, i;

	OUT(0x0a, 0x20);		/* no periodic interrupt */
	OUT(0x0b, 0x32);		/* AIE | UIE, 24 hours */
	OUT(0x01, 0xc0);		/* alarm at any second... */
	OUT(0x03, 0xc0);
	OUT(0x05, 0xff);
	IN(0x0c);
	usleep(1100000);
	/* A second passed: update ended and the alarm matched. */
	EXPECT_EQ(0xb0, IN(0x0c));
	/* Reading cleared them (again, if a second boundary came). */
	for (i = 0; i < 5 && (c = IN(0x0c)); i++)
		;
	EXPECT_EQ(0, c);
	/*
	 * An alarm at second 30, with the clock put at second 0: it does
	 * not come in the next second.
	 */
	OUT(0x0b, 0x02);
	OUT(0x00, 0x00);
	OUT(0x01, 0x30);
	OUT(0x03, 0xc0);
	IN(0x0c);
	usleep(1100000);
	EXPECT_EQ(0x10, IN(0x0c));	/* UF alone, no IRQF without UIE */
	/* Periodic at 2 Hz: PF within half a second. */
	OUT(0x0a, 0x2f);
	IN(0x0c);
	usleep(600000);
	EXPECT_EQ(0x40, IN(0x0c) & 0x40);
	/* SET clears UIE. */
	OUT(0x0b, 0x92);
	EXPECT_EQ(0x82, IN(0x0b));
}

TEST_F(cmos, ram)
{
	int i;

	for (i = 0x0e; i < 0x80; i++)
		if (i != 0x32)
			OUT(i, i ^ 0x5a);
	for (i = 0x0e; i < 0x80; i++)
		if (i != 0x32)
			ASSERT_EQ(i ^ 0x5a, IN(i));
	/* The index's bit 7, NMI disable, does not select another byte. */
	OUT(0x80 | 0x40, 0x77);
	EXPECT_EQ(0x77, IN(0x40));
	EXPECT_EQ(0x77, IN(0xc0));
	/* The index port reads as nothing; a word out sets both. */
	EXPECT_EQ(0xff, (int)rd(&self->bus, IO_PIO, 0x70, 1));
	wr(&self->bus, IO_PIO, 0x70, 2, 0x3c41);
	EXPECT_EQ(0x3c, IN(0x41));
}

/* PL031. */

#define RTC0	0x9010000
#define RTCDR	(RTC0 + 0x00)
#define RTCMR	(RTC0 + 0x04)
#define RTCLR	(RTC0 + 0x08)
#define RTCCR	(RTC0 + 0x0c)
#define RTCIMSC	(RTC0 + 0x10)
#define RTCRIS	(RTC0 + 0x14)
#define RTCMIS	(RTC0 + 0x18)
#define RTCICR	(RTC0 + 0x1c)

FIXTURE(pl031) {
	struct bus bus;
	struct fake_irq irq;
	struct pl031 *rtc;
};

FIXTURE_SETUP(pl031)
{
	memset(&self->bus, 0, sizeof(self->bus));
	fake_init(&self->irq);
	self->rtc = pl031_create(RTC0, &self->irq.line);
	ASSERT_NE(NULL, self->rtc);
	ASSERT_EQ(0, bus_add(&self->bus, pl031_device(self->rtc)));
}

FIXTURE_TEARDOWN(pl031)
{
	pl031_destroy(self->rtc);
}

#define R32(a)		((long long)rd(&self->bus, IO_MMIO, a, 4))
#define W32(a, v)	wr(&self->bus, IO_MMIO, a, 4, v)

TEST_F(pl031, ids)
{
	static const int id[8] = {
		0x31, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1
	};
	int i;

	EXPECT_EQ(PL031_SIZE, (int)pl031_device(self->rtc)->size);
	for (i = 0; i < 8; i++)
		EXPECT_EQ(id[i], R32(RTC0 + 0xfe0 + 4 * i));
}

TEST_F(pl031, counter_is_host_time)
{
	EXPECT_GE(1, diff(R32(RTCDR), time(NULL)));
	/* It counts. */
	usleep(1100000);
	EXPECT_GE(1, diff(R32(RTCDR), time(NULL)));
}

TEST_F(pl031, load_sets_offset)
{
	long long t;

	W32(RTCLR, 1000000);
	EXPECT_EQ(1000000, R32(RTCLR));
	t = R32(RTCDR);
	EXPECT_GE(1, diff(t, 1000000));
	usleep(1100000);
	EXPECT_GE(1, diff(R32(RTCDR), t + 1));
	/* Past 2038 too: the counter is unsigned. */
	W32(RTCLR, 0xf0000000);
	EXPECT_GE(1, diff(R32(RTCDR), 0xf0000000));
}

TEST_F(pl031, control)
{
	EXPECT_EQ(0, R32(RTCCR));
	W32(RTCCR, 1);
	EXPECT_EQ(1, R32(RTCCR));
	/* Started, it stays started. */
	W32(RTCCR, 0);
	EXPECT_EQ(1, R32(RTCCR));
}

TEST_F(pl031, match_interrupt)
{
	long long now = R32(RTCDR);

	/* A match in the past does not fire; one now does, at once. */
	W32(RTCMR, now - 10);
	EXPECT_EQ(0, R32(RTCRIS));
	W32(RTCMR, R32(RTCDR));
	EXPECT_EQ(1, R32(RTCRIS));
	EXPECT_EQ(0, R32(RTCMIS));
	EXPECT_EQ(0, level(&self->irq));
	W32(RTCICR, 1);
	EXPECT_EQ(0, R32(RTCRIS));

	/* Unmasked, the thread raises the next one in time. */
	W32(RTCIMSC, 1);
	EXPECT_EQ(1, R32(RTCIMSC));
	W32(RTCMR, R32(RTCDR) + 1);
	EXPECT_EQ(0, level(&self->irq));
	EXPECT_EQ(1, wait_level(&self->irq, 1, 2500));
	EXPECT_EQ(1, R32(RTCMIS));
	EXPECT_EQ(1, R32(RTCRIS));
	W32(RTCICR, 1);
	EXPECT_EQ(0, level(&self->irq));
	EXPECT_EQ(0, R32(RTCRIS));
	/* Masking takes the line down with the flag still up. */
	W32(RTCMR, R32(RTCDR));
	EXPECT_EQ(1, level(&self->irq));
	W32(RTCIMSC, 0);
	EXPECT_EQ(0, level(&self->irq));
	EXPECT_EQ(1, R32(RTCRIS));
}

/* Goldfish RTC. */

#define GF0		0x101000
#define TIME_LOW	(GF0 + 0x00)
#define TIME_HIGH	(GF0 + 0x04)
#define ALARM_LOW	(GF0 + 0x08)
#define ALARM_HIGH	(GF0 + 0x0c)
#define IRQ_ENABLED	(GF0 + 0x10)
#define CLEAR_ALARM	(GF0 + 0x14)
#define ALARM_STATUS	(GF0 + 0x18)
#define CLEAR_INTERRUPT	(GF0 + 0x1c)

#define NSEC		1000000000LL

FIXTURE(goldfish) {
	struct bus bus;
	struct fake_irq irq;
	struct goldfish_rtc *rtc;
};

FIXTURE_SETUP(goldfish)
{
	memset(&self->bus, 0, sizeof(self->bus));
	fake_init(&self->irq);
	self->rtc = goldfish_rtc_create(GF0, &self->irq.line);
	ASSERT_NE(NULL, self->rtc);
	ASSERT_EQ(0, bus_add(&self->bus, goldfish_rtc_device(self->rtc)));
}

FIXTURE_TEARDOWN(goldfish)
{
	goldfish_rtc_destroy(self->rtc);
}

/* Linux's read: low, which latches high, then high. */
static long long gf_time(struct bus *bus)
{
	uint64_t lo = rd(bus, IO_MMIO, TIME_LOW, 4);

	return (long long)(rd(bus, IO_MMIO, TIME_HIGH, 4) << 32 | lo);
}

/* Linux's writes: high, then low (which arms an alarm). */
static void gf_set(struct bus *bus, uint64_t hi_reg, uint64_t ns)
{
	wr(bus, IO_MMIO, hi_reg, 4, ns >> 32);
	wr(bus, IO_MMIO, hi_reg - 4, 4, (uint32_t)ns);
}

TEST_F(goldfish, time_is_host_time)
{
	long long t = gf_time(&self->bus);

	EXPECT_EQ(GOLDFISH_RTC_SIZE, (int)goldfish_rtc_device(self->rtc)->size);
	EXPECT_GE(1, diff(t / NSEC, time(NULL)));
	EXPECT_LT(t, gf_time(&self->bus));
}

TEST_F(goldfish, set_time_and_latch)
{
	long long t0 = 1000000000LL * NSEC, hi;

	gf_set(&self->bus, TIME_HIGH, t0);
	EXPECT_GE(NSEC, diff(gf_time(&self->bus), t0));
	/* TIME_HIGH reads what the last TIME_LOW read latched... */
	hi = R32(TIME_HIGH);
	W32(TIME_HIGH, 0x10);
	EXPECT_EQ(hi, R32(TIME_HIGH));
	/* ...and a TIME_HIGH write waits for the TIME_LOW write. */
	R32(TIME_LOW);
	EXPECT_EQ(hi, R32(TIME_HIGH));
	W32(TIME_LOW, 0);
	EXPECT_EQ(0x10, gf_time(&self->bus) >> 32);
	/* TIME_LOW alone keeps the high half. */
	W32(TIME_LOW, 0x1000);
	EXPECT_EQ(0x10, gf_time(&self->bus) >> 32);
}

TEST_F(goldfish, alarm_fires)
{
	long long now = gf_time(&self->bus);

	W32(IRQ_ENABLED, 1);
	EXPECT_EQ(1, R32(IRQ_ENABLED));
	gf_set(&self->bus, ALARM_HIGH, now + NSEC / 5);
	EXPECT_EQ(1, R32(ALARM_STATUS));
	EXPECT_EQ((now + NSEC / 5) >> 32, R32(ALARM_HIGH));
	EXPECT_EQ((uint32_t)(now + NSEC / 5), R32(ALARM_LOW));
	EXPECT_EQ(0, level(&self->irq));
	EXPECT_EQ(1, wait_level(&self->irq, 1, 2000));
	EXPECT_EQ(0, R32(ALARM_STATUS));
	W32(CLEAR_INTERRUPT, 1);
	EXPECT_EQ(0, level(&self->irq));
}

TEST_F(goldfish, alarm_in_past_fires_at_once)
{
	gf_set(&self->bus, ALARM_HIGH, gf_time(&self->bus) - NSEC);
	EXPECT_EQ(0, R32(ALARM_STATUS));
	/* Pending, but the interrupt is not enabled yet. */
	EXPECT_EQ(0, level(&self->irq));
	W32(IRQ_ENABLED, 1);
	EXPECT_EQ(1, level(&self->irq));
	W32(IRQ_ENABLED, 0);
	EXPECT_EQ(0, level(&self->irq));
	W32(CLEAR_INTERRUPT, 1);
	W32(IRQ_ENABLED, 1);
	EXPECT_EQ(0, level(&self->irq));
}

TEST_F(goldfish, clear_alarm)
{
	W32(IRQ_ENABLED, 1);
	gf_set(&self->bus, ALARM_HIGH, gf_time(&self->bus) + NSEC / 10);
	EXPECT_EQ(1, R32(ALARM_STATUS));
	W32(CLEAR_ALARM, 1);
	EXPECT_EQ(0, R32(ALARM_STATUS));
	usleep(300000);
	EXPECT_EQ(0, level(&self->irq));
	EXPECT_EQ(0, R32(ALARM_STATUS));
}

TEST_F(goldfish, alarm_follows_set_time)
{
	long long t0 = 2000000000LL * NSEC;

	/* The alarm is in guest time: moving the clock to it fires it. */
	W32(IRQ_ENABLED, 1);
	gf_set(&self->bus, ALARM_HIGH, t0);
	EXPECT_EQ(1, R32(ALARM_STATUS));
	EXPECT_EQ(0, level(&self->irq));
	gf_set(&self->bus, TIME_HIGH, t0 - NSEC / 5);
	EXPECT_EQ(1, wait_level(&self->irq, 1, 2000));
	EXPECT_LE(t0, gf_time(&self->bus));
}

TEST_HARNESS_MAIN
