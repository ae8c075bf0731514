// SPDX-License-Identifier: GPL-2.0
/*
 * AXVM_GET_VCPU_STATE and AXVM_SET_VCPU_STATE (api.rst, "vCPU state"):
 * the ArceOS axvcpu states a vCPU goes through (Created, Free, Ready,
 * Running, Blocked), read from another thread while RUN holds the vCPU,
 * and the architectural power state, which a guest sees through PSCI
 * AFFINITY_INFO (arm64) and SBI HSM HART_GET_STATUS (riscv64), and which
 * decides on x86 whether RUN sleeps for a SIPI.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <signal.h>

#include "axvm_util.h"
#include "axvm_harness.h"
#include "test_vm.h"

#define IOAPIC_GPA	0xfec00000ULL

FIXTURE(state) {
	struct test_vm *vm;
};

FIXTURE_SETUP(state)
{
	int sys = axvm_open();

	ASSERT_LE(0, sys) TH_LOG("/dev/axvm: %s", strerror(errno));
	close(sys);
	if (!test_can_run_guests())
		SKIP(return, "no guest entry on this lane");
	test_pin_self(0);
	self->vm = test_vm_create();
	ASSERT_NE(NULL, self->vm) TH_LOG("test_vm_create: %s",
					 strerror(errno));
}

FIXTURE_TEARDOWN(state)
{
	if (self->vm)
		test_vm_free(self->vm);
}

static struct axvm_vcpu_state get_state(int fd)
{
	struct axvm_vcpu_state s;

	memset(&s, 0xff, sizeof(s));
	if (ioctl(fd, AXVM_GET_VCPU_STATE, &s))
		s.state = 0;
	return s;
}

static int set_power(int fd, uint32_t power)
{
	struct axvm_vcpu_state s = { .power = power };

	return ioctl(fd, AXVM_SET_VCPU_STATE, &s);
}

static void on_usr1(int sig)
{
}

/* One ucall, then a loop that never exits by itself. */
GUEST_CODE static void guest_sync_then_spin(void)
{
	GUEST_SYNC(0);
	for (;;)
		;
}

struct runner {
	struct test_vcpu *v;
	int ret, err;
};

static void *run_thread(void *p)
{
	struct runner *r = p;

	r->ret = ioctl(r->v->fd, AXVM_RUN, 0);
	r->err = errno;
	return NULL;
}

/* RUN @v in a thread of its own; back once GET reports @state. */
static void run_until(struct __test_metadata *_metadata, struct runner *r,
		      pthread_t *t, struct test_vcpu *v, uint32_t state)
{
	struct sigaction sa = { .sa_handler = on_usr1 };

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	r->v = v;
	ASSERT_EQ(0, pthread_create(t, NULL, run_thread, r));
	while (get_state(v->fd).state != state)
		sched_yield();
}

/* A signal ends that RUN with EINTR; the thread is gone after. */
static void stop_run(struct __test_metadata *_metadata, struct runner *r,
		     pthread_t t)
{
	ASSERT_EQ(0, pthread_kill(t, SIGUSR1));
	ASSERT_EQ(0, pthread_join(t, NULL));
	EXPECT_EQ(-1, r->ret);
	EXPECT_EQ(EINTR, r->err);
}

/*
 * The axvcpu life: Created (no RUN yet), Ready after a RUN (its thread is
 * still on the vCPU's CPUs), Running while a thread is inside RUN, Free
 * when the thread RUN bound is gone or was re-pinned by someone else.
 * Only a RUN ever binds a thread, so Created is never seen again.
 */
TEST_F(state, created_ready_running_free)
{
	struct axvm_vcpu_state s;
	struct runner r = { 0 };
	struct test_vcpu *v;
	struct ucall uc;
	cpu_set_t all;
	pthread_t t;

	if (!self->vm)
		return;
	v = test_vcpu_add_default(self->vm, 0, guest_sync_then_spin, 0);
	ASSERT_NE(NULL, v);
	s = get_state(v->fd);
	EXPECT_EQ(AXVM_VCPU_STATE_CREATED, s.state);
	EXPECT_EQ(0, s.flags);
	EXPECT_EQ(0, s.reserved);
#ifdef __x86_64__
	/* No in-kernel APIC: RUN runs it, userspace does INIT and SIPI. */
	EXPECT_EQ(AXVM_POWER_ON, s.power);
#else
	/* PSCI and SBI HSM: a CPU is off until started (its first RUN). */
	EXPECT_EQ(AXVM_POWER_OFF, s.power);
#endif

	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	s = get_state(v->fd);
	EXPECT_EQ(AXVM_VCPU_STATE_READY, s.state);
	EXPECT_EQ(AXVM_POWER_ON, s.power);

	/* Another thread inside RUN, the guest spinning: Running. */
	run_until(_metadata, &r, &t, v, AXVM_VCPU_STATE_RUNNING);
	EXPECT_EQ(AXVM_POWER_ON, get_state(v->fd).power);
	stop_run(_metadata, &r, t);
	/* That thread, the one RUN bound last, has exited. */
	EXPECT_EQ(AXVM_VCPU_STATE_FREE, get_state(v->fd).state);

	/* This thread again; then the VMM widens its mask: no longer bound. */
	v->run->immediate_exit = 1;
	EXPECT_EQ(-1, ioctl(v->fd, AXVM_RUN, 0));
	v->run->immediate_exit = 0;
	EXPECT_EQ(AXVM_VCPU_STATE_READY, get_state(v->fd).state);
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "one CPU: every mask is the vCPU's");
	CPU_ZERO(&all);
	CPU_SET(0, &all);
	CPU_SET(1, &all);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(all), &all));
	EXPECT_EQ(AXVM_VCPU_STATE_FREE, get_state(v->fd).state);
}

