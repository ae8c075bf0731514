/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A 16550A UART: the x86 console at port 0x3f8 and the riscv64
 * "ns16550a" console (MMIO, reg-shift 0).
 */
#ifndef VMCTL_UART16550_H
#define VMCTL_UART16550_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmctl.h"

/*
 * Eight byte registers: as many ports on x86; on MMIO a 0x100 window (what
 * the device tree gives the guest), whose rest reads 0.
 */
#define UART16550_PIO_SIZE	8
#define UART16550_MMIO_SIZE	0x100
#define UART16550_FIFO		16

struct uart16550;

/*
 * A UART at @base in @space, transmitting to @out_fd (nowhere when
 * negative) and interrupting on @irq (may be NULL). With @isa_out2 the
 * interrupt reaches @irq only while the guest sets MCR.OUT2, as on PCs,
 * where OUT2 enables the UART's IRQ buffer. NULL when out of memory.
 */
struct uart16550 *uart16550_create(enum io_space space, uint64_t base,
				   struct irq_line *irq, int out_fd,
				   bool isa_out2);
/* The device to put on the bus. */
struct device *uart16550_device(struct uart16550 *uart);
/*
 * Bytes from the host side of the line, from any thread: what does not
 * fit the receive FIFO is lost and sets the overrun error, as on the
 * wire. Takes the device lock.
 */
void uart16550_input(struct uart16550 *uart, const uint8_t *buf, size_t n);
/*
 * How many bytes uart16550_input() would take now, so that an input
 * thread can hold back instead of losing them. Takes the device lock.
 */
size_t uart16550_rx_room(struct uart16550 *uart);
/*
 * Up to @n received bytes, oldest first, taken from the receive FIFO as
 * firmware reading the UART would (the SBI debug console's read); the
 * count. Takes the device lock.
 */
size_t uart16550_take(struct uart16550 *uart, uint8_t *buf, size_t n);
/* After the device has left the bus (or the bus is no longer used). */
void uart16550_destroy(struct uart16550 *uart);

#endif /* VMCTL_UART16550_H */
