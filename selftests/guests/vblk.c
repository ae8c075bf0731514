// SPDX-License-Identifier: GPL-2.0
/*
 * A bare-metal guest that drives vmctl's virtio-blk through the module's
 * MMIO exits: it negotiates VERSION_1, sets up queue 0 in its own memory,
 * reads sector 0 and prints its first line, tries to write sector 1 and
 * reports whether the device refused, checks the used-buffer interrupt
 * status, and powers off. Freestanding: the arch glue (vblk_<arch>.S)
 * gives it a stack, a UART and power-off.
 */
#include <stdint.h>

#include "vblk.h"

#define VIRTIO_MAGIC		0x000
#define VIRTIO_VERSION		0x004
#define VIRTIO_DEVICE_ID	0x008
#define VIRTIO_DEV_FEATURES	0x010
#define VIRTIO_DEV_FEATURES_SEL	0x014
#define VIRTIO_DRV_FEATURES	0x020
#define VIRTIO_DRV_FEATURES_SEL	0x024
#define VIRTIO_QUEUE_SEL	0x030
#define VIRTIO_QUEUE_NUM_MAX	0x034
#define VIRTIO_QUEUE_NUM	0x038
#define VIRTIO_QUEUE_READY	0x044
#define VIRTIO_QUEUE_NOTIFY	0x050
#define VIRTIO_INT_STATUS	0x060
#define VIRTIO_INT_ACK		0x064
#define VIRTIO_STATUS		0x070
#define VIRTIO_QUEUE_DESC	0x080
#define VIRTIO_QUEUE_DRIVER	0x090
#define VIRTIO_QUEUE_DEVICE	0x0a0

#define STATUS_ACK		1
#define STATUS_DRIVER		2
#define STATUS_DRIVER_OK	4
#define STATUS_FEATURES_OK	8

#define DESC_F_NEXT		1
#define DESC_F_WRITE		2
#define QSIZE			4

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct blk_req {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

static struct desc descs[QSIZE] __attribute__((aligned(16)));
static struct {
	uint16_t flags, idx, ring[QSIZE];
} avail __attribute__((aligned(4)));
static struct {
	uint16_t flags, idx;
	struct { uint32_t id, len; } ring[QSIZE];
} used __attribute__((aligned(4)));
static struct blk_req req;
static uint8_t data[512];
static volatile uint8_t status;

static uint32_t rd(unsigned int off)
{
	return *(volatile uint32_t *)(uintptr_t)(VBLK_VIRTIO_BASE + off);
}

static void wr(unsigned int off, uint32_t v)
{
	*(volatile uint32_t *)(uintptr_t)(VBLK_VIRTIO_BASE + off) = v;
}

static void wr64(unsigned int off, const void *p)
{
	wr(off, (uint32_t)(uintptr_t)p);
	wr(off + 4, (uint32_t)((uint64_t)(uintptr_t)p >> 32));
}

static void puts(const char *s)
{
	while (*s)
		vblk_putc(*s++);
}

static void puthex(uint32_t v)
{
	int i;

	for (i = 28; i >= 0; i -= 4)
		vblk_putc("0123456789abcdef"[(v >> i) & 15]);
}

static void fail(const char *what, uint32_t v)
{
	puts("axvm-guest: FAILED ");
	puts(what);
	puts(" ");
	puthex(v);
	puts("\n");
	vblk_poweroff();
}

/* One request of @type on @sector: the device's status byte. */
static uint8_t request(uint32_t type, uint64_t sector)
{
	uint16_t before = used.idx;

	req.type = type;
	req.sector = sector;
	status = 0xff;
	descs[0] = (struct desc){ (uintptr_t)&req, sizeof(req), DESC_F_NEXT, 1 };
	descs[1] = (struct desc){ (uintptr_t)data, sizeof(data),
				  DESC_F_NEXT | (type ? 0 : DESC_F_WRITE), 2 };
	descs[2] = (struct desc){ (uintptr_t)&status, 1, DESC_F_WRITE, 0 };
	avail.ring[avail.idx % QSIZE] = 0;
	__sync_synchronize();
	avail.idx++;
	__sync_synchronize();
	wr(VIRTIO_QUEUE_NOTIFY, 0);
	/* vmctl serves the queue while it handles the notify exit. */
	while (*(volatile uint16_t *)&used.idx == before)
		;
	__sync_synchronize();
	return status;
}

/* Flattened device tree (devicetree spec 5): big-endian cells. */
#define FDT_MAGIC	0xd00dfeed
#define FDT_BEGIN_NODE	1
#define FDT_END_NODE	2
#define FDT_PROP	3
#define FDT_NOP		4

static uint32_t be32(const void *p)
{
	const uint8_t *b = p;

	return (uint32_t)b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3];
}

