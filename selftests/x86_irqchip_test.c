// SPDX-License-Identifier: GPL-2.0
/*
 * The x86 in-kernel irqchip (AXVM_IRQCHIP_X86), SVM and VMX alike: the
 * ioctls' argument checks, then C guests in long mode that use the local
 * APIC (timer one-shot, periodic and TSC-deadline, EOI, IPIs, INIT/SIPI),
 * the I/O APIC (level and edge lines from AXVM_IRQ_LINE) and MSIs.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/mman.h>

#include "axvm_util.h"
#include "test_vm.h"
#include "axvm_harness.h"

#define IOAPIC_GPA	0xfec00000ULL
#define NR_GSIS		24
#define APIC		0xfee00000UL
#define APIC_ID		0x20
#define APIC_LVR	0x30
#define APIC_TPR	0x80
#define APIC_EOI	0xb0
#define APIC_LDR	0xd0
#define APIC_DFR	0xe0
#define APIC_SVR	0xf0
#define APIC_ISR	0x100
#define APIC_IRR	0x200
#define APIC_ICR	0x300
#define APIC_ICR2	0x310
#define APIC_LVTT	0x320
#define APIC_TMICT	0x380
#define APIC_TMCCT	0x390
#define APIC_TDCR	0x3e0
#define LVT_MASKED	(1u << 16)
#define LVT_PERIODIC	(1u << 17)
#define LVT_DEADLINE	(2u << 17)
#define ICR_INIT	0x4500
#define ICR_SIPI	0x4600
#define MSR_APIC_BASE	0x1b
#define MSR_TSC_DEADLINE	0x6e0
#define IOREGSEL	0x00
#define IOWIN		0x10
#define REDIR_LEVEL	(1u << 15)
#define REDIR_MASKED	(1u << 16)
#define REDIR_REMOTE_IRR	(1u << 14)

#define APIC_LVT0	0x350
#define APIC_LVT1	0x360
#define LVT_EXTINT	0x700
#define LVT_NMI		0x400
#define ICR_NMI		0x400		/* delivery mode NMI */
#define APIC_ESR	0x280
#define APIC_LVTERR	0x370
#define ESR_SENDILL	0x20
#define ESR_RECVILL	0x40
#define ESR_ILLREGA	0x80
#define APIC_BASE_BSP	(1ULL << 8)
#define APIC_BASE_EN	(1ULL << 11)
#define ICR_SELF	0x40000		/* destination shorthand Self */
#define PIC_BASE	0x30		/* master IRQ 0-7: 0x30-0x37 */
#define PIT_1MS		1193		/* 1.193182 MHz */

#define SIPI_VECTOR	0x09		/* the AP starts at 0x9000 */
#define MSR_PV_SYSTEM_TIME	0x4b564d01	/* KVM's kvmclock record */
#define PV_RECORD	0x8000		/* the AP's, in low RAM */
#define LOW_RAM_SLOT	2

static int create_chip(int vm_fd, uint32_t nr, uint64_t base, uint64_t size)
{
	struct axvm_irqchip c = {
		.type = AXVM_IRQCHIP_X86, .nr_irqs = nr,
		.base = { base }, .size = { size },
	};

	return ioctl(vm_fd, AXVM_CREATE_IRQCHIP, &c);
}

static int irq_line(int vm_fd, uint32_t irq, uint32_t level)
{
	struct axvm_irq_line l = { .irq = irq, .level = level };

	return ioctl(vm_fd, AXVM_IRQ_LINE, &l);
}

static int signal_msi(int vm_fd, uint64_t address, uint32_t data,
		      uint32_t flags)
{
	struct axvm_msi m = { .address = address, .data = data,
			      .flags = flags };

	return ioctl(vm_fd, AXVM_SIGNAL_MSI, &m);
}

static int create_vcpu(int vm_fd, uint32_t id, uint64_t arch_id)
{
	struct axvm_vcpu_create c = { .id = id, .arch_id = arch_id };

	return ioctl(vm_fd, AXVM_CREATE_VCPU, &c);
}

static int has_chip(void)
{
	int sys = axvm_open(), caps;

	if (sys < 0)
		return 0;
	caps = axvm_cap(sys, AXVM_CAP_IRQCHIP);
	close(sys);
	return caps > 0 && (caps & (1 << AXVM_IRQCHIP_X86));
}

#define ERRNO_OF(call)	((call) ? errno : 0)

/* Every argument of the three VM ioctls, and the errno each bad one gets. */
TEST(argument_checks)
{
	struct axvm_irqchip c = { .type = AXVM_IRQCHIP_X86, .nr_irqs = 24,
				  .base = { IOAPIC_GPA }, .size = { 0x1000 } };
	struct axvm_irq irq = { 0x40, AXVM_IRQ_LEVEL_HIGH };
	int sys, vm, vm2, vcpu;

	if (!has_chip())
		SKIP(return, "no AXVM_IRQCHIP_X86 on this lane");
	sys = axvm_open();
	ASSERT_GE(sys, 0);
	vm = ioctl(sys, AXVM_CREATE_VM, 0);
	ASSERT_GE(vm, 0);

	/* No chip yet: lines and MSIs have nowhere to go. */
	EXPECT_EQ(ENXIO, ERRNO_OF(irq_line(vm, 0, 1)));
	EXPECT_EQ(ENXIO, ERRNO_OF(signal_msi(vm, 0xfee00000, 0x40, 0)));

	EXPECT_EQ(EINVAL, ERRNO_OF(create_chip(vm, 0, IOAPIC_GPA, 0x1000)));
	EXPECT_EQ(EINVAL, ERRNO_OF(create_chip(vm, 121, IOAPIC_GPA, 0x1000)));
	EXPECT_EQ(EINVAL, ERRNO_OF(create_chip(vm, 24, 0, 0x1000)));
	EXPECT_EQ(EINVAL, ERRNO_OF(create_chip(vm, 24, IOAPIC_GPA + 0x10,
					       0x1000)));
	EXPECT_EQ(EINVAL, ERRNO_OF(create_chip(vm, 24, IOAPIC_GPA, 0x2000)));
	EXPECT_EQ(EINVAL, ERRNO_OF(create_chip(vm, 24, 0xfee00000, 0x1000)));
	EXPECT_EQ(EINVAL, ERRNO_OF(create_chip(vm, 24, 1ULL << 32, 0x1000)));
	c.base[1] = 0x1000;
	EXPECT_EQ(EINVAL, ERRNO_OF(ioctl(vm, AXVM_CREATE_IRQCHIP, &c)));
	c.base[1] = 0;
	c.reserved[0] = 1;
	EXPECT_EQ(EINVAL, ERRNO_OF(ioctl(vm, AXVM_CREATE_IRQCHIP, &c)));
	c.reserved[0] = 0;
	c.type = AXVM_IRQCHIP_GICV3;
	EXPECT_EQ(ENODEV, ERRNO_OF(ioctl(vm, AXVM_CREATE_IRQCHIP, &c)));
	c.type = AXVM_IRQCHIP_X86;
	EXPECT_EQ(EFAULT, ERRNO_OF(ioctl(vm, AXVM_CREATE_IRQCHIP, NULL)));

	ASSERT_EQ(0, ioctl(vm, AXVM_CREATE_IRQCHIP, &c));
	EXPECT_EQ(EEXIST, ERRNO_OF(ioctl(vm, AXVM_CREATE_IRQCHIP, &c)));

	EXPECT_EQ(0, irq_line(vm, 23, 1));
	EXPECT_EQ(0, irq_line(vm, 23, 0));
	EXPECT_EQ(EINVAL, ERRNO_OF(irq_line(vm, 24, 1)));
	EXPECT_EQ(EINVAL, ERRNO_OF(irq_line(vm, 0, 2)));
	EXPECT_EQ(EFAULT, ERRNO_OF(ioctl(vm, AXVM_IRQ_LINE, NULL)));

	EXPECT_EQ(0, signal_msi(vm, 0xfee00000, 0x40, 0));
	EXPECT_EQ(EINVAL, ERRNO_OF(signal_msi(vm, 0xfee00000, 0x40, 1)));
	EXPECT_EQ(EINVAL, ERRNO_OF(signal_msi(vm, 0xfed00000, 0x40, 0)));
	EXPECT_EQ(EINVAL, ERRNO_OF(signal_msi(vm, 0x1fee00000ULL, 0x40, 0)));
	EXPECT_EQ(EINVAL, ERRNO_OF(signal_msi(vm, 0xfee00000, 0x10040, 0)));
	EXPECT_EQ(EFAULT, ERRNO_OF(ioctl(vm, AXVM_SIGNAL_MSI, NULL)));

	/* vCPUs join the chip: xAPIC ids only, INJECT_IRQ is refused. */
	EXPECT_EQ(EINVAL, ERRNO_OF(create_vcpu(vm, 0, 255)));
	vcpu = create_vcpu(vm, 0, 0);
	ASSERT_GE(vcpu, 0);
	EXPECT_EQ(EBUSY, ERRNO_OF(ioctl(vcpu, AXVM_INJECT_IRQ, &irq)));
	close(vcpu);

	/* A VM with a vCPU already: too late for a chip. */
	vm2 = ioctl(sys, AXVM_CREATE_VM, 0);
	ASSERT_GE(vm2, 0);
	vcpu = create_vcpu(vm2, 0, 0);
	ASSERT_GE(vcpu, 0);
	EXPECT_EQ(EBUSY, ERRNO_OF(create_chip(vm2, 24, IOAPIC_GPA, 0x1000)));
	close(vcpu);
	close(vm2);
	close(vm);
	close(sys);
}

struct chip_race {
	int vm;
	volatile int ready, go;
	int chip_ret;		/* its errno, 0 on success */
	int vcpu_fd;
};

static void *race_chip(void *arg)
{
	struct chip_race *r = arg;

	r->ready = 1;
	while (!r->go)
		;
	r->chip_ret = ERRNO_OF(create_chip(r->vm, NR_GSIS, IOAPIC_GPA,
					   0x1000));
	return NULL;
}

