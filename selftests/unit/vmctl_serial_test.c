// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit test of vmctl's UARTs, the 16550A and the PL011, driven
 * through the bus as guest drivers drive them: what they send lands in
 * a pipe, and a fake interrupt line records its level.
 * Links: tools/vmctl/uart16550.c tools/vmctl/pl011.c tools/vmctl/bus.c
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "uart16550.h"
#include "pl011.h"
#include "vmctl.h"

#include "kselftest_harness.h"

struct fake_irq {
	struct irq_line line;
	int level;
	int raises;
};

static void fake_set(struct irq_line *line, int level)
{
	struct fake_irq *f = line->opaque;

	if (level && !f->level)
		f->raises++;
	f->level = level;
}

static void fake_init(struct fake_irq *f)
{
	memset(f, 0, sizeof(*f));
	f->line.set = fake_set;
	f->line.opaque = f;
}

static int rd(struct bus *bus, enum io_space sp, uint64_t addr,
	      unsigned int len)
{
	uint64_t val = 0;

	if (!bus_access(bus, sp, addr, len, false, &val))
		return -1;
	return (int)val;
}

static void wr(struct bus *bus, enum io_space sp, uint64_t addr,
	       unsigned int len, uint64_t val)
{
	bus_access(bus, sp, addr, len, true, &val);
}

/* What the device sent so far, NUL-terminated; the pipe is non-blocking. */
static int drain(int fd, char *buf, size_t size)
{
	ssize_t n = read(fd, buf, size - 1);

	if (n < 0)
		n = 0;
	buf[n] = 0;
	return (int)n;
}

/* 16550 registers, at port 0x3f8. */
#define COM1	0x3f8
#define RBR	(COM1 + 0)
#define THR	(COM1 + 0)
#define DLL	(COM1 + 0)
#define IER	(COM1 + 1)
#define DLM	(COM1 + 1)
#define IIR	(COM1 + 2)
#define FCR	(COM1 + 2)
#define LCR	(COM1 + 3)
#define MCR	(COM1 + 4)
#define LSR	(COM1 + 5)
#define MSR	(COM1 + 6)
#define SCR	(COM1 + 7)

FIXTURE(uart) {
	struct bus bus;
	struct fake_irq irq;
	struct uart16550 *u;
	int pipe[2];
};

FIXTURE_VARIANT(uart) {
	bool isa_out2;
};

FIXTURE_VARIANT_ADD(uart, isa) {
	.isa_out2 = true,
};

FIXTURE_VARIANT_ADD(uart, plain) {
	.isa_out2 = false,
};

FIXTURE_SETUP(uart)
{
	memset(&self->bus, 0, sizeof(self->bus));
	fake_init(&self->irq);
	ASSERT_EQ(0, pipe2(self->pipe, O_NONBLOCK));
	self->u = uart16550_create(IO_PIO, COM1, &self->irq.line,
				   self->pipe[1], variant->isa_out2);
	ASSERT_NE(NULL, self->u);
	ASSERT_EQ(0, bus_add(&self->bus, uart16550_device(self->u)));
}

FIXTURE_TEARDOWN(uart)
{
	uart16550_destroy(self->u);
	close(self->pipe[0]);
	close(self->pipe[1]);
}

#define IN(port)	rd(&self->bus, IO_PIO, port, 1)
#define OUT(port, v)	wr(&self->bus, IO_PIO, port, 1, v)

TEST_F(uart, reset_state)
{
	EXPECT_EQ(8, (int)uart16550_device(self->u)->size);
	EXPECT_EQ(0x60, IN(LSR));	/* THRE | TEMT */
	EXPECT_EQ(0x01, IN(IIR));	/* nothing pending, no FIFOs */
	EXPECT_EQ(0x00, IN(IER));
	EXPECT_EQ(0x00, IN(LCR));
	EXPECT_EQ(0x00, IN(MCR));
	EXPECT_EQ(0xb0, IN(MSR));	/* DCD | DSR | CTS, no deltas */
	OUT(SCR, 0xa5);
	EXPECT_EQ(0xa5, IN(SCR));
	/* Port 0x400 is not the UART's. */
	EXPECT_EQ(-1, rd(&self->bus, IO_PIO, COM1 + 8, 1));
	EXPECT_EQ(0, self->irq.level);
}

