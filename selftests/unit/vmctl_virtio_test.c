// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit test of vmctl's virtio-mmio transport, its split virtqueues
 * and the blk, console and rng devices behind it.
 * Links: tools/vmctl/bus.c tools/vmctl/virtqueue.c tools/vmctl/virtio.c
 * Links: tools/vmctl/virtio_mmio.c
 * Links: tools/vmctl/virtio_blk.c tools/vmctl/virtio_console.c
 * Links: tools/vmctl/virtio_rng.c
 *
 * The test is the guest's driver: it builds rings in a "guest RAM" that
 * has PROT_NONE pages on either side, so a device that strays outside it
 * dies of SIGSEGV and the test fails, and it reaches the device only by
 * register accesses through the bus. Hostile guests are played too; each
 * of their tricks must end in a refused request or a device that needs a
 * reset, never in a crash or a touched byte outside RAM.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/stat.h>
#include <time.h>

/* First: its ARRAY_SIZE, the harness has one only if none is defined. */
#include "virtio_mmio.h"

/* The 6.1 harness has an unused parameter; -Werror is not for it. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop

#define PAGE		4096UL
#define RAM_BASE	0x40000000ULL
#define RAM_SIZE	(1ULL << 20)
#define RAM_END		(RAM_BASE + RAM_SIZE)
#define DEV_BASE	0x0a000000ULL
#define IRQ_NR		42
#define QSIZE		16

/* Where the driver keeps things in guest RAM. */
#define DESC_GPA(q)	(RAM_BASE + (q) * 0x4000ULL)
#define AVAIL_GPA(q)	(DESC_GPA(q) + 0x1000)
#define USED_GPA(q)	(DESC_GPA(q) + 0x2000)
#define IND_GPA		(RAM_BASE + 0x10000)
#define HDR_GPA		(RAM_BASE + 0x20000)
#define STATUS_GPA	(RAM_BASE + 0x20100)
#define DATA_GPA	(RAM_BASE + 0x30000)

#define F_INDIRECT	(1ULL << VIRTIO_RING_F_INDIRECT_DESC)
#define F_VERSION_1	(1ULL << VIRTIO_F_VERSION_1)
#define FEATURES	(F_VERSION_1 | F_INDIRECT)

#define ST_DRIVER	(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER)
#define ST_FEATURES	(ST_DRIVER | VIRTIO_STATUS_FEATURES_OK)
#define ST_LIVE		(ST_FEATURES | VIRTIO_STATUS_DRIVER_OK)

#define NEXT		VIRTQ_DESC_F_NEXT
#define WRITE		VIRTQ_DESC_F_WRITE
#define INDIRECT	VIRTQ_DESC_F_INDIRECT

/* virtio-blk, from section 5.2 of the spec. */
#define BLK_F_SEG_MAX	2
#define BLK_F_RO	5
#define BLK_F_FLUSH	9
#define BLK_T_IN	0
#define BLK_T_OUT	1
#define BLK_T_FLUSH	4
#define BLK_T_GET_ID	8
#define BLK_T_DISCARD	11
#define BLK_S_OK	0
#define BLK_S_IOERR	1
#define BLK_S_UNSUPP	2

#define DISK_SECTORS	64
/* Not a whole number of sectors: the device must round down. */
#define DISK_BYTES	(DISK_SECTORS * 512 + 100)
/* What the driver leaves in the status byte before a request. */
#define UNTOUCHED	0xee

struct fake_irq {
	struct irq_line line;
	int level;
	int raised;		/* 0 -> 1 transitions */
	int lowered;		/* 1 -> 0 transitions */
};

static void fake_irq_set(struct irq_line *line, int level)
{
	struct fake_irq *f = container_of(line, struct fake_irq, line);

	if (level && !f->level)
		f->raised++;
	if (!level && f->level)
		f->lowered++;
	f->level = level;
}

/* The driver's side: guest RAM, the bus and what it knows of the rings. */
struct drv {
	uint8_t *map;
	struct guest_mem mem;
	struct fake_irq irq;
	struct bus bus;
	struct virtio_dev *vdev;
	int disk;
	int pipe[2];
	uint16_t avail_idx[VIRTIO_MAX_QUEUES];
	uint16_t used_seen[VIRTIO_MAX_QUEUES];
};

FIXTURE(vm) {
	struct drv d;
};

FIXTURE_SETUP(vm)
{
	struct drv *d = &self->d;

	d->map = mmap(NULL, RAM_SIZE + 2 * PAGE, PROT_NONE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, d->map);
	ASSERT_EQ(0, mprotect(d->map + PAGE, RAM_SIZE,
			      PROT_READ | PROT_WRITE));
	d->mem.host = d->map + PAGE;
	d->mem.base = RAM_BASE;
	d->mem.size = RAM_SIZE;
	d->irq.line.set = fake_irq_set;
	d->irq.line.nr = IRQ_NR;
	d->disk = -1;
	d->pipe[0] = -1;
	d->pipe[1] = -1;
}

FIXTURE_TEARDOWN(vm)
{
	struct drv *d = &self->d;

	virtio_destroy(d->vdev);
	if (d->disk >= 0)
		close(d->disk);
	if (d->pipe[0] >= 0)
		close(d->pipe[0]);
	if (d->pipe[1] >= 0)
		close(d->pipe[1]);
	munmap(d->map, RAM_SIZE + 2 * PAGE);
}

static void *gpa(struct drv *d, uint64_t addr)
{
	return d->mem.host + (addr - RAM_BASE);
}

static int64_t mmio_read(struct drv *d, uint64_t off,
			 unsigned int len)
{
	uint64_t val = 0;

	if (!bus_access(&d->bus, IO_MMIO, DEV_BASE + off, len, false, &val))
		return -1;
	return val;
}

static void mmio_write(struct drv *d, uint64_t off,
		       unsigned int len, uint64_t val)
{
	bus_access(&d->bus, IO_MMIO, DEV_BASE + off, len, true, &val);
}

static int64_t rd(struct drv *d, uint64_t off)
{
	return mmio_read(d, off, 4);
}

static void wr(struct drv *d, uint64_t off, uint32_t val)
{
	mmio_write(d, off, 4, val);
}

static int add_dev(struct drv *d, struct virtio_dev *vdev)
{
	d->vdev = vdev;
	if (!vdev || virtio_mmio_attach(vdev, DEV_BASE, &d->irq.line))
		return -1;
	return bus_add(&d->bus, &vdev->dev);
}

/* Section 3.1.1 up to FEATURES_OK; returns the Status read back. */
static int64_t negotiate(struct drv *d, uint64_t features)
{
	wr(d, VIRTIO_MMIO_STATUS, 0);
	wr(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	wr(d, VIRTIO_MMIO_STATUS, ST_DRIVER);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES, features);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES, features >> 32);
	wr(d, VIRTIO_MMIO_STATUS, ST_FEATURES);
	return rd(d, VIRTIO_MMIO_STATUS);
}

static void setup_queue(struct drv *d, unsigned int q,
			uint32_t num, uint64_t desc, uint64_t avail,
			uint64_t used)
{
	wr(d, VIRTIO_MMIO_QUEUE_SEL, q);
	wr(d, VIRTIO_MMIO_QUEUE_NUM, num);
	wr(d, VIRTIO_MMIO_QUEUE_DESC_LOW, desc);
	wr(d, VIRTIO_MMIO_QUEUE_DESC_HIGH, desc >> 32);
	wr(d, VIRTIO_MMIO_QUEUE_DRIVER_LOW, avail);
	wr(d, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, avail >> 32);
	wr(d, VIRTIO_MMIO_QUEUE_DEVICE_LOW, used);
	wr(d, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, used >> 32);
	wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
}

static void clear_rings(struct drv *d)
{
	memset(gpa(d, DESC_GPA(0)), 0, DESC_GPA(VIRTIO_MAX_QUEUES) -
	       DESC_GPA(0));
	memset(d->avail_idx, 0, sizeof(d->avail_idx));
	memset(d->used_seen, 0, sizeof(d->used_seen));
}

/* Reset and bring the device up with @nq queues; returns the Status. */
static int64_t start(struct drv *d, uint64_t features,
		     unsigned int nq)
{
	int64_t status;
	unsigned int q;

	clear_rings(d);
	status = negotiate(d, features);
	if (status != ST_FEATURES)
		return status;
	for (q = 0; q < nq; q++)
		setup_queue(d, q, QSIZE, DESC_GPA(q), AVAIL_GPA(q),
			    USED_GPA(q));
	wr(d, VIRTIO_MMIO_STATUS, ST_LIVE);
	return rd(d, VIRTIO_MMIO_STATUS);
}

