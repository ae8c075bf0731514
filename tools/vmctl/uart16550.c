// SPDX-License-Identifier: GPL-2.0
/*
 * A 16550A UART, as the National Semiconductor data sheet describes it:
 * what Linux's 8250 driver probes as a 16550A and drives as a console.
 *
 * Transmission takes no time: a byte written to THR goes to the output
 * at once, so THR and the transmitter are always empty. The receive FIFO
 * holds UART16550_FIFO bytes; the character timeout, which needs four
 * character times without reads, is taken as already passed whenever
 * fewer bytes than the trigger level wait (there is no timer to run it,
 * and input comes in bursts whose end is the timeout's start anyway).
 */
#include <stdlib.h>

#include "uart16550.h"

/* Register offsets (DLL and DLM at 0 and 1 while LCR.DLAB is set). */
#define UART_RBR	0	/* read */
#define UART_THR	0	/* write */
#define UART_DLL	0
#define UART_IER	1
#define UART_DLM	1
#define UART_IIR	2	/* read */
#define UART_FCR	2	/* write */
#define UART_LCR	3
#define UART_MCR	4
#define UART_LSR	5
#define UART_MSR	6
#define UART_SCR	7

#define IER_ERBFI	0x01	/* received data available */
#define IER_ETBEI	0x02	/* THR empty */
#define IER_ELSI	0x04	/* receiver line status */
#define IER_EDSSI	0x08	/* modem status */
#define IER_MASK	0x0f

#define IIR_NONE	0x01
#define IIR_MSI		0x00
#define IIR_THRI	0x02
#define IIR_RDI		0x04
#define IIR_RLSI	0x06
#define IIR_CTI		0x0c	/* character timeout */
#define IIR_FIFO	0xc0	/* FIFOs enabled */

#define FCR_ENABLE	0x01
#define FCR_CLEAR_RX	0x02
#define FCR_CLEAR_TX	0x04
#define FCR_DMA		0x08
#define FCR_TRIGGER	0xc0

#define LCR_DLAB	0x80

#define MCR_DTR		0x01
#define MCR_RTS		0x02
#define MCR_OUT1	0x04
#define MCR_OUT2	0x08
#define MCR_LOOP	0x10
#define MCR_MASK	0x1f

#define LSR_DR		0x01
#define LSR_OE		0x02
#define LSR_PE		0x04
#define LSR_FE		0x08
#define LSR_BI		0x10
#define LSR_THRE	0x20
#define LSR_TEMT	0x40
#define LSR_ERRORS	(LSR_OE | LSR_PE | LSR_FE | LSR_BI)

#define MSR_DCTS	0x01
#define MSR_DDSR	0x02
#define MSR_TERI	0x04
#define MSR_DDCD	0x08
#define MSR_DELTAS	0x0f
#define MSR_CTS		0x10
#define MSR_DSR		0x20
#define MSR_RI		0x40
#define MSR_DCD		0x80

struct uart16550 {
	struct device dev;
	struct irq_line *irq;
	int out_fd;
	bool isa_out2;
	int level;		/* last level given to @irq */

	uint8_t rx[UART16550_FIFO];
	unsigned int rx_head, rx_count;

	uint8_t ier, fcr, lcr, mcr, lsr, msr, scr, dll, dlm;
	/* The THR-empty interrupt, which reading IIR clears. */
	bool thri;
};

static struct uart16550 *to_uart(struct device *dev)
{
	return (struct uart16550 *)((char *)dev -
				    offsetof(struct uart16550, dev));
}

/* In 16450 mode (FIFOs off) the receiver holds a single byte. */
static unsigned int rx_size(const struct uart16550 *u)
{
	return u->fcr & FCR_ENABLE ? UART16550_FIFO : 1;
}

static unsigned int rx_trigger(const struct uart16550 *u)
{
	static const unsigned int level[4] = { 1, 4, 8, 14 };

	return u->fcr & FCR_ENABLE ? level[u->fcr >> 6] : 1;
}

static void rx_clear(struct uart16550 *u)
{
	u->rx_head = 0;
	u->rx_count = 0;
	u->lsr &= ~LSR_DR;
}

/* The receiver got @c: into the FIFO, or lost with an overrun. */
static void rx_push(struct uart16550 *u, uint8_t c)
{
	if (u->rx_count >= rx_size(u)) {
		u->lsr |= LSR_OE;
		return;
	}
	u->rx[(u->rx_head + u->rx_count++) % UART16550_FIFO] = c;
	u->lsr |= LSR_DR;
}

