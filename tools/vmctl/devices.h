/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The devices of a machine, placed by its struct arch: a console UART,
 * an RTC, and virtio devices (PCI or MMIO) for what the user asked
 * (disks, an entropy source, a virtio console). What got placed is kept in
 * vm->placed for the device tree and the kernel command line.
 */
#ifndef VMCTL_DEVICES_H
#define VMCTL_DEVICES_H

#include <stdint.h>

#include "vmctl.h"

struct pci_host;
struct vm;

enum uart_kind {
	UART_16550_ISA,		/* x86 port I/O, IRQ gated by MCR.OUT2 */
	UART_16550_MMIO,	/* "ns16550a" */
	UART_PL011,
};

enum rtc_kind {
	RTC_CMOS,		/* x86 ports 0x70/0x71 */
	RTC_PL031,
	RTC_GOLDFISH,
};

struct machine_devices {
	enum uart_kind uart;
	uint64_t uart_base;
	unsigned int uart_irq;
	enum rtc_kind rtc;
	uint64_t rtc_base;
	unsigned int rtc_irq;
	uint64_t virtio_base;
	uint64_t virtio_stride;
	unsigned int virtio_irq;	/* of the first; the next ones follow */
	/* Set: virtio devices are PCI functions on this host instead. */
	struct pci_host *pci;
	/* The interrupt line of INTx @pin (0: INTA#) of device @slot. */
	unsigned int (*pci_intx)(unsigned int slot, unsigned int pin);
};

enum placed_kind {
	PLACED_UART,
	PLACED_RTC,
	PLACED_VIRTIO,		/* virtio-mmio */
	PLACED_VIRTIO_PCI,	/* a virtio-pci function's BAR */
};

struct placed_device {
	enum placed_kind kind;
	enum io_space space;
	uint64_t base;
	uint64_t size;
	unsigned int irq;
};

#define VMCTL_MAX_PLACED	8

int devices_add(struct vm *vm, const struct machine_devices *md);

#endif /* VMCTL_DEVICES_H */
