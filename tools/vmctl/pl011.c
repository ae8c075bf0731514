// SPDX-License-Identifier: GPL-2.0
/*
 * An ARM PrimeCell PL011 UART, r1p5 (32-entry FIFOs), as its Technical
 * Reference Manual describes it, for Linux's amba-pl011 driver.
 *
 * Transmission takes no time: the transmit FIFO is always empty, so FR
 * never shows it full or the UART busy, and the transmit interrupt
 * (FIFO at or below its trigger level) comes after every write. Bytes
 * are sent even while the guest has not set UARTEN and TXE: there is no
 * firmware to enable the UART before an early console writes to it.
 * The receive timeout, which needs 32 bit periods without new data, is
 * taken as passed on every arrival: input comes in bursts, and there is
 * no timer to run it.
 */
#include <stdlib.h>

#include "pl011.h"

#define UARTDR		0x000
#define UARTRSR		0x004	/* read; UARTECR on write */
#define UARTFR		0x018
#define UARTILPR	0x020
#define UARTIBRD	0x024
#define UARTFBRD	0x028
#define UARTLCR_H	0x02c
#define UARTCR		0x030
#define UARTIFLS	0x034
#define UARTIMSC	0x038
#define UARTRIS		0x03c
#define UARTMIS		0x040
#define UARTICR		0x044
#define UARTDMACR	0x048
#define UARTPERIPHID0	0xfe0
#define UARTPCELLID0	0xff0

#define DR_OE		0x800	/* overrun, in DR's error bits */
#define RSR_OE		0x08

#define FR_CTS		0x001
#define FR_DSR		0x002
#define FR_DCD		0x004
#define FR_BUSY		0x008
#define FR_RXFE		0x010
#define FR_TXFF		0x020
#define FR_RXFF		0x040
#define FR_TXFE		0x080
#define FR_RI		0x100

#define LCR_H_FEN	0x10

#define CR_UARTEN	0x0001
#define CR_LBE		0x0080
#define CR_TXE		0x0100
#define CR_RXE		0x0200
#define CR_DTR		0x0400
#define CR_RTS		0x0800
#define CR_OUT1		0x1000
#define CR_OUT2		0x2000
#define CR_RESET	(CR_RXE | CR_TXE)

#define IFLS_RESET	0x12	/* both FIFOs at half */

/* Interrupt bits, the same in IMSC, RIS, MIS and ICR. */
#define INT_RI		0x001
#define INT_CTS		0x002
#define INT_DCD		0x004
#define INT_DSR		0x008
#define INT_RX		0x010
#define INT_TX		0x020
#define INT_RT		0x040
#define INT_OE		0x400
#define INT_MASK	0x7ff

/* Primecell PL011, revision 3 (r1p5), ARM; then the PrimeCell ID. */
static const uint8_t ids[8] = {
	0x11, 0x10, 0x34, 0x00, 0x0d, 0xf0, 0x05, 0xb1
};

struct pl011 {
	struct device dev;
	struct irq_line *irq;
	int out_fd;
	int level;		/* last level given to @irq */

	/* Received bytes, with their DR error bits (8 to 11). */
	uint16_t rx[PL011_FIFO];
	unsigned int rx_head, rx_count;
	/* An overrun lost a byte: the next one received carries DR_OE. */
	bool overrun;

	uint32_t rsr, ilpr, ibrd, fbrd, lcr_h, cr, ifls, imsc, ris, dmacr;
	uint32_t modem;		/* FR_CTS, FR_DSR, FR_DCD, FR_RI */
};

static struct pl011 *to_pl011(struct device *dev)
{
	return (struct pl011 *)((char *)dev - offsetof(struct pl011, dev));
}

/* With the FIFOs off, the receiver holds one character. */
static unsigned int rx_depth(const struct pl011 *p)
{
	return p->lcr_h & LCR_H_FEN ? PL011_FIFO : 1;
}

/* RXIFLSEL: 1/8, 1/4, 1/2, 3/4 or 7/8 full; reserved values as 1/2. */
static unsigned int rx_trigger(const struct pl011 *p)
{
	static const unsigned int level[8] = {
		PL011_FIFO / 8, PL011_FIFO / 4, PL011_FIFO / 2,
		PL011_FIFO * 3 / 4, PL011_FIFO * 7 / 8,
		PL011_FIFO / 2, PL011_FIFO / 2, PL011_FIFO / 2
	};

	return p->lcr_h & LCR_H_FEN ? level[(p->ifls >> 3) & 7] : 1;
}