#ifdef __aarch64__
/* A virtual timer a day away: WFI sleeps in the kernel. */
GUEST_CODE static void guest_halt(void)
{
	write_sysreg(read_sysreg(cntvct_el0) + 86400ULL *
		     read_sysreg(cntfrq_el0), cntv_cval_el0);
	write_sysreg(1, cntv_ctl_el0);
	isb();
	for (;;)
		wfi();
}
#elif defined(__riscv)
#define SBI_EXT_TIME	0x54494d45
/* A timer interrupt enabled, due far away: WFI sleeps in the kernel. */
GUEST_CODE static void guest_halt(void)
{
	csr_set(sie, 1UL << IRQ_S_TIMER);
	sbi_ecall(SBI_EXT_TIME, 0, ~0UL >> 1, 0, 0, 0, 0, 0);
	for (;;)
		wfi();
}
#else
/* With the in-kernel local APIC, HLT sleeps in the kernel. */
GUEST_CODE static void guest_halt(void)
{
	for (;;)
		hlt();
}
#endif

/* Asleep in the kernel inside RUN (a halt the kernel waits out): Blocked. */
TEST_F(state, blocked_while_halted)
{
	struct runner r = { 0 };
	struct test_vcpu *v;
	pthread_t t;

	if (!self->vm)
		return;
#ifdef __x86_64__
	{
		struct axvm_irqchip c = {
			.type = AXVM_IRQCHIP_X86, .nr_irqs = 24,
			.base = { IOAPIC_GPA }, .size = { 0x1000 },
		};

		ASSERT_EQ(0, ioctl(self->vm->fd, AXVM_CREATE_IRQCHIP, &c));
	}
#endif
	v = test_vcpu_add_default(self->vm, 0, guest_halt, 0);
	ASSERT_NE(NULL, v);
	run_until(_metadata, &r, &t, v, AXVM_VCPU_STATE_BLOCKED);
#ifdef __x86_64__
	EXPECT_EQ(AXVM_POWER_HALTED, get_state(v->fd).power);
#else
	EXPECT_EQ(AXVM_POWER_ON, get_state(v->fd).power);
#endif
	stop_run(_metadata, &r, t);
}

/*
 * api.rst: SET takes the power states the arch has; anything else, a
 * flag or a reserved field is EINVAL and changes nothing. ON_PENDING and
 * SUSPENDED are a guest's call in progress: never set.
 */