static int same(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

/* A property's value as an address (one or two cells), 0: none. */
static uint64_t fdt_addr_prop(const uint8_t *dtb, const char *name)
{
	const uint8_t *p = dtb + be32(dtb + 8);		/* off_dt_struct */
	const char *strings = (const char *)dtb + be32(dtb + 12);
	uint32_t tok, len;

	if (be32(dtb) != FDT_MAGIC)
		return 0;
	for (;;) {
		tok = be32(p);
		p += 4;
		if (tok == FDT_BEGIN_NODE) {
			while (*p++)
				;
			p = dtb + ((p - dtb + 3) & ~3UL);
		} else if (tok == FDT_PROP) {
			len = be32(p);
			if (same(strings + be32(p + 4), name))
				return len == 8 ? (uint64_t)be32(p + 8) << 32 |
						  be32(p + 12) :
				       len == 4 ? be32(p + 8) : 0;
			p += 8 + ((len + 3) & ~3U);
		} else if (tok != FDT_END_NODE && tok != FDT_NOP) {
			return 0;
		}
	}
}

/*
 * An initrd named by the device tree (vmctl --initrd gives one to any
 * image): its first line, as a bare-metal payload would read its input.
 */
static void show_initrd(const void *dtb)
{
	uint64_t start, end;
	const char *c;

	if (!dtb)
		return;
	start = fdt_addr_prop(dtb, "linux,initrd-start");
	end = fdt_addr_prop(dtb, "linux,initrd-end");
	if (!start || end <= start)
		return;
	puts("axvm-guest: initrd says: ");
	for (c = (const char *)(uintptr_t)start;
	     c < (const char *)(uintptr_t)end && *c != '\n'; c++)
		vblk_putc(*c);
	vblk_putc('\n');
}

void vblk_main(const void *dtb)
{
	uint32_t s;
	int i;

	show_initrd(dtb);

	if (rd(VIRTIO_MAGIC) != 0x74726976 || rd(VIRTIO_VERSION) != 2 ||
	    rd(VIRTIO_DEVICE_ID) != 2)
		fail("probe", rd(VIRTIO_DEVICE_ID));
	wr(VIRTIO_STATUS, 0);
	wr(VIRTIO_STATUS, STATUS_ACK | STATUS_DRIVER);
	wr(VIRTIO_DEV_FEATURES_SEL, 1);
	if (!(rd(VIRTIO_DEV_FEATURES) & 1))
		fail("VERSION_1", rd(VIRTIO_DEV_FEATURES));
	wr(VIRTIO_DRV_FEATURES_SEL, 1);
	wr(VIRTIO_DRV_FEATURES, 1);
	wr(VIRTIO_DRV_FEATURES_SEL, 0);
	wr(VIRTIO_DRV_FEATURES, 0);
	wr(VIRTIO_STATUS, STATUS_ACK | STATUS_DRIVER | STATUS_FEATURES_OK);
	s = rd(VIRTIO_STATUS);
	if (!(s & STATUS_FEATURES_OK))
		fail("features", s);
	wr(VIRTIO_QUEUE_SEL, 0);
	if (rd(VIRTIO_QUEUE_NUM_MAX) < QSIZE)
		fail("queue size", rd(VIRTIO_QUEUE_NUM_MAX));
	wr(VIRTIO_QUEUE_NUM, QSIZE);
	wr64(VIRTIO_QUEUE_DESC, descs);
	wr64(VIRTIO_QUEUE_DRIVER, &avail);
	wr64(VIRTIO_QUEUE_DEVICE, &used);
	wr(VIRTIO_QUEUE_READY, 1);
	wr(VIRTIO_STATUS, STATUS_ACK | STATUS_DRIVER | STATUS_FEATURES_OK |
			  STATUS_DRIVER_OK);

	s = request(0, 0);			/* VIRTIO_BLK_T_IN */
	if (s)
		fail("read status", s);
	if (!(rd(VIRTIO_INT_STATUS) & 1))
		fail("interrupt status", rd(VIRTIO_INT_STATUS));
	wr(VIRTIO_INT_ACK, 1);
	puts("axvm-guest: disk says: ");
	for (i = 0; i < 64 && data[i] && data[i] != '\n'; i++)
		vblk_putc(data[i]);
	puts("\n");

	s = request(1, 1);			/* VIRTIO_BLK_T_OUT */
	puts(s ? "axvm-guest: write refused\n" : "axvm-guest: write done\n");
	vblk_poweroff();
}