TEST_F(uart, divisor_latch)
{
	char out[16];

	OUT(IER, 0x05);
	OUT(LCR, 0x83);		/* DLAB, 8 bits */
	OUT(DLL, 0x01);
	OUT(DLM, 0x02);
	EXPECT_EQ(0x01, IN(DLL));
	EXPECT_EQ(0x02, IN(DLM));
	OUT(LCR, 0x03);
	/* The latch wrote nothing out, and IER kept its value. */
	EXPECT_EQ(0, drain(self->pipe[0], out, sizeof(out)));
	EXPECT_EQ(0x05, IN(IER));
	OUT(LCR, 0x83);
	EXPECT_EQ(0x01, IN(DLL));
	EXPECT_EQ(0x02, IN(DLM));
	EXPECT_EQ(0x83, IN(LCR));
}

TEST_F(uart, transmit)
{
	const char *msg = "hello, 16550\n";
	char out[64];
	size_t i;

	for (i = 0; i < strlen(msg); i++) {
		EXPECT_EQ(0x20, IN(LSR) & 0x20);	/* THRE before each */
		OUT(THR, msg[i]);
	}
	EXPECT_EQ((int)strlen(msg), drain(self->pipe[0], out, sizeof(out)));
	EXPECT_STREQ(msg, out);
	EXPECT_EQ(0x60, IN(LSR));
}

TEST_F(uart, receive)
{
	OUT(FCR, 0x01);
	uart16550_input(self->u, (const uint8_t *)"abc", 3);
	EXPECT_EQ(0x61, IN(LSR));	/* DR */
	EXPECT_EQ('a', IN(RBR));
	EXPECT_EQ('b', IN(RBR));
	EXPECT_EQ(0x01, IN(LSR) & 0x01);
	EXPECT_EQ('c', IN(RBR));
	EXPECT_EQ(0x60, IN(LSR));
	EXPECT_EQ(0, IN(RBR));
}

TEST_F(uart, fifo_and_overrun)
{
	uint8_t in[20];
	int i;

	for (i = 0; i < 20; i++)
		in[i] = 'A' + i;
	/* 16450 mode first: one byte of room. */
	EXPECT_EQ(1, (int)uart16550_rx_room(self->u));
	uart16550_input(self->u, in, 2);
	EXPECT_EQ(0x63, IN(LSR));	/* DR | OE */
	EXPECT_EQ(0x61, IN(LSR));	/* OE cleared by the read */
	EXPECT_EQ('A', IN(RBR));
	EXPECT_EQ(0x60, IN(LSR));

	OUT(FCR, 0x01);
	EXPECT_EQ(0xc0, IN(IIR) & 0xc0);
	EXPECT_EQ(UART16550_FIFO, (int)uart16550_rx_room(self->u));
	uart16550_input(self->u, in, 20);
	EXPECT_EQ(0, (int)uart16550_rx_room(self->u));
	EXPECT_EQ(0x63, IN(LSR));
	for (i = 0; i < UART16550_FIFO; i++)
		EXPECT_EQ('A' + i, IN(RBR));
	EXPECT_EQ(0x60, IN(LSR));
	EXPECT_EQ(UART16550_FIFO, (int)uart16550_rx_room(self->u));

	/* Clearing the receive FIFO empties it. */
	uart16550_input(self->u, in, 5);
	OUT(FCR, 0x03);
	EXPECT_EQ(0x60, IN(LSR));
	/* FIFOs off: IIR's top bits clear. */
	OUT(FCR, 0x00);
	EXPECT_EQ(0x00, IN(IIR) & 0xc0);
}

TEST_F(uart, rx_interrupt)
{
	static const uint8_t in[8] = "12345678";

	OUT(MCR, 0x08);		/* OUT2 */
	OUT(IER, 0x01);
	EXPECT_EQ(0x01, IN(IIR));
	EXPECT_EQ(0, self->irq.level);
	uart16550_input(self->u, in, 1);
	EXPECT_EQ(0x04, IN(IIR));
	EXPECT_EQ(1, self->irq.level);
	EXPECT_EQ('1', IN(RBR));
	EXPECT_EQ(0x01, IN(IIR));
	EXPECT_EQ(0, self->irq.level);

	/* FIFO, trigger at 8: below it, the character timeout. */
	OUT(FCR, 0x81);
	uart16550_input(self->u, in, 3);
	EXPECT_EQ(0xcc, IN(IIR));
	EXPECT_EQ(1, self->irq.level);
	uart16550_input(self->u, in + 3, 5);
	EXPECT_EQ(0xc4, IN(IIR));
	while (IN(LSR) & 0x01)
		IN(RBR);
	EXPECT_EQ(0xc1, IN(IIR));
	EXPECT_EQ(0, self->irq.level);
	/* Masked: data waits without an interrupt. */
	OUT(IER, 0x00);
	uart16550_input(self->u, in, 1);
	EXPECT_EQ(0xc1, IN(IIR));
	EXPECT_EQ(0, self->irq.level);
}

