// SPDX-License-Identifier: GPL-2.0
/*
 * arm64 guests written in C (selftests/lib): hypercalls, MMIO of every
 * width, trapped system registers, PSCI, WFI, the register ioctls,
 * FP/SIMD isolation, GICv3 injection, the virtual timer, SMP with
 * pinning, the unhandled-exit syndrome, ID registers, FP registers
 * through the ioctls, a wild guest SP_EL0 across the world switch.
 * guest_run_test has what every arch shares.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "axvm_util.h"
#include "test_vm.h"
#include "axvm_harness.h"

#define MMIO		0x10000000ULL
#define EXTRA_GPA	0x80000000ULL

#define PSCI_VERSION_FN		0x84000000ULL
#define PSCI_CPU_OFF_FN		0x84000002ULL
#define PSCI_CPU_ON_FN		0xc4000003ULL
#define PSCI_AFFINITY_FN	0xc4000004ULL
#define PSCI_SYSTEM_OFF_FN	0x84000008ULL
#define PSCI_SYSTEM_RESET_FN	0x84000009ULL
#define PSCI_FEATURES_FN	0x8400000aULL

#define SYSREG(op0, op1, crn, crm, op2) AXVM_SYSREG_ARM64(op0, op1, crn, crm, op2)

/* GICv3 CPU interface, by encoding: the assembler may not know names. */
#define ICC_PMR_EL1	s3_0_c4_c6_0
#define ICC_IAR1_EL1	s3_0_c12_c12_0
#define ICC_EOIR1_EL1	s3_0_c12_c12_1
#define ICC_IGRPEN1_EL1	s3_0_c12_c12_7

FIXTURE(arm64) {
	struct test_vm *vm;
};

FIXTURE_SETUP(arm64)
{
	int sys = axvm_open();

	ASSERT_GE(sys, 0);
	if (!axvm_cap(sys, AXVM_CAP_RUN) || !TEST_HAVE_GUEST_LIB) {
		close(sys);
		SKIP(return, "no guest entry on this lane");
	}
	close(sys);
	test_pin_self(0);
	self->vm = test_vm_create();
	ASSERT_NE(NULL, self->vm) TH_LOG("test_vm_create: %s", strerror(errno));
}

FIXTURE_TEARDOWN(arm64)
{
	if (self->vm)
		test_vm_free(self->vm);
}

/* ------------------------------------------------------------------ */

GUEST_CODE static void guest_hypercall(void)
{
	uint64_t ret = guest_hvc(0x1234, 1, 2, 3, 4, 5);

	GUEST_ASSERT_EQ(ret, 41);
	/* SMC reaches the same place, past the instruction. */
	ret = guest_smc(0x4321, 6, 0, 0, 0, 0);
	GUEST_ASSERT_EQ(ret, 42);
}

TEST_F(arm64, hypercall)
{
	struct test_vcpu *v = test_vcpu_add_default(self->vm, 0,
						    guest_hypercall, 0);
	struct ucall uc;

	ASSERT_NE(NULL, v);
	ASSERT_EQ(AXVM_EXIT_HYPERCALL, test_vcpu_run_exit(v));
	EXPECT_EQ(0x1234, v->run->hypercall.nr);
	EXPECT_EQ(1, v->run->hypercall.args[0]);
	EXPECT_EQ(5, v->run->hypercall.args[4]);
	v->run->hypercall.ret = 41;
	ASSERT_EQ(AXVM_EXIT_HYPERCALL, test_vcpu_run_exit(v));
	EXPECT_EQ(0x4321, v->run->hypercall.nr);
	EXPECT_EQ(6, v->run->hypercall.args[0]);
	v->run->hypercall.ret = 42;
	TEST_RUN_UCALL(v, &uc, UCALL_DONE);
}

/* ------------------------------------------------------------------ */

/*
 * SP_EL0 is the guest's own register (Arm ARM: the EL0 stack pointer),
 * and the host's arm64 Linux keeps its current task in it: the world
 * switch must never let host code run with the guest's value. The
 * guest puts an address inside the host kernel's image there and exits
 * again and again; on a debug kernel (DEBUG_PREEMPT, KCOV, lockdep read
 * current on that path) a host that used it would write through it and
 * crash, which the lane's log check reports. The value must come back.
 */
#define HOSTILE_SP_EL0	0xffff800008000000ULL

GUEST_CODE static void guest_hostile_sp_el0(void)
{
	uint64_t v;
	int i;

	asm volatile("msr sp_el0, %0" : : "r" (HOSTILE_SP_EL0));
	for (i = 0; i < 50; i++) {
		GUEST_SYNC(i);
		asm volatile("mrs %0, sp_el0" : "=r" (v));
		GUEST_ASSERT_EQ(v, HOSTILE_SP_EL0);
	}
}

TEST_F(arm64, guest_sp_el0_never_reaches_the_host)
{
	struct test_vcpu *v = test_vcpu_add_default(self->vm, 0,
						    guest_hostile_sp_el0, 0);
	struct ucall uc;
	int i;

	ASSERT_NE(NULL, v);
	for (i = 0; i < 50; i++) {
		TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
		EXPECT_EQ(HOSTILE_SP_EL0,
			  axvm_get_sysreg(v->fd, AXVM_SYSREG_ARM64(3, 0, 4, 1, 0)));
	}
	TEST_RUN_UCALL(v, &uc, UCALL_DONE);
}

/* ------------------------------------------------------------------ */

