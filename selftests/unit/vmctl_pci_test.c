// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit test of vmctl's PCI host (ECAM and mechanism #1) and of the
 * modern virtio-pci transport, played as a guest's firmware and driver
 * would through the bus, with virtio-blk behind it.
 * Links: tools/vmctl/bus.c tools/vmctl/pci.c tools/vmctl/virtqueue.c
 * Links: tools/vmctl/virtio.c tools/vmctl/virtio_pci.c
 * Links: tools/vmctl/virtio_blk.c
 *
 * Each case quotes the rule it checks: PCI Local Bus 3.0 (configuration
 * space, BAR sizing, MSI-X), the PCI Firmware specification (ECAM) and
 * virtio 1.x section 4.1 (the capabilities, common configuration, ISR,
 * notifications and interrupts).
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* First: its ARRAY_SIZE, the harness has one only if none is defined. */
#include "virtio_pci.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop

#define ECAM		0xe0000000ULL
#define MEM		0xe1000000ULL
#define MEM_END		0xf0000000ULL
#define RAM_BASE	0x100000ULL
#define RAM_SIZE	(1ULL << 20)
#define DISK_SECTORS	8

#define DESC_GPA	(RAM_BASE + 0x0000)
#define AVAIL_GPA	(RAM_BASE + 0x1000)
#define USED_GPA	(RAM_BASE + 0x2000)
#define HDR_GPA		(RAM_BASE + 0x3000)
#define DATA_GPA	(RAM_BASE + 0x4000)
#define STATUS_GPA	(RAM_BASE + 0x5000)

#define MSI_ADDR(n)	(0xfee00000ULL | (n) << 12)
#define MSI_DATA(n)	(0x40 + (n))

struct msi {
	uint64_t addr;
	uint32_t data;
};

struct fake_line {
	struct irq_line line;
	int level;
};

struct pci_env {
	struct bus bus;
	struct pci_host host;
	struct pci_func bridge;
	pthread_mutex_t bridge_lock;
	struct guest_mem mem;
	struct virtio_dev *vdev;
	struct fake_line intx;
	struct msi sent[16];
	unsigned int nsent;
	int resets;
	int disk;
	uint64_t bar;
	int slot;
};

FIXTURE(pci) {
	struct pci_env e;
};

static void record_msi(void *opaque, uint64_t addr, uint32_t data)
{
	struct pci_env *self = opaque;

	if (self->nsent < ARRAY_SIZE(self->sent)) {
		self->sent[self->nsent].addr = addr;
		self->sent[self->nsent].data = data;
	}
	self->nsent++;
}

static void line_set(struct irq_line *l, int level)
{
	container_of(l, struct fake_line, line)->level = level;
}

static void on_reset(void *opaque)
{
	(*(int *)opaque)++;
}

FIXTURE_SETUP(pci)
{
	struct pci_env *env = &self->e;
	char path[] = "/tmp/vmctl-pci-XXXXXX";
	uint8_t sector[512 * DISK_SECTORS];
	unsigned int i;

	pthread_mutex_init(&env->bridge_lock, NULL);
	ASSERT_EQ(0, pci_host_init(&env->host, &env->bus, ECAM, MEM,
				   MEM_END));
	env->host.reset = on_reset;
	env->host.opaque = &env->resets;
	pci_func_init(&env->bridge, 0x1b36, 0x0008, 0, 0x060000, 0, 0, 0);
	env->bridge.lock = &env->bridge_lock;
	ASSERT_EQ(0, pci_host_add(&env->host, &env->bridge, 0, 0, NULL));

	env->mem.host = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, env->mem.host);
	env->mem.base = RAM_BASE;
	env->mem.size = RAM_SIZE;
	env->disk = mkstemp(path);
	ASSERT_LE(0, env->disk);
	unlink(path);
	for (i = 0; i < sizeof(sector); i++)
		sector[i] = i * 7 + 3;
	ASSERT_EQ(sizeof(sector), pwrite(env->disk, sector, sizeof(sector),
					 0));
	env->vdev = virtio_blk_create(&env->mem, env->disk, false);
	ASSERT_NE(NULL, env->vdev);
	env->slot = virtio_pci_attach(env->vdev, &env->host, record_msi, env);
	ASSERT_EQ(1, env->slot);
	env->intx.line.set = line_set;
	virtio_pci_set_intx(env->vdev, &env->intx.line);
	ASSERT_EQ(0, bus_add(&env->bus, &env->vdev->dev));
	env->bar = env->vdev->dev.base;
}

