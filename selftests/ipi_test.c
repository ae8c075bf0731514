// SPDX-License-Identifier: GPL-2.0
/*
 * AXVM_CAP_USER_IPI (AXVM_ENABLE_CAP): the IPIs a vCPU sends become
 * AXVM_EXIT_IPI, which this test, as the VMM, delivers with
 * AXVM_INJECT_IRQ. Three vCPUs: vCPU 0 sends every form of IPI its
 * architecture has, vCPUs 1 and 2 (each in a thread of its own) and
 * vCPU 0 itself count what they take. The exits' fields are checked
 * against the registers' definitions, and the targets are worked out
 * from the fields alone, by this file's reading of api.rst: a kernel that
 * decoded a field wrongly sends an interrupt to the wrong vCPU, and the
 * counts say so. Every interrupt is counted exactly once: a delivery
 * that stayed pending after the guest took it (a level where the
 * architecture has an edge) is counted again.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/axvm.h>

#include "axvm_harness.h"
#include "axvm_util.h"
#include "test_vm.h"
#ifdef __aarch64__
#include "aarch64_gic.h"
#endif

#define NR_VCPUS	3

/* Guest memory: what each vCPU took, and where its stack is. */
static volatile uint64_t taken[NR_VCPUS];	/* a bit per vector */
static volatile uint64_t count[NR_VCPUS];
static uint64_t stack_top[NR_VCPUS];	/* set before any run */

#if defined(__aarch64__)
#define ICC_SGI1R_EL1	s3_0_c12_c11_5
#define ICC_ASGI1R_EL1	s3_0_c12_c11_6
#define ICC_SGI0R_EL1	s3_0_c12_c11_7
/* ICC_SGI1R_EL1's fields (GICv3 12.2.22). */
#define SGI(intid)	((uint64_t)(intid) << 24)
#define AFF1(a)		((uint64_t)(a) << 16)
#define AFF2(a)		((uint64_t)(a) << 32)
#define IRM		(1ULL << 40)
#define RS(r)		((uint64_t)(r) << 44)
#define AFF3(a)		((uint64_t)(a) << 48)
#define SP_OF(r)	((r)->sp)
#define BIT_OF(v)	(v)			/* INTIDs 0-15 */
#elif defined(__riscv)
#define SBI_EXT_IPI	0x735049
#define SBI_ERR_INVALID_PARAM	-3
#define VSSIP		2			/* the INJECT_IRQ line */
#define SP_OF(r)	((r)->regs[2])
#define BIT_OF(v)	(v)
#else
#define APIC_ICR_LO	((volatile void *)0xfee00300UL)
#define APIC_ICR_HI	((volatile void *)0xfee00310UL)
#define APIC_EOI	((volatile void *)0xfee000b0UL)
#define APIC_EOI_GPA	0xfee000b0ULL
/* ICR low (SDM Figure 10-12). */
#define DM_NMI		(4U << 8)
#define LEVEL_ASSERT	(1U << 14)
#define SH_SELF		(1U << 18)
#define SH_ALL		(2U << 18)
#define SH_OTHERS	(3U << 18)
#define DEST(id)	((uint32_t)(id) << 24)
#define SP_OF(r)	((r)->rsp)
#define BIT_OF(v)	((v) - 0x40)		/* vectors 0x40-0x7f */
#define NMI_BIT		63
#endif

/* Which vCPU's stack the interrupted code ran on. */
GUEST_CODE static int guest_me(uint64_t sp)
{
	int i;

	for (i = 0; i < NR_VCPUS; i++)
		if (sp <= stack_top[i] && sp > stack_top[i] - TEST_STACK_SIZE)
			return i;
	GUEST_FAIL("an interrupt on no vCPU's stack");
	return 0;
}

GUEST_CODE static void guest_took(struct ex_regs *regs, unsigned int bit)
{
	int me = guest_me(SP_OF(regs));

	taken[me] |= 1ULL << bit;
	count[me]++;
}

#if defined(__aarch64__)
GUEST_CODE static void on_irq(struct ex_regs *regs)
{
	uint32_t iar = guest_gic_ack();

	guest_took(regs, BIT_OF(TEST_GIC_INTID(iar)));
	guest_gic_eoi(iar);
}