TEST_F(uart, thre_interrupt)
{
	char out[8];

	OUT(MCR, 0x08);
	/* Enabling it with THR empty raises it. */
	OUT(IER, 0x02);
	EXPECT_EQ(1, self->irq.level);
	EXPECT_EQ(0x02, IN(IIR));
	/* Reading IIR acknowledged it. */
	EXPECT_EQ(0x01, IN(IIR));
	EXPECT_EQ(0, self->irq.level);
	/* Each byte sent empties THR again. */
	OUT(THR, 'x');
	EXPECT_EQ(1, self->irq.level);
	EXPECT_EQ(2, self->irq.raises);
	OUT(IER, 0x00);
	EXPECT_EQ(0, self->irq.level);
	EXPECT_EQ(0x01, IN(IIR));
	/* Linux's THRE test: off, on again, and it is back. */
	OUT(IER, 0x02);
	EXPECT_EQ(0x02, IN(IIR));
	EXPECT_EQ(1, drain(self->pipe[0], out, sizeof(out)));
}

TEST_F(uart, iir_priorities)
{
	OUT(MCR, 0x08);
	uart16550_input(self->u, (const uint8_t *)"ab", 2);	/* overrun */
	OUT(IER, 0x0f);
	/* Loopback with RTS and DTR off: CTS and DSR drop, and deltas. */
	OUT(MCR, 0x18);
	EXPECT_EQ(0x83, IN(MSR));
	/* That read took the deltas; back out of loopback for new ones. */
	OUT(MCR, 0x08);
	EXPECT_EQ(0x06, IN(IIR));	/* line status first */
	EXPECT_EQ(0x63, IN(LSR));
	EXPECT_EQ(0x04, IN(IIR));	/* then received data */
	EXPECT_EQ('a', IN(RBR));
	EXPECT_EQ(0x02, IN(IIR));	/* then THR empty, which this clears */
	EXPECT_EQ(0x00, IN(IIR));	/* then modem status */
	IN(MSR);
	EXPECT_EQ(0x01, IN(IIR));
	EXPECT_EQ(0, self->irq.level);
}

TEST_F(uart, loopback)
{
	char out[8];

	/* Linux's 8250 probe: loopback with RTS and OUT2 reads 0x90. */
	OUT(MCR, 0x1a);
	EXPECT_EQ(0x90, IN(MSR) & 0xf0);
	OUT(MCR, 0x15);		/* DTR and OUT1: DSR and RI */
	EXPECT_EQ(0x60, IN(MSR) & 0xf0);
	OUT(THR, 'Z');
	EXPECT_EQ(0, drain(self->pipe[0], out, sizeof(out)));
	EXPECT_EQ(0x61, IN(LSR));
	EXPECT_EQ('Z', IN(RBR));
	/* The serial input is disconnected meanwhile. */
	EXPECT_EQ(0, (int)uart16550_rx_room(self->u));
	uart16550_input(self->u, (const uint8_t *)"q", 1);
	EXPECT_EQ(0x60, IN(LSR));
	/* Back out: the terminal's lines, RI's trailing edge seen. */
	OUT(MCR, 0x00);
	EXPECT_EQ(0xbd, IN(MSR));
	OUT(THR, 'Y');
	EXPECT_EQ(1, drain(self->pipe[0], out, sizeof(out)));
	EXPECT_STREQ("Y", out);
}

TEST_F(uart, out2_gates_irq)
{
	OUT(IER, 0x02);
	EXPECT_EQ(0x02, IN(IIR) & 0x0f);
	OUT(IER, 0x00);
	OUT(IER, 0x02);
	/* Pending all along; the line follows OUT2 on the ISA variant. */
	EXPECT_EQ(variant->isa_out2 ? 0 : 1, self->irq.level);
	OUT(MCR, 0x08);
	EXPECT_EQ(1, self->irq.level);
	/* Loopback forces the OUT2 pin inactive. */
	OUT(MCR, 0x18);
	EXPECT_EQ(variant->isa_out2 ? 0 : 1, self->irq.level);
	OUT(MCR, 0x08);
	EXPECT_EQ(1, self->irq.level);
	OUT(MCR, 0x00);
	EXPECT_EQ(variant->isa_out2 ? 0 : 1, self->irq.level);
}

