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
#include <stdlib.h>
#include <string.h>

#include "virtio_mmio.h"

static const struct device_ops virtio_mmio_ops;

static struct virtio_mmio_dev *to_vdev(struct device *dev)
{
	return container_of(dev, struct virtio_mmio_dev, dev);
}

bool virtio_mmio_has_feature(const struct virtio_mmio_dev *vdev,
			     unsigned int bit)
{
	return bit < 64 && (vdev->driver_features >> bit) & 1;
}

bool virtio_mmio_live(const struct virtio_mmio_dev *vdev)
{
	uint32_t need = VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_FEATURES_OK;

	return (vdev->status & need) == need && !vdev->broken &&
	       !(vdev->status & VIRTIO_STATUS_FAILED);
}

/* The line is level-triggered: asserted while any ISR bit is set. */
static void update_irq(struct virtio_mmio_dev *vdev)
{
	bool level = vdev->isr != 0;

	if (level != vdev->irq_level) {
		vdev->irq_level = level;
		irq_set(vdev->irq, level);
	}
}

void virtio_mmio_set_broken(struct virtio_mmio_dev *vdev)
{
	if (vdev->broken)
		return;
	vdev->broken = true;
	vdev->status |= VIRTIO_STATUS_NEEDS_RESET;
	/* Section 2.1.2: tell the driver with a config change notification. */
	vdev->isr |= VIRTIO_MMIO_INT_CONFIG;
	update_irq(vdev);
}

void virtio_mmio_update(struct virtio_mmio_dev *vdev)
{
	bool signal = false;
	struct virtqueue *vq;
	unsigned int i;

	for (i = 0; i < vdev->nr_queues; i++) {
		vq = &vdev->vq[i];
		if (vq->broken)
			virtio_mmio_set_broken(vdev);
		if (vq->pushed && vq->ready) {
			vq->pushed = false;
			if (vq_want_signal(vq))
				signal = true;
		}
	}
	if (signal) {
		vdev->isr |= VIRTIO_MMIO_INT_VRING;
		update_irq(vdev);
	}
}

static void reset(struct virtio_mmio_dev *vdev)
{
	unsigned int i;

	for (i = 0; i < vdev->nr_queues; i++)
		vq_reset(&vdev->vq[i]);
	vdev->driver_features = 0;
	vdev->device_features_sel = 0;
	vdev->driver_features_sel = 0;
	vdev->queue_sel = 0;
	vdev->shm_sel = 0;
	vdev->status = 0;
	vdev->isr = 0;
	vdev->broken = false;
	update_irq(vdev);
	if (vdev->ops->reset)
		vdev->ops->reset(vdev);
}

/* Section 3.1.1: FEATURES_OK only for what we offered, VERSION_1 included. */
static bool features_ok(const struct virtio_mmio_dev *vdev)
{
	return !(vdev->driver_features & ~vdev->device_features) &&
	       virtio_mmio_has_feature(vdev, VIRTIO_F_VERSION_1);
}

static void set_status(struct virtio_mmio_dev *vdev, uint32_t val)
{
	uint32_t old = vdev->status, new;
	unsigned int i;

	if (!val) {
		reset(vdev);
		return;
	}
	/*
	 * The driver may only add bits (section 2.1.1); keeping the old ones
	 * means a driver cannot quietly drop FEATURES_OK and renegotiate.
	 * NEEDS_RESET is the device's to set.
	 */
	new = (old | val) & 0xff & ~VIRTIO_STATUS_NEEDS_RESET;
	if ((new & ~old & VIRTIO_STATUS_FEATURES_OK) && !features_ok(vdev))
		new &= ~VIRTIO_STATUS_FEATURES_OK;
	if (vdev->broken)
		new |= VIRTIO_STATUS_NEEDS_RESET;
	vdev->status = new;

	/*
	 * Notifications before DRIVER_OK were not acted on; look at every
	 * ready queue now in case one came early (a console's rx buffers).
	 */
	if ((new & ~old & VIRTIO_STATUS_DRIVER_OK) && virtio_mmio_live(vdev)) {
		for (i = 0; i < vdev->nr_queues; i++)
			if (vdev->vq[i].ready)
				vdev->ops->notify(vdev, i);
		virtio_mmio_update(vdev);
	}
}

static struct virtqueue *cur_vq(struct virtio_mmio_dev *vdev)
{
	if (vdev->queue_sel >= vdev->nr_queues)
		return NULL;
	return &vdev->vq[vdev->queue_sel];
}

static void set_queue_ready(struct virtio_mmio_dev *vdev, uint32_t val)
{
	struct virtqueue *vq = cur_vq(vdev);

	if (!vq)
		return;
	if (!(val & 1)) {
		/* Stopped: a later enable starts from fresh rings. */
		vq->ready = false;
		vq->pushed = false;
		return;
	}
	if (vq->ready)
		return;
	vq->indirect = virtio_mmio_has_feature(vdev,
					       VIRTIO_RING_F_INDIRECT_DESC);
	/*
	 * A bad size or ring address leaves the queue not ready. The Linux
	 * driver does not read QueueReady back and would wait forever, so
	 * say so loudly: the device needs a reset.
	 */
	if (!vq_enable(vq, vdev->mem))
		virtio_mmio_set_broken(vdev);
}

