// SPDX-License-Identifier: GPL-2.0
/*
 * The 8259A pair: master at 0x20/0x21, slave at 0xa0/0xa1 cascaded on the
 * master's IRQ 2, and the edge/level control registers at 0x4d0/0x4d1.
 * Emulated: the ICW1-4 initialisation, the mask, fully nested priorities
 * with rotation, specific and non-specific EOI, automatic EOI, reading
 * IRR/ISR and poll mode. Not emulated: special fully nested mode and
 * buffered mode (accepted and ignored). Its output reaches a vCPU whose
 * LINT0 is ExtINT.
 */
#include "irqchip.h"

#define PIC_MASTER_CMD		0x20
#define PIC_MASTER_DATA		0x21
#define PIC_SLAVE_CMD		0xa0
#define PIC_SLAVE_DATA		0xa1
#define PIC_ELCR_MASTER		0x4d0
#define PIC_ELCR_SLAVE		0x4d1
#define PIC_CASCADE_IRQ		2

#define ICW1_ICW4		BIT(0)
#define ICW1_SINGLE		BIT(1)
#define ICW1_INIT		BIT(4)
#define OCW3_SELECT		BIT(3)
#define OCW3_READ_REG		BIT(1)
#define OCW3_READ_ISR		BIT(0)
#define OCW3_POLL		BIT(2)
#define OCW3_SET_SMM		BIT(6)
#define OCW3_SMM		BIT(5)
#define ICW4_AEOI		BIT(1)
/* IRQs 0, 1, 2 (master) and 8, 13 (slave) are always edge-triggered. */
#define ELCR_MASTER_OK		0xf8
#define ELCR_SLAVE_OK		0xde

void axvm_pic_init(struct axvm_pic *pic)
{
	unsigned int i;

	spin_lock_init(&pic->lock);
	for (i = 0; i < 2; i++) {
		pic->pic[i].lowest = 7;
		pic->pic[i].imr = 0xff;
	}
}

/* The IRQ with priority @n: 0 is the highest. */
static u8 axvm_pic_nth(const struct axvm_pic_one *p, unsigned int n)
{
	return (p->lowest + 1 + n) & 7;
}

/* The highest-priority IRQ requesting service past the nested ISRs, or -1. */
static int axvm_pic_pending(const struct axvm_pic_one *p)
{
	u8 req = p->irr & ~p->imr;
	u8 isr = p->isr;
	unsigned int n;
	u8 irq;

	/* Special mask mode: masked in-service levels do not block. */
	if (p->special_mask)
		isr &= ~p->imr;
	for (n = 0; n < 8; n++) {
		irq = axvm_pic_nth(p, n);
		if (req & BIT(irq))
			return irq;
		/* An IRQ in service blocks those below it (and itself). */
		if (isr & BIT(irq))
			return -1;
	}
	return -1;
}

/* The slave's request shows on the master's IRQ 2; the lock is held. */
static void axvm_pic_cascade(struct axvm_pic *pic)
{
	struct axvm_pic_one *m = &pic->pic[0];

	if (axvm_pic_pending(&pic->pic[1]) >= 0)
		m->irr |= BIT(PIC_CASCADE_IRQ);
	else
		m->irr &= ~BIT(PIC_CASCADE_IRQ);
}

void axvm_pic_set_line(struct axvm_pic *pic, u32 irq, bool level)
{
	struct axvm_pic_one *p = &pic->pic[irq >> 3];
	u8 bit = BIT(irq & 7);
	unsigned long flags;

	spin_lock_irqsave(&pic->lock, flags);
	if (p->elcr & bit) {
		if (level)
			p->irr |= bit;
		else
			p->irr &= ~bit;
	} else if (level && !(p->lines & bit)) {
		p->irr |= bit;
	}
	if (level)
		p->lines |= bit;
	else
		p->lines &= ~bit;
	axvm_pic_cascade(pic);
	spin_unlock_irqrestore(&pic->lock, flags);
}

bool axvm_pic_output(struct axvm_pic *pic)
{
	unsigned long flags;
	bool ret;

	spin_lock_irqsave(&pic->lock, flags);
	ret = axvm_pic_pending(&pic->pic[0]) >= 0;
	spin_unlock_irqrestore(&pic->lock, flags);
	return ret;
}

/* Acknowledge @irq on @p: in service unless AEOI, an edge request done. */
static void axvm_pic_take(struct axvm_pic_one *p, u8 irq)
{
	if (!p->auto_eoi)
		p->isr |= BIT(irq);
	else if (p->rotate_aeoi)
		p->lowest = irq;
	/* A level request stays while the line is high. */
	if (!(p->elcr & BIT(irq)) || !(p->lines & BIT(irq)))
		p->irr &= ~BIT(irq);
}

/* The INTA cycle: the vector; the lock is held. */
static int axvm_pic_ack_locked(struct axvm_pic *pic)
{
	struct axvm_pic_one *m = &pic->pic[0], *s = &pic->pic[1];
	int irq = axvm_pic_pending(m), sirq;
	int vector;

	/* Nothing after all: the spurious IRQ 7. */
	if (irq < 0)
		return m->base | 7;
	if (irq != PIC_CASCADE_IRQ) {
		axvm_pic_take(m, irq);
		vector = m->base | irq;
	} else {
		sirq = axvm_pic_pending(s);
		if (sirq < 0) {
			vector = s->base | 7;
		} else {
			axvm_pic_take(s, sirq);
			vector = s->base | sirq;
		}
		if (!m->auto_eoi)
			m->isr |= BIT(PIC_CASCADE_IRQ);
	}
	axvm_pic_cascade(pic);
	return vector;
}