GUEST_CODE static void guest_mmio(void)
{
	volatile void *m = (volatile void *)MMIO;
	uint64_t x;
	uint32_t w;

	writeb(0xab, m);
	GUEST_ASSERT_EQ(readw(m + 2), 0xbeef);
	asm volatile("ldrsb %x0, [%1]" : "=r" (x) : "r" (m + 4) : "memory");
	GUEST_ASSERT_EQ(x, 0xffffffffffffff80ULL);
	asm volatile("ldrsh %w0, [%1]" : "=r" (w) : "r" (m + 6) : "memory");
	asm volatile("mov %x0, %x1" : "=r" (x) : "r" (w));
	GUEST_ASSERT_EQ(x, 0xffff8001ULL);
	asm volatile("ldrsw %x0, [%1]" : "=r" (x) : "r" (m + 8) : "memory");
	GUEST_ASSERT_EQ(x, 0xffffffff80000000ULL);
	GUEST_ASSERT_EQ(readq(m + 16), 0x1122334455667788ULL);
	writel(0x55667788, m + 24);
	writeq(0, m + 32);	/* from XZR */
	asm volatile("ldr xzr, [%0]" : : "r" (m + 40) : "memory");
	writew(0x1234, m + 48);
}

static void expect_mmio(struct __test_metadata *_metadata,
			struct test_vcpu *v, uint64_t off, int len, int write,
			uint64_t data, int reg)
{
	ASSERT_EQ(AXVM_EXIT_MMIO, test_vcpu_run_exit(v));
	EXPECT_EQ(MMIO + off, v->run->mmio.phys_addr);
	EXPECT_EQ(len, v->run->mmio.len);
	EXPECT_EQ(write, v->run->mmio.is_write);
	if (reg >= 0)
		EXPECT_EQ(reg, v->run->mmio.reg);
	if (!write) {
		v->run->mmio.data = data;
		return;
	}
	EXPECT_EQ(data, v->run->mmio.data);
}

TEST_F(arm64, mmio_widths_and_sign_extension)
{
	struct test_vcpu *v = test_vcpu_add_default(self->vm, 0, guest_mmio, 0);
	struct ucall uc;

	ASSERT_NE(NULL, v);
	expect_mmio(_metadata, v, 0, 1, 1, 0xab, -1);
	/* Only the access width counts of what userspace gives back. */
	expect_mmio(_metadata, v, 2, 2, 0, 0x1234beef, -1);
	expect_mmio(_metadata, v, 4, 1, 0, 0x80, -1);
	EXPECT_EQ(1, v->run->mmio.sign_extend);
	expect_mmio(_metadata, v, 6, 2, 0, 0x8001, -1);
	EXPECT_EQ(1, v->run->mmio.sign_extend);
	expect_mmio(_metadata, v, 8, 4, 0, 0x80000000, -1);
	expect_mmio(_metadata, v, 16, 8, 0, 0x1122334455667788ULL, -1);
	expect_mmio(_metadata, v, 24, 4, 1, 0x55667788, -1);
	expect_mmio(_metadata, v, 32, 8, 1, 0, 31);
	expect_mmio(_metadata, v, 40, 8, 0, 0x99, 31);
	expect_mmio(_metadata, v, 48, 2, 1, 0x1234, -1);
	TEST_RUN_UCALL(v, &uc, UCALL_DONE);
}

/* ------------------------------------------------------------------ */

GUEST_CODE static void guest_sysreg_trap(void)
{
	/* MDSCR_EL1 traps (MDCR_EL2.TDA): a read, then a write. */
	GUEST_ASSERT_EQ(read_sysreg(mdscr_el1), 0x1234);
	write_sysreg(0x55, mdscr_el1);
}

TEST_F(arm64, sysreg_exit)
{
	struct test_vcpu *v = test_vcpu_add_default(self->vm, 0,
						    guest_sysreg_trap, 0);
	struct ucall uc;

	ASSERT_NE(NULL, v);
	ASSERT_EQ(AXVM_EXIT_SYSREG, test_vcpu_run_exit(v));
	EXPECT_EQ(SYSREG(2, 0, 0, 2, 2), v->run->sysreg.id);
	EXPECT_EQ(0, v->run->sysreg.is_write);
	v->run->sysreg.value = 0x1234;
	ASSERT_EQ(AXVM_EXIT_SYSREG, test_vcpu_run_exit(v));
	EXPECT_EQ(SYSREG(2, 0, 0, 2, 2), v->run->sysreg.id);
	EXPECT_EQ(1, v->run->sysreg.is_write);
	EXPECT_EQ(0x55, v->run->sysreg.value);
	TEST_RUN_UCALL(v, &uc, UCALL_DONE);
}

/* ------------------------------------------------------------------ */

GUEST_CODE static void guest_psci(uint64_t absent)
{
	GUEST_ASSERT_EQ(guest_hvc(PSCI_VERSION_FN, 0, 0, 0, 0, 0), 0x10000);
	GUEST_ASSERT_EQ(guest_smc(PSCI_VERSION_FN, 0, 0, 0, 0, 0), 0x10000);
	GUEST_ASSERT_EQ(guest_hvc(PSCI_FEATURES_FN, PSCI_CPU_ON_FN, 0, 0, 0,
				  0), 0);
	/* Not the kernel's: userspace answers (-1, NOT_SUPPORTED here). */
	GUEST_ASSERT_EQ(guest_hvc(PSCI_FEATURES_FN, PSCI_AFFINITY_FN, 0, 0,
				  0, 0), (uint64_t)-1);
	/* No such vCPU: INVALID_PARAMETERS without an exit. */
	GUEST_ASSERT_EQ(guest_hvc(PSCI_CPU_ON_FN, absent, 0x1000, 0, 0, 0),
			(uint64_t)-2);
	GUEST_SYNC(1);
	guest_hvc(PSCI_SYSTEM_RESET_FN, 0, 0, 0, 0, 0);
	guest_hvc(PSCI_SYSTEM_OFF_FN, 0, 0, 0, 0, 0);
	GUEST_FAIL("SYSTEM_OFF returned");
}

