// SPDX-License-Identifier: GPL-2.0
/*
 * The virtio-mmio transport, version 2 (virtio 1.x, section 4.2.2). Legacy
 * (version 1) devices are not offered: every driver vmctl cares about
 * speaks version 2, and VIRTIO_F_VERSION_1 is required of it.
 *
 * All register accesses come from the bus with the device's lock held;
 * QueueNotify runs the device model's requests synchronously, in the
 * thread of the vCPU that wrote it.
 */
#include <errno.h>

#include "virtio_mmio.h"

static const struct device_ops virtio_mmio_ops;

static struct virtio_dev *to_vdev(struct device *dev)
{
	return container_of(dev, struct virtio_dev, dev);
}

/* The line is level-triggered: asserted while any ISR bit is set. */
static void mmio_signal(struct virtio_dev *vdev, int q)
{
	vdev->isr |= q == VIRTIO_SIGNAL_CONFIG ? VIRTIO_ISR_CONFIG :
						 VIRTIO_ISR_VRING;
	virtio_set_line(vdev, true);
}

static void mmio_reset(struct virtio_dev *vdev)
{
	virtio_set_line(vdev, vdev->isr != 0);
}

static const struct virtio_transport mmio_transport = {
	.signal = mmio_signal,
	.reset = mmio_reset,
};

/* Ring addresses and size may change only while the queue is stopped. */
static void set_queue_reg(struct virtio_dev *vdev, uint64_t off,
			  uint32_t val)
{
	struct virtqueue *vq = virtio_cur_vq(vdev);

	if (!vq || vq->ready)
		return;
	switch (off) {
	case VIRTIO_MMIO_QUEUE_NUM:
		/* Checked (power of two, at most the max) at QueueReady. */
		vq->num = val;
		break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		virtio_set_half(&vq->desc_gpa, off & 4, val);
		break;
	case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
	case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
		virtio_set_half(&vq->avail_gpa, off & 4, val);
		break;
	case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
	case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
		virtio_set_half(&vq->used_gpa, off & 4, val);
		break;
	}
}

static uint64_t virtio_mmio_read(struct device *dev, uint64_t off,
				 unsigned int len)
{
	struct virtio_dev *vdev = to_vdev(dev);
	struct virtqueue *vq = virtio_cur_vq(vdev);

	if (off >= VIRTIO_MMIO_CONFIG)
		return virtio_config_read(vdev, off - VIRTIO_MMIO_CONFIG, len);
	/* Section 4.2.2.2: control registers are 32-bit, aligned. */
	if (len != 4 || off % 4)
		return 0;
	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE:
		return VIRTIO_MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION:
		return 2;
	case VIRTIO_MMIO_DEVICE_ID:
		return vdev->device_id;
	case VIRTIO_MMIO_VENDOR_ID:
		return VIRTIO_MMIO_VENDOR;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		return virtio_device_features_word(vdev,
						   vdev->device_features_sel);
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		return vq ? VIRTQ_MAX_SIZE : 0;
	case VIRTIO_MMIO_QUEUE_READY:
		return vq ? vq->ready : 0;
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		return vdev->isr;
	case VIRTIO_MMIO_STATUS:
		return vdev->status;
	case VIRTIO_MMIO_SHM_LEN_LOW:
	case VIRTIO_MMIO_SHM_LEN_HIGH:
	case VIRTIO_MMIO_SHM_BASE_LOW:
	case VIRTIO_MMIO_SHM_BASE_HIGH:
		/* No shared memory regions: a length of -1 says so. */
		return 0xffffffff;
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return vdev->config_generation;
	default:
		return 0;
	}
}

static void virtio_mmio_write(struct device *dev, uint64_t off,
			      unsigned int len, uint64_t val64)
{
	struct virtio_dev *vdev = to_vdev(dev);
	uint32_t val = val64;

	/* No device here has a writable config field. */
	if (off >= VIRTIO_MMIO_CONFIG || len != 4 || off % 4)
		return;
	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
		vdev->device_features_sel = val;
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		virtio_set_driver_features_word(vdev,
						vdev->driver_features_sel, val);
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
		vdev->driver_features_sel = val;
		break;
	case VIRTIO_MMIO_QUEUE_SEL:
		vdev->queue_sel = val;
		break;
	case VIRTIO_MMIO_QUEUE_NUM:
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
	case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
	case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
	case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
	case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
		set_queue_reg(vdev, off, val);
		break;
	case VIRTIO_MMIO_QUEUE_READY:
		virtio_queue_enable(vdev, val & 1);
		break;
	case VIRTIO_MMIO_QUEUE_NOTIFY:
		virtio_queue_notify(vdev, val);
		break;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		vdev->isr &= ~val;
		virtio_set_line(vdev, vdev->isr != 0);
		break;
	case VIRTIO_MMIO_STATUS:
		virtio_set_status(vdev, val);
		break;
	case VIRTIO_MMIO_SHM_SEL:
		vdev->shm_sel = val;
		break;
	default:
		break;
	}
}

static const struct device_ops virtio_mmio_ops = {
	.read = virtio_mmio_read,
	.write = virtio_mmio_write,
};

int virtio_mmio_attach(struct virtio_dev *vdev, uint64_t base,
		       struct irq_line *irq)
{
	if (vdev->transport) {
		errno = EBUSY;
		return -1;
	}
	device_init(&vdev->dev, vdev->name, IO_MMIO, base, VIRTIO_MMIO_SIZE,
		    &virtio_mmio_ops);
	vdev->irq = irq;
	vdev->transport = &mmio_transport;
	return 0;
}

struct virtio_dev *virtio_mmio_from_device(struct device *dev)
{
	return dev->ops == &virtio_mmio_ops ? to_vdev(dev) : NULL;
}
