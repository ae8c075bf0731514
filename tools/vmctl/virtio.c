// SPDX-License-Identifier: GPL-2.0
/*
 * The transport-independent half of a virtio 1.x device: feature
 * negotiation (section 3.1), the status state machine (2.1), queue
 * enable and notification, config space. Legacy (pre-1.0) interfaces are
 * not offered: VIRTIO_F_VERSION_1 is required of every driver.
 */
#include <stdlib.h>
#include <string.h>

#include "virtio.h"

bool virtio_has_feature(const struct virtio_dev *vdev, unsigned int bit)
{
	return bit < 64 && (vdev->driver_features >> bit) & 1;
}

bool virtio_live(const struct virtio_dev *vdev)
{
	uint32_t need = VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_FEATURES_OK;

	return (vdev->status & need) == need && !vdev->broken &&
	       !(vdev->status & VIRTIO_STATUS_FAILED);
}

void virtio_set_line(struct virtio_dev *vdev, bool level)
{
	if (level != vdev->irq_level) {
		vdev->irq_level = level;
		irq_set(vdev->irq, level);
	}
}

void virtio_set_broken(struct virtio_dev *vdev)
{
	if (vdev->broken)
		return;
	vdev->broken = true;
	vdev->status |= VIRTIO_STATUS_NEEDS_RESET;
	/* Section 2.1.2: tell the driver with a config change notification. */
	vdev->transport->signal(vdev, VIRTIO_SIGNAL_CONFIG);
}

void virtio_update(struct virtio_dev *vdev)
{
	struct virtqueue *vq;
	unsigned int i;

	for (i = 0; i < vdev->nr_queues; i++) {
		vq = &vdev->vq[i];
		if (vq->broken)
			virtio_set_broken(vdev);
		if (vq->pushed && vq->ready) {
			vq->pushed = false;
			if (vq_want_signal(vq))
				vdev->transport->signal(vdev, i);
		}
	}
}

void virtio_reset(struct virtio_dev *vdev)
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
	if (vdev->transport && vdev->transport->reset)
		vdev->transport->reset(vdev);
	if (vdev->ops->reset)
		vdev->ops->reset(vdev);
}

/* Section 3.1.1: FEATURES_OK only for what we offered, VERSION_1 included. */
static bool features_ok(const struct virtio_dev *vdev)
{
	return !(vdev->driver_features & ~vdev->device_features) &&
	       virtio_has_feature(vdev, VIRTIO_F_VERSION_1);
}

void virtio_set_status(struct virtio_dev *vdev, uint32_t val)
{
	uint32_t old = vdev->status, new;
	unsigned int i;

	if (!val) {
		virtio_reset(vdev);
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
	if ((new & ~old & VIRTIO_STATUS_DRIVER_OK) && virtio_live(vdev)) {
		for (i = 0; i < vdev->nr_queues; i++)
			if (vdev->vq[i].ready)
				vdev->ops->notify(vdev, i);
		virtio_update(vdev);
	}
}

uint32_t virtio_device_features_word(const struct virtio_dev *vdev,
				     uint32_t sel)
{
	return sel > 1 ? 0 : (uint32_t)(vdev->device_features >> (32 * sel));
}

void virtio_set_half(uint64_t *reg, bool high, uint32_t val)
{
	if (high)
		*reg = (*reg & 0xffffffffULL) | (uint64_t)val << 32;
	else
		*reg = (*reg & ~0xffffffffULL) | val;
}

void virtio_set_driver_features_word(struct virtio_dev *vdev, uint32_t sel,
				     uint32_t val)
{
	/* Settled once FEATURES_OK was accepted. */
	if (vdev->status & VIRTIO_STATUS_FEATURES_OK)
		return;
	if (sel < 2)
		virtio_set_half(&vdev->driver_features, sel, val);
}

struct virtqueue *virtio_cur_vq(struct virtio_dev *vdev)
{
	if (vdev->queue_sel >= vdev->nr_queues)
		return NULL;
	return &vdev->vq[vdev->queue_sel];
}

void virtio_queue_enable(struct virtio_dev *vdev, bool on)
{
	struct virtqueue *vq = virtio_cur_vq(vdev);

	if (!vq)
		return;
	if (!on) {
		/* Stopped: a later enable starts from fresh rings. */
		vq->ready = false;
		vq->pushed = false;
		return;
	}
	if (vq->ready)
		return;
	vq->indirect = virtio_has_feature(vdev, VIRTIO_RING_F_INDIRECT_DESC);
	/*
	 * A bad size or ring address leaves the queue not ready. The Linux
	 * driver does not read the enable back and would wait forever, so
	 * say so loudly: the device needs a reset.
	 */
	if (!vq_enable(vq, vdev->mem))
		virtio_set_broken(vdev);
}

void virtio_queue_notify(struct virtio_dev *vdev, uint32_t q)
{
	if (q >= vdev->nr_queues || !vdev->vq[q].ready || !virtio_live(vdev))
		return;
	vdev->ops->notify(vdev, q);
	virtio_update(vdev);
}

uint64_t virtio_config_read(const struct virtio_dev *vdev, uint64_t off,
			    unsigned int len)
{
	uint64_t val = 0;
	unsigned int i;

	for (i = 0; i < len && i < 8; i++)
		if (off + i < sizeof(vdev->config))
			val |= (uint64_t)vdev->config[off + i] << (8 * i);
	return val;
}

void virtio_dev_init(struct virtio_dev *vdev, const char *name,
		     struct guest_mem *mem, uint32_t device_id,
		     uint64_t features, unsigned int nr_queues,
		     const struct virtio_dev_ops *ops)
{
	vdev->name = name;
	vdev->mem = mem;
	vdev->ops = ops;
	vdev->device_id = device_id;
	/* The virtqueue code handles indirect tables for every device. */
	vdev->device_features = features | 1ULL << VIRTIO_F_VERSION_1 |
				1ULL << VIRTIO_RING_F_INDIRECT_DESC;
	if (nr_queues > VIRTIO_MAX_QUEUES)
		nr_queues = VIRTIO_MAX_QUEUES;
	vdev->nr_queues = nr_queues;
	virtio_reset(vdev);
}

void virtio_destroy(struct virtio_dev *vdev)
{
	if (!vdev)
		return;
	if (vdev->transport) {
		pthread_mutex_destroy(&vdev->dev.lock);
		if (vdev->transport->destroy)
			vdev->transport->destroy(vdev);
	}
	if (vdev->ops->destroy)
		vdev->ops->destroy(vdev);
	else
		free(vdev);
}