/* Descriptor @i of the table at @table. */
static void desc(struct drv *d, uint64_t table, unsigned int i,
		 uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	struct virtq_desc *vd = gpa(d, table + i * sizeof(*vd));

	vd->addr = htole64(addr);
	vd->len = htole32(len);
	vd->flags = htole16(flags);
	vd->next = htole16(next);
}

/* Make chain @head available without telling the device. */
static void publish(struct drv *d, unsigned int q, uint16_t head)
{
	struct virtq_avail *a = gpa(d, AVAIL_GPA(q));

	a->ring[d->avail_idx[q] % QSIZE] = htole16(head);
	d->avail_idx[q]++;
	__atomic_store_n(&a->idx, htole16(d->avail_idx[q]),
			 __ATOMIC_RELEASE);
}

static void kick(struct drv *d, unsigned int q, uint16_t head)
{
	publish(d, q, head);
	wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, q);
}

/* The used length of the next used element, or -1 if there is none. */
static int64_t next_used(struct drv *d, unsigned int q,
			 uint32_t *id)
{
	struct virtq_used *u = gpa(d, USED_GPA(q));
	struct virtq_used_elem *e;

	if (le16toh(__atomic_load_n(&u->idx, __ATOMIC_ACQUIRE)) ==
	    d->used_seen[q])
		return -1;
	e = &u->ring[d->used_seen[q]++ % QSIZE];
	if (id)
		*id = le32toh(e->id);
	return le32toh(e->len);
}

static uint8_t pattern(uint64_t off)
{
	return off * 7 + off / 512;
}

static int make_disk(struct drv *d)
{
	char path[] = "/tmp/vmctl-virtio-XXXXXX";
	static uint8_t buf[DISK_BYTES];
	unsigned int i;

	d->disk = mkstemp(path);
	if (d->disk < 0)
		return -1;
	unlink(path);
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = pattern(i);
	if (pwrite(d->disk, buf, sizeof(buf), 0) != sizeof(buf))
		return -1;
	return 0;
}

/* The whole disk still holds the pattern it was made with. */
static bool disk_intact(struct drv *d)
{
	static uint8_t buf[DISK_BYTES + 1];
	unsigned int i;

	if (pread(d->disk, buf, sizeof(buf), 0) != DISK_BYTES)
		return false;
	for (i = 0; i < DISK_BYTES; i++)
		if (buf[i] != pattern(i))
			return false;
	return true;
}

static int blk_up(struct drv *d, bool readonly)
{
	if (make_disk(d))
		return -1;
	return add_dev(d, virtio_blk_create(&d->mem, d->disk, readonly));
}

static void blk_hdr(struct drv *d, uint32_t type, uint64_t sector)
{
	uint32_t *hdr = gpa(d, HDR_GPA);
	uint64_t s = htole64(sector);

	hdr[0] = htole32(type);
	hdr[1] = 0;
	memcpy(hdr + 2, &s, sizeof(s));
	*(uint8_t *)gpa(d, STATUS_GPA) = UNTOUCHED;
}

static uint8_t blk_status(struct drv *d)
{
	return *(uint8_t *)gpa(d, STATUS_GPA);
}

/*
 * A request as Linux makes it: header, data (none if @len is 0), status,
 * in descriptors 0-2. Returns the used length, or -1 if none came back.
 */
static int64_t blk_req(struct drv *d, uint32_t type,
		       uint64_t sector, uint32_t len)
{
	uint16_t dflags = type == BLK_T_OUT ? NEXT : NEXT | WRITE;

	blk_hdr(d, type, sector);
	desc(d, DESC_GPA(0), 0, HDR_GPA, 16, NEXT, len ? 1 : 2);
	desc(d, DESC_GPA(0), 1, DATA_GPA, len, dflags, 2);
	desc(d, DESC_GPA(0), 2, STATUS_GPA, 1, WRITE, 0);
	kick(d, 0, 0);
	return next_used(d, 0, NULL);
}

/* A read of sectors 1-2 must work and give the disk's bytes. */
static void good_read(struct __test_metadata *_metadata,
		      struct drv *d)
{
	uint8_t *data = gpa(d, DATA_GPA);
	unsigned int i;

	memset(data, 0, 1024);
	ASSERT_EQ(1025, blk_req(d, BLK_T_IN, 1, 1024));
	ASSERT_EQ(BLK_S_OK, blk_status(d));
	for (i = 0; i < 1024; i++)
		ASSERT_EQ(pattern(512 + i), data[i]);
}

/*
 * The chain at head 0 was refused on its own: returned with used length 0
 * and the status byte as the driver left it, no config interrupt, disk
 * untouched, and the device still serves the next request.
 */
static void check_refused(struct __test_metadata *_metadata,
			  struct drv *d)
{
	uint32_t id = ~0U;

	ASSERT_EQ(0, next_used(d, 0, &id));
	ASSERT_EQ(0U, id);
	ASSERT_EQ(-1, next_used(d, 0, NULL));
	ASSERT_EQ(UNTOUCHED, blk_status(d));
	ASSERT_EQ(ST_LIVE, rd(d, VIRTIO_MMIO_STATUS));
	ASSERT_EQ(0, rd(d, VIRTIO_MMIO_INTERRUPT_STATUS) &
		  VIRTIO_ISR_CONFIG);
	ASSERT_TRUE(disk_intact(d));
	good_read(_metadata, d);
}

/*
 * The device gave up: DEVICE_NEEDS_RESET with a config interrupt, nothing
 * in the used ring, good requests ignored until a reset, after which it
 * works again.
 */
static void check_broken(struct __test_metadata *_metadata,
			 struct drv *d)
{
	ASSERT_TRUE(rd(d, VIRTIO_MMIO_STATUS) &
		    VIRTIO_STATUS_NEEDS_RESET);
	ASSERT_TRUE(rd(d, VIRTIO_MMIO_INTERRUPT_STATUS) &
		    VIRTIO_ISR_CONFIG);
	ASSERT_EQ(1, d->irq.level);
	ASSERT_EQ(-1, next_used(d, 0, NULL));
	ASSERT_EQ(-1, blk_req(d, BLK_T_IN, 1, 512));
	ASSERT_EQ(UNTOUCHED, blk_status(d));
	/* The driver can't clear it either. */
	wr(d, VIRTIO_MMIO_STATUS, ST_LIVE);
	ASSERT_TRUE(rd(d, VIRTIO_MMIO_STATUS) &
		    VIRTIO_STATUS_NEEDS_RESET);

	wr(d, VIRTIO_MMIO_STATUS, 0);
	ASSERT_EQ(0, rd(d, VIRTIO_MMIO_STATUS));
	ASSERT_EQ(0, rd(d, VIRTIO_MMIO_INTERRUPT_STATUS));
	ASSERT_EQ(0, d->irq.level);
	ASSERT_TRUE(disk_intact(d));
	ASSERT_EQ(ST_LIVE, start(d, FEATURES, 1));
	good_read(_metadata, d);
}

#define BLK_START(ro) do { \
	ASSERT_EQ(0, blk_up(d, ro)); \
	ASSERT_EQ(ST_LIVE, start(d, FEATURES, 1)); \
} while (0)

