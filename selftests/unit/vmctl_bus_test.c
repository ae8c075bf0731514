// SPDX-License-Identifier: GPL-2.0
/*
 * vmctl's bus and guest_ptr(): which device an access reaches, refused
 * overlaps, accesses that run past a device, and guest addresses that
 * leave RAM however they wrap.
 * Links: tools/vmctl/bus.c
 */
#include <errno.h>

#include "kselftest_harness.h"
#include "vmctl.h"

struct regs_dev {
	struct device dev;
	uint64_t last_off;
	unsigned int last_len;
	uint64_t last_val;
	int reads, writes;
};

static uint64_t regs_read(struct device *d, uint64_t off, unsigned int len)
{
	struct regs_dev *r = container_of(d, struct regs_dev, dev);

	r->reads++;
	r->last_off = off;
	r->last_len = len;
	return 0x1122334455667788ULL;
}

static void regs_write(struct device *d, uint64_t off, unsigned int len,
		       uint64_t val)
{
	struct regs_dev *r = container_of(d, struct regs_dev, dev);

	r->writes++;
	r->last_off = off;
	r->last_len = len;
	r->last_val = val;
}

static const struct device_ops regs_ops = {
	.read = regs_read,
	.write = regs_write,
};

static void regs_init(struct regs_dev *r, enum io_space space,
		      uint64_t base, uint64_t size)
{
	memset(r, 0, sizeof(*r));
	device_init(&r->dev, "regs", space, base, size, &regs_ops);
}

TEST(routes_by_space_and_address)
{
	struct regs_dev a, b, p;
	struct bus bus = { 0 };
	uint64_t v;

	regs_init(&a, IO_MMIO, 0x1000, 0x100);
	regs_init(&b, IO_MMIO, 0x2000, 0x100);
	regs_init(&p, IO_PIO, 0x1000, 8);
	ASSERT_EQ(0, bus_add(&bus, &b.dev));
	ASSERT_EQ(0, bus_add(&bus, &a.dev));
	ASSERT_EQ(0, bus_add(&bus, &p.dev));
	/* Kept in address order. */
	EXPECT_EQ(&a.dev, bus.head[IO_MMIO]);
	EXPECT_EQ(&b.dev, bus.head[IO_MMIO]->next);

	v = 0xab;
	EXPECT_TRUE(bus_access(&bus, IO_MMIO, 0x2010, 1, true, &v));
	EXPECT_EQ(1, b.writes);
	EXPECT_EQ(0x10, b.last_off);
	EXPECT_EQ(0xab, b.last_val);
	EXPECT_EQ(0, a.writes);
	EXPECT_TRUE(bus_access(&bus, IO_PIO, 0x1004, 4, false, &v));
	EXPECT_EQ(1, p.reads);
	EXPECT_EQ(4, p.last_off);
	EXPECT_EQ(0, a.reads);
	EXPECT_EQ(0x1122334455667788ULL, v);
}

TEST(refuses_overlaps_and_bad_ranges)
{
	struct regs_dev a, over, wrap, empty, edge;
	struct bus bus = { 0 };

	regs_init(&a, IO_MMIO, 0x1000, 0x100);
	ASSERT_EQ(0, bus_add(&bus, &a.dev));
	regs_init(&over, IO_MMIO, 0x10ff, 1);
	EXPECT_EQ(-EEXIST, bus_add(&bus, &over.dev));
	regs_init(&over, IO_MMIO, 0x0, 0x2000);
	EXPECT_EQ(-EEXIST, bus_add(&bus, &over.dev));
	regs_init(&wrap, IO_MMIO, ~0ULL - 10, 0x100);
	EXPECT_EQ(-EINVAL, bus_add(&bus, &wrap.dev));
	regs_init(&empty, IO_MMIO, 0x3000, 0);
	EXPECT_EQ(-EINVAL, bus_add(&bus, &empty.dev));
	/* The last byte of the address space is a fine place. */
	regs_init(&edge, IO_MMIO, ~0ULL, 1);
	EXPECT_EQ(0, bus_add(&bus, &edge.dev));
	/* The same range in the other space is another range. */
	regs_init(&over, IO_PIO, 0x1000, 0x100);
	EXPECT_EQ(0, bus_add(&bus, &over.dev));
}

TEST(misses_read_all_ones_and_touch_nothing)
{
	struct regs_dev a;
	struct bus bus = { 0 };
	uint64_t v = 0;

	regs_init(&a, IO_MMIO, 0x1000, 0x10);
	ASSERT_EQ(0, bus_add(&bus, &a.dev));
	EXPECT_FALSE(bus_access(&bus, IO_MMIO, 0x2000, 4, false, &v));
	EXPECT_EQ(~0ULL, v);
	/* Straddling the device's end: no device covers it. */
	EXPECT_FALSE(bus_access(&bus, IO_MMIO, 0x100e, 4, false, &v));
	EXPECT_FALSE(bus_access(&bus, IO_MMIO, 0x0ffe, 4, true, &v));
	/* Widths the exits never have. */
	EXPECT_FALSE(bus_access(&bus, IO_MMIO, 0x1000, 0, false, &v));
	EXPECT_FALSE(bus_access(&bus, IO_MMIO, 0x1000, 16, false, &v));
	EXPECT_FALSE(bus_access(&bus, IO_SPACES, 0x1000, 4, false, &v));
	EXPECT_EQ(0, a.reads);
	EXPECT_EQ(0, a.writes);
	/* The last bytes of the device are its own. */
	EXPECT_TRUE(bus_access(&bus, IO_MMIO, 0x100c, 4, false, &v));
	EXPECT_EQ(0xc, a.last_off);
}

TEST(guest_ptr_stays_in_ram)
{
	static uint8_t buf[4096];
	uint8_t *ram = buf;
	struct guest_mem m = { .host = ram, .base = 0x80000000, .size = 4096 };

	EXPECT_EQ(ram, guest_ptr(&m, 0x80000000, 4096));
	EXPECT_EQ(ram + 4095, guest_ptr(&m, 0x80000fff, 1));
	EXPECT_EQ(ram + 4096, guest_ptr(&m, 0x80001000, 0));
	EXPECT_EQ(NULL, guest_ptr(&m, 0x80000fff, 2));
	EXPECT_EQ(NULL, guest_ptr(&m, 0x7fffffff, 1));
	EXPECT_EQ(NULL, guest_ptr(&m, 0x80000000, 4097));
	EXPECT_EQ(NULL, guest_ptr(&m, 0x80000001, ~0ULL));
	EXPECT_EQ(NULL, guest_ptr(&m, ~0ULL, 2));
	EXPECT_EQ(NULL, guest_ptr(&m, 0, 0x80000001));
}

TEST_HARNESS_MAIN