/* Leaf 1 EDX bit 9 (APIC) of a vCPU's CPUID table: set only in a chip. */
static int vcpu_has_apic(int vcpu)
{
	static struct axvm_cpuid_entry e[256];
	struct axvm_cpuid t = { .nent = 256, .entries = (uintptr_t)e };
	uint32_t i;

	if (ioctl(vcpu, AXVM_GET_CPUID, &t))
		return -1;
	for (i = 0; i < t.nent; i++)
		if (e[i].function == 1)
			return !!(e[i].edx & (1u << 9));
	return -1;
}

/*
 * AXVM_CREATE_IRQCHIP racing the VM's first AXVM_CREATE_VCPU: the chip
 * fails with EBUSY, or the vCPU is one of the chip's (it has an APIC).
 */
TEST(chip_races_vcpu_creation)
{
	int sys, i, busy = 0, joined = 0;
	struct chip_race r;
	pthread_t t;

	if (!has_chip())
		SKIP(return, "no AXVM_IRQCHIP_X86 on this lane");
	sys = axvm_open();
	ASSERT_GE(sys, 0);
	for (i = 0; i < 300; i++) {
		r.vm = ioctl(sys, AXVM_CREATE_VM, 0);
		ASSERT_GE(r.vm, 0);
		r.ready = 0;
		r.go = 0;
		ASSERT_EQ(0, pthread_create(&t, NULL, race_chip, &r));
		/* Both threads running, then both go at once. */
		while (!r.ready)
			;
		r.go = 1;
		r.vcpu_fd = create_vcpu(r.vm, 0, 0);
		pthread_join(t, NULL);
		ASSERT_GE(r.vcpu_fd, 0);
		if (r.chip_ret) {
			EXPECT_EQ(EBUSY, r.chip_ret);
			EXPECT_EQ(0, vcpu_has_apic(r.vcpu_fd));
			busy++;
		} else {
			EXPECT_EQ(1, vcpu_has_apic(r.vcpu_fd))
				TH_LOG("round %d: a vCPU outside the chip", i);
			joined++;
		}
		close(r.vcpu_fd);
		close(r.vm);
	}
	TH_LOG("chip first %d times, vCPU first %d times", joined, busy);
	close(sys);
}

FIXTURE(apic) {
	struct test_vm *vm;
	long tick;		/* axvm_clock_slew()'s, to undo */
};

FIXTURE_SETUP(apic)
{
	self->vm = NULL;
	if (!has_chip() || !TEST_HAVE_GUEST_LIB)
		SKIP(return, "no AXVM_IRQCHIP_X86 guest on this lane");
	test_pin_self(0);
	self->vm = test_vm_create();
	ASSERT_NE(NULL, self->vm) TH_LOG("test_vm_create: %s", strerror(errno));
	ASSERT_EQ(0, create_chip(self->vm->fd, NR_GSIS, IOAPIC_GPA, 0x1000));
}

FIXTURE_TEARDOWN(apic)
{
	alarm(0);
	axvm_clock_unslew(self->tick);
	if (self->vm)
		test_vm_free(self->vm);
}

/* Per-vector interrupt counts the handler keeps; 0-255. */
static volatile uint64_t irq_count[256];
static volatile uint64_t last_vector;
static volatile uint64_t pin_to_mask;	/* non-zero: mask this pin at 3 */

GUEST_CODE static void apic_write(uint32_t reg, uint32_t v)
{
	writel(v, (volatile void *)(APIC + reg));
}

GUEST_CODE static uint32_t apic_read(uint32_t reg)
{
	return readl((volatile void *)(APIC + reg));
}

GUEST_CODE static void ioapic_write(uint32_t reg, uint32_t v)
{
	writel(reg, (volatile void *)(IOAPIC_GPA + IOREGSEL));
	writel(v, (volatile void *)(IOAPIC_GPA + IOWIN));
}

GUEST_CODE static uint32_t ioapic_read(uint32_t reg)
{
	writel(reg, (volatile void *)(IOAPIC_GPA + IOREGSEL));
	return readl((volatile void *)(IOAPIC_GPA + IOWIN));
}

GUEST_CODE static void on_irq(struct ex_regs *regs)
{
	irq_count[regs->vector]++;
	last_vector = regs->vector;
	/* A level line still high would come back at once: mask it. */
	if (pin_to_mask && irq_count[regs->vector] == 3)
		ioapic_write(0x10 + 2 * (pin_to_mask - 1),
			     regs->vector | REDIR_LEVEL | REDIR_MASKED);
	/* 8259 vectors (ExtINT) end at the 8259; the APIC has none in ISR. */
	if (regs->vector >= PIC_BASE && regs->vector < PIC_BASE + 16)
		outb(0x20, 0x20);
	else
		apic_write(APIC_EOI, 0);
}

GUEST_CODE static void apic_enable(void)
{
	apic_write(APIC_SVR, 0x1ff);
	apic_write(APIC_TPR, 0);
}

GUEST_CODE static void wait_irqs(uint8_t vector, uint64_t n)
{
	while (irq_count[vector] < n)
		safe_halt();
	local_irq_disable();
}

/* One-shot, then periodic: the counter runs down, the vector comes. */
GUEST_CODE static void guest_apic_timer(void)
{
	uint32_t a, b, c, d, cur;

	cpuid(1, 0, &a, &b, &c, &d);
	GUEST_ASSERT(d & (1u << 9));			/* APIC */
	GUEST_ASSERT(!(c & (1u << 21)));		/* no x2APIC */
	GUEST_ASSERT_EQ(b >> 24, apic_read(APIC_ID) >> 24);
	GUEST_ASSERT_EQ(rdmsr(MSR_APIC_BASE) & ~0xfffULL, APIC);
	GUEST_ASSERT(rdmsr(MSR_APIC_BASE) & (1 << 11));	/* enabled */
	GUEST_ASSERT(rdmsr(MSR_APIC_BASE) & (1 << 8));	/* the BSP */
	apic_enable();

	apic_write(APIC_TDCR, 0xb);			/* divide by 1 */
	apic_write(APIC_LVTT, 0x40);			/* one-shot */
	apic_write(APIC_TMICT, 20000000);		/* 20 ms at 1 GHz */
	cur = apic_read(APIC_TMCCT);
	GUEST_ASSERT(cur > 0 && cur <= 20000000);
	/*
	 * SDM 10.5.4.1: outside TSC-deadline mode IA32_TSC_DEADLINE "reads
	 * zero and writes are ignored": the one-shot count goes on.
	 */
	wrmsr(MSR_TSC_DEADLINE, rdtsc() + (1ULL << 50));
	GUEST_ASSERT_EQ(rdmsr(MSR_TSC_DEADLINE), 0);
	wait_irqs(0x40, 1);
	GUEST_ASSERT_EQ(apic_read(APIC_TMCCT), 0);
	/* EOI took it out of service. */
	GUEST_ASSERT_EQ(apic_read(APIC_ISR + 0x20), 0);
	GUEST_SYNC(irq_count[0x40], last_vector);

	apic_write(APIC_LVTT, 0x41 | LVT_PERIODIC);
	apic_write(APIC_TMICT, 1000000);		/* every 1 ms */
	wait_irqs(0x41, 3);
	GUEST_ASSERT(apic_read(APIC_TMCCT) > 0);	/* it goes on */
	apic_write(APIC_LVTT, 0x41 | LVT_MASKED);
	apic_write(APIC_TMICT, 0);
	GUEST_SYNC(irq_count[0x41] >= 3, irq_count[0x40]);
}

TEST_F(apic, timer_oneshot_and_periodic)
{
	struct test_vcpu *v;
	struct ucall uc;

	if (!self->vm)
		return;
	test_vm_set_irq_handler(self->vm, on_irq);
	v = test_vcpu_add_default(self->vm, 0, guest_apic_timer, 0);
	ASSERT_NE(NULL, v);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(1, uc.args[0]);
	EXPECT_EQ(0x40, uc.args[1]);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(1, uc.args[0]);
	EXPECT_EQ(1, uc.args[1]);		/* the one-shot fired once */
	TEST_RUN_UCALL(v, &uc, UCALL_DONE);
}

/* IA32_TSC_DEADLINE: advertised, fires at the deadline, then reads 0. */
GUEST_CODE static void guest_tsc_deadline(void)
{
	uint32_t a, b, c, d;
	uint64_t t;

	cpuid(1, 0, &a, &b, &c, &d);
	GUEST_ASSERT(c & (1u << 24));
	apic_enable();
	apic_write(APIC_LVTT, 0x42 | LVT_DEADLINE);
	/* SDM 10.5.4.1: "writes to the initial-count register are ignored". */
	apic_write(APIC_TMICT, 1000);
	GUEST_ASSERT_EQ(apic_read(APIC_TMICT), 0);
	/*
	 * An armed deadline reads back: one far enough that no machine's
	 * exits between the write and the read reach it; a TMICT write
	 * leaves it armed. A new one replaces it.
	 */
	t = rdtsc() + (1ULL << 50);
	wrmsr(MSR_TSC_DEADLINE, t);
	apic_write(APIC_TMICT, 1000);
	GUEST_ASSERT_EQ(rdmsr(MSR_TSC_DEADLINE), t);
	t = rdtsc() + 2000000;
	wrmsr(MSR_TSC_DEADLINE, t);
	wait_irqs(0x42, 1);
	GUEST_ASSERT(rdtsc() >= t);
	GUEST_ASSERT_EQ(rdmsr(MSR_TSC_DEADLINE), 0);
	/* A deadline in the past fires at once. */
	wrmsr(MSR_TSC_DEADLINE, 1);
	wait_irqs(0x42, 2);
	GUEST_SYNC(irq_count[0x42]);
}

TEST_F(apic, timer_tsc_deadline)
{
	struct test_vcpu *v;
	struct ucall uc;

	if (!self->vm)
		return;
	test_vm_set_irq_handler(self->vm, on_irq);
	v = test_vcpu_add_default(self->vm, 0, guest_tsc_deadline, 0);
	ASSERT_NE(NULL, v);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(2, uc.args[0]);
	TEST_RUN_UCALL(v, &uc, UCALL_DONE);
}