FIXTURE_TEARDOWN(pci)
{
	struct pci_env *env = &self->e;

	virtio_destroy(env->vdev);
	close(env->disk);
	munmap(env->mem.host, RAM_SIZE);
}

static uint64_t io(struct bus *b, enum io_space s, uint64_t addr,
		   unsigned int len, bool write, uint64_t val)
{
	/* What the guest sees: @len bytes, all ones where nothing answers. */
	if (!bus_access(b, s, addr, len, write, &val))
		val = ~0ULL;
	return write ? 0 : io_bytes(val, len);
}

/* Config space of 00:@slot.0 through ECAM (bus 0: offset dev << 15). */
static uint32_t cfg_rd(struct pci_env *self, unsigned int slot,
		       unsigned int off, unsigned int len)
{
	return io(&self->bus, IO_MMIO, ECAM + (slot << 15) + off, len, false,
		  0);
}

static void cfg_wr(struct pci_env *self, unsigned int slot,
		   unsigned int off, unsigned int len, uint32_t val)
{
	io(&self->bus, IO_MMIO, ECAM + (slot << 15) + off, len, true, val);
}

static uint64_t bar_rd(struct pci_env *self, uint64_t off,
		       unsigned int len)
{
	return io(&self->bus, IO_MMIO, self->bar + off, len, false, 0);
}

static void bar_wr(struct pci_env *self, uint64_t off, unsigned int len,
		   uint64_t val)
{
	io(&self->bus, IO_MMIO, self->bar + off, len, true, val);
}

/* The virtio capability of @type: its config offset, 0 if none. */
static unsigned int find_vcap(struct pci_env *self, uint8_t type)
{
	unsigned int cap = cfg_rd(self, 1, PCI_CAPABILITY_LIST, 1), n;

	for (n = 0; cap && n < 48; n++) {
		if (cfg_rd(self, 1, cap, 1) == PCI_CAP_ID_VNDR &&
		    cfg_rd(self, 1, cap + 3, 1) == type)
			return cap;
		cap = cfg_rd(self, 1, cap + 1, 1);
	}
	return 0;
}

static unsigned int find_cap(struct pci_env *self, uint8_t id)
{
	unsigned int cap = cfg_rd(self, 1, PCI_CAPABILITY_LIST, 1), n;

	for (n = 0; cap && n < 48; n++) {
		if (cfg_rd(self, 1, cap, 1) == id)
			return cap;
		cap = cfg_rd(self, 1, cap + 1, 1);
	}
	return 0;
}

/*
 * PCI 3.0, 6.1: a read of a function that does not exist returns all
 * ones (vendor 0xffff); mechanism #1 (3.2.2.3.2) reads back
 * CONFIG_ADDRESS and reaches the same bytes as ECAM.
 */
