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
#include "aarch64_gic.h"
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

FIXTURE(arm64) {
	struct test_vm *vm;
	long tick;		/* axvm_clock_slew()'s, to undo */
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
	alarm(0);
	axvm_clock_unslew(self->tick);
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

/*
 * Hypercalls userspace asked for (AXVM_SET_HYPERCALL_FILTER) exit with
 * their arguments, and the value userspace leaves is the guest's x0.
 */
TEST_F(arm64, hypercall)
{
	struct test_vcpu *v;
	struct ucall uc;

	ASSERT_EQ(0, test_vm_user_hypercalls(self->vm, 0x1234, 1));
	ASSERT_EQ(0, test_vm_user_hypercalls(self->vm, 0x4321, 1));
	v = test_vcpu_add_default(self->vm, 0, guest_hypercall, 0);
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
	/*
	 * PMCR_EL0 traps (MDCR_EL2.TPMCR) and the kernel leaves the PMU to
	 * the VMM: a read, then a write.
	 */
	GUEST_ASSERT_EQ(read_sysreg(pmcr_el0), 0x1234);
	write_sysreg(0x55, pmcr_el0);
}

TEST_F(arm64, sysreg_exit)
{
	struct test_vcpu *v = test_vcpu_add_default(self->vm, 0,
						    guest_sysreg_trap, 0);
	struct ucall uc;

	ASSERT_NE(NULL, v);
	ASSERT_EQ(AXVM_EXIT_SYSREG, test_vcpu_run_exit(v));
	EXPECT_EQ(SYSREG(3, 3, 9, 12, 0), v->run->sysreg.id);
	EXPECT_EQ(0, v->run->sysreg.is_write);
	v->run->sysreg.value = 0x1234;
	ASSERT_EQ(AXVM_EXIT_SYSREG, test_vcpu_run_exit(v));
	EXPECT_EQ(SYSREG(3, 3, 9, 12, 0), v->run->sysreg.id);
	EXPECT_EQ(1, v->run->sysreg.is_write);
	EXPECT_EQ(0x55, v->run->sysreg.value);
	TEST_RUN_UCALL(v, &uc, UCALL_DONE);
}

/* ------------------------------------------------------------------ */

/* PSCI 1.0 return values and AFFINITY_INFO states (DEN0022, 5.2). */
#define PSCI_NOT_SUPPORTED	((uint64_t)-1)
#define PSCI_INVALID_PARAMS	((uint64_t)-2)
#define PSCI_ALREADY_ON		((uint64_t)-4)
#define PSCI_ON_PENDING		((uint64_t)-5)
#define PSCI_INVALID_ADDRESS	((uint64_t)-9)
#define AFF_ON			0
#define AFF_OFF			1
#define AFF_ON_PENDING		2

#define PSCI_CPU_SUSPEND_FN	0xc4000001ULL
#define PSCI_MIGRATE_FN		0x84000005ULL
#define PSCI_MIGRATE_INFO_FN	0x84000006ULL
#define PSCI_SYSTEM_RESET2_FN	0x84000012ULL
#define PSCI_UNDEFINED_FN	0x8400001fULL
#define SMCCC_VERSION_FN	0x80000000ULL
#define SMCCC_ARCH_FEATURES_FN	0x80000001ULL
#define SMCCC_WORKAROUND_1_FN	0x80008000ULL
#define SMCCC_WORKAROUND_2_FN	0x80007fffULL
#define SMCCC_WORKAROUND_3_FN	0x80003fffULL
#define SMCCC_VENDOR_UID_FN	0x8600ff01ULL

GUEST_CODE static void guest_psci(uint64_t self_id, uint64_t absent)
{
	static const uint64_t mandatory[] = {
		PSCI_VERSION_FN, PSCI_CPU_SUSPEND_FN, PSCI_CPU_OFF_FN,
		PSCI_CPU_ON_FN, PSCI_AFFINITY_FN, PSCI_SYSTEM_OFF_FN,
		PSCI_SYSTEM_RESET_FN, PSCI_FEATURES_FN,
	};
	unsigned int i;

	GUEST_ASSERT_EQ(guest_hvc(PSCI_VERSION_FN, 0, 0, 0, 0, 0), 0x10000);
	GUEST_ASSERT_EQ(guest_smc(PSCI_VERSION_FN, 0, 0, 0, 0, 0), 0x10000);
	/*
	 * 5.1.15 PSCI_FEATURES: 0 (or feature flags) for every function
	 * implemented, NOT_SUPPORTED otherwise; Table 5 makes the first
	 * eight mandatory in PSCI 1.0. CPU_SUSPEND's flags 0: the original
	 * power_state format. SMCCC 1.1 finds SMCCC_VERSION this way.
	 */
	for (i = 0; i < ARRAY_SIZE(mandatory); i++)
		GUEST_ASSERT_EQ(guest_hvc(PSCI_FEATURES_FN, mandatory[i], 0, 0,
					  0, 0), 0);
	GUEST_ASSERT_EQ(guest_hvc(PSCI_FEATURES_FN, SMCCC_VERSION_FN, 0, 0, 0,
				  0), 0);
	GUEST_ASSERT_EQ(guest_hvc(PSCI_FEATURES_FN, PSCI_MIGRATE_FN, 0, 0, 0,
				  0), PSCI_NOT_SUPPORTED);
	GUEST_ASSERT_EQ(guest_hvc(PSCI_FEATURES_FN, PSCI_SYSTEM_RESET2_FN, 0,
				  0, 0, 0), PSCI_NOT_SUPPORTED);
	/* Functions not implemented answer NOT_SUPPORTED when called. */
	GUEST_ASSERT_EQ(guest_hvc(PSCI_MIGRATE_FN, 0, 0, 0, 0, 0),
			PSCI_NOT_SUPPORTED);
	GUEST_ASSERT_EQ(guest_hvc(PSCI_UNDEFINED_FN, 0, 0, 0, 0, 0),
			PSCI_NOT_SUPPORTED);
	/* 5.1.8: 2, no Trusted OS (or one that needs no migration). */
	GUEST_ASSERT_EQ(guest_hvc(PSCI_MIGRATE_INFO_FN, 0, 0, 0, 0, 0), 2);
	/* 5.1.5 AFFINITY_INFO: the caller is ON; no such core is invalid. */
	GUEST_ASSERT_EQ(guest_hvc(PSCI_AFFINITY_FN, self_id, 0, 0, 0, 0),
			AFF_ON);
	GUEST_ASSERT_EQ(guest_hvc(PSCI_AFFINITY_FN, self_id & ~0xffULL, 1, 0,
				  0, 0), AFF_ON);
	GUEST_ASSERT_EQ(guest_hvc(PSCI_AFFINITY_FN, absent, 0, 0, 0, 0),
			PSCI_INVALID_PARAMS);
	GUEST_ASSERT_EQ(guest_hvc(PSCI_AFFINITY_FN, self_id, 4, 0, 0, 0),
			PSCI_INVALID_PARAMS);
	/* Its level is a uint32_t, in the SMC64 call too: bits 63:32 are not. */
	GUEST_ASSERT_EQ(guest_hvc(PSCI_AFFINITY_FN, self_id, 1ULL << 32, 0,
				  0, 0), AFF_ON);
	/* 5.1.4 CPU_ON: the caller is ALREADY_ON; no such core: invalid. */
	GUEST_ASSERT_EQ(guest_hvc(PSCI_CPU_ON_FN, self_id, 0x1000, 0, 0, 0),
			PSCI_ALREADY_ON);
	GUEST_ASSERT_EQ(guest_hvc(PSCI_CPU_ON_FN, absent, 0x1000, 0, 0, 0),
			PSCI_INVALID_PARAMS);
	/* 5.4.2.2: original power_state, bits 31:26, 23:17 reserved. */
	GUEST_ASSERT_EQ(guest_hvc(PSCI_CPU_SUSPEND_FN, 1ULL << 20, 0, 0, 0,
				  0), PSCI_INVALID_PARAMS);
	GUEST_SYNC(1);
	guest_hvc(PSCI_SYSTEM_RESET_FN, 0, 0, 0, 0, 0);
	guest_hvc(PSCI_SYSTEM_OFF_FN, 0, 0, 0, 0, 0);
	GUEST_FAIL("SYSTEM_OFF returned");
}

/*
 * Every PSCI function is answered in the kernel (no hypercall exit comes
 * before the guest's SYNC); SYSTEM_RESET and SYSTEM_OFF are exits.
 */
TEST_F(arm64, psci)
{
	struct test_vcpu *v = test_vcpu_add(self->vm, 0, 0x102, NULL,
					    guest_psci, 2, 0x102ULL,
					    axvm_arch_id(7));
	struct ucall uc;

	ASSERT_NE(NULL, v);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	ASSERT_EQ(AXVM_EXIT_SYSTEM_DOWN, test_vcpu_run_exit(v));
	EXPECT_EQ(AXVM_SYSTEM_DOWN_RESET, v->run->system_down.type);
	ASSERT_EQ(AXVM_EXIT_SYSTEM_DOWN, test_vcpu_run_exit(v));
	EXPECT_EQ(AXVM_SYSTEM_DOWN_POWEROFF, v->run->system_down.type);
}

/* exit_mitigation's runs ("0-1:v2=csv2,bhb=loop32 2-3:..."): how many. */
static int exit_mitigation_runs(const char *token, int *with)
{
	char buf[512], *run, *save;
	int n = 0, fd;
	ssize_t len;

	*with = 0;
	fd = open("/sys/module/axvm/parameters/exit_mitigation", O_RDONLY);
	if (fd < 0)
		return 0;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return 0;
	buf[len] = 0;
	for (run = strtok_r(buf, "\n ", &save); run;
	     run = strtok_r(NULL, "\n ", &save)) {
		n++;
		*with += !!strstr(run, token);
	}
	return n;
}

static bool test_exit_mitigation_all(const char *token)
{
	int with, n = exit_mitigation_runs(token, &with);

	return n && with == n;
}

static bool test_exit_mitigation_any(const char *token)
{
	int with;

	exit_mitigation_runs(token, &with);
	return with > 0;
}

/* axvm's vendor-specific hypervisor UID, as SMCCC 6.2 returns it. */
static const uint32_t axvm_uid[4] = {
	0xe4d83b5a, 0x0e4f497c, 0x6a2f1d9b, 0xd3418e0c,
};

GUEST_CODE static void guest_smccc(void)
{
	register uint64_t x0 asm("x0");
	register uint64_t x1 asm("x1");
	register uint64_t x2 asm("x2");
	register uint64_t x3 asm("x3");
	uint64_t wa1, wa3;

	/* SMCCC 7.1: version 1.1 (major 1 in bits 30:16, minor 1). */
	GUEST_ASSERT_EQ(guest_hvc(SMCCC_VERSION_FN, 0, 0, 0, 0, 0), 0x10001);
	/* 7.2 ARCH_FEATURES: itself is there; ARCH_WORKAROUND_2 is not. */
	GUEST_ASSERT_EQ(guest_hvc(SMCCC_ARCH_FEATURES_FN,
				  SMCCC_ARCH_FEATURES_FN, 0, 0, 0, 0), 0);
	GUEST_ASSERT_EQ(guest_hvc(SMCCC_ARCH_FEATURES_FN,
				  SMCCC_WORKAROUND_2_FN, 0, 0, 0, 0),
			PSCI_NOT_SUPPORTED);
	GUEST_ASSERT_EQ(guest_hvc(SMCCC_ARCH_FEATURES_FN, 0x8000ffffULL, 0,
				  0, 0, 0), PSCI_NOT_SUPPORTED);
	/*
	 * 7.5/7.6: ARCH_WORKAROUND_1/3 discovery is 0 (call it), 1 (not
	 * needed) or NOT_SUPPORTED; where it said 0 the call returns 0.
	 */
	wa1 = guest_hvc(SMCCC_ARCH_FEATURES_FN, SMCCC_WORKAROUND_1_FN, 0, 0,
			0, 0);
	wa3 = guest_hvc(SMCCC_ARCH_FEATURES_FN, SMCCC_WORKAROUND_3_FN, 0, 0,
			0, 0);
	GUEST_ASSERT(wa1 == 0 || wa1 == 1 || wa1 == PSCI_NOT_SUPPORTED);
	GUEST_ASSERT(wa3 == 0 || wa3 == 1 || wa3 == PSCI_NOT_SUPPORTED);
	if (wa1 == 0)
		GUEST_ASSERT_EQ(guest_hvc(SMCCC_WORKAROUND_1_FN, 0, 0, 0, 0,
					  0), 0);
	if (wa3 == 0)
		GUEST_ASSERT_EQ(guest_smc(SMCCC_WORKAROUND_3_FN, 0, 0, 0, 0,
					  0), 0);
	/* 6.2: the UID comes in W0-W3. */
	x0 = SMCCC_VENDOR_UID_FN;
	asm volatile("hvc #0" : "+r" (x0), "=r" (x1), "=r" (x2), "=r" (x3)
		     : : "memory");
	GUEST_SYNC(x0, x1, x2, x3);
	GUEST_SYNC(wa1, wa3);
	/* 2.5: HVC with an immediate other than 0 is no SMCCC call. */
	x0 = SMCCC_VERSION_FN;
	asm volatile("hvc #1" : "+r" (x0) : : "x1", "x2", "x3", "memory");
	GUEST_ASSERT_EQ(x0, PSCI_NOT_SUPPORTED);
}

/*
 * SMCCC 1.1 answered in the kernel, without an exit: the version, the
 * architecture calls, the vendor-hypervisor UID naming axvm (not KVM).
 */
TEST_F(arm64, smccc_answered_in_kernel)
{
	struct test_vcpu *v = test_vcpu_add_default(self->vm, 0, guest_smccc,
						    0);
	struct axvm_exit_stats st;
	struct ucall uc;
	int i;

	ASSERT_NE(NULL, v);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	for (i = 0; i < 4; i++)
		EXPECT_EQ(axvm_uid[i], uc.args[i]);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	TH_LOG("ARCH_FEATURES: WORKAROUND_1 %ld, WORKAROUND_3 %ld",
	       (long)uc.args[0], (long)uc.args[1]);
	/*
	 * The answers follow exit_mitigation: v2 csv2 on every CPU is 1 (not
	 * affected), a vulnerable BHB anywhere is NOT_SUPPORTED.
	 */
	if (test_exit_mitigation_all("v2=csv2"))
		EXPECT_EQ(1, uc.args[0]);
	if (test_exit_mitigation_any("bhb=vulnerable"))
		EXPECT_EQ((uint64_t)-1, uc.args[1]);
	/* SMCCC 7.6: WA3 "also mitigates" Spectre-v2, so not where it is open. */
	if (test_exit_mitigation_any("v2=vulnerable") ||
	    test_exit_mitigation_any("v2=off"))
		EXPECT_EQ((uint64_t)-1, uc.args[1]);
	TEST_RUN_UCALL(v, &uc, UCALL_DONE);
	ASSERT_EQ(0, ioctl(v->fd, AXVM_GET_EXIT_STATS, &st));
	EXPECT_GE(st.count[AXVM_EXIT_HYPERCALL], 8);
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

	/* CPU_ON reset it (MMU off): the test's guest code needs its own. */
	ASSERT_EQ(0, test_arch_vcpu_init(v1));
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

GUEST_CODE static void guest_started(uint64_t ctx)
{
	GUEST_SYNC(ctx, read_sysreg(tpidr_el1));
	write_sysreg(0xdeadULL, tpidr_el1);
	guest_hvc(PSCI_CPU_OFF_FN, 0, 0, 0, 0, 0);
	GUEST_FAIL("CPU_OFF returned");
}

GUEST_CODE static void guest_starter(uint64_t target, uint64_t entry)
{
	/* A secondary core is OFF until a CPU_ON names it. */
	GUEST_ASSERT_EQ(guest_hvc(PSCI_AFFINITY_FN, target, 0, 0, 0, 0),
			AFF_OFF);
	GUEST_ASSERT_EQ(guest_hvc(PSCI_CPU_ON_FN, target, entry, 0x77, 0, 0),
			0);
	/* 5.1.4: a second CPU_ON before it runs is ON_PENDING. */
	GUEST_ASSERT_EQ(guest_hvc(PSCI_AFFINITY_FN, target, 0, 0, 0, 0),
			AFF_ON_PENDING);
	GUEST_ASSERT_EQ(guest_hvc(PSCI_CPU_ON_FN, target, entry, 0x78, 0, 0),
			PSCI_ON_PENDING);
	GUEST_SYNC(1);
	GUEST_ASSERT_EQ(guest_hvc(PSCI_AFFINITY_FN, target, 0, 0, 0, 0),
			AFF_ON);
	GUEST_ASSERT_EQ(guest_hvc(PSCI_CPU_ON_FN, target, entry, 0x78, 0, 0),
			PSCI_ALREADY_ON);
	GUEST_SYNC(2);
	GUEST_ASSERT_EQ(guest_hvc(PSCI_AFFINITY_FN, target, 0, 0, 0, 0),
			AFF_OFF);
	GUEST_ASSERT_EQ(guest_hvc(PSCI_CPU_ON_FN, target, entry, 0x79, 0, 0),
			0);
	GUEST_SYNC(3);
}

#define SYS_SCTLR_EL1		SYSREG(3, 0, 1, 0, 0)
#define SYS_TTBR0_EL1		SYSREG(3, 0, 2, 0, 0)
#define SYS_VBAR_EL1		SYSREG(3, 0, 12, 0, 0)
#define SYS_TPIDR_EL1		SYSREG(3, 0, 13, 0, 4)
#define SCTLR_M_C_I		((1ULL << 0) | (1ULL << 2) | (1ULL << 12))

/*
 * PSCI 6.4.3.3 (CPU_ON entry state, AArch64): the core starts at the
 * entry point in the caller's EL (EL1h here) with D, A, I and F masked,
 * SCTLR_EL1.M, C and I clear (MMU and caches off), X0 = context_id; it
 * starts from reset, not from the state it had when it went off. The
 * kernel makes that state before the VMM's next look at the vCPU.
 */
static void expect_started_state(struct __test_metadata *_metadata,
				 struct test_vcpu *v, uint64_t entry,
				 uint64_t ctx)
{
	struct axvm_regs regs;
	int i;

	ASSERT_EQ(0, ioctl(v->fd, AXVM_GET_REGS, &regs));
	EXPECT_EQ(entry, regs.pc);
	EXPECT_EQ(ctx, regs.gpr[0]);
	for (i = 1; i < 32; i++)
		EXPECT_EQ(0, regs.gpr[i]) TH_LOG("x%d", i);
	EXPECT_EQ(0x3c5, regs.pstate);		/* EL1h, DAIF set */
	EXPECT_EQ(0, axvm_get_sysreg(v->fd, SYS_SCTLR_EL1) & SCTLR_M_C_I);
	EXPECT_EQ(0, axvm_get_sysreg(v->fd, SYS_TTBR0_EL1));
	EXPECT_EQ(0, axvm_get_sysreg(v->fd, SYS_VBAR_EL1));
	EXPECT_EQ(0, axvm_get_sysreg(v->fd, SYS_TPIDR_EL1));
}

/*
 * PSCI 5.1.4/5.1.5: AFFINITY_INFO follows a core through OFF,
 * ON_PENDING, ON and OFF again; CPU_ON answers ON_PENDING and ALREADY_ON
 * where the core is not off; and a core started a second time, after
 * CPU_OFF, starts from the reset state again (its TPIDR_EL1 written
 * before CPU_OFF is gone).
 */
TEST_F(arm64, psci_cpu_on_resets_and_affinity_info)
{
	struct test_vcpu *v0, *v1;
	struct ucall uc;
	uint64_t entry = (uint64_t)guest_started;

	v0 = test_vcpu_add(self->vm, 0, axvm_arch_id(0), NULL, guest_starter,
			   2, axvm_arch_id(1), entry);
	v1 = test_vcpu_add(self->vm, 1, axvm_arch_id(1), NULL, guest_started,
			   1, 0);
	ASSERT_NE(NULL, v0);
	ASSERT_NE(NULL, v1);

	ASSERT_EQ(AXVM_EXIT_CPU_UP, test_vcpu_run_exit(v0));
	EXPECT_EQ(axvm_arch_id(1), v0->run->cpu_up.target);
	expect_started_state(_metadata, v1, entry, 0x77);
	ASSERT_EQ(0, test_arch_vcpu_init(v1));
	ASSERT_EQ(0, test_vcpu_set_entry(v1, guest_started, 1, 0x77ULL));
	TEST_RUN_UCALL(v0, &uc, UCALL_SYNC);
	EXPECT_EQ(1, uc.args[0]);

	TEST_RUN_UCALL(v1, &uc, UCALL_SYNC);
	EXPECT_EQ(0x77, uc.args[0]);
	EXPECT_EQ(0, uc.args[1]);
	TEST_RUN_UCALL(v0, &uc, UCALL_SYNC);
	EXPECT_EQ(2, uc.args[0]);
	ASSERT_EQ(AXVM_EXIT_CPU_DOWN, test_vcpu_run_exit(v1));

	ASSERT_EQ(AXVM_EXIT_CPU_UP, test_vcpu_run_exit(v0));
	expect_started_state(_metadata, v1, entry, 0x79);
	ASSERT_EQ(0, test_arch_vcpu_init(v1));
	ASSERT_EQ(0, test_vcpu_set_entry(v1, guest_started, 1, 0x79ULL));
	TEST_RUN_UCALL(v0, &uc, UCALL_SYNC);
	EXPECT_EQ(3, uc.args[0]);
	TEST_RUN_UCALL(v1, &uc, UCALL_SYNC);
	EXPECT_EQ(0x79, uc.args[0]);
	EXPECT_EQ(0, uc.args[1]);
}

/*
 * The VMM may refuse a CPU_UP: the caller gets its answer and the core
 * stays OFF (AFFINITY_INFO), so a later CPU_ON is not ON_PENDING.
 */
GUEST_CODE static void guest_refused(uint64_t target)
{
	uint64_t entry = (uint64_t)guest_started;

	/*
	 * 5.1.4: INVALID_ADDRESS "if the entry point address is known by
	 * the implementation to be invalid": 0x1000 is no guest RAM. The
	 * core stays OFF.
	 */
	GUEST_ASSERT_EQ(guest_hvc(PSCI_CPU_ON_FN, target, 0x1000, 0, 0, 0),
			PSCI_INVALID_ADDRESS);
	GUEST_ASSERT_EQ(guest_hvc(PSCI_AFFINITY_FN, target, 0, 0, 0, 0),
			AFF_OFF);
	GUEST_ASSERT_EQ(guest_hvc(PSCI_CPU_ON_FN, target, entry, 0, 0, 0),
			(uint64_t)-6);
	GUEST_ASSERT_EQ(guest_hvc(PSCI_AFFINITY_FN, target, 0, 0, 0, 0),
			AFF_OFF);
	GUEST_ASSERT_EQ(guest_hvc(PSCI_CPU_ON_FN, target, entry, 0, 0, 0),
			0);
	GUEST_SYNC(0);
}

TEST_F(arm64, psci_cpu_on_refused_by_the_vmm)
{
	struct test_vcpu *v0, *v1;
	struct ucall uc;

	v0 = test_vcpu_add(self->vm, 0, axvm_arch_id(0), NULL, guest_refused,
			   1, axvm_arch_id(1));
	v1 = test_vcpu_add(self->vm, 1, axvm_arch_id(1), NULL, guest_started,
			   1, 0);
	ASSERT_NE(NULL, v0);
	ASSERT_NE(NULL, v1);
	ASSERT_EQ(AXVM_EXIT_CPU_UP, test_vcpu_run_exit(v0));
	v0->run->cpu_up.ret = -6;	/* INTERNAL_FAILURE */
	ASSERT_EQ(AXVM_EXIT_CPU_UP, test_vcpu_run_exit(v0));
	TEST_RUN_UCALL(v0, &uc, UCALL_SYNC);
}

GUEST_CODE static void guest_after_set_regs(uint64_t target)
{
	GUEST_SYNC(guest_hvc(PSCI_AFFINITY_FN, target, 0, 0, 0, 0));
}

/*
 * A VMM that answers a CPU_UP by replacing the caller's registers
 * (AXVM_SET_REGS, as a restore does) has still refused the start: the
 * core is OFF (5.1.5), not ON_PENDING for good.
 */
TEST_F(arm64, psci_cpu_on_refused_then_set_regs)
{
	struct test_vcpu *v0, *v1;
	struct ucall uc;

	v0 = test_vcpu_add(self->vm, 0, axvm_arch_id(0), NULL, guest_primary,
			   1, axvm_arch_id(1));
	v1 = test_vcpu_add(self->vm, 1, axvm_arch_id(1), NULL, guest_started,
			   1, 0);
	ASSERT_NE(NULL, v0);
	ASSERT_NE(NULL, v1);
	TEST_RUN_UCALL(v0, &uc, UCALL_SYNC);
	ASSERT_EQ(AXVM_EXIT_CPU_UP, test_vcpu_run_exit(v0));
	v0->run->cpu_up.ret = -6;	/* INTERNAL_FAILURE */
	ASSERT_EQ(0, test_vcpu_set_entry(v0, guest_after_set_regs, 1,
					 axvm_arch_id(1)));
	TEST_RUN_UCALL(v0, &uc, UCALL_SYNC);
	EXPECT_EQ(AFF_OFF, uc.args[0]);
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
	struct test_host_fp host = { .roundtrip = host_fp_roundtrip, .seed = 1 };
	struct test_vcpu *v;
	struct ucall uc;
	int n = 0;

	ASSERT_EQ(0, test_vm_user_hypercalls(self->vm, 0x5eed, 1));
	v = test_vcpu_add_default(self->vm, 0, guest_fp, 2, 0x1000ULL, 300ULL);
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
	uint32_t iar = guest_gic_ack();
	uint32_t intid = TEST_GIC_INTID(iar);

	irq_seen = intid;
	irq_count++;
	if (intid == 27) {
		/* The timer: mask it, as Linux does, before the EOI. */
		write_sysreg(3, cntv_ctl_el0);
		isb();
	} else if (intid == 30) {
		write_sysreg(3, cntp_ctl_el0);
		isb();
	} else {
		GUEST_SYNC(intid);	/* the host lowers the line */
	}
	guest_gic_eoi(iar);
}

/* This vCPU's GIC on, with the lines the tests below use let through. */
GUEST_CODE static void gic_enable(void)
{
	guest_gic_init();
	guest_gic_enable(27);
	guest_gic_enable(30);
	guest_gic_enable(40);
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

/*
 * A level line: taken once raised, its handler running while the line is
 * still high (the host lowers it at the GUEST_SYNC), not taken again
 * after the EOI. Through the list registers on a GICv3 host, through the
 * in-kernel GICv2's SPI on a GICv2 host (where INJECT_IRQ is ENODEV).
 */
TEST_F(arm64, inject_irq_through_list_registers)
{
	struct axvm_irq irq = { .irq = 1020, .flags = AXVM_IRQ_LEVEL_HIGH };
	struct test_vcpu *v;
	struct ucall uc;
	int mode;

	mode = test_gic_setup(self->vm);
	ASSERT_LE(0, mode);
	test_vm_set_irq_handler(self->vm, guest_irq_handler_fn);
	v = test_vcpu_add_default(self->vm, 0, guest_irq, 0);
	ASSERT_NE(NULL, v);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	ASSERT_EQ(0, test_gic_set_irq(v, 40, true));
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(40, uc.args[0]);
	ASSERT_EQ(0, test_gic_set_irq(v, 40, false));
	TEST_RUN_UCALL(v, &uc, UCALL_DONE);
	/* INTIDs 1020-1023 are special (GICv3 2.2.1): no line. */
	EXPECT_EQ(-1, ioctl(v->fd, AXVM_INJECT_IRQ, &irq));
	EXPECT_EQ(EINVAL, errno);
	/* With the GICv2 irqchip its lines are the only way in. */
	irq.irq = 40;
	if (mode == TEST_GIC_V2) {
		EXPECT_EQ(-1, ioctl(v->fd, AXVM_INJECT_IRQ, &irq));
		EXPECT_EQ(EBUSY, errno);
	}
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

/*
 * Run @fn(50 ms of counter ticks) to its end with the IRQ handler above,
 * in one RUN: it halted at least once and the kernel handled every
 * exit. Returns the vCPU, its counters in @st.
 */
static struct test_vcpu *run_timer_guest(struct __test_metadata *_metadata,
					 struct test_vm *vm, void *fn,
					 struct axvm_exit_stats *st)
{
	struct test_vcpu *v;
	struct ucall uc;
	uint64_t freq;

	asm volatile("mrs %0, cntfrq_el0" : "=r" (freq));
	EXPECT_LE(0, test_gic_setup(vm));
	test_vm_set_irq_handler(vm, guest_irq_handler_fn);
	v = test_vcpu_add_default(vm, 0, fn, 1, freq / 20);
	EXPECT_NE(NULL, v);
	if (!v)
		return NULL;
	TEST_RUN_UCALL(v, &uc, UCALL_DONE);
	EXPECT_EQ(0, ioctl(v->fd, AXVM_GET_EXIT_STATS, st));
	EXPECT_GE(st->count[AXVM_EXIT_HALT], 1);
	EXPECT_EQ(1, st->runs);
	return v;
}

/* The guest sleeps in WFI in the kernel until its virtual timer fires. */
TEST_F(arm64, vtimer_wakes_wfi)
{
	struct axvm_exit_stats st;

	run_timer_guest(_metadata, self->vm, guest_timer, &st);
}

/*
 * The Arm ARM (D12.2.4): the timer condition is met when the count
 * reaches CVAL, by the system counter, whatever the host's clock does.
 * With CLOCK_MONOTONIC 10% ahead of the counter (as NTP may set it) the
 * host's timer comes early: the vCPU asleep in WFI must still be woken
 * at its deadline, not left asleep (a signal ends the RUN after 10 s).
 */
TEST_F(arm64, vtimer_wakes_wfi_on_a_slewed_clock)
{
	struct axvm_exit_stats st;

	self->tick = axvm_clock_slew();
	ASSERT_LT(0, self->tick) TH_LOG("adjtimex: %s", strerror(-self->tick));
	axvm_alarm_eintr(10);
	run_timer_guest(_metadata, self->vm, guest_timer, &st);
}

/* ------------------------------------------------------------------ */

#define CNT_ENABLE	1ULL
#define CNT_IMASK	2ULL
#define CNT_ISTATUS	4ULL

GUEST_CODE static void guest_ptimer(uint64_t ticks)
{
	uint64_t start, tval;

	/*
	 * Arm ARM D12.8.x, CNTP_CTL_EL0.ISTATUS: "the timer condition is
	 * met" (CVAL <= count) while ENABLE is 1, whatever IMASK says, and
	 * 0 while the timer is disabled. CNTP_TVAL_EL0 reads (CVAL -
	 * count)[31:0]; a write sets CVAL = count + SignExtend(TVAL).
	 */
	start = read_sysreg(cntpct_el0);
	write_sysreg(start + ticks, cntp_cval_el0);
	GUEST_ASSERT_EQ(read_sysreg(cntp_cval_el0), start + ticks);
	tval = read_sysreg(cntp_tval_el0);
	GUEST_ASSERT(tval > 0 && tval <= ticks, tval, ticks);
	write_sysreg(CNT_ENABLE | CNT_IMASK, cntp_ctl_el0);
	GUEST_ASSERT_EQ(read_sysreg(cntp_ctl_el0), CNT_ENABLE | CNT_IMASK);
	write_sysreg(0xffffffffULL, cntp_tval_el0);	/* -1: already met */
	GUEST_ASSERT(read_sysreg(cntp_cval_el0) < read_sysreg(cntpct_el0));
	GUEST_ASSERT_EQ(read_sysreg(cntp_ctl_el0),
			CNT_ENABLE | CNT_IMASK | CNT_ISTATUS);
	write_sysreg(0, cntp_ctl_el0);
	GUEST_ASSERT_EQ(read_sysreg(cntp_ctl_el0), 0);

	/* Then the interrupt: PPI 30 (INTID of the EL1 physical timer). */
	gic_enable();
	start = read_sysreg(cntpct_el0);
	write_sysreg(ticks, cntp_tval_el0);
	write_sysreg(CNT_ENABLE, cntp_ctl_el0);
	isb();
	local_irq_enable();
	while (!irq_count)
		wfi();
	GUEST_ASSERT_EQ(irq_seen, 30);
	GUEST_ASSERT(read_sysreg(cntpct_el0) - start >= ticks,
		     read_sysreg(cntpct_el0) - start, ticks);
}

/*
 * The EL1 physical timer, emulated in the kernel as KVM does on a VHE
 * host: its registers answer without an exit to userspace, and its PPI
 * wakes the guest from WFI in the kernel.
 */
TEST_F(arm64, ptimer_emulated_in_kernel)
{
	struct axvm_exit_stats st;
	struct test_vcpu *v;

	v = run_timer_guest(_metadata, self->vm, guest_ptimer, &st);
	ASSERT_NE(NULL, v);
	EXPECT_GE(st.count[AXVM_EXIT_SYSREG], 10);
	/* Its state is the vCPU's, through the sysreg ioctls. */
	EXPECT_EQ(CNT_ENABLE | CNT_IMASK,
		  axvm_get_sysreg(v->fd, SYSREG(3, 3, 14, 2, 1)));
	EXPECT_EQ(-1, axvm_set_sysreg(v->fd, SYSREG(3, 3, 14, 2, 1), 8));
}

/*
 * AXVM_VCPU_PASSTHROUGH_TIMER (the seed's passthrough_timer): the guest
 * owns the EL1 physical timer. The same rules as above, now the CPU's
 * (ISTATUS, TVAL, PPI 30 waking WFI), with not one access trapped: no
 * sysreg exit at all, where the emulated timer takes one for each of
 * guest_ptimer's 13 accesses. Its state is saved at the exit, where the
 * ioctls read it, and loaded at the next entry.
 */
TEST_F(arm64, ptimer_passthrough_makes_no_exits)
{
	struct axvm_exit_stats st;
	struct test_vcpu *v;

	self->vm->vcpu_flags = AXVM_VCPU_PASSTHROUGH_TIMER;
	v = run_timer_guest(_metadata, self->vm, guest_ptimer, &st);
	ASSERT_NE(NULL, v);
	EXPECT_EQ(0, st.count[AXVM_EXIT_SYSREG]);
	/* The handler masked it: ENABLE | IMASK, as the guest left it. */
	EXPECT_EQ(CNT_ENABLE | CNT_IMASK,
		  axvm_get_sysreg(v->fd, SYSREG(3, 3, 14, 2, 1)));
	EXPECT_NE(0, axvm_get_sysreg(v->fd, SYSREG(3, 3, 14, 2, 2)));
}

/* Reports CNTP_CTL_EL0 and CNTP_CVAL_EL0 as it finds them. */
GUEST_CODE static void guest_ptimer_read(void)
{
	GUEST_SYNC(read_sysreg(cntp_ctl_el0), read_sysreg(cntp_cval_el0));
	GUEST_DONE();
}

/* What the VMM sets (a restore) is what the guest owning it reads. */
TEST_F(arm64, ptimer_passthrough_state_from_the_vmm)
{
	const uint64_t cval = 0x123456789abcULL;
	struct test_vcpu *v;
	struct ucall uc;

	self->vm->vcpu_flags = AXVM_VCPU_PASSTHROUGH_TIMER;
	v = test_vcpu_add_default(self->vm, 0, guest_ptimer_read, 0);
	ASSERT_NE(NULL, v);
	ASSERT_EQ(0, axvm_set_sysreg(v->fd, SYSREG(3, 3, 14, 2, 2), cval));
	ASSERT_EQ(0, axvm_set_sysreg(v->fd, SYSREG(3, 3, 14, 2, 1),
				     CNT_ENABLE | CNT_IMASK));
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	/* Enabled, and the count is far below CVAL: ISTATUS clear. */
	EXPECT_EQ(CNT_ENABLE | CNT_IMASK, uc.args[0]);
	EXPECT_EQ(cval, uc.args[1]);
	TEST_RUN_UCALL(v, &uc, UCALL_DONE);
}

/* ------------------------------------------------------------------ */

/*
 * Phase 1: count the loop iterations that take @ticks with the timer off.
 * Phase 2: as many iterations with the timer's line high and IRQs masked,
 * as a guest in a critical section is when its tick comes. Then take it.
 * The virtual timer, or the physical one for @phys.
 */
GUEST_CODE static void guest_timer_masked(uint64_t ticks, uint64_t phys)
{
	uint64_t n, t0;

	gic_enable();
	n = guest_busy_calibrate(ticks);
	if (phys) {
		write_sysreg(0, cntp_cval_el0);	/* long past */
		write_sysreg(1, cntp_ctl_el0);
	} else {
		write_sysreg(0, cntv_cval_el0);
		write_sysreg(1, cntv_ctl_el0);
	}
	isb();
	GUEST_SYNC(n);			/* the next entry sees the line high */
	t0 = read_sysreg(cntvct_el0);
	guest_busy_loop(n);
	isb();
	GUEST_SYNC(n, read_sysreg(cntvct_el0) - t0);
	local_irq_enable();
	while (!irq_count)
		;
	GUEST_ASSERT_EQ(irq_seen, phys ? 30 : 27);
}

/*
 * A timer line raised while the guest has IRQs masked: taken once it
 * unmasks, and meanwhile at most one exit per 20 us of the time the
 * guest's loop took by its own counter (the kernel looks at the timer
 * again after 100 us while the line is high). The bound follows that
 * time, not the calibration: on a loaded host the loop takes longer.
 * Where KVM is built in (arm64-debian), it holds the timers' PPIs: a
 * due timer live in the CPU would signal one to the host and end every
 * entry at once, unless axvm makes it active for the run.
 */
static void timer_line_high_while_masked(struct __test_metadata *_metadata,
					 struct test_vm *vm, bool phys)
{
	struct test_vcpu *v;
	struct ucall uc;
	long long exits;
	uint64_t freq, us;

	asm volatile("mrs %0, cntfrq_el0" : "=r" (freq));
	ASSERT_LE(0, test_gic_setup(vm));
	test_vm_set_irq_handler(vm, guest_irq_handler_fn);
	/* 20 ms of the guest's loop. */
	v = test_vcpu_add_default(vm, 0, guest_timer_masked, 2, freq / 50,
				  (uint64_t)phys);
	ASSERT_NE(NULL, v);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	exits = axvm_exit_count(v->fd, AXVM_EXIT_EXTERNAL_INTERRUPT);
	ASSERT_LE(0, exits);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	exits = axvm_exit_count(v->fd, AXVM_EXIT_EXTERNAL_INTERRUPT) - exits;
	/* At >= 20 us a run: one exit per 20 us the loop took, at most. */
	us = uc.args[1] * 1000000 / freq;
	EXPECT_GE((long long)(us / 20) + 1, exits);
	TH_LOG("%lld exits in %llu us of guest work with the line high",
	       exits, (unsigned long long)us);
	TEST_RUN_UCALL(v, &uc, UCALL_DONE);
}

TEST_F(arm64, vtimer_line_high_while_masked)
{
	timer_line_high_while_masked(_metadata, self->vm, false);
}

/* The same for the physical timer a vCPU owns (AXVM_VCPU_PASSTHROUGH_TIMER). */
TEST_F(arm64, ptimer_passthrough_line_high_while_masked)
{
	self->vm->vcpu_flags = AXVM_VCPU_PASSTHROUGH_TIMER;
	timer_line_high_while_masked(_metadata, self->vm, true);
}

/* ------------------------------------------------------------------ */

/*
 * The guest's sync handler reports what it took, then returns to the
 * caller of the access (x30): the aborts below come from a call.
 */
GUEST_CODE static void guest_abort_handler(struct ex_regs *regs)
{
	GUEST_SYNC(regs->esr, regs->far, regs->pc, regs->pstate);
	regs->pc = regs->regs[30];
}

GUEST_CODE static void guest_ldp(uint64_t addr)
{
	uint64_t a, b;

	/* A pair load has no syndrome to emulate. */
	asm volatile("ldp %0, %1, [%2]" : "=r" (a), "=r" (b)
		     : "r" (addr) : "memory");
}

GUEST_CODE static void guest_bad_access(void)
{
	guest_ldp(MMIO + 0x100);
	GUEST_SYNC(0x1d1e);
}

/* ESR_ELx fields (Arm ARM D19.2.40). */
#define ESR_EC(esr)		((esr) >> 26)
#define ESR_IL			(1ULL << 25)
#define ESR_WNR			(1ULL << 6)
#define ESR_FSC(esr)		((esr) & 0x3f)
#define EC_IABT_CUR		0x21
#define EC_DABT_CUR		0x25
#define FSC_SEA			0x10	/* synchronous External abort */

/*
 * A load pair from an MMIO address carries no instruction syndrome
 * (ESR_EL2.ISV is 0), so nothing can emulate it: the guest takes the
 * synchronous External abort that a bus with nothing to decode it gives
 * (Arm ARM D1.3: a Data Abort from the current EL is EC 0x25, FSC
 * 0b010000 "not on translation table walk", FAR_EL1 the address, ELR_EL1
 * the load), its own handler runs, and the VM goes on.
 */
TEST_F(arm64, undecodable_mmio_is_an_external_abort)
{
	struct test_vcpu *v = test_vcpu_add_default(self->vm, 0,
						    guest_bad_access, 0);
	struct ucall uc;

	ASSERT_NE(NULL, v);
	test_vm_set_sync_handler(self->vm, guest_abort_handler);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(EC_DABT_CUR, ESR_EC(uc.args[0]));
	EXPECT_EQ(FSC_SEA, ESR_FSC(uc.args[0]));
	EXPECT_TRUE(uc.args[0] & ESR_IL);
	EXPECT_FALSE(uc.args[0] & ESR_WNR);
	EXPECT_EQ(MMIO + 0x100, uc.args[1]);
	/* Taken from EL1h with IRQs unmasked: SPSR_EL1 keeps that. */
	EXPECT_EQ(0x5, uc.args[3] & 0xf);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(0x1d1e, uc.args[0]);
	TEST_RUN_UCALL(v, &uc, UCALL_DONE);
}

/* The first byte past the guest's RAM: mapped by stage 1, not stage 2. */
#define PAST_RAM	(TEST_SCRATCH_GPA + TEST_SCRATCH_SIZE)

GUEST_CODE static void guest_fetch_past_ram(void)
{
	((void (*)(void))PAST_RAM)();
	GUEST_SYNC(0xf00d);
}

/*
 * An instruction fetch from an address with no memory behind it: the
 * Arm ARM (D1.3, and the Prefetch Abort of I_DGZQC: an instruction fetch
 * that gets a synchronous External abort) gives the guest a Prefetch
 * Abort, EC 0x21 from EL1, FSC 0b010000, FAR_EL1 = ELR_EL1 = the address
 * fetched. KVM does the same; the VM does not end.
 */
TEST_F(arm64, fetch_outside_ram_is_a_prefetch_abort)
{
	struct test_vcpu *v = test_vcpu_add_default(self->vm, 0,
						    guest_fetch_past_ram, 0);
	struct ucall uc;

	ASSERT_NE(NULL, v);
	test_vm_set_sync_handler(self->vm, guest_abort_handler);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(EC_IABT_CUR, ESR_EC(uc.args[0]));
	EXPECT_EQ(FSC_SEA, ESR_FSC(uc.args[0]));
	EXPECT_TRUE(uc.args[0] & ESR_IL);
	EXPECT_EQ(PAST_RAM, uc.args[1]);
	EXPECT_EQ(PAST_RAM, uc.args[2]);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(0xf00d, uc.args[0]);
	TEST_RUN_UCALL(v, &uc, UCALL_DONE);
}

/* ------------------------------------------------------------------ */

/* Arm ARM D19 (ESR_EL1.EC), taken without a change in Exception level. */
#define EC_BREAKPOINT_CUR	0x31
#define EC_SOFTSTEP_CUR		0x33
#define EC_WATCHPOINT_CUR	0x35
#define MDSCR_SS		(1ULL << 0)
#define MDSCR_KDE		(1ULL << 13)
#define MDSCR_MDE		(1ULL << 15)
#define PSTATE_SS		(1ULL << 21)
/* DBGBCR: E, PMC 0b11 (EL1 and EL0), BAS 0b1111; unlinked address. */
#define BCR_EL1_ADDR		0x1e7ULL
/* DBGWCR: E, PAC 0b11, LSC 0b11 (loads and stores), BAS 0xff. */
#define WCR_EL1_ANY_8		0x1fffULL

static volatile uint64_t watched __attribute__((aligned(8)));

GUEST_CODE static void bp_target(void)
{
	asm volatile("nop; nop");
}

GUEST_CODE static void guest_debug_handler(struct ex_regs *regs)
{
	uint64_t ec = regs->esr >> 26;

	GUEST_SYNC(ec, regs->far, regs->pc);
	if (ec == EC_BREAKPOINT_CUR) {
		/* Off, then one step from the breakpointed instruction. */
		write_sysreg(0, dbgbcr0_el1);
		write_sysreg(MDSCR_MDE | MDSCR_KDE | MDSCR_SS, mdscr_el1);
		regs->pstate |= PSTATE_SS;
	} else if (ec == EC_SOFTSTEP_CUR) {
		write_sysreg(MDSCR_MDE | MDSCR_KDE, mdscr_el1);
	} else if (ec == EC_WATCHPOINT_CUR) {
		write_sysreg(0, dbgwcr0_el1);
	}
	isb();
}

GUEST_CODE static void guest_debug(void)
{
	write_sysreg((uint64_t)bp_target, dbgbvr0_el1);
	write_sysreg(BCR_EL1_ADDR, dbgbcr0_el1);
	write_sysreg((uint64_t)&watched, dbgwvr0_el1);
	write_sysreg(WCR_EL1_ANY_8, dbgwcr0_el1);
	GUEST_ASSERT_EQ(read_sysreg(dbgbvr0_el1), (uint64_t)bp_target);
	write_sysreg(MDSCR_MDE | MDSCR_KDE, mdscr_el1);
	isb();
	asm volatile("msr daifclr, #8" : : : "memory");	/* PSTATE.D = 0 */
	bp_target();
	watched = 5;
	asm volatile("msr daifset, #8" : : : "memory");
	GUEST_ASSERT_EQ(watched, 5);
	GUEST_SYNC(0xd0e);
}

/*
 * Self-hosted debug in the guest (Arm ARM D2): with MDSCR_EL1.MDE and
 * KDE set and PSTATE.D clear, a breakpoint on an instruction address is
 * a Breakpoint exception (EC 0x31, ELR_EL1 the instruction), software
 * step after an ERET with SPSR.SS set a Software Step exception once the
 * instruction ran (EC 0x33, ELR_EL1 the next one), a watchpoint on a
 * doubleword a Watchpoint exception on the store (EC 0x35, FAR_EL1 the
 * address). All taken at the guest's EL1, none an exit to userspace;
 * ID_AA64DFR0_EL1 promised the breakpoints and watchpoints.
 */
TEST_F(arm64, guest_breakpoint_watchpoint_and_step)
{
	struct test_vcpu *v;
	struct ucall uc;

	test_vm_set_sync_handler(self->vm, guest_debug_handler);
	v = test_vcpu_add_default(self->vm, 0, guest_debug, 0);
	ASSERT_NE(NULL, v);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(EC_BREAKPOINT_CUR, uc.args[0]);
	EXPECT_EQ((uint64_t)bp_target, uc.args[2]);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(EC_SOFTSTEP_CUR, uc.args[0]);
	EXPECT_EQ((uint64_t)bp_target + 4, uc.args[2]);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(EC_WATCHPOINT_CUR, uc.args[0]);
	EXPECT_EQ((uint64_t)&watched, uc.args[1]);
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(0xd0e, uc.args[0]);
	TEST_RUN_UCALL(v, &uc, UCALL_DONE);
	/* The registers are the vCPU's, through the sysreg ioctls too. */
	EXPECT_EQ((uint64_t)bp_target,
		  axvm_get_sysreg(v->fd, SYSREG(2, 0, 0, 0, 4)));
	EXPECT_EQ(MDSCR_MDE | MDSCR_KDE,
		  axvm_get_sysreg(v->fd, SYSREG(2, 0, 0, 2, 2)));
}

/* ------------------------------------------------------------------ */

/* ID registers, by encoding (some assemblers lack the newer names). */
#define ID_PFR0_EL1		s3_0_c0_c1_0
#define ID_AA64PFR0_EL1		s3_0_c0_c4_0
#define ID_AA64PFR1_EL1		s3_0_c0_c4_1
#define ID_AA64ZFR0_EL1		s3_0_c0_c4_4
#define ID_AA64DFR0_EL1		s3_0_c0_c5_0
#define ID_AA64ISAR1_EL1	s3_0_c0_c6_1
#define ID_AA64ISAR2_EL1	s3_0_c0_c6_2
#define ID_ISAR0_EL1		s3_0_c0_c2_0
#define MVFR0_EL1		s3_0_c0_c3_0
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
		   read_idreg(ID_UNALLOCATED));
	GUEST_SYNC(read_idreg(ID_AA64ISAR2_EL1), read_idreg(ID_ISAR0_EL1),
		   read_idreg(MVFR0_EL1), read_idreg(ID_PFR0_EL1));
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
	uint64_t host_pfr0, host_gicv3, pfr0;
	struct ucall uc;

	ASSERT_NE(NULL, v);
	host_gicv3 = !!(axvm_cap(self->vm->sys_fd, AXVM_CAP_IRQCHIP) &
			(1 << AXVM_IRQCHIP_GICV3));
	/* EL0 reads are emulated by the host kernel: its sanitised view. */
	asm volatile("mrs %0, s3_0_c0_c4_0" : "=r" (host_pfr0));

	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	pfr0 = uc.args[0];
	EXPECT_EQ(1, FIELD(uc.args[0], 0));	/* EL0: AArch64 only */
	EXPECT_EQ(1, FIELD(uc.args[0], 4));	/* EL1: AArch64 only */
	EXPECT_EQ(0, FIELD(uc.args[0], 8));	/* no EL2 */
	EXPECT_EQ(0, FIELD(uc.args[0], 12));	/* no EL3 */
	EXPECT_EQ(FIELD(host_pfr0, 16), FIELD(uc.args[0], 16));	/* FP */
	EXPECT_EQ(FIELD(host_pfr0, 20), FIELD(uc.args[0], 20));	/* AdvSIMD */
	/*
	 * GIC, "System register interface to versions 3.0 and 4.0 of the
	 * GIC CPU interface": 1 only on a GICv3 host, whose ICC_*_EL1 the
	 * guest gets; a GICv2 host has none to give.
	 */
	EXPECT_EQ(host_gicv3, FIELD(uc.args[0], 24));
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

	/*
	 * WFxT, 0: WFIT's deadline is not kept. With EL0 and EL1 AArch64
	 * only, the AArch32 ID registers read as zero (their fields
	 * describe AArch32 state the guest has not got). CSV2 at most 1:
	 * 2 would promise SCXTNUM_ELx.
	 */
	TEST_RUN_UCALL(v, &uc, UCALL_SYNC);
	EXPECT_EQ(0, FIELD(uc.args[0], 0));
	EXPECT_EQ(0, uc.args[1]);		/* ID_ISAR0 */
	EXPECT_EQ(0, uc.args[2]);		/* MVFR0 */
	EXPECT_EQ(0, uc.args[3]);		/* ID_PFR0 */
	EXPECT_GE(1, FIELD(pfr0, 56));
	TEST_RUN_UCALL(v, &uc, UCALL_DONE);

	/* Twelve reads, none of them an exit to userspace. */
	ASSERT_EQ(0, ioctl(v->fd, AXVM_GET_EXIT_STATS, &st));
	EXPECT_EQ(12, st.count[AXVM_EXIT_SYSREG]);
	EXPECT_EQ(4, st.runs);
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
	struct test_vcpu *v;
	struct axvm_sysreg sr;
	struct ucall uc;
	unsigned int n;

	ASSERT_EQ(0, test_vm_user_hypercalls(self->vm, 0, 1));
	v = test_vcpu_add_default(self->vm, 0, guest_fp_regs, 0);
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

	/* The guest's hvc #0 with x0 0 is a hypercall exit (the filter). */
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

/* ------------------------------------------------------------------ */

/*
 * Spectre-v2 and Spectre-BHB on the guest-exit path (spectre.c,
 * entry.S). exit_mitigation shows each CPU's choice as
 * "CPUS:v2=X,bhb=Y[,forced=Z]" runs; exit_mitigation_force (test only)
 * makes every exit run one sequence instead.
 */
#define EXIT_MITIGATION		"/sys/module/axvm/parameters/exit_mitigation"
#define SPECTRE_V2		"/sys/devices/system/cpu/vulnerabilities/spectre_v2"
#define MAX_CPUS		1024

struct exit_choice {
	int seen;
	char v2[16], bhb[16], forced[16];
};

/* One entry per CPU taken over; -1 on a malformed value. */
static int read_exit_choices(struct exit_choice *c, char *raw, size_t size)
{
	char buf[8192], *tok, *save;
	int first, last, n, cpu, runs = 0;

	axvm_slurp(EXIT_MITIGATION, raw, size);
	snprintf(buf, sizeof(buf), "%s", raw);
	memset(c, 0, MAX_CPUS * sizeof(*c));
	for (tok = strtok_r(buf, "\n ", &save); tok;
	     tok = strtok_r(NULL, "\n ", &save)) {
		struct exit_choice e = { .seen = 1 };

		n = 0;
		if (sscanf(tok, "%d-%d:%n", &first, &last, &n) != 2 || !n) {
			n = 0;
			if (sscanf(tok, "%d:%n", &first, &n) != 1 || !n)
				return -1;
			last = first;
		}
		if (sscanf(tok + n, "v2=%15[^,],bhb=%15[^,],forced=%15s", e.v2,
			   e.bhb, e.forced) < 2)
			return -1;
		if (first < 0 || last < first || last >= MAX_CPUS)
			return -1;
		for (cpu = first; cpu <= last; cpu++) {
			if (c[cpu].seen)
				return -1;
			c[cpu] = e;
		}
		runs++;
	}
	return runs ? 0 : -1;
}

static int is_one_of(const char *s, const char *const *set)
{
	for (; *set; set++)
		if (!strcmp(s, *set))
			return 1;
	return 0;
}

/* "loopK" with K a loop count of the kernel's lists (proton-pack.c). */
static int is_known_loop(const char *s)
{
	static const char *const loops[] = { "loop8", "loop11", "loop24",
		"loop32", "loop38", "loop132", NULL };

	return is_one_of(s, loops);
}

static const char *const v2_unaffected[] = { "csv2", "safe", "unaffected",
					     NULL };
static const char *const v2_mitigated[] = { "wa1", "wa3", NULL };
static const char *const bhb_unaffected[] = { "csv2p3", "safe", NULL };
static const char *const bhb_mitigated[] = { "ecbhb", "clearbhb", "wa3",
					     NULL };

static int bhb_is_mitigated(const char *s)
{
	return is_one_of(s, bhb_mitigated) || is_known_loop(s);
}

/* The online CPUs, from /sys/devices/system/cpu/online ("0-3,5"). */
static int online_cpus(int *cpus)
{
	char buf[1024], *tok, *save;
	int first, last, n = 0;

	axvm_slurp("/sys/devices/system/cpu/online", buf, sizeof(buf));
	for (tok = strtok_r(buf, ",\n", &save); tok;
	     tok = strtok_r(NULL, ",\n", &save)) {
		if (sscanf(tok, "%d-%d", &first, &last) != 2) {
			first = atoi(tok);
			last = first;
		}
		for (; first <= last && n < MAX_CPUS; first++)
			cpus[n++] = first;
	}
	return n;
}

/*
 * The module's choice agrees with the host kernel's own, CPU by CPU
 * (cpu_show_spectre_v2() and get_bhb_affected_string() in the kernel's
 * arch/arm64/kernel/proton-pack.c print the system's worst case):
 *
 *  - "Not affected": no CPU is affected by either, so every CPU is
 *    csv2/safe/unaffected for v2 and csv2p3/safe for BHB;
 *  - "Mitigation: CSV2...": v2 not affected on any CPU;
 *  - "Mitigation: Branch predictor hardening...": every CPU is not
 *    affected by v2 or mitigated by firmware (wa1, or wa3 which covers
 *    it), and some CPU is;
 *  - "..., BHB" (and "Vulnerable: Unprivileged eBPF enabled", printed
 *    only when BHB is mitigated): the kernel mitigates BHB for its own
 *    exception entries, so every CPU's axvm choice is a BHB mitigation
 *    or not affected (hardware ECBHB counts);
 *  - "..., but not BHB": some CPU is affected by BHB;
 *  - "Mitigation: <v2>" with no BHB part: no CPU is affected by BHB;
 *  - "Vulnerable": some CPU is affected by v2.
 * And: every online CPU was decided once; a loop count is one of the
 * kernel's (8, 11, 24, 32, 38, 132); nothing is forced on a plain load;
 * mitigations=off on the command line shows as "off" wherever a CPU is
 * affected and runs no sequence, and "off" appears nowhere else.
 */
TEST(exit_mitigation_agrees_with_the_kernel)
{
	static struct exit_choice c[MAX_CPUS];
	static const char *const v2_names[] = { "csv2", "safe", "unaffected",
		"off", "wa1", "wa3", "vulnerable", NULL };
	static const char *const bhb_names[] = { "csv2p3", "safe", "ecbhb",
		"off", "clearbhb", "wa3", "vulnerable", NULL };
	char raw[8192], kernel[256], cmdline[4096], midr[32];
	int cpus[MAX_CPUS], n, i, some_v2_affected = 0, some_v2_mitigated = 0;
	int some_bhb_affected = 0, off;

	if (access("/sys/module/axvm", F_OK))
		SKIP(return, "axvm is not loaded");
	ASSERT_EQ(0, read_exit_choices(c, raw, sizeof(raw)))
		TH_LOG("exit_mitigation: '%s'", raw);
	axvm_slurp(SPECTRE_V2, kernel, sizeof(kernel));
	axvm_slurp("/proc/cmdline", cmdline, sizeof(cmdline));
	ASSERT_NE(0, kernel[0]) TH_LOG("no %s", SPECTRE_V2);
	kernel[strcspn(kernel, "\n")] = '\0';
	off = !!strstr(cmdline, "mitigations=off");
	axvm_slurp("/sys/devices/system/cpu/cpu0/regs/identification/midr_el1",
		   midr, sizeof(midr));
	midr[strcspn(midr, "\n")] = '\0';
	TH_LOG("CPU 0 MIDR %s; spectre_v2: %s; exit_mitigation: %s", midr,
	       kernel, raw);

	n = online_cpus(cpus);
	ASSERT_GE(n, 1);
	for (i = 0; i < n; i++) {
		const struct exit_choice *e = &c[cpus[i]];

		ASSERT_TRUE(e->seen) TH_LOG("CPU %d not in '%s'", cpus[i], raw);
		EXPECT_TRUE(is_one_of(e->v2, v2_names))
			TH_LOG("CPU %d: v2=%s", cpus[i], e->v2);
		EXPECT_TRUE(is_one_of(e->bhb, bhb_names) ||
			    is_known_loop(e->bhb))
			TH_LOG("CPU %d: bhb=%s", cpus[i], e->bhb);
		EXPECT_STREQ("", e->forced);
		if (!is_one_of(e->v2, v2_unaffected))
			some_v2_affected = 1;
		if (is_one_of(e->v2, v2_mitigated))
			some_v2_mitigated = 1;
		if (!is_one_of(e->bhb, bhb_unaffected))
			some_bhb_affected = 1;

		if (off) {
			EXPECT_TRUE(is_one_of(e->v2, v2_unaffected) ||
				    !strcmp(e->v2, "off"))
				TH_LOG("CPU %d: mitigations=off, v2=%s",
				       cpus[i], e->v2);
			EXPECT_TRUE(is_one_of(e->bhb, bhb_unaffected) ||
				    !strcmp(e->bhb, "ecbhb") ||
				    !strcmp(e->bhb, "off"))
				TH_LOG("CPU %d: mitigations=off, bhb=%s",
				       cpus[i], e->bhb);
		} else {
			EXPECT_STRNE("off", e->v2);
			EXPECT_STRNE("off", e->bhb);
		}

		if (!strcmp(kernel, "Not affected")) {
			EXPECT_TRUE(is_one_of(e->v2, v2_unaffected))
				TH_LOG("CPU %d: v2=%s", cpus[i], e->v2);
			EXPECT_TRUE(is_one_of(e->bhb, bhb_unaffected))
				TH_LOG("CPU %d: bhb=%s", cpus[i], e->bhb);
		}
		if (!strncmp(kernel, "Mitigation: CSV2", 16))
			EXPECT_TRUE(is_one_of(e->v2, v2_unaffected))
				TH_LOG("CPU %d: v2=%s", cpus[i], e->v2);
		if (!strncmp(kernel, "Mitigation: Branch predictor hardening",
			     38))
			EXPECT_TRUE(is_one_of(e->v2, v2_unaffected) ||
				    is_one_of(e->v2, v2_mitigated))
				TH_LOG("CPU %d: v2=%s", cpus[i], e->v2);
		if (strstr(kernel, ", BHB") ||
		    !strcmp(kernel, "Vulnerable: Unprivileged eBPF enabled"))
			EXPECT_TRUE(is_one_of(e->bhb, bhb_unaffected) ||
				    bhb_is_mitigated(e->bhb))
				TH_LOG("CPU %d: the kernel mitigates BHB, axvm bhb=%s",
				       cpus[i], e->bhb);
		if (!strncmp(kernel, "Mitigation: ", 12) &&
		    !strstr(kernel, "BHB"))
			EXPECT_TRUE(is_one_of(e->bhb, bhb_unaffected))
				TH_LOG("CPU %d: bhb=%s", cpus[i], e->bhb);
	}
	if (!strncmp(kernel, "Mitigation: Branch predictor hardening", 38))
		EXPECT_TRUE(some_v2_mitigated);
	if (strstr(kernel, ", but not BHB"))
		EXPECT_TRUE(some_bhb_affected);
	if (!strcmp(kernel, "Vulnerable"))
		EXPECT_TRUE(some_v2_affected);
}

/*
 * Exits with known values in every register (guest_exit_with_known_regs
 * in lib/aarch64_known_regs.S): a hypercall to userspace, PSCI_VERSION
 * in the kernel, an MMIO store and load, and spins that host interrupts
 * end (exits with another exit code than the rest: a sequence that lost
 * x0 would make them look like the last synchronous exit again).
 */
#define KNOWN_BASE		0x6b00000000000000ULL
#define KNOWN_HC		0xa5e0ULL
#define KNOWN_MMIO_ST		(MMIO + 0x100)
#define KNOWN_MMIO_LD		(MMIO + 0x108)

/* What register @i (31: SP_EL0) holds after the exit of @kind. */
GUEST_CODE static uint64_t known_after(uint64_t base, uint64_t kind,
				       unsigned int i)
{
	if (i == 0) {
		switch (kind) {
		case 1:
			return 0x10000;		/* PSCI 1.0 */
		case 2:
		case 4:
			return base;
		default:
			return ~base;		/* what the host answers */
		}
	}
	if (i == 30 && kind == 2)
		return KNOWN_MMIO_ST;
	if (i == 30 && kind == 3)
		return KNOWN_MMIO_LD;
	if (i == 30 && kind == 4)
		return 0;			/* the spin's count, run down */
	return base + i;
}

/* @rounds of the five kinds, each spin about @ticks of the counter. */
GUEST_CODE static void guest_known_regs(uint64_t rounds, uint64_t ticks)
{
	uint64_t out[32], base, r, kind, spin;
	unsigned int i;

	/* Two instructions a turn, as guest_busy_loop() is about. */
	spin = guest_busy_calibrate(ticks);
	for (r = 0; r < rounds; r++)
		for (kind = 0; kind < 5; kind++) {
			base = KNOWN_BASE + (r << 12) + (kind << 8);
			guest_exit_with_known_regs(base, kind, out, spin);
			for (i = 0; i < 32; i++)
				GUEST_ASSERT(out[i] == known_after(base, kind, i),
					     i, kind, out[i],
					     known_after(base, kind, i));
		}
}

/* The VMM thread's registers across RUN (host_run_known_regs). */
#define HOST_BASE		0x4800000000000000ULL

/* What the VMM thread's register @i (31: TPIDR_EL0) holds after RUN. */
static uint64_t host_known_after(uint64_t base, unsigned int i)
{
	switch (i) {
	case 0:
		return 0;		/* the ioctl's result */
	case 1:
		return AXVM_RUN;
	case 2:
		return 0;
	case 8:
		return __NR_ioctl;
	case 31:
		return base + 32;
	default:
		return base + i;
	}
}

/*
 * Run @v (pinned to @cpu) through guest_known_regs: at every exit to
 * userspace the vCPU's saved x0-x30 and SP_EL0 are the values the guest
 * put there; the guest checks them after every exit (to userspace, in
 * the kernel, or a host interrupt); the VMM thread's registers survive
 * every RUN. Returns the exits seen in userspace.
 */
static int run_known_regs(struct __test_metadata *_metadata,
			  struct test_vcpu *v, int cpu, uint64_t rounds)
{
	uint64_t host[32], hbase, base;
	struct axvm_regs regs;
	struct ucall uc;
	char desc[512];
	int user = 0, bad = 0, i;
	long ret;

	for (;;) {
		hbase = HOST_BASE + ((uint64_t)user << 8);
		ret = host_run_known_regs(v->fd, AXVM_RUN, hbase, host);
		ASSERT_EQ(0, ret) TH_LOG("CPU %d: RUN: %s", cpu, strerror(-ret));
		for (i = 0; i < 32; i++)
			if (host[i] != host_known_after(hbase, i) && bad++ < 5)
				TH_LOG("CPU %d: host x%d (31: TPIDR_EL0) 0x%llx, not 0x%llx",
				       cpu, i, (unsigned long long)host[i],
				       (unsigned long long)host_known_after(hbase, i));
		if (test_get_ucall(v, &uc))
			break;
		ASSERT_EQ(0, ioctl(v->fd, AXVM_GET_REGS, &regs));
		base = regs.gpr[1] - 1;
		ASSERT_EQ(KNOWN_BASE, base & 0xff000000000000ffULL)
			TH_LOG("CPU %d: x1 0x%llx", cpu,
			       (unsigned long long)regs.gpr[1]);
		for (i = 1; i < 30; i++)
			if (regs.gpr[i] != base + i && bad++ < 5)
				TH_LOG("CPU %d: guest x%d 0x%llx at the exit, not 0x%llx",
				       cpu, i, (unsigned long long)regs.gpr[i],
				       (unsigned long long)(base + i));
		EXPECT_EQ(base + 31, axvm_get_sysreg(v->fd, SYSREG(3, 0, 4, 1, 0)));
		switch (v->run->exit_reason) {
		case AXVM_EXIT_HYPERCALL:
			EXPECT_EQ(KNOWN_HC, v->run->hypercall.nr);
			EXPECT_EQ(KNOWN_HC, regs.gpr[0]);
			EXPECT_EQ(base + 30, regs.gpr[30]);
			v->run->hypercall.ret = ~base;
			break;
		case AXVM_EXIT_MMIO:
			EXPECT_EQ(base, regs.gpr[0]);
			EXPECT_EQ(8, v->run->mmio.len);
			if (v->run->mmio.is_write) {
				EXPECT_EQ(KNOWN_MMIO_ST, v->run->mmio.phys_addr);
				EXPECT_EQ(KNOWN_MMIO_ST, regs.gpr[30]);
				EXPECT_EQ(base + 29, v->run->mmio.data);
			} else {
				EXPECT_EQ(KNOWN_MMIO_LD, v->run->mmio.phys_addr);
				EXPECT_EQ(KNOWN_MMIO_LD, regs.gpr[30]);
				v->run->mmio.data = ~base;
			}
			break;
		default:
			ASSERT_TRUE(0) TH_LOG("CPU %d: exit %u", cpu,
					      v->run->exit_reason);
		}
		user++;
	}
	EXPECT_EQ(0, bad);
	ASSERT_EQ(UCALL_DONE, test_get_ucall(v, &uc))
		TH_LOG("CPU %d: %s", cpu,
		       test_vcpu_describe(v, &uc, desc, sizeof(desc)));
	/* Three kinds of five reach userspace. */
	EXPECT_EQ(3 * rounds, user);
	return user;
}

static int reload_axvm(const char *params)
{
	int err = axvm_unload_module("axvm");

	if (err && err != -ENOENT)
		return err;
	return axvm_load_module(getenv("AXVM_MODULE"), params);
}

/*
 * Each sequence the exit path can run, forced on every CPU with
 * exit_mitigation_force (QEMU has no EL3 firmware to answer WA1/WA3, and
 * its CPUs may lack CLRBHB or a known loop count), and the CPU's own
 * choice: exits of every kind, to userspace and handled in the kernel,
 * keep all of the guest's x0-x30 and SP_EL0 and the VMM thread's
 * registers, on every CPU. The loop runs K = 132, the largest count a
 * core needs.
 */
FIXTURE(exit_seq) {
	int dummy;
};

FIXTURE_VARIANT(exit_seq) {
	const char *force;	/* NULL: the CPUs' own choice */
	const char *shown;	/* forced= in exit_mitigation */
};

FIXTURE_VARIANT_ADD(exit_seq, own) {
	.force = NULL, .shown = ""
};

FIXTURE_VARIANT_ADD(exit_seq, none) {
	.force = "none", .shown = "none"
};

FIXTURE_VARIANT_ADD(exit_seq, clearbhb) {
	.force = "clearbhb", .shown = "clearbhb"
};

FIXTURE_VARIANT_ADD(exit_seq, loop) {
	.force = "loop", .shown = "loop132"
};

FIXTURE_SETUP(exit_seq)
{
	char params[64] = "";
	int sys;

	ASSERT_NE(NULL, getenv("AXVM_MODULE")) TH_LOG("AXVM_MODULE not set");
	if (variant->force)
		snprintf(params, sizeof(params), "exit_mitigation_force=%s",
			 variant->force);
	ASSERT_EQ(0, reload_axvm(params));
	sys = axvm_open();
	ASSERT_GE(sys, 0);
	if (!axvm_cap(sys, AXVM_CAP_RUN) || !TEST_HAVE_GUEST_LIB) {
		close(sys);
		SKIP(return, "no guest entry on this lane");
	}
	close(sys);
}

FIXTURE_TEARDOWN(exit_seq)
{
	/* The module as every other test expects it. */
	if (variant->force)
		reload_axvm("");
}

TEST_F_TIMEOUT(exit_seq, registers_survive_every_exit, 300)
{
	static struct exit_choice c[MAX_CPUS];
	uint64_t mask[AXVM_AFFINITY_WORDS], rounds = 50, freq;
	int cpus[MAX_CPUS], n, i, tries;
	long long irqs;
	struct test_vcpu *v;
	struct test_vm *vm;
	char raw[8192];

	ASSERT_EQ(0, read_exit_choices(c, raw, sizeof(raw)))
		TH_LOG("exit_mitigation: '%s'", raw);
	TH_LOG("exit_mitigation: %s", raw);
	n = online_cpus(cpus);
	for (i = 0; i < n; i++) {
		ASSERT_TRUE(c[cpus[i]].seen);
		EXPECT_STREQ(variant->shown, c[cpus[i]].forced);
	}

	asm volatile("mrs %0, cntfrq_el0" : "=r" (freq));
	vm = test_vm_create();
	ASSERT_NE(NULL, vm) TH_LOG("test_vm_create: %s", strerror(errno));
	ASSERT_EQ(0, test_vm_user_hypercalls(vm, KNOWN_HC, 1));
	for (i = 0; i < n && i < 8; i++) {
		test_pin_self(cpus[i]);
		test_affinity_of(mask, cpus[i]);
		/* Spins of 10 ms: a few host ticks each. */
		v = test_vcpu_add(vm, i, TEST_ARCH_ID_DEFAULT, mask,
				  guest_known_regs, 2, rounds, freq / 100);
		ASSERT_NE(NULL, v);
		/*
		 * Until the spins have met 10 host interrupts: a loaded
		 * host that runs this CPU seldom gives fewer per round.
		 */
		for (tries = 0; ; tries++) {
			run_known_regs(_metadata, v, cpus[i], rounds);
			irqs = axvm_exit_count(v->fd,
					       AXVM_EXIT_EXTERNAL_INTERRUPT);
			if (irqs >= 10 || tries == 20)
				break;
			ASSERT_EQ(0, test_vcpu_set_entry(v, guest_known_regs, 2,
							 rounds, freq / 100));
		}
		EXPECT_LE(10, irqs) TH_LOG("CPU %d: %lld interrupt exits",
					   cpus[i], irqs);
		EXPECT_EQ(cpus[i], sched_getcpu());
	}
	test_vm_free(vm);
	test_pin_self(0);
}

/* ------------------------------------------------------------------ */

GUEST_CODE static void guest_psci_versions(uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++)
		GUEST_ASSERT_EQ(guest_hvc(PSCI_VERSION_FN, 0, 0, 0, 0, 0),
				0x10000);
}

/* Shortest of three runs of @n exits handled in the kernel, in ns. */
static long long time_exits(struct __test_metadata *_metadata, uint64_t n)
{
	long long best = -1, ns;
	struct axvm_exit_stats st;
	struct timespec t0, t1;
	struct test_vcpu *v;
	struct test_vm *vm;
	struct ucall uc;
	int i;

	test_pin_self(0);
	vm = test_vm_create();
	if (!vm)
		return -1;
	for (i = 0; i < 3; i++) {
		v = test_vcpu_add_default(vm, i, guest_psci_versions, 1, n);
		if (!v)
			break;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (test_vcpu_run_ucall(v, &uc) != UCALL_DONE)
			break;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (ioctl(v->fd, AXVM_GET_EXIT_STATS, &st) ||
		    st.count[AXVM_EXIT_HYPERCALL] < n)
			break;
		ns = (t1.tv_sec - t0.tv_sec) * 1000000000LL +
		     (t1.tv_nsec - t0.tv_nsec);
		if (best < 0 || ns < best)
			best = ns;
	}
	test_vm_free(vm);
	return i == 3 ? best : -1;
}

/*
 * The loop runs on every exit, K times: with exit_mitigation_force=loop
 * at K = 2^20, each exit takes 2^20 more taken branches than with none,
 * at least 80 us on any CPU (no core takes more than about two taken
 * branches per cycle, and none runs at 6.5 GHz); under TCG about 1.7 ms,
 * some ten times a debug lane's exit. A loop that never ran, or ran once
 * per RUN instead of once per exit, falls short.
 */
FIXTURE(exit_loop) {
	int dummy;
};

FIXTURE_SETUP(exit_loop)
{
	ASSERT_NE(NULL, getenv("AXVM_MODULE")) TH_LOG("AXVM_MODULE not set");
}

FIXTURE_TEARDOWN(exit_loop)
{
	reload_axvm("");
}

TEST_F_TIMEOUT(exit_loop, runs_on_every_exit, 300)
{
	uint64_t n = 200;
	long long none, loop;

	ASSERT_EQ(0, reload_axvm("exit_mitigation_force=none"));
	none = time_exits(_metadata, n);
	ASSERT_LT(0, none);
	ASSERT_EQ(0, reload_axvm("exit_mitigation_force=loop1048576"));
	loop = time_exits(_metadata, n);
	ASSERT_LT(0, loop);
	TH_LOG("%llu exits: %lld us with none, %lld us with loop1048576, %lld ns more each",
	       (unsigned long long)n, none / 1000, loop / 1000,
	       (loop - none) / (long long)n);
	EXPECT_LE(80000LL * (long long)n, loop - none);
}

/*
 * exit_mitigation_force takes none, clearbhb, loop and loopK with K in
 * 1-16777215 (K is 24 bits of the sequence word, and a zero count would
 * not be a loop); anything else fails the load with EINVAL. Never WA1
 * or WA3: without firmware that answers them an SMC is undefined.
 */
TEST_F(exit_loop, force_values_checked)
{
	static const char *const bad[] = { "bogus", "loop0", "loop16777216",
		"loop-1", "loopx", "wa1", "wa3", "" };
	static const char *const good[] = { "loop1", "loop16777215", "none" };
	char params[64], shown[64];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		snprintf(params, sizeof(params), "exit_mitigation_force=%s",
			 bad[i]);
		EXPECT_EQ(-EINVAL, reload_axvm(params)) TH_LOG("%s", params);
	}
	for (i = 0; i < ARRAY_SIZE(good); i++) {
		snprintf(params, sizeof(params), "exit_mitigation_force=%s",
			 good[i]);
		ASSERT_EQ(0, reload_axvm(params)) TH_LOG("%s", params);
		axvm_slurp("/sys/module/axvm/parameters/exit_mitigation_force",
			   shown, sizeof(shown));
		snprintf(params, sizeof(params), "%s\n", good[i]);
		EXPECT_STREQ(params, shown);
	}
}

TEST_HARNESS_MAIN
