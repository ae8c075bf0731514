// SPDX-License-Identifier: GPL-2.0
/*
 * The modern virtio-pci transport (virtio 1.x, section 4.1). The driver
 * finds the structures through vendor capabilities in config space
 * (4.1.4) and reaches them in BAR 0; interrupts are MSI-X messages once
 * it enables MSI-X, else INTx with the ISR status (4.1.4.5).
 *
 * BAR 0 accesses come from the bus with vdev->dev.lock held; config
 * space accesses take the same lock (pci.c), so one lock guards the
 * function and the device behind it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "virtio_pci.h"

#define CAP_LEN			16	/* struct virtio_pci_cap */
#define NOTIFY_CAP_LEN		20	/* + notify_off_multiplier */
#define CFG_CAP_LEN		20	/* + pci_cfg_data[4] */
#define CAP_BAR			4
#define CAP_OFFSET		8
#define CAP_LENGTH		12
#define CAP_EXTRA		16

struct virtio_pci {
	struct pci_func func;
	struct virtio_dev *vdev;
	uint16_t config_vec;
	uint16_t queue_vec[VIRTIO_MAX_QUEUES];
	unsigned int cfg_cap;		/* the PCI_CFG access window */
};

static const struct device_ops virtio_pci_bar_ops;

static struct virtio_pci *to_vp(struct virtio_dev *vdev)
{
	return vdev->transport_data;
}

/*
 * INTx follows the ISR while MSI-X is off and the driver has not set
 * Interrupt Disable (PCI 3.0, 6.2.2); with MSI-X on it is never driven
 * (6.8.2).
 */
static void update_intx(struct virtio_pci *vp)
{
	struct virtio_dev *vdev = vp->vdev;

	virtio_set_line(vdev, vdev->isr && !pci_msix_enabled(&vp->func) &&
			!(pci_command(&vp->func) & PCI_COMMAND_INTX_DISABLE));
}

static void vp_signal(struct virtio_dev *vdev, int q)
{
	struct virtio_pci *vp = to_vp(vdev);
	uint16_t vec;

	/* 4.1.4.5.1: the config bit is set whatever the interrupt kind. */
	if (q == VIRTIO_SIGNAL_CONFIG)
		vdev->isr |= VIRTIO_ISR_CONFIG;
	if (pci_msix_enabled(&vp->func)) {
		vec = q == VIRTIO_SIGNAL_CONFIG ? vp->config_vec :
						  vp->queue_vec[q];
		/* NO_VECTOR: the driver asked for no interrupt (4.1.5.1.2). */
		if (vec != VIRTIO_MSI_NO_VECTOR)
			pci_msix_notify(&vp->func, vec);
		return;
	}
	if (q != VIRTIO_SIGNAL_CONFIG)
		vdev->isr |= VIRTIO_ISR_VRING;
	update_intx(vp);
}

static void vp_reset(struct virtio_dev *vdev)
{
	struct virtio_pci *vp = to_vp(vdev);
	unsigned int i;

	/* queue_size reads the largest size until the driver picks one. */
	for (i = 0; i < vdev->nr_queues; i++) {
		vdev->vq[i].num = VIRTQ_MAX_SIZE;
		vp->queue_vec[i] = VIRTIO_MSI_NO_VECTOR;
	}
	vp->config_vec = VIRTIO_MSI_NO_VECTOR;
	update_intx(vp);
}

static void vp_destroy(struct virtio_dev *vdev)
{
	free(to_vp(vdev));
}

static const struct virtio_transport pci_transport = {
	.signal = vp_signal,
	.reset = vp_reset,
	.destroy = vp_destroy,
};

/* A vector the table has, or NO_VECTOR: what the register then reads. */
static uint16_t checked_vec(struct virtio_pci *vp, uint16_t vec)
{
	return vec < vp->func.msix.nr ? vec : VIRTIO_MSI_NO_VECTOR;
}