GUEST_CODE static void guest_deadline_slewed(uint64_t cycles)
{
	uint64_t t;

	apic_enable();
	apic_write(APIC_LVTT, 0x42 | LVT_DEADLINE);
	t = rdtsc() + cycles;
	wrmsr(MSR_TSC_DEADLINE, t);
	wait_irqs(0x42, 1);
	GUEST_SYNC(rdtsc() >= t, t - rdtsc());
}

/*
 * SDM 10.5.4.1: the TSC-deadline timer "generates a timer interrupt
 * when the value of the time-stamp counter is greater than or equal to
 * the target" -- by the TSC, whatever the host's clock does. With
 * CLOCK_MONOTONIC 10% ahead of the TSC (as NTP may set it) the host's
 * timer comes early; the interrupt must not. 2^28 cycles: about 0.1 s
 * at 2.5 GHz. The signal after 60 s only ends a hang; the test's own
 * limit is above it, so that its teardown always undoes the slew.
 */
TEST_F_TIMEOUT(apic, timer_tsc_deadline_on_a_slewed_clock, 120)
{
	struct test_vcpu *v;
	struct ucall uc;

	if (!self->vm)
		return;
	self->tick = axvm_clock_slew();
	ASSERT_LT(0, self->tick) TH_LOG("adjtimex: %s", strerror(-self->tick));
	test_vm_set_irq_handler(self->vm, on_irq);
	v = test_vcpu_add_default(self->vm, 0, guest_deadline_slewed, 1,
				  1ULL << 28);
	ASSERT_NE(NULL, v);
	axvm_alarm_eintr(60);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(1, uc.args[0])
		TH_LOG("the interrupt came %llu cycles before the deadline",
		       (unsigned long long)uc.args[1]);
}

/* ------------------------------------------------------------------ */
/* The guest's TSC (SDM vol. 3B, 17.17). */

#define MSR_IA32_TSC		0x10
#define MSR_TSC_ADJUST		0x3b
#define TSC_FAR			(1ULL << 60)
#define TSC_STEP		(1ULL << 50)
/* More cycles than any run of this test takes: minutes at 10 GHz. */
#define TSC_SLACK		(1ULL << 42)

/* KVM's pvclock record (Documentation/virt/kvm/x86/msr.rst). */
struct pv_record {
	uint32_t version;
	uint32_t pad0;
	uint64_t tsc_timestamp;
	uint64_t system_time;
	uint32_t tsc_to_system_mul;
	int8_t tsc_shift;
	uint8_t flags;
	uint8_t pad[2];
};

static volatile struct pv_record pv_rec __attribute__((aligned(64)));

/* The clock in ns, read as the ABI says (a torn read is read again). */
GUEST_CODE static uint64_t pv_read(void)
{
	uint32_t version;
	uint64_t delta, ns;

	do {
		version = pv_rec.version;
		asm volatile("" : : : "memory");
		delta = rdtsc() - pv_rec.tsc_timestamp;
		if (pv_rec.tsc_shift < 0)
			delta >>= -pv_rec.tsc_shift;
		else
			delta <<= pv_rec.tsc_shift;
		ns = pv_rec.system_time +
		     (uint64_t)(((__uint128_t)delta *
				 pv_rec.tsc_to_system_mul) >> 32);
		asm volatile("" : : : "memory");
	} while ((version & 1) || version != pv_rec.version);
	return ns;
}

/* The TSC-deadline timer fires at a deadline in the guest's TSC, not before. */
GUEST_CODE static void deadline_in_guest_tsc(uint64_t n)
{
	uint64_t t = rdtsc() + 2000000;

	wrmsr(MSR_TSC_DEADLINE, t);
	wait_irqs(0x43, n);
	GUEST_ASSERT(rdtsc() >= t, rdtsc(), t);
}

static volatile uint64_t tsc_gp;

/* #GP from RDMSR or WRMSR (two bytes each): counted and stepped over. */
GUEST_CODE static void on_tsc_gp(struct ex_regs *regs)
{
	if (regs->vector != GP_VECTOR)
		GUEST_FAIL("not #GP");
	tsc_gp++;
	regs->rip += 2;
}

GUEST_CODE static void guest_tsc_writes(uint64_t has_adjust)
{
	uint64_t t0, t, adj0 = 0, adj, ns0, ns;

	if (has_adjust) {
		adj0 = rdmsr(MSR_TSC_ADJUST);
	} else {
		rdmsr(MSR_TSC_ADJUST);
		wrmsr(MSR_TSC_ADJUST, TSC_STEP);
		GUEST_ASSERT_EQ(tsc_gp, 2);
	}
	apic_enable();
	apic_write(APIC_LVTT, 0x43 | LVT_DEADLINE);
	wrmsr(MSR_PV_SYSTEM_TIME, (uintptr_t)&pv_rec | 1);
	ns0 = pv_read();

	t0 = rdtsc();
	wrmsr(MSR_IA32_TSC, TSC_FAR);
	t = rdtsc();
	GUEST_ASSERT(t >= TSC_FAR && t - TSC_FAR < TSC_SLACK, t);
	t = rdmsr(MSR_IA32_TSC);
	GUEST_ASSERT(t >= TSC_FAR && t - TSC_FAR < TSC_SLACK, t);
	if (has_adjust) {
		adj = rdmsr(MSR_TSC_ADJUST) - adj0;
		GUEST_ASSERT(TSC_FAR - t0 - adj < TSC_SLACK, adj, t0);
		/* Adding X to IA32_TSC_ADJUST adds X to the TSC. */
		t0 = rdtsc();
		wrmsr(MSR_TSC_ADJUST, adj0 + adj + TSC_STEP);
		t = rdtsc() - t0;
		GUEST_ASSERT(t >= TSC_STEP && t - TSC_STEP < TSC_SLACK, t);
	}
	/* The paravirtual clock did not jump with the TSC. */
	ns = pv_read();
	GUEST_ASSERT(ns >= ns0 && ns - ns0 < 60000000000ULL, ns, ns0);
	deadline_in_guest_tsc(1);

	/* Back to almost 0: a deadline there is not yet reached either. */
	wrmsr(MSR_IA32_TSC, 1000);
	t = rdtsc();
	GUEST_ASSERT(t >= 1000 && t < TSC_SLACK, t);
	ns0 = pv_read();
	GUEST_ASSERT(ns0 >= ns && ns0 - ns < 60000000000ULL, ns0, ns);
	deadline_in_guest_tsc(2);
	GUEST_SYNC(tsc_gp);
}

/*
 * Set or clear @mask in the vCPU's CPUID leaf @leaf (subleaf 0), in EBX
 * (@ecx false) or ECX, as a VMM's AXVM_SET_CPUID would.
 */
static void set_cpuid_bits(struct __test_metadata *_metadata, int vcpu,
			   uint32_t leaf, bool ecx, uint32_t mask, bool on)
{
	static struct axvm_cpuid_entry e[256];
	struct axvm_cpuid hdr = { .nent = 256, .entries = (uintptr_t)e };
	unsigned int i, found = 0;
	uint32_t *r;

	ASSERT_EQ(0, ioctl(vcpu, AXVM_GET_CPUID, &hdr));
	for (i = 0; i < hdr.nent; i++) {
		if (e[i].function != leaf || e[i].index)
			continue;
		r = ecx ? &e[i].ecx : &e[i].ebx;
		*r = on ? *r | mask : *r & ~mask;
		found++;
	}
	ASSERT_EQ(1, found);
	ASSERT_EQ(0, ioctl(vcpu, AXVM_SET_CPUID, &hdr));
}

/* CPUID.(EAX=07H,ECX=0):EBX[1], IA32_TSC_ADJUST, set or clear. */
static void set_tsc_adjust_bit(struct __test_metadata *_metadata, int vcpu,
			       bool on)
{
	set_cpuid_bits(_metadata, vcpu, 7, false, 2, on);
}

/*
 * SDM vol. 3B 17.17: RDTSC and RDMSR of IA32_TIME_STAMP_COUNTER read the
 * TSC, and WRMSR sets it. 17.17.3: "If an execution of WRMSR to the
 * IA32_TIME_STAMP_COUNTER MSR adds (or subtracts) value X from the TSC,
 * the logical processor also adds (or subtracts) value X from the
 * IA32_TSC_ADJUST MSR", and a write that adds X to IA32_TSC_ADJUST adds
 * X to the TSC. 10.5.4.1: the TSC-deadline timer fires "when the logical
 * processor's time-stamp counter equals or exceeds the target deadline":
 * the guest's TSC, moved ahead to 2^60 and back to 1000. The kvmclock
 * time the guest computes from its TSC does not jump with it. The VMM
 * reads and sets the TSC as the guest sees it. The vCPU's CPUID is made
 * to list IA32_TSC_ADJUST, which the kernel keeps whatever the host has.
 */
TEST_F(apic, tsc_writes_move_the_guests_tsc)
{
	struct test_vcpu *v;
	struct ucall uc;
	uint64_t t;

	if (!self->vm)
		return;
	test_vm_set_irq_handler(self->vm, on_irq);
	test_vm_set_sync_handler(self->vm, on_tsc_gp);
	v = test_vcpu_add_default(self->vm, 0, guest_tsc_writes, 1,
				  (uint64_t)1);
	ASSERT_NE(NULL, v);
	set_tsc_adjust_bit(_metadata, v->fd, true);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(0, uc.args[0]);		/* no #GP */
	t = axvm_get_sysreg(v->fd, AXVM_SYSREG_X86_MSR(MSR_IA32_TSC));
	EXPECT_LT(t, TSC_SLACK);
	EXPECT_LE(1000, t);
	ASSERT_EQ(0, axvm_set_sysreg(v->fd, AXVM_SYSREG_X86_MSR(MSR_IA32_TSC),
				     TSC_FAR));
	t = axvm_get_sysreg(v->fd, AXVM_SYSREG_X86_MSR(MSR_IA32_TSC));
	EXPECT_LE(TSC_FAR, t);
	EXPECT_LT(t - TSC_FAR, TSC_SLACK);
	TEST_RUN_UCALL(v, &uc, UCALL_DONE);
}

