/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The x86 in-kernel interrupt controllers: a local APIC per vCPU, the
 * I/O APIC, the 8259 pair and the 8254 PIT of a VM (AXVM_IRQCHIP_X86).
 */
#ifndef AXVM_X86_IRQCHIP_H
#define AXVM_X86_IRQCHIP_H

#include <linux/hrtimer.h>
#include <linux/spinlock.h>

#include "x86.h"

#define AXVM_LAPIC_BASE		0xfee00000ULL
/* IA32_APIC_BASE bits 51:12: where the APIC page is (SDM 10.4.4). */
#define AXVM_APICBASE_PAGE	GENMASK_ULL(51, 12)
#define AXVM_LAPIC_SIZE		0x1000
#define AXVM_IOAPIC_SIZE	0x1000
#define AXVM_IOAPIC_MAX_PINS	120	/* the version register's 8 bits */
#define AXVM_XAPIC_MAX_ID	254	/* 0xff is the broadcast id */
#define AXVM_PIT_IRQ_PIN	2	/* IRQ0 -> GSI 2, as ACPI tables say */
/* The ICR's destination shorthand, bits 19:18 (SDM 10.6.1). */
#define AXVM_LAPIC_SHORTHAND	GENMASK(19, 18)

/* What a vCPU does between runs of guest code. */
enum axvm_x86_mp_state {
	AXVM_X86_RUNNABLE,
	AXVM_X86_HALTED,		/* HLT: until an interrupt */
	AXVM_X86_WAIT_SIPI,		/* after INIT: until a SIPI */
};

struct axvm_lapic {
	spinlock_t lock;		/* everything below; any context */
	struct axvm_x86_vcpu *x;
	u32 id;				/* APIC id, the vCPU's arch_id */
	u64 base_msr;			/* IA32_APIC_BASE */
	u32 reg[64];			/* by offset >> 4; not IRR/ISR/TMR */
	DECLARE_BITMAP(irr, 256);
	DECLARE_BITMAP(isr, 256);
	DECLARE_BITMAP(tmr, 256);

	struct hrtimer timer;
	ktime_t timer_start;		/* one-shot/periodic: last (re)load */
	u64 period_ns;			/* 0: the count is not running */
	u64 tsc_deadline;		/* IA32_TSC_DEADLINE, 0: disarmed */

	int mp_state;			/* enum axvm_x86_mp_state */
	bool init_pending;
	int sipi_vector;		/* -1: none received */
	u32 esr_pending;		/* errors since the last ESR write */
};

struct axvm_ioapic {
	spinlock_t lock;		/* everything below; any context */
	u64 base;
	u32 nr_pins;
	u32 id;
	u32 sel;			/* IOREGSEL */
	u64 redir[AXVM_IOAPIC_MAX_PINS];
	DECLARE_BITMAP(level, AXVM_IOAPIC_MAX_PINS);	/* line state */
};

struct axvm_pic_one {
	u8 irr, isr, imr;
	u8 base;			/* vector of IRQ 0, from ICW2 */
	u8 init_step;			/* 0: ready, 1-3: waiting for ICW2-4 */
	bool icw4, single, auto_eoi, read_isr, special_mask, poll;
	bool rotate_aeoi;		/* OCW2 "rotate in AEOI mode" set */
	u8 lowest;			/* rotation: lowest priority IRQ */
	u8 elcr;			/* level-triggered inputs */
	u8 lines;			/* input line levels */
};

struct axvm_pic {
	spinlock_t lock;		/* both chips; any context */
	struct axvm_pic_one pic[2];	/* master, slave on IRQ 2 */
};

struct axvm_pit_channel {
	u16 reload;			/* 0 counts as 65536 */
	u8 mode;
	u8 access;			/* 1 low, 2 high, 3 low then high */
	bool bcd;
	bool write_high;		/* next write of access 3: high byte */
	bool read_high;
	bool latched;
	u16 latch;
	bool status_latched;
	u8 status;
	bool gate;
	bool loaded;			/* counting since start */
	ktime_t start;
};

struct axvm_pit {
	spinlock_t lock;		/* the channels; any context */
	struct axvm_pit_channel ch[3];
	bool speaker;			/* port 0x61 bit 1 */
	struct hrtimer timer;		/* channel 0 */
	u64 period_ns;			/* channel 0 periodic, 0: one-shot */
	struct axvm_vm *vm;
};