TEST_F(uart, word_access)
{
	/* A word to LCR is a byte to LCR and one to MCR. */
	wr(&self->bus, IO_PIO, LCR, 2, 0x0b03);
	EXPECT_EQ(0x03, IN(LCR));
	EXPECT_EQ(0x0b, IN(MCR));
	EXPECT_EQ(0x0b03, rd(&self->bus, IO_PIO, LCR, 2));
}

TEST(uart_mmio)
{
	struct bus bus = { 0 };
	struct uart16550 *u;
	struct fake_irq irq;

	fake_init(&irq);
	u = uart16550_create(IO_MMIO, 0x10000000, &irq.line, -1, false);
	ASSERT_NE(NULL, u);
	ASSERT_EQ(0, bus_add(&bus, uart16550_device(u)));
	EXPECT_EQ(UART16550_MMIO_SIZE, (int)uart16550_device(u)->size);
	EXPECT_EQ(0x60, rd(&bus, IO_MMIO, 0x10000005, 1));
	EXPECT_EQ(0, rd(&bus, IO_MMIO, 0x100000ff, 1));
	EXPECT_EQ(-1, rd(&bus, IO_PIO, 0x10000005, 1));
	/* No output fd: sending still works, and raises THRE. */
	wr(&bus, IO_MMIO, 0x10000001, 1, 0x02);
	wr(&bus, IO_MMIO, 0x10000000, 1, 'x');
	EXPECT_EQ(1, irq.level);
	uart16550_destroy(u);
}

/* PL011 registers, at 0x9000000. */
#define UART0	0x9000000
#define DR	(UART0 + 0x000)
#define RSR	(UART0 + 0x004)
#define FR	(UART0 + 0x018)
#define ILPR	(UART0 + 0x020)
#define IBRD	(UART0 + 0x024)
#define FBRD	(UART0 + 0x028)
#define LCR_H	(UART0 + 0x02c)
#define CR	(UART0 + 0x030)
#define IFLS	(UART0 + 0x034)
#define IMSC	(UART0 + 0x038)
#define RIS	(UART0 + 0x03c)
#define MIS	(UART0 + 0x040)
#define ICR	(UART0 + 0x044)
#define DMACR	(UART0 + 0x048)

#define FR_RXFE		0x10
#define FR_RXFF		0x40
#define FR_TXFE		0x80
#define FR_TXFF		0x20
#define FR_BUSY		0x08
#define INT_RX		0x10
#define INT_TX		0x20
#define INT_RT		0x40
#define INT_OE		0x400
#define CR_ON		0x301	/* UARTEN | TXE | RXE */

FIXTURE(pl011) {
	struct bus bus;
	struct fake_irq irq;
	struct pl011 *p;
	int pipe[2];
};

FIXTURE_SETUP(pl011)
{
	memset(&self->bus, 0, sizeof(self->bus));
	fake_init(&self->irq);
	ASSERT_EQ(0, pipe2(self->pipe, O_NONBLOCK));
	self->p = pl011_create(UART0, &self->irq.line, self->pipe[1]);
	ASSERT_NE(NULL, self->p);
	ASSERT_EQ(0, bus_add(&self->bus, pl011_device(self->p)));
}

FIXTURE_TEARDOWN(pl011)
{
	pl011_destroy(self->p);
	close(self->pipe[0]);
	close(self->pipe[1]);
}

#define R32(a)		rd(&self->bus, IO_MMIO, a, 4)
#define R16(a)		rd(&self->bus, IO_MMIO, a, 2)
#define W32(a, v)	wr(&self->bus, IO_MMIO, a, 4, v)
#define W16(a, v)	wr(&self->bus, IO_MMIO, a, 2, v)

TEST_F(pl011, ids)
{
	static const int id[8] = {
		0x11, 0x10, 0x34, 0x00, 0x0d, 0xf0, 0x05, 0xb1
	};
	int i;

	EXPECT_EQ(PL011_SIZE, (int)pl011_device(self->p)->size);
	for (i = 0; i < 8; i++)
		EXPECT_EQ(id[i], R32(UART0 + 0xfe0 + 4 * i));
	/* What Linux's AMBA bus makes of them: a PL011, revision 3. */
	EXPECT_EQ(0x11, R16(UART0 + 0xfe0));
	EXPECT_EQ(3, R32(UART0 + 0xfe8) >> 4);
}