TEST_F(arm64, psci)
{
	struct test_vcpu *v = test_vcpu_add_default(self->vm, 0, guest_psci,
						    1, axvm_arch_id(7));
	struct axvm_exit_stats st;
	struct ucall uc;

	ASSERT_NE(NULL, v);
	ASSERT_EQ(AXVM_EXIT_HYPERCALL, test_vcpu_run_exit(v));
	EXPECT_EQ(PSCI_FEATURES_FN, v->run->hypercall.nr);
	EXPECT_EQ(PSCI_AFFINITY_FN, v->run->hypercall.args[0]);
	v->run->hypercall.ret = -1;
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	ASSERT_EQ(AXVM_EXIT_SYSTEM_DOWN, test_vcpu_run_exit(v));
	EXPECT_EQ(AXVM_SYSTEM_DOWN_RESET, v->run->system_down.type);
	ASSERT_EQ(AXVM_EXIT_SYSTEM_DOWN, test_vcpu_run_exit(v));
	EXPECT_EQ(AXVM_SYSTEM_DOWN_POWEROFF, v->run->system_down.type);
	/* VERSION twice, FEATURES, CPU_ON: answered in the kernel. */
	ASSERT_EQ(0, ioctl(v->fd, AXVM_GET_EXIT_STATS, &st));
	EXPECT_GE(st.count[AXVM_EXIT_HYPERCALL], 5);
}

/* ------------------------------------------------------------------ */

static volatile int secondary_cpu = -1;

GUEST_CODE static void guest_secondary(uint64_t ctx)
{
	GUEST_SYNC(read_sysreg(mpidr_el1) & 0xffffff, ctx);
	guest_hvc(PSCI_CPU_OFF_FN, 0, 0, 0, 0, 0);
	GUEST_FAIL("CPU_OFF returned");
}

GUEST_CODE static void guest_primary(uint64_t target)
{
	GUEST_SYNC(read_sysreg(mpidr_el1) & 0xffffff);
	GUEST_ASSERT_EQ(guest_hvc(PSCI_CPU_ON_FN, target,
				  (uint64_t)guest_secondary, 0x77, 0, 0), 0);
}

struct vcpu_thread {
	struct __test_metadata *meta;
	struct test_vcpu *v;
	int want_cpu, bad_cpu, syncs;
	uint64_t mpidr, ctx;
	int down;
};

static void *secondary_thread(void *p)
{
	struct vcpu_thread *t = p;
	struct ucall uc;

	for (;;) {
		int r = test_vcpu_run_exit(t->v);

		if (sched_getcpu() != t->want_cpu)
			t->bad_cpu++;
		if (r == AXVM_EXIT_CPU_DOWN) {
			t->down = 1;
			break;
		}
		if (test_get_ucall(t->v, &uc) != UCALL_SYNC)
			break;
		t->syncs++;
		t->mpidr = uc.args[0];
		t->ctx = uc.args[1];
	}
	return NULL;
}

/*
 * Two vCPUs pinned to CPU 0 and CPU 1: each reports its MPIDR from the
 * guest and runs only there as seen from the host; the first brings the
 * second up with PSCI CPU_ON, the second stops with CPU_OFF.
 */
TEST_F(arm64, smp_cpu_on_and_pinning)
{
	uint64_t mask0[AXVM_AFFINITY_WORDS], mask1[AXVM_AFFINITY_WORDS];
	struct vcpu_thread t = { .want_cpu = 1 };
	struct test_vcpu *v0, *v1;
	struct ucall uc;
	pthread_t th;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "needs 2 CPUs");
	test_affinity_of(mask0, 0);
	test_affinity_of(mask1, 1);
	v0 = test_vcpu_add(self->vm, 0, axvm_arch_id(0), mask0, guest_primary,
			   1, axvm_arch_id(1));
	v1 = test_vcpu_add(self->vm, 1, axvm_arch_id(1), mask1, guest_secondary,
			   1, 0);
	ASSERT_NE(NULL, v0);
	ASSERT_NE(NULL, v1);

	TEST_RUN_UCALL(v0, &uc, UCALL_SYNC);
	EXPECT_EQ(axvm_arch_id(0), uc.args[0]);
	EXPECT_EQ(0, sched_getcpu());
	ASSERT_EQ(AXVM_EXIT_CPU_UP, test_vcpu_run_exit(v0));
	EXPECT_EQ(axvm_arch_id(1), v0->run->cpu_up.target);
	EXPECT_EQ((uint64_t)guest_secondary, v0->run->cpu_up.entry);
	EXPECT_EQ(0x77, v0->run->cpu_up.arg);

	ASSERT_EQ(0, test_vcpu_set_entry(v1, (void *)v0->run->cpu_up.entry, 1,
					 v0->run->cpu_up.arg));
	t.v = v1;
	ASSERT_EQ(0, pthread_create(&th, NULL, secondary_thread, &t));
	TEST_RUN_UCALL(v0, &uc, UCALL_DONE);
	EXPECT_EQ(0, sched_getcpu());
	ASSERT_EQ(0, pthread_join(th, NULL));

	EXPECT_EQ(1, t.syncs);
	EXPECT_EQ(axvm_arch_id(1), t.mpidr);
	EXPECT_EQ(0x77, t.ctx);
	EXPECT_EQ(1, t.down);
	EXPECT_EQ(0, t.bad_cpu);
}