static uint8_t rx_pop(struct uart16550 *u)
{
	uint8_t c;

	if (!u->rx_count)
		return 0;
	c = u->rx[u->rx_head];
	u->rx_head = (u->rx_head + 1) % UART16550_FIFO;
	if (!--u->rx_count)
		u->lsr &= ~LSR_DR;
	return c;
}

/*
 * The modem status inputs: a connected terminal outside loopback; in
 * loopback the modem control outputs, wired back as the data sheet says.
 */
static uint8_t modem_inputs(const struct uart16550 *u)
{
	uint8_t m = 0;

	if (!(u->mcr & MCR_LOOP))
		return MSR_CTS | MSR_DSR | MSR_DCD;
	if (u->mcr & MCR_RTS)
		m |= MSR_CTS;
	if (u->mcr & MCR_DTR)
		m |= MSR_DSR;
	if (u->mcr & MCR_OUT1)
		m |= MSR_RI;
	if (u->mcr & MCR_OUT2)
		m |= MSR_DCD;
	return m;
}

/* New modem inputs, noting their changes in the MSR delta bits. */
static void modem_update(struct uart16550 *u)
{
	uint8_t now = modem_inputs(u);
	uint8_t changed = (u->msr ^ now) & ~MSR_DELTAS;
	uint8_t delta = u->msr & MSR_DELTAS;

	if (changed & MSR_CTS)
		delta |= MSR_DCTS;
	if (changed & MSR_DSR)
		delta |= MSR_DDSR;
	if (changed & MSR_DCD)
		delta |= MSR_DDCD;
	/* Only the trailing edge of RI counts. */
	if ((changed & MSR_RI) && !(now & MSR_RI))
		delta |= MSR_TERI;
	u->msr = now | delta;
}

/* The highest priority enabled interrupt pending, as IIR shows it. */
static uint8_t iir_id(const struct uart16550 *u)
{
	if ((u->ier & IER_ELSI) && (u->lsr & LSR_ERRORS))
		return IIR_RLSI;
	if ((u->ier & IER_ERBFI) && u->rx_count)
		return u->rx_count >= rx_trigger(u) ? IIR_RDI : IIR_CTI;
	if ((u->ier & IER_ETBEI) && u->thri)
		return IIR_THRI;
	if ((u->ier & IER_EDSSI) && (u->msr & MSR_DELTAS))
		return IIR_MSI;
	return IIR_NONE;
}

static void update_irq(struct uart16550 *u)
{
	int level = iir_id(u) != IIR_NONE;

	/*
	 * On a PC the INTR pin reaches the PIC only through a buffer that
	 * OUT2 enables, and loopback forces the OUT2 pin inactive.
	 */
	if (u->isa_out2 && (!(u->mcr & MCR_OUT2) || (u->mcr & MCR_LOOP)))
		level = 0;
	if (level != u->level) {
		u->level = level;
		irq_set(u->irq, level);
	}
}

static void transmit(struct uart16550 *u, uint8_t c)
{
	if (u->mcr & MCR_LOOP)
		rx_push(u, c);
	else if (u->out_fd >= 0)
		/* Output errors are the host's; the guest sees a sent byte. */
		(void)write_all(u->out_fd, &c, 1);
	/* The byte left THR at once: THR is empty again. */
	u->thri = u->ier & IER_ETBEI;
}

static void write_ier(struct uart16550 *u, uint8_t val)
{
	val &= IER_MASK;
	/*
	 * THR is always empty, so enabling its interrupt raises it; 8250
	 * drivers count on that edge to start transmitting.
	 */
	if ((val & IER_ETBEI) && !(u->ier & IER_ETBEI))
		u->thri = true;
	else if (!(val & IER_ETBEI))
		u->thri = false;
	u->ier = val;
}

static void write_fcr(struct uart16550 *u, uint8_t val)
{
	/* Switching the FIFOs on or off resets them. */
	if ((val ^ u->fcr) & FCR_ENABLE)
		rx_clear(u);
	/* The other bits are only written together with FCR_ENABLE. */
	if (!(val & FCR_ENABLE)) {
		u->fcr = 0;
		return;
	}
	if (val & FCR_CLEAR_RX)
		rx_clear(u);
	/* FCR_CLEAR_TX: the transmitter is always empty. */
	u->fcr = val & (FCR_ENABLE | FCR_DMA | FCR_TRIGGER);
}