GUEST_CODE static void guest_irqs_on(void)
{
	guest_gic_init();
}

GUEST_CODE static void guest_wait(void)
{
	wfi();
	local_irq_enable();
	local_irq_disable();
}
#elif defined(__riscv)
GUEST_CODE static void on_irq(struct ex_regs *regs)
{
	GUEST_ASSERT_EQ(regs->cause, SCAUSE_IRQ | IRQ_S_SOFT);
	/* SBI 2.0 sPI: the receiver clears its own sip.SSIP. */
	csr_clear(sip, 1UL << IRQ_S_SOFT);
	guest_took(regs, BIT_OF(VSSIP));
}

GUEST_CODE static void guest_irqs_on(void)
{
	csr_set(sie, 1UL << IRQ_S_SOFT);
}

GUEST_CODE static void guest_wait(void)
{
	wfi();
	local_irq_enable();
	local_irq_disable();
}

GUEST_CODE static long guest_send_ipi(unsigned long mask, unsigned long base)
{
	return sbi_ecall(SBI_EXT_IPI, 0, mask, base, 0, 0, 0, 0).error;
}
#else
GUEST_CODE static void on_irq(struct ex_regs *regs)
{
	guest_took(regs, BIT_OF(regs->vector));
	/* The rest of the APIC page is the VMM's: an MMIO exit. */
	writel(0, APIC_EOI);
}

GUEST_CODE static void on_nmi(struct ex_regs *regs)
{
	GUEST_ASSERT_EQ(regs->vector, NMI_VECTOR);
	guest_took(regs, NMI_BIT);
}

GUEST_CODE static void guest_irqs_on(void)
{
}

GUEST_CODE static void guest_wait(void)
{
	safe_halt();
	local_irq_disable();
}

GUEST_CODE static void guest_icr(uint32_t hi, uint32_t lo)
{
	writel(hi, APIC_ICR_HI);
	writel(lo, APIC_ICR_LO);
}
#endif

/* vCPUs 1 and 2: ready, then take @want interrupts and report them. */
GUEST_CODE static void guest_receiver(uint64_t me, uint64_t want)
{
	local_irq_disable();
	guest_irqs_on();
	GUEST_SYNC(0);
	while (count[me] < want)
		guest_wait();
	GUEST_SYNC(taken[me], count[me]);
}

/* vCPU 0: every form of IPI, then the @want sent to itself. */
GUEST_CODE static void guest_sender(uint64_t want)
{
	local_irq_disable();
	guest_irqs_on();
#if defined(__aarch64__)
	write_sysreg(SGI(1) | 0x2, ICC_SGI1R_EL1);
	write_sysreg(SGI(2) | 0x6, ICC_SGI1R_EL1);
	write_sysreg(SGI(3) | IRM | 0x7, ICC_SGI1R_EL1);
	write_sysreg(SGI(4) | AFF3(1) | AFF2(2) | AFF1(3) | RS(1) | 0x8001,
		     ICC_SGI1R_EL1);
	write_sysreg(SGI(5) | 0x1, ICC_SGI1R_EL1);
	/* Not Group 1 of this Security state: sysreg exits. */
	write_sysreg(SGI(6) | 0x2, ICC_ASGI1R_EL1);
	write_sysreg(SGI(7) | 0x2, ICC_SGI0R_EL1);
#elif defined(__riscv)
	GUEST_ASSERT_EQ(guest_send_ipi(0x2, 0), 0);
	GUEST_ASSERT_EQ(guest_send_ipi(0x3, 1), 0);
	GUEST_ASSERT_EQ(guest_send_ipi(0, -1UL), 0);
	/* SBI 2.0, 7.1: a hartid that is no hart: INVALID_PARAM, no IPI. */
	GUEST_ASSERT_EQ(guest_send_ipi(0x9, 0), SBI_ERR_INVALID_PARAM);
	GUEST_ASSERT_EQ(guest_send_ipi(0x1, 64), SBI_ERR_INVALID_PARAM);
#else
	guest_icr(DEST(1), 0x40);
	guest_icr(DEST(2), LEVEL_ASSERT | 0x41);
	guest_icr(0, SH_OTHERS | 0x42);
	guest_icr(0, SH_SELF | 0x43);
	guest_icr(0, SH_ALL | 0x44);
	guest_icr(DEST(2), DM_NMI);
	/* What was written reads back; the delivery status is idle. */
	GUEST_ASSERT_EQ(readl(APIC_ICR_HI), DEST(2));
	GUEST_ASSERT_EQ(readl(APIC_ICR_LO), DM_NMI);
	/* Reserved bits 31:20, 13:12 are not the VMM's to see. */
	guest_icr(DEST(2), 0xfff03045);
	GUEST_ASSERT_EQ(readl(APIC_ICR_LO), 0x45);
#endif
	while (count[0] < want)
		guest_wait();
	GUEST_SYNC(taken[0], count[0]);
}