TEST_F(state, set_power_bad_arguments)
{
	struct axvm_vcpu_state s = { .power = AXVM_POWER_ON };
	struct test_vcpu *v;
	uint32_t p, before;

	if (!self->vm)
		return;
	v = test_vcpu_add_default(self->vm, 0, guest_sync_then_spin, 0);
	ASSERT_NE(NULL, v);
	before = get_state(v->fd).power;
	s.flags = 1;
	EXPECT_EQ(-1, ioctl(v->fd, AXVM_SET_VCPU_STATE, &s));
	EXPECT_EQ(EINVAL, errno);
	s.flags = 0;
	s.reserved = 1;
	EXPECT_EQ(-1, ioctl(v->fd, AXVM_SET_VCPU_STATE, &s));
	EXPECT_EQ(EINVAL, errno);
	for (p = AXVM_POWER_ON_PENDING; p <= AXVM_POWER_SUSPENDED + 1; p++) {
#ifdef __x86_64__
		/* x86 has these only with the in-kernel APIC (below). */
		if (p == AXVM_POWER_HALTED || p == AXVM_POWER_WAIT_SIPI) {
			EXPECT_EQ(-1, set_power(v->fd, p));
			EXPECT_EQ(EINVAL, errno);
			continue;
		}
#endif
		EXPECT_EQ(-1, set_power(v->fd, p)) TH_LOG("power %u", p);
		EXPECT_EQ(EINVAL, errno);
	}
	EXPECT_EQ(-1, set_power(v->fd, UINT32_MAX));
	EXPECT_EQ(EINVAL, errno);
#ifdef __x86_64__
	EXPECT_EQ(-1, set_power(v->fd, AXVM_POWER_OFF));
	EXPECT_EQ(EINVAL, errno);
#endif
	EXPECT_EQ(before, get_state(v->fd).power);
	EXPECT_EQ(-1, ioctl(v->fd, AXVM_GET_VCPU_STATE, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(v->fd, AXVM_SET_VCPU_STATE, NULL));
	EXPECT_EQ(EFAULT, errno);
}

#if defined(__aarch64__) || defined(__riscv)
#ifdef __aarch64__
#define PSCI_AFFINITY_INFO	0xc4000004ULL
/*
 * PSCI 1.0 5.1.8 AFFINITY_INFO: 0 ON, 1 OFF, 2 ON_PENDING, for the
 * target's MPIDR affinity at level 0.
 */
GUEST_CODE static void guest_ask_power(uint64_t target)
{
	for (;;)
		GUEST_SYNC(guest_hvc(PSCI_AFFINITY_INFO, target, 0, 0, 0, 0));
}
#else
#define SBI_EXT_HSM		0x48534d
/* SBI 2.0 9.3 HART_GET_STATUS: 0 STARTED, 1 STOPPED, 2 START_PENDING. */
GUEST_CODE static void guest_ask_power(uint64_t target)
{
	for (;;)
		GUEST_SYNC(sbi_ecall(SBI_EXT_HSM, 2, target, 0, 0, 0, 0,
				     0).value);
}
#endif

/*
 * What the VMM sets is what the guest's firmware interface reports for
 * that CPU (a restored VM's CPUs answer as they did before): PSCI's
 * AFFINITY_INFO and SBI's HART_GET_STATUS use 0 for on and 1 for off.
 */
TEST_F(state, set_power_is_what_the_guest_sees)
{
	struct test_vcpu *asker, *target;
	struct ucall uc;

	if (!self->vm)
		return;
	target = test_vcpu_add_default(self->vm, 1, guest_sync_then_spin, 0);
	ASSERT_NE(NULL, target);
	asker = test_vcpu_add_default(self->vm, 0, guest_ask_power, 1,
				      target->arch_id);
	ASSERT_NE(NULL, asker);
	TEST_RUN_UCALL(asker, &uc, UCALL_SYNC);
	EXPECT_EQ(1, uc.args[0]);		/* never run: off */
	ASSERT_EQ(0, set_power(target->fd, AXVM_POWER_ON));
	EXPECT_EQ(AXVM_POWER_ON, get_state(target->fd).power);
	TEST_RUN_UCALL(asker, &uc, UCALL_SYNC);
	EXPECT_EQ(0, uc.args[0]);
	ASSERT_EQ(0, set_power(target->fd, AXVM_POWER_OFF));
	EXPECT_EQ(AXVM_POWER_OFF, get_state(target->fd).power);
	TEST_RUN_UCALL(asker, &uc, UCALL_SYNC);
	EXPECT_EQ(1, uc.args[0]);
}
#endif

#ifdef __x86_64__
GUEST_CODE static void guest_sync(void)
{
	GUEST_SYNC(0);
}

/*
 * With the in-kernel APIC, WAIT_SIPI (SDM 8.4: an AP after INIT) makes
 * RUN sleep until a SIPI, as KVM_MP_STATE_INIT_RECEIVED does; ON runs.
 */
TEST_F(state, x86_wait_for_sipi_sleeps_in_run)
{
	struct axvm_irqchip c = {
		.type = AXVM_IRQCHIP_X86, .nr_irqs = 24,
		.base = { IOAPIC_GPA }, .size = { 0x1000 },
	};
	struct axvm_regs before, after;
	struct runner r = { 0 };
	struct test_vcpu *v;
	struct ucall uc;
	pthread_t t;

	if (!self->vm)
		return;
	ASSERT_EQ(0, ioctl(self->vm->fd, AXVM_CREATE_IRQCHIP, &c));
	v = test_vcpu_add_default(self->vm, 0, guest_sync, 0);
	ASSERT_NE(NULL, v);
	ASSERT_EQ(0, set_power(v->fd, AXVM_POWER_WAIT_SIPI));
	EXPECT_EQ(AXVM_POWER_WAIT_SIPI, get_state(v->fd).power);
	ASSERT_EQ(0, ioctl(v->fd, AXVM_GET_REGS, &before));
	run_until(_metadata, &r, &t, v, AXVM_VCPU_STATE_BLOCKED);
	EXPECT_EQ(AXVM_POWER_WAIT_SIPI, get_state(v->fd).power);
	stop_run(_metadata, &r, t);
	/* Its guest never ran: every register as it was. */
	ASSERT_EQ(0, ioctl(v->fd, AXVM_GET_REGS, &after));
	EXPECT_EQ(0, memcmp(&before, &after, sizeof(before)));
	ASSERT_EQ(0, set_power(v->fd, AXVM_POWER_ON));
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
}
#endif

TEST_HARNESS_MAIN