static void common_snapshot(struct virtio_pci *vp, uint8_t *c)
{
	struct virtio_dev *vdev = vp->vdev;
	struct virtqueue *vq = virtio_cur_vq(vdev);
	uint32_t sel = vdev->driver_features_sel;

	memset(c, 0, VIRTIO_PCI_COMMON_LEN);
	put_le(c + VIRTIO_PCI_DEVICE_FEATURE_SELECT, 4,
	       vdev->device_features_sel);
	put_le(c + VIRTIO_PCI_DEVICE_FEATURE, 4,
	       virtio_device_features_word(vdev, vdev->device_features_sel));
	put_le(c + VIRTIO_PCI_DRIVER_FEATURE_SELECT, 4, sel);
	put_le(c + VIRTIO_PCI_DRIVER_FEATURE, 4,
	       sel < 2 ? vdev->driver_features >> (32 * sel) : 0);
	put_le(c + VIRTIO_PCI_CONFIG_MSIX_VECTOR, 2, vp->config_vec);
	put_le(c + VIRTIO_PCI_NUM_QUEUES, 2, vdev->nr_queues);
	c[VIRTIO_PCI_DEVICE_STATUS] = vdev->status;
	c[VIRTIO_PCI_CONFIG_GENERATION] = vdev->config_generation;
	put_le(c + VIRTIO_PCI_QUEUE_SELECT, 2, vdev->queue_sel);
	/* A queue past the last reads size 0: it does not exist (4.1.4.3). */
	if (!vq) {
		put_le(c + VIRTIO_PCI_QUEUE_MSIX_VECTOR, 2,
		       VIRTIO_MSI_NO_VECTOR);
		return;
	}
	put_le(c + VIRTIO_PCI_QUEUE_SIZE, 2, vq->num);
	put_le(c + VIRTIO_PCI_QUEUE_MSIX_VECTOR, 2,
	       vp->queue_vec[vdev->queue_sel]);
	put_le(c + VIRTIO_PCI_QUEUE_ENABLE, 2, vq->ready);
	put_le(c + VIRTIO_PCI_QUEUE_NOTIFY_OFF, 2, vdev->queue_sel);
	put_le(c + VIRTIO_PCI_QUEUE_DESC, 8, vq->desc_gpa);
	put_le(c + VIRTIO_PCI_QUEUE_DRIVER, 8, vq->avail_gpa);
	put_le(c + VIRTIO_PCI_QUEUE_DEVICE, 8, vq->used_gpa);
}

static uint64_t common_read(struct virtio_pci *vp, uint64_t off,
			    unsigned int len)
{
	uint8_t c[VIRTIO_PCI_COMMON_LEN];

	if (off + len > sizeof(c))
		return 0;
	common_snapshot(vp, c);
	return get_le(c + off, len);
}

/* A ring address: 64 bits at once or 32-bit halves (4.1.3.1). */
static void set_ring_addr(struct virtqueue *vq, uint64_t off,
			  unsigned int len, uint64_t val)
{
	uint64_t *reg;

	if (off < VIRTIO_PCI_QUEUE_DRIVER)
		reg = &vq->desc_gpa;
	else if (off < VIRTIO_PCI_QUEUE_DEVICE)
		reg = &vq->avail_gpa;
	else
		reg = &vq->used_gpa;
	if (len == 8 && !(off % 8))
		*reg = val;
	else if (len == 4)
		virtio_set_half(reg, off % 8, val);
}

/*
 * Fields are written with their own width (4.1.3.1); anything else is
 * ignored. Queue fields are fixed while the queue is enabled.
 */