TEST_F(pci, enumeration_ecam_and_conf1)
{
	struct pci_env *env = &self->e;
	uint64_t a = 0x80000000u | 1 << 11;	/* 00:01.0 */

	EXPECT_EQ(0x1b36, cfg_rd(env, 0, PCI_VENDOR_ID, 2));
	EXPECT_EQ(0x0600, cfg_rd(env, 0, PCI_CLASS_PROG + 1, 2));
	EXPECT_EQ(0xffff, cfg_rd(env, 2, PCI_VENDOR_ID, 2));
	/* Function 1 of a single-function device does not exist. */
	EXPECT_EQ(0xffffffff, io(&env->bus, IO_MMIO, ECAM + (1 << 15) +
				 (1 << 12), 4, false, 0));

	io(&env->bus, IO_PIO, 0xcf8, 4, true, a);
	EXPECT_EQ(a, io(&env->bus, IO_PIO, 0xcf8, 4, false, 0));
	EXPECT_EQ(cfg_rd(env, 1, 0, 4),
		  io(&env->bus, IO_PIO, 0xcfc, 4, false, 0));
	EXPECT_EQ(cfg_rd(env, 1, 2, 2),
		  io(&env->bus, IO_PIO, 0xcfe, 2, false, 0));
	/* Enable bit clear: no configuration cycle. */
	io(&env->bus, IO_PIO, 0xcf8, 4, true, 1 << 11);
	EXPECT_EQ(0xffffffff, io(&env->bus, IO_PIO, 0xcfc, 4, false, 0));
	/* Bus 1 does not exist. */
	io(&env->bus, IO_PIO, 0xcf8, 4, true, 0x80010000u);
	EXPECT_EQ(0xffffffff, io(&env->bus, IO_PIO, 0xcfc, 4, false, 0));
	/* The 0xcf9 byte is reset control: RST_CPU resets, 0 does not. */
	io(&env->bus, IO_PIO, 0xcf9, 1, true, 0x2);
	EXPECT_EQ(0, env->resets);
	io(&env->bus, IO_PIO, 0xcf9, 1, true, 0x6);
	EXPECT_EQ(1, env->resets);
}

/*
 * virtio 4.1.2: vendor 0x1af4, device 0x1040 + ID, revision >= 1 for a
 * non-transitional device; 4.1.4: common, notify, ISR and device
 * capabilities in a BAR, at least one PCI_CFG capability; notify
 * multiplier even (4.1.4.4).
 */
