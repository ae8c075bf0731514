/* SPDX-License-Identifier: GPL-2.0 */
/* An ARM PrimeCell PL011 UART (r1p5): the arm64 console. */
#ifndef VMCTL_PL011_H
#define VMCTL_PL011_H

#include <stddef.h>
#include <stdint.h>

#include "vmctl.h"

#define PL011_SIZE	0x1000
#define PL011_FIFO	32

struct pl011;

/*
 * A PL011 at MMIO @base, transmitting to @out_fd (nowhere when negative)
 * and interrupting on @irq (may be NULL). NULL when out of memory.
 */
struct pl011 *pl011_create(uint64_t base, struct irq_line *irq, int out_fd);
/* The device to put on the bus. */
struct device *pl011_device(struct pl011 *uart);
/*
 * Bytes from the host side of the line, from any thread. They reach the
 * receive FIFO only while the guest has the UART and its receiver
 * enabled and is not in loopback; what does not fit is lost and flags an
 * overrun, as on the wire. Takes the device lock.
 */
void pl011_input(struct pl011 *uart, const uint8_t *buf, size_t n);
/*
 * How many bytes pl011_input() would take now, so that an input thread
 * can hold back instead of losing them. Takes the device lock.
 */
size_t pl011_rx_room(struct pl011 *uart);
/* After the device has left the bus (or the bus is no longer used). */
void pl011_destroy(struct pl011 *uart);

#endif /* VMCTL_PL011_H */