TEST_F(pl011, reset_state)
{
	EXPECT_EQ(FR_RXFE | FR_TXFE | 0x7, R32(FR));	/* + CTS DSR DCD */
	EXPECT_EQ(0, R32(FR) & (FR_TXFF | FR_BUSY | FR_RXFF));
	EXPECT_EQ(0x300, R32(CR));
	EXPECT_EQ(0x12, R32(IFLS));
	EXPECT_EQ(0, R32(IMSC));
	EXPECT_EQ(0, R32(RIS));
	EXPECT_EQ(0, R32(MIS));
	EXPECT_EQ(0, self->irq.level);
}

TEST_F(pl011, registers)
{
	W32(IBRD, 0x12345);
	EXPECT_EQ(0x2345, R32(IBRD));
	W32(FBRD, 0xff);
	EXPECT_EQ(0x3f, R32(FBRD));
	W32(ILPR, 0x1ff);
	EXPECT_EQ(0xff, R32(ILPR));
	W32(LCR_H, 0x70);
	EXPECT_EQ(0x70, R32(LCR_H));
	W32(DMACR, 0xff);
	EXPECT_EQ(0x7, R32(DMACR));
	W32(IFLS, 0xff);
	EXPECT_EQ(0x3f, R32(IFLS));
	W32(IMSC, 0xffff);
	EXPECT_EQ(0x7ff, R32(IMSC));
	/* RIS and MIS are read-only; 16-bit accesses work as Linux's do. */
	W32(RIS, 0x7ff);
	EXPECT_EQ(0, R32(RIS));
	W16(CR, 0xc301);
	EXPECT_EQ(0xc301, R16(CR));
}

TEST_F(pl011, transmit)
{
	const char *msg = "hello, pl011\n";
	char out[64];
	size_t i;
	int n;

	/* Sent even before the guest enables the UART: earlycon does. */
	W32(DR, 'E');
	W32(CR, CR_ON);
	for (i = 0; i < strlen(msg); i++) {
		EXPECT_EQ(0, R32(FR) & FR_TXFF);
		W32(DR, msg[i]);
	}
	EXPECT_EQ(FR_TXFE, R32(FR) & (FR_TXFE | FR_BUSY));
	n = drain(self->pipe[0], out, sizeof(out));
	EXPECT_EQ((int)strlen(msg) + 1, n);
	EXPECT_EQ('E', out[0]);
	EXPECT_STREQ(msg, out + 1);
	/* TX interrupt: raised, unmasked, cleared. */
	EXPECT_EQ(INT_TX, R32(RIS) & INT_TX);
	EXPECT_EQ(0, self->irq.level);
	W32(IMSC, INT_TX);
	EXPECT_EQ(1, self->irq.level);
	EXPECT_EQ(INT_TX, R32(MIS));
	W32(ICR, INT_TX);
	EXPECT_EQ(0, R32(RIS) & INT_TX);
	EXPECT_EQ(0, self->irq.level);
	W32(DR, '!');
	EXPECT_EQ(1, self->irq.level);
}

TEST_F(pl011, tx_enable_raises_txis)
{
	W32(CR, 0x200);
	W32(ICR, 0x7ff);
	W32(IMSC, INT_TX);
	EXPECT_EQ(0, self->irq.level);
	W32(CR, CR_ON);
	EXPECT_EQ(1, self->irq.level);
	EXPECT_EQ(INT_TX, R32(MIS));
}

TEST_F(pl011, receive)
{
	/* Disabled receiver: nothing taken. */
	EXPECT_EQ(0, (int)pl011_rx_room(self->p));
	pl011_input(self->p, (const uint8_t *)"no", 2);
	EXPECT_EQ(FR_RXFE, R32(FR) & FR_RXFE);

	W32(CR, CR_ON);
	/* FIFOs off: one character of room. */
	EXPECT_EQ(1, (int)pl011_rx_room(self->p));
	W32(LCR_H, 0x70);
	EXPECT_EQ(PL011_FIFO, (int)pl011_rx_room(self->p));
	pl011_input(self->p, (const uint8_t *)"hi", 2);
	EXPECT_EQ(0, R32(FR) & FR_RXFE);
	EXPECT_EQ('h', R32(DR));
	EXPECT_EQ('i', R16(DR));
	EXPECT_EQ(FR_RXFE, R32(FR) & FR_RXFE);
	EXPECT_EQ(0, R32(DR));
}

