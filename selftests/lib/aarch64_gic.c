// SPDX-License-Identifier: GPL-2.0
/*
 * Selftest library, arm64: interrupts on whichever GIC the host has
 * (aarch64_gic.h). The register offsets are the GICv2 architecture
 * specification's (IHI 0048B, 4.1.2 and 4.1.3), the system registers
 * the GICv3 one's (IHI 0069, 12.2).
 */
#include <errno.h>
#include <sys/ioctl.h>

#include "aarch64_gic.h"

uint64_t test_gic_mode;

struct axvm_irqchip test_gicv2_chip(void)
{
	struct axvm_irqchip c = {
		.type = AXVM_IRQCHIP_GICV2,
		.nr_irqs = TEST_GIC_NR_SPIS,
		.base = { TEST_GICD_GPA, TEST_GICC_GPA },
		.size = { TEST_GICD_SIZE, TEST_GICC_SIZE },
	};

	return c;
}

#ifdef __aarch64__

#define GICD_CTLR		0x000
#define GICD_ISENABLER		0x100
#define GICD_ITARGETSR		0x800
#define GICC_CTLR		0x00
#define GICC_PMR		0x04
#define GICC_IAR		0x0c
#define GICC_EOIR		0x10

#define ICC_PMR_EL1		s3_0_c4_c6_0
#define ICC_IAR1_EL1		s3_0_c12_c12_0
#define ICC_EOIR1_EL1		s3_0_c12_c12_1
#define ICC_IGRPEN1_EL1		s3_0_c12_c12_7

#define GICD(off)		((volatile void *)(TEST_GICD_GPA + (off)))
#define GICC(off)		((volatile void *)(TEST_GICC_GPA + (off)))

int test_gic_setup(struct test_vm *vm)
{
	int caps = ioctl(vm->sys_fd, AXVM_CHECK_CAP, AXVM_CAP_IRQCHIP);
	struct axvm_irqchip c = test_gicv2_chip();

	if (caps < 0)
		return -errno;
	if (caps & (1 << AXVM_IRQCHIP_GICV3)) {
		test_gic_mode = TEST_GIC_LR;
	} else if (caps & (1 << AXVM_IRQCHIP_GICV2)) {
		if (ioctl(vm->fd, AXVM_CREATE_IRQCHIP, &c))
			return -errno;
		test_gic_mode = TEST_GIC_V2;
	} else {
		errno = ENODEV;
		return -ENODEV;
	}
	sync_global_to_guest(vm, test_gic_mode);
	return test_gic_mode;
}

int test_gic_set_irq(struct test_vcpu *vcpu, uint32_t intid, bool level)
{
	struct axvm_irq irq = {
		.irq = intid, .flags = level ? AXVM_IRQ_LEVEL_HIGH : 0,
	};
	struct axvm_irq_line line = { .irq = intid - 32, .level = level };

	switch (test_gic_mode) {
	case TEST_GIC_LR:
		return ioctl(vcpu->fd, AXVM_INJECT_IRQ, &irq) ? -errno : 0;
	case TEST_GIC_V2:
		if (intid < 32) {
			errno = EINVAL;
			return -EINVAL;
		}
		return ioctl(vcpu->vm->fd, AXVM_IRQ_LINE, &line) ? -errno : 0;
	}
	errno = ENODEV;
	return -ENODEV;
}

GUEST_CODE void guest_gic_init(void)
{
	if (test_gic_mode == TEST_GIC_V2) {
		writel(1, GICD(GICD_CTLR));
		writel(0xff, GICC(GICC_PMR));
		writel(1, GICC(GICC_CTLR));
	} else {
		write_sysreg(0xff, ICC_PMR_EL1);
		write_sysreg(1, ICC_IGRPEN1_EL1);
		isb();
	}
}

GUEST_CODE void guest_gic_enable(uint32_t intid)
{
	if (test_gic_mode != TEST_GIC_V2)
		return;
	/* The banked ITARGETSR0-7 read as this CPU's own bit (4.3.12). */
	if (intid >= 32)
		writeb(readb(GICD(GICD_ITARGETSR)), GICD(GICD_ITARGETSR + intid));
	writel(1U << (intid % 32), GICD(GICD_ISENABLER + intid / 32 * 4));
}

GUEST_CODE uint32_t guest_gic_ack(void)
{
	if (test_gic_mode == TEST_GIC_V2)
		return readl(GICC(GICC_IAR));
	return read_sysreg(ICC_IAR1_EL1);
}

GUEST_CODE void guest_gic_eoi(uint32_t iar)
{
	if (test_gic_mode == TEST_GIC_V2) {
		writel(iar, GICC(GICC_EOIR));
	} else {
		write_sysreg((uint64_t)iar, ICC_EOIR1_EL1);
		isb();
	}
}

#endif /* __aarch64__ */