static void common_write(struct virtio_pci *vp, uint64_t off,
			 unsigned int len, uint64_t val)
{
	struct virtio_dev *vdev = vp->vdev;
	struct virtqueue *vq = virtio_cur_vq(vdev);
	uint32_t sel;

	if (off >= VIRTIO_PCI_QUEUE_DESC && off < VIRTIO_PCI_COMMON_LEN) {
		if (vq && !vq->ready)
			set_ring_addr(vq, off, len, val);
		return;
	}
	switch (off) {
	case VIRTIO_PCI_DEVICE_FEATURE_SELECT:
		if (len == 4)
			vdev->device_features_sel = val;
		break;
	case VIRTIO_PCI_DRIVER_FEATURE_SELECT:
		if (len == 4)
			vdev->driver_features_sel = val;
		break;
	case VIRTIO_PCI_DRIVER_FEATURE:
		sel = vdev->driver_features_sel;
		if (len == 4)
			virtio_set_driver_features_word(vdev, sel, val);
		break;
	case VIRTIO_PCI_CONFIG_MSIX_VECTOR:
		if (len == 2)
			vp->config_vec = checked_vec(vp, val);
		break;
	case VIRTIO_PCI_DEVICE_STATUS:
		if (len == 1)
			virtio_set_status(vdev, val);
		break;
	case VIRTIO_PCI_QUEUE_SELECT:
		if (len == 2)
			vdev->queue_sel = val;
		break;
	case VIRTIO_PCI_QUEUE_SIZE:
		/* Checked (power of two, at most the max) at enable. */
		if (len == 2 && vq && !vq->ready)
			vq->num = val;
		break;
	case VIRTIO_PCI_QUEUE_MSIX_VECTOR:
		if (len == 2 && vq)
			vp->queue_vec[vdev->queue_sel] = checked_vec(vp, val);
		break;
	case VIRTIO_PCI_QUEUE_ENABLE:
		/* The driver must not write 0 (4.1.4.3.2); it is ignored. */
		if (len == 2 && val == 1)
			virtio_queue_enable(vdev, true);
		break;
	default:
		break;
	}
}

/* The ISR: reading it clears it and lowers INTx (4.1.4.5). */
static uint64_t isr_read(struct virtio_pci *vp)
{
	uint32_t isr = vp->vdev->isr;

	vp->vdev->isr = 0;
	update_intx(vp);
	return isr;
}

static uint64_t bar_read(struct virtio_pci *vp, uint64_t off,
			 unsigned int len)
{
	struct virtio_dev *vdev = vp->vdev;

	if (off < VIRTIO_PCI_ISR_OFF)
		return common_read(vp, off, len);
	if (off < VIRTIO_PCI_DEVICE_OFF)
		return off == VIRTIO_PCI_ISR_OFF ? isr_read(vp) : 0;
	if (off < VIRTIO_PCI_NOTIFY_OFF)
		return virtio_config_read(vdev, off - VIRTIO_PCI_DEVICE_OFF,
					  len);
	if (off >= VIRTIO_PCI_MSIX_PBA_OFF)
		return pci_msix_pba_read(&vp->func,
					 off - VIRTIO_PCI_MSIX_PBA_OFF, len);
	if (off >= VIRTIO_PCI_MSIX_TABLE_OFF)
		return pci_msix_table_read(&vp->func,
					   off - VIRTIO_PCI_MSIX_TABLE_OFF,
					   len);
	return 0;
}

static void bar_write(struct virtio_pci *vp, uint64_t off, unsigned int len,
		      uint64_t val)
{
	uint64_t q;

	if (off < VIRTIO_PCI_ISR_OFF) {
		common_write(vp, off, len, val);
	} else if (off >= VIRTIO_PCI_NOTIFY_OFF &&
		   off < VIRTIO_PCI_MSIX_TABLE_OFF) {
		/*
		 * queue_notify_off is the queue index: the address says it.
		 * Without Bus Master Enable the function may not touch
		 * memory (PCI 3.0, 6.2.2): the rings wait.
		 */
		q = (off - VIRTIO_PCI_NOTIFY_OFF) / VIRTIO_PCI_NOTIFY_MULT;
		if (!((off - VIRTIO_PCI_NOTIFY_OFF) % VIRTIO_PCI_NOTIFY_MULT) &&
		    pci_bus_master(&vp->func))
			virtio_queue_notify(vp->vdev, q);
	} else if (off >= VIRTIO_PCI_MSIX_TABLE_OFF &&
		   off < VIRTIO_PCI_MSIX_PBA_OFF) {
		pci_msix_table_write(&vp->func,
				     off - VIRTIO_PCI_MSIX_TABLE_OFF, len, val);
	}
	/* The device configuration has no writable field; the PBA is RO. */
}