/* Transport: identity registers, access widths, config space. */
TEST_F(vm, identity)
{
	struct drv *d = &self->d;

	ASSERT_EQ(0, blk_up(d, false));
	ASSERT_EQ(VIRTIO_MMIO_MAGIC, rd(d, VIRTIO_MMIO_MAGIC_VALUE));
	ASSERT_EQ(2, rd(d, VIRTIO_MMIO_VERSION));
	ASSERT_EQ(VIRTIO_ID_BLOCK, rd(d, VIRTIO_MMIO_DEVICE_ID));
	ASSERT_EQ(VIRTIO_MMIO_VENDOR, rd(d, VIRTIO_MMIO_VENDOR_ID));
	ASSERT_EQ(0, rd(d, VIRTIO_MMIO_STATUS));
	ASSERT_EQ(0, rd(d, VIRTIO_MMIO_CONFIG_GENERATION));

	wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	ASSERT_EQ((int64_t)(F_INDIRECT | 1 << BLK_F_SEG_MAX | 1 << BLK_F_FLUSH),
		  rd(d, VIRTIO_MMIO_DEVICE_FEATURES));
	wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	ASSERT_EQ(1, rd(d, VIRTIO_MMIO_DEVICE_FEATURES));
	wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 2);
	ASSERT_EQ(0, rd(d, VIRTIO_MMIO_DEVICE_FEATURES));

	ASSERT_EQ(VIRTQ_MAX_SIZE, rd(d, VIRTIO_MMIO_QUEUE_NUM_MAX));
	wr(d, VIRTIO_MMIO_QUEUE_SEL, 1);
	ASSERT_EQ(0, rd(d, VIRTIO_MMIO_QUEUE_NUM_MAX));
	ASSERT_EQ(0, rd(d, VIRTIO_MMIO_QUEUE_READY));

	/* Control registers answer 32-bit aligned accesses only. */
	ASSERT_EQ(0, mmio_read(d, VIRTIO_MMIO_MAGIC_VALUE, 2));
	ASSERT_EQ(0, mmio_read(d, VIRTIO_MMIO_MAGIC_VALUE, 8));
	ASSERT_EQ(0, mmio_read(d, VIRTIO_MMIO_MAGIC_VALUE + 1, 1));
	mmio_write(d, VIRTIO_MMIO_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE);
	ASSERT_EQ(0, rd(d, VIRTIO_MMIO_STATUS));
	/* Reserved and write-only registers read 0; SHM: no regions. */
	ASSERT_EQ(0, rd(d, 0x0c0));
	ASSERT_EQ(0, rd(d, 0x0f8));
	ASSERT_EQ(0, rd(d, VIRTIO_MMIO_QUEUE_NOTIFY));
	ASSERT_EQ(0xffffffff, rd(d, VIRTIO_MMIO_SHM_LEN_LOW));
	ASSERT_EQ(0xffffffff, rd(d, VIRTIO_MMIO_SHM_LEN_HIGH));

	/* Capacity rounded down to whole sectors; any width in config. */
	ASSERT_EQ(DISK_SECTORS, mmio_read(d, VIRTIO_MMIO_CONFIG, 8));
	ASSERT_EQ(DISK_SECTORS, mmio_read(d, VIRTIO_MMIO_CONFIG, 4));
	ASSERT_EQ(DISK_SECTORS, mmio_read(d, VIRTIO_MMIO_CONFIG, 2));
	ASSERT_EQ(DISK_SECTORS, mmio_read(d, VIRTIO_MMIO_CONFIG, 1));
	ASSERT_EQ(0, mmio_read(d, VIRTIO_MMIO_CONFIG + 4, 4));
	ASSERT_EQ(VIRTQ_MAX_SIZE - 2, mmio_read(d, VIRTIO_MMIO_CONFIG + 12,
						4));
	ASSERT_EQ(0, mmio_read(d, 0x1f8, 8));
	/* Config is read-only. */
	mmio_write(d, VIRTIO_MMIO_CONFIG, 8, 12345);
	ASSERT_EQ(DISK_SECTORS, mmio_read(d, VIRTIO_MMIO_CONFIG, 8));

	/* What the caller needs for the bus and the device tree. */
	ASSERT_EQ(VIRTIO_MMIO_SIZE, (int64_t)d->vdev->dev.size);
	ASSERT_EQ(DEV_BASE, d->vdev->dev.base);
	ASSERT_EQ(d->vdev, virtio_mmio_from_device(&d->vdev->dev));
	ASSERT_EQ(VIRTIO_ID_BLOCK, (int)d->vdev->device_id);
	ASSERT_EQ(IRQ_NR, (int)d->vdev->irq->nr);
	/* A device is on one transport only. */
	ASSERT_EQ(-1, virtio_mmio_attach(d->vdev, DEV_BASE, &d->irq.line));
	ASSERT_EQ(-1, mmio_read(d, VIRTIO_MMIO_SIZE, 4));
}

/* FEATURES_OK only for offered features that include VERSION_1. */
TEST_F(vm, features)
{
	struct drv *d = &self->d;

	ASSERT_EQ(0, blk_up(d, false));
	ASSERT_EQ(ST_DRIVER, negotiate(d, 0));
	ASSERT_EQ(ST_DRIVER, negotiate(d, F_INDIRECT));
	ASSERT_EQ(ST_DRIVER, negotiate(d, F_INDIRECT |
					      1 << BLK_F_FLUSH));
	/* Never offered: EVENT_IDX, RO on a writable disk, bit 63. */
	ASSERT_EQ(ST_DRIVER, negotiate(d, F_VERSION_1 |
					      1ULL << VIRTIO_RING_F_EVENT_IDX));
	ASSERT_EQ(ST_DRIVER, negotiate(d, F_VERSION_1 | 1 << BLK_F_RO));
	ASSERT_EQ(ST_DRIVER, negotiate(d, F_VERSION_1 | 1ULL << 63));
	ASSERT_EQ(ST_FEATURES, negotiate(d, F_VERSION_1));
	ASSERT_EQ(ST_FEATURES, negotiate(d, FEATURES | 1 << BLK_F_FLUSH));

	/* Settled once accepted. */
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES, 0);
	ASSERT_TRUE(virtio_has_feature(d->vdev, VIRTIO_F_VERSION_1));
	ASSERT_TRUE(virtio_has_feature(d->vdev, BLK_F_FLUSH));

	/* A refused driver can try again in the same session... */
	wr(d, VIRTIO_MMIO_STATUS, 0);
	wr(d, VIRTIO_MMIO_STATUS, ST_DRIVER);
	wr(d, VIRTIO_MMIO_STATUS, ST_FEATURES);
	ASSERT_EQ(ST_DRIVER, rd(d, VIRTIO_MMIO_STATUS));
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES, 1);
	wr(d, VIRTIO_MMIO_STATUS, ST_FEATURES);
	ASSERT_EQ(ST_FEATURES, rd(d, VIRTIO_MMIO_STATUS));

	/* ...and without FEATURES_OK, DRIVER_OK gets no requests served. */
	clear_rings(d);
	wr(d, VIRTIO_MMIO_STATUS, 0);
	wr(d, VIRTIO_MMIO_STATUS, ST_DRIVER);
	setup_queue(d, 0, QSIZE, DESC_GPA(0), AVAIL_GPA(0), USED_GPA(0));
	wr(d, VIRTIO_MMIO_STATUS, ST_DRIVER | VIRTIO_STATUS_DRIVER_OK);
	ASSERT_EQ(-1, blk_req(d, BLK_T_IN, 0, 512));
	ASSERT_EQ(UNTOUCHED, blk_status(d));

	/* The read-only disk offers RO. */
	virtio_destroy(d->vdev);
	d->bus.head[IO_MMIO] = NULL;
	ASSERT_EQ(0, add_dev(d, virtio_blk_create(&d->mem, d->disk, true)));
	wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	ASSERT_TRUE(rd(d, VIRTIO_MMIO_DEVICE_FEATURES) & 1 << BLK_F_RO);
	ASSERT_EQ(ST_FEATURES, negotiate(d, F_VERSION_1 | 1 << BLK_F_RO));
}

/* Status 0 resets queues, features and interrupts. */
TEST_F(vm, reset)
{
	struct drv *d = &self->d;
	struct virtq_used *used;

	BLK_START(false);
	good_read(_metadata, d);
	ASSERT_EQ(1, d->irq.level);
	ASSERT_EQ(VIRTIO_ISR_VRING,
		  rd(d, VIRTIO_MMIO_INTERRUPT_STATUS));

	wr(d, VIRTIO_MMIO_STATUS, 0);
	ASSERT_EQ(0, rd(d, VIRTIO_MMIO_STATUS));
	ASSERT_EQ(0, rd(d, VIRTIO_MMIO_INTERRUPT_STATUS));
	ASSERT_EQ(0, d->irq.level);
	ASSERT_EQ(1, d->irq.lowered);
	wr(d, VIRTIO_MMIO_QUEUE_SEL, 0);
	ASSERT_EQ(0, rd(d, VIRTIO_MMIO_QUEUE_READY));
	/* The driver's features are gone: FEATURES_OK needs them again. */
	wr(d, VIRTIO_MMIO_STATUS, ST_DRIVER);
	wr(d, VIRTIO_MMIO_STATUS, ST_FEATURES);
	ASSERT_EQ(ST_DRIVER, rd(d, VIRTIO_MMIO_STATUS));
	/* A notify to the reset queue does nothing. */
	publish(d, 0, 0);
	wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	ASSERT_EQ(-1, next_used(d, 0, NULL));

	/* Fresh rings after reset: the device's indices start at 0. */
	ASSERT_EQ(ST_LIVE, start(d, FEATURES, 1));
	good_read(_metadata, d);
	used = gpa(d, USED_GPA(0));
	ASSERT_EQ(1, le16toh(used->idx));
}