/*
 * SDM vol. 4, table 2-2: IA32_TSC_ADJUST exists "If CPUID.(EAX=07H,
 * ECX=0H): EBX[1] = 1"; without it RDMSR and WRMSR of it are #GP, and
 * the TSC itself works as before.
 */
TEST_F(apic, tsc_adjust_is_gp_without_its_cpuid_bit)
{
	struct test_vcpu *v;
	struct ucall uc;

	if (!self->vm)
		return;
	test_vm_set_irq_handler(self->vm, on_irq);
	test_vm_set_sync_handler(self->vm, on_tsc_gp);
	v = test_vcpu_add_default(self->vm, 0, guest_tsc_writes, 1,
				  (uint64_t)0);
	ASSERT_NE(NULL, v);
	set_tsc_adjust_bit(_metadata, v->fd, false);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(2, uc.args[0]);
	TEST_RUN_UCALL(v, &uc, UCALL_DONE);
}

/*
 * SDM 10.4.3: with IA32_APIC_BASE[11] clear "the processor is
 * functionally equivalent to an IA-32 processor without an on-chip APIC.
 * The CPUID feature flag for the APIC (see Section 10.4.2) is also set
 * to 0." Set again, the APIC is back and so is the flag.
 */
GUEST_CODE static uint32_t cpuid1_edx(void)
{
	uint32_t a, b, c, d;

	cpuid(1, 0, &a, &b, &c, &d);
	return d;
}

GUEST_CODE static void guest_apic_base_cpuid(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);

	GUEST_ASSERT(base & (1 << 11));
	GUEST_ASSERT(cpuid1_edx() & (1u << 9));
	wrmsr(MSR_APIC_BASE, base & ~(1ULL << 11));
	GUEST_ASSERT(!(rdmsr(MSR_APIC_BASE) & (1 << 11)));
	GUEST_SYNC(!!(cpuid1_edx() & (1u << 9)));
	wrmsr(MSR_APIC_BASE, base);
	GUEST_SYNC(!!(cpuid1_edx() & (1u << 9)));
}

TEST_F(apic, cpuid_apic_flag_follows_apic_base)
{
	struct test_vcpu *v;
	struct ucall uc;

	if (!self->vm)
		return;
	v = test_vcpu_add_default(self->vm, 0, guest_apic_base_cpuid, 0);
	ASSERT_NE(NULL, v);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(0, uc.args[0]);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(1, uc.args[0]);
	TEST_RUN_UCALL(v, &uc, UCALL_DONE);
}

GUEST_CODE static void guest_x2apic_cpuid(void)
{
	uint32_t a, b, c, d;

	cpuid(1, 0, &a, &b, &c, &d);
	GUEST_SYNC(!!(c & (1u << 21)));
}

/*
 * CPUID.01H:ECX[21] says "the processor supports x2APIC" (SDM 10.12.1),
 * which the in-kernel APIC is not: set by the VMM's table it would make
 * a guest set IA32_APIC_BASE.EXTD and take a #GP. The guest sees 0.
 */
TEST_F(apic, cpuid_has_no_x2apic)
{
	struct test_vcpu *v;
	struct ucall uc;

	if (!self->vm)
		return;
	v = test_vcpu_add_default(self->vm, 0, guest_x2apic_cpuid, 0);
	ASSERT_NE(NULL, v);
	set_cpuid_bits(_metadata, v->fd, 1, true, 1u << 21, true);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(0, uc.args[0]);
}

/*
 * SDM 10.8.6.1: CR8 is the TPR's interface, "bits 3:0 of CR8 correspond
 * to bits 7:4 of the TPR"; a MOV to CR8 writes TPR[7:4] and clears
 * TPR[3:0], a MOV from CR8 reads TPR[7:4]. And the TPR gates delivery
 * (10.8.3.1): a fixed interrupt waits in the IRR while its priority
 * class (vector[7:4]) is not above PPR[7:4]. A self IPI (ICR shorthand
 * 01) of class 4 waits while CR8 is 4 and is taken at the instruction
 * boundary right after the MOV to CR8 that lowers it to 3 (on SVM that
 * MOV changes V_TPR without an exit unless the hypervisor asks for one).
 */
#define TPR_VECTOR	0x48

GUEST_CODE static void guest_cr8_tpr(void)
{
	uint64_t cr8, taken;

	apic_enable();
	asm volatile("mov %0, %%cr8" : : "r" (15ULL));
	GUEST_ASSERT_EQ(apic_read(APIC_TPR), 0xf0);
	apic_write(APIC_TPR, 0x5a);
	asm volatile("mov %%cr8, %0" : "=r" (cr8));
	GUEST_ASSERT_EQ(cr8, 5);
	GUEST_ASSERT_EQ(apic_read(APIC_TPR), 0x5a);	/* a read changes nothing */
	asm volatile("mov %0, %%cr8" : : "r" (4ULL));
	GUEST_ASSERT_EQ(apic_read(APIC_TPR), 0x40);	/* TPR[3:0] cleared */

	local_irq_enable();
	apic_write(APIC_ICR, ICR_SELF | TPR_VECTOR);
	/* Held back: pending in the IRR, not taken, across exits. */
	GUEST_ASSERT(apic_read(APIC_IRR + 0x20) & (1u << (TPR_VECTOR - 64)));
	GUEST_ASSERT_EQ(irq_count[TPR_VECTOR], 0);
	/* Recognized at the next instruction boundary: read right there. */
	asm volatile("mov %0, %%cr8" : : "r" (3ULL) : "memory");
	taken = irq_count[TPR_VECTOR];
	local_irq_disable();
	GUEST_ASSERT_EQ(apic_read(APIC_TPR), 0x30);
	GUEST_SYNC(taken, last_vector);
}

TEST_F(apic, cr8_is_the_tpr)
{
	struct test_vcpu *v;
	struct ucall uc;

	if (!self->vm)
		return;
	test_vm_set_irq_handler(self->vm, on_irq);
	v = test_vcpu_add_default(self->vm, 0, guest_cr8_tpr, 0);
	ASSERT_NE(NULL, v);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(1, uc.args[0]);
	EXPECT_EQ(TPR_VECTOR, uc.args[1]);
	TEST_RUN_UCALL(v, &uc, UCALL_DONE);
}

/*
 * I/O APIC: pin 5 level-triggered at 0x50, pin 6 edge at 0x51, both to
 * APIC id 0. A level line held high comes back after every EOI (the
 * handler masks it the third time); an edge line only on a new edge.
 */
GUEST_CODE static void guest_ioapic(void)
{
	uint32_t i;

	apic_enable();
	GUEST_ASSERT_EQ(ioapic_read(1) & 0xff, 0x11);
	GUEST_ASSERT_EQ((ioapic_read(1) >> 16) & 0xff, NR_GSIS - 1);
	ioapic_write(0x10 + 2 * 5, 0x50 | REDIR_LEVEL);
	ioapic_write(0x11 + 2 * 5, 0);
	ioapic_write(0x10 + 2 * 6, 0x51);
	ioapic_write(0x11 + 2 * 6, 0);
	GUEST_ASSERT_EQ(ioapic_read(0x10 + 2 * 5), 0x50 | REDIR_LEVEL);
	GUEST_SYNC(0);				/* the host raises line 5 */
	wait_irqs(0x50, 3);
	/* Masked while in service, then EOI: no remote IRR left. */
	GUEST_SYNC(irq_count[0x50],
		   ioapic_read(0x10 + 2 * 5) & REDIR_REMOTE_IRR);

	/*
	 * 82093AA 3.2.4: Remote IRR is "set to 1 when local APIC(s) accept
	 * the level interrupt". Pin 7 names APIC 9, which does not exist:
	 * nothing accepts it, so the pin is not left stuck.
	 */
	ioapic_write(0x11 + 2 * 7, 9u << 24);	/* while still masked */
	ioapic_write(0x10 + 2 * 7, 0x52 | REDIR_LEVEL);
	GUEST_SYNC(1);				/* the host raises line 7 */
	GUEST_ASSERT_EQ(ioapic_read(0x10 + 2 * 7) & REDIR_REMOTE_IRR, 0);
	ioapic_write(0x10 + 2 * 7, 0x52 | REDIR_LEVEL | REDIR_MASKED);

	wait_irqs(0x51, 1);			/* line 6 went high */
	local_irq_enable();
	for (i = 0; i < 1000; i++)
		asm volatile("pause");
	local_irq_disable();
	GUEST_SYNC(irq_count[0x51]);		/* still high: once only */
	wait_irqs(0x51, 2);			/* low, then high again */
	GUEST_SYNC(irq_count[0x51]);
}

TEST_F(apic, ioapic_level_and_edge)
{
	struct test_vcpu *v;
	struct ucall uc;
	uint64_t pin = 5 + 1;

	if (!self->vm)
		return;
	test_vm_set_irq_handler(self->vm, on_irq);
	pin_to_mask = pin;
	test_sync_global(self->vm, (void *)&pin_to_mask, sizeof(pin_to_mask), 1);
	v = test_vcpu_add_default(self->vm, 0, guest_ioapic, 0);
	ASSERT_NE(NULL, v);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	ASSERT_EQ(0, irq_line(self->vm->fd, 5, 1));
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(3, uc.args[0]);
	EXPECT_EQ(0, uc.args[1]);
	ASSERT_EQ(0, irq_line(self->vm->fd, 5, 0));
	ASSERT_EQ(0, irq_line(self->vm->fd, 7, 1));
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	ASSERT_EQ(0, irq_line(self->vm->fd, 7, 0));
	ASSERT_EQ(0, irq_line(self->vm->fd, 6, 1));
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(1, uc.args[0]);
	ASSERT_EQ(0, irq_line(self->vm->fd, 6, 0));
	ASSERT_EQ(0, irq_line(self->vm->fd, 6, 1));
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(2, uc.args[0]);
	TEST_RUN_UCALL(v, &uc, UCALL_DONE);
}