/* While the BAR does not decode (moved, or memory off): no device. */
static uint64_t virtio_pci_bar_read(struct device *dev, uint64_t off,
				    unsigned int len)
{
	struct virtio_dev *vdev = container_of(dev, struct virtio_dev, dev);
	struct virtio_pci *vp = to_vp(vdev);

	if (!pci_bar_decodes(&vp->func, VIRTIO_PCI_BAR, dev->base))
		return ~0ULL;
	return bar_read(vp, off, len);
}

static void virtio_pci_bar_write(struct device *dev, uint64_t off,
				 unsigned int len, uint64_t val)
{
	struct virtio_dev *vdev = container_of(dev, struct virtio_dev, dev);
	struct virtio_pci *vp = to_vp(vdev);

	if (pci_bar_decodes(&vp->func, VIRTIO_PCI_BAR, dev->base))
		bar_write(vp, off, len, val);
}

static const struct device_ops virtio_pci_bar_ops = {
	.read = virtio_pci_bar_read,
	.write = virtio_pci_bar_write,
};

/*
 * The VIRTIO_PCI_CAP_PCI_CFG window (4.1.4.8): pci_cfg_data reaches
 * BAR @bar at @offset, @length bytes (1, 2 or 4, aligned), whatever the
 * BAR's address.
 */
static bool cfg_window(struct virtio_pci *vp, unsigned int off,
		       unsigned int len, uint64_t *bar_off,
		       unsigned int *bar_len)
{
	const uint8_t *cap = vp->func.cfg + vp->cfg_cap;
	unsigned int data = vp->cfg_cap + CAP_EXTRA;

	if (off != data || len != 4 || cap[CAP_BAR] != VIRTIO_PCI_BAR)
		return false;
	*bar_off = get_le(cap + CAP_OFFSET, 4);
	*bar_len = get_le(cap + CAP_LENGTH, 4);
	return (*bar_len == 1 || *bar_len == 2 || *bar_len == 4) &&
	       !(*bar_off % *bar_len) &&
	       *bar_off + *bar_len <= VIRTIO_PCI_BAR_SIZE;
}

static uint32_t vp_cfg_read(struct pci_func *f, unsigned int off,
			    unsigned int len, uint32_t stored)
{
	struct virtio_pci *vp = f->owner;
	unsigned int bar_len;
	uint64_t bar_off;

	/* Status bit 3: the function's INTx is asserted (6.2.3). */
	if (off <= PCI_STATUS && off + len > PCI_STATUS && vp->vdev->irq_level)
		stored |= PCI_STATUS_INTERRUPT << (8 * (PCI_STATUS - off));
	if (cfg_window(vp, off, len, &bar_off, &bar_len))
		stored = bar_read(vp, bar_off, bar_len);
	return stored;
}

static void vp_cfg_written(struct pci_func *f, unsigned int off,
			   unsigned int len)
{
	struct virtio_pci *vp = f->owner;
	unsigned int bar_len;
	uint64_t bar_off;

	if (cfg_window(vp, off, len, &bar_off, &bar_len))
		bar_write(vp, bar_off, bar_len, get_le(f->cfg + off, bar_len));
	/* Interrupt Disable or MSI-X Enable may have changed. */
	update_intx(vp);
}

static const struct pci_func_ops vp_func_ops = {
	.cfg_read = vp_cfg_read,
	.cfg_written = vp_cfg_written,
};

static unsigned int add_vcap(struct pci_func *f, uint8_t type,
			     unsigned int len, uint32_t off, uint32_t size)
{
	unsigned int cap = pci_add_cap(f, PCI_CAP_ID_VNDR, len);

	if (!cap)
		return 0;
	f->cfg[cap + 2] = len;
	f->cfg[cap + 3] = type;
	f->cfg[cap + CAP_BAR] = VIRTIO_PCI_BAR;
	put_le(f->cfg + cap + CAP_OFFSET, 4, off);
	put_le(f->cfg + cap + CAP_LENGTH, 4, size);
	return cap;
}

/* PCI class by device type, as PCI Code and ID Assignment lists them. */
static uint32_t virtio_class(uint32_t device_id)
{
	switch (device_id) {
	case VIRTIO_ID_BLOCK:
		return 0x018000;	/* mass storage, other */
	case VIRTIO_ID_CONSOLE:
		return 0x078000;	/* communication, other */
	default:
		return 0xff0000;	/* unassigned class */
	}
}