/* Queue size and addresses: checked at QueueReady, frozen while ready. */
TEST_F(vm, queue_regs)
{
	struct drv *d = &self->d;
	static const struct {
		uint32_t num;
		uint64_t desc, avail, used;
	} bad[] = {
		{ 3, DESC_GPA(0), AVAIL_GPA(0), USED_GPA(0) },
		{ 0, DESC_GPA(0), AVAIL_GPA(0), USED_GPA(0) },
		{ 512, DESC_GPA(0), AVAIL_GPA(0), USED_GPA(0) },
		{ QSIZE, RAM_END - 0x80, AVAIL_GPA(0), USED_GPA(0) },
		{ QSIZE, DESC_GPA(0), RAM_END - 0x10, USED_GPA(0) },
		{ QSIZE, DESC_GPA(0), AVAIL_GPA(0), RAM_END - 0x40 },
		{ QSIZE, RAM_BASE - 0x1000, AVAIL_GPA(0), USED_GPA(0) },
		{ QSIZE, DESC_GPA(0) + 8, AVAIL_GPA(0), USED_GPA(0) },
		{ QSIZE, DESC_GPA(0), AVAIL_GPA(0) + 1, USED_GPA(0) },
		{ QSIZE, DESC_GPA(0), AVAIL_GPA(0), USED_GPA(0) + 2 },
		{ QSIZE, ~0ULL << 12, AVAIL_GPA(0), USED_GPA(0) },
	};
	unsigned int i;

	ASSERT_EQ(0, blk_up(d, false));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		TH_LOG("bad queue %u", i);
		ASSERT_EQ(ST_FEATURES, negotiate(d, FEATURES));
		setup_queue(d, 0, bad[i].num, bad[i].desc, bad[i].avail,
			    bad[i].used);
		ASSERT_EQ(0, rd(d, VIRTIO_MMIO_QUEUE_READY));
		ASSERT_EQ(ST_FEATURES | VIRTIO_STATUS_NEEDS_RESET,
			  rd(d, VIRTIO_MMIO_STATUS));
		ASSERT_EQ(VIRTIO_ISR_CONFIG,
			  rd(d, VIRTIO_MMIO_INTERRUPT_STATUS));
	}

	/* A queue the device does not have: ignored, not broken. */
	ASSERT_EQ(ST_FEATURES, negotiate(d, FEATURES));
	setup_queue(d, 1, QSIZE, DESC_GPA(1), AVAIL_GPA(1), USED_GPA(1));
	ASSERT_EQ(0, rd(d, VIRTIO_MMIO_QUEUE_READY));
	ASSERT_EQ(ST_FEATURES, rd(d, VIRTIO_MMIO_STATUS));

	/* Notified before DRIVER_OK: served only once that is set. */
	clear_rings(d);
	setup_queue(d, 0, QSIZE, DESC_GPA(0), AVAIL_GPA(0), USED_GPA(0));
	ASSERT_EQ(1, rd(d, VIRTIO_MMIO_QUEUE_READY));
	ASSERT_EQ(-1, blk_req(d, BLK_T_IN, 0, 512));
	wr(d, VIRTIO_MMIO_STATUS, ST_LIVE);
	ASSERT_EQ(513, next_used(d, 0, NULL));
	ASSERT_EQ(BLK_S_OK, blk_status(d));

	/*
	 * While ready, size and addresses cannot change: a bigger size would
	 * take the device past the rings. Enough reads to go round them.
	 */
	wr(d, VIRTIO_MMIO_QUEUE_NUM, VIRTQ_MAX_SIZE);
	wr(d, VIRTIO_MMIO_QUEUE_DESC_LOW, 0xdead0000);
	wr(d, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, 0xdead);
	wr(d, VIRTIO_MMIO_QUEUE_DEVICE_LOW, 0x10);
	for (i = 0; i < QSIZE + 2; i++)
		good_read(_metadata, d);
	ASSERT_EQ(ST_LIVE, rd(d, VIRTIO_MMIO_STATUS));

	/* Stopping and restarting a queue starts over on fresh rings. */
	wr(d, VIRTIO_MMIO_QUEUE_READY, 0);
	ASSERT_EQ(0, rd(d, VIRTIO_MMIO_QUEUE_READY));
	ASSERT_EQ(-1, blk_req(d, BLK_T_IN, 0, 512));
	clear_rings(d);
	setup_queue(d, 0, QSIZE, DESC_GPA(0), AVAIL_GPA(0), USED_GPA(0));
	good_read(_metadata, d);
}

/* InterruptStatus drives the line; InterruptACK and NO_INTERRUPT. */
TEST_F(vm, interrupt)
{
	struct drv *d = &self->d;
	struct virtq_avail *avail;

	BLK_START(false);
	avail = gpa(d, AVAIL_GPA(0));
	ASSERT_EQ(0, d->irq.level);
	ASSERT_EQ(0, d->irq.raised);
	good_read(_metadata, d);
	ASSERT_EQ(1, d->irq.level);
	ASSERT_EQ(1, d->irq.raised);
	ASSERT_EQ(VIRTIO_ISR_VRING,
		  rd(d, VIRTIO_MMIO_INTERRUPT_STATUS));
	/* Still pending: no second edge. */
	good_read(_metadata, d);
	ASSERT_EQ(1, d->irq.raised);

	/* Acking another bit leaves it up, acking bit 0 lowers it. */
	wr(d, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_ISR_CONFIG);
	ASSERT_EQ(1, d->irq.level);
	wr(d, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_ISR_VRING);
	ASSERT_EQ(0, rd(d, VIRTIO_MMIO_INTERRUPT_STATUS));
	ASSERT_EQ(0, d->irq.level);
	ASSERT_EQ(1, d->irq.lowered);

	/* The driver asked for no interrupts: used entry, no interrupt. */
	avail->flags = htole16(VIRTQ_AVAIL_F_NO_INTERRUPT);
	good_read(_metadata, d);
	ASSERT_EQ(0, rd(d, VIRTIO_MMIO_INTERRUPT_STATUS));
	ASSERT_EQ(0, d->irq.level);
	avail->flags = 0;
	good_read(_metadata, d);
	ASSERT_EQ(1, d->irq.level);
	ASSERT_EQ(2, d->irq.raised);
}

TEST_F(vm, blk_read)
{
	struct drv *d = &self->d;
	uint8_t *data;
	unsigned int i;

	BLK_START(false);
	data = gpa(d, DATA_GPA);
	memset(data, 0, 2048);
	ASSERT_EQ(1025, blk_req(d, BLK_T_IN, 3, 1024));
	ASSERT_EQ(BLK_S_OK, blk_status(d));
	for (i = 0; i < 1024; i++)
		ASSERT_EQ(pattern(3 * 512 + i), data[i]);
	/* Not a byte more than asked for. */
	for (i = 1024; i < 2048; i++)
		ASSERT_EQ(0, data[i]);
	/* The last sector, and a read of no data at all. */
	ASSERT_EQ(513, blk_req(d, BLK_T_IN, DISK_SECTORS - 1, 512));
	ASSERT_EQ(BLK_S_OK, blk_status(d));
	ASSERT_EQ(pattern((DISK_SECTORS - 1) * 512 + 17), data[17]);
	ASSERT_EQ(1, blk_req(d, BLK_T_IN, 5, 0));
	ASSERT_EQ(BLK_S_OK, blk_status(d));
}

