/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The modern virtio-pci transport (virtio 1.x, section 4.1): a PCI
 * function with vendor 0x1af4, device 0x1040 + the virtio device ID, and
 * one memory BAR holding the common configuration, ISR, device
 * configuration and notification structures and the MSI-X table. No
 * legacy (transitional) interface.
 */
#ifndef VMCTL_VIRTIO_PCI_H
#define VMCTL_VIRTIO_PCI_H

#include "pci.h"
#include "virtio.h"

#define VIRTIO_PCI_VENDOR		0x1af4
#define VIRTIO_PCI_DEVICE_BASE		0x1040
#define VIRTIO_PCI_SUBSYS		0x1100

/* vendor capability cfg_type, 4.1.4 */
#define VIRTIO_PCI_CAP_COMMON_CFG	1
#define VIRTIO_PCI_CAP_NOTIFY_CFG	2
#define VIRTIO_PCI_CAP_ISR_CFG		3
#define VIRTIO_PCI_CAP_DEVICE_CFG	4
#define VIRTIO_PCI_CAP_PCI_CFG		5

/* Where each structure sits in BAR 0. */
#define VIRTIO_PCI_BAR			0
#define VIRTIO_PCI_BAR_SIZE		0x8000
#define VIRTIO_PCI_COMMON_OFF		0x0000
#define VIRTIO_PCI_COMMON_LEN		0x38
#define VIRTIO_PCI_ISR_OFF		0x1000
#define VIRTIO_PCI_DEVICE_OFF		0x2000
#define VIRTIO_PCI_NOTIFY_OFF		0x3000
#define VIRTIO_PCI_NOTIFY_MULT		4
#define VIRTIO_PCI_MSIX_TABLE_OFF	0x4000
#define VIRTIO_PCI_MSIX_PBA_OFF		0x5000

/* struct virtio_pci_common_cfg, 4.1.4.3 */
#define VIRTIO_PCI_DEVICE_FEATURE_SELECT 0x00
#define VIRTIO_PCI_DEVICE_FEATURE	0x04
#define VIRTIO_PCI_DRIVER_FEATURE_SELECT 0x08
#define VIRTIO_PCI_DRIVER_FEATURE	0x0c
#define VIRTIO_PCI_CONFIG_MSIX_VECTOR	0x10
#define VIRTIO_PCI_NUM_QUEUES		0x12
#define VIRTIO_PCI_DEVICE_STATUS	0x14
#define VIRTIO_PCI_CONFIG_GENERATION	0x15
#define VIRTIO_PCI_QUEUE_SELECT		0x16
#define VIRTIO_PCI_QUEUE_SIZE		0x18
#define VIRTIO_PCI_QUEUE_MSIX_VECTOR	0x1a
#define VIRTIO_PCI_QUEUE_ENABLE		0x1c
#define VIRTIO_PCI_QUEUE_NOTIFY_OFF	0x1e
#define VIRTIO_PCI_QUEUE_DESC		0x20
#define VIRTIO_PCI_QUEUE_DRIVER		0x28
#define VIRTIO_PCI_QUEUE_DEVICE		0x30

#define VIRTIO_MSI_NO_VECTOR		0xffff

/*
 * Put @vdev behind a new function on @host: its BAR gets an address in
 * the host's window, and vdev->dev is that BAR (the caller adds it to
 * the MMIO bus). MSI-X messages go to @send. Returns the slot, or -1
 * with errno. The slot's INTx line is the caller's to give, with
 * virtio_pci_set_intx(), before the guest runs.
 */
int virtio_pci_attach(struct virtio_dev *vdev, struct pci_host *host,
		      pci_msi_fn send, void *opaque);
void virtio_pci_set_intx(struct virtio_dev *vdev, struct irq_line *line);
/* The PCI function behind @vdev, or NULL if it is not on virtio-pci. */
struct pci_func *virtio_pci_func(struct virtio_dev *vdev);

#endif /* VMCTL_VIRTIO_PCI_H */
