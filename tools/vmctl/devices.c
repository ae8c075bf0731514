// SPDX-License-Identifier: GPL-2.0
/*
 * Put a machine's devices on the bus: the console UART and the RTC at
 * the architecture's addresses, then one virtio device per disk, the
 * entropy source and the virtio console: each a virtio-pci function on
 * the machine's PCI host, or without one at the next virtio-mmio slot.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "devices.h"
#include "pl011.h"
#include "rtc.h"
#include "uart16550.h"
#include "virtio_mmio.h"
#include "virtio_pci.h"
#include "vm.h"

static int place(struct vm *vm, enum placed_kind kind, struct device *dev,
		 unsigned int irq)
{
	struct placed_device *p;
	int ret;

	if (vm->nplaced == VMCTL_MAX_PLACED) {
		fprintf(stderr, "vmctl: too many devices\n");
		return -1;
	}
	ret = bus_add(&vm->bus, dev);
	if (ret) {
		fprintf(stderr, "vmctl: %s at %#llx: %s\n", dev->name,
			(unsigned long long)dev->base, strerror(-ret));
		return -1;
	}
	p = &vm->placed[vm->nplaced++];
	p->kind = kind;
	p->space = dev->space;
	p->base = dev->base;
	p->size = dev->size;
	p->irq = irq;
	return 0;
}

static void uart16550_input_cb(void *dev, const uint8_t *buf, size_t n)
{
	uart16550_input(dev, buf, n);
}

static void pl011_input_cb(void *dev, const uint8_t *buf, size_t n)
{
	pl011_input(dev, buf, n);
}

static size_t uart16550_room_cb(void *dev)
{
	return uart16550_rx_room(dev);
}

static size_t uart16550_take_cb(void *dev, uint8_t *buf, size_t n)
{
	return uart16550_take(dev, buf, n);
}

static size_t pl011_room_cb(void *dev)
{
	return pl011_rx_room(dev);
}

static void uart16550_destroy_cb(void *dev)
{
	uart16550_destroy(dev);
}

static void pl011_destroy_cb(void *dev)
{
	pl011_destroy(dev);
}

static void virtio_destroy_cb(void *dev)
{
	virtio_destroy(dev);
}

static void virtio_console_input_cb(void *dev, const uint8_t *buf, size_t n)
{
	virtio_console_input(dev, buf, n);
}

static void close_cb(void *fd)
{
	close((int)(intptr_t)fd);
}

static int add_uart(struct vm *vm, const struct machine_devices *md)
{
	struct irq_line *irq = vm_irq_line(vm, md->uart_irq);
	struct uart16550 *u;
	struct pl011 *p;

	if (md->uart == UART_PL011) {
		p = pl011_create(md->uart_base, irq, vm->con_out);
		if (!p)
			goto nomem;
		vm_own(vm, pl011_destroy_cb, p);
		vm->con_input = pl011_input_cb;
		vm->con_room = pl011_room_cb;
		vm->con_dev = p;
		return place(vm, PLACED_UART, pl011_device(p), md->uart_irq);
	}
	u = uart16550_create(md->uart == UART_16550_ISA ? IO_PIO : IO_MMIO,
			     md->uart_base, irq, vm->con_out,
			     md->uart == UART_16550_ISA);
	if (!u)
		goto nomem;
	vm_own(vm, uart16550_destroy_cb, u);
	vm->con_input = uart16550_input_cb;
	vm->con_room = uart16550_room_cb;
	vm->con_take = uart16550_take_cb;
	vm->con_dev = u;
	return place(vm, PLACED_UART, uart16550_device(u), md->uart_irq);
nomem:
	fprintf(stderr, "vmctl: console UART: out of memory\n");
	return -1;
}

static void cmos_rtc_destroy_cb(void *dev)
{
	cmos_rtc_destroy(dev);
}

static void pl031_destroy_cb(void *dev)
{
	pl031_destroy(dev);
}

static void goldfish_rtc_destroy_cb(void *dev)
{
	goldfish_rtc_destroy(dev);
}

static int add_rtc(struct vm *vm, const struct machine_devices *md)
{
	struct irq_line *irq = vm_irq_line(vm, md->rtc_irq);
	struct device *dev = NULL;
	void *rtc = NULL;

	switch (md->rtc) {
	case RTC_CMOS:
		rtc = cmos_rtc_create(md->rtc_base);
		if (rtc) {
			vm_own(vm, cmos_rtc_destroy_cb, rtc);
			dev = cmos_rtc_device(rtc);
		}
		break;
	case RTC_PL031:
		rtc = pl031_create(md->rtc_base, irq);
		if (rtc) {
			vm_own(vm, pl031_destroy_cb, rtc);
			dev = pl031_device(rtc);
		}
		break;
	case RTC_GOLDFISH:
		rtc = goldfish_rtc_create(md->rtc_base, irq);
		if (rtc) {
			vm_own(vm, goldfish_rtc_destroy_cb, rtc);
			dev = goldfish_rtc_device(rtc);
		}
		break;
	}
	if (!dev) {
		fprintf(stderr, "vmctl: RTC: out of memory\n");
		return -1;
	}
	return place(vm, PLACED_RTC, dev, md->rtc_irq);
}

static void virtio_msi(void *opaque, uint64_t address, uint32_t data)
{
	vm_signal_msi(opaque, address, data);
}

/* Behind a virtio-pci function, INTx pin A routed as the machine says. */
static int attach_pci(struct vm *vm, const struct machine_devices *md,
		      struct virtio_dev *v)
{
	struct irq_line *irq;
	int slot;

