/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The virtio-mmio transport, version 2 only (virtio 1.x, section 4.2.2),
 * and the virtio devices vmctl puts behind it. A transport is one
 * struct device of 0x200 bytes for the bus; the device model behind it
 * sees its queues and is called when the driver notifies one.
 */
#ifndef VMCTL_VIRTIO_MMIO_H
#define VMCTL_VIRTIO_MMIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmctl.h"
#include "virtqueue.h"

#ifndef container_of
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))
#endif

#define VIRTIO_MMIO_SIZE		0x200
#define VIRTIO_MMIO_MAGIC		0x74726976	/* "virt" */
#define VIRTIO_MMIO_VENDOR		0x4d565841	/* "AXVM" */

/* Registers (offsets from the base), section 4.2.2. */
#define VIRTIO_MMIO_MAGIC_VALUE		0x000
#define VIRTIO_MMIO_VERSION		0x004
#define VIRTIO_MMIO_DEVICE_ID		0x008
#define VIRTIO_MMIO_VENDOR_ID		0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES	0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL	0x014
#define VIRTIO_MMIO_DRIVER_FEATURES	0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL	0x024
#define VIRTIO_MMIO_QUEUE_SEL		0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX	0x034
#define VIRTIO_MMIO_QUEUE_NUM		0x038
#define VIRTIO_MMIO_QUEUE_READY		0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY	0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS	0x060
#define VIRTIO_MMIO_INTERRUPT_ACK	0x064
#define VIRTIO_MMIO_STATUS		0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW	0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH	0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW	0x090
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH	0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW	0x0a0
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH	0x0a4
#define VIRTIO_MMIO_SHM_SEL		0x0ac
#define VIRTIO_MMIO_SHM_LEN_LOW		0x0b0
#define VIRTIO_MMIO_SHM_LEN_HIGH	0x0b4
#define VIRTIO_MMIO_SHM_BASE_LOW	0x0b8
#define VIRTIO_MMIO_SHM_BASE_HIGH	0x0bc
#define VIRTIO_MMIO_CONFIG_GENERATION	0x0fc
#define VIRTIO_MMIO_CONFIG		0x100

#define VIRTIO_MMIO_INT_VRING		0x1
#define VIRTIO_MMIO_INT_CONFIG		0x2

/* Device status bits, section 2.1. */
#define VIRTIO_STATUS_ACKNOWLEDGE	0x01
#define VIRTIO_STATUS_DRIVER		0x02
#define VIRTIO_STATUS_DRIVER_OK		0x04
#define VIRTIO_STATUS_FEATURES_OK	0x08
#define VIRTIO_STATUS_NEEDS_RESET	0x40
#define VIRTIO_STATUS_FAILED		0x80

/* Feature bits of every device type, section 6. */
#define VIRTIO_RING_F_INDIRECT_DESC	28
#define VIRTIO_RING_F_EVENT_IDX		29
#define VIRTIO_F_VERSION_1		32

/* Device IDs, section 5. */
#define VIRTIO_ID_BLOCK			2
#define VIRTIO_ID_CONSOLE		3
#define VIRTIO_ID_RNG			4

#define VIRTIO_MMIO_MAX_QUEUES		2
#define VIRTIO_MMIO_CONFIG_MAX		64

struct virtio_mmio_dev;

/* What a device model behind the transport provides. */
struct virtio_dev_ops {
	/* The driver notified queue @q; it is ready and the device live. */
	void (*notify)(struct virtio_mmio_dev *vdev, unsigned int q);
	/* Status 0 was written; the transport's own state is reset. */
	void (*reset)(struct virtio_mmio_dev *vdev);
	/* Free the model, @vdev (embedded in it) included. */
	void (*destroy)(struct virtio_mmio_dev *vdev);
};

struct virtio_mmio_dev {
	struct device dev;		/* on the bus, IO_MMIO */
	struct guest_mem *mem;
	struct irq_line *irq;
	const struct virtio_dev_ops *ops;
	uint32_t device_id;
	uint64_t device_features;

	/* Driver-visible state; zero after reset. */
	uint64_t driver_features;
	uint32_t device_features_sel;
	uint32_t driver_features_sel;
	uint32_t queue_sel;
	uint32_t shm_sel;
	uint32_t status;
	uint32_t isr;
	bool broken;			/* DEVICE_NEEDS_RESET until reset */
	bool irq_level;			/* last level given to irq_set() */

	unsigned int nr_queues;
	struct virtqueue vq[VIRTIO_MMIO_MAX_QUEUES];

	/* Device config space, little-endian, read-only to the driver. */
	uint8_t config[VIRTIO_MMIO_CONFIG_MAX];
	uint32_t config_generation;
};

/* Transport API, for the device models. */
void virtio_mmio_init(struct virtio_mmio_dev *vdev, const char *name,
		      uint64_t base, struct guest_mem *mem,
		      struct irq_line *irq, uint32_t device_id,
		      uint64_t features, unsigned int nr_queues,
		      const struct virtio_dev_ops *ops);
/* Whether the driver finished setup and the device is not broken. */
bool virtio_mmio_live(const struct virtio_mmio_dev *vdev);
bool virtio_mmio_has_feature(const struct virtio_mmio_dev *vdev,
			     unsigned int bit);
/*
 * After taking chains off queues: mark the device broken if a queue is,
 * and raise the used buffer interrupt if something was returned and the
 * driver wants to hear of it. Called with vdev->dev.lock held.
 */
void virtio_mmio_update(struct virtio_mmio_dev *vdev);
/* Set DEVICE_NEEDS_RESET, stop processing, raise a config interrupt. */
void virtio_mmio_set_broken(struct virtio_mmio_dev *vdev);

/* For the caller: the bus device, the device tree's facts, teardown. */
struct device *virtio_mmio_device(struct virtio_mmio_dev *vdev);
/* The transport behind a bus device, or NULL if it is not virtio-mmio. */
struct virtio_mmio_dev *virtio_mmio_from_device(struct device *dev);
uint32_t virtio_mmio_device_id(const struct virtio_mmio_dev *vdev);
unsigned int virtio_mmio_irq(const struct virtio_mmio_dev *vdev);
/* Not on a bus any more (or never was): the caller removed it. */
void virtio_mmio_destroy(struct virtio_mmio_dev *vdev);

/*
 * The devices. Each returns NULL with errno set on error. @mem and @irq
 * must outlive the device.
 */

/*
 * virtio-blk on @fd (a file or block device, kept open by the caller);
 * its size is rounded down to whole 512-byte sectors.
 */
struct virtio_mmio_dev *virtio_blk_create(uint64_t base,
					  struct guest_mem *mem,
					  struct irq_line *irq, int fd,
					  bool readonly);
/* virtio-console, one port; what the guest writes goes to @out_fd. */
struct virtio_mmio_dev *virtio_console_create(uint64_t base,
					      struct guest_mem *mem,
					      struct irq_line *irq,
					      int out_fd);
/*
 * Input for the guest, from any thread (takes vdev->dev.lock). What does
 * not fit in the buffers the guest posted is kept, up to
 * VIRTIO_CONSOLE_INBUF bytes, until it posts more; the rest is dropped.
 */
#define VIRTIO_CONSOLE_INBUF		4096
void virtio_console_input(struct virtio_mmio_dev *vdev, const uint8_t *buf,
			  size_t n);
/* virtio-rng, filled from getrandom(). */
struct virtio_mmio_dev *virtio_rng_create(uint64_t base,
					  struct guest_mem *mem,
					  struct irq_line *irq);

#endif /* VMCTL_VIRTIO_MMIO_H */