/* ------------------------------------------------------------------ */

GUEST_CODE static void guest_wfi(void)
{
	/* Timer off, interrupts masked: nothing in the kernel can wake it. */
	wfi();
	GUEST_SYNC(7);
}

TEST_F(arm64, wfi_without_wake_source_exits)
{
	struct test_vcpu *v = test_vcpu_add_default(self->vm, 0, guest_wfi, 0);
	struct ucall uc;

	ASSERT_NE(NULL, v);
	ASSERT_EQ(AXVM_EXIT_HALT, test_vcpu_run_exit(v));
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(7, uc.args[0]);
}

/* ------------------------------------------------------------------ */

/* Values userspace sets, the guest checks, then replaces with ~value. */
static const struct {
	uint64_t id;
	uint64_t val;
} regs_in[] = {
	{ SYSREG(3, 0, 13, 0, 4), 0x1111 },	/* TPIDR_EL1 */
	{ SYSREG(3, 3, 13, 0, 2), 0x2222 },	/* TPIDR_EL0 */
	{ SYSREG(3, 3, 13, 0, 3), 0x3333 },	/* TPIDRRO_EL0 */
	{ SYSREG(3, 0, 13, 0, 1), 0x44 },	/* CONTEXTIDR_EL1 */
	{ SYSREG(3, 0, 4, 0, 1), 0x5550 },	/* ELR_EL1 */
	{ SYSREG(3, 0, 6, 0, 0), 0x6660 },	/* FAR_EL1 */
	{ SYSREG(3, 0, 2, 0, 1), 0x7000 },	/* TTBR1_EL1 */
	{ SYSREG(3, 0, 7, 4, 0), 0x88 },	/* PAR_EL1 */
	{ SYSREG(3, 3, 14, 3, 2), 0x123456 },	/* CNTV_CVAL_EL0 */
	{ SYSREG(3, 0, 4, 1, 0), 0x9990 },	/* SP_EL0 */
};

GUEST_CODE static void guest_regs(uint64_t x0, uint64_t x1)
{
	GUEST_ASSERT_EQ(x0, 0xa0);
	GUEST_ASSERT_EQ(x1, 0xa1);
	GUEST_ASSERT_EQ(read_sysreg(tpidr_el1), 0x1111);
	GUEST_ASSERT_EQ(read_sysreg(tpidr_el0), 0x2222);
	GUEST_ASSERT_EQ(read_sysreg(tpidrro_el0), 0x3333);
	GUEST_ASSERT_EQ(read_sysreg(contextidr_el1), 0x44);
	GUEST_ASSERT_EQ(read_sysreg(elr_el1), 0x5550);
	GUEST_ASSERT_EQ(read_sysreg(far_el1), 0x6660);
	GUEST_ASSERT_EQ(read_sysreg(ttbr1_el1), 0x7000);
	GUEST_ASSERT_EQ(read_sysreg(par_el1), 0x88);
	GUEST_ASSERT_EQ(read_sysreg(cntv_cval_el0), 0x123456);
	GUEST_ASSERT_EQ(read_sysreg(sp_el0), 0x9990);
	GUEST_ASSERT_EQ(read_sysreg(mpidr_el1), (1ULL << 31) | 0x102);
	write_sysreg(~0x1111ULL, tpidr_el1);
	write_sysreg(~0x2222ULL, tpidr_el0);
	write_sysreg(~0x3333ULL, tpidrro_el0);
	write_sysreg(0x45, contextidr_el1);
	write_sysreg(~0x5550ULL, elr_el1);
	write_sysreg(~0x6660ULL, far_el1);
	write_sysreg(0x8000, ttbr1_el1);
	write_sysreg(0x99, par_el1);
	write_sysreg(0x654321, cntv_cval_el0);
	write_sysreg(~0x9990ULL, sp_el0);
	GUEST_SYNC(0);
}

TEST_F(arm64, registers)
{
	static const uint64_t out[] = { ~0x1111ULL, ~0x2222ULL, ~0x3333ULL,
		0x45, ~0x5550ULL, ~0x6660ULL, 0x8000, 0x99, 0x654321,
		~0x9990ULL };
	struct test_vcpu *v = test_vcpu_add(self->vm, 0, 0x102, NULL,
					    guest_regs, 2, 0xa0ULL, 0xa1ULL);
	struct axvm_sysreg sr;
	struct axvm_regs regs;
	struct ucall uc;
	unsigned int i;

	ASSERT_NE(NULL, v);
	for (i = 0; i < ARRAY_SIZE(regs_in); i++) {
		sr.id = regs_in[i].id;
		sr.value = regs_in[i].val;
		ASSERT_EQ(0, ioctl(v->fd, AXVM_SET_SYSREG, &sr));
	}
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	for (i = 0; i < ARRAY_SIZE(regs_in); i++) {
		sr.id = regs_in[i].id;
		ASSERT_EQ(0, ioctl(v->fd, AXVM_GET_SYSREG, &sr));
		EXPECT_EQ(out[i], sr.value) TH_LOG("register %u", i);
	}
	/* The PC is past the ucall's HVC, in guest_regs's range. */
	ASSERT_EQ(0, ioctl(v->fd, AXVM_GET_REGS, &regs));
	EXPECT_GT(regs.pc, (uint64_t)0x400000);
	EXPECT_EQ(0x3c5, regs.pstate & 0x3cf);
}

