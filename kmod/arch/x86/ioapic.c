// SPDX-License-Identifier: GPL-2.0
/*
 * The I/O APIC (version 0x11): IOREGSEL/IOWIN at +0x00/+0x10, one
 * redirection entry per input line. An edge pin sends its message on a
 * rising line; a level pin while its line is high and remote IRR clear,
 * which the EOI of its vector at a local APIC clears again. Line levels
 * are logical (asserted or not): the polarity bit is kept, not applied.
 */
#include <asm/apicdef.h>

#include "irqchip.h"

#define IOAPIC_REGSEL		0x00
#define IOAPIC_WINDOW		0x10
#define IOAPIC_REG_ID		0x00
#define IOAPIC_REG_VERSION	0x01
#define IOAPIC_REG_ARB		0x02
#define IOAPIC_REG_REDIR	0x10
#define IOAPIC_VERSION		0x11

#define REDIR_VECTOR		0xffULL
#define REDIR_MODE		0x700ULL
#define REDIR_LOGICAL		BIT_ULL(11)
#define REDIR_PENDING		BIT_ULL(12)	/* delivery status */
#define REDIR_POLARITY		BIT_ULL(13)
#define REDIR_REMOTE_IRR	BIT_ULL(14)
#define REDIR_LEVEL		BIT_ULL(15)
#define REDIR_MASKED		BIT_ULL(16)
#define REDIR_DEST_SHIFT	56
/* What the guest may write: not the status bits. */
#define REDIR_WRITABLE		(REDIR_VECTOR | REDIR_MODE | REDIR_LOGICAL | \
				 REDIR_POLARITY | REDIR_LEVEL | REDIR_MASKED | \
				 (0xffULL << REDIR_DEST_SHIFT))

void axvm_ioapic_init(struct axvm_ioapic *io, u64 base, u32 pins)
{
	unsigned int i;

	spin_lock_init(&io->lock);
	io->base = base;
	io->nr_pins = pins;
	for (i = 0; i < AXVM_IOAPIC_MAX_PINS; i++)
		io->redir[i] = REDIR_MASKED;
}

/*
 * A level entry that waits for an EOI: Fixed and Lowest Priority only.
 * NMI, SMI, INIT and ExtINT have no EOI; the 82093AA treats them "as an
 * edge triggered interrupt, even if it is programmed as a level
 * triggered interrupt" (3.2.4, Delivery Mode), so no Remote IRR.
 */
static bool axvm_ioapic_eoi_mode(u64 e)
{
	u64 mode = e & REDIR_MODE;

	return (e & REDIR_LEVEL) &&
	       (mode == APIC_DM_FIXED || mode == APIC_DM_LOWEST);
}

/* Send pin @pin's message when it should go; the I/O APIC lock is held. */
static void axvm_ioapic_service(struct axvm_x86_chip *chip, u32 pin)
{
	struct axvm_ioapic *io = &chip->ioapic;
	u64 e = io->redir[pin];

	if (e & REDIR_MASKED || !test_bit(pin, io->level))
		return;
	if ((e & REDIR_LEVEL) && (e & REDIR_REMOTE_IRR))
		return;
	/*
	 * 82093AA 3.2.4, Remote IRR: "set to 1 when local APIC(s) accept
	 * the level interrupt". One that no APIC took (no destination, an
	 * APIC off, an illegal vector) leaves it clear: the pin is not
	 * stuck, and the next change of the line or of the entry sends it.
	 */
	if (axvm_x86_chip_deliver(chip, e >> REDIR_DEST_SHIFT,
				  e & REDIR_LOGICAL, e & REDIR_MODE,
				  e & REDIR_VECTOR, e & REDIR_LEVEL) &&
	    axvm_ioapic_eoi_mode(e))
		io->redir[pin] |= REDIR_REMOTE_IRR;
}