static int build_caps(struct virtio_pci *vp, pci_msi_fn send, void *opaque)
{
	struct virtio_dev *vdev = vp->vdev;
	struct pci_func *f = &vp->func;
	unsigned int notify;

	if (!add_vcap(f, VIRTIO_PCI_CAP_COMMON_CFG, CAP_LEN,
		      VIRTIO_PCI_COMMON_OFF, VIRTIO_PCI_COMMON_LEN) ||
	    !add_vcap(f, VIRTIO_PCI_CAP_ISR_CFG, CAP_LEN, VIRTIO_PCI_ISR_OFF,
		      1) ||
	    !add_vcap(f, VIRTIO_PCI_CAP_DEVICE_CFG, CAP_LEN,
		      VIRTIO_PCI_DEVICE_OFF, VIRTIO_CONFIG_MAX))
		return -1;
	notify = add_vcap(f, VIRTIO_PCI_CAP_NOTIFY_CFG, NOTIFY_CAP_LEN,
			  VIRTIO_PCI_NOTIFY_OFF,
			  vdev->nr_queues * VIRTIO_PCI_NOTIFY_MULT);
	if (!notify)
		return -1;
	put_le(f->cfg + notify + CAP_EXTRA, 4, VIRTIO_PCI_NOTIFY_MULT);
	/* The driver picks bar, offset and length of the access window. */
	vp->cfg_cap = add_vcap(f, VIRTIO_PCI_CAP_PCI_CFG, CFG_CAP_LEN, 0, 0);
	if (!vp->cfg_cap)
		return -1;
	memset(f->wmask + vp->cfg_cap + CAP_BAR, 0xff, 1);
	memset(f->wmask + vp->cfg_cap + CAP_OFFSET, 0xff, 12);
	/* A vector per queue and one for configuration changes. */
	return pci_add_msix(f, vdev->nr_queues + 1, VIRTIO_PCI_BAR,
			    VIRTIO_PCI_MSIX_TABLE_OFF, VIRTIO_PCI_MSIX_PBA_OFF,
			    send, opaque);
}

int virtio_pci_attach(struct virtio_dev *vdev, struct pci_host *host,
		      pci_msi_fn send, void *opaque)
{
	struct virtio_pci *vp;
	uint64_t base = 0;
	int slot;

	if (vdev->transport) {
		errno = EBUSY;
		return -1;
	}
	vp = calloc(1, sizeof(*vp));
	if (!vp)
		return -1;
	vp->vdev = vdev;
	/* Revision 1: a non-transitional device (4.1.2.1). */
	pci_func_init(&vp->func, VIRTIO_PCI_VENDOR,
		      VIRTIO_PCI_DEVICE_BASE + vdev->device_id, 1,
		      virtio_class(vdev->device_id), VIRTIO_PCI_VENDOR,
		      VIRTIO_PCI_SUBSYS, 1 /* INTA# */);
	vp->func.ops = &vp_func_ops;
	vp->func.owner = vp;
	vp->func.lock = &vdev->dev.lock;
	if (build_caps(vp, send, opaque)) {
		free(vp);
		errno = ENOSPC;
		return -1;
	}
	slot = pci_host_add(host, &vp->func, VIRTIO_PCI_BAR,
			    VIRTIO_PCI_BAR_SIZE, &base);
	if (slot < 0) {
		free(vp);
		return -1;
	}
	device_init(&vdev->dev, vdev->name, IO_MMIO, base, VIRTIO_PCI_BAR_SIZE,
		    &virtio_pci_bar_ops);
	vdev->transport_data = vp;
	vdev->transport = &pci_transport;
	vp_reset(vdev);
	return slot;
}

void virtio_pci_set_intx(struct virtio_dev *vdev, struct irq_line *line)
{
	vdev->irq = line;
}

struct pci_func *virtio_pci_func(struct virtio_dev *vdev)
{
	return vdev->transport == &pci_transport ? &to_vp(vdev)->func : NULL;
}
