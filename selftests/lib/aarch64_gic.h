/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A guest's interrupts on whichever GIC the host has, for tests whose
 * subject is not the GIC itself (the timers, the fuzzers, the world
 * switch): the host side picks the mode, guest code takes interrupts
 * through the one API below.
 *
 *  TEST_GIC_LR   GICv3 host, no in-kernel irqchip: AXVM_INJECT_IRQ puts
 *                lines in the list registers; the guest uses the GICv3
 *                CPU interface's system registers (ICC_*_EL1), group 1.
 *  TEST_GIC_V2   GICv2 host: the in-kernel GICv2 (AXVM_IRQCHIP_GICV2),
 *                its distributor at TEST_GICD_GPA and CPU interface at
 *                TEST_GICC_GPA; SPIs are AXVM_IRQ_LINE lines. Such a host
 *                has no irqchip-less injection (INJECT_IRQ is ENODEV).
 *
 * The tests of the GICs' own registers are arm64_gic_test.c and
 * arm64_gicv2_test.c.
 */
#ifndef AXVM_SELFTEST_AARCH64_GIC_H
#define AXVM_SELFTEST_AARCH64_GIC_H

#include <stdbool.h>
#include <stdint.h>

#include "test_vm.h"

enum test_gic_mode {
	TEST_GIC_NONE,
	TEST_GIC_LR,
	TEST_GIC_V2,
};

#define TEST_GICD_GPA		0x08000000ULL
#define TEST_GICD_SIZE		0x10000ULL
#define TEST_GICC_GPA		0x08010000ULL	/* the GICv2's GICC */
#define TEST_GICC_SIZE		0x2000ULL
#define TEST_GIC_NR_SPIS	64

/* The INTID in an IAR value; 1020-1023 are the special ones. */
#define TEST_GIC_INTID(iar)	((iar) & 0x3ff)
#define TEST_GIC_SPURIOUS	1023

/* The GICv2 irqchip at the layout above, with TEST_GIC_NR_SPIS lines. */
struct axvm_irqchip test_gicv2_chip(void);

/* What the guest code below does; set by test_gic_setup(). */
extern uint64_t test_gic_mode;

/*
 * Host: choose the mode for @vm from its host's GIC, and on a GICv2 host
 * create the GICv2 irqchip. Before the first vCPU. Returns the mode, or
 * -errno (-ENODEV: the host has no GIC a guest can take interrupts from).
 */
int test_gic_setup(struct test_vm *vm);

/*
 * Host: raise (@level true) or lower INTID @intid of @vcpu: a list
 * register line, or the GICv2's SPI line @intid - 32 (not an SGI or
 * PPI). 0 or -errno.
 */
int test_gic_set_irq(struct test_vcpu *vcpu, uint32_t intid, bool level);

/*
 * Guest: the CPU interface of the calling vCPU on, priority mask open,
 * and on a GICv2 the distributor on (as Linux's irq-gic does on each CPU).
 */
void guest_gic_init(void);

/*
 * Guest: let @intid through to this vCPU: its enable bit, and for an SPI
 * this CPU as its target. Nothing to do in TEST_GIC_LR mode, where the
 * list registers carry what the host raised.
 */
void guest_gic_enable(uint32_t intid);

/* Guest: acknowledge the highest pending interrupt; the raw IAR value. */
uint32_t guest_gic_ack(void);

/* Guest: end the interrupt @iar that guest_gic_ack() returned. */
void guest_gic_eoi(uint32_t iar);

#endif /* AXVM_SELFTEST_AARCH64_GIC_H */
