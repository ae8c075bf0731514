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

void vblk_main(void)
{
	uint32_t s;
	int i;

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
