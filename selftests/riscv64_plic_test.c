// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel PLIC (AXVM_IRQCHIP_PLIC): the checks of its ioctls, and
 * guests that program it as Linux does (priority, enable, threshold),
 * take a level interrupt raised with AXVM_IRQ_LINE while in WFI, claim
 * and complete it (pending again while the line stays high, not once it
 * is low), and route a source to another hart's context; a line
 * toggled from another CPU loses no wakeup. No access to the PLIC leaves
 * the kernel.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>
#include <time.h>

#include "axvm_util.h"
#include "test_vm.h"
#include "axvm_harness.h"

#define PLIC		0x0c000000ULL
#define PLIC_SIZE	0x4000000ULL
/* The smallest window: the contexts of harts 0 and 1. */
#define PLIC_SIZE_2	(0x200000ULL + 2 * 0x2000)
#define NR_IRQS		64	/* sources 1-63, two words of bits */

#define REG(off)	((volatile void *)(uintptr_t)(PLIC + (off)))
#define PRIO(s)		REG(4 * (s))
#define PENDING(w)	REG(0x1000 + 4 * (w))
#define ENABLE(c, w)	REG(0x2000 + 0x80 * (c) + 4 * (w))
#define THRESHOLD(c)	REG(0x200000 + 0x1000 * (c))
#define CLAIM(c)	REG(0x200000 + 0x1000 * (c) + 4)

/* Hart h's S-mode context. */
#define CTX(h)		(2 * (h) + 1)

#define SRC_A		10	/* word 0 */
#define SRC_B		33	/* word 1, bit 1 */
#define SEIP		(1UL << IRQ_S_EXT)
#define LINE_VSEIP	10	/* the AXVM_INJECT_IRQ line */

FIXTURE(plic) {
	struct test_vm *vm;
};

FIXTURE_SETUP(plic)
{
	int sys = axvm_open();

	ASSERT_GE(sys, 0);
	if (!(axvm_cap(sys, AXVM_CAP_IRQCHIP) & (1 << AXVM_IRQCHIP_PLIC)) ||
	    !TEST_HAVE_GUEST_LIB) {
		close(sys);
		SKIP(return, "no in-kernel PLIC on this lane");
	}
	close(sys);
	test_pin_self(0);
	self->vm = test_vm_create();
	ASSERT_NE(NULL, self->vm) TH_LOG("test_vm_create: %s", strerror(errno));
}

FIXTURE_TEARDOWN(plic)
{
	if (self->vm)
		test_vm_free(self->vm);
}

static struct axvm_irqchip plic_chip(uint64_t size)
{
	struct axvm_irqchip c = {
		.type = AXVM_IRQCHIP_PLIC,
		.nr_irqs = NR_IRQS,
		.base = { PLIC },
		.size = { size },
	};

	return c;
}

static int create_chip(struct test_vm *vm, struct axvm_irqchip c)
{
	return ioctl(vm->fd, AXVM_CREATE_IRQCHIP, &c) ? errno : 0;
}

static int irq_line(struct test_vm *vm, uint32_t irq, uint32_t level)
{
	struct axvm_irq_line l = { .irq = irq, .level = level };

	return ioctl(vm->fd, AXVM_IRQ_LINE, &l) ? errno : 0;
}