TEST_F(pl011, overrun)
{
	uint8_t in[40];
	int i;

	for (i = 0; i < 40; i++)
		in[i] = ' ' + i;
	W32(CR, CR_ON);
	W32(LCR_H, 0x70);
	pl011_input(self->p, in, 40);
	EXPECT_EQ(FR_RXFF, R32(FR) & (FR_RXFF | FR_RXFE));
	EXPECT_EQ(0, (int)pl011_rx_room(self->p));
	EXPECT_EQ(0x8, R32(RSR));	/* OE */
	EXPECT_EQ(INT_OE, R32(RIS) & INT_OE);
	for (i = 0; i < PL011_FIFO; i++)
		EXPECT_EQ(' ' + i, R32(DR));
	EXPECT_EQ(FR_RXFE, R32(FR) & (FR_RXFF | FR_RXFE));
	/* The next character received carries the overrun flag. */
	pl011_input(self->p, (const uint8_t *)"x", 1);
	EXPECT_EQ(0x800 | 'x', R32(DR));
	W32(RSR, 0);		/* ECR */
	EXPECT_EQ(0, R32(RSR));
	W32(ICR, INT_OE);
	EXPECT_EQ(0, R32(RIS) & INT_OE);

	/* FIFOs off: the second byte of two is lost. */
	W32(LCR_H, 0x60);
	pl011_input(self->p, (const uint8_t *)"yz", 2);
	EXPECT_EQ(FR_RXFF, R32(FR) & (FR_RXFF | FR_RXFE));
	EXPECT_EQ('y', R32(DR));
	EXPECT_EQ(0x8, R32(RSR));
}

TEST_F(pl011, rx_interrupts)
{
	uint8_t in[16];

	memset(in, 'r', sizeof(in));
	W32(CR, CR_ON);
	W32(LCR_H, 0x70);
	W32(IMSC, INT_RX | INT_RT);
	/* Below the trigger level (16 of 32): only the timeout. */
	pl011_input(self->p, in, 3);
	EXPECT_EQ(INT_RT, R32(RIS) & (INT_RX | INT_RT));
	EXPECT_EQ(1, self->irq.level);
	/* Through the trigger level: RXIS too. */
	pl011_input(self->p, in, 13);
	EXPECT_EQ(INT_RX | INT_RT, R32(MIS));
	/* Below it again: RXIS goes; empty: RTIS goes. */
	R32(DR);
	EXPECT_EQ(INT_RT, R32(MIS));
	while (!(R32(FR) & FR_RXFE))
		R32(DR);
	EXPECT_EQ(0, R32(MIS));
	EXPECT_EQ(0, self->irq.level);
	/* ICR clears the timeout with data still there. */
	pl011_input(self->p, in, 1);
	EXPECT_EQ(1, self->irq.level);
	W32(ICR, INT_RT);
	EXPECT_EQ(0, self->irq.level);
	EXPECT_EQ('r', R32(DR));
}

TEST_F(pl011, loopback)
{
	char out[8];

	/* RTS and DTR loop back to CTS and DSR, Out1 and Out2 to DCD, RI. */
	W32(CR, CR_ON | 0x80 | 0x0c00);
	EXPECT_EQ(0x3, R32(FR) & 0x107);
	W32(CR, CR_ON | 0x80 | 0x3000);
	EXPECT_EQ(0x104, R32(FR) & 0x107);
	/* Modem interrupts for the changes. */
	EXPECT_NE(0, R32(RIS) & 0xf);
	W32(DR, 'q');
	EXPECT_EQ(0, drain(self->pipe[0], out, sizeof(out)));
	EXPECT_EQ('q', R32(DR));
	/* The line's input is disconnected. */
	EXPECT_EQ(0, (int)pl011_rx_room(self->p));
	pl011_input(self->p, (const uint8_t *)"n", 1);
	EXPECT_EQ(FR_RXFE, R32(FR) & FR_RXFE);
	W32(CR, CR_ON);
	W32(DR, 'o');
	EXPECT_EQ(1, drain(self->pipe[0], out, sizeof(out)));
	EXPECT_STREQ("o", out);
}

TEST_HARNESS_MAIN