/* The exit each send must make, and who takes what. */
struct expect {
	uint64_t target_cpu, target_cpu_aux;
	uint8_t all, self;
	uint32_t vector;
};

#if defined(__aarch64__)
static const struct expect sends[] = {
	{ 0, 0x2, 0, 0, 1 },
	{ 0, 0x6, 0, 0, 2 },
	{ 0, 0, 1, 0, 3 },		/* IRM: the list is ignored */
	{ 1ULL << 32 | 2 << 16 | 3 << 8 | 16, 0x8001, 0, 0, 4 },
	{ 0, 0x1, 0, 0, 5 },
};

static const uint64_t want_taken[NR_VCPUS] = {
	1 << 5, 1 << 1 | 1 << 2 | 1 << 3, 1 << 2 | 1 << 3,
};

static const uint64_t want_count[NR_VCPUS] = { 1, 3, 2 };
#elif defined(__riscv)
static const struct expect sends[] = {
	{ 0, 0x2, 0, 0, VSSIP },
	{ 1, 0x3, 0, 0, VSSIP },
	{ 0, 0, 1, 1, VSSIP },		/* hart_mask_base -1: every hart */
};

static const uint64_t want_taken[NR_VCPUS] = {
	1 << VSSIP, 1 << VSSIP, 1 << VSSIP,
};

static const uint64_t want_count[NR_VCPUS] = { 1, 3, 2 };
#else
static const struct expect sends[] = {
	{ 1, 0x40, 0, 0, 0x40 },
	{ 2, 0x4041, 0, 0, 0x41 },
	{ 0, 0xc0042, 1, 0, 0x42 },
	{ 0, 0x40043, 0, 1, 0x43 },
	{ 0, 0x80044, 1, 1, 0x44 },
	{ 2, 0x400, 0, 0, 0 },
	{ 2, 0x45, 0, 0, 0x45 },
};

#define B(v)	(1ULL << BIT_OF(v))
static const uint64_t want_taken[NR_VCPUS] = {
	B(0x43) | B(0x44),
	B(0x40) | B(0x42) | B(0x44),
	B(0x41) | B(0x42) | B(0x44) | 1ULL << NMI_BIT | B(0x45),
};

static const uint64_t want_count[NR_VCPUS] = { 2, 3, 5 };
#endif

/* The vCPUs an exit names, read as api.rst says (bit i: vCPU i). */
static unsigned int ipi_targets(const struct axvm_run *run,
				unsigned int sender)
{
	unsigned int i, mask = 0;

	if (run->ipi.send_to_all)
		mask |= ((1U << NR_VCPUS) - 1) & ~(1U << sender);
	if (run->ipi.send_to_self)
		mask |= 1U << sender;
	if (run->ipi.send_to_all || run->ipi.send_to_self)
		return mask;
	for (i = 0; i < NR_VCPUS; i++) {
#if defined(__x86_64__)
		if (run->ipi.target_cpu == axvm_arch_id(i))
			mask |= 1U << i;
#else
		uint64_t n = axvm_arch_id(i) - run->ipi.target_cpu;

		if (axvm_arch_id(i) >= run->ipi.target_cpu && n < 64 &&
		    run->ipi.target_cpu_aux & (1ULL << n))
			mask |= 1U << i;
#endif
	}
	return mask;
}

/* Deliver it as a VMM does: the vector, or on x86 an NMI if so sent. */
static int ipi_deliver(struct test_vcpu *v, const struct axvm_run *run)
{
	struct axvm_irq irq = { run->ipi.vector, AXVM_IRQ_LEVEL_HIGH };

#if defined(__x86_64__)
	if ((run->ipi.target_cpu_aux & 0x700) == DM_NMI)
		return ioctl(v->fd, AXVM_NMI, 0);
#endif
	return ioctl(v->fd, AXVM_INJECT_IRQ, &irq);
}