static uint8_t reg_read(struct uart16550 *u, uint64_t off)
{
	uint8_t val = 0;

	switch (off) {
	case UART_RBR:
		val = u->lcr & LCR_DLAB ? u->dll : rx_pop(u);
		break;
	case UART_IER:
		val = u->lcr & LCR_DLAB ? u->dlm : u->ier;
		break;
	case UART_IIR:
		val = iir_id(u);
		/* Reading IIR acknowledges a THR-empty interrupt it shows. */
		if (val == IIR_THRI)
			u->thri = false;
		if (u->fcr & FCR_ENABLE)
			val |= IIR_FIFO;
		break;
	case UART_LCR:
		val = u->lcr;
		break;
	case UART_MCR:
		val = u->mcr;
		break;
	case UART_LSR:
		val = u->lsr;
		u->lsr &= ~LSR_ERRORS;
		break;
	case UART_MSR:
		val = u->msr;
		u->msr &= ~MSR_DELTAS;
		break;
	case UART_SCR:
		val = u->scr;
		break;
	}
	return val;
}

static void reg_write(struct uart16550 *u, uint64_t off, uint8_t val)
{
	switch (off) {
	case UART_THR:
		if (u->lcr & LCR_DLAB)
			u->dll = val;
		else
			transmit(u, val);
		break;
	case UART_IER:
		if (u->lcr & LCR_DLAB)
			u->dlm = val;
		else
			write_ier(u, val);
		break;
	case UART_FCR:
		write_fcr(u, val);
		break;
	case UART_LCR:
		u->lcr = val;
		break;
	case UART_MCR:
		u->mcr = val & MCR_MASK;
		modem_update(u);
		break;
	case UART_SCR:
		u->scr = val;
		break;
	}
	/* LSR and MSR writes are for factory tests only: ignored. */
}

/*
 * The registers are bytes: a wider access is one to each register it
 * covers, as an ISA bus splits a word access to an 8-bit device.
 */
static uint64_t uart_read(struct device *dev, uint64_t off, unsigned int len)
{
	struct uart16550 *u = to_uart(dev);
	uint64_t val = 0;
	unsigned int i;

	for (i = 0; i < len; i++)
		val |= (uint64_t)reg_read(u, off + i) << (8 * i);
	update_irq(u);
	return val;
}

static void uart_write(struct device *dev, uint64_t off, unsigned int len,
		       uint64_t val)
{
	struct uart16550 *u = to_uart(dev);
	unsigned int i;

	for (i = 0; i < len; i++)
		reg_write(u, off + i, val >> (8 * i));
	update_irq(u);
}

static const struct device_ops uart_ops = {
	.read = uart_read,
	.write = uart_write,
};

struct uart16550 *uart16550_create(enum io_space space, uint64_t base,
				   struct irq_line *irq, int out_fd,
				   bool isa_out2)
{
	struct uart16550 *u = calloc(1, sizeof(*u));

	if (!u)
		return NULL;
	/* The lock is taken by input, which may come before bus_add(). */
	device_init(&u->dev, "uart16550", space, base,
		    space == IO_PIO ? UART16550_PIO_SIZE : UART16550_MMIO_SIZE,
		    &uart_ops);
	u->irq = irq;
	u->out_fd = out_fd;
	u->isa_out2 = isa_out2;
	u->lsr = LSR_THRE | LSR_TEMT;
	u->msr = modem_inputs(u);
	/* 9600 baud from the usual 1.8432 MHz clock, until set. */
	u->dll = 12;
	return u;
}

struct device *uart16550_device(struct uart16550 *uart)
{
	return &uart->dev;
}

void uart16550_input(struct uart16550 *uart, const uint8_t *buf, size_t n)
{
	pthread_mutex_lock(&uart->dev.lock);
	/* Loopback disconnects the serial input from the receiver. */
	if (!(uart->mcr & MCR_LOOP)) {
		while (n--)
			rx_push(uart, *buf++);
		update_irq(uart);
	}
	pthread_mutex_unlock(&uart->dev.lock);
}

size_t uart16550_rx_room(struct uart16550 *uart)
{
	size_t room = 0;

	pthread_mutex_lock(&uart->dev.lock);
	if (!(uart->mcr & MCR_LOOP))
		room = rx_size(uart) - uart->rx_count;
	pthread_mutex_unlock(&uart->dev.lock);
	return room;
}

size_t uart16550_take(struct uart16550 *uart, uint8_t *buf, size_t n)
{
	size_t got = 0;

	pthread_mutex_lock(&uart->dev.lock);
	while (got < n && uart->rx_count)
		buf[got++] = rx_pop(uart);
	if (got)
		update_irq(uart);
	pthread_mutex_unlock(&uart->dev.lock);
	return got;
}

void uart16550_destroy(struct uart16550 *uart)
{
	if (!uart)
		return;
	pthread_mutex_destroy(&uart->dev.lock);
	free(uart);
}