/* Scattered writes land in the file and read back the same. */
TEST_F(vm, blk_write_roundtrip)
{
	struct drv *d = &self->d;
	static const struct {
		uint64_t off;
		uint32_t len;
	} seg[] = { { 0, 512 }, { 0x1000, 700 }, { 0x2000, 324 } };
	uint8_t file[1536 + 1024], *p;
	unsigned int i, j, n;

	BLK_START(false);
	blk_hdr(d, BLK_T_OUT, 10);
	desc(d, DESC_GPA(0), 0, HDR_GPA, 16, NEXT, 1);
	for (i = 0, n = 0; i < ARRAY_SIZE(seg); i++) {
		p = gpa(d, DATA_GPA + seg[i].off);
		for (j = 0; j < seg[i].len; j++)
			p[j] = 0xa5 ^ (n++ * 13);
		desc(d, DESC_GPA(0), i + 1, DATA_GPA + seg[i].off,
		     seg[i].len, NEXT, i + 2);
	}
	desc(d, DESC_GPA(0), 4, STATUS_GPA, 1, WRITE, 0);
	kick(d, 0, 0);
	ASSERT_EQ(1, next_used(d, 0, NULL));
	ASSERT_EQ(BLK_S_OK, blk_status(d));

	/* Sectors 9-13 of the file: old, new, new, new, old. */
	ASSERT_EQ((ssize_t)sizeof(file),
		  pread(d->disk, file, sizeof(file), 9 * 512));
	for (i = 0; i < 512; i++) {
		ASSERT_EQ(pattern(9 * 512 + i), file[i]);
		ASSERT_EQ(pattern(13 * 512 + i), file[2048 + i]);
	}
	for (i = 0; i < 1536; i++)
		ASSERT_EQ((uint8_t)(0xa5 ^ (i * 13)), file[512 + i]);

	/* And back through the device. */
	p = gpa(d, DATA_GPA);
	memset(p, 0, 1536);
	ASSERT_EQ(1537, blk_req(d, BLK_T_IN, 10, 1536));
	ASSERT_EQ(BLK_S_OK, blk_status(d));
	ASSERT_EQ(0, memcmp(p, file + 512, 1536));
}

/* No framing assumed: header, data and status split any which way. */
TEST_F(vm, blk_any_layout)
{
	struct drv *d = &self->d;
	uint8_t *a, *b, *s;
	unsigned int i;

	BLK_START(false);
	blk_hdr(d, BLK_T_IN, 2);
	a = gpa(d, DATA_GPA);
	b = gpa(d, DATA_GPA + 0x1000);
	/* Header in 7 + 9 bytes; data 300 + 724, then the status byte. */
	desc(d, DESC_GPA(0), 0, HDR_GPA, 7, NEXT, 5);
	desc(d, DESC_GPA(0), 5, HDR_GPA + 7, 9, NEXT, 3);
	desc(d, DESC_GPA(0), 3, DATA_GPA, 300, NEXT | WRITE, 9);
	desc(d, DESC_GPA(0), 9, DATA_GPA + 0x1000, 725, WRITE, 0);
	kick(d, 0, 0);
	ASSERT_EQ(1025, next_used(d, 0, NULL));
	for (i = 0; i < 300; i++)
		ASSERT_EQ(pattern(1024 + i), a[i]);
	for (i = 0; i < 724; i++)
		ASSERT_EQ(pattern(1024 + 300 + i), b[i]);
	ASSERT_EQ(BLK_S_OK, b[724]);

	/* Header and data of a write in one descriptor. */
	blk_hdr(d, BLK_T_OUT, 20);
	s = gpa(d, DATA_GPA + 0x2000);
	memcpy(s, gpa(d, HDR_GPA), 16);
	memset(s + 16, 0x3c, 512);
	desc(d, DESC_GPA(0), 0, DATA_GPA + 0x2000, 16 + 512, NEXT, 1);
	desc(d, DESC_GPA(0), 1, STATUS_GPA, 1, WRITE, 0);
	kick(d, 0, 0);
	ASSERT_EQ(1, next_used(d, 0, NULL));
	ASSERT_EQ(BLK_S_OK, blk_status(d));
	ASSERT_EQ(512, pread(d->disk, a, 512, 20 * 512));
	for (i = 0; i < 512; i++)
		ASSERT_EQ(0x3c, a[i]);
}

TEST_F(vm, blk_flush_get_id)
{
	struct drv *d = &self->d;
	uint8_t *id;
	unsigned int i;

	BLK_START(false);
	ASSERT_EQ(1, blk_req(d, BLK_T_FLUSH, 0, 0));
	ASSERT_EQ(BLK_S_OK, blk_status(d));

	id = gpa(d, DATA_GPA);
	memset(id, 0xff, 32);
	ASSERT_EQ(21, blk_req(d, BLK_T_GET_ID, 0, 20));
	ASSERT_EQ(BLK_S_OK, blk_status(d));
	ASSERT_EQ(0, memcmp(id, "axvm-vblk", 9));
	for (i = 9; i < 20; i++)
		ASSERT_EQ(0, id[i]);
	ASSERT_EQ(0xff, id[20]);

	/* A shorter buffer gets what fits. */
	memset(id, 0xff, 32);
	ASSERT_EQ(5, blk_req(d, BLK_T_GET_ID, 0, 4));
	ASSERT_EQ(BLK_S_OK, blk_status(d));
	ASSERT_EQ(0, memcmp(id, "axvm", 4));
	ASSERT_EQ(0xff, id[4]);
}

TEST_F(vm, blk_readonly)
{
	struct drv *d = &self->d;

	ASSERT_EQ(0, blk_up(d, true));
	ASSERT_EQ(ST_LIVE, start(d, FEATURES | 1 << BLK_F_RO, 1));
	memset(gpa(d, DATA_GPA), 0, 512);
	ASSERT_EQ(1, blk_req(d, BLK_T_OUT, 0, 512));
	ASSERT_EQ(BLK_S_IOERR, blk_status(d));
	ASSERT_TRUE(disk_intact(d));
	good_read(_metadata, d);
}

TEST_F(vm, blk_out_of_range)
{
	struct drv *d = &self->d;
	static const struct {
		uint32_t type;
		uint64_t sector;
		uint32_t len;
	} bad[] = {
		{ BLK_T_IN, DISK_SECTORS, 512 },
		{ BLK_T_IN, DISK_SECTORS - 1, 1024 },
		{ BLK_T_IN, 1ULL << 55, 512 },
		{ BLK_T_IN, ~0ULL, 512 },
		{ BLK_T_IN, ~0ULL / 512, 1024 },
		{ BLK_T_OUT, DISK_SECTORS, 512 },
		{ BLK_T_OUT, DISK_SECTORS - 1, 1024 },
		{ BLK_T_OUT, ~0ULL, 512 },
		/* Not whole sectors. */
		{ BLK_T_IN, 0, 100 },
		{ BLK_T_OUT, 0, 513 },
	};
	struct stat st;
	unsigned int i;

	BLK_START(false);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		TH_LOG("request %u", i);
		ASSERT_EQ(1, blk_req(d, bad[i].type, bad[i].sector,
				     bad[i].len));
		ASSERT_EQ(BLK_S_IOERR, blk_status(d));
	}
	ASSERT_EQ(0, fstat(d->disk, &st));
	ASSERT_EQ(DISK_BYTES, st.st_size);
	ASSERT_TRUE(disk_intact(d));
	good_read(_metadata, d);
}

TEST_F(vm, blk_unsupported)
{
	struct drv *d = &self->d;

	BLK_START(false);
	ASSERT_EQ(1, blk_req(d, BLK_T_DISCARD, 0, 16));
	ASSERT_EQ(BLK_S_UNSUPP, blk_status(d));
	ASSERT_EQ(1, blk_req(d, 0xdeadbeef, 0, 512));
	ASSERT_EQ(BLK_S_UNSUPP, blk_status(d));
	ASSERT_TRUE(disk_intact(d));
}

/* Requests whose lengths do not fit the format. */
TEST_F(vm, blk_bad_format)
{
	struct drv *d = &self->d;

	BLK_START(false);
	/* A header of 8 bytes: IOERR. */
	blk_hdr(d, BLK_T_IN, 0);
	desc(d, DESC_GPA(0), 0, HDR_GPA, 8, NEXT, 1);
	desc(d, DESC_GPA(0), 1, DATA_GPA, 512, WRITE | NEXT, 2);
	desc(d, DESC_GPA(0), 2, STATUS_GPA, 1, WRITE, 0);
	kick(d, 0, 0);
	ASSERT_EQ(1, next_used(d, 0, NULL));
	ASSERT_EQ(BLK_S_IOERR, blk_status(d));

	/* No writable byte for the status: returned unanswered. */
	blk_hdr(d, BLK_T_IN, 0);
	desc(d, DESC_GPA(0), 0, HDR_GPA, 16, NEXT, 1);
	desc(d, DESC_GPA(0), 1, STATUS_GPA, 1, 0, 0);
	kick(d, 0, 0);
	check_refused(_metadata, d);
}