/* ------------------------------------------------------------------ */

/*
 * SP_EL0 is the host's `current` too: the world switch holds the guest's
 * value in it between loading the guest and restoring the host, and no
 * code there may use `current`. With CONFIG_DEBUG_PREEMPT, this_cpu_ptr()
 * did (the preempt count), and a wild guest SP_EL0 oopsed the host or
 * corrupted its memory. Found by ioctl_fuzz_test; on a non-debug kernel
 * this passed before the fix too.
 */
GUEST_CODE static void guest_wild_sp_el0(void)
{
	static const uint64_t wild[] = { 0, 0x10, 0xdead000000000000ULL,
					 ~0ULL, 0x0000ffffffff0000ULL };
	unsigned int i, round;

	for (round = 0; round < 4; round++)
		for (i = 0; i < ARRAY_SIZE(wild); i++) {
			write_sysreg(wild[i], sp_el0);
			GUEST_SYNC(i);
			GUEST_ASSERT_EQ(read_sysreg(sp_el0), wild[i]);
		}
}

TEST_F(arm64, wild_guest_sp_el0_across_exits)
{
	struct test_vcpu *v = test_vcpu_add_default(self->vm, 0,
						    guest_wild_sp_el0, 0);
	struct ucall uc;
	unsigned int n;

	ASSERT_NE(NULL, v);
	for (n = 0; n < 20; n++) {
		TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
		EXPECT_EQ(n % 5, uc.args[0]);
	}
	TEST_RUN_UCALL(v, &uc, UCALL_DONE);
	/* The guest's last value came back through the exit. */
	EXPECT_EQ(0x0000ffffffff0000ULL,
		  axvm_get_sysreg(v->fd, SYSREG(3, 0, 4, 1, 0)));
}

/* ------------------------------------------------------------------ */

/* Fill V0-V31 from @seed, exit @rounds times, check they survived. */
__attribute__((noinline)) static void guest_fp(uint64_t seed, uint64_t rounds)
{
	uint64_t bad = 0, i;

	for (i = 0; i < rounds; i++) {
		asm volatile("	dup	v0.2d, %x0\n"
		"	mov	v1.16b, v0.16b\n	mov	v2.16b, v0.16b\n"
		"	mov	v3.16b, v0.16b\n	mov	v4.16b, v0.16b\n"
		"	mov	v5.16b, v0.16b\n	mov	v6.16b, v0.16b\n"
		"	mov	v7.16b, v0.16b\n	mov	v8.16b, v0.16b\n"
		"	mov	v9.16b, v0.16b\n	mov	v10.16b, v0.16b\n"
		"	mov	v11.16b, v0.16b\n	mov	v12.16b, v0.16b\n"
		"	mov	v13.16b, v0.16b\n	mov	v14.16b, v0.16b\n"
		"	mov	v15.16b, v0.16b\n	mov	v16.16b, v0.16b\n"
		"	mov	v31.16b, v0.16b\n"
		: : "r" (seed + i)
		: "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9",
		  "v10", "v11", "v12", "v13", "v14", "v15", "v16", "v31");
		guest_hvc(0x5eed, 0, 0, 0, 0, 0);
		{
			uint64_t a, b, c;

			asm volatile("umov %x0, v8.d[1]\n umov %x1, v16.d[0]\n"
				     "umov %x2, v31.d[1]\n"
				     : "=r" (a), "=r" (b), "=r" (c));
			if (a != seed + i || b != seed + i || c != seed + i)
				bad++;
		}
	}
	GUEST_SYNC(bad);
}

/*
 * The host side of the same: V registers of another task on the vCPU's
 * CPU, set, kept through a short spin, read back.
 */
static uint64_t host_fp_roundtrip(uint64_t seed)
{
	uint64_t a, spin = 1000;

	asm volatile("dup v8.2d, %x2\n dup v31.2d, %x2\n"
		     "1: sub %x1, %x1, #1\n cbnz %x1, 1b\n"
		     "umov %x0, v31.d[1]\n"
		     : "=&r" (a), "+r" (spin) : "r" (seed)
		     : "v8", "v31");
	return a;
}

/* Host V registers across a RUN syscall made from inline assembly. */
static uint64_t run_keeps_host_fp(int fd)
{
	register uint64_t x0 asm("x0") = fd;
	register uint64_t x1 asm("x1") = AXVM_RUN;
	register uint64_t x2 asm("x2") = 0;
	register uint64_t x8 asm("x8") = __NR_ioctl;
	uint64_t got;

	asm volatile("movz x9, #0xf00d\n dup v9.2d, x9\n dup v30.2d, x9\n"
		     "svc #0\n"
		     "umov x9, v9.d[1]\n umov x10, v30.d[0]\n"
		     "and %x0, x9, x10\n"
		     : "=r" (got), "+r" (x0)
		     : "r" (x1), "r" (x2), "r" (x8)
		     : "x9", "x10", "v9", "v30", "memory");
	return got;
}