struct receiver {
	struct test_vcpu *v;
	volatile int ready, done;
	uint64_t taken, count;
	long long mmio;		/* x86: EOI writes, the VMM's */
	char fail[512];
};

static void *receiver_thread(void *p)
{
	struct receiver *r = p;
	struct ucall uc;
	int ret;

	for (;;) {
		ret = test_vcpu_run(r->v);
		if (ret) {
			snprintf(r->fail, sizeof(r->fail), "RUN: %d", ret);
			break;
		}
		if (r->v->run->exit_reason == AXVM_EXIT_HALT)
			continue;
#if defined(__x86_64__)
		if (r->v->run->exit_reason == AXVM_EXIT_MMIO &&
		    r->v->run->mmio.phys_addr == APIC_EOI_GPA &&
		    r->v->run->mmio.is_write) {
			r->mmio++;
			continue;
		}
#endif
		if (test_get_ucall(r->v, &uc) != UCALL_SYNC) {
			test_vcpu_describe(r->v, &uc, r->fail,
					   sizeof(r->fail));
			break;
		}
		if (!r->ready) {
			__atomic_store_n(&r->ready, 1, __ATOMIC_RELEASE);
			continue;
		}
		r->taken = uc.args[0];
		r->count = uc.args[1];
		break;
	}
	__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static int enable_user_ipi(int vm_fd)
{
	struct axvm_enable_cap cap = { .cap = AXVM_CAP_USER_IPI };

	return ioctl(vm_fd, AXVM_ENABLE_CAP, &cap);
}

/* Wait until vCPU @i has taken @n interrupts; the test's timeout bounds it. */
static void wait_count(struct test_vm *vm, struct receiver *r,
		       unsigned int i, uint64_t n)
{
	/* The guest's own copy, as it changes. */
	volatile uint64_t *c = test_gpa2hva(vm, (uintptr_t)&count[i]);

	for (;;) {
		if (*c >= n ||
		    __atomic_load_n(&r->done, __ATOMIC_ACQUIRE))
			return;
		usleep(1000);
	}
}

FIXTURE(ipi) {
	struct test_vm *vm;
	int cap;
};

FIXTURE_SETUP(ipi)
{
	int sys;

	self->vm = NULL;
	if (!test_can_run_guests())
		SKIP(return, "this lane runs no guests");
	sys = axvm_open();
	ASSERT_LE(0, sys);
	self->cap = axvm_cap(sys, AXVM_CAP_USER_IPI);
	close(sys);
	self->vm = test_vm_create();
	ASSERT_NE(NULL, self->vm);
}

FIXTURE_TEARDOWN(ipi)
{
	if (self->vm)
		test_vm_free(self->vm);
}

/*
 * AXVM_ENABLE_CAP checks every argument: an unknown or not enableable
 * capability, flags or arguments are EINVAL, a bad pointer EFAULT; the
 * capability and an in-kernel irqchip exclude each other both ways
 * (EBUSY), as does a VM that has vCPUs already.
 */
TEST_F(ipi, enable_cap_arguments)
{
	struct axvm_enable_cap cap = { .cap = AXVM_CAP_USER_IPI };
	int sys = axvm_open(), vm, chips, type;
	struct axvm_irqchip chip;

	if (!self->vm)
		return;
	ASSERT_LE(0, sys);
	vm = ioctl(sys, AXVM_CREATE_VM, 0);
	ASSERT_LE(0, vm);
	EXPECT_ERRNO(EFAULT, ioctl(vm, AXVM_ENABLE_CAP, NULL));
	cap.cap = 0;
	EXPECT_ERRNO(EINVAL, ioctl(vm, AXVM_ENABLE_CAP, &cap));
	cap.cap = AXVM_CAP_ARCH;	/* a capability, not one to enable */
	EXPECT_ERRNO(EINVAL, ioctl(vm, AXVM_ENABLE_CAP, &cap));
	cap.cap = 0xffff;
	EXPECT_ERRNO(EINVAL, ioctl(vm, AXVM_ENABLE_CAP, &cap));
	cap.cap = AXVM_CAP_USER_IPI;
	cap.flags = 1;
	EXPECT_ERRNO(EINVAL, ioctl(vm, AXVM_ENABLE_CAP, &cap));
	cap.flags = 0;
	cap.args[3] = 1;
	EXPECT_ERRNO(EINVAL, ioctl(vm, AXVM_ENABLE_CAP, &cap));
	cap.args[3] = 0;
	if (self->cap != 1) {
		/* An arm64 host with a GICv2: no INJECT_IRQ to deliver by. */
		EXPECT_EQ(0, self->cap);
		EXPECT_ERRNO(EINVAL, ioctl(vm, AXVM_ENABLE_CAP, &cap));
		close(vm);
		close(sys);
		return;
	}
	EXPECT_EQ(0, ioctl(vm, AXVM_ENABLE_CAP, &cap));
	EXPECT_EQ(0, ioctl(vm, AXVM_ENABLE_CAP, &cap));	/* stays on */

	chips = axvm_cap(sys, AXVM_CAP_IRQCHIP);
	memset(&chip, 0, sizeof(chip));
#if defined(__aarch64__)
	type = AXVM_IRQCHIP_GICV3;
	chip.base[0] = 0x08000000;
	chip.size[0] = 0x10000;
	chip.base[1] = 0x080a0000;
	chip.size[1] = 0x20000;
#elif defined(__riscv)
	type = AXVM_IRQCHIP_PLIC;
	chip.base[0] = 0x0c000000;
	chip.size[0] = 0x4000000;
#else
	type = AXVM_IRQCHIP_X86;
	chip.base[0] = 0xfec00000;
	chip.size[0] = 0x1000;
#endif
	chip.type = type;
	chip.nr_irqs = 24;
	if (chips & (1 << type))
		EXPECT_ERRNO(EBUSY, ioctl(vm, AXVM_CREATE_IRQCHIP, &chip));
	ASSERT_LE(0, axvm_create_vcpu(vm, 0, axvm_arch_id(0)));
	EXPECT_ERRNO(EBUSY, ioctl(vm, AXVM_ENABLE_CAP, &cap));
	close(vm);

	/* The irqchip first: the capability is EBUSY. */
	if (chips & (1 << type)) {
		vm = ioctl(sys, AXVM_CREATE_VM, 0);
		ASSERT_LE(0, vm);
		ASSERT_EQ(0, ioctl(vm, AXVM_CREATE_IRQCHIP, &chip));
		EXPECT_ERRNO(EBUSY, ioctl(vm, AXVM_ENABLE_CAP, &cap));
		close(vm);
	}
	close(sys);
}

/*
 * Every form of IPI vCPU 0 sends, checked as an exit and delivered to
 * the vCPUs it names:
 *  arm64, ICC_SGI1R_EL1 (GICv3 12.2.22): TargetList bit n is the PE
 *  Aff3.Aff2.Aff1.(RS * 16 + n); IRM 1 "Interrupts routed to all PEs in
 *  the system, excluding 'self'". ICC_ASGI1R_EL1 and ICC_SGI0R_EL1 are
 *  not Group 1 of this Security state: sysreg exits.
 *  riscv64, SBI 2.0 sPI send_ipi: hart_mask_base + n for each bit n of
 *  hart_mask, "hart_mask_base ... -1 ... all available harts"; a hartid
 *  that is not valid is SBI_ERR_INVALID_PARAM, with no exit.
 *  x86, the xAPIC ICR (SDM 10.6.1): destination in bits 63:56, sent by
 *  the write of the low half; shorthand 01 self, 10 all including self,
 *  11 all excluding self; delivery mode 100 NMI.
 */
TEST_F_TIMEOUT(ipi, sends_every_form_and_the_vmm_delivers, 120)
{
	struct receiver r[NR_VCPUS] = { 0 };
	uint64_t delivered[NR_VCPUS] = { 0 };
	struct test_vcpu *v[NR_VCPUS];
	unsigned int i, k, targets;
	struct ucall uc;
	pthread_t th[NR_VCPUS];
	const uint64_t *want = want_count;

	if (!self->vm)
		return;
	if (self->cap != 1)
		SKIP(return, "no AXVM_CAP_USER_IPI (an arm64 host with a GICv2)");
	ASSERT_EQ(0, enable_user_ipi(self->vm->fd));
#if defined(__aarch64__)
	ASSERT_EQ(TEST_GIC_LR, test_gic_setup(self->vm));
#elif defined(__x86_64__)
	test_vm_set_sync_handler(self->vm, on_nmi);
#endif
	test_vm_set_irq_handler(self->vm, on_irq);
	v[0] = test_vcpu_add_default(self->vm, 0, guest_sender, 1, want[0]);
	ASSERT_NE(NULL, v[0]);
	for (i = 1; i < NR_VCPUS; i++) {
		v[i] = test_vcpu_add_default(self->vm, i, guest_receiver, 2,
					     (uint64_t)i, want[i]);
		ASSERT_NE(NULL, v[i]);
	}
	for (i = 0; i < NR_VCPUS; i++)
		stack_top[i] = v[i]->stack_top;
	sync_global_to_guest(self->vm, stack_top);

	for (i = 1; i < NR_VCPUS; i++) {
		r[i].v = v[i];
		ASSERT_EQ(0, pthread_create(&th[i], NULL, receiver_thread,
					    &r[i]));
	}
	/* Receivers ready first: an IPI to a vCPU not yet set up waits. */
	for (i = 1; i < NR_VCPUS; i++)
		while (!__atomic_load_n(&r[i].ready, __ATOMIC_ACQUIRE) &&
		       !__atomic_load_n(&r[i].done, __ATOMIC_ACQUIRE))
			usleep(1000);

	for (k = 0; k < ARRAY_SIZE(sends); k++) {
		const struct expect *e = &sends[k];
		struct axvm_run *run = v[0]->run;

		ASSERT_EQ(AXVM_EXIT_IPI, test_vcpu_run_exit(v[0]))
			TH_LOG("send %u: exit %u", k, run->exit_reason);
		EXPECT_EQ(e->target_cpu, run->ipi.target_cpu) TH_LOG("send %u", k);
		EXPECT_EQ(e->target_cpu_aux, run->ipi.target_cpu_aux)
			TH_LOG("send %u", k);
		EXPECT_EQ(e->all, run->ipi.send_to_all) TH_LOG("send %u", k);
		EXPECT_EQ(e->self, run->ipi.send_to_self) TH_LOG("send %u", k);
		EXPECT_EQ(e->vector, run->ipi.vector) TH_LOG("send %u", k);
		EXPECT_EQ(0, run->ipi.padding[0] | run->ipi.padding[1]);
		targets = ipi_targets(run, 0);
		for (i = 0; i < NR_VCPUS; i++) {
			if (!(targets & (1U << i)))
				continue;
			ASSERT_EQ(0, ipi_deliver(v[i], run)) TH_LOG("send %u", k);
			delivered[i]++;
		}
		/*
		 * One at a time: a second IPI of the same vector to a vCPU
		 * that has not taken the first yet would be the same one.
		 */
		for (i = 1; i < NR_VCPUS; i++)
			wait_count(self->vm, &r[i], i, delivered[i]);
	}
#if defined(__aarch64__)
	ASSERT_EQ(AXVM_EXIT_SYSREG, test_vcpu_run_exit(v[0]));
	EXPECT_EQ(AXVM_SYSREG_ARM64(3, 0, 12, 11, 6), v[0]->run->sysreg.id);
	EXPECT_EQ(SGI(6) | 0x2, v[0]->run->sysreg.value);
	ASSERT_EQ(AXVM_EXIT_SYSREG, test_vcpu_run_exit(v[0]));
	EXPECT_EQ(AXVM_SYSREG_ARM64(3, 0, 12, 11, 7), v[0]->run->sysreg.id);
#endif
	/* Its own: halts, and on x86 the EOI writes, between. */
	for (;;) {
		i = test_vcpu_run_exit(v[0]);
		if (i == AXVM_EXIT_HALT)
			continue;
#if defined(__x86_64__)
		if (i == AXVM_EXIT_MMIO &&
		    v[0]->run->mmio.phys_addr == APIC_EOI_GPA)
			continue;
#endif
		break;
	}
	ASSERT_EQ(UCALL_SYNC, test_get_ucall(v[0], &uc))
		TH_LOG("vCPU 0: exit %u", v[0]->run->exit_reason);
	EXPECT_EQ(want_taken[0], uc.args[0]);
	EXPECT_EQ(want[0], uc.args[1]);
	EXPECT_EQ((long long)ARRAY_SIZE(sends),
		  axvm_exit_count(v[0]->fd, AXVM_EXIT_IPI));

	for (i = 1; i < NR_VCPUS; i++) {
		ASSERT_EQ(0, pthread_join(th[i], NULL));
		EXPECT_STREQ("", r[i].fail) TH_LOG("vCPU %u", i);
		EXPECT_EQ(want_taken[i], r[i].taken) TH_LOG("vCPU %u", i);
		EXPECT_EQ(want[i], r[i].count) TH_LOG("vCPU %u", i);
		EXPECT_EQ(0, axvm_exit_count(v[i]->fd, AXVM_EXIT_IPI));
#if defined(__x86_64__)
		/* Each interrupt's EOI, not the NMI's, reached the VMM. */
		EXPECT_EQ((long long)r[i].count -
			  !!(want_taken[i] & 1ULL << NMI_BIT), r[i].mmio)
			TH_LOG("vCPU %u", i);
#endif
	}
	/* Every delivery was taken once, no more: counts match deliveries. */
	for (i = 0; i < NR_VCPUS; i++)
		EXPECT_EQ(delivered[i], want[i]) TH_LOG("vCPU %u", i);
}

/* Without the capability the same first send is what it always was. */
GUEST_CODE static void guest_send_once(void)
{
	local_irq_disable();
	guest_irqs_on();
#if defined(__aarch64__)
	write_sysreg(SGI(1) | 0x2, ICC_SGI1R_EL1);
#elif defined(__riscv)
	/* To itself: the kernel's own IPI, taken once interrupts are on. */
	GUEST_ASSERT_EQ(guest_send_ipi(0x1, 0), 0);
	while (count[0] < 1)
		guest_wait();
#else
	guest_icr(DEST(1), 0x40);
#endif
	GUEST_SYNC(count[0]);
}

/*
 * Deny by default: a VM that did not enable AXVM_CAP_USER_IPI keeps
 * the exits it had: arm64's ICC_SGI1R_EL1 write is a sysreg exit (no
 * distributor), x86's ICR write an MMIO exit of its high half first,
 * and riscv64's SBI IPI is the kernel's.
 */
TEST_F(ipi, without_the_cap_nothing_changes)
{
	struct test_vcpu *v;
	struct ucall uc;

	if (!self->vm)
		return;
#if defined(__aarch64__)
	if (test_gic_setup(self->vm) != TEST_GIC_LR)
		SKIP(return, "the GICv2 irqchip handles the SGIs");
#endif
	test_vm_set_irq_handler(self->vm, on_irq);
	stack_top[0] = 0;
	v = test_vcpu_add_default(self->vm, 0, guest_send_once, 0);
	ASSERT_NE(NULL, v);
	stack_top[0] = v->stack_top;
	sync_global_to_guest(self->vm, stack_top);
#if defined(__aarch64__)
	ASSERT_EQ(AXVM_EXIT_SYSREG, test_vcpu_run_exit(v));
	EXPECT_EQ(AXVM_SYSREG_ARM64(3, 0, 12, 11, 5), v->run->sysreg.id);
	EXPECT_EQ(1, v->run->sysreg.is_write);
	EXPECT_EQ(SGI(1) | 0x2, v->run->sysreg.value);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(0, uc.args[0]);
#elif defined(__riscv)
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(1, uc.args[0]);
#else
	ASSERT_EQ(AXVM_EXIT_MMIO, test_vcpu_run_exit(v));
	EXPECT_EQ(0xfee00310ULL, v->run->mmio.phys_addr);
	EXPECT_EQ(1, v->run->mmio.is_write);
	EXPECT_EQ(DEST(1), v->run->mmio.data);
	ASSERT_EQ(AXVM_EXIT_MMIO, test_vcpu_run_exit(v));
	EXPECT_EQ(0xfee00300ULL, v->run->mmio.phys_addr);
	EXPECT_EQ(0x40, v->run->mmio.data);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(0, uc.args[0]);
#endif
	EXPECT_EQ(0, axvm_exit_count(v->fd, AXVM_EXIT_IPI));
}

TEST_HARNESS_MAIN