/* MSIs: physical destination 0, then logical (flat) destination bit 2. */
GUEST_CODE static void guest_msi(void)
{
	apic_enable();
	apic_write(APIC_DFR, 0xffffffff);
	apic_write(APIC_LDR, 1u << 26);
	GUEST_SYNC(0);
	wait_irqs(0x60, 1);
	GUEST_SYNC(1);
	wait_irqs(0x61, 1);
	GUEST_SYNC(irq_count[0x60], irq_count[0x61], irq_count[0x62]);
}

TEST_F(apic, msi)
{
	struct test_vcpu *v;
	struct ucall uc;

	if (!self->vm)
		return;
	test_vm_set_irq_handler(self->vm, on_irq);
	v = test_vcpu_add_default(self->vm, 0, guest_msi, 0);
	ASSERT_NE(NULL, v);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	ASSERT_EQ(0, signal_msi(self->vm->fd, 0xfee00000, 0x60, 0));
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	/* Logical bit 2 is ours; bit 3 is nobody's. */
	ASSERT_EQ(0, signal_msi(self->vm->fd, 0xfee00000 | 0x08 << 12 | 4,
				0x62, 0));
	ASSERT_EQ(0, signal_msi(self->vm->fd, 0xfee00000 | 0x04 << 12 | 4,
				0x61, 0));
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(1, uc.args[0]);
	EXPECT_EQ(1, uc.args[1]);
	EXPECT_EQ(0, uc.args[2]);
	TEST_RUN_UCALL(v, &uc, UCALL_DONE);
}

GUEST_CODE static void guest_lowest(uint64_t id, uint64_t tpr)
{
	uint64_t before;
	int round, i;

	apic_enable();
	apic_write(APIC_DFR, 0xffffffff);	/* flat */
	apic_write(APIC_LDR, 1u << (24 + id));
	for (round = 0; round < 2; round++) {
		apic_write(APIC_TPR, tpr);
		GUEST_SYNC(0);			/* the host sends the MSI */
		before = irq_count[0x51];
		local_irq_enable();
		for (i = 0; i < 100; i++)
			asm volatile("pause");
		local_irq_disable();
		GUEST_SYNC(irq_count[0x51] - before);
		tpr = 0x40 - tpr;		/* the other way round */
	}
}

/*
 * Lowest Priority delivery mode: "Deliver the signal to the agent that is
 * executing at the lowest priority of all agents listed in the
 * destination field" (SDM 10.6.2.4, Table 10-2 / 10.11.2). Logical
 * destination 0x03 names both APICs; the one whose TPR is 0 takes
 * vector 0x51, not the one at TPR 0x40, whichever has the lower id.
 */
TEST_F(apic, msi_lowest_priority_goes_to_the_lowest_priority)
{
	struct test_vcpu *v[2];
	struct ucall uc;
	int round, i;

	if (!self->vm)
		return;
	test_vm_set_irq_handler(self->vm, on_irq);
	v[0] = test_vcpu_add(self->vm, 0, TEST_ARCH_ID_DEFAULT, NULL,
			     guest_lowest, 2, 0ULL, 0x40ULL);
	v[1] = test_vcpu_add(self->vm, 1, TEST_ARCH_ID_DEFAULT, NULL,
			     guest_lowest, 2, 1ULL, 0ULL);
	ASSERT_NE(NULL, v[0]);
	ASSERT_NE(NULL, v[1]);
	for (round = 0; round < 2; round++) {
		for (i = 0; i < 2; i++)
			TEST_RUN_UCALL(v[i], &uc, UCALL_SYNC);
		ASSERT_EQ(0, signal_msi(self->vm->fd,
					0xfee00000 | 0x03 << 12 | 4,
					0x51 | 1 << 8, 0));
		for (i = 0; i < 2; i++) {
			TEST_RUN_UCALL(v[i], &uc, UCALL_SYNC);
			/* Round 0: APIC 1 (TPR 0); round 1: APIC 0. */
			EXPECT_EQ(i != round, uc.args[0])
				TH_LOG("round %d, APIC %d", round, i);
		}
	}
}

/*
 * The legacy pair as Linux probes and uses them: the 8259 mask reads
 * back, ICW1-4 set the vector base; PIT channel 2 counts down behind
 * port 0x61's gate until OUT2 rises; channel 0 in mode 2 interrupts
 * through the 8259 as ExtINT on LINT0, then through I/O APIC pin 2.
 */
GUEST_CODE static void guest_pit_pic(void)
{
	uint32_t count;

	apic_enable();
	outb(0xff, 0x21);
	GUEST_ASSERT_EQ(inb(0x21), 0xff);
	outb(0x11, 0x20);		/* ICW1: edge, cascade, ICW4 */
	outb(PIC_BASE, 0x21);		/* ICW2 */
	outb(0x04, 0x21);		/* ICW3: slave on IRQ 2 */
	outb(0x01, 0x21);		/* ICW4: 8086 mode */
	outb(0x11, 0xa0);
	outb(PIC_BASE + 8, 0xa1);
	outb(0x02, 0xa1);
	outb(0x01, 0xa1);
	GUEST_ASSERT_EQ(inb(0x21), 0);	/* ICW1 cleared the mask */
	outb(0xfe, 0x21);		/* IRQ 0 only */
	outb(0xff, 0xa1);

	/* Channel 2, mode 0, the longest count: OUT2 low until it ends. */
	outb((inb(0x61) & ~0x02) | 0x01, 0x61);
	outb(0xb0, 0x43);
	outb(0xff, 0x42);
	outb(0xff, 0x42);
	GUEST_ASSERT(!(inb(0x61) & 0x20));
	outb(0x80, 0x43);		/* latch channel 2 */
	count = inb(0x42);
	count |= inb(0x42) << 8;
	GUEST_ASSERT(count > 0 && count < 0xffff);
	while (!(inb(0x61) & 0x20))
		;

	/* Channel 0 every 1 ms, through the 8259 and LINT0. */
	apic_write(APIC_LVT0, LVT_EXTINT);
	outb(0x34, 0x43);		/* channel 0, lobyte/hibyte, mode 2 */
	outb(PIT_1MS & 0xff, 0x40);
	outb(PIT_1MS >> 8, 0x40);
	wait_irqs(PIC_BASE, 2);

	/* The same ticks through I/O APIC pin 2. */
	outb(0xff, 0x21);
	apic_write(APIC_LVT0, LVT_MASKED);
	ioapic_write(0x10 + 2 * 2, 0x58);
	ioapic_write(0x11 + 2 * 2, 0);
	wait_irqs(0x58, 2);
	ioapic_write(0x10 + 2 * 2, 0x58 | REDIR_MASKED);
	outb(0x30, 0x43);		/* mode 0: stops after one more count */
	GUEST_SYNC(irq_count[PIC_BASE] >= 2, irq_count[0x58] >= 2);
}

TEST_F(apic, pit_through_8259_and_ioapic)
{
	struct test_vcpu *v;
	struct ucall uc;

	if (!self->vm)
		return;
	test_vm_set_irq_handler(self->vm, on_irq);
	v = test_vcpu_add_default(self->vm, 0, guest_pit_pic, 0);
	ASSERT_NE(NULL, v);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(1, uc.args[0]);
	EXPECT_EQ(1, uc.args[1]);
	TEST_RUN_UCALL(v, &uc, UCALL_DONE);
}

GUEST_CODE static uint8_t pic_poll(void)
{
	outb(0x0c, 0x20);		/* OCW3: poll */
	return inb(0x20);
}

GUEST_CODE static void guest_pic_rules(void)
{
	uint8_t first, second, third;

	outb(1u << 5, 0x4d0);		/* ELCR: IRQ 5 level-triggered */
	GUEST_SYNC(0);			/* the host raises line 5 */
	/* ICW1-4 once more, AEOI this time (ICW4 bit 1). */
	outb(0x11, 0x20);
	outb(PIC_BASE, 0x21);
	outb(0x04, 0x21);
	outb(0x03, 0x21);
	outb((uint8_t)~((1u << 3) | (1u << 5) | (1u << 6)), 0x21);
	outb(0x80, 0x20);		/* OCW2: rotate in AEOI mode, set */
	first = pic_poll();
	GUEST_SYNC(first);		/* edges on lines 3 and 6 */
	second = pic_poll();
	third = pic_poll();
	GUEST_SYNC(second, third, pic_poll());
}

/*
 * 8259A: ICW1 resets the edge sense latches, "following initialization,
 * an interrupt request (IR) input must make a low-to-high transition to
 * generate an interrupt" -- an edge; a level-triggered input (ELCR)
 * still high still requests. OCW2 with R SL EOI = 100 sets "rotate in
 * automatic EOI mode": each acknowledged IRQ becomes the lowest
 * priority, so after 5 comes 6 before 3, and after 6, 3.
 */
TEST_F(apic, pic_icw1_keeps_level_requests_and_aeoi_rotates)
{
	struct test_vcpu *v;
	struct ucall uc;

	if (!self->vm)
		return;
	v = test_vcpu_add_default(self->vm, 0, guest_pic_rules, 0);
	ASSERT_NE(NULL, v);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	ASSERT_EQ(0, irq_line(self->vm->fd, 5, 1));
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(0x85, uc.args[0]);
	ASSERT_EQ(0, irq_line(self->vm->fd, 3, 1));
	ASSERT_EQ(0, irq_line(self->vm->fd, 3, 0));
	ASSERT_EQ(0, irq_line(self->vm->fd, 6, 1));
	ASSERT_EQ(0, irq_line(self->vm->fd, 6, 0));
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(0x86, uc.args[0]);
	EXPECT_EQ(0x83, uc.args[1]);
	EXPECT_EQ(0x85, uc.args[2]);	/* the level line, still high */
	TEST_RUN_UCALL(v, &uc, UCALL_DONE);
}

struct run_arg {
	struct test_vcpu *v;
	struct ucall uc;
	int ret;
};

static void *run_thread(void *p)
{
	struct run_arg *a = p;

	a->ret = test_vcpu_run_ucall(a->v, &a->uc);
	return NULL;
}

/* The receiver: APIC on, then sleep in HLT until the IPI comes. */
GUEST_CODE static void guest_ipi_receiver(void)
{
	apic_enable();
	GUEST_SYNC(0);
	wait_irqs(0x70, 1);
	GUEST_SYNC(last_vector, apic_read(APIC_ID) >> 24);
}

