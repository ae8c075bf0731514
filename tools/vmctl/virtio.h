/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A virtio 1.x device as its transports see it (virtio.c): features,
 * status, queues and config space, shared by virtio-mmio (section 4.2)
 * and virtio-pci (section 4.1). A device model (virtio_blk.c, ...) embeds
 * a struct virtio_dev and is created off any bus; a transport then puts
 * its register window on one (virtio_mmio_attach, virtio_pci_attach).
 */
#ifndef VMCTL_VIRTIO_H
#define VMCTL_VIRTIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmctl.h"
#include "virtqueue.h"

/* Device status bits, section 2.1. */
#define VIRTIO_STATUS_ACKNOWLEDGE	0x01
#define VIRTIO_STATUS_DRIVER		0x02
#define VIRTIO_STATUS_DRIVER_OK		0x04
#define VIRTIO_STATUS_FEATURES_OK	0x08
#define VIRTIO_STATUS_NEEDS_RESET	0x40
#define VIRTIO_STATUS_FAILED		0x80

/* ISR bits, the same in both transports (4.1.4.5, 4.2.2). */
#define VIRTIO_ISR_VRING		0x1
#define VIRTIO_ISR_CONFIG		0x2

/* Feature bits of every device type, section 6. */
#define VIRTIO_RING_F_INDIRECT_DESC	28
#define VIRTIO_RING_F_EVENT_IDX		29
#define VIRTIO_F_VERSION_1		32

/* Device IDs, section 5. */
#define VIRTIO_ID_BLOCK			2
#define VIRTIO_ID_CONSOLE		3
#define VIRTIO_ID_RNG			4

#define VIRTIO_MAX_QUEUES		2
#define VIRTIO_CONFIG_MAX		64

/* virtio_transport.signal()'s queue for a configuration change. */
#define VIRTIO_SIGNAL_CONFIG		(-1)

struct virtio_dev;

/* What a device model behind the transport provides. */
struct virtio_dev_ops {
	/* The driver notified queue @q; it is ready and the device live. */
	void (*notify)(struct virtio_dev *vdev, unsigned int q);
	/* The driver reset the device; the common state is reset. */
	void (*reset)(struct virtio_dev *vdev);
	/* Free the model, @vdev (embedded in it) included. */
	void (*destroy)(struct virtio_dev *vdev);
};

/* What the transport the device sits on provides. */
struct virtio_transport {
	/* Interrupt the driver: used buffers on queue @q, or config. */
	void (*signal)(struct virtio_dev *vdev, int q);
	/* After a device reset: the transport's own state, its line. */
	void (*reset)(struct virtio_dev *vdev);
	/* Free what attach allocated (not @vdev). */
	void (*destroy)(struct virtio_dev *vdev);
};

struct virtio_dev {
	/*
	 * The transport's register window on the bus. Its lock guards all
	 * of this: register accesses come with it held, and device models
	 * take it for work from their own threads.
	 */
	struct device dev;
	const char *name;
	struct guest_mem *mem;
	const struct virtio_dev_ops *ops;
	const struct virtio_transport *transport;
	void *transport_data;
	struct irq_line *irq;		/* mmio's line, PCI's INTx */
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
	struct virtqueue vq[VIRTIO_MAX_QUEUES];

	/* Device config space, little-endian, read-only to the driver. */
	uint8_t config[VIRTIO_CONFIG_MAX];
	uint32_t config_generation;
};

/* For device models. */
void virtio_dev_init(struct virtio_dev *vdev, const char *name,
		     struct guest_mem *mem, uint32_t device_id,
		     uint64_t features, unsigned int nr_queues,
		     const struct virtio_dev_ops *ops);
/* Whether the driver finished setup and the device is not broken. */
bool virtio_live(const struct virtio_dev *vdev);
bool virtio_has_feature(const struct virtio_dev *vdev, unsigned int bit);
/*
 * After taking chains off queues: mark the device broken if a queue is,
 * and interrupt the driver if something was returned and it wants to
 * hear of it. Called with vdev->dev.lock held.
 */
void virtio_update(struct virtio_dev *vdev);
/* Set DEVICE_NEEDS_RESET, stop processing, signal a config change. */
void virtio_set_broken(struct virtio_dev *vdev);
/* Off its bus (or never on one): free transport and model. */
void virtio_destroy(struct virtio_dev *vdev);

/* For transports, with vdev->dev.lock held. */
void virtio_reset(struct virtio_dev *vdev);
void virtio_set_status(struct virtio_dev *vdev, uint32_t val);
/* Features word @sel (0 or 1) of the device's, or 0. */
uint32_t virtio_device_features_word(const struct virtio_dev *vdev,
				     uint32_t sel);
/* The driver's features word, until FEATURES_OK is accepted. */
void virtio_set_driver_features_word(struct virtio_dev *vdev, uint32_t sel,
				     uint32_t val);
/* The selected queue, or NULL past the last. */
struct virtqueue *virtio_cur_vq(struct virtio_dev *vdev);
/* QueueReady / queue_enable written with @on. */
void virtio_queue_enable(struct virtio_dev *vdev, bool on);
/* The driver notified queue @q (ignored if it cannot be acted on). */
void virtio_queue_notify(struct virtio_dev *vdev, uint32_t q);
/* Config space: any width, little-endian, zeros past the end. */
uint64_t virtio_config_read(const struct virtio_dev *vdev, uint64_t off,
			    unsigned int len);
/* Set the low (@high false) or high 32 bits of @reg. */
void virtio_set_half(uint64_t *reg, bool high, uint32_t val);
/* The level-triggered line: asserted while @level. */
void virtio_set_line(struct virtio_dev *vdev, bool level);

/*
 * The devices. Each returns NULL with errno set on error; @mem must
 * outlive the device.
 */

/*
 * virtio-blk on @fd (a file or block device, kept open by the caller);
 * its size is rounded down to whole 512-byte sectors.
 */
struct virtio_dev *virtio_blk_create(struct guest_mem *mem, int fd,
				     bool readonly);
/* virtio-console, one port; what the guest writes goes to @out_fd. */
struct virtio_dev *virtio_console_create(struct guest_mem *mem, int out_fd);
/*
 * Input for the guest, from any thread (takes vdev->dev.lock). What does
 * not fit in the buffers the guest posted is kept, up to
 * VIRTIO_CONSOLE_INBUF bytes, until it posts more; the rest is dropped.
 */
#define VIRTIO_CONSOLE_INBUF		4096
void virtio_console_input(struct virtio_dev *vdev, const uint8_t *buf,
			  size_t n);
/* virtio-rng, filled from getrandom(). */
struct virtio_dev *virtio_rng_create(struct guest_mem *mem);

#endif /* VMCTL_VIRTIO_H */