TEST_F(vm, blk_indirect)
{
	struct drv *d = &self->d;

	BLK_START(false);
	/* The whole request in an indirect table. */
	memset(gpa(d, DATA_GPA), 0, 512);
	blk_hdr(d, BLK_T_IN, 7);
	desc(d, IND_GPA, 0, HDR_GPA, 16, NEXT, 1);
	desc(d, IND_GPA, 1, DATA_GPA, 512, NEXT | WRITE, 2);
	desc(d, IND_GPA, 2, STATUS_GPA, 1, WRITE, 0);
	desc(d, DESC_GPA(0), 0, IND_GPA, 48, INDIRECT, 0);
	kick(d, 0, 0);
	ASSERT_EQ(513, next_used(d, 0, NULL));
	ASSERT_EQ(BLK_S_OK, blk_status(d));
	ASSERT_EQ(pattern(7 * 512 + 100), *(uint8_t *)gpa(d,
							  DATA_GPA + 100));

	/* A direct header, then a table for data and status. */
	blk_hdr(d, BLK_T_IN, 8);
	desc(d, IND_GPA, 0, DATA_GPA, 512, NEXT | WRITE, 1);
	desc(d, IND_GPA, 1, STATUS_GPA, 1, WRITE, 0);
	desc(d, DESC_GPA(0), 0, HDR_GPA, 16, NEXT, 1);
	desc(d, DESC_GPA(0), 1, IND_GPA, 32, INDIRECT, 0);
	kick(d, 0, 0);
	ASSERT_EQ(513, next_used(d, 0, NULL));
	ASSERT_EQ(BLK_S_OK, blk_status(d));
	ASSERT_EQ(pattern(8 * 512 + 5), *(uint8_t *)gpa(d, DATA_GPA + 5));
}

/* The guest's tricks, each ending in a refused request. */

TEST_F(vm, hostile_loop)
{
	struct drv *d = &self->d;

	BLK_START(false);
	blk_hdr(d, BLK_T_IN, 0);
	/* 0 -> 1 -> 2 -> 1 -> ... */
	desc(d, DESC_GPA(0), 0, HDR_GPA, 16, NEXT, 1);
	desc(d, DESC_GPA(0), 1, DATA_GPA, 512, NEXT | WRITE, 2);
	desc(d, DESC_GPA(0), 2, STATUS_GPA, 1, NEXT | WRITE, 1);
	kick(d, 0, 0);
	check_refused(_metadata, d);

	/* A descriptor that is its own next. */
	blk_hdr(d, BLK_T_IN, 0);
	desc(d, DESC_GPA(0), 0, HDR_GPA, 16, NEXT, 0);
	kick(d, 0, 0);
	check_refused(_metadata, d);
}

TEST_F(vm, hostile_next_out_of_range)
{
	struct drv *d = &self->d;
	static const uint16_t next[] = { QSIZE, QSIZE + 1, 0xffff };
	unsigned int i;

	BLK_START(false);
	for (i = 0; i < ARRAY_SIZE(next); i++) {
		/* Bait past the table: a device that followed it would succeed. */
		desc(d, DESC_GPA(0), next[i], STATUS_GPA, 1, WRITE, 0);
		blk_hdr(d, BLK_T_IN, 0);
		desc(d, DESC_GPA(0), 0, HDR_GPA, 16, NEXT, 1);
		desc(d, DESC_GPA(0), 1, STATUS_GPA, 1, NEXT | WRITE,
		     next[i]);
		kick(d, 0, 0);
		check_refused(_metadata, d);
	}
}

/* Buffers (partly) outside guest RAM: would hit a guard page. */
TEST_F(vm, hostile_outside_ram)
{
	struct drv *d = &self->d;
	static const struct {
		uint64_t addr;
		uint32_t len;
	} bad[] = {
		{ RAM_END, 512 },
		{ RAM_END - 256, 512 },
		{ RAM_END - 1, 2 },
		{ RAM_BASE - 512, 512 },
		{ RAM_BASE - 1, 512 },
		{ 0, 512 },
		/* addr + len wraps around 2^64. */
		{ ~0ULL - 255, 512 },
		{ ~0ULL, 2 },
		/* Longer than RAM. */
		{ RAM_BASE, 0xffffffff },
		{ RAM_BASE, RAM_SIZE + 1 },
	};
	unsigned int i;

	BLK_START(false);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		TH_LOG("buffer %u", i);
		/* As read data, and as a write's data from the guest. */
		blk_hdr(d, BLK_T_IN, 0);
		desc(d, DESC_GPA(0), 0, HDR_GPA, 16, NEXT, 1);
		desc(d, DESC_GPA(0), 1, bad[i].addr, bad[i].len,
		     NEXT | WRITE, 2);
		desc(d, DESC_GPA(0), 2, STATUS_GPA, 1, WRITE, 0);
		kick(d, 0, 0);
		check_refused(_metadata, d);

		blk_hdr(d, BLK_T_OUT, 0);
		desc(d, DESC_GPA(0), 1, bad[i].addr, bad[i].len, NEXT, 2);
		kick(d, 0, 0);
		check_refused(_metadata, d);
	}
}

/* Readable after writable, directly and in an indirect table. */
TEST_F(vm, hostile_readable_after_writable)
{
	struct drv *d = &self->d;

	BLK_START(false);
	blk_hdr(d, BLK_T_OUT, 0);
	desc(d, DESC_GPA(0), 0, HDR_GPA, 16, NEXT, 1);
	desc(d, DESC_GPA(0), 1, STATUS_GPA, 1, NEXT | WRITE, 2);
	desc(d, DESC_GPA(0), 2, DATA_GPA, 512, 0, 0);
	kick(d, 0, 0);
	check_refused(_metadata, d);

	blk_hdr(d, BLK_T_OUT, 0);
	desc(d, IND_GPA, 0, HDR_GPA, 16, NEXT, 1);
	desc(d, IND_GPA, 1, STATUS_GPA, 1, NEXT | WRITE, 2);
	desc(d, IND_GPA, 2, DATA_GPA, 512, 0, 0);
	desc(d, DESC_GPA(0), 0, IND_GPA, 48, INDIRECT, 0);
	kick(d, 0, 0);
	check_refused(_metadata, d);
}

/* avail->idx more than the queue size ahead: the device needs a reset. */
TEST_F(vm, hostile_avail_idx_jump)
{
	struct drv *d = &self->d;
	struct virtq_avail *avail;

	BLK_START(false);
	good_read(_metadata, d);
	avail = gpa(d, AVAIL_GPA(0));
	blk_hdr(d, BLK_T_IN, 0);
	d->avail_idx[0] += QSIZE + 1;
	avail->idx = htole16(d->avail_idx[0]);
	wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	check_broken(_metadata, d);

	/* The same going backwards (a huge jump modulo 2^16). */
	avail->idx = htole16(d->avail_idx[0] - 1);
	wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	check_broken(_metadata, d);

	/* Exactly the queue size ahead is fine. */
	blk_hdr(d, BLK_T_IN, 0);
	desc(d, DESC_GPA(0), 0, HDR_GPA, 16, NEXT, 1);
	desc(d, DESC_GPA(0), 1, STATUS_GPA, 1, WRITE, 0);
	while (d->avail_idx[0] != QSIZE + 1)
		publish(d, 0, 0);
	wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	while (d->used_seen[0] != QSIZE + 1)
		ASSERT_EQ(1, next_used(d, 0, NULL));
	ASSERT_EQ(ST_LIVE, rd(d, VIRTIO_MMIO_STATUS));
}

/* A head index out of range in the avail ring: reset needed too. */
TEST_F(vm, hostile_avail_head)
{
	struct drv *d = &self->d;

	BLK_START(false);
	blk_hdr(d, BLK_T_IN, 0);
	kick(d, 0, QSIZE);
	check_broken(_metadata, d);
	kick(d, 0, 0xffff);
	check_broken(_metadata, d);
}