/* An IPI to APIC id 1, physical destination: @icr's low word. */
GUEST_CODE static void guest_ipi_sender(uint64_t icr)
{
	apic_enable();
	apic_write(APIC_ICR2, 1u << 24);
	apic_write(APIC_ICR, icr);
	GUEST_ASSERT(!(apic_read(APIC_ICR) & (1u << 12)));
}

/*
 * vCPU 1 runs @receiver to its first ucall, then on in a thread of its
 * own (to its HLT) while vCPU 0 sends it the IPI @icr: the receiver's
 * next ucall is in @rx.
 */
static void ipi_pair(struct __test_metadata *_metadata, struct test_vm *vm,
		     void *receiver, uint32_t icr, struct run_arg *rx)
{
	struct test_vcpu *tx;
	struct ucall uc;
	pthread_t t;

	tx = test_vcpu_add_default(vm, 0, guest_ipi_sender, 1,
				   (uint64_t)icr);
	rx->v = test_vcpu_add_default(vm, 1, receiver, 0);
	ASSERT_NE(NULL, tx);
	ASSERT_NE(NULL, rx->v);
	TEST_RUN_UCALL(rx->v, &rx->uc, UCALL_SYNC);
	ASSERT_EQ(0, pthread_create(&t, NULL, run_thread, rx));
	/* Let the receiver reach its HLT first (a later IPI works too). */
	usleep(20000);
	TEST_RUN_UCALL(tx, &uc, UCALL_DONE);
	ASSERT_EQ(0, pthread_join(t, NULL));
	ASSERT_EQ(UCALL_SYNC, rx->ret);
}

/* A fixed IPI wakes the other vCPU out of HLT in the kernel. */
TEST_F(apic, ipi_wakes_halted_vcpu)
{
	struct run_arg rx = { 0 };

	if (!self->vm)
		return;
	test_vm_set_irq_handler(self->vm, on_irq);
	ipi_pair(_metadata, self->vm, guest_ipi_receiver, 0x70, &rx);
	EXPECT_EQ(0x70, rx.uc.args[0]);
	EXPECT_EQ(1, rx.uc.args[1]);
}

GUEST_CODE static void guest_init_self(void)
{
	apic_enable();
	/* Its own APIC id, physical destination (not the Self shorthand). */
	apic_write(APIC_ICR2, apic_read(APIC_ID) & 0xff000000);
	apic_write(APIC_ICR, ICR_INIT);
	for (;;)
		asm volatile("pause");
}

/*
 * SDM 8.4.2: after an INIT "each logical processor examines its BSP
 * flag ... and either executes the BIOS boot-strap code (if it is the
 * BSP) or enters a wait-for-SIPI state (if it is an AP)". The BSP that
 * INITs itself starts again at the reset vector, CS base 0xffff0000, IP
 * 0xfff0, where it writes a port.
 */
TEST_F(apic, init_of_the_bsp_restarts_it_at_the_reset_vector)
{
	/* mov $0x5b, %al; out %al, $0x80; hlt; jmp . - 1 */
	static const uint8_t code[] = { 0xb0, 0x5b, 0xe6, 0x80, 0xf4,
					0xeb, 0xfd };
	struct test_vcpu *v;
	uint8_t *top;

	if (!self->vm)
		return;
	top = test_vm_add_region(self->vm, LOW_RAM_SLOT + 1, 0, 0xffff0000,
				 0x10000);
	ASSERT_NE(NULL, top);
	memcpy(top + 0xfff0, code, sizeof(code));
	v = test_vcpu_add_default(self->vm, 0, guest_init_self, 0);
	ASSERT_NE(NULL, v);
	ASSERT_EQ(AXVM_EXIT_IO, test_vcpu_run_exit(v));
	EXPECT_EQ(0x80, v->run->io.port);
	EXPECT_EQ(0x5b, v->run->io.data & 0xff);
	EXPECT_EQ(0xffff0000ULL, axvm_get_sysreg(v->fd,
						 AXVM_SYSREG_X86_SEG_BASE(1)));
}

GUEST_CODE static void guest_parked(void)
{
	for (;;) {
		local_irq_disable();
		hlt();
	}
}

GUEST_CODE static void guest_start_ap(void)
{
	apic_enable();
	apic_write(APIC_ICR2, 1u << 24);
	apic_write(APIC_ICR, ICR_INIT);
	apic_write(APIC_ICR2, 1u << 24);
	apic_write(APIC_ICR, ICR_SIPI | SIPI_VECTOR);
	/* A second SIPI, as Linux sends, is ignored by a running AP. */
	apic_write(APIC_ICR, ICR_SIPI | SIPI_VECTOR);
}

/*
 * INIT then SIPI: the AP, parked in HLT with interrupts off, resets and
 * starts in real mode at vector << 12, where it writes a port. Its
 * kvmclock record, set by userspace, is written before its first entry,
 * and INIT disables it.
 */
TEST_F(apic, init_sipi_starts_ap)
{
	/* mov $0x5a, %al; out %al, $0x80; hlt; jmp . - 1 */
	static const uint8_t code[] = { 0xb0, 0x5a, 0xe6, 0x80, 0xf4,
					0xeb, 0xfd };
	struct run_arg ap = { 0 };
	struct test_vcpu *bsp;
	struct axvm_sysreg sr;
	struct axvm_regs regs;
	struct ucall uc;
	uint32_t version = 0;
	uint8_t *low;
	pthread_t t;

	if (!self->vm)
		return;
	low = test_vm_add_region(self->vm, LOW_RAM_SLOT, 0, 0, 0x10000);
	ASSERT_NE(NULL, low);
	memcpy(low + (SIPI_VECTOR << 12), code, sizeof(code));
	bsp = test_vcpu_add_default(self->vm, 0, guest_start_ap, 0);
	ap.v = test_vcpu_add_default(self->vm, 1, guest_parked, 0);
	ASSERT_NE(NULL, bsp);
	ASSERT_NE(NULL, ap.v);
	sr.id = AXVM_SYSREG_X86_MSR(MSR_PV_SYSTEM_TIME);
	sr.value = PV_RECORD | 1;
	ASSERT_EQ(0, ioctl(ap.v->fd, AXVM_SET_SYSREG, &sr));
	ASSERT_EQ(0, pthread_create(&t, NULL, run_thread, &ap));
	/*
	 * The AP's first entry writes its record: INIT comes after. The
	 * pvclock ABI has the writer make the version odd, write the fields,
	 * then make it even; wait for the even one (the test's own timeout
	 * bounds the wait, not a count of sleeps).
	 */
	do {
		usleep(1000);
		memcpy(&version, low + PV_RECORD, sizeof(version));
	} while (!version || (version & 1));
	EXPECT_EQ(2, version);
	usleep(20000);
	TEST_RUN_UCALL(bsp, &uc, UCALL_DONE);
	ASSERT_EQ(0, pthread_join(t, NULL));
	/* Not a ucall: the port write of the real-mode code. */
	ASSERT_EQ(0, ap.ret);
	ASSERT_EQ(AXVM_EXIT_IO, ap.v->run->exit_reason);
	EXPECT_EQ(0x80, ap.v->run->io.port);
	EXPECT_EQ(0x5a, ap.v->run->io.data);
	EXPECT_EQ(1, ap.v->run->io.is_write);
	ASSERT_EQ(0, ioctl(ap.v->fd, AXVM_GET_REGS, &regs));
	EXPECT_EQ(4, regs.pc);			/* IP past the OUT, CS 0x900 */
	memcpy(&version, low + PV_RECORD, sizeof(version));
	EXPECT_EQ(2, version);			/* not written after INIT */
	ASSERT_EQ(0, ioctl(ap.v->fd, AXVM_GET_SYSREG, &sr));
	EXPECT_EQ(0, sr.value);
}

/* ------------------------------------------------------------------ */
/* NMIs (SDM vol. 3, 6.7 and 6.7.1; 10.5.1; 10.6.1). */

static volatile uint64_t nmi_count, nmi_depth, nmi_max_depth;
static volatile uint64_t nmi_seen_inside, nmi_other, nmi_resend;

/* An exit the kernel answers itself: a chance for a pending event. */
GUEST_CODE static void exit_once(void)
{
	uint32_t a, b, c, d;

	cpuid(0, 0, &a, &b, &c, &d);
}

/* Until @n NMIs came, or many exits went by without them. */
GUEST_CODE static void wait_nmis(uint64_t n)
{
	uint64_t i;

	for (i = 0; i < 100000 && nmi_count < n; i++)
		exit_once();
}

/*
 * The first NMI sends itself another and gives it many exits to come
 * in: "while an NMI interrupt handler is executing, the processor blocks
 * delivery of subsequent NMIs until the next execution of the IRET
 * instruction" (SDM 6.7.1), so the second must wait for the IRET.
 */
GUEST_CODE static void on_nmi(struct ex_regs *regs)
{
	int i;

	if (regs->vector != 2) {
		nmi_other = regs->vector;
		return;
	}
	nmi_count++;
	if (++nmi_depth > nmi_max_depth)
		nmi_max_depth = nmi_depth;
	if (nmi_count == 1 && nmi_resend) {
		apic_write(APIC_ICR, ICR_SELF | ICR_NMI);
		for (i = 0; i < 200; i++)
			exit_once();
		nmi_seen_inside = nmi_count;
	}
	nmi_depth--;
}

GUEST_CODE static void guest_self_nmi(void)
{
	nmi_resend = 1;
	apic_enable();
	/* Self shorthand, delivery mode NMI (the vector field is ignored). */
	apic_write(APIC_ICR, ICR_SELF | ICR_NMI | 0x55);
	wait_nmis(2);
	GUEST_SYNC(nmi_count, nmi_max_depth, nmi_seen_inside, nmi_other);
}

/*
 * A self NMI is taken with RFLAGS.IF clear (NMIs are not masked by IF,
 * SDM 6.8.1); a second one sent from its handler waits for the IRET,
 * then comes: two in all, never nested.
 */