static void queue_notify(struct virtio_mmio_dev *vdev, uint32_t q)
{
	if (q >= vdev->nr_queues || !vdev->vq[q].ready ||
	    !virtio_mmio_live(vdev))
		return;
	vdev->ops->notify(vdev, q);
	virtio_mmio_update(vdev);
}

static void set_half(uint64_t *reg, bool high, uint32_t val)
{
	if (high)
		*reg = (*reg & 0xffffffffULL) | (uint64_t)val << 32;
	else
		*reg = (*reg & ~0xffffffffULL) | val;
}

/* Ring addresses and size may change only while the queue is stopped. */
static void set_queue_reg(struct virtio_mmio_dev *vdev, uint64_t off,
			  uint32_t val)
{
	struct virtqueue *vq = cur_vq(vdev);

	if (!vq || vq->ready)
		return;
	switch (off) {
	case VIRTIO_MMIO_QUEUE_NUM:
		/* Checked (power of two, at most the max) at QueueReady. */
		vq->num = val;
		break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		set_half(&vq->desc_gpa, off & 4, val);
		break;
	case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
	case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
		set_half(&vq->avail_gpa, off & 4, val);
		break;
	case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
	case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
		set_half(&vq->used_gpa, off & 4, val);
		break;
	}
}

/* Config space: any width, little-endian, zeros past what the device has. */
static uint64_t config_read(struct virtio_mmio_dev *vdev, uint64_t off,
			    unsigned int len)
{
	uint64_t val = 0;
	unsigned int i;

	for (i = 0; i < len && i < 8; i++)
		if (off + i < sizeof(vdev->config))
			val |= (uint64_t)vdev->config[off + i] << (8 * i);
	return val;
}

static uint64_t virtio_mmio_read(struct device *dev, uint64_t off,
				 unsigned int len)
{
	struct virtio_mmio_dev *vdev = to_vdev(dev);
	struct virtqueue *vq = cur_vq(vdev);

	if (off >= VIRTIO_MMIO_CONFIG)
		return config_read(vdev, off - VIRTIO_MMIO_CONFIG, len);
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
		if (vdev->device_features_sel > 1)
			return 0;
		return (uint32_t)(vdev->device_features >>
				  (32 * vdev->device_features_sel));
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
	struct virtio_mmio_dev *vdev = to_vdev(dev);
	uint32_t val = val64;

	/* No device here has a writable config field. */
	if (off >= VIRTIO_MMIO_CONFIG || len != 4 || off % 4)
		return;
	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
		vdev->device_features_sel = val;
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		/* Settled once FEATURES_OK was accepted. */
		if (vdev->status & VIRTIO_STATUS_FEATURES_OK)
			break;
		if (vdev->driver_features_sel < 2)
			set_half(&vdev->driver_features,
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
		set_queue_ready(vdev, val);
		break;
	case VIRTIO_MMIO_QUEUE_NOTIFY:
		queue_notify(vdev, val);
		break;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		vdev->isr &= ~val;
		update_irq(vdev);
		break;
	case VIRTIO_MMIO_STATUS:
		set_status(vdev, val);
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

void virtio_mmio_init(struct virtio_mmio_dev *vdev, const char *name,
		      uint64_t base, struct guest_mem *mem,
		      struct irq_line *irq, uint32_t device_id,
		      uint64_t features, unsigned int nr_queues,
		      const struct virtio_dev_ops *ops)
{
	device_init(&vdev->dev, name, IO_MMIO, base, VIRTIO_MMIO_SIZE,
		    &virtio_mmio_ops);
	vdev->mem = mem;
	vdev->irq = irq;
	vdev->ops = ops;
	vdev->device_id = device_id;
	/* The virtqueue code handles indirect tables for every device. */
	vdev->device_features = features | 1ULL << VIRTIO_F_VERSION_1 |
				1ULL << VIRTIO_RING_F_INDIRECT_DESC;
	if (nr_queues > VIRTIO_MMIO_MAX_QUEUES)
		nr_queues = VIRTIO_MMIO_MAX_QUEUES;
	vdev->nr_queues = nr_queues;
	reset(vdev);
}

struct device *virtio_mmio_device(struct virtio_mmio_dev *vdev)
{
	return &vdev->dev;
}

struct virtio_mmio_dev *virtio_mmio_from_device(struct device *dev)
{
	return dev->ops == &virtio_mmio_ops ? to_vdev(dev) : NULL;
}

uint32_t virtio_mmio_device_id(const struct virtio_mmio_dev *vdev)
{
	return vdev->device_id;
}

unsigned int virtio_mmio_irq(const struct virtio_mmio_dev *vdev)
{
	return vdev->irq ? vdev->irq->nr : 0;
}

void virtio_mmio_destroy(struct virtio_mmio_dev *vdev)
{
	if (!vdev)
		return;
	pthread_mutex_destroy(&vdev->dev.lock);
	if (vdev->ops->destroy)
		vdev->ops->destroy(vdev);
	else
		free(vdev);
}