TEST_F(arm64, fpsimd_kept_apart)
{
	struct test_vcpu *v = test_vcpu_add_default(self->vm, 0, guest_fp, 2,
						    0x1000ULL, 300ULL);
	struct test_host_fp host = { .roundtrip = host_fp_roundtrip, .seed = 1 };
	struct ucall uc;
	int n = 0;

	ASSERT_NE(NULL, v);
	ASSERT_EQ(0, test_host_fp_start(&host));
	for (;;) {
		ASSERT_EQ(0xf00d, run_keeps_host_fp(v->fd));
		if (v->run->exit_reason != AXVM_EXIT_HYPERCALL ||
		    v->run->hypercall.nr != 0x5eed)
			break;
		n++;
	}
	EXPECT_EQ(0, test_host_fp_stop(&host))
		TH_LOG("host saw its V registers change");
	ASSERT_EQ(UCALL_SYNC, test_get_ucall(v, &uc));
	EXPECT_EQ(300, n);
	EXPECT_EQ(0, uc.args[0]) TH_LOG("guest saw its V registers change");
}

/* ------------------------------------------------------------------ */

static volatile uint64_t irq_seen, irq_count;

GUEST_CODE static void guest_irq_handler_fn(struct ex_regs *regs)
{
	uint64_t intid = read_sysreg(ICC_IAR1_EL1);

	irq_seen = intid;
	irq_count++;
	if (intid == 27) {
		/* The timer: mask it, as Linux does, before the EOI. */
		write_sysreg(3, cntv_ctl_el0);
		isb();
	} else {
		GUEST_SYNC(intid);	/* the host lowers the line */
	}
	write_sysreg(intid, ICC_EOIR1_EL1);
	isb();
}

GUEST_CODE static void gic_enable(void)
{
	write_sysreg(0xff, ICC_PMR_EL1);
	write_sysreg(1, ICC_IGRPEN1_EL1);
	isb();
}

GUEST_CODE static void guest_irq(void)
{
	gic_enable();
	local_irq_enable();
	GUEST_SYNC(0);			/* ready */
	while (!irq_count)
		wfi();
	GUEST_ASSERT_EQ(irq_seen, 40);
	GUEST_ASSERT_EQ(irq_count, 1);
}

TEST_F(arm64, inject_irq_through_list_registers)
{
	struct axvm_irq irq = { .irq = 40, .flags = AXVM_IRQ_LEVEL_HIGH };
	struct test_vcpu *v;
	struct ucall uc;

	test_vm_set_irq_handler(self->vm, guest_irq_handler_fn);
	v = test_vcpu_add_default(self->vm, 0, guest_irq, 0);
	ASSERT_NE(NULL, v);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	ASSERT_EQ(0, ioctl(v->fd, AXVM_INJECT_IRQ, &irq));
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(40, uc.args[0]);
	irq.flags = 0;
	ASSERT_EQ(0, ioctl(v->fd, AXVM_INJECT_IRQ, &irq));
	TEST_RUN_UCALL(v, &uc, UCALL_DONE);
	irq.irq = 1020;
	EXPECT_EQ(-1, ioctl(v->fd, AXVM_INJECT_IRQ, &irq));
	EXPECT_EQ(EINVAL, errno);
}

/* ------------------------------------------------------------------ */

GUEST_CODE static void guest_timer(uint64_t ticks)
{
	uint64_t start;

	gic_enable();
	start = read_sysreg(cntvct_el0);
	write_sysreg(start + ticks, cntv_cval_el0);
	write_sysreg(1, cntv_ctl_el0);
	isb();
	local_irq_enable();
	while (!irq_count)
		wfi();
	GUEST_ASSERT_EQ(irq_seen, 27);
	GUEST_ASSERT(read_sysreg(cntvct_el0) - start >= ticks,
		     read_sysreg(cntvct_el0) - start, ticks);
}

/* The guest sleeps in WFI in the kernel until its virtual timer fires. */
TEST_F(arm64, vtimer_wakes_wfi)
{
	struct axvm_exit_stats st;
	struct test_vcpu *v;
	struct ucall uc;
	uint64_t freq;

	asm volatile("mrs %0, cntfrq_el0" : "=r" (freq));
	test_vm_set_irq_handler(self->vm, guest_irq_handler_fn);
	v = test_vcpu_add_default(self->vm, 0, guest_timer, 1, freq / 20);
	ASSERT_NE(NULL, v);
	TEST_RUN_UCALL(v, &uc, UCALL_DONE);
	ASSERT_EQ(0, ioctl(v->fd, AXVM_GET_EXIT_STATS, &st));
	/* It halted, and the kernel handled every halt. */
	EXPECT_GE(st.count[AXVM_EXIT_HALT], 1);
	EXPECT_EQ(1, st.runs);
}

/* ------------------------------------------------------------------ */

/*
 * Phase 1: count the loop iterations that take @ticks with the timer off.
 * Phase 2: as many iterations with the timer's line high and IRQs masked,
 * as a guest in a critical section is when its tick comes. Then take it.
 */
GUEST_CODE static void guest_timer_masked(uint64_t ticks)
{
	uint64_t n;

	gic_enable();
	n = guest_busy_calibrate(ticks);
	write_sysreg(0, cntv_cval_el0);	/* long past */
	write_sysreg(1, cntv_ctl_el0);
	isb();
	GUEST_SYNC(n);			/* the next entry sees the line high */
	guest_busy_loop(n);
	GUEST_SYNC(n);
	local_irq_enable();
	while (!irq_count)
		;
	GUEST_ASSERT_EQ(irq_seen, 27);
}

/*
 * A timer line raised while the guest has IRQs masked: taken once it
 * unmasks, and meanwhile at most one exit per 20 us of guest work (the
 * kernel looks at the timer again after 100 us while the line is high).
 */