TEST_F(apic, nmi_is_held_until_iret)
{
	struct test_vcpu *v;
	struct ucall uc;

	if (!self->vm)
		return;
	test_vm_set_sync_handler(self->vm, on_nmi);
	v = test_vcpu_add_default(self->vm, 0, guest_self_nmi, 0);
	ASSERT_NE(NULL, v);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(2, uc.args[0]);
	EXPECT_EQ(1, uc.args[1]);
	EXPECT_EQ(1, uc.args[2]);
	EXPECT_EQ(0, uc.args[3]);
}

/* Interrupts off, then HLT: only an NMI (or INIT, SMI) ends it. */
GUEST_CODE static void guest_nmi_receiver(void)
{
	apic_enable();
	GUEST_SYNC(0);
	hlt();
	GUEST_SYNC(nmi_count, nmi_other);
}

/*
 * An NMI IPI to a vCPU halted with RFLAGS.IF clear: HLT resumes for an
 * NMI whatever IF says (SDM vol. 2, HLT: "an enabled interrupt
 * (including NMI and SMI)"; 6.8.1), the handler runs, the code after the
 * HLT goes on.
 */
TEST_F(apic, nmi_ipi_wakes_hlt_with_interrupts_off)
{
	struct run_arg rx = { 0 };

	if (!self->vm)
		return;
	test_vm_set_sync_handler(self->vm, on_nmi);
	ipi_pair(_metadata, self->vm, guest_nmi_receiver, ICR_NMI, &rx);
	EXPECT_EQ(1, rx.uc.args[0]);
	EXPECT_EQ(0, rx.uc.args[1]);
}

GUEST_CODE static void guest_lint1(void)
{
	uint64_t i;

	apic_enable();
	apic_write(APIC_LVT1, LVT_NMI);
	GUEST_SYNC(1);				/* the host pulses LINT1 */
	wait_nmis(1);
	GUEST_SYNC(nmi_count);
	apic_write(APIC_LVT1, LVT_NMI | LVT_MASKED);
	GUEST_SYNC(2);				/* pulsed while masked */
	for (i = 0; i < 200; i++)
		exit_once();
	GUEST_SYNC(nmi_count);
	apic_write(APIC_LVT1, 0x41);		/* fixed, vector 0x41 */
	GUEST_SYNC(3);
	wait_irqs(0x41, 1);
	GUEST_SYNC(nmi_count, irq_count[0x41]);
}

/*
 * AXVM_NMI pulses the local APIC's LINT1 pin, delivered as LVT1 says
 * (SDM 10.5.1): an NMI in NMI mode, nothing while masked, the vector in
 * fixed mode. Its argument must be 0.
 */
TEST_F(apic, axvm_nmi_is_lint1)
{
	struct test_vcpu *v;
	struct ucall uc;

	if (!self->vm)
		return;
	test_vm_set_sync_handler(self->vm, on_nmi);
	test_vm_set_irq_handler(self->vm, on_irq);
	v = test_vcpu_add_default(self->vm, 0, guest_lint1, 0);
	ASSERT_NE(NULL, v);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(-1, ioctl(v->fd, AXVM_NMI, 1));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, ioctl(v->fd, AXVM_NMI, 0));
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(1, uc.args[0]);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	ASSERT_EQ(0, ioctl(v->fd, AXVM_NMI, 0));
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(1, uc.args[0]);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	ASSERT_EQ(0, ioctl(v->fd, AXVM_NMI, 0));
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(1, uc.args[0]);
	EXPECT_EQ(1, uc.args[1]);
}

#define REDIR_NMI	0x400		/* delivery mode NMI */
#define ESR_RECV_ILLEGAL	(1u << 6)

GUEST_CODE static void guest_ioapic_no_eoi(void)
{
	uint32_t esr;

	apic_enable();
	apic_write(APIC_LVTERR, 0xfe);		/* error interrupts, as Linux */
	ioapic_write(0x11 + 2 * 8, 0);
	ioapic_write(0x10 + 2 * 8, 0x05 | REDIR_LEVEL);	/* illegal vector */
	ioapic_write(0x11 + 2 * 9, 0);
	ioapic_write(0x10 + 2 * 9, REDIR_NMI | REDIR_LEVEL);
	GUEST_SYNC(0);				/* the host raises 8 and 9 */
	wait_nmis(1);
	apic_write(APIC_ESR, 0);
	esr = apic_read(APIC_ESR);
	GUEST_SYNC(esr & ESR_RECV_ILLEGAL,
		   ioapic_read(0x10 + 2 * 8) & REDIR_REMOTE_IRR,
		   ioapic_read(0x10 + 2 * 9) & REDIR_REMOTE_IRR, nmi_count);
	wait_nmis(2);				/* line 9 low, then high */
	GUEST_SYNC(nmi_count);
}

/*
 * Remote IRR waits for an EOI, so only what an APIC accepted into its
 * IRR sets it (82093AA 3.2.4: "set to 1 when local APIC(s) accept the
 * level interrupt"). A vector of 0-15 is never accepted: "the local
 * APIC will never set an IRR bit in the range 0 to 15" (SDM 10.5.3),
 * it logs Receive Illegal Vector, here with its error interrupt
 * unmasked. An NMI entry has no EOI: it "is treated as an edge
 * triggered interrupt, even if it is programmed as a level triggered
 * interrupt" (82093AA, Delivery Mode), so its next edge is an NMI again.
 */
TEST_F(apic, ioapic_no_remote_irr_without_an_eoi)
{
	struct test_vcpu *v;
	struct ucall uc;

	if (!self->vm)
		return;
	test_vm_set_sync_handler(self->vm, on_nmi);
	v = test_vcpu_add_default(self->vm, 0, guest_ioapic_no_eoi, 0);
	ASSERT_NE(NULL, v);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	ASSERT_EQ(0, irq_line(self->vm->fd, 8, 1));
	ASSERT_EQ(0, irq_line(self->vm->fd, 9, 1));
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(ESR_RECV_ILLEGAL, uc.args[0]);
	EXPECT_EQ(0, uc.args[1]);
	EXPECT_EQ(0, uc.args[2]);
	EXPECT_EQ(1, uc.args[3]);
	ASSERT_EQ(0, irq_line(self->vm->fd, 9, 0));
	ASSERT_EQ(0, irq_line(self->vm->fd, 9, 1));
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(2, uc.args[0]);
	TEST_RUN_UCALL(v, &uc, UCALL_DONE);
}

GUEST_CODE static void guest_plain_nmi(void)
{
	GUEST_SYNC(0);
	wait_nmis(1);
	GUEST_SYNC(nmi_count);
}

/* Without an irqchip AXVM_NMI is the CPU's own NMI, as KVM_NMI. */
TEST(axvm_nmi_without_irqchip)
{
	struct test_vcpu *v;
	struct test_vm *vm;
	struct ucall uc;

	if (!TEST_HAVE_GUEST_LIB)
		SKIP(return, "no guest library here");
	test_pin_self(0);
	vm = test_vm_create();
	if (!vm && errno == EOPNOTSUPP)
		SKIP(return, "no guest entry on this lane");
	ASSERT_NE(NULL, vm);
	test_vm_set_sync_handler(vm, on_nmi);
	v = test_vcpu_add_default(vm, 0, guest_plain_nmi, 0);
	ASSERT_NE(NULL, v);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	ASSERT_EQ(0, ioctl(v->fd, AXVM_NMI, 0));
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(1, uc.args[0]);
	test_vm_free(vm);
}

/* ------------------------------------------------------------------ */
/* Local APIC rules (SDM vol. 3, chapter 10). */

static volatile uint64_t gp_count;
static uint64_t go;		/* set by the host in the guest's image */

GUEST_CODE static void on_gp_or_nmi(struct ex_regs *regs)
{
	if (regs->vector == 13) {
		gp_count++;
		regs->rip += 2;		/* RDMSR and WRMSR are two bytes */
		return;
	}
	on_nmi(regs);
}

GUEST_CODE static void guest_apic_disabled(void)
{
	uint32_t irr;

	/* SVR bit 8 clear: software-disabled. */
	apic_write(APIC_SVR, 0xff);
	apic_write(APIC_ICR, ICR_SELF | 0x60);	/* fixed: not taken */
	apic_write(APIC_ICR, ICR_SELF | ICR_NMI);	/* NMI: taken */
	wait_nmis(1);
	irr = apic_read(APIC_IRR + 0x30);	/* vectors 0x60-0x7f */
	apic_enable();
	local_irq_enable();
	exit_once();
	local_irq_disable();
	GUEST_SYNC(irr & 1, irq_count[0x60], nmi_count);
	/* x2APIC MSRs in xAPIC mode: #GP (SDM 10.12.1.2). */
	rdmsr(0x802);
	wrmsr(0x808, 0);
	/* IA32_APIC_BASE.BSP is read/write (SDM vol. 4, Table 2-2). */
	wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) & ~APIC_BASE_BSP);
	GUEST_SYNC(gp_count, rdmsr(MSR_APIC_BASE) & APIC_BASE_BSP);
	wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | APIC_BASE_BSP);
	GUEST_SYNC(rdmsr(MSR_APIC_BASE) & APIC_BASE_BSP);
}

/*
 * A software-disabled APIC "will respond normally to INIT, NMI, SMI, and
 * SIPI messages" (SDM 10.4.7.2) and to nothing else: a fixed self IPI
 * is not accepted (not in the IRR, not taken once it is enabled again),
 * an NMI is. The x2APIC MSRs #GP in xAPIC mode; the BSP flag can be
 * written.
 */
TEST_F(apic, software_disabled_apic_and_msrs)
{
	struct test_vcpu *v;
	struct ucall uc;

	if (!self->vm)
		return;
	test_vm_set_sync_handler(self->vm, on_gp_or_nmi);
	test_vm_set_irq_handler(self->vm, on_irq);
	v = test_vcpu_add_default(self->vm, 0, guest_apic_disabled, 0);
	ASSERT_NE(NULL, v);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(0, uc.args[0]);
	EXPECT_EQ(0, uc.args[1]);
	EXPECT_EQ(1, uc.args[2]);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(2, uc.args[0]);
	EXPECT_EQ(0, uc.args[1]);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(APIC_BASE_BSP, uc.args[0]);
}