TEST_F(pci, virtio_identity_and_capabilities)
{
	struct pci_env *env = &self->e;
	unsigned int types[] = { VIRTIO_PCI_CAP_COMMON_CFG,
				 VIRTIO_PCI_CAP_NOTIFY_CFG,
				 VIRTIO_PCI_CAP_ISR_CFG,
				 VIRTIO_PCI_CAP_DEVICE_CFG,
				 VIRTIO_PCI_CAP_PCI_CFG };
	unsigned int i, cap, bar, off, len;

	EXPECT_EQ(0x1af4, cfg_rd(env, 1, PCI_VENDOR_ID, 2));
	EXPECT_EQ(0x1042, cfg_rd(env, 1, PCI_DEVICE_ID, 2));
	EXPECT_LE(1, cfg_rd(env, 1, PCI_REVISION_ID, 1));
	EXPECT_EQ(0, cfg_rd(env, 1, PCI_HEADER_TYPE, 1));
	EXPECT_EQ(1, cfg_rd(env, 1, PCI_INTERRUPT_PIN, 1));
	EXPECT_TRUE(cfg_rd(env, 1, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	for (i = 0; i < ARRAY_SIZE(types); i++) {
		cap = find_vcap(env, types[i]);
		ASSERT_NE(0, cap) TH_LOG("no capability of type %u", types[i]);
		bar = cfg_rd(env, 1, cap + 4, 1);
		off = cfg_rd(env, 1, cap + 8, 4);
		len = cfg_rd(env, 1, cap + 12, 4);
		if (types[i] == VIRTIO_PCI_CAP_PCI_CFG)
			continue;
		EXPECT_EQ(0, bar);
		EXPECT_LE(off + len, VIRTIO_PCI_BAR_SIZE);
		EXPECT_LT(0, len);
	}
	cap = find_vcap(env, VIRTIO_PCI_CAP_NOTIFY_CFG);
	EXPECT_EQ(20, cfg_rd(env, 1, cap + 2, 1));
	EXPECT_EQ(0, cfg_rd(env, 1, cap + 16, 4) % 2);
	cap = find_vcap(env, VIRTIO_PCI_CAP_COMMON_CFG);
	EXPECT_LE(0x38, cfg_rd(env, 1, cap + 12, 4));
	/* MSI-X: one vector per queue and one for configuration. */
	cap = find_cap(env, PCI_CAP_ID_MSIX);
	ASSERT_NE(0, cap);
	EXPECT_EQ(1, cfg_rd(env, 1, cap + 2, 2) & PCI_MSIX_FLAGS_QSIZE);
	/* Capabilities are read-only, except the PCI_CFG window. */
	cap = find_vcap(env, VIRTIO_PCI_CAP_COMMON_CFG);
	cfg_wr(env, 1, cap + 8, 4, 0x1234);
	EXPECT_EQ(VIRTIO_PCI_COMMON_OFF, cfg_rd(env, 1, cap + 8, 4));
	(void)len;
}

/*
 * PCI 3.0, 6.2.5.1: writing all ones to a BAR reads back the size as the
 * zeroed low bits; the type bits (32-bit memory) are read-only. 6.2.2:
 * with Memory Space clear the function does not respond.
 */
TEST_F(pci, bar_sizing_and_decode)
{
	struct pci_env *env = &self->e;
	uint32_t orig = cfg_rd(env, 1, PCI_BAR0, 4);

	EXPECT_EQ(env->bar, orig);
	EXPECT_LE(MEM, orig);
	EXPECT_EQ(0, orig % VIRTIO_PCI_BAR_SIZE);
	cfg_wr(env, 1, PCI_BAR0, 4, 0xffffffff);
	EXPECT_EQ((uint32_t)~(VIRTIO_PCI_BAR_SIZE - 1),
		  cfg_rd(env, 1, PCI_BAR0, 4));
	/* BARs 1-5 are unimplemented: they read zero after all ones. */
	cfg_wr(env, 1, PCI_BAR0 + 4, 4, 0xffffffff);
	EXPECT_EQ(0, cfg_rd(env, 1, PCI_BAR0 + 4, 4));

	/* Sizing left the BAR elsewhere: no decode at the old address. */
	cfg_wr(env, 1, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	EXPECT_EQ(0xffff, bar_rd(env, VIRTIO_PCI_NUM_QUEUES, 2));
	cfg_wr(env, 1, PCI_BAR0, 4, orig);
	EXPECT_EQ(1, bar_rd(env, VIRTIO_PCI_NUM_QUEUES, 2));
	cfg_wr(env, 1, PCI_COMMAND, 2, 0);
	EXPECT_EQ(0xffff, bar_rd(env, VIRTIO_PCI_NUM_QUEUES, 2));
}

/* Reset, negotiate VERSION_1 and set up queue 0 (virtio 3.1.1, 4.1.5). */
static void setup_queue(struct pci_env *self,
			struct __test_metadata *_metadata)
{
	cfg_wr(self, 1, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	bar_wr(self, VIRTIO_PCI_DEVICE_STATUS, 1, 0);
	ASSERT_EQ(0, bar_rd(self, VIRTIO_PCI_DEVICE_STATUS, 1));
	bar_wr(self, VIRTIO_PCI_DEVICE_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE |
	       VIRTIO_STATUS_DRIVER);
	bar_wr(self, VIRTIO_PCI_DEVICE_FEATURE_SELECT, 4, 1);
	ASSERT_EQ(1, bar_rd(self, VIRTIO_PCI_DEVICE_FEATURE, 4) & 1);
	bar_wr(self, VIRTIO_PCI_DRIVER_FEATURE_SELECT, 4, 1);
	bar_wr(self, VIRTIO_PCI_DRIVER_FEATURE, 4, 1);	/* VERSION_1 */
	bar_wr(self, VIRTIO_PCI_DEVICE_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE |
	       VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	ASSERT_TRUE(bar_rd(self, VIRTIO_PCI_DEVICE_STATUS, 1) &
		    VIRTIO_STATUS_FEATURES_OK);
	bar_wr(self, VIRTIO_PCI_QUEUE_SELECT, 2, 0);
	/* 4.1.4.3.2: queue_size reads the maximum after reset. */
	ASSERT_EQ(VIRTQ_MAX_SIZE, bar_rd(self, VIRTIO_PCI_QUEUE_SIZE, 2));
	bar_wr(self, VIRTIO_PCI_QUEUE_SIZE, 2, 8);
	/* 64-bit fields as two 32-bit halves, as Linux writes them. */
	bar_wr(self, VIRTIO_PCI_QUEUE_DESC, 4, DESC_GPA);
	bar_wr(self, VIRTIO_PCI_QUEUE_DESC + 4, 4, 0);
	bar_wr(self, VIRTIO_PCI_QUEUE_DRIVER, 8, AVAIL_GPA);
	bar_wr(self, VIRTIO_PCI_QUEUE_DEVICE, 4, USED_GPA);
	bar_wr(self, VIRTIO_PCI_QUEUE_DEVICE + 4, 4, 0);
	EXPECT_EQ(DESC_GPA, bar_rd(self, VIRTIO_PCI_QUEUE_DESC, 8));
	bar_wr(self, VIRTIO_PCI_QUEUE_ENABLE, 2, 1);
	ASSERT_EQ(1, bar_rd(self, VIRTIO_PCI_QUEUE_ENABLE, 2));
	/* Queue fields are fixed while it is enabled. */
	bar_wr(self, VIRTIO_PCI_QUEUE_SIZE, 2, 4);
	EXPECT_EQ(8, bar_rd(self, VIRTIO_PCI_QUEUE_SIZE, 2));
	EXPECT_EQ(0, bar_rd(self, VIRTIO_PCI_QUEUE_NOTIFY_OFF, 2));
	bar_wr(self, VIRTIO_PCI_DEVICE_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE |
	       VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
	       VIRTIO_STATUS_DRIVER_OK);
}

/* A one-sector read request on queue 0, notified through the BAR. */
static void read_sector(struct pci_env *self, uint16_t idx)
{
	struct virtq_desc *d = guest_ptr(&self->mem, DESC_GPA, 3 * 16);
	struct virtq_avail *av = guest_ptr(&self->mem, AVAIL_GPA, 4 + 16);
	uint32_t *hdr = guest_ptr(&self->mem, HDR_GPA, 16);
	uint8_t *st = guest_ptr(&self->mem, STATUS_GPA, 1);
	unsigned int notify = VIRTIO_PCI_NOTIFY_OFF;

	memset(hdr, 0, 16);			/* VIRTIO_BLK_T_IN, sector 0 */
	*st = 0xee;
	d[0] = (struct virtq_desc){ HDR_GPA, 16, VIRTQ_DESC_F_NEXT, 1 };
	d[1] = (struct virtq_desc){ DATA_GPA, 512,
		VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2 };
	d[2] = (struct virtq_desc){ STATUS_GPA, 1, VIRTQ_DESC_F_WRITE, 0 };
	av->ring[idx % 8] = 0;
	__atomic_store_n(&av->idx, idx + 1, __ATOMIC_RELEASE);
	/* queue_notify_off 0 times the multiplier: the queue's address. */
	bar_wr(self, notify + 0 * VIRTIO_PCI_NOTIFY_MULT, 2, 0);
}

static uint16_t used_idx(struct pci_env *self)
{
	struct virtq_used *u = guest_ptr(&self->mem, USED_GPA, 4);

	return __atomic_load_n(&u->idx, __ATOMIC_ACQUIRE);
}

/*
 * 4.1.4.5 and 4.1.5.3: without MSI-X, a used buffer sets ISR bit 0 and
 * asserts INTx; reading the ISR clears it and deasserts. PCI 3.0 6.2.2:
 * Interrupt Disable stops the assertion, 6.2.3 Status bit 3 shows it.
 */
TEST_F(pci, intx_and_isr)
{
	struct pci_env *env = &self->e;
	uint8_t *data = guest_ptr(&env->mem, DATA_GPA, 512);

	setup_queue(env, _metadata);
	read_sector(env, 0);
	ASSERT_EQ(1, used_idx(env));
	EXPECT_EQ(0, *(uint8_t *)guest_ptr(&env->mem, STATUS_GPA, 1));
	EXPECT_EQ(3, data[0]);
	EXPECT_EQ((uint8_t)(7 * 511 + 3), data[511]);
	EXPECT_EQ(1, env->intx.level);
	EXPECT_TRUE(cfg_rd(env, 1, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
	EXPECT_EQ(0, env->nsent);

	cfg_wr(env, 1, PCI_COMMAND, 2, PCI_COMMAND_MEMORY |
	       PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE);
	EXPECT_EQ(0, env->intx.level);
	cfg_wr(env, 1, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	EXPECT_EQ(1, env->intx.level);

	EXPECT_EQ(VIRTIO_ISR_VRING, bar_rd(env, VIRTIO_PCI_ISR_OFF, 1));
	EXPECT_EQ(0, env->intx.level);
	EXPECT_EQ(0, bar_rd(env, VIRTIO_PCI_ISR_OFF, 1));
	EXPECT_FALSE(cfg_rd(env, 1, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
}

/*
 * PCI 3.0 6.8.2: with MSI-X enabled the function sends the message of
 * the entry the driver mapped (virtio 4.1.5.1.2: queue_msix_vector),
 * never INTx; a masked entry's message is held in its Pending Bit and
 * sent when it is unmasked. A vector the table has not is NO_VECTOR
 * (4.1.4.3: the device returns NO_VECTOR if it cannot map it).
 */
TEST_F(pci, msix_vectors_mask_and_pending)
{
	struct pci_env *env = &self->e;
	unsigned int cap = find_cap(env, PCI_CAP_ID_MSIX);
	uint64_t table = VIRTIO_PCI_MSIX_TABLE_OFF, pba;
	unsigned int v;

	ASSERT_NE(0, cap);
	EXPECT_EQ(VIRTIO_PCI_MSIX_TABLE_OFF, cfg_rd(env, 1, cap + 4, 4));
	pba = cfg_rd(env, 1, cap + 8, 4);
	setup_queue(env, _metadata);
	for (v = 0; v < 2; v++) {
		/* Entries come out of reset masked. */
		EXPECT_EQ(1, bar_rd(env, table + 16 * v + 12, 4));
		bar_wr(env, table + 16 * v, 4, MSI_ADDR(v));
		bar_wr(env, table + 16 * v + 4, 4, 0);
		bar_wr(env, table + 16 * v + 8, 4, MSI_DATA(v));
	}
	cfg_wr(env, 1, cap + 2, 2, PCI_MSIX_FLAGS_ENABLE);
	bar_wr(env, VIRTIO_PCI_CONFIG_MSIX_VECTOR, 2, 1);
	EXPECT_EQ(1, bar_rd(env, VIRTIO_PCI_CONFIG_MSIX_VECTOR, 2));
	bar_wr(env, VIRTIO_PCI_QUEUE_MSIX_VECTOR, 2, 7);
	EXPECT_EQ(VIRTIO_MSI_NO_VECTOR,
		  bar_rd(env, VIRTIO_PCI_QUEUE_MSIX_VECTOR, 2));
	bar_wr(env, VIRTIO_PCI_QUEUE_MSIX_VECTOR, 2, 0);
	EXPECT_EQ(0, bar_rd(env, VIRTIO_PCI_QUEUE_MSIX_VECTOR, 2));

	/* Masked: pending, nothing sent. */
	read_sector(env, 0);
	ASSERT_EQ(1, used_idx(env));
	EXPECT_EQ(0, env->nsent);
	EXPECT_EQ(1, bar_rd(env, pba, 8) & 1);
	EXPECT_EQ(0, env->intx.level);
	/* Unmasked: the held message goes out, the bit clears. */
	bar_wr(env, table + 12, 4, 0);
	ASSERT_EQ(1, env->nsent);
	EXPECT_EQ(MSI_ADDR(0), env->sent[0].addr);
	EXPECT_EQ(MSI_DATA(0), env->sent[0].data);
	EXPECT_EQ(0, bar_rd(env, pba, 8));
	/* Live: straight out. */
	read_sector(env, 1);
	ASSERT_EQ(2, env->nsent);
	EXPECT_EQ(MSI_DATA(0), env->sent[1].data);
	/* Function Mask holds every vector; clearing it sends. */
	cfg_wr(env, 1, cap + 2, 2, PCI_MSIX_FLAGS_ENABLE |
	       PCI_MSIX_FLAGS_MASKALL);
	read_sector(env, 2);
	EXPECT_EQ(2, env->nsent);
	cfg_wr(env, 1, cap + 2, 2, PCI_MSIX_FLAGS_ENABLE);
	EXPECT_EQ(3, env->nsent);
	/* NO_VECTOR: no interrupt at all. */
	bar_wr(env, VIRTIO_PCI_QUEUE_MSIX_VECTOR, 2, VIRTIO_MSI_NO_VECTOR);
	read_sector(env, 3);
	EXPECT_EQ(4, used_idx(env));
	EXPECT_EQ(3, env->nsent);
	EXPECT_EQ(0, env->intx.level);
	/* Bus Master Enable clear: no MSI-X (6.8.1.3) and no DMA. */
	bar_wr(env, VIRTIO_PCI_QUEUE_MSIX_VECTOR, 2, 0);
	cfg_wr(env, 1, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	read_sector(env, 4);
	EXPECT_EQ(4, used_idx(env));
	cfg_wr(env, 1, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	EXPECT_EQ(3, env->nsent);
	bar_wr(env, VIRTIO_PCI_NOTIFY_OFF, 2, 0);
	EXPECT_EQ(5, used_idx(env));
	EXPECT_EQ(4, env->nsent);
	/* Misaligned or narrow table accesses are ignored (6.8.2). */
	bar_wr(env, table + 2, 2, 0xffff);
	EXPECT_EQ(MSI_ADDR(0), bar_rd(env, table, 4));
}

/*
 * 4.1.4.8: the PCI_CFG capability reaches the BAR through config space:
 * the driver sets bar, offset and length, then pci_cfg_data accesses it.
 */
TEST_F(pci, pci_cfg_access_window)
{
	struct pci_env *env = &self->e;
	unsigned int cap = find_vcap(env, VIRTIO_PCI_CAP_PCI_CFG);

	ASSERT_NE(0, cap);
	cfg_wr(env, 1, cap + 4, 1, 0);
	cfg_wr(env, 1, cap + 8, 4, VIRTIO_PCI_NUM_QUEUES);
	cfg_wr(env, 1, cap + 12, 4, 2);
	EXPECT_EQ(1, cfg_rd(env, 1, cap + 16, 4) & 0xffff);
	/* Writes too: select feature word 1 and read it back. */
	cfg_wr(env, 1, cap + 8, 4, VIRTIO_PCI_DEVICE_FEATURE_SELECT);
	cfg_wr(env, 1, cap + 12, 4, 4);
	cfg_wr(env, 1, cap + 16, 4, 1);
	cfg_wr(env, 1, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	EXPECT_EQ(1, bar_rd(env, VIRTIO_PCI_DEVICE_FEATURE_SELECT, 4));
	EXPECT_EQ(1, bar_rd(env, VIRTIO_PCI_DEVICE_FEATURE, 4) & 1);
}

TEST_HARNESS_MAIN