struct axvm_x86_chip {
	spinlock_t lock;		/* the APIC array */
	struct axvm_lapic *apic[AXVM_XAPIC_MAX_ID + 1];
	struct axvm_ioapic ioapic;
	struct axvm_pic pic;
	struct axvm_pit pit;
	bool has_bsp;			/* the first vCPU became the BSP */
};

struct axvm_x86_chip *axvm_x86_chip(struct axvm_vm *vm);

/* irqchip.c: routing between the pieces. */
bool axvm_x86_chip_deliver(struct axvm_x86_chip *chip, u32 dest,
			   bool logical, u32 mode, u8 vector, bool level);
void axvm_x86_chip_kick(struct axvm_x86_vcpu *x);
void axvm_x86_chip_pic_changed(struct axvm_x86_chip *chip);

/* lapic.c */
int axvm_lapic_create(struct axvm_x86_vcpu *x, bool bsp);
void axvm_lapic_destroy(struct axvm_x86_vcpu *x);
bool axvm_lapic_match(struct axvm_lapic *a, u32 dest, bool logical);
bool axvm_lapic_accept(struct axvm_lapic *a, u32 mode, u8 vector,
		       bool level);
int axvm_lapic_mmio(struct axvm_x86_vcpu *x, u64 off, unsigned int len,
		    bool write, u64 *val);
int axvm_lapic_pop(struct axvm_x86_vcpu *x, bool open);
bool axvm_lapic_has_irq(struct axvm_x86_vcpu *x);
bool axvm_lapic_extint(struct axvm_lapic *a);
int axvm_lapic_rdmsr(struct axvm_x86_vcpu *x, u32 msr, u64 *val);
int axvm_lapic_wrmsr(struct axvm_x86_vcpu *x, u32 msr, u64 val);
void axvm_lapic_tsc_moved(struct axvm_x86_vcpu *x);
int axvm_lapic_pre_run(struct axvm_x86_vcpu *x);
void axvm_lapic_halt(struct axvm_x86_vcpu *x);
void axvm_lapic_regs_set(struct axvm_x86_vcpu *x);
bool axvm_lapic_enabled(struct axvm_lapic *a);
int axvm_lapic_arb_priority(struct axvm_lapic *a);
void axvm_lapic_lint1(struct axvm_lapic *a);
u64 axvm_lapic_cr8(struct axvm_lapic *a);
void axvm_lapic_set_cr8(struct axvm_lapic *a, u64 cr8);
bool axvm_lapic_tpr_blocks(struct axvm_lapic *a);

/* ioapic.c */
void axvm_ioapic_init(struct axvm_ioapic *io, u64 base, u32 pins);
void axvm_ioapic_set_line(struct axvm_x86_chip *chip, u32 pin, bool level);
void axvm_ioapic_eoi(struct axvm_x86_chip *chip, u8 vector);
int axvm_ioapic_mmio(struct axvm_x86_chip *chip, u64 off, unsigned int len,
		     bool write, u64 *val);

/* pic.c */
void axvm_pic_init(struct axvm_pic *pic);
void axvm_pic_set_line(struct axvm_pic *pic, u32 irq, bool level);
bool axvm_pic_output(struct axvm_pic *pic);
int axvm_pic_ack(struct axvm_pic *pic);
bool axvm_pic_port(u16 port);
void axvm_pic_io(struct axvm_pic *pic, u16 port, bool in, u8 *val);

/* pit.c */
void axvm_pit_init(struct axvm_pit *pit, struct axvm_vm *vm);
void axvm_pit_destroy(struct axvm_pit *pit);
bool axvm_pit_port(u16 port);
void axvm_pit_io(struct axvm_pit *pit, u16 port, bool in, u8 *val);

/* For emulate.c: 0 and *val when the chip took the access. */
int axvm_x86_chip_mmio(struct axvm_x86_vcpu *x, u64 gpa, unsigned int len,
		       bool write, u64 *val);
int axvm_x86_chip_io(struct axvm_x86_vcpu *x, u16 port, unsigned int len,
		     bool in, u64 *val);

#endif /* AXVM_X86_IRQCHIP_H */