#define APIC_MOVED	0xfed00000UL	/* no RAM there */

GUEST_CODE static void guest_apic_moved(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);
	uint32_t old_page;

	wrmsr(MSR_APIC_BASE, (base & 0xfff) | APIC_MOVED);
	GUEST_SYNC(rdmsr(MSR_APIC_BASE),
		   readl((volatile void *)(APIC_MOVED + APIC_LVR)));
	/* The old page is no APIC now: the VMM answers it. */
	old_page = readl((volatile void *)(APIC + APIC_LVR));
	/* Above MAXPHYADDR, or x2APIC mode (bit 10): reserved, #GP. */
	wrmsr(MSR_APIC_BASE, base | (1ULL << 62));
	wrmsr(MSR_APIC_BASE, base | (1ULL << 10));
	wrmsr(MSR_APIC_BASE, base);
	GUEST_SYNC(old_page, gp_count, apic_read(APIC_LVR));
}

/*
 * IA32_APIC_BASE bits 12 up to MAXPHYADDR - 1 are the "APIC Base field",
 * where the APIC registers are mapped (SDM 10.4.4): a write moves the
 * page, the old address no longer reaches the APIC, and the page moves
 * back. Bits above MAXPHYADDR and EXTD (no x2APIC here) are #GP.
 */
TEST_F(apic, apic_base_moves_the_page)
{
	struct test_vcpu *v;
	struct ucall uc;

	if (!self->vm)
		return;
	test_vm_set_sync_handler(self->vm, on_gp_or_nmi);
	v = test_vcpu_add_default(self->vm, 0, guest_apic_moved, 0);
	ASSERT_NE(NULL, v);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(APIC_MOVED, uc.args[0] & ~0xfffULL);
	EXPECT_EQ(0x50014, uc.args[1]);		/* the version register */
	ASSERT_EQ(AXVM_EXIT_MMIO, test_vcpu_run_exit(v));
	EXPECT_EQ(APIC + APIC_LVR, v->run->mmio.phys_addr);
	v->run->mmio.data = 0x5a5a;
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(0x5a5a, uc.args[0]);
	EXPECT_EQ(2, uc.args[1]);
	EXPECT_EQ(0x50014, uc.args[2]);
}

GUEST_CODE static void guest_hw_disabled(void)
{
	wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) & ~APIC_BASE_EN);
	GUEST_SYNC(1);
	while (!*(volatile uint64_t *)&go)
		exit_once();
	GUEST_SYNC(2, rdmsr(MSR_APIC_BASE) & APIC_BASE_EN);
}

/*
 * With IA32_APIC_BASE[11] clear "the processor is functionally
 * equivalent to an IA-32 processor without an on-chip APIC" (SDM
 * 10.4.3): an INIT IPI to it is not taken, and it runs on (an INIT taken
 * would park it waiting for SIPI, and its RUN would not come back).
 */
TEST_F(apic, hw_disabled_apic_takes_no_init)
{
	struct test_vcpu *tx, *rx;
	struct ucall uc;

	if (!self->vm)
		return;
	tx = test_vcpu_add_default(self->vm, 0, guest_ipi_sender, 1,
				   (uint64_t)ICR_INIT);
	rx = test_vcpu_add_default(self->vm, 1, guest_hw_disabled, 0);
	ASSERT_NE(NULL, tx);
	ASSERT_NE(NULL, rx);
	TEST_RUN_UCALL(rx, &uc, UCALL_SYNC);
	TEST_RUN_UCALL(tx, &uc, UCALL_DONE);
	go = 1;
	sync_global_to_guest(self->vm, go);
	TEST_RUN_UCALL(rx, &uc, UCALL_SYNC);
	EXPECT_EQ(2, uc.args[0]);
	EXPECT_EQ(0, uc.args[1]);
}

GUEST_CODE static void guest_esr(void)
{
	uint32_t esr1, esr2;

	apic_enable();
	apic_write(APIC_LVTERR, 0x50);
	/* Vector 5 is illegal: sent (SENDILL) and received (RECVILL). */
	apic_write(APIC_ICR, ICR_SELF | 0x05);
	wait_irqs(0x50, 1);
	apic_write(APIC_ESR, 0);
	esr1 = apic_read(APIC_ESR);
	/* Offset 0x40 is reserved: Illegal Register Address. */
	(void)apic_read(0x40);
	wait_irqs(0x50, 2);
	apic_write(APIC_ESR, 0);
	esr2 = apic_read(APIC_ESR);
	apic_write(APIC_ESR, 0);
	GUEST_SYNC(esr1, esr2, apic_read(APIC_ESR), irq_count[0x50]);
	/*
	 * 0x2f0 (LVT CMCI) does not exist on an APIC whose version register
	 * says six LVT entries (max LVT 5): reserved as well.
	 */
	GUEST_ASSERT_EQ((apic_read(APIC_LVR) >> 16) & 0xff, 5);
	apic_write(0x2f0, 0x60);
	wait_irqs(0x50, 3);
	apic_write(APIC_ESR, 0);
	GUEST_SYNC(apic_read(APIC_ESR), apic_read(0x2f0));
}

/*
 * The ESR (SDM 10.5.3): Send and Receive Illegal Vector for a vector
 * below 16, Illegal Register Address for a reserved offset, each read
 * after a write ("before attempting to read from the ESR, software
 * should first write to it") and cleared by the next; every error raises
 * the LVT error interrupt.
 */
TEST_F(apic, esr_errors_raise_the_error_interrupt)
{
	struct test_vcpu *v;
	struct ucall uc;

	if (!self->vm)
		return;
	test_vm_set_irq_handler(self->vm, on_irq);
	v = test_vcpu_add_default(self->vm, 0, guest_esr, 0);
	ASSERT_NE(NULL, v);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(ESR_SENDILL | ESR_RECVILL, uc.args[0]);
	EXPECT_EQ(ESR_ILLREGA, uc.args[1]);
	EXPECT_EQ(0, uc.args[2]);
	EXPECT_EQ(2, uc.args[3]);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(ESR_ILLREGA, uc.args[0]);
	EXPECT_EQ(0, uc.args[1]);
	TEST_RUN_UCALL(v, &uc, UCALL_DONE);
}

GUEST_CODE static void guest_timer_counts(void)
{
	uint32_t i, c1, c2, most = 0;

	apic_enable();
	/* Periodic, 10 ticks at divide-by-1: stretched to the minimum. */
	apic_write(APIC_TDCR, 0xb);
	apic_write(APIC_LVTT, LVT_PERIODIC | LVT_MASKED | 0x61);
	apic_write(APIC_TMICT, 10);
	for (i = 0; i < 100; i++) {
		c1 = apic_read(APIC_TMCCT);
		if (c1 > most)
			most = c1;
	}
	apic_write(APIC_TMICT, 0);
	/* One-shot, the longest count; then divide-by-128 mid-count. */
	apic_write(APIC_LVTT, LVT_MASKED | 0x61);
	apic_write(APIC_TMICT, 0xffffffff);
	c1 = apic_read(APIC_TMCCT);
	apic_write(APIC_TDCR, 0xa);
	c2 = apic_read(APIC_TMCCT);
	apic_write(APIC_TMICT, 0);
	GUEST_SYNC(most, c1, c2);
}

/*
 * The current count runs down from the initial count (SDM 10.5.4), even
 * where the kernel stretches a short period, and a new divide value
 * changes the rate, not the count: after switching to divide-by-128
 * TMCCT goes on from where it was (a count recomputed at the new rate
 * would drop to about 1/128 of it).
 */
TEST_F(apic, timer_count_and_divider)
{
	struct test_vcpu *v;
	struct ucall uc;

	if (!self->vm)
		return;
	v = test_vcpu_add_default(self->vm, 0, guest_timer_counts, 0);
	ASSERT_NE(NULL, v);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_GE(10, uc.args[0]);
	EXPECT_LT(0, uc.args[1]);
	EXPECT_GE(uc.args[1], uc.args[2]);
	EXPECT_LT(uc.args[1] / 64, uc.args[2]);
}

GUEST_CODE static void guest_lvtt_modes(void)
{
	apic_enable();
	apic_write(APIC_LVTT, LVT_DEADLINE | LVT_MASKED | 0x61);
	GUEST_SYNC(apic_read(APIC_LVTT) & (3u << 17));
}

/*
 * LVT timer mode 10b is TSC-deadline only "if CPUID.01H:ECX.TSC_Deadline
 * [bit 24] = 1"; otherwise bit 18 is reserved (SDM 10.5.4.1) and reads
 * 0. With the bit taken out of the vCPU's CPUID table the mode does not
 * stick; with the default table (the irqchip's TSC-deadline timer) it
 * does.
 */
TEST_F(apic, lvtt_deadline_mode_follows_cpuid)
{
	static struct {
		struct axvm_cpuid hdr;
		struct axvm_cpuid_entry e[257];
	} t;
	struct test_vcpu *v;
	struct ucall uc;
	uint32_t i;
	int has;

	if (!self->vm)
		return;
	for (has = 0; has < 2; has++) {
		v = test_vcpu_add_default(self->vm, has, guest_lvtt_modes, 0);
		ASSERT_NE(NULL, v);
		t.hdr.entries = (uintptr_t)t.e;
		t.hdr.nent = 256;
		t.hdr.flags = 0;
		ASSERT_EQ(0, ioctl(v->fd, AXVM_GET_CPUID, &t));
		for (i = 0; i < t.hdr.nent && t.e[i].function != 1; i++)
			;
		ASSERT_LT(i, t.hdr.nent);
		ASSERT_NE(0, t.e[i].ecx & (1u << 24));
		if (!has)
			t.e[i].ecx &= ~(1u << 24);
		ASSERT_EQ(0, ioctl(v->fd, AXVM_SET_CPUID, &t));
		TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
		EXPECT_EQ(has ? LVT_DEADLINE : 0, uc.args[0]);
	}
}

TEST_HARNESS_MAIN