int axvm_pic_ack(struct axvm_pic *pic)
{
	unsigned long flags;
	int v;

	spin_lock_irqsave(&pic->lock, flags);
	v = axvm_pic_ack_locked(pic);
	spin_unlock_irqrestore(&pic->lock, flags);
	return v;
}

bool axvm_pic_port(u16 port)
{
	return port == PIC_MASTER_CMD || port == PIC_MASTER_DATA ||
	       port == PIC_SLAVE_CMD || port == PIC_SLAVE_DATA ||
	       port == PIC_ELCR_MASTER || port == PIC_ELCR_SLAVE;
}

/* OCW2: EOIs and priority rotation. */
static void axvm_pic_ocw2(struct axvm_pic_one *p, u8 val)
{
	u8 cmd = val >> 5, irq = val & 7;
	int top = -1;
	unsigned int n;

	for (n = 0; n < 8; n++) {
		if (p->isr & BIT(axvm_pic_nth(p, n))) {
			top = axvm_pic_nth(p, n);
			break;
		}
	}
	switch (cmd) {
	case 1:		/* non-specific EOI */
	case 5:		/* ... and rotate */
		if (top < 0)
			break;
		p->isr &= ~BIT(top);
		if (cmd == 5)
			p->lowest = top;
		break;
	case 3:		/* specific EOI */
	case 7:		/* ... and rotate */
		p->isr &= ~BIT(irq);
		if (cmd == 7)
			p->lowest = irq;
		break;
	case 6:		/* set priority */
		p->lowest = irq;
		break;
	case 0:		/* rotate in automatic EOI mode: clear */
	case 4:		/* ... set (8259A, OCW2 R SL EOI = 000, 100) */
		p->rotate_aeoi = cmd == 4;
		break;
	}
}

static void axvm_pic_cmd(struct axvm_pic_one *p, u8 val)
{
	if (val & ICW1_INIT) {
		p->init_step = 1;
		p->icw4 = val & ICW1_ICW4;
		p->single = val & ICW1_SINGLE;
		p->imr = 0;
		p->isr = 0;
		/*
		 * The edge sense latches are reset: an edge input needs a
		 * new rising edge, but a level input still high (ELCR)
		 * still requests, as KVM's kvm_pic_reset() keeps it.
		 */
		p->irr &= p->elcr & p->lines;
		p->lowest = 7;
		p->auto_eoi = false;
		p->rotate_aeoi = false;
		p->read_isr = false;
		p->special_mask = false;
		p->poll = false;
		return;
	}
	if (val & OCW3_SELECT) {
		if (val & OCW3_READ_REG)
			p->read_isr = val & OCW3_READ_ISR;
		p->poll = val & OCW3_POLL;
		if (val & OCW3_SET_SMM)
			p->special_mask = val & OCW3_SMM;
		return;
	}
	axvm_pic_ocw2(p, val);
}

static void axvm_pic_data(struct axvm_pic_one *p, u8 val)
{
	switch (p->init_step) {
	case 1:		/* ICW2: the vector base */
		p->base = val & 0xf8;
		p->init_step = p->single ? (p->icw4 ? 3 : 0) : 2;
		break;
	case 2:		/* ICW3: cascade wiring, fixed here */
		p->init_step = p->icw4 ? 3 : 0;
		break;
	case 3:		/* ICW4 */
		p->auto_eoi = val & ICW4_AEOI;
		p->init_step = 0;
		break;
	default:	/* OCW1: the mask */
		p->imr = val;
	}
}

void axvm_pic_io(struct axvm_pic *pic, u16 port, bool in, u8 *val)
{
	struct axvm_pic_one *p = &pic->pic[port >= PIC_SLAVE_CMD &&
					   port != PIC_ELCR_MASTER];
	bool slave = p == &pic->pic[1];
	unsigned long flags;
	int irq;

	spin_lock_irqsave(&pic->lock, flags);
	switch (port) {
	case PIC_ELCR_MASTER:
	case PIC_ELCR_SLAVE:
		if (in)
			*val = p->elcr;
		else
			p->elcr = *val & (slave ? ELCR_SLAVE_OK : ELCR_MASTER_OK);
		break;
	case PIC_MASTER_CMD:
	case PIC_SLAVE_CMD:
		if (!in) {
			axvm_pic_cmd(p, *val);
		} else if (p->poll) {
			/* Poll: acknowledge as INTA would, report the IRQ. */
			p->poll = false;
			irq = axvm_pic_pending(p);
			if (irq >= 0)
				axvm_pic_take(p, irq);
			*val = irq >= 0 ? 0x80 | irq : 0;
		} else {
			*val = p->read_isr ? p->isr : p->irr;
		}
		break;
	default:
		if (in)
			*val = p->imr;
		else
			axvm_pic_data(p, *val);
	}
	axvm_pic_cascade(pic);
	spin_unlock_irqrestore(&pic->lock, flags);
}