TEST_F(arm64, vtimer_line_high_while_masked)
{
	struct test_vcpu *v;
	struct ucall uc;
	long long exits;
	uint64_t freq;

	asm volatile("mrs %0, cntfrq_el0" : "=r" (freq));
	test_vm_set_irq_handler(self->vm, guest_irq_handler_fn);
	/* 20 ms of the guest's loop. */
	v = test_vcpu_add_default(self->vm, 0, guest_timer_masked, 1,
				  freq / 50);
	ASSERT_NE(NULL, v);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	exits = axvm_exit_count(v->fd, AXVM_EXIT_EXTERNAL_INTERRUPT);
	ASSERT_LE(0, exits);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	exits = axvm_exit_count(v->fd, AXVM_EXIT_EXTERNAL_INTERRUPT) - exits;
	/* 20 ms of guest work at >= 20 us a run: at most 1000 exits. */
	EXPECT_GE(1000, exits);
	TH_LOG("%lld exits in 20 ms of guest work with the line high",
	       exits);
	TEST_RUN_UCALL(v, &uc, UCALL_DONE);
}

/* ------------------------------------------------------------------ */

GUEST_CODE static void guest_bad_access(void)
{
	uint64_t a, b;

	/* A pair load has no syndrome to emulate. */
	asm volatile("ldp %0, %1, [%2]" : "=r" (a), "=r" (b)
		     : "r" (MMIO + 0x100) : "memory");
	GUEST_FAIL("ldp from MMIO completed");
}

TEST_F(arm64, unhandled_exit_reports_syndrome)
{
	struct test_vcpu *v = test_vcpu_add_default(self->vm, 0,
						    guest_bad_access, 0);

	ASSERT_NE(NULL, v);
	ASSERT_EQ(AXVM_EXIT_INTERNAL_ERROR, test_vcpu_run_exit(v));
	EXPECT_EQ(AXVM_INTERNAL_UNHANDLED_EXIT, v->run->internal.suberror);
	EXPECT_EQ(5, v->run->internal.ndata);
	EXPECT_EQ(0x24, v->run->internal.data[1] >> 26);	/* DABT_LOW */
	EXPECT_EQ(MMIO + 0x100, v->run->internal.data[2]);	/* FAR */
}

/* ------------------------------------------------------------------ */

/* ID registers, by encoding (some assemblers lack the newer names). */
#define ID_PFR0_EL1		s3_0_c0_c1_0
#define ID_AA64PFR0_EL1		s3_0_c0_c4_0
#define ID_AA64PFR1_EL1		s3_0_c0_c4_1
#define ID_AA64ZFR0_EL1		s3_0_c0_c4_4
#define ID_AA64DFR0_EL1		s3_0_c0_c5_0
#define ID_AA64ISAR1_EL1	s3_0_c0_c6_1
#define ID_AA64MMFR0_EL1	s3_0_c0_c7_0
#define ID_AA64MMFR1_EL1	s3_0_c0_c7_1
#define ID_UNALLOCATED		s3_0_c0_c7_7

#define FIELD(v, lo)		(((v) >> (lo)) & 0xf)
/* Expands the name first: read_sysreg() stringifies its argument. */
#define read_idreg(r)		read_sysreg(r)

GUEST_CODE static void guest_idregs(void)
{
	GUEST_SYNC(read_idreg(ID_AA64PFR0_EL1), read_idreg(ID_AA64PFR1_EL1),
		   read_idreg(ID_AA64ZFR0_EL1), read_idreg(ID_AA64DFR0_EL1));
	GUEST_SYNC(read_idreg(ID_AA64ISAR1_EL1),
		   read_idreg(ID_AA64MMFR0_EL1), read_idreg(ID_AA64MMFR1_EL1),
		   read_idreg(ID_UNALLOCATED), read_idreg(ID_PFR0_EL1));
}

/*
 * The ID registers trap and the kernel answers them without an exit:
 * the host's features, less those a guest does not get.
 */
TEST_F(arm64, id_registers_answered_in_kernel)
{
	struct test_vcpu *v = test_vcpu_add_default(self->vm, 0,
						    guest_idregs, 0);
	struct axvm_exit_stats st;
	uint64_t host_pfr0;
	struct ucall uc;

	ASSERT_NE(NULL, v);
	/* EL0 reads are emulated by the host kernel: its sanitised view. */
	asm volatile("mrs %0, s3_0_c0_c4_0" : "=r" (host_pfr0));

	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(1, FIELD(uc.args[0], 0));	/* EL0: AArch64 only */
	EXPECT_EQ(1, FIELD(uc.args[0], 4));	/* EL1: AArch64 only */
	EXPECT_EQ(0, FIELD(uc.args[0], 8));	/* no EL2 */
	EXPECT_EQ(0, FIELD(uc.args[0], 12));	/* no EL3 */
	EXPECT_EQ(FIELD(host_pfr0, 16), FIELD(uc.args[0], 16));	/* FP */
	EXPECT_EQ(FIELD(host_pfr0, 20), FIELD(uc.args[0], 20));	/* AdvSIMD */
	EXPECT_EQ(1, FIELD(uc.args[0], 24));	/* GICv3 system registers */
	EXPECT_EQ(0, FIELD(uc.args[0], 32));	/* no SVE */
	EXPECT_EQ(0, FIELD(uc.args[0], 44));	/* no AMU */
	EXPECT_EQ(0, FIELD(uc.args[1], 8));	/* no MTE */
	EXPECT_EQ(0, FIELD(uc.args[1], 24));	/* no SME */
	EXPECT_EQ(0, uc.args[2]);		/* ZFR0: no SVE features */
	EXPECT_LE(6, FIELD(uc.args[3], 0));	/* debug architecture v8+ */
	EXPECT_EQ(0, FIELD(uc.args[3], 8));	/* no PMU */
	EXPECT_EQ(0, FIELD(uc.args[3], 32));	/* no SPE */

	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(0, FIELD(uc.args[0], 4));	/* no address auth (APA) */
	EXPECT_EQ(0, FIELD(uc.args[0], 8));	/* no address auth (API) */
	EXPECT_GE(2, FIELD(uc.args[1], 0));	/* PARange <= 40 bits */
	EXPECT_EQ(0, FIELD(uc.args[2], 8));	/* no VHE */
	EXPECT_EQ(0, uc.args[3]);		/* unallocated: zero */
	TEST_RUN_UCALL(v, &uc, UCALL_DONE);

	/* Nine reads, none of them an exit to userspace. */
	ASSERT_EQ(0, ioctl(v->fd, AXVM_GET_EXIT_STATS, &st));
	EXPECT_EQ(9, st.count[AXVM_EXIT_SYSREG]);
	EXPECT_EQ(3, st.runs);
}

