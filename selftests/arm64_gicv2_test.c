// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel GICv2 (AXVM_IRQCHIP_GICV2) of a host whose GIC is a GICv2
 * with the virtualization extensions: the checks of its ioctls, and
 * guests that program its distributor and their CPU interface (the
 * host's GICV frame, mapped by stage 2) the way Linux's irq-gic driver
 * does, then take a level SPI, SGIs with their source CPU, more edge SPIs
 * than list registers, and the virtual timer. The rules quoted are the
 * GICv2 architecture specification's (IHI 0048B).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>

#include "axvm_util.h"
#include "test_vm.h"
#include "aarch64_gic.h"
#include "axvm_harness.h"

#define GICD		TEST_GICD_GPA
#define GICC		TEST_GICC_GPA

#define GICD_CTLR	0x000
#define GICD_TYPER	0x004
#define GICD_IGROUPR	0x080
#define GICD_ISENABLER	0x100
#define GICD_ISPENDR	0x200
#define GICD_IPRIORITYR	0x400
#define GICD_ITARGETSR	0x800
#define GICD_ICFGR	0xc00
#define GICD_SGIR	0xf00
#define GICD_SPENDSGIR	0xf20
#define GICD_PIDR2	0xfe8

#define GICC_CTLR	0x00
#define GICC_PMR	0x04
#define GICC_IAR	0x0c
#define GICC_EOIR	0x10

#define SPI_LINE	5
#define SPI_INTID	(32 + SPI_LINE)
#define SGI_INTID	3
#define VTIMER_PPI	27
/* The registers, at guest physical addresses the guest maps 1:1. */
#define GICD_R(off)	((volatile void *)(GICD + (off)))
#define GICC_R(off)	((volatile void *)(GICC + (off)))
#define IAR_ID(iar)	((iar) & 0x3ff)
#define IAR_CPU(iar)	(((iar) >> 10) & 7)

FIXTURE(gicv2) {
	struct test_vm *vm;
};

FIXTURE_SETUP(gicv2)
{
	int sys = axvm_open();

	ASSERT_GE(sys, 0);
	if (!(axvm_cap(sys, AXVM_CAP_IRQCHIP) & (1 << AXVM_IRQCHIP_GICV2)) ||
	    !TEST_HAVE_GUEST_LIB) {
		close(sys);
		SKIP(return, "no in-kernel GICv2 on this lane (the host's GIC is no GICv2)");
	}
	close(sys);
	test_pin_self(0);
	self->vm = test_vm_create();
	ASSERT_NE(NULL, self->vm) TH_LOG("test_vm_create: %s", strerror(errno));
}

FIXTURE_TEARDOWN(gicv2)
{
	if (self->vm)
		test_vm_free(self->vm);
}

static int create_chip(struct test_vm *vm, struct axvm_irqchip c)
{
	return ioctl(vm->fd, AXVM_CREATE_IRQCHIP, &c) ? errno : 0;
}

/*
 * AXVM_CREATE_IRQCHIP's checks (api.rst): the distributor 4 or 64 KiB,
 * aligned to its size; the CPU interface 8 KiB (the GICV frame),
 * page-aligned; no overlap; SPIs below INTID 1020. No GICv3 on a GICv2
 * host, and no interrupt injection without the GICv2: the guest would
 * have no CPU interface to take it.
 */
TEST_F(gicv2, create_checks_every_argument)
{
	struct axvm_irq irq = { .irq = 40, .flags = AXVM_IRQ_LEVEL_HIGH };
	struct axvm_vcpu_create cv = { .id = 0 };
	struct axvm_irqchip c;
	int vcpu;

	if (!self->vm)
		return;
	c = test_gicv2_chip();
	c.size[0] = 0x2000;
	EXPECT_EQ(EINVAL, create_chip(self->vm, c));
	c = test_gicv2_chip();
	c.base[0] = GICD + 0x1000;			/* 64 KiB, not aligned */
	EXPECT_EQ(EINVAL, create_chip(self->vm, c));
	c = test_gicv2_chip();
	c.size[1] = 0x1000;
	EXPECT_EQ(EINVAL, create_chip(self->vm, c));
	c = test_gicv2_chip();
	c.base[1] = GICC + 0x800;
	EXPECT_EQ(EINVAL, create_chip(self->vm, c));
	c = test_gicv2_chip();
	c.base[1] = GICD + 0x2000;			/* inside the GICD */
	EXPECT_EQ(EINVAL, create_chip(self->vm, c));
	c = test_gicv2_chip();
	c.nr_irqs = 1020 - 32 + 1;
	EXPECT_EQ(EINVAL, create_chip(self->vm, c));
	c = test_gicv2_chip();
	c.type = AXVM_IRQCHIP_GICV3;			/* not on this host */
	EXPECT_EQ(ENODEV, create_chip(self->vm, c));

	vcpu = ioctl(self->vm->fd, AXVM_CREATE_VCPU, &cv);
	ASSERT_LE(0, vcpu);
	EXPECT_EQ(-1, ioctl(vcpu, AXVM_INJECT_IRQ, &irq));
	EXPECT_EQ(ENODEV, errno);
	close(vcpu);
}

/* A GICv2 supports 8 CPU interfaces: vCPU ids 0 to 7 (4.3.2). */
TEST_F(gicv2, vcpu_ids_beyond_eight_refused)
{
	struct axvm_vcpu_create cv = { .id = 0 };
	int fd;

	if (!self->vm)
		return;
	ASSERT_EQ(0, create_chip(self->vm, test_gicv2_chip()));
	cv.id = 8;
	fd = ioctl(self->vm->fd, AXVM_CREATE_VCPU, &cv);
	EXPECT_EQ(-1, fd);
	EXPECT_EQ(EINVAL, errno);
	cv.id = 7;
	cv.arch_id = 7;
	fd = ioctl(self->vm->fd, AXVM_CREATE_VCPU, &cv);
	EXPECT_LE(0, fd);
	if (fd >= 0)
		close(fd);
}

/* ------------------------------------------------------------------ */

static volatile uint64_t irq_seen, irq_src, irq_count;
/* The vCPUs the test created, ids 0 to nr_vcpus - 1. */
static uint64_t nr_vcpus = 1;

/*
 * What irq-gic.c does at boot (gic_dist_init, gic_cpu_init): the
 * distributor on the first CPU, then each CPU's interface, whose
 * banked ITARGETSR0-7 name that CPU alone (4.3.12).
 */
GUEST_CODE static void gic_init_cpu(unsigned int cpu)
{
	if (!cpu) {
		/*
		 * ArchRev 2; ITLinesNumber covers 32 + 64 INTIDs;
		 * CPUNumber is the number of CPU interfaces less one.
		 */
		GUEST_ASSERT_EQ(readl(GICD_R(GICD_PIDR2)) & 0xf0, 0x20);
		GUEST_ASSERT_EQ(readl(GICD_R(GICD_TYPER)) & 0x1f, 2);
		GUEST_ASSERT_EQ(readl(GICD_R(GICD_TYPER)) >> 5 & 7,
				nr_vcpus - 1);
		writel(1, GICD_R(GICD_CTLR));
		GUEST_ASSERT_EQ(readl(GICD_R(GICD_CTLR)), 1);
	}
	GUEST_ASSERT_EQ(readl(GICD_R(GICD_ITARGETSR)), 0x01010101U << cpu);
	/* No Security Extensions here: every interrupt group 0, RAZ/WI. */
	writel(~0U, GICD_R(GICD_IGROUPR));
	GUEST_ASSERT_EQ(readl(GICD_R(GICD_IGROUPR)), 0);
	writel(1U << SGI_INTID, GICD_R(GICD_ISENABLER));
	writel(0xf0, GICC_R(GICC_PMR));
	GUEST_ASSERT_EQ(readl(GICC_R(GICC_PMR)), 0xf0);
	writel(1, GICC_R(GICC_CTLR));
	GUEST_ASSERT_EQ(readl(GICC_R(GICC_CTLR)) & 1, 1);
}

GUEST_CODE static void guest_gic_irq(struct ex_regs *regs)
{
	uint32_t iar = readl(GICC_R(GICC_IAR));

	irq_seen = IAR_ID(iar);
	irq_src = IAR_CPU(iar);
	irq_count++;
	writel(iar, GICC_R(GICC_EOIR));
}

/* The SPI's handler tells the host each time, inside the handler. */
GUEST_CODE static void guest_spi_irq(struct ex_regs *regs)
{
	uint32_t iar = readl(GICC_R(GICC_IAR));

	irq_seen = IAR_ID(iar);
	irq_count++;
	GUEST_SYNC(irq_seen);
	writel(iar, GICC_R(GICC_EOIR));
}

GUEST_CODE static void guest_spi(void)
{
	uint32_t bit = 1U << (SPI_INTID % 32);
	unsigned int i;

	gic_init_cpu(0);
	/* Level, to CPU 0, priority 0x80. */
	writel(0, GICD_R(GICD_ICFGR + SPI_INTID / 16 * 4));
	writeb(1, GICD_R(GICD_ITARGETSR + SPI_INTID));
	GUEST_ASSERT_EQ(readb(GICD_R(GICD_ITARGETSR + SPI_INTID)), 1);
	writeb(0x80, GICD_R(GICD_IPRIORITYR + SPI_INTID));
	GUEST_SYNC(0);			/* the host raises the line */
	GUEST_ASSERT(readl(GICD_R(GICD_ISPENDR + SPI_INTID / 32 * 4)) & bit,
		     SPI_INTID, 0);
	local_irq_enable();
	for (i = 0; i < 1000 && !irq_count; i++)
		;
	GUEST_ASSERT_EQ(irq_count, 0);	/* disabled: nothing yet */
	writel(bit, GICD_R(GICD_ISENABLER + SPI_INTID / 32 * 4));
	/* Taken, then again after the EOI while the line is high. */
	while (irq_count < 2)
		;
	/* The host lowered it before the second EOI: no third. */
	for (i = 0; i < 100000; i++)
		;
	GUEST_ASSERT_EQ(irq_count, 2);
	GUEST_ASSERT_EQ(readl(GICD_R(GICD_ISPENDR + SPI_INTID / 32 * 4)) &
			bit, 0);
}

/*
 * A level SPI raised with AXVM_IRQ_LINE: pending at the distributor
 * while disabled, taken once enabled through GICC_IAR and GICC_EOIR,
 * and taken again while still high after its EOI (level semantics,
 * 3.2.4) with no exit of the guest's own (it spins); not again once
 * lowered.
 */
TEST_F(gicv2, level_spi_from_irq_line)
{
	struct axvm_irq_line line = { .irq = SPI_LINE, .level = 1 };
	struct test_vcpu *v;
	struct ucall uc;

	if (!self->vm)
		return;
	ASSERT_EQ(0, create_chip(self->vm, test_gicv2_chip()));
	test_vm_set_irq_handler(self->vm, guest_spi_irq);
	v = test_vcpu_add_default(self->vm, 0, guest_spi, 0);
	ASSERT_NE(NULL, v);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(0, uc.args[0]);
	ASSERT_EQ(0, ioctl(self->vm->fd, AXVM_IRQ_LINE, &line));
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(SPI_INTID, uc.args[0]);
	/* Still high at the EOI: delivered again. */
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(SPI_INTID, uc.args[0]);
	line.level = 0;
	ASSERT_EQ(0, ioctl(self->vm->fd, AXVM_IRQ_LINE, &line));
	TEST_RUN_UCALL(v, &uc, UCALL_DONE);
}

/* ------------------------------------------------------------------ */

#define NR_BURST	12

static volatile uint64_t burst_mask;

GUEST_CODE static void guest_burst(void)
{
	unsigned int i, empty = 0;
	uint32_t iar;

	gic_init_cpu(0);
	for (i = 0; i < NR_BURST; i++) {
		uint32_t id = SPI_INTID + i;

		/* Edge (ICFGR bit 1), to CPU 0. */
		writel(readl(GICD_R(GICD_ICFGR + id / 16 * 4)) |
			 2U << (id % 16 * 2), GICD_R(GICD_ICFGR + id / 16 * 4));
		writeb(1, GICD_R(GICD_ITARGETSR + id));
		writel(1U << (id % 32), GICD_R(GICD_ISENABLER + id / 32 * 4));
	}
	GUEST_SYNC(0);			/* the host pulses every line */
	/* Acknowledged by polling GICC_IAR with IRQs masked. */
	while (burst_mask != (1ULL << NR_BURST) - 1) {
		iar = readl(GICC_R(GICC_IAR));
		if (IAR_ID(iar) == 1023) {
			GUEST_ASSERT(++empty < 1000000, burst_mask);
			continue;
		}
		burst_mask |= 1ULL << (IAR_ID(iar) - SPI_INTID);
		writel(iar, GICC_R(GICC_EOIR));
	}
	GUEST_SYNC(empty);
}

/*
 * Three times as many edge SPIs as QEMU's four list registers: every one
 * is acknowledged, the underflow maintenance interrupt bringing the rest
 * in as list registers empty.
 */
TEST_F(gicv2, burst_beyond_list_registers)
{
	struct axvm_irq_line line = { 0 };
	struct test_vcpu *v;
	struct ucall uc;
	unsigned int i;

	if (!self->vm)
		return;
	ASSERT_EQ(0, create_chip(self->vm, test_gicv2_chip()));
	v = test_vcpu_add_default(self->vm, 0, guest_burst, 0);
	ASSERT_NE(NULL, v);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	for (i = 0; i < NR_BURST; i++) {
		line.irq = SPI_LINE + i;
		line.level = 1;
		ASSERT_EQ(0, ioctl(self->vm->fd, AXVM_IRQ_LINE, &line));
		line.level = 0;
		ASSERT_EQ(0, ioctl(self->vm->fd, AXVM_IRQ_LINE, &line));
	}
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	TH_LOG("%llu empty GICC_IAR reads", (unsigned long long)uc.args[0]);
}

/* ------------------------------------------------------------------ */

/* The virtual timer's PPI (INTID 27), level, as Linux's arch timer uses it. */
GUEST_CODE static void guest_timer_irq(struct ex_regs *regs)
{
	uint32_t iar = readl(GICC_R(GICC_IAR));

	irq_seen = IAR_ID(iar);
	irq_count++;
	if (IAR_ID(iar) == VTIMER_PPI) {
		write_sysreg(3, cntv_ctl_el0);		/* masked */
		isb();
	}
	writel(iar, GICC_R(GICC_EOIR));
}

GUEST_CODE static void guest_vtimer(uint64_t ticks)
{
	uint64_t t;

	gic_init_cpu(0);
	writel(1U << VTIMER_PPI, GICD_R(GICD_ISENABLER));
	local_irq_enable();
	t = read_sysreg(cntvct_el0) + ticks;
	write_sysreg(t, cntv_cval_el0);
	write_sysreg(1, cntv_ctl_el0);
	isb();
	while (!irq_count)
		wfi();
	GUEST_ASSERT_EQ(irq_seen, VTIMER_PPI);
	GUEST_ASSERT(read_sysreg(cntvct_el0) >= t);
	GUEST_SYNC(irq_count);
}

/* The virtual timer's interrupt comes through the GICv2, not before CVAL. */
TEST_F(gicv2, vtimer_through_the_gicv2)
{
	struct test_vcpu *v;
	struct ucall uc;
	uint64_t freq;

	if (!self->vm)
		return;
	asm volatile("mrs %0, cntfrq_el0" : "=r" (freq));
	ASSERT_EQ(0, create_chip(self->vm, test_gicv2_chip()));
	test_vm_set_irq_handler(self->vm, guest_timer_irq);
	v = test_vcpu_add_default(self->vm, 0, guest_vtimer, 1, freq / 100);
	ASSERT_NE(NULL, v);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(1, uc.args[0]);
}

/* ------------------------------------------------------------------ */

static volatile uint64_t receiver_ready;

GUEST_CODE static void guest_sgi_receiver(void)
{
	gic_init_cpu(0);
	local_irq_enable();
	receiver_ready = 1;
	while (!irq_count)
		wfi();
	GUEST_SYNC(irq_seen, irq_src);
}

GUEST_CODE static void guest_sgi_sender(void)
{
	while (!receiver_ready)
		;
	gic_init_cpu(1);
	/* TargetListFilter 0, CPUTargetList CPU 0 (4.3.15). */
	writel(1U << 16 | SGI_INTID, GICD_R(GICD_SGIR));
	/* Filter 2, "this CPU only": pending here, from CPU 1 (4.3.17). */
	writel(2U << 24 | SGI_INTID, GICD_R(GICD_SGIR));
	GUEST_ASSERT_EQ(readb(GICD_R(GICD_SPENDSGIR + SGI_INTID)), 2);
	local_irq_enable();
	while (!irq_count)
		wfi();
	GUEST_SYNC(irq_seen, irq_src);
}

struct receiver {
	struct test_vcpu *v;
	int cmd;
	uint64_t intid, src;
};

static void *receiver_thread(void *p)
{
	struct receiver *r = p;
	struct ucall uc;

	r->cmd = test_vcpu_run_ucall(r->v, &uc);
	r->intid = uc.args[0];
	r->src = uc.args[1];
	return NULL;
}

/*
 * GICD_SGIR from CPU 1 to CPU 0 (target list) and to itself (filter
 * 2): each CPU's GICC_IAR gives the SGI with the sender's CPU id in
 * bits 12:10 (4.4.4), and GICD_SPENDSGIR the pending source's bit.
 */
TEST_F(gicv2, sgi_carries_its_source_cpu)
{
	uint64_t mask0[AXVM_AFFINITY_WORDS], mask1[AXVM_AFFINITY_WORDS];
	struct test_vcpu *v0, *v1;
	struct receiver r = { 0 };
	struct ucall uc;
	pthread_t th;

	if (!self->vm)
		return;
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "needs 2 CPUs");
	ASSERT_EQ(0, create_chip(self->vm, test_gicv2_chip()));
	test_vm_set_irq_handler(self->vm, guest_gic_irq);
	test_affinity_of(mask0, 0);
	test_affinity_of(mask1, 1);
	v0 = test_vcpu_add(self->vm, 0, 0, mask0, guest_sgi_receiver, 0);
	v1 = test_vcpu_add(self->vm, 1, 1, mask1, guest_sgi_sender, 0);
	ASSERT_NE(NULL, v0);
	ASSERT_NE(NULL, v1);
	nr_vcpus = 2;
	sync_global_to_guest(self->vm, nr_vcpus);
	r.v = v0;
	ASSERT_EQ(0, pthread_create(&th, NULL, receiver_thread, &r));
	TEST_RUN_UCALL(v1, &uc, UCALL_SYNC);
	pthread_join(th, NULL);
	EXPECT_EQ(UCALL_SYNC, r.cmd);
	EXPECT_EQ(SGI_INTID, r.intid);
	EXPECT_EQ(1, r.src);			/* from CPU 1 */
	EXPECT_EQ(SGI_INTID, uc.args[0]);
	EXPECT_EQ(1, uc.args[1]);
}

TEST_HARNESS_MAIN