void axvm_ioapic_set_line(struct axvm_x86_chip *chip, u32 pin, bool level)
{
	struct axvm_ioapic *io = &chip->ioapic;
	unsigned long flags;
	bool was;

	if (pin >= io->nr_pins)
		return;
	spin_lock_irqsave(&io->lock, flags);
	was = __test_and_clear_bit(pin, io->level);
	if (level) {
		__set_bit(pin, io->level);
		/* An edge pin fires on the rising edge only. */
		if (!was || io->redir[pin] & REDIR_LEVEL)
			axvm_ioapic_service(chip, pin);
	}
	spin_unlock_irqrestore(&io->lock, flags);
}

/* A local APIC ended a level-triggered @vector: its pins may fire again. */
void axvm_ioapic_eoi(struct axvm_x86_chip *chip, u8 vector)
{
	struct axvm_ioapic *io = &chip->ioapic;
	unsigned long flags;
	unsigned int pin;

	spin_lock_irqsave(&io->lock, flags);
	for (pin = 0; pin < io->nr_pins; pin++) {
		if ((io->redir[pin] & REDIR_VECTOR) != vector ||
		    !(io->redir[pin] & REDIR_REMOTE_IRR))
			continue;
		io->redir[pin] &= ~REDIR_REMOTE_IRR;
		axvm_ioapic_service(chip, pin);
	}
	spin_unlock_irqrestore(&io->lock, flags);
}

static u32 axvm_ioapic_read(struct axvm_ioapic *io)
{
	u32 reg = io->sel, pin;

	switch (reg) {
	case IOAPIC_REG_ID:
	case IOAPIC_REG_ARB:
		return io->id << 24;
	case IOAPIC_REG_VERSION:
		return IOAPIC_VERSION | ((io->nr_pins - 1) << 16);
	}
	pin = (reg - IOAPIC_REG_REDIR) / 2;
	if (reg < IOAPIC_REG_REDIR || pin >= io->nr_pins)
		return 0;
	return reg & 1 ? io->redir[pin] >> 32 : (u32)io->redir[pin];
}

static void axvm_ioapic_write(struct axvm_x86_chip *chip, u32 val)
{
	struct axvm_ioapic *io = &chip->ioapic;
	u32 reg = io->sel, pin = (reg - IOAPIC_REG_REDIR) / 2;
	u64 e;

	if (reg == IOAPIC_REG_ID) {
		io->id = (val >> 24) & 0xf;
		return;
	}
	if (reg < IOAPIC_REG_REDIR || pin >= io->nr_pins)
		return;
	e = io->redir[pin];
	if (reg & 1)
		e = (e & 0xffffffffULL) | ((u64)val << 32);
	else
		e = (e & ~0xffffffffULL) | val;
	e = (io->redir[pin] & ~REDIR_WRITABLE) | (e & REDIR_WRITABLE);
	/* An edge pin has no remote IRR. */
	if (!(e & REDIR_LEVEL))
		e &= ~REDIR_REMOTE_IRR;
	io->redir[pin] = e;
	/* A level line still high fires once unmasked. */
	if (e & REDIR_LEVEL)
		axvm_ioapic_service(chip, pin);
}

/* Always handled; registers are 32 bits, other widths act on the low part. */
int axvm_ioapic_mmio(struct axvm_x86_chip *chip, u64 off, unsigned int len,
		     bool write, u64 *val)
{
	struct axvm_ioapic *io = &chip->ioapic;
	unsigned long flags;
	u64 v = 0;

	spin_lock_irqsave(&io->lock, flags);
	switch (off) {
	case IOAPIC_REGSEL:
		if (write)
			io->sel = *val & 0xff;
		else
			v = io->sel;
		break;
	case IOAPIC_WINDOW:
		if (write)
			axvm_ioapic_write(chip, *val);
		else
			v = axvm_ioapic_read(io);
		break;
	}
	spin_unlock_irqrestore(&io->lock, flags);
	if (!write)
		*val = v;
	return 0;
}