/* ------------------------------------------------------------------ */

#define FPCR_ID		SYSREG(3, 3, 4, 4, 0)
#define FPSR_ID		SYSREG(3, 3, 4, 4, 1)
#define FPCR_DN		(1ULL << 25)
#define FPCR_RMODE_RZ	(3ULL << 22)

/* Report V0, V31 and FPCR as userspace set them, then set V1 and FPSR. */
__attribute__((noinline)) static void guest_fp_regs(void)
{
	uint64_t v0lo, v0hi, v31hi, fpcr;

	asm volatile("umov %x0, v0.d[0]\n umov %x1, v0.d[1]\n"
		     "umov %x2, v31.d[1]\n mrs %3, fpcr\n"
		     : "=r" (v0lo), "=r" (v0hi), "=r" (v31hi), "=r" (fpcr));
	GUEST_SYNC(v0lo, v0hi, v31hi, fpcr);
	asm volatile("mov v1.d[0], %x0\n mov v1.d[1], %x1\n msr fpsr, %x2\n"
		     "mov x0, xzr\n hvc #0\n"
		     : : "r" (0x1111222233334444ULL), "r" (0x5555666677778888ULL),
		       "r" (0x8000000ULL)	/* QC */
		     : "v1", "x0", "memory");
	GUEST_SYNC(0);
}

/* V0-V31, FPSR and FPCR through the system-register ioctls. */
TEST_F(arm64, fp_registers_through_sysreg_ioctls)
{
	struct test_vcpu *v = test_vcpu_add_default(self->vm, 0,
						    guest_fp_regs, 0);
	struct axvm_sysreg sr;
	struct ucall uc;
	unsigned int n;

	ASSERT_NE(NULL, v);
	for (n = 0; n < 32; n++) {
		sr.id = AXVM_SYSREG_ARM64_V(n, 0);
		sr.value = 0x100 + n;
		ASSERT_EQ(0, ioctl(v->fd, AXVM_SET_SYSREG, &sr));
		sr.id = AXVM_SYSREG_ARM64_V(n, 1);
		sr.value = 0x200 + n;
		ASSERT_EQ(0, ioctl(v->fd, AXVM_SET_SYSREG, &sr));
	}
	sr.id = FPCR_ID;
	sr.value = FPCR_DN | FPCR_RMODE_RZ;
	ASSERT_EQ(0, ioctl(v->fd, AXVM_SET_SYSREG, &sr));
	/* Bits FPCR does not have, and an id past the FP class. */
	sr.value = 1ULL << 40;
	EXPECT_EQ(-1, ioctl(v->fd, AXVM_SET_SYSREG, &sr));
	EXPECT_EQ(EINVAL, errno);
	sr.id = AXVM_SYSREG_CLASS_ARM64_FP | 0x40;
	EXPECT_EQ(-1, ioctl(v->fd, AXVM_GET_SYSREG, &sr));
	EXPECT_EQ(ENOENT, errno);

	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(0x100, uc.args[0]);
	EXPECT_EQ(0x200, uc.args[1]);
	EXPECT_EQ(0x200 + 31, uc.args[2]);
	EXPECT_EQ(FPCR_DN | FPCR_RMODE_RZ, uc.args[3]);

	/* The guest's hvc #0 with x0 0 is a plain hypercall exit. */
	ASSERT_EQ(AXVM_EXIT_HYPERCALL, test_vcpu_run_exit(v));
	sr.id = AXVM_SYSREG_ARM64_V(1, 0);
	ASSERT_EQ(0, ioctl(v->fd, AXVM_GET_SYSREG, &sr));
	EXPECT_EQ(0x1111222233334444ULL, sr.value);
	sr.id = AXVM_SYSREG_ARM64_V(1, 1);
	ASSERT_EQ(0, ioctl(v->fd, AXVM_GET_SYSREG, &sr));
	EXPECT_EQ(0x5555666677778888ULL, sr.value);
	sr.id = FPSR_ID;
	ASSERT_EQ(0, ioctl(v->fd, AXVM_GET_SYSREG, &sr));
	EXPECT_EQ(0x8000000ULL, sr.value);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	TEST_RUN_UCALL(v, &uc, UCALL_DONE);
}

TEST_HARNESS_MAIN