TEST_F(vm, hostile_nested_indirect)
{
	struct drv *d = &self->d;

	BLK_START(false);
	blk_hdr(d, BLK_T_IN, 0);
	desc(d, IND_GPA + 0x100, 0, DATA_GPA, 512, NEXT | WRITE, 1);
	desc(d, IND_GPA + 0x100, 1, STATUS_GPA, 1, WRITE, 0);
	desc(d, IND_GPA, 0, HDR_GPA, 16, NEXT, 1);
	desc(d, IND_GPA, 1, IND_GPA + 0x100, 32, INDIRECT, 0);
	desc(d, DESC_GPA(0), 0, IND_GPA, 32, INDIRECT, 0);
	kick(d, 0, 0);
	check_refused(_metadata, d);
}

TEST_F(vm, hostile_indirect_loop)
{
	struct drv *d = &self->d;

	BLK_START(false);
	blk_hdr(d, BLK_T_IN, 0);
	desc(d, IND_GPA, 0, HDR_GPA, 16, NEXT, 1);
	desc(d, IND_GPA, 1, DATA_GPA, 512, NEXT | WRITE, 2);
	desc(d, IND_GPA, 2, STATUS_GPA, 1, NEXT | WRITE, 1);
	desc(d, DESC_GPA(0), 0, IND_GPA, 48, INDIRECT, 0);
	kick(d, 0, 0);
	check_refused(_metadata, d);

	/* `next` past the end of the table. */
	desc(d, IND_GPA, 2, STATUS_GPA, 1, NEXT | WRITE, 3);
	desc(d, DESC_GPA(0), 0, IND_GPA, 48, INDIRECT, 0);
	blk_hdr(d, BLK_T_IN, 0);
	kick(d, 0, 0);
	check_refused(_metadata, d);
}

TEST_F(vm, hostile_indirect_table)
{
	struct drv *d = &self->d;
	static const struct {
		uint64_t addr;
		uint32_t len;
		uint16_t flags;
	} bad[] = {
		{ IND_GPA, 0, INDIRECT },
		{ IND_GPA, 40, INDIRECT },
		{ IND_GPA, 47, INDIRECT },
		{ IND_GPA, (QSIZE + 1) * 16, INDIRECT },
		{ IND_GPA, 0xfffffff0, INDIRECT },
		{ RAM_END - 16, 32, INDIRECT },
		{ RAM_END, 32, INDIRECT },
		{ ~0ULL - 15, 32, INDIRECT },
		/* INDIRECT with NEXT is forbidden. */
		{ IND_GPA, 32, INDIRECT | NEXT },
	};
	unsigned int i;

	BLK_START(false);
	/*
	 * A good two-entry table (header, status) and more entries after it,
	 * so that only the descriptor pointing at it is bad.
	 */
	for (i = 2; i < QSIZE + 1; i++)
		desc(d, IND_GPA, i, STATUS_GPA, 1, WRITE, 0);
	desc(d, IND_GPA, 0, HDR_GPA, 16, NEXT, 1);
	desc(d, IND_GPA, 1, STATUS_GPA, 1, WRITE, 0);
	blk_hdr(d, BLK_T_IN, 0);
	desc(d, DESC_GPA(0), 0, IND_GPA, 32, INDIRECT, 0);
	kick(d, 0, 0);
	ASSERT_EQ(1, next_used(d, 0, NULL));
	ASSERT_EQ(BLK_S_OK, blk_status(d));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		TH_LOG("table %u", i);
		blk_hdr(d, BLK_T_IN, 0);
		desc(d, DESC_GPA(0), 0, bad[i].addr, bad[i].len,
		     bad[i].flags, 1);
		kick(d, 0, 0);
		check_refused(_metadata, d);
	}
}

/* A chain longer than the queue, by way of an indirect table. */
TEST_F(vm, hostile_chain_too_long)
{
	struct drv *d = &self->d;
	unsigned int i;

	BLK_START(false);
	blk_hdr(d, BLK_T_IN, 0);
	/* The header a byte at a time, then a table for data and status. */
	for (i = 0; i < QSIZE - 1; i++)
		desc(d, DESC_GPA(0), i, HDR_GPA + i, 1,
		     NEXT, i + 1);
	desc(d, IND_GPA, 0, HDR_GPA + 15, 1, NEXT, 1);
	desc(d, IND_GPA, 1, STATUS_GPA, 1, WRITE, 0);
	desc(d, DESC_GPA(0), QSIZE - 1, IND_GPA, 32, INDIRECT, 0);
	kick(d, 0, 0);
	check_refused(_metadata, d);

	/* One descriptor less in the table is within the limit. */
	desc(d, IND_GPA, 0, STATUS_GPA, 1, WRITE, 0);
	desc(d, DESC_GPA(0), QSIZE - 1, IND_GPA, 16, INDIRECT, 0);
	desc(d, DESC_GPA(0), 14, HDR_GPA + 14, 2, NEXT, QSIZE - 1);
	blk_hdr(d, BLK_T_FLUSH, 0);
	kick(d, 0, 0);
	ASSERT_EQ(1, next_used(d, 0, NULL));
	ASSERT_EQ(BLK_S_OK, blk_status(d));
}

/* Without VIRTIO_RING_F_INDIRECT_DESC, indirect tables are refused. */
TEST_F(vm, hostile_indirect_not_negotiated)
{
	struct drv *d = &self->d;

	ASSERT_EQ(0, blk_up(d, false));
	ASSERT_EQ(ST_LIVE, start(d, F_VERSION_1, 1));
	blk_hdr(d, BLK_T_IN, 0);
	desc(d, IND_GPA, 0, HDR_GPA, 16, NEXT, 1);
	desc(d, IND_GPA, 1, STATUS_GPA, 1, WRITE, 0);
	desc(d, DESC_GPA(0), 0, IND_GPA, 32, INDIRECT, 0);
	kick(d, 0, 0);
	check_refused(_metadata, d);
}

static int console_up(struct drv *d)
{
	if (pipe(d->pipe))
		return -1;
	if (fcntl(d->pipe[0], F_SETFL, O_NONBLOCK))
		return -1;
	return add_dev(d, virtio_console_create(&d->mem, d->pipe[1]));
}

TEST_F(vm, console_tx)
{
	struct drv *d = &self->d;
	char out[64];

	ASSERT_EQ(0, console_up(d));
	ASSERT_EQ(VIRTIO_ID_CONSOLE, rd(d, VIRTIO_MMIO_DEVICE_ID));
	ASSERT_EQ(ST_LIVE, start(d, FEATURES, 2));
	memcpy(gpa(d, DATA_GPA), "hello, ", 7);
	memcpy(gpa(d, DATA_GPA + 0x100), "world\n", 6);
	desc(d, DESC_GPA(1), 0, DATA_GPA, 7, NEXT, 1);
	desc(d, DESC_GPA(1), 1, DATA_GPA + 0x100, 6, NEXT, 2);
	/* A writable buffer on the transmit queue is not written. */
	desc(d, DESC_GPA(1), 2, DATA_GPA + 0x200, 8, WRITE, 0);
	memset(gpa(d, DATA_GPA + 0x200), 0x77, 8);
	kick(d, 1, 0);
	ASSERT_EQ(0, next_used(d, 1, NULL));
	ASSERT_EQ(13, read(d->pipe[0], out, sizeof(out)));
	ASSERT_EQ(0, memcmp(out, "hello, world\n", 13));
	ASSERT_EQ(0x77, *(uint8_t *)gpa(d, DATA_GPA + 0x207));
	ASSERT_EQ(1, d->irq.level);

	/* A looping transmit chain writes nothing. */
	desc(d, DESC_GPA(1), 1, DATA_GPA + 0x100, 6, NEXT, 0);
	kick(d, 1, 0);
	ASSERT_EQ(0, next_used(d, 1, NULL));
	ASSERT_EQ(-1, read(d->pipe[0], out, sizeof(out)));
	ASSERT_EQ(ST_LIVE, rd(d, VIRTIO_MMIO_STATUS));
}

/* Post a receive buffer of @len bytes at @addr as chain @head. */
static void post_rx(struct drv *d, uint16_t head, uint64_t addr,
		    uint32_t len)
{
	memset(gpa(d, addr), 0, len);
	desc(d, DESC_GPA(0), head, addr, len, WRITE, 0);
	kick(d, 0, head);
}