	slot = virtio_pci_attach(v, md->pci, virtio_msi, vm);
	if (slot < 0)
		return -1;
	irq = vm_irq_line(vm, md->pci_intx(slot, 0));
	if (!irq) {
		errno = ENOSPC;
		return -1;
	}
	virtio_pci_set_intx(v, irq);
	return 0;
}

static int add_virtio(struct vm *vm, const struct machine_devices *md,
		      struct virtio_dev *(*create)(struct vm *vm,
						   const void *arg),
		      const void *arg, const char *what)
{
	unsigned int slot = vm->nvirtio;
	uint64_t base = md->virtio_base + slot * md->virtio_stride;
	unsigned int nr = md->virtio_irq + slot;
	struct irq_line *irq = NULL;
	struct virtio_dev *v;

	if (!md->pci) {
		irq = vm_irq_line(vm, nr);
		if (!irq) {
			fprintf(stderr, "vmctl: %s: too many devices\n", what);
			return -1;
		}
	}
	v = create(vm, arg);
	if (!v) {
		fprintf(stderr, "vmctl: %s: %s\n", what, strerror(errno));
		return -1;
	}
	vm_own(vm, virtio_destroy_cb, v);
	if (md->pci ? attach_pci(vm, md, v) : virtio_mmio_attach(v, base, irq)) {
		fprintf(stderr, "vmctl: %s: %s\n", what, strerror(errno));
		return -1;
	}
	vm->nvirtio++;
	return place(vm, md->pci ? PLACED_VIRTIO_PCI : PLACED_VIRTIO, &v->dev,
		     md->pci ? 0 : nr);
}

static struct virtio_dev *make_blk(struct vm *vm, const void *arg)
{
	const struct vm_disk *d = arg;
	int fd = open(d->path, (d->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	struct virtio_dev *v;

	if (fd < 0)
		return NULL;
	v = virtio_blk_create(&vm->mem, fd, d->readonly);
	if (!v) {
		close(fd);
		return NULL;
	}
	/* Closed after the device is gone: owners are freed in reverse. */
	vm_own(vm, close_cb, (void *)(intptr_t)fd);
	return v;
}

static struct virtio_dev *make_rng(struct vm *vm, const void *arg)
{
	return virtio_rng_create(&vm->mem);
}

static struct virtio_dev *make_console(struct vm *vm, const void *arg)
{
	struct virtio_dev *v;

	v = virtio_console_create(&vm->mem, vm->con_out);
	if (v) {
		vm->vcon_input = virtio_console_input_cb;
		vm->vcon_dev = v;
	}
	return v;
}

int devices_add(struct vm *vm, const struct machine_devices *md)
{
	const struct vm_opts *o = vm->opts;
	unsigned int i;

	if (o->virtio_transport == VIRTIO_TRANSPORT_PCI && !md->pci) {
		fprintf(stderr,
			"vmctl: --virtio-transport pci: this machine has virtio-mmio only\n");
		return -1;
	}
	if (add_uart(vm, md) || add_rtc(vm, md))
		return -1;
	for (i = 0; i < o->ndisks; i++)
		if (add_virtio(vm, md, make_blk, &o->disks[i], o->disks[i].path))
			return -1;
	if (o->rng && add_virtio(vm, md, make_rng, NULL, "virtio-rng"))
		return -1;
	if (o->virtio_console &&
	    add_virtio(vm, md, make_console, NULL, "virtio-console"))
		return -1;
	return 0;
}