TEST_F(plic, create_checks_every_argument)
{
	struct axvm_irq irq = { LINE_VSEIP, AXVM_IRQ_LEVEL_HIGH };
	struct axvm_msi msi = { .address = 0xfee00000 };
	struct axvm_irqchip c;
	struct test_vm *busy;
	int sys, fd;

	if (!self->vm)
		return;
	sys = axvm_open();
	ASSERT_GE(sys, 0);
	EXPECT_EQ(1 << AXVM_IRQCHIP_PLIC, axvm_cap(sys, AXVM_CAP_IRQCHIP));
	close(sys);

	/* Lines need a chip first. */
	EXPECT_EQ(ENXIO, irq_line(self->vm, SRC_A, 1));

	c = plic_chip(PLIC_SIZE);
	c.reserved[0] = 1;
	EXPECT_EQ(EINVAL, create_chip(self->vm, c));
	c = plic_chip(PLIC_SIZE);
	c.type = 0;
	EXPECT_EQ(EINVAL, create_chip(self->vm, c));
	c.type = AXVM_IRQCHIP_GICV3;
	EXPECT_EQ(ENODEV, create_chip(self->vm, c));
	c.type = AXVM_IRQCHIP_X86;
	EXPECT_EQ(ENODEV, create_chip(self->vm, c));
	c = plic_chip(PLIC_SIZE);
	c.nr_irqs = 0;
	EXPECT_EQ(EINVAL, create_chip(self->vm, c));
	c.nr_irqs = 1;			/* no source at all */
	EXPECT_EQ(EINVAL, create_chip(self->vm, c));
	c.nr_irqs = 1025;
	EXPECT_EQ(EINVAL, create_chip(self->vm, c));
	c = plic_chip(PLIC_SIZE);
	c.base[0] = PLIC + 0x800;
	EXPECT_EQ(EINVAL, create_chip(self->vm, c));
	c = plic_chip(PLIC_SIZE - 0x800);
	EXPECT_EQ(EINVAL, create_chip(self->vm, c));
	c = plic_chip(0x201000);	/* no S-mode context for hart 0 */
	EXPECT_EQ(EINVAL, create_chip(self->vm, c));
	c = plic_chip(PLIC_SIZE + 0x1000);	/* past the whole map */
	EXPECT_EQ(EINVAL, create_chip(self->vm, c));
	c = plic_chip(PLIC_SIZE);
	c.base[0] = ~0ULL & ~0xfffULL;	/* past the guest's address space */
	EXPECT_EQ(EINVAL, create_chip(self->vm, c));
	c = plic_chip(PLIC_SIZE);
	c.base[1] = 0x20000000;		/* the PLIC has one window */
	c.size[1] = 0x1000;
	EXPECT_EQ(EINVAL, create_chip(self->vm, c));
	c = plic_chip(PLIC_SIZE);
	c.size[1] = 0x1000;
	EXPECT_EQ(EINVAL, create_chip(self->vm, c));

	ASSERT_EQ(0, create_chip(self->vm, plic_chip(PLIC_SIZE_2)));
	EXPECT_EQ(EEXIST, create_chip(self->vm, plic_chip(PLIC_SIZE_2)));

	/* Line 0 is no source; nr_irqs and level 2 are out of range. */
	EXPECT_EQ(EINVAL, irq_line(self->vm, 0, 1));
	EXPECT_EQ(EINVAL, irq_line(self->vm, NR_IRQS, 1));
	EXPECT_EQ(EINVAL, irq_line(self->vm, SRC_A, 2));
	EXPECT_EQ(0, irq_line(self->vm, SRC_A, 1));
	EXPECT_EQ(0, irq_line(self->vm, NR_IRQS - 1, 1));
	EXPECT_EQ(0, irq_line(self->vm, SRC_A, 0));
	EXPECT_EQ(-1, ioctl(self->vm->fd, AXVM_SIGNAL_MSI, &msi));
	EXPECT_EQ(ENXIO, errno);

	/* The window has contexts for harts 0 and 1 only. */
	EXPECT_EQ(-1, axvm_create_vcpu(self->vm->fd, 0, 2));
	EXPECT_EQ(EINVAL, errno);
	fd = axvm_create_vcpu(self->vm->fd, 0, 1);
	ASSERT_LE(0, fd);
	/* The PLIC drives VSEIP now. */
	EXPECT_EQ(-1, ioctl(fd, AXVM_INJECT_IRQ, &irq));
	EXPECT_EQ(EBUSY, errno);
	close(fd);

	/* Too late once a vCPU exists. */
	busy = test_vm_create();
	ASSERT_NE(NULL, busy);
	fd = axvm_create_vcpu(busy->fd, 0, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(EBUSY, create_chip(busy, plic_chip(PLIC_SIZE)));
	close(fd);
	test_vm_free(busy);
}

/* ------------------------------------------------------------------ */

static volatile uint64_t irq_count, irq_cause;
static volatile uint32_t irq_claimed, irq_pending;

/*
 * Under the lane's QEMU (7.2) a guest's sip read shows no SEIP raised
 * through hvip, though the interrupt is taken: the guest checks for the
 * interrupt by taking it, and the host reads the sip the kernel last
 * entered the guest with (AXVM_GET_SYSREG).
 */
static uint64_t vcpu_sip(struct test_vcpu *v)
{
	struct axvm_sysreg sr = { .id = AXVM_SYSREG_RISCV_CSR(0x144) };

	return ioctl(v->fd, AXVM_GET_SYSREG, &sr) ? ~0ULL : sr.value;
}

/* Claim in hart 0's context, and leave the completion to the guest. */
GUEST_CODE static void hart0_irq(struct ex_regs *regs)
{
	irq_cause = regs->cause;
	irq_claimed = readl(CLAIM(CTX(0)));
	irq_pending = readl(PENDING(0));
	irq_count++;
}

/* Interrupts on for a moment: how many the guest took. */
GUEST_CODE static uint64_t take_irqs(void)
{
	uint64_t before = irq_count;

	local_irq_enable();
	local_irq_disable();
	return irq_count - before;
}

GUEST_CODE static void guest_plic(void)
{
	uint32_t a, b, c, d;

	/* WARL: 3 priority bits; source 0, word 2 and M-mode are zero. */
	writel(0xff, PRIO(SRC_A));
	writel(1, PRIO(0));
	writel(~0U, ENABLE(CTX(0), 0));
	writel(~0U, ENABLE(CTX(0), 1));
	writel(~0U, ENABLE(CTX(0), 2));
	writel(~0U, ENABLE(0, 0));
	writel(~0U, THRESHOLD(CTX(0)));
	writel(3, THRESHOLD(0));
	GUEST_SYNC(readl(PRIO(SRC_A)), readl(PRIO(0)),
		   readl(ENABLE(CTX(0), 0)), readl(ENABLE(CTX(0), 1)));
	GUEST_SYNC(readl(ENABLE(CTX(0), 2)), readl(ENABLE(0, 0)),
		   readl(THRESHOLD(CTX(0))), readl(THRESHOLD(0)));
	/* Other widths do nothing. */
	writeq(~0UL, PRIO(SRC_B));
	writeb(5, PRIO(SRC_B));
	GUEST_SYNC(readl(PRIO(SRC_B)), readb(PRIO(SRC_A)), readw(PRIO(SRC_A)),
		   readq(CLAIM(CTX(0))));
	/* Contexts past hart 255, to the end of the window, do nothing. */
	writel(1, THRESHOLD(CTX(256)));
	writel(~0U, ENABLE(CTX(256), 0));
	writel(~0U, REG(PLIC_SIZE - 4));
	GUEST_SYNC(readl(THRESHOLD(CTX(256))), readl(ENABLE(CTX(256), 0)),
		   readl(REG(PLIC_SIZE - 4)), readl(CLAIM(CTX(255))));

	/* As Linux sets a source up. */
	writel(1, PRIO(SRC_A));
	writel(2, PRIO(SRC_B));
	writel(1U << SRC_A, ENABLE(CTX(0), 0));
	writel(1U << (SRC_B - 32), ENABLE(CTX(0), 1));
	writel(0, THRESHOLD(CTX(0)));
	csr_set(sie, SEIP);
	GUEST_SYNC(0);
	/* The host raises A while this sleeps in WFI. */
	while (!irq_count) {
		wfi();
		local_irq_enable();
		local_irq_disable();
	}
	GUEST_SYNC(irq_cause, irq_claimed, irq_pending);

	/* Completed with the line still high: pending again, and taken. */
	writel(SRC_A, CLAIM(CTX(0)));
	a = readl(PENDING(0));
	GUEST_SYNC(a);
	b = take_irqs();
	GUEST_SYNC(b, irq_claimed);
	/* Claimed again; the host lowered the line: done with it. */
	writel(SRC_A, CLAIM(CTX(0)));
	a = readl(PENDING(0));
	b = take_irqs();
	c = readl(CLAIM(CTX(0)));
	GUEST_SYNC(a, b, c);

	/* Raised, then lowered before a claim: withdrawn. */
	a = readl(PENDING(0));
	GUEST_SYNC(a);
	a = readl(PENDING(0));
	b = take_irqs();
	c = readl(CLAIM(CTX(0)));
	GUEST_SYNC(a, b, c);

	/* A and B high; the threshold lets only B (priority 2) through. */
	a = readl(PENDING(0));
	b = readl(PENDING(1));
	GUEST_SYNC(a, b);
	writel(1, THRESHOLD(CTX(0)));
	a = readl(CLAIM(CTX(0)));
	b = readl(CLAIM(CTX(0)));
	c = take_irqs();
	writel(2, THRESHOLD(CTX(0)));
	writel(a, CLAIM(CTX(0)));
	d = take_irqs();
	GUEST_SYNC(a, b, c, d);

	/* Equal priorities: the lower id first; a disabled source never. */
	writel(0, THRESHOLD(CTX(0)));
	writel(1, PRIO(SRC_B));
	a = readl(CLAIM(CTX(0)));
	b = readl(CLAIM(CTX(0)));
	c = readl(CLAIM(CTX(0)));
	writel(b, CLAIM(CTX(0)));
	writel(a, CLAIM(CTX(0)));
	writel(0, ENABLE(CTX(0), 0));
	d = readl(CLAIM(CTX(0)));
	GUEST_SYNC(a, b, c, d);

	/* B is claimed: a completion while it is not enabled is ignored. */
	writel(0, ENABLE(CTX(0), 1));
	writel(SRC_B, CLAIM(CTX(0)));
	writel(1U << (SRC_B - 32), ENABLE(CTX(0), 1));
	a = readl(PENDING(1));
	writel(SRC_B, CLAIM(CTX(0)));
	GUEST_SYNC(a, readl(PENDING(1)));
}

struct raiser {
	struct test_vm *vm;
	int ret;
};

static void *raise_later(void *p)
{
	struct raiser *r = p;
	struct timespec ts = { 0, 50 * 1000 * 1000 };

	nanosleep(&ts, NULL);
	r->ret = irq_line(r->vm, SRC_A, 1);
	return NULL;
}

TEST_F(plic, level_source_claim_complete)
{
	struct raiser r = { self->vm, -1 };
	struct axvm_exit_stats st;
	struct test_vcpu *v;
	struct ucall uc;
	pthread_t t;

	if (!self->vm)
		return;

	ASSERT_EQ(0, create_chip(self->vm, plic_chip(PLIC_SIZE)));
	test_vm_set_irq_handler(self->vm, hart0_irq);
	v = test_vcpu_add(self->vm, 0, 0, NULL, guest_plic, 0);
	ASSERT_NE(NULL, v);

	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(7, uc.args[0]);
	EXPECT_EQ(0, uc.args[1]);
	EXPECT_EQ(0xfffffffe, uc.args[2]);	/* source 0 does not exist */
	EXPECT_EQ(0xffffffff, uc.args[3]);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(0, uc.args[0]);
	EXPECT_EQ(0, uc.args[1]);
	EXPECT_EQ(7, uc.args[2]);
	EXPECT_EQ(0, uc.args[3]);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(0, uc.args[0]);
	EXPECT_EQ(0, uc.args[1]);
	EXPECT_EQ(0, uc.args[2]);
	EXPECT_EQ(0, uc.args[3]);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(0, uc.args[0]);
	EXPECT_EQ(0, uc.args[1]);
	EXPECT_EQ(0, uc.args[2]);
	EXPECT_EQ(0, uc.args[3]);

	/* Raised from another thread while the vCPU sleeps in the kernel. */
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	ASSERT_EQ(0, pthread_create(&t, NULL, raise_later, &r));
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	pthread_join(t, NULL);
	EXPECT_EQ(0, r.ret);
	EXPECT_EQ((1ULL << 63) | IRQ_S_EXT, uc.args[0]);
	EXPECT_EQ(SRC_A, uc.args[1]);
	EXPECT_EQ(0, uc.args[2]);		/* claimed: not pending */
	EXPECT_EQ(0, vcpu_sip(v));		/* nor VSEIP */

	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(1U << SRC_A, uc.args[0]);
	EXPECT_EQ(SEIP, vcpu_sip(v));
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(1, uc.args[0]);
	EXPECT_EQ(SRC_A, uc.args[1]);
	ASSERT_EQ(0, irq_line(self->vm, SRC_A, 0));
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(0, uc.args[0]);
	EXPECT_EQ(0, uc.args[1]);
	EXPECT_EQ(0, uc.args[2]);		/* nothing to claim */
	EXPECT_EQ(0, vcpu_sip(v));

	ASSERT_EQ(0, irq_line(self->vm, SRC_A, 1));
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(1U << SRC_A, uc.args[0]);
	EXPECT_EQ(SEIP, vcpu_sip(v));
	ASSERT_EQ(0, irq_line(self->vm, SRC_A, 0));
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(0, uc.args[0]);
	EXPECT_EQ(0, uc.args[1]);
	EXPECT_EQ(0, uc.args[2]);

	ASSERT_EQ(0, irq_line(self->vm, SRC_A, 1));
	ASSERT_EQ(0, irq_line(self->vm, SRC_B, 1));
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(1U << SRC_A, uc.args[0]);
	EXPECT_EQ(1U << (SRC_B - 32), uc.args[1]);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(SRC_B, uc.args[0]);
	EXPECT_EQ(0, uc.args[1]);		/* A's 1 is not above 1 */
	EXPECT_EQ(0, uc.args[2]);
	EXPECT_EQ(0, uc.args[3]);		/* B again, but not above 2 */
	EXPECT_EQ(0, vcpu_sip(v));
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(SRC_A, uc.args[0]);
	EXPECT_EQ(SRC_B, uc.args[1]);
	EXPECT_EQ(0, uc.args[2]);
	EXPECT_EQ(SRC_B, uc.args[3]);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(0, uc.args[0]);		/* still claimed */
	EXPECT_EQ(1U << (SRC_B - 32), uc.args[1]);
	TEST_RUN_UCALL(v, &uc, UCALL_DONE);

	/* Every PLIC access was handled in the kernel. */
	ASSERT_EQ(0, ioctl(v->fd, AXVM_GET_EXIT_STATS, &st));
	EXPECT_LE(50, st.count[AXVM_EXIT_MMIO]);
}

/* ------------------------------------------------------------------ */

static volatile uint32_t hart1_claimed;

/* Hart 1 claims and completes in its own context. */
GUEST_CODE static void hart1_irq(struct ex_regs *regs)
{
	uint32_t s = readl(CLAIM(CTX(1)));

	if (s)
		hart1_claimed = s;
	writel(s, CLAIM(CTX(1)));
	/* The line stays high: keep the source off from now on. */
	writel(0, ENABLE(CTX(1), 0));
}

GUEST_CODE static void guest_hart1(void)
{
	csr_set(sie, SEIP);
	GUEST_SYNC(0);
	while (!hart1_claimed) {
		wfi();
		local_irq_enable();
		local_irq_disable();
	}
	GUEST_SYNC(hart1_claimed);
}

/* Hart 0 routes a pending source to hart 1's context, not its own. */
GUEST_CODE static void guest_hart0(void)
{
	writel(1, PRIO(SRC_A));
	GUEST_SYNC(readl(PENDING(0)));
	writel(1U << SRC_A, ENABLE(CTX(1), 0));
	GUEST_SYNC(readl(CLAIM(CTX(0))));
}

struct hart1 {
	struct test_vcpu *v;
	uint64_t claimed;
	int ready, ok;
};

static void *hart1_thread(void *p)
{
	struct hart1 *h = p;
	struct ucall uc;

	if (test_vcpu_run_ucall(h->v, &uc) != UCALL_SYNC)
		return NULL;
	__atomic_store_n(&h->ready, 1, __ATOMIC_RELEASE);
	if (test_vcpu_run_ucall(h->v, &uc) != UCALL_SYNC)
		return NULL;
	h->claimed = uc.args[0];
	h->ok = 1;
	return NULL;
}

TEST_F(plic, route_to_another_hart)
{
	uint64_t mask[AXVM_AFFINITY_WORDS];
	struct hart1 h = { 0 };
	struct test_vcpu *v0;
	struct ucall uc;
	int cpu = sysconf(_SC_NPROCESSORS_ONLN) > 1 ? 1 : 0;
	pthread_t t;

	if (!self->vm)
		return;

	ASSERT_EQ(0, create_chip(self->vm, plic_chip(PLIC_SIZE)));
	test_vm_set_irq_handler(self->vm, hart1_irq);
	test_affinity_of(mask, 0);
	v0 = test_vcpu_add(self->vm, 0, 0, mask, guest_hart0, 0);
	ASSERT_NE(NULL, v0);
	test_affinity_of(mask, cpu);
	h.v = test_vcpu_add(self->vm, 1, 1, mask, guest_hart1, 0);
	ASSERT_NE(NULL, h.v);

	ASSERT_EQ(0, irq_line(self->vm, SRC_A, 1));
	ASSERT_EQ(0, pthread_create(&t, NULL, hart1_thread, &h));
	/* Wait as long as it takes: the test's timeout bounds it. */
	while (!__atomic_load_n(&h.ready, __ATOMIC_ACQUIRE))
		usleep(1000);
	/* Give hart 1 time to reach WFI. */
	usleep(20000);
	TEST_RUN_UCALL(v0, &uc, UCALL_SYNC);
	EXPECT_EQ(1U << SRC_A, uc.args[0]);	/* pending, enabled nowhere */
	EXPECT_EQ(0, vcpu_sip(v0));
	TEST_RUN_UCALL(v0, &uc, UCALL_SYNC);
	EXPECT_EQ(0, uc.args[0]);		/* not hart 0's */
	EXPECT_EQ(0, vcpu_sip(v0));
	TEST_RUN_UCALL(v0, &uc, UCALL_DONE);
	pthread_join(t, NULL);
	EXPECT_TRUE(h.ok);
	EXPECT_EQ(SRC_A, h.claimed);
}

/* ------------------------------------------------------------------ */

#define IRQS_WANTED	200

/* Claim and complete at once, whatever the line does meanwhile. */
GUEST_CODE static void claim_complete_irq(struct ex_regs *regs)
{
	uint32_t s = readl(CLAIM(CTX(0)));

	if (s == SRC_A)
		irq_count++;
	writel(s, CLAIM(CTX(0)));
}

GUEST_CODE static void guest_many_irqs(void)
{
	writel(1, PRIO(SRC_A));
	writel(1U << SRC_A, ENABLE(CTX(0), 0));
	csr_set(sie, SEIP);
	while (irq_count < IRQS_WANTED) {
		wfi();
		local_irq_enable();
		local_irq_disable();
	}
	GUEST_SYNC(irq_count);
}

struct toggler {
	struct test_vm *vm;
	pthread_t vcpu_thread;
	volatile int stop;
	int toggles, errors;
};

static void *toggle_thread(void *p)
{
	struct toggler *t = p;

	test_pin_self(sysconf(_SC_NPROCESSORS_ONLN) > 1 ? 1 : 0);
	for (t->toggles = 0; !t->stop && t->toggles < 50000; t->toggles++) {
		t->errors += !!irq_line(t->vm, SRC_A, 1);
		usleep(20);
		t->errors += !!irq_line(t->vm, SRC_A, 0);
		usleep(200);
	}
	/* A vCPU still asleep lost a wakeup: end its RUN. */
	if (!t->stop)
		pthread_kill(t->vcpu_thread, SIGALRM);
	return NULL;
}

static void on_alarm(int sig)
{
}

/*
 * A line going up and down from another CPU while the guest sleeps in
 * WFI, claims and completes: no wakeup is lost, nothing hangs.
 */
TEST_F(plic, line_toggling_from_another_cpu)
{
	struct toggler tog = { .vm = self->vm };
	struct sigaction sa = { .sa_handler = on_alarm };
	struct test_vcpu *v;
	struct ucall uc;
	pthread_t t;

	if (!self->vm)
		return;

	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	ASSERT_EQ(0, create_chip(self->vm, plic_chip(PLIC_SIZE)));
	test_vm_set_irq_handler(self->vm, claim_complete_irq);
	v = test_vcpu_add(self->vm, 0, 0, NULL, guest_many_irqs, 0);
	ASSERT_NE(NULL, v);
	tog.vcpu_thread = pthread_self();
	ASSERT_EQ(0, pthread_create(&t, NULL, toggle_thread, &tog));
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	tog.stop = 1;
	pthread_join(t, NULL);
	/* Level: a line still high after the completion interrupts again. */
	EXPECT_LE(IRQS_WANTED, uc.args[0]);
	EXPECT_EQ(0, tog.errors);
	TH_LOG("%d raises for %llu interrupts", tog.toggles,
	       (unsigned long long)uc.args[0]);
}

/* ------------------------------------------------------------------ */

GUEST_CODE static void guest_wfi_forever(void)
{
	wfi();
	GUEST_SYNC(1);
}

/*
 * With a PLIC, WFI sleeps in the kernel even when the guest enables no
 * interrupt: only a signal ends the run, and the guest then goes on.
 */
TEST_F(plic, wfi_sleeps_in_kernel)
{
	struct itimerval it = { .it_value = { 0, 100 * 1000 } };
	struct sigaction sa = { .sa_handler = on_alarm };
	struct test_vcpu *v;
	struct ucall uc;

	if (!self->vm)
		return;

	ASSERT_EQ(0, create_chip(self->vm, plic_chip(PLIC_SIZE)));
	v = test_vcpu_add(self->vm, 0, 0, NULL, guest_wfi_forever, 0);
	ASSERT_NE(NULL, v);
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
	EXPECT_EQ(-EINTR, test_vcpu_run(v));
	EXPECT_EQ(AXVM_EXIT_INTR, v->run->exit_reason);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
}

TEST_HARNESS_MAIN