TEST_F(vm, console_rx)
{
	struct drv *d = &self->d;
	static uint8_t big[10000];
	uint8_t *p;
	uint32_t id;
	unsigned int i;

	ASSERT_EQ(0, console_up(d));
	/* Typed before the driver is up: kept for it. */
	virtio_console_input(d->vdev, (const uint8_t *)"early", 5);
	ASSERT_EQ(ST_LIVE, start(d, FEATURES, 2));
	post_rx(d, 3, DATA_GPA + 0x300, 8);
	ASSERT_EQ(5, next_used(d, 0, &id));
	ASSERT_EQ(3U, id);
	ASSERT_EQ(0, memcmp(gpa(d, DATA_GPA + 0x300), "early", 5));

	/* Nothing to give: buffers stay posted. */
	post_rx(d, 0, DATA_GPA, 8);
	post_rx(d, 1, DATA_GPA + 0x100, 8);
	ASSERT_EQ(-1, next_used(d, 0, NULL));
	wr(d, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_ISR_VRING);
	ASSERT_EQ(0, d->irq.level);

	virtio_console_input(d->vdev, (const uint8_t *)"0123456789ab", 12);
	ASSERT_EQ(1, d->irq.level);
	ASSERT_EQ(8, next_used(d, 0, &id));
	ASSERT_EQ(0U, id);
	ASSERT_EQ(4, next_used(d, 0, &id));
	ASSERT_EQ(1U, id);
	ASSERT_EQ(0, memcmp(gpa(d, DATA_GPA), "01234567", 8));
	ASSERT_EQ(0, memcmp(gpa(d, DATA_GPA + 0x100), "89ab\0", 5));

	/* No buffer: kept until one is posted. */
	virtio_console_input(d->vdev, (const uint8_t *)"xyz", 3);
	ASSERT_EQ(-1, next_used(d, 0, NULL));
	post_rx(d, 2, DATA_GPA + 0x200, 8);
	ASSERT_EQ(3, next_used(d, 0, NULL));
	ASSERT_EQ(0, memcmp(gpa(d, DATA_GPA + 0x200), "xyz", 3));

	/* Too much with no buffer: the first VIRTIO_CONSOLE_INBUF kept. */
	for (i = 0; i < sizeof(big); i++)
		big[i] = 'A' + i % 26;
	virtio_console_input(d->vdev, big, sizeof(big));
	post_rx(d, 4, DATA_GPA + 0x1000, 2 * VIRTIO_CONSOLE_INBUF);
	ASSERT_EQ(VIRTIO_CONSOLE_INBUF, next_used(d, 0, NULL));
	ASSERT_EQ(0, memcmp(gpa(d, DATA_GPA + 0x1000), big,
			    VIRTIO_CONSOLE_INBUF));
	p = gpa(d, DATA_GPA + 0x1000 + VIRTIO_CONSOLE_INBUF);
	ASSERT_EQ(0, p[0]);

	/* With a buffer posted, more than the ring holds goes through. */
	post_rx(d, 5, DATA_GPA + 0x4000, sizeof(big));
	virtio_console_input(d->vdev, big, sizeof(big));
	ASSERT_EQ((int64_t)sizeof(big), next_used(d, 0, NULL));
	ASSERT_EQ(0, memcmp(gpa(d, DATA_GPA + 0x4000), big, sizeof(big)));

	/* A receive buffer outside RAM is refused, the input kept. */
	desc(d, DESC_GPA(0), 6, RAM_END - 4, 8, WRITE, 0);
	kick(d, 0, 6);
	virtio_console_input(d->vdev, (const uint8_t *)"ok", 2);
	ASSERT_EQ(0, next_used(d, 0, NULL));
	post_rx(d, 7, DATA_GPA, 8);
	ASSERT_EQ(2, next_used(d, 0, NULL));
	ASSERT_EQ(ST_LIVE, rd(d, VIRTIO_MMIO_STATUS));
}

#define FEED_CHUNKS	1000
#define FEED_BYTES	(FEED_CHUNKS * 4)
#define RX_BUF		64

static void *feeder(void *arg)
{
	struct virtio_dev *vdev = arg;
	unsigned int i;

	for (i = 0; i < FEED_CHUNKS; i++) {
		virtio_console_input(vdev, (const uint8_t *)"abcd", 4);
		if (i % 64 == 0)
			sched_yield();
	}
	return NULL;
}

/*
 * Input from another thread while the driver (this thread) takes it and
 * posts buffers again: every byte arrives, in order. FEED_BYTES fits the
 * device's input ring, so none may be dropped however the two interleave.
 */
TEST_F(vm, console_rx_thread)
{
	struct drv *d = &self->d;
	static char got[FEED_BYTES + RX_BUF];
	struct timespec t0, t;
	size_t received = 0;
	pthread_t thread;
	int64_t len;
	uint32_t id;
	unsigned int i;

	ASSERT_EQ(0, console_up(d));
	ASSERT_EQ(ST_LIVE, start(d, FEATURES, 2));
	for (i = 0; i < QSIZE; i++)
		post_rx(d, i, DATA_GPA + i * RX_BUF, RX_BUF);
	ASSERT_EQ(0, pthread_create(&thread, NULL, feeder, d->vdev));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (received < FEED_BYTES) {
		len = next_used(d, 0, &id);
		if (len < 0) {
			clock_gettime(CLOCK_MONOTONIC, &t);
			if (t.tv_sec - t0.tv_sec > 10)
				break;
			sched_yield();
			continue;
		}
		ASSERT_GT(QSIZE, id);
		ASSERT_GE(RX_BUF, len);
		ASSERT_GE(FEED_BYTES, received + len);
		memcpy(got + received, gpa(d, DATA_GPA + id * RX_BUF), len);
		received += len;
		post_rx(d, id, DATA_GPA + id * RX_BUF, RX_BUF);
	}
	pthread_join(thread, NULL);
	ASSERT_EQ(FEED_BYTES, received);
	for (i = 0; i < FEED_BYTES; i++)
		ASSERT_EQ("abcd"[i % 4], got[i]);
	ASSERT_EQ(ST_LIVE, rd(d, VIRTIO_MMIO_STATUS));
}

TEST_F(vm, rng)
{
	struct drv *d = &self->d;
	uint8_t *a, *b, zero[256] = { 0 };

	ASSERT_EQ(0, add_dev(d, virtio_rng_create(&d->mem)));
	ASSERT_EQ(VIRTIO_ID_RNG, rd(d, VIRTIO_MMIO_DEVICE_ID));
	ASSERT_EQ(ST_LIVE, start(d, FEATURES, 1));
	a = gpa(d, DATA_GPA);
	b = gpa(d, DATA_GPA + 0x100);
	memset(a, 0, 0x200);
	/* A readable piece (left alone), then two writable ones. */
	desc(d, DESC_GPA(0), 0, DATA_GPA + 0x1000, 16, NEXT, 1);
	desc(d, DESC_GPA(0), 1, DATA_GPA, 64, NEXT | WRITE, 2);
	desc(d, DESC_GPA(0), 2, DATA_GPA + 0x100, 100, WRITE, 0);
	memset(gpa(d, DATA_GPA + 0x1000), 0x55, 16);
	kick(d, 0, 0);
	ASSERT_EQ(164, next_used(d, 0, NULL));
	ASSERT_EQ(1, d->irq.level);
	/* 2^-512 and 2^-800 chances of a false failure. */
	ASSERT_NE(0, memcmp(a, zero, 64));
	ASSERT_NE(0, memcmp(b, zero, 100));
	ASSERT_EQ(0, memcmp(a + 64, zero, 0x100 - 64));
	ASSERT_EQ(0, memcmp(b + 100, zero, 0x100 - 100));
	ASSERT_EQ(0x55, *(uint8_t *)gpa(d, DATA_GPA + 0x100f));

	/* A huge request gets a bounded answer. */
	desc(d, DESC_GPA(0), 0, DATA_GPA, 0x20000, WRITE, 0);
	kick(d, 0, 0);
	ASSERT_EQ(0x10000, next_used(d, 0, NULL));

	/* A buffer outside RAM is refused; the device goes on. */
	desc(d, DESC_GPA(0), 0, RAM_END - 32, 64, WRITE, 0);
	kick(d, 0, 0);
	ASSERT_EQ(0, next_used(d, 0, NULL));
	desc(d, DESC_GPA(0), 0, DATA_GPA, 32, WRITE, 0);
	kick(d, 0, 0);
	ASSERT_EQ(32, next_used(d, 0, NULL));
	ASSERT_EQ(ST_LIVE, rd(d, VIRTIO_MMIO_STATUS));
}

TEST_HARNESS_MAIN