static bool rx_enabled(const struct pl011 *p)
{
	return (p->cr & (CR_UARTEN | CR_RXE)) == (CR_UARTEN | CR_RXE);
}

static void update_irq(struct pl011 *p)
{
	int level = !!(p->ris & p->imsc);

	if (level != p->level) {
		p->level = level;
		irq_set(p->irq, level);
	}
}

static void rx_flush(struct pl011 *p)
{
	p->rx_head = 0;
	p->rx_count = 0;
	p->ris &= ~(INT_RX | INT_RT);
}

/* The receiver got @c: into the FIFO, or lost with an overrun. */
static void rx_push(struct pl011 *p, uint8_t c)
{
	uint16_t entry = c;

	if (p->rx_count >= rx_depth(p)) {
		p->overrun = true;
		p->rsr |= RSR_OE;
		p->ris |= INT_OE;
		return;
	}
	if (p->overrun) {
		entry |= DR_OE;
		p->overrun = false;
	}
	p->rx[(p->rx_head + p->rx_count++) % PL011_FIFO] = entry;
	/* RXIS rises as the FIFO fills through its trigger level. */
	if (p->rx_count == rx_trigger(p))
		p->ris |= INT_RX;
	p->ris |= INT_RT;
}

static uint32_t rx_pop(struct pl011 *p)
{
	uint16_t entry;

	if (!p->rx_count)
		return 0;
	entry = p->rx[p->rx_head];
	p->rx_head = (p->rx_head + 1) % PL011_FIFO;
	p->rx_count--;
	if (p->rx_count < rx_trigger(p))
		p->ris &= ~INT_RX;
	if (!p->rx_count)
		p->ris &= ~INT_RT;
	return entry;
}

/*
 * The modem status inputs: a connected terminal, or in loopback the
 * modem control outputs wired back as the TRM says.
 */
static void modem_update(struct pl011 *p)
{
	uint32_t m = FR_CTS | FR_DSR | FR_DCD, changed;

	if (p->cr & CR_LBE) {
		m = 0;
		if (p->cr & CR_RTS)
			m |= FR_CTS;
		if (p->cr & CR_DTR)
			m |= FR_DSR;
		if (p->cr & CR_OUT1)
			m |= FR_DCD;
		if (p->cr & CR_OUT2)
			m |= FR_RI;
	}
	changed = p->modem ^ m;
	if (changed & FR_CTS)
		p->ris |= INT_CTS;
	if (changed & FR_DSR)
		p->ris |= INT_DSR;
	if (changed & FR_DCD)
		p->ris |= INT_DCD;
	if (changed & FR_RI)
		p->ris |= INT_RI;
	p->modem = m;
}

static void transmit(struct pl011 *p, uint8_t c)
{
	if (p->cr & CR_LBE) {
		if (rx_enabled(p))
			rx_push(p, c);
	} else if (p->out_fd >= 0) {
		/* Output errors are the host's; the guest sees a sent byte. */
		(void)write_all(p->out_fd, &c, 1);
	}
	p->ris |= INT_TX;
}

static void write_cr(struct pl011 *p, uint32_t val)
{
	bool tx_was = (p->cr & (CR_UARTEN | CR_TXE)) == (CR_UARTEN | CR_TXE);

	p->cr = val & 0xffff;
	/* An enabled, empty transmitter is below its trigger level. */
	if (!tx_was && (p->cr & (CR_UARTEN | CR_TXE)) == (CR_UARTEN | CR_TXE))
		p->ris |= INT_TX;
	modem_update(p);
}

static uint32_t fr(const struct pl011 *p)
{
	uint32_t val = FR_TXFE | p->modem;

	if (!p->rx_count)
		val |= FR_RXFE;
	if (p->rx_count >= rx_depth(p))
		val |= FR_RXFF;
	return val;
}

static uint32_t reg_read(struct pl011 *p, uint64_t off)
{
	uint32_t val = 0;

	if (off >= UARTPERIPHID0 && off < UARTPERIPHID0 + 4 * ARRAY_SIZE(ids))
		return ids[(off - UARTPERIPHID0) / 4];

	switch (off) {
	case UARTDR:
		val = rx_pop(p);
		break;
	case UARTRSR:
		val = p->rsr;
		break;
	case UARTFR:
		val = fr(p);
		break;
	case UARTILPR:
		val = p->ilpr;
		break;
	case UARTIBRD:
		val = p->ibrd;
		break;
	case UARTFBRD:
		val = p->fbrd;
		break;
	case UARTLCR_H:
		val = p->lcr_h;
		break;
	case UARTCR:
		val = p->cr;
		break;
	case UARTIFLS:
		val = p->ifls;
		break;
	case UARTIMSC:
		val = p->imsc;
		break;
	case UARTRIS:
		val = p->ris;
		break;
	case UARTMIS:
		val = p->ris & p->imsc;
		break;
	case UARTDMACR:
		val = p->dmacr;
		break;
	}
	update_irq(p);
	return val;
}

static void reg_write(struct pl011 *p, uint64_t off, uint32_t val)
{
	switch (off) {
	case UARTDR:
		transmit(p, val);
		break;
	case UARTRSR:
		/* UARTECR: any write clears the errors. */
		p->rsr = 0;
		break;
	case UARTILPR:
		p->ilpr = val & 0xff;
		break;
	case UARTIBRD:
		p->ibrd = val & 0xffff;
		break;
	case UARTFBRD:
		p->fbrd = val & 0x3f;
		break;
	case UARTLCR_H:
		/* Turning the FIFOs on or off flushes them. */
		if ((p->lcr_h ^ val) & LCR_H_FEN)
			rx_flush(p);
		p->lcr_h = val & 0xff;
		break;
	case UARTCR:
		write_cr(p, val);
		break;
	case UARTIFLS:
		p->ifls = val & 0x3f;
		break;
	case UARTIMSC:
		p->imsc = val & INT_MASK;
		break;
	case UARTICR:
		p->ris &= ~val;
		break;
	case UARTDMACR:
		p->dmacr = val & 7;
		break;
	}
	update_irq(p);
}

/*
 * Registers are words at word offsets; narrower reads give their low
 * bytes, as the 16-bit accesses of Linux's driver expect. Accesses off a
 * word's start are not the driver's: they read 0 and write nothing.
 */
static uint64_t pl011_read(struct device *dev, uint64_t off,
			   unsigned int len)
{
	uint64_t val = off & 3 ? 0 : reg_read(to_pl011(dev), off);

	return io_bytes(val, len);
}

static void pl011_write(struct device *dev, uint64_t off, unsigned int len,
			uint64_t val)
{
	val = io_bytes(val, len);
	if (!(off & 3))
		reg_write(to_pl011(dev), off, val);
}

static const struct device_ops pl011_ops = {
	.read = pl011_read,
	.write = pl011_write,
};

struct pl011 *pl011_create(uint64_t base, struct irq_line *irq, int out_fd)
{
	struct pl011 *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	/* The lock is taken by input, which may come before bus_add(). */
	device_init(&p->dev, "pl011", IO_MMIO, base, PL011_SIZE, &pl011_ops);
	p->irq = irq;
	p->out_fd = out_fd;
	p->cr = CR_RESET;
	p->ifls = IFLS_RESET;
	modem_update(p);
	/* The modem inputs as they are at reset are no change. */
	p->ris = 0;
	return p;
}

struct device *pl011_device(struct pl011 *uart)
{
	return &uart->dev;
}

void pl011_input(struct pl011 *uart, const uint8_t *buf, size_t n)
{
	pthread_mutex_lock(&uart->dev.lock);
	/* Loopback disconnects the serial input from the receiver. */
	if (rx_enabled(uart) && !(uart->cr & CR_LBE)) {
		while (n--)
			rx_push(uart, *buf++);
		update_irq(uart);
	}
	pthread_mutex_unlock(&uart->dev.lock);
}

size_t pl011_rx_room(struct pl011 *uart)
{
	size_t room = 0;

	pthread_mutex_lock(&uart->dev.lock);
	if (rx_enabled(uart) && !(uart->cr & CR_LBE))
		room = rx_depth(uart) - uart->rx_count;
	pthread_mutex_unlock(&uart->dev.lock);
	return room;
}

void pl011_destroy(struct pl011 *uart)
{
	if (!uart)
		return;
	pthread_mutex_destroy(&uart->dev.lock);
	free(uart);
}
